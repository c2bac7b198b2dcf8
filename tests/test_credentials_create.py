"""`credentials create-secret` / `login`: validation and refusal paths, sources, what is written, and
that no output ever holds a token. Offline: the Kubernetes API is an in-memory fake."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass

import pytest
import yaml

from aifactory_policy.cli import main
from aifactory_policy.commands import credentials as creds_cli
from fake_kube_and_tools import NS, FakeKube, fake_claude, fake_security, prepend_path
from chart_render import helm_template
from fake_credentials import creds, other_refresh, FAKE_REFRESH, leaked

ACCOUNT = {"accountUuid": "00000000-0000-4000-8000-000000000001",
           "organizationUuid": "00000000-0000-4000-8000-000000000002",
           "emailAddress": "aifactory-bot@example.com"}
BASE = ["credentials", "create-secret", "--install", "aifactory", "-n", NS]


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def kube(monkeypatch):
    fake = FakeKube()
    monkeypatch.setattr(creds_cli, "_api_kube", lambda args: fake)
    return fake


@pytest.fixture
def run(capsys):
    def go(*args, stdin: str | None = None, monkeypatch=None) -> Run:
        capsys.readouterr()
        code = main([str(a) for a in args])
        cap = capsys.readouterr()
        assert not leaked(cap.out) and not leaked(cap.err), "a token reached the output"
        assert "sk-ant-ort01-FAKE" not in cap.out + cap.err and "sk-ant-oat01-FAKE" not in cap.out + cap.err
        return Run(code, cap.out, cap.err)
    return go


def write_creds(tmp_path, doc, name="credentials.json"):
    p = tmp_path / name
    p.write_text(json.dumps(doc) if not isinstance(doc, str) else doc, encoding="utf-8")
    return p


def hmac_of(key: bytes, token: str) -> str:
    return "hmac-sha256:" + hmac.new(key, token.encode(), hashlib.sha256).hexdigest()


# ---------------------------------------------------------------- success: what is written


def test_from_file_writes_secret_by_apply_with_labels_annotations_and_prints_snippet(tmp_path, kube, run):
    f = write_creds(tmp_path, creds())
    (tmp_path / ".claude.json").write_text(json.dumps({"oauthAccount": ACCOUNT}))
    r = run(*BASE, "--from-file", f, "--owner", f"system:serviceaccount:{NS}:aifactory")
    assert r.code == 0, r.err
    s = kube.secrets[(NS, "claude-remote-credentials")]
    assert s["type"] == "Opaque"
    assert json.loads(base64.b64decode(s["data"]["credentials.json"])) == json.loads(f.read_text())
    assert s["metadata"]["labels"] == {"aifactory.dev/install": "aifactory", "aifactory.dev/credentials": "claude-code",
                                       "app.kubernetes.io/managed-by": "aifactory-policy"}
    ann = s["metadata"]["annotations"]
    assert ann["aifactory.dev/owner"] == f"system:serviceaccount:{NS}:aifactory"
    assert ann["aifactory.dev/created-at"].endswith("Z") and "aifactory.dev/rotated-at" not in ann
    key = base64.b64decode(kube.secrets[(NS, "aifactory-fingerprint-key")]["data"]["key"])
    assert len(key) == 32
    assert ann["aifactory.dev/fingerprint"] == hmac_of(key, FAKE_REFRESH)  # keyed, not sha256(token)
    assert ann["aifactory.dev/fingerprint"] != "hmac-sha256:" + hashlib.sha256(FAKE_REFRESH.encode()).hexdigest()
    assert ann["aifactory.dev/scopes"] == "user:inference user:profile user:sessions:claude_code"
    # written through server-side apply, nothing else
    assert [c[0] for c in kube.calls].count("apply_secret") == 2
    snippet = yaml.safe_load(r.out)
    assert snippet["remoteControl"] == {"enabled": True, "credentialsSecretName": "claude-remote-credentials",
                                        "credentialsSecretKey": "credentials.json", "mode": "broker",
                                        "claudeState": {"oauthAccount": ACCOUNT}}
    assert "applied Secret agents/claude-remote-credentials" in r.err


@pytest.mark.parametrize("mode", ["broker", "writeBack", "ownedCopy", "readOnly"])
def test_the_printed_snippet_is_values_the_real_chart_accepts(tmp_path, kube, run, mode):
    """The snippet is what an operator pastes into `helm upgrade -f`: the real chart must render with it
    (schema and guards), in the mode asked for, with the Secret it names."""
    f = write_creds(tmp_path, creds())
    (tmp_path / ".claude.json").write_text(json.dumps({"oauthAccount": ACCOUNT}))
    r = run(*BASE, "--from-file", f, "--owner", f"system:serviceaccount:{NS}:aifactory", "--mode", mode)
    assert r.code == 0, r.err
    values = tmp_path / "values.yaml"
    values.write_text(r.out)
    rendered = helm_template("helm3", "-f", str(values), release="aifactory", namespace=NS)
    assert rendered.returncode == 0, rendered.stderr
    docs = [d for d in yaml.safe_load_all(rendered.stdout) if d]
    brokers = [d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"].endswith("-credentials-broker")]
    assert len(brokers) == (1 if mode == "broker" else 0)
    assert "claude-remote-credentials" in rendered.stdout


def test_nothing_written_to_disk_and_dry_run_writes_nothing(tmp_path, kube, run):
    f = write_creds(tmp_path, creds())
    before = sorted(p.name for p in tmp_path.iterdir())
    r = run(*BASE, "--from-file", f, "--owner", f"system:serviceaccount:{NS}:aifactory", "--dry-run")
    assert r.code == 0, r.err
    assert kube.secrets == {} and "nothing written" in r.err
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_default_owner_is_the_install_deployments_service_account(tmp_path, kube, run):
    kube.add_deployment(NS, "aifactory", "claude-remote-credentials", sa="agent-sa")
    r = run(*BASE, "--from-file", write_creds(tmp_path, creds()))
    assert r.code == 0, r.err
    ann = kube.secrets[(NS, "claude-remote-credentials")]["metadata"]["annotations"]
    assert ann["aifactory.dev/owner"] == f"system:serviceaccount:{NS}:agent-sa"


def test_default_owner_without_deployment_is_the_charts_default_name(tmp_path, kube, run):
    r = run("credentials", "create-secret", "--install", "demo", "-n", NS, "--from-file", write_creds(tmp_path, creds()))
    assert r.code == 0, r.err
    ann = kube.secrets[(NS, "claude-remote-credentials")]["metadata"]["annotations"]
    assert ann["aifactory.dev/owner"] == f"system:serviceaccount:{NS}:demo-aifactory"


def test_from_stdin(tmp_path, kube, run, monkeypatch):
    import io
    import sys
    data = json.dumps(creds()).encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    r = run(*BASE, "--from-stdin")
    assert r.code == 0, r.err
    assert kube.secret_json(NS, "claude-remote-credentials")["credentials.json"] == data
    assert "no oauthAccount found" in r.err  # stdin carries no .claude.json: says how to get it


def test_fingerprint_key_file_is_used_instead_of_the_secret(tmp_path, kube, run):
    keyfile = tmp_path / "fp.key"
    keyfile.write_bytes(b"k" * 32)
    r = run(*BASE, "--from-file", write_creds(tmp_path, creds()), "--fingerprint-key-file", keyfile)
    assert r.code == 0, r.err
    assert (NS, "aifactory-fingerprint-key") not in kube.secrets
    ann = kube.secrets[(NS, "claude-remote-credentials")]["metadata"]["annotations"]
    assert ann["aifactory.dev/fingerprint"] == hmac_of(b"k" * 32, FAKE_REFRESH)


def test_short_fingerprint_key_file_cannot_evaluate(tmp_path, kube, run):
    keyfile = tmp_path / "fp.key"
    keyfile.write_bytes(b"short")
    r = run(*BASE, "--from-file", write_creds(tmp_path, creds()), "--fingerprint-key-file", keyfile)
    assert r.code == 2 and "fewer than 16" in r.err and kube.secrets == {}


# ---------------------------------------------------------------- validation refusals (exit 1)

REFUSALS = [
    (creds(scopes=["user:inference"]), "not a full-scope login"),
    (creds(scopes=["user:inference", "user:sessions:claude_code"]), "Remote Control requires a full-scope login token"),
    (creds(scopes=["user:sessions:claude_code"]), "requires a claude.ai subscription"),
    (creds(refresh=None), "`claudeAiOauth.refreshToken` is missing or empty"),
    (creds(refresh=""), "`claudeAiOauth.refreshToken` is missing or empty"),
    (creds(expiresAt="tomorrow"), "`claudeAiOauth.expiresAt` must be a positive integer"),
    (creds(scopes="user:inference user:profile"), "`claudeAiOauth.scopes` must be a list"),
    (creds(accessToken=""), "`claudeAiOauth.accessToken` is missing or empty"),
    ({"oauth": {}}, "no `claudeAiOauth` object"),
    ("{not json", "is not JSON"),
    ("", "is empty"),
    ("sk-ant-oat01-FAKEaccessTOKENsetupTOKENonly0123456789\n", "bare token (as `claude setup-token` prints)"),
    ("sk-ant-api03-FAKEapiKEYonly0123456789abcdef\n", "Anthropic API key"),
]


@pytest.mark.parametrize("doc,message", REFUSALS, ids=[m[:30] for _, m in REFUSALS])
def test_invalid_logins_are_refused_with_the_reason_and_nothing_written(tmp_path, kube, run, doc, message):
    r = run(*BASE, "--from-file", write_creds(tmp_path, doc))
    assert r.code == 1, r.err
    assert message in r.err and "Fix:" in r.err and str(tmp_path) in r.err
    assert kube.secrets == {}


def test_expired_access_token_is_a_warning_not_a_refusal(tmp_path, kube, run):
    r = run(*BASE, "--from-file", write_creds(tmp_path, creds(expires_in_s=-60)))
    assert r.code == 0 and "WARNING" in r.err and "already expired" in r.err


NO_SESSIONS = ["user:inference", "user:profile"]


def test_a_login_without_the_sessions_scope_is_stored_with_a_warning(tmp_path, kube, run):
    """Claude Code accepts it locally (measured: tests/test_credentials_real_claude.py); Remote Control
    is reported to fail with it later, so create-secret warns and stores it."""
    r = run(*BASE, "--from-file", write_creds(tmp_path, creds(scopes=NO_SESSIONS)))
    assert r.code == 0, r.err
    assert "WARNING" in r.err and "lacks `user:sessions:claude_code`" in r.err and "#92529" in r.err
    assert kube.secrets[(NS, "claude-remote-credentials")]["metadata"]["annotations"]["aifactory.dev/scopes"] == \
        "user:inference user:profile"


def test_a_full_login_gets_no_scope_warning(tmp_path, kube, run):
    r = run(*BASE, "--from-file", write_creds(tmp_path, creds()))
    assert r.code == 0 and "lacks `user:sessions:claude_code`" not in r.err and "user:sessions:claude_code" in r.err


def _ends_in(days):
    import time
    return int((time.time() + days * 86400) * 1000)


def test_the_login_end_is_said_and_recorded_beside_the_login(tmp_path, kube, run):
    end = _ends_in(30)
    r = run(*BASE, "--from-file", write_creds(tmp_path, creds(refreshTokenExpiresAt=end)))
    assert r.code == 0, r.err
    import time
    iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(end / 1000))
    assert f"login ends: {iso} (in 29 days; claudeAiOauth.refreshTokenExpiresAt" in r.err
    ann = kube.secrets[(NS, "claude-remote-credentials")]["metadata"]["annotations"]
    assert ann["aifactory.dev/refresh-token-expires-at"] == iso


def test_a_login_without_a_stored_end_is_unknown_not_estimated(tmp_path, kube, run):
    r = run(*BASE, "--from-file", write_creds(tmp_path, creds()))
    assert r.code == 0 and "login ends: unknown (the login holds no claudeAiOauth.refreshTokenExpiresAt" in r.err
    assert "aifactory.dev/refresh-token-expires-at" not in \
        kube.secrets[(NS, "claude-remote-credentials")]["metadata"]["annotations"]


def test_a_login_ending_soon_is_stored_with_a_warning(tmp_path, kube, run):
    r = run(*BASE, "--from-file", write_creds(tmp_path, creds(refreshTokenExpiresAt=_ends_in(3))))
    assert r.code == 0 and "WARNING" in r.err and "within the 7-day warning" in r.err


def test_a_login_past_its_end_is_refused(tmp_path, kube, run):
    r = run(*BASE, "--from-file", write_creds(tmp_path, creds(refreshTokenExpiresAt=_ends_in(-1))))
    assert r.code == 1 and "the login ended at" in r.err and "Fix:" in r.err and kube.secrets == {}


def test_missing_file_cannot_evaluate(tmp_path, kube, run):
    r = run(*BASE, "--from-file", tmp_path / "nope.json")
    assert r.code == 2 and "no such file" in r.err


def test_a_source_is_required(kube, run):
    r = run(*BASE)
    assert r.code == 2 and "one of the arguments --from-login" in r.err


# ---------------------------------------------------------------- owner convention

@pytest.mark.parametrize("owner,flag,code,expect", [
    ("jane.doe@example.com", False, 1, "looks like a person"),
    ("jane.doe@example.com", True, 1, "looks like a person"),
    ("Jane Doe", False, 1, "looks like a person"),
    ("jdoe", False, 1, "may be a person's name"),
    ("Agent", True, 1, "not a valid service-account name"),
    ("system:serviceaccount:agents", False, 1, "not system:serviceaccount:<namespace>:<name>"),
    ("system:serviceaccount:Agents:x", False, 1, "not system:serviceaccount:<namespace>:<name>"),
    ("agent-runner", True, 0, f"system:serviceaccount:{NS}:agent-runner"),
    ("system:serviceaccount:ops:agent-runner", False, 0, "system:serviceaccount:ops:agent-runner"),
])
def test_owner_convention(tmp_path, kube, run, owner, flag, code, expect):
    args = [*BASE, "--from-file", write_creds(tmp_path, creds()), "--owner", owner]
    r = run(*args, *(["--owner-is-service-account"] if flag else []))
    assert r.code == code, r.err
    if code:
        assert expect in r.err and "--owner system:serviceaccount:<namespace>:<name>" in r.err
        assert kube.secrets == {}
    else:
        assert kube.secrets[(NS, "claude-remote-credentials")]["metadata"]["annotations"]["aifactory.dev/owner"] == expect


# ---------------------------------------------------------------- existing Secrets and reuse

def test_secret_of_another_install_is_refused_unless_force(tmp_path, kube, run):
    kube.add_secret(NS, "claude-remote-credentials", {"credentials.json": creds(refresh=other_refresh("X"))},
                    labels={"aifactory.dev/install": "other", "app.kubernetes.io/managed-by": "aifactory-policy",
                            "aifactory.dev/credentials": "claude-code"})
    f = write_creds(tmp_path, creds())
    r = run(*BASE, "--from-file", f)
    assert r.code == 1 and "belongs to install 'other'" in r.err
    r = run(*BASE, "--from-file", f, "--force")
    assert r.code == 0, r.err
    assert kube.secrets[(NS, "claude-remote-credentials")]["metadata"]["labels"]["aifactory.dev/install"] == "aifactory"


def test_secret_not_made_by_the_tool_is_refused_unless_force(tmp_path, kube, run):
    kube.add_secret(NS, "claude-remote-credentials", {"credentials.json": creds()})
    r = run(*BASE, "--from-file", write_creds(tmp_path, creds()))
    assert r.code == 1 and "was not made by aifactory-policy" in r.err


def test_existing_secret_of_the_same_install_points_to_rotate(tmp_path, kube, run):
    f = write_creds(tmp_path, creds())
    assert run(*BASE, "--from-file", f).code == 0
    r = run(*BASE, "--from-file", f)
    assert r.code == 1 and "credentials rotate" in r.err


def test_login_already_held_by_another_install_is_refused_unless_force(tmp_path, kube, run):
    f = write_creds(tmp_path, creds())
    assert run("credentials", "create-secret", "--install", "first", "-n", NS, "--secret", "first-creds",
               "--from-file", f).code == 0
    r = run(*BASE, "--from-file", f)
    assert r.code == 1 and "already in Secret agents/first-creds of install 'first'" in r.err
    assert (NS, "claude-remote-credentials") not in kube.secrets
    r = run(*BASE, "--from-file", f, "--force")
    assert r.code == 0 and "WARNING" in r.err


def test_reuse_is_detected_on_live_data_even_after_the_annotation_went_stale(tmp_path, kube, run):
    f = write_creds(tmp_path, creds())
    assert run("credentials", "create-secret", "--install", "first", "-n", NS, "--secret", "first-creds",
               "--from-file", f).code == 0
    kube.secrets[(NS, "first-creds")]["metadata"]["annotations"]["aifactory.dev/fingerprint"] = "hmac-sha256:00"
    r = run(*BASE, "--from-file", f)
    assert r.code == 1 and "already in Secret" in r.err


# ---------------------------------------------------------------- Keychain (fake `security` on PATH)

def test_from_keychain_reads_the_claude_code_item(tmp_path, kube, run, monkeypatch):
    record = tmp_path / "security-args.json"
    doc = creds()
    fake_security(tmp_path / "bin", json.dumps(doc), record)
    prepend_path(monkeypatch, tmp_path / "bin")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / ".claude.json").write_text(json.dumps({"oauthAccount": ACCOUNT}))
    r = run(*BASE, "--from-keychain")
    assert r.code == 0, r.err
    assert json.loads(record.read_text()) == ["find-generic-password", "-s", "Claude Code-credentials", "-w"]
    assert json.loads(kube.secret_json(NS, "claude-remote-credentials")["credentials.json"]) == doc
    assert yaml.safe_load(r.out)["remoteControl"]["claudeState"]["oauthAccount"] == ACCOUNT


def test_keychain_without_the_item_cannot_evaluate(tmp_path, kube, run, monkeypatch):
    fake_security(tmp_path / "bin", None, tmp_path / "rec.json")
    prepend_path(monkeypatch, tmp_path / "bin")
    r = run(*BASE, "--from-keychain")
    assert r.code == 2 and 'no Keychain item "Claude Code-credentials"' in r.err and kube.secrets == {}


def test_keychain_with_an_inference_only_login_is_refused(tmp_path, kube, run, monkeypatch):
    fake_security(tmp_path / "bin", json.dumps(creds(scopes=["user:inference"])), tmp_path / "rec.json")
    prepend_path(monkeypatch, tmp_path / "bin")
    r = run(*BASE, "--from-keychain")
    assert r.code == 1 and "--from-keychain" in r.err and "full-scope" in r.err


def test_keychain_without_security_tool(tmp_path, kube, run, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    r = run(*BASE, "--from-keychain")
    assert r.code == 2 and "`security` tool is not on PATH" in r.err


# ---------------------------------------------------------------- `claude auth login` (fake `claude` on PATH)

def _login_dir(record):
    return json.loads(record.read_text())


@pytest.mark.parametrize("command", [["credentials", "login"], ["credentials", "create-secret", "--from-login"]])
def test_login_uses_a_fresh_private_config_dir_and_removes_it(tmp_path, kube, run, monkeypatch, command):
    record = tmp_path / "claude-saw.json"
    doc = creds()
    fake_claude(tmp_path / "bin", doc, ACCOUNT, record)
    prepend_path(monkeypatch, tmp_path / "bin")
    monkeypatch.setenv("CLAUDE_CODE_OAUTH_TOKEN", "sk-ant-oat01-FAKEaccessTOKENinENV0123456789")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-api03-FAKEapiKEY0123456789")
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "operators-own"))
    r = run(*command, "--install", "aifactory", "-n", NS)
    assert r.code == 0, r.err
    seen = _login_dir(record)
    assert seen["env"] == [] and seen["mode"] == "0o700"
    assert seen["dir"] != str(tmp_path / "operators-own")
    import os
    assert not os.path.exists(seen["dir"]), "the temporary CLAUDE_CONFIG_DIR must be removed"
    assert json.loads(kube.secret_json(NS, "claude-remote-credentials")["credentials.json"]) == doc
    assert yaml.safe_load(r.out)["remoteControl"]["claudeState"]["oauthAccount"] == ACCOUNT


def test_failed_login_still_removes_the_dir(tmp_path, kube, run, monkeypatch):
    record = tmp_path / "claude-saw.json"
    fake_claude(tmp_path / "bin", creds(), ACCOUNT, record, exit_code=1)
    prepend_path(monkeypatch, tmp_path / "bin")
    r = run("credentials", "login", "--install", "aifactory", "-n", NS)
    assert r.code == 2 and "`claude auth login` failed (exit 1)" in r.err
    import os
    assert not os.path.exists(_login_dir(record)["dir"]) and kube.secrets == {}


def test_login_that_writes_no_credentials_is_refused_and_cleaned(tmp_path, kube, run, monkeypatch):
    record = tmp_path / "claude-saw.json"
    fake_claude(tmp_path / "bin", None, None, record)
    prepend_path(monkeypatch, tmp_path / "bin")
    r = run("credentials", "login", "--install", "aifactory", "-n", NS)
    assert r.code == 1 and "wrote no .credentials.json" in r.err
    import os
    assert not os.path.exists(_login_dir(record)["dir"])


def test_login_with_inference_only_scopes_is_refused(tmp_path, kube, run, monkeypatch):
    record = tmp_path / "claude-saw.json"
    fake_claude(tmp_path / "bin", creds(scopes=["user:inference"]), ACCOUNT, record)
    prepend_path(monkeypatch, tmp_path / "bin")
    r = run("credentials", "login", "--install", "aifactory", "-n", NS)
    assert r.code == 1 and "claude auth login: `claudeAiOauth.scopes`" in r.err and kube.secrets == {}


def test_login_without_the_sessions_scope_warns(tmp_path, kube, run, monkeypatch):
    fake_claude(tmp_path / "bin", creds(scopes=NO_SESSIONS), ACCOUNT, tmp_path / "claude-saw.json")
    prepend_path(monkeypatch, tmp_path / "bin")
    r = run("credentials", "login", "--install", "aifactory", "-n", NS)
    assert r.code == 0, r.err
    assert "WARNING: claude auth login: `claudeAiOauth.scopes`" in r.err and "user:sessions:claude_code" in r.err


def test_login_checks_the_cluster_side_before_the_interactive_login(tmp_path, kube, run, monkeypatch):
    record = tmp_path / "claude-saw.json"
    fake_claude(tmp_path / "bin", creds(), ACCOUNT, record)
    prepend_path(monkeypatch, tmp_path / "bin")
    r = run("credentials", "login", "--install", "aifactory", "-n", NS, "--owner", "jane@example.com")
    assert r.code == 1 and not record.exists(), "refused before running claude"


def test_no_claude_on_path(tmp_path, kube, run, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    r = run("credentials", "login", "--install", "aifactory", "-n", NS)
    assert r.code == 2 and "`claude` not found" in r.err
