"""`credentials renew` end to end, offline, with nothing of Claude Code simulated: the REAL
`claude auth login` (code-paste flow: no browser on this machine) against the fake authorization
server (tests/fake_anthropic.py), `aifactory-policy` as a process on a pseudo-terminal, the chart's
broker and receiver scripts with the real Claude Code, and a fake API server holding the release's
Deployments as the real chart renders them (tests/broker_rig.py).

The operator (tests/renew_driver.py) reads the URL on stderr, "opens it on another device" (an HTTPS
GET to the fake, which answers the code its page shows) and types the code. Checked: the broker
adopts the new family without a restart and the agent's next task runs on it; the old family is
never presented again, also when it is put back into the Secret afterwards (with its annotations
lost, and onto a fresh broker pod); stdout is the JSON report only; the code is not echoed; no token
is printed; a wrong code and Ctrl-C change nothing in the cluster.
"""
from __future__ import annotations

import glob
import hashlib
import json
import os
import sys
from pathlib import Path
import time

import pytest

from broker_rig import KEY, SOURCE, BrokerRig, wait_until
from chart_render import helm_template
from claude_sandbox import clean_environ, login
from fake_anthropic import Switches
from helpers import REPO, yaml_docs
from lifecycle_fixtures import endpoint, tls  # noqa: F401  (fixtures)
from renew_driver import browser, operate

SINGLE_USE = Switches(access_lifetime_s=3600, single_use=True, revoke_family_on_reuse=True)
RELEASE = "rel"
SPENT = "aifactory.dev/spent-refresh-tokens"
MANAGED = {"aifactory.dev/install": RELEASE, "aifactory.dev/credentials": "claude-code",
           "app.kubernetes.io/managed-by": "aifactory-policy"}


def sha16(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def oauth(doc: dict) -> dict:
    return doc.get("claudeAiOauth") or {}


@pytest.fixture
def rig(claude_cli, endpoint, tmp_path):
    r = BrokerRig(tmp_path, claude_cli, endpoint)
    rendered = helm_template("helm3", "--set", "remoteControl.enabled=true",
                             "--set", f"remoteControl.credentialsSecretName={SOURCE}", release=RELEASE, namespace="ns")
    assert rendered.returncode == 0, rendered.stderr
    for d in yaml_docs(rendered.stdout):
        if d["kind"] == "Deployment":
            r.kube.store.put_object("deployments", d["metadata"]["name"], d)
    assert {d["metadata"]["name"] for d in r.kube.store.items("deployments")} == \
        {"rel-aifactory", "rel-aifactory-credentials-broker"}
    yield r
    r.close()


def first_login(rig, tag: str = "old", expires_in_s: float = 3600) -> dict:
    """The install's current login, made earlier by `credentials login` (enrolled at the fake)."""
    doc = login(tag, expires_in_s)
    rig.endpoint.authority.enroll(doc)
    rig.kube.store.secret(SOURCE, {KEY: json.dumps(doc)})
    obj = rig.kube.store.get("secrets", SOURCE)
    obj["metadata"]["labels"] = dict(MANAGED)
    rig.kube.store.put_object("secrets", SOURCE, obj)
    return doc


def kubeconfig(rig, tmp_path) -> str:
    path = tmp_path / "kubeconfig"
    path.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "fake",
        "clusters": [{"name": "fake", "cluster": {"server": rig.kube.url}}],
        "users": [{"name": "fake", "user": {"token": "fake-bearer"}}],
        "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "fake", "namespace": "ns"}}]}))
    return str(path)


def renew(rig, tmp_path, *extra: str, **kw):
    argv = [sys.executable, "-m", "aifactory_policy", "credentials", "renew", "--install", RELEASE,
            "--kubeconfig", kubeconfig(rig, tmp_path), "--claude", str(rig.wrapper), "--skip-helm-test",
            "--timeout", "30", "--login-timeout", "120", *extra]
    home = tmp_path / "operator-home"
    home.mkdir(exist_ok=True)
    env = {**clean_environ(), "HOME": str(home), "NODE_EXTRA_CA_CERTS": str(rig.endpoint.ca),
           "PYTHONPATH": str(REPO / "src"), "TMPDIR": str(operator_tmp(tmp_path))}
    host, port = rig.endpoint.server.address[:2]
    result = operate(argv, env, browser(host, port, str(rig.endpoint.ca)), **kw)
    for text in (result.out, result.err, result.terminal):
        assert "sk-ant-ort01-FAKE" not in text and "sk-ant-oat01-FAKE" not in text, "a token reached the terminal"
    return result


def operator_tmp(tmp_path) -> Path:
    """The CLI's own TMPDIR: its throwaway login directories are this test's alone to count (other
    tests' logins run at the same time in other pytest workers)."""
    path = tmp_path / "operator-tmp"
    path.mkdir(exist_ok=True)
    return path


def login_dirs(tmp_path) -> set:
    return set(glob.glob(os.path.join(operator_tmp(tmp_path), "aifactory-login-*")))


@pytest.mark.parametrize("endpoint", [SINGLE_USE], indirect=True)
def test_renew_with_the_real_login_flow_switches_the_broker_and_never_presents_the_old_family(rig, tmp_path):
    old = first_login(rig)
    receiver, agent = rig.receiver()
    broker = rig.broker()
    wait_until(lambda: agent.credentials.exists(), 20, "the first access login in the agent")
    assert agent.task().code == 0
    dirs = login_dirs(tmp_path)

    r = renew(rig, tmp_path, "--format", "json")
    assert r.code == 0, r.err[-3000:]
    # What the operator saw: the URL to open anywhere, on stderr; the code typed was not echoed.
    assert r.url.startswith("https://claude.ai/oauth/authorize?") and r.url in r.err
    assert "open the URL above on any device" in r.err and "Paste code here if prompted" in r.err
    assert r.pasted.startswith("fake-code-") and r.pasted not in r.terminal and r.pasted not in r.err
    assert "Login successful." in r.err                       # Claude Code's own output, on stderr
    report = json.loads(r.out)                                # stdout: the JSON report, nothing else
    renewal = report["renewal"]
    assert report["command"] == "credentials renew" and renewal["secret"] == SOURCE and renewal["key"] == KEY
    assert renewal["modes"] == ["broker"] and renewal["restarted"] == []
    assert renewal["retiredSpentId"] == sha16(oauth(old)["refreshToken"])
    assert [h["deployment"] for h in renewal["handedOver"]] == [f"{RELEASE}-aifactory-credentials-broker"]
    assert login_dirs(tmp_path) == dirs, "the throwaway CLAUDE_CONFIG_DIR was left behind"

    # The new family is the one the fake's authorization server issued to this login, and only the
    # broker (through the Secret) holds it.
    logins = rig.endpoint.authority.logins()
    assert [x["outcome"] for x in logins] == ["issued"]
    new = oauth(rig.source_login())
    assert rig.endpoint.fp(new["refreshToken"]) == logins[0]["issued_refresh"]
    annotations = rig.kube.store.get("secrets", SOURCE)["metadata"]["annotations"]
    assert sha16(oauth(old)["refreshToken"]) in annotations[SPENT].split()
    wait_until(lambda: oauth(rig.access_login()).get("accessToken") == new["accessToken"], 10, "the publication")
    wait_until(lambda: oauth(json.loads(agent.credentials.read_text())).get("accessToken") == new["accessToken"],
               10, "the new access token in the agent")
    assert "refreshToken" not in oauth(json.loads(agent.credentials.read_text()))
    before = len(rig.endpoint.authority.records)
    assert agent.task().code == 0
    used = {x.get("family") for x in rig.endpoint.authority.records[before:] if x["path"] == "/v1/messages"}
    assert used == {logins[0]["family"]}, "the agent's task did not run on the renewed family"
    assert rig.endpoint.refreshes() == []
    print(f"renew: code typed -> exit {r.seconds:.1f}s; broker published the new access token "
          f"{renewal['handedOver'][0]['publishedAfterSeconds']:.2f}s after the write")

    # The old family put back, due for a refresh, with the annotations lost (a restore): the broker
    # that held the new login keeps it and writes it back instead of presenting the old token.
    restored = json.loads(json.dumps(old))
    restored["claudeAiOauth"]["expiresAt"] = int((time.time() + 30) * 1000)    # inside the lead: due at once
    rig.kube.store.secret(SOURCE, {KEY: json.dumps(restored)})
    wait_until(lambda: oauth(rig.source_login()).get("refreshToken") == new["refreshToken"], 20,
               "the broker writing the renewed login back over the restored one")
    # The same onto a fresh broker pod (no private HOME), the annotations restored with it.
    assert broker.stop() == 0
    rig.kube.store.secret(SOURCE, {KEY: json.dumps(restored)}, annotations=annotations)
    fresh = rig.broker("new-pod")
    wait_until(lambda: "already exchanged" in fresh.text(), 20, "the new broker refusing the retired login")
    time.sleep(2)
    old_fp = rig.endpoint.fp(oauth(old)["refreshToken"])
    assert old_fp not in rig.presented(), "the old family was presented again"
    assert rig.endpoint.refreshes() == []


@pytest.mark.parametrize("endpoint", [SINGLE_USE], indirect=True)
@pytest.mark.parametrize("how", ["a wrong code", "Ctrl-C at the prompt"])
def test_a_failed_or_aborted_login_changes_nothing_in_the_cluster(rig, tmp_path, how):
    first_login(rig)
    before = rig.kube.store.get("secrets", SOURCE)
    dirs = login_dirs(tmp_path)
    writes = len(rig.kube.store.writes)
    if how == "a wrong code":
        r = renew(rig, tmp_path, paste="fake-code-not-issued#state")
        assert r.code == 2 and "That code wasn't accepted" in r.err and "nothing was changed" in r.err
        assert [x["outcome"] for x in rig.endpoint.authority.logins()] == ["unknown-code"]
    else:
        r = renew(rig, tmp_path, interrupt=True)
        assert r.code == 130 and "nothing in the cluster was changed" in r.err
    assert r.url, r.err[-2000:]
    assert rig.kube.store.get("secrets", SOURCE) == before
    assert len(rig.kube.store.writes) == writes and rig.kube.store.get("secrets", "aifactory-fingerprint-key") is None
    assert login_dirs(tmp_path) == dirs, "the throwaway CLAUDE_CONFIG_DIR was left behind"
