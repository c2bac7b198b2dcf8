"""`credentials renew`, offline: the release's own Deployments (rendered by the real chart) in an
in-memory API, a fake `claude` for the login and a fake `helm`. What is checked: the install is
resolved from the release before the login; a failed, refused or aborted login changes nothing;
broker mode hands the login over without a restart, other modes roll; the replaced family is
retired in the Secret's spent list (also when a refresh races the write); `--format json` is clean.
The real CLI's login flow is tests/test_credentials_renew_real_claude.py."""
from __future__ import annotations

import base64
import copy
import hashlib
import importlib.util
import json
import sys
import time

import pytest

from aifactory_policy.commands import credentials as creds_cli
from aifactory_policy.credentials import broker, renew as renew_mod, rotate as rotate_mod, sources
from chart_render import CHART, helm_template
from fake_credentials import FAKE_REFRESH, creds, other_refresh
from fake_kube_and_tools import NS, FakeKube, fake_claude, prepend_path
from helpers import yaml_docs
from test_credentials_create import ACCOUNT, run, write_creds  # noqa: F401 - the runner fixture
from test_credentials_rotate_status import fake_helm, kube  # noqa: F401 - the fake API fixture

SECRET, KEY, RELEASE = "bot-login", "login.json", "aifactory"
ACCESS = "aifactory-claude-access"
NEW_ACCESS = "sk-ant-oat01-FAKEaccessTOKENrenewedONLY0123456789"
SPENT = "aifactory.dev/spent-refresh-tokens"
REAL_SLEEP = time.sleep


def sha16(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def chart_deployments(mode: str) -> list[dict]:
    """The release's Deployments as the real chart renders them (custom Secret name and key)."""
    r = helm_template("helm3", "--set", "remoteControl.enabled=true", "--set", f"remoteControl.credentialsSecretName={SECRET}",
                      "--set", f"remoteControl.credentialsSecretKey={KEY}", "--set", f"remoteControl.mode={mode}",
                      release=RELEASE, namespace=NS)
    assert r.returncode == 0, r.stderr
    return [d for d in yaml_docs(r.stdout) if d["kind"] == "Deployment"]


def install(kube, mode: str) -> FakeKube:
    for d in chart_deployments(mode):
        d = copy.deepcopy(d)
        d["metadata"].update(namespace=NS, generation=1)
        d["status"] = {"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "availableReplicas": 1}
        kube.deployments[(NS, d["metadata"]["name"])] = d
    return kube


def broker_publishes(kube: FakeKube) -> None:
    """The broker's part, in memory: each write of the source Secret is published access-only."""
    real = kube.apply_secret

    def apply_and_publish(manifest, force=False):
        out = real(manifest, force)
        if manifest["metadata"]["name"] == SECRET:
            oauth = json.loads(base64.b64decode(manifest["data"][KEY]))["claudeAiOauth"]
            access = {k: v for k, v in oauth.items() if k != "refreshToken"}
            kube.add_secret(NS, ACCESS, {KEY: {"claudeAiOauth": access}}, annotations={"aifactory.dev/access-only": "true"})
        return out
    kube.apply_secret = apply_and_publish


@pytest.fixture
def first_login(tmp_path, run):
    """Factory: the release installed in MODE with a first login made by create-secret."""
    def make(kube, mode: str):
        install(kube, mode)
        r = run("credentials", "create-secret", "--install", RELEASE, "-n", NS, "--secret", SECRET, "--key", KEY,
                "--from-file", write_creds(tmp_path, creds(), "first.json"))
        assert r.code == 0, r.err
        kube.calls.clear()
        return kube
    return make


def new_login(tmp_path, monkeypatch, exit_code: int = 0, doc: dict | None = None):
    """A fake `claude` on PATH whose `auth login` writes a new family; returns its record file."""
    record = tmp_path / "claude-saw.json"
    doc = doc or creds(refresh=other_refresh("RENEWED"), accessToken=NEW_ACCESS, expires_in_s=7200)
    fake_claude(tmp_path / "bin", doc, ACCOUNT, record, exit_code=exit_code)
    prepend_path(monkeypatch, tmp_path / "bin")
    return record


def renew_args(helm=None, *extra):
    return ["credentials", "renew", "--install", RELEASE, "-n", NS, "--timeout", "5",
            *(("--helm", helm) if helm else ("--skip-helm-test",)), *extra]


def secret_login(kube) -> dict:
    return json.loads(kube.secret_json(NS, SECRET)[KEY])["claudeAiOauth"]


# ---------------------------------------------------------------- the install, from its release

@pytest.mark.parametrize("mode", ["broker", "writeBack", "readOnly"])
def test_the_install_is_resolved_from_the_release_as_the_chart_renders_it(kube, mode):
    install(kube, mode)
    found = renew_mod.resolve(kube, NS, RELEASE)
    assert (found.target.name, found.target.key, found.modes) == (SECRET, KEY, [mode])
    names = {"aifactory", "aifactory-credentials-broker"} if mode == "broker" else {"aifactory"}
    assert set(found.deployments) == names


def test_no_release_is_refused_before_the_login(tmp_path, kube, run, monkeypatch):
    record = new_login(tmp_path, monkeypatch)
    r = run(*renew_args(), "--install", "other")
    assert r.code == 1 and "no Deployment of release 'other'" in r.err and "credentials login --install other" in r.err
    assert not record.exists(), "claude ran although the release has no login to renew"


def test_a_secret_the_release_does_not_use_is_refused(tmp_path, kube, first_login, run, monkeypatch):
    first_login(kube, "broker")
    record = new_login(tmp_path, monkeypatch)
    r = run(*renew_args(), "--secret", "claude-remote-credentials")
    assert r.code == 1 and f"uses Secret {SECRET}" in r.err and not record.exists()


# ---------------------------------------------------------------- broker mode: adopted, no restart

def test_broker_mode_hands_over_without_restart_and_retires_the_old_family(tmp_path, kube, first_login, run,
                                                                           monkeypatch):
    first_login(kube, "broker")
    broker_publishes(kube)
    record = new_login(tmp_path, monkeypatch)
    helm, helm_record = fake_helm(tmp_path)
    r = run(*renew_args(helm), "--format", "json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)                      # stdout is the JSON report and nothing else
    assert doc["command"] == "credentials renew" and doc["summary"]["exit_code"] == 0
    renewal = doc["renewal"]
    assert renewal["modes"] == ["broker"] and renewal["restarted"] == []
    assert [h["deployment"] for h in renewal["handedOver"]] == ["aifactory-credentials-broker"]
    assert renewal["retiredSpentId"] == sha16(FAKE_REFRESH) and renewal["verified"] == "helm test passed"
    assert secret_login(kube)["refreshToken"] == other_refresh("RENEWED")
    ann = kube.secrets[(NS, SECRET)]["metadata"]["annotations"]
    assert ann[SPENT].split() == [sha16(FAKE_REFRESH)]
    assert not [c for c in kube.calls if c[0] == "restart_deployment"], "broker mode restarted a workload"
    assert json.loads(helm_record.read_text())[:2] == ["test", RELEASE]
    assert json.loads(record.read_text())["mode"] == "0o700"
    assert "Login successful." in r.err, "claude's own output belongs on stderr"
    assert "waiting for the broker to adopt the new login" in r.err and "published the new login's access token" in r.err


def test_broker_not_publishing_is_exit_2_and_says_what_is_done_and_what_to_do(tmp_path, kube, first_login, run,
                                                                               monkeypatch):
    first_login(kube, "broker")
    kube.add_lease(NS, "aifactory-credentials-broker")        # no holder: the broker is down
    real_sleep = REAL_SLEEP
    monkeypatch.setattr(rotate_mod.time, "sleep", lambda s: real_sleep(0.05))
    new_login(tmp_path, monkeypatch)
    r = run(*renew_args(), "--timeout", "0.3")
    assert r.code == 2
    assert "did not publish the new login within 0s" in r.err and "no replica holds Lease" in r.err
    assert "the old family is retired" in r.err and "kubectl -n agents logs deploy/aifactory-credentials-broker" in r.err
    assert secret_login(kube)["refreshToken"] == other_refresh("RENEWED")


# ---------------------------------------------------------------- other modes: the rollout

def test_writeback_mode_rolls_the_workload_after_the_write(tmp_path, kube, first_login, run, monkeypatch):
    first_login(kube, "writeBack")
    new_login(tmp_path, monkeypatch)
    helm, _ = fake_helm(tmp_path)
    r = run(*renew_args(helm))
    assert r.code == 0, r.err
    order = [c[0] for c in kube.calls if c[0] in ("apply_secret", "restart_deployment")]
    assert order == ["apply_secret", "restart_deployment"]
    assert "restarted:   deployment/aifactory" in r.out and "helm test passed" in r.out
    assert f"retired (spent id {sha16(FAKE_REFRESH)}" in r.out
    assert kube.secrets[(NS, SECRET)]["metadata"]["annotations"][SPENT] == sha16(FAKE_REFRESH)


# ---------------------------------------------------------------- nothing changes unless the login succeeded

def _snapshot(kube) -> dict:
    return copy.deepcopy({"secrets": kube.secrets, "deployments": kube.deployments})


@pytest.mark.parametrize("case", ["claude fails", "inference-only login", "same login again"])
def test_a_failed_or_refused_login_changes_nothing(tmp_path, kube, first_login, run, monkeypatch, case):
    first_login(kube, "broker")
    before = _snapshot(kube)
    if case == "claude fails":
        new_login(tmp_path, monkeypatch, exit_code=1)
    elif case == "inference-only login":
        new_login(tmp_path, monkeypatch, doc=creds(refresh=other_refresh("X"), scopes=["user:inference"]))
    else:
        new_login(tmp_path, monkeypatch, doc=creds())
    r = run(*renew_args())
    assert r.code == (2 if case == "claude fails" else 1), r.err
    assert _snapshot(kube) == before
    assert not [c for c in kube.calls if c[0] in ("apply_secret", "restart_deployment")]
    if case == "claude fails":
        assert "nothing was changed" in r.err and "paste the code" in r.err


def test_an_aborted_login_changes_nothing(tmp_path, kube, first_login, run, monkeypatch):
    first_login(kube, "writeBack")
    before = _snapshot(kube)

    def interrupted(self):
        raise KeyboardInterrupt
    monkeypatch.setattr(sources.ClaudeLogin, "obtain", interrupted)
    r = run(*renew_args())
    assert r.code == 130 and "nothing in the cluster was changed" in r.err
    assert _snapshot(kube) == before


# ---------------------------------------------------------------- the old family, retired

def test_a_refresh_racing_the_write_retries_and_retires_both_old_tokens(tmp_path, kube, first_login, run,
                                                                        monkeypatch):
    first_login(kube, "broker")
    broker_publishes(kube)
    refreshed = other_refresh("REFRESHEDBYBROKER")

    def broker_refresh(fake):   # what the broker's persist() writes: the new pair, its predecessor spent
        s = fake.secrets[(NS, SECRET)]
        fake.add_secret(NS, SECRET, {KEY: creds(refresh=refreshed)}, labels=s["metadata"]["labels"],
                        annotations={**s["metadata"]["annotations"], SPENT: sha16(FAKE_REFRESH)})
    kube.before_apply = broker_refresh
    new_login(tmp_path, monkeypatch)
    r = run(*renew_args())
    assert r.code == 0, r.err
    assert "changed while writing" in r.err
    applies = [c for c in kube.calls if c[0] == "apply_secret" and c[2] == SECRET]
    assert len(applies) == 2, "the conditional apply was not retried"
    assert kube.secrets[(NS, SECRET)]["metadata"]["annotations"][SPENT].split() == [sha16(FAKE_REFRESH), sha16(refreshed)]
    assert secret_login(kube)["refreshToken"] == other_refresh("RENEWED")


def test_the_spent_list_keeps_the_brokers_entries_and_its_length(kube):
    older = [f"{i:016x}" for i in range(8)]
    assert broker.spent_list({SPENT: " ".join(older)}, "f" * 16).split() == older[1:] + ["f" * 16]
    assert broker.spent_list({}, "") == ""
    assert broker.spent_list({SPENT: "a b"}, "a").split() == ["b", "a"]


def _chart_script(name: str):
    """A chart script as a module, registered under its own name (the broker imports the sidecar's)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, CHART / "files" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    sys.path.insert(0, str(CHART / "files"))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(CHART / "files"))
    return module


def test_the_cli_names_a_refresh_token_as_the_broker_and_the_sidecar_do():
    wb, brk = _chart_script("credentials_writeback"), _chart_script("credentials_broker")
    for token in (FAKE_REFRESH, other_refresh("Z")):
        assert broker.spent_id(token) == wb.spent_id(token) == brk.spent_id(token) == sha16(token)
    assert broker.SPENT == wb.SPENT == brk.SPENT


def test_the_write_back_sidecar_never_writes_a_retired_login_back():
    wb = _chart_script("credentials_writeback")
    old = json.dumps(creds(expires_in_s=9000)).encode()          # the old pod's file, later than the new login
    new = json.dumps(creds(refresh=other_refresh("RENEWED"), expires_in_s=3600)).encode()
    # A sidecar that (re)started after the renewal remembers the new value as its own: only the
    # spent list stops the old family from going back.
    assert wb.decide(old, new, [new]).write
    decision = wb.decide(old, new, [new], (sha16(FAKE_REFRESH),))
    assert not decision.write and "retired login" in decision.reason


def test_renew_help_teaches_the_monthly_ceremony(run):
    r = run("credentials", "renew", "--help")
    assert r.code == 0
    for needle in ("the monthly ceremony", "aifactory-policy credentials renew  -n agents --install aifactory",
                   "open it on any device", "--format json", "exit codes:", "nothing changed",
                   "aifactory.dev/spent-refresh-tokens", "130 interrupted"):
        assert needle in r.out, needle
    assert "renew" in run("credentials", "--help").out


def test_status_flags_a_retired_login_put_back_after_a_renewal(tmp_path, kube, first_login, run, monkeypatch):
    first_login(kube, "writeBack")
    new_login(tmp_path, monkeypatch)
    assert run(*renew_args()).code == 0
    assert run("credentials", "status", "-n", NS).code == 0
    s = kube.secrets[(NS, SECRET)]                  # a restore of the data alone: the old family is back
    kube.add_secret(NS, SECRET, {KEY: creds()}, labels=s["metadata"]["labels"], annotations=s["metadata"]["annotations"])
    r = run("credentials", "status", "-n", NS, "--format", "json")
    assert r.code == 1
    problems = json.loads(r.out)["installs"][0]["problems"]
    assert any("holds a retired login" in p for p in problems), problems
