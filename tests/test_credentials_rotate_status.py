"""`credentials rotate` and `credentials status`, offline: in-memory API, a fake `helm`."""
from __future__ import annotations

import json
import sys

import pytest

from aifactory_policy.commands import credentials as creds_cli
from aifactory_policy.credentials import rotate as rotate_mod
from fake_kube_and_tools import NS, FakeKube, executable
from fake_credentials import creds, other_refresh
from test_credentials_create import run, write_creds  # noqa: F401 - the runner fixture

SECRET = "claude-remote-credentials"


@pytest.fixture
def kube(monkeypatch):
    fake = FakeKube()
    monkeypatch.setattr(creds_cli, "_api_kube", lambda args: fake)
    monkeypatch.setattr(rotate_mod.time, "sleep", lambda s: None)
    return fake


@pytest.fixture
def installed(tmp_path, kube, run):
    """Install 'aifactory' in writeBack mode with a login made by create-secret."""
    kube.add_deployment(NS, "aifactory", SECRET, mode="writeBack", sa="aifactory")
    r = run("credentials", "create-secret", "--install", "aifactory", "-n", NS,
            "--from-file", write_creds(tmp_path, creds(), "first.json"))
    assert r.code == 0, r.err
    return kube


def fake_helm(tmp_path, code=0):
    record = tmp_path / "helm-args.json"
    return executable(tmp_path / "bin" / "helm", f"""
        #!{sys.executable}
        import json, sys
        json.dump(sys.argv[1:], open({str(record)!r}, "w"))
        print("NAME: aifactory\\nPhase: {'Succeeded' if code == 0 else 'Failed'}")
        sys.exit({code})
    """), record


def rotate_args(tmp_path, helm, doc=None):
    new = write_creds(tmp_path, doc or creds(refresh=other_refresh("NEW"), expires_in_s=7200), "new.json")
    return ["credentials", "rotate", "--install", "aifactory", "-n", NS, "--from-file", new, "--helm", helm,
            "--timeout", "30"]


def test_rotate_replaces_restarts_waits_and_verifies(tmp_path, installed, run):
    before = dict(installed.secrets[(NS, SECRET)]["metadata"]["annotations"])
    helm, record = fake_helm(tmp_path)
    r = run(*rotate_args(tmp_path, helm))
    assert r.code == 0, r.err
    ann = installed.secrets[(NS, SECRET)]["metadata"]["annotations"]
    assert ann["aifactory.dev/fingerprint"] != before["aifactory.dev/fingerprint"]
    assert ann["aifactory.dev/rotated-at"].endswith("Z") and ann["aifactory.dev/rotated-by"] == "aifactory-policy"
    assert json.loads(installed.secret_json(NS, SECRET)["credentials.json"])["claudeAiOauth"]["refreshToken"] == \
        other_refresh("NEW")
    restarts = [c for c in installed.calls if c[0] == "restart_deployment"]
    assert [c[2] for c in restarts] == ["aifactory"]
    tmpl = installed.deployments[(NS, "aifactory")]["spec"]["template"]["metadata"]["annotations"]
    assert tmpl["kubectl.kubernetes.io/restartedAt"] == restarts[0][3]
    # the Secret is applied before the restart: the new pod can only start with the new pair
    order = [c[0] for c in installed.calls if c[0] in ("apply_secret", "restart_deployment")]
    assert order[-2:] == ["apply_secret", "restart_deployment"]
    assert json.loads(record.read_text())[:4] == ["test", "aifactory", "-n", NS]
    assert "--kubeconfig" not in json.loads(record.read_text())
    old_fp, new_fp = before["aifactory.dev/fingerprint"][12:24], ann["aifactory.dev/fingerprint"][12:24]
    assert f"fingerprint: {old_fp} -> {new_fp}" in r.out
    assert "expires:" in r.out and "restarted:   deployment/aifactory" in r.out and "helm test passed" in r.out
    assert "restarting deployment/aifactory (mode writeBack" in r.err and "rolled out" in r.err


def test_rotate_takes_the_data_key_back_from_the_sidecar_with_force(tmp_path, installed, run):
    helm, _ = fake_helm(tmp_path)
    assert run(*rotate_args(tmp_path, helm)).code == 0
    applies = [c for c in installed.calls if c[0] == "apply_secret" and c[2] == SECRET]
    assert applies[-1][3] is True  # force: the write-back sidecar's field manager owns data[key]


def test_rotate_failing_helm_test_is_exit_1(tmp_path, installed, run):
    helm, _ = fake_helm(tmp_path, code=1)
    r = run(*rotate_args(tmp_path, helm))
    assert r.code == 1 and "helm test FAILED" in r.out and "Phase: Failed" in r.err


def test_rotate_rollout_timeout_is_exit_2(tmp_path, installed, run):
    installed.never_roll_out = True
    helm, record = fake_helm(tmp_path)
    args = rotate_args(tmp_path, helm)
    args[args.index("--timeout") + 1] = "0"
    r = run(*args)
    assert r.code == 2 and "did not finish rolling out within 0s" in r.err and "kubectl -n agents describe" in r.err
    assert not record.exists(), "no helm test after a failed rollout"


def test_rotate_to_the_same_login_is_refused(tmp_path, installed, run):
    helm, _ = fake_helm(tmp_path)
    r = run(*rotate_args(tmp_path, helm, doc=creds()))
    assert r.code == 1 and "the login the Secret already holds" in r.err
    assert not [c for c in installed.calls if c[0] == "restart_deployment"]


def test_rotate_refuses_an_invalid_new_login_and_touches_nothing(tmp_path, installed, run):
    helm, _ = fake_helm(tmp_path)
    before = json.dumps(installed.secrets[(NS, SECRET)], sort_keys=True)
    r = run(*rotate_args(tmp_path, helm, doc=creds(refresh=other_refresh("NEW"), scopes=["user:inference"])))
    assert r.code == 1 and "full-scope" in r.err
    assert json.dumps(installed.secrets[(NS, SECRET)], sort_keys=True) == before
    assert not [c for c in installed.calls if c[0] == "restart_deployment"]


def test_rotate_without_a_secret(tmp_path, kube, run):
    helm, _ = fake_helm(tmp_path)
    r = run(*rotate_args(tmp_path, helm))
    assert r.code == 1 and "does not exist: nothing to rotate" in r.err


def test_rotate_without_workload_skips_restart(tmp_path, kube, run):
    assert run("credentials", "create-secret", "--install", "aifactory", "-n", NS,
               "--from-file", write_creds(tmp_path, creds(), "first.json")).code == 0
    helm, record = fake_helm(tmp_path)
    r = run(*rotate_args(tmp_path, helm))
    assert r.code == 0 and "nothing to restart" in r.err and "restarted:   none" in r.out
    assert not record.exists()


def test_rotate_missing_helm_cannot_evaluate(tmp_path, installed, run):
    r = run(*rotate_args(tmp_path, str(tmp_path / "no-helm")))
    assert r.code == 2 and "--skip-helm-test" in r.err


# ---------------------------------------------------------------- status

def test_status_reports_age_expiry_scopes_fingerprint_mode(tmp_path, installed, run):
    r = run("credentials", "status", "-n", NS)
    assert r.code == 0, r.err
    assert "install aifactory (namespace agents)" in r.out
    assert f"secret:        {SECRET} key credentials.json" in r.out
    assert "owner:         system:serviceaccount:agents:aifactory" in r.out
    assert "token family:  created" in r.out and "access token:  expires" in r.out
    assert "scopes:        user:inference user:profile user:sessions:claude_code" in r.out
    assert ": match" in r.out and "mode:          writeBack  deployment/aifactory" in r.out


def test_status_json(tmp_path, installed, run):
    r = run("credentials", "status", "-n", NS, "--format", "json")
    row = json.loads(r.out)["installs"][0]
    assert row["install"] == "aifactory" and row["mode"] == "writeBack" and row["fingerprintMatch"] == "match"
    assert row["familyAgeSeconds"] >= 0 and row["expiresInSeconds"] > 3000 and row["problems"] == []


def test_status_explains_a_write_back_and_flags_a_hand_edit(tmp_path, installed, run):
    import base64
    s = installed.secrets[(NS, SECRET)]
    s["data"]["credentials.json"] = base64.b64encode(
        json.dumps(creds(refresh=other_refresh("REFRESHED"))).encode()).decode()
    s["metadata"]["annotations"].update({"aifactory.dev/rotated-at": "2030-01-01T00:00:00Z",
                                         "aifactory.dev/rotated-by": "aifactory-credentials-writeback"})
    r = run("credentials", "status", "-n", NS)
    assert r.code == 0 and "refreshed in the pod (written back by aifactory-credentials-writeback" in r.out
    s["metadata"]["annotations"].pop("aifactory.dev/rotated-by")
    r = run("credentials", "status", "-n", NS)
    assert r.code == 1 and "MISMATCH" in r.out and "PROBLEM:       fingerprint mismatch" in r.out


def test_status_flags_a_shared_login_and_an_unusable_one(tmp_path, kube, run):
    f = write_creds(tmp_path, creds())
    assert run("credentials", "create-secret", "--install", "a", "-n", NS, "--secret", "a-creds", "--from-file", f).code == 0
    assert run("credentials", "create-secret", "--install", "b", "-n", NS, "--secret", "b-creds", "--from-file", f,
               "--force").code == 0
    import base64
    kube.secrets[(NS, "a-creds")]["data"]["credentials.json"] = base64.b64encode(
        json.dumps(creds(scopes=["user:inference"])).encode()).decode()
    kube.secrets[(NS, "b-creds")]["data"]["other"] = "eA=="
    r = run("credentials", "status", "-n", NS)
    assert r.code == 1
    assert "not a full-scope login" in r.out
    kube.secrets[(NS, "a-creds")]["data"]["credentials.json"] = kube.secrets[(NS, "b-creds")]["data"]["credentials.json"]
    r = run("credentials", "status", "-n", NS)
    assert "two holders of one token family" in r.out


def test_status_reports_workloads_with_missing_or_unmanaged_secrets(tmp_path, kube, run):
    kube.add_deployment(NS, "lost", "nowhere", mode="readOnly", install="lost")
    kube.add_deployment(NS, "byhand", "kubectl-made", mode="readOnly", install="byhand")
    kube.add_secret(NS, "kubectl-made", {"credentials.json": creds()})
    r = run("credentials", "status", "-A")
    assert r.code == 1
    assert "Secret agents/nowhere is missing" in r.out and "was not made by aifactory-policy" in r.out


def test_status_empty(kube, run):
    r = run("credentials", "status", "-n", NS)
    assert r.code == 0 and "no credentials Secrets" in r.out


def test_help_teaches_every_command(run):
    for cmd in ("login", "create-secret", "rotate", "status"):
        r = run("credentials", cmd, "--help")
        assert r.code == 0 and "exit codes:" in r.out
    r = run("credentials", "--help")
    assert "aifactory.dev/fingerprint" in r.out and "system:serviceaccount:<namespace>:<name>" in r.out
    r = run("--help")
    assert "credentials" in r.out


def test_rotate_passes_kubeconfig_and_context_to_helm(tmp_path, installed, run):
    helm, record = fake_helm(tmp_path)
    r = run(*rotate_args(tmp_path, helm), "--kubeconfig", tmp_path / "kc", "--context", "kind-x")
    assert r.code == 0, r.err
    args = json.loads(record.read_text())
    assert args[args.index("--kubeconfig") + 1] == str(tmp_path / "kc") and args[args.index("--kube-context") + 1] == "kind-x"


def _store(kube, doc):
    import base64
    kube.secrets[(NS, SECRET)]["data"]["credentials.json"] = base64.b64encode(json.dumps(doc).encode()).decode()


@pytest.mark.parametrize("mode,expires_in_s,rotated_at,health,code", [
    ("writeBack", 3600, None, "healthy", 0),
    ("readOnly", 3600, None, "healthy", 0),
    ("readOnly", 120, None, "dead", 1),            # inside Claude Code's 5-minute refresh margin
    ("ownedCopy", -7200, None, "dead", 1),
    ("writeBack", -600, None, "healthy", 0),       # just expired: the next task refreshes it
    ("writeBack", -7200, None, "expired, not written back", 0),   # idle agent, or dead: not certain
    ("writeBack", -7200, "2999-01-01T00:00:00Z", "healthy", 0),  # written back since
], ids=["wb-valid", "ro-valid", "ro-in-margin", "oc-expired", "wb-just-expired", "wb-expired-idle", "wb-written"])
def test_status_tells_a_dead_login_from_a_healthy_one(tmp_path, kube, run, mode, expires_in_s, rotated_at, health,
                                                       code):
    kube.add_deployment(NS, "aifactory", SECRET, mode=mode, sa="aifactory")
    assert run("credentials", "create-secret", "--install", "aifactory", "-n", NS,
               "--from-file", write_creds(tmp_path, creds(), "first.json")).code == 0
    _store(kube, creds(expires_in_s=expires_in_s))
    if rotated_at:
        kube.secrets[(NS, SECRET)]["metadata"]["annotations"].update(
            {"aifactory.dev/rotated-at": rotated_at, "aifactory.dev/rotated-by": "aifactory-credentials-writeback"})
    r = run("credentials", "status", "-n", NS, "--format", "json")
    row = json.loads(r.out)["installs"][0]
    assert (row["health"], r.code) == (health, code), row
    if health == "dead":
        assert any(p.startswith("DEAD since") and "writeBack" in p for p in row["problems"])
    text = run("credentials", "status", "-n", NS).out
    assert f"health:        {health}" in text


def test_status_reads_the_sidecars_trace_of_a_refused_refresh(tmp_path, installed, run):
    installed.secrets[(NS, SECRET)]["metadata"]["annotations"].update(
        {"aifactory.dev/login-state": "refresh-refused", "aifactory.dev/login-state-at": "2026-12-01T05:00:00Z"})
    r = run("credentials", "status", "-n", NS)
    assert r.code == 1 and "health:        dead" in r.out
    assert "PROBLEM:       DEAD: Claude Code's refresh of this login was refused at 2026-12-01T05:00:00Z" in r.out


def test_the_sidecar_and_the_cli_name_the_login_state_the_same(tmp_path):
    """The stdlib-only sidecar keeps its own copy of the annotation keys; this pins them together."""
    from aifactory_policy.credentials import secret as sec
    from test_writeback_sidecar import wb
    assert (wb.LOGIN_STATE, wb.LOGIN_STATE_AT, wb.REFRESH_REFUSED, wb.ROTATED_AT, wb.ROTATED_BY) == \
        (sec.LOGIN_STATE, sec.LOGIN_STATE_AT, sec.REFRESH_REFUSED, sec.ROTATED_AT, sec.ROTATED_BY)
    from aifactory_policy.credentials import deadline
    assert (wb.LOGIN_ENDS_AT, wb.LOGIN_WARN_DAYS) == (deadline.ANNOTATION, deadline.DEFAULT_WARN_DAYS)


def test_status_of_a_login_no_workload_uses_is_not_called_healthy(tmp_path, kube, run):
    assert run("credentials", "create-secret", "--install", "spare", "-n", NS,
               "--from-file", write_creds(tmp_path, creds(expires_in_s=-7200), "spare.json")).code == 0
    row = json.loads(run("credentials", "status", "-n", NS, "--format", "json").out)["installs"][0]
    assert row["health"] == "not in use (no workload mounts it)" and row["problems"] == []


def test_status_warns_about_a_login_without_the_sessions_scope(tmp_path, installed, run):
    _store(installed, creds(scopes=["user:inference", "user:profile"]))
    r = run("credentials", "status", "-n", NS, "--format", "json")
    assert r.code == 0, r.out   # a warning: Claude Code itself accepts the login
    doc = json.loads(r.out)
    [warning] = doc["installs"][0]["warnings"]
    assert "lacks `user:sessions:claude_code`" in warning
    assert [f["severity"] for f in doc["findings"]] == ["warning"]
    text = run("credentials", "status", "-n", NS).out
    assert "no user:sessions:claude_code: see the warning" in text and "WARNING:       `claudeAiOauth.scopes`" in text


def _ends_in(days):
    import time
    return int((time.time() + days * 86400) * 1000)


@pytest.mark.parametrize("end,flags,state,severities,code,shown", [
    (30, (), "ok", [], 0, "(in 29 days; claudeAiOauth.refreshTokenExpiresAt, stored by Claude Code)"),
    (5, (), "ends soon", ["warning"], 0, "(in 4 days; claudeAiOauth.refreshTokenExpiresAt"),
    (5, ("--warn-days", "3"), "ok", [], 0, "(in 4 days;"),
    (0.25, ("--warn-days", "0"), "ok", [], 0, "(in 5 hours;"),
    (-2, (), "ended", ["error"], 1, "(ENDED 2 days ago;"),
    (None, (), "unknown", [], 0, "unknown (the login holds no claudeAiOauth.refreshTokenExpiresAt"),
    ("soon", (), "unknown", [], 0, "unknown (claudeAiOauth.refreshTokenExpiresAt is not a positive number"),
], ids=["30d", "5d", "5d-warn-3", "6h-warn-0", "ended", "not-stored", "malformed"])
def test_status_reads_the_login_end(tmp_path, installed, run, end, flags, state, severities, code, shown):
    """The end is what Claude Code stored (measured: tests/test_login_end_real_claude.py); a login
    without it is unknown, never estimated."""
    stored = None if end is None else end if isinstance(end, str) else _ends_in(end)
    _store(installed, creds() if stored is None else creds(refreshTokenExpiresAt=stored))
    r = run("credentials", "status", "-n", NS, "--format", "json", *flags)
    doc = json.loads(r.out)
    row = doc["installs"][0]
    assert (r.code, row["loginEndState"], [f["severity"] for f in doc["findings"]]) == (code, state, severities), row
    if isinstance(stored, int):
        assert row["loginEndsAt"] == time_of(stored) and row["loginEndUnknown"] is None
        assert abs(row["loginEndsInSeconds"] - end * 86400) < 60
    else:
        assert row["loginEndsAt"] is None and row["loginEndsInSeconds"] is None and row["loginEndUnknown"]
    if state == "ends soon":
        assert "within the 7-day warning" in row["warnings"][0] and "credentials login" in row["warnings"][0]
    if state == "ended":
        assert row["problems"][0].startswith("the login ended at ")
    text = run("credentials", "status", "-n", NS, *flags).out
    assert "  login ends:    " in text and shown in text, text


def time_of(ms):
    import time
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms / 1000))


def test_status_rejects_a_bad_warn_days(installed, run):
    r = run("credentials", "status", "-n", NS, "--warn-days", "soon")
    assert r.code == 2 and "--warn-days" in r.err and "not a number of days" in r.err


def test_a_refused_login_past_its_end_is_one_problem(tmp_path, installed, run):
    _store(installed, creds(refreshTokenExpiresAt=_ends_in(-1)))
    installed.secrets[(NS, SECRET)]["metadata"]["annotations"].update(
        {"aifactory.dev/login-state": "refresh-refused", "aifactory.dev/login-state-at": "2026-12-01T05:00:00Z"})
    row = json.loads(run("credentials", "status", "-n", NS, "--format", "json").out)["installs"][0]
    assert len(row["problems"]) == 1 and row["problems"][0].startswith("DEAD: Claude Code's refresh")
