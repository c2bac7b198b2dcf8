"""The validator against the REAL Claude Code CLI (pinned CLAUDE_CODE_VERSION, offline).

- a file the validator ACCEPTS: `claude auth status` (auth env scrubbed, CLAUDE_CONFIG_DIR in a temp
  dir) reports authMethod claude.ai, and `claude remote-control` passes every local check and stops
  only at the network;
- scopes the validator REFUSES for Remote Control: `claude remote-control` refuses them itself, with
  its own message ("requires a full-scope login token" / "requires a claude.ai subscription").
Needs `ci/install-claude-code` (cached npm install); AIFACTORY_CLAUDE=<path> picks another binary.
"""
from __future__ import annotations

import concurrent.futures
import json
import os
import subprocess

import pytest

from aifactory_policy.credentials.errors import Refusal
from aifactory_policy.credentials.validate import validate
from credentials_fakes import creds
from fixtures import leaked
from helpers import REPO

ACCOUNT = {"accountUuid": "00000000-0000-4000-8000-000000000001",
           "organizationUuid": "00000000-0000-4000-8000-000000000002",
           "emailAddress": "aifactory-bot@example.com"}
# What the pinned CLI prints once every local check passed and only the network is missing:
# 2.1.330 was measured with both (DNS failure, or the feature-flag service unreachable).
NETWORK_STEP = ("ENOTFOUND", "feature-flag service was unreachable", "Unable to connect")
LOCAL_REFUSALS = ("full-scope login token", "claude.ai subscription", "Unable to determine your organization",
                  "Workspace not trusted", "ANTHROPIC_API_KEY", "got no answer")


@pytest.fixture(scope="module")
def claude() -> str:
    path = os.environ.get("AIFACTORY_CLAUDE")
    if not path:
        proc = subprocess.run([str(REPO / "ci" / "install-claude-code"), "--check"], capture_output=True, text=True,
                              timeout=60, check=False)
        path = proc.stdout.strip()
    if not path or not os.access(path, os.X_OK):
        pytest.fail("the real Claude Code CLI is not installed: run ci/bootstrap (it calls ci/install-claude-code)")
    return path


def scrubbed_env(home, config_dir) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("CLAUDE_CODE_OAUTH_TOKEN", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_API_KEY", "CLAUDE_CONFIG_DIR",
                        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC")}
    env.update(HOME=str(home), CLAUDE_CONFIG_DIR=str(config_dir))
    return env


def seed(tmp_path, raw: bytes):
    """A config dir holding the credentials and the state Remote Control's local checks want."""
    home, cfg, work = tmp_path / "home", tmp_path / "home" / ".claude", tmp_path / "work"
    for d in (home, cfg, work):
        d.mkdir(parents=True, exist_ok=True)
    (cfg / ".credentials.json").write_bytes(raw)
    (cfg / ".credentials.json").chmod(0o600)
    state = {"oauthAccount": ACCOUNT, "hasCompletedOnboarding": True, "remoteDialogSeen": True,
             "projects": {str(work): {"hasTrustDialogAccepted": True}}}
    (cfg / ".claude.json").write_text(json.dumps(state))
    return home, cfg, work


def run_claude(claude, tmp_path, raw: bytes, *args: str, mode: int = 0o600) -> tuple[int, str, str]:
    """`claude ARGS` with the auth env scrubbed and a config dir holding `raw` at `mode`."""
    home, cfg, work = seed(tmp_path, raw)
    (cfg / ".credentials.json").chmod(mode)
    proc = subprocess.run([claude, *args], env=scrubbed_env(home, cfg), cwd=work, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=120, check=False)
    assert not leaked(proc.stdout + proc.stderr)
    return proc.returncode, proc.stdout, proc.stderr


STATUS = ("auth", "status")
REMOTE_CONTROL = ("remote-control", "--name", "AIFactory: t")


def status_of(result: tuple[int, str, str]) -> dict:
    return json.loads(result[1])   # `auth status` prints JSON on stdout


ACCEPTED = [["user:inference", "user:profile"],
            ["user:inference", "user:profile", "user:sessions:claude_code"]]
REFUSED = [(["user:inference"], "Remote Control requires a full-scope login token"),
           (["user:inference", "user:sessions:claude_code"], "Remote Control requires a full-scope login token"),
           (["user:sessions:claude_code"], "Remote Control requires a claude.ai subscription")]


@pytest.fixture(scope="module")
def runs(claude, tmp_path_factory):
    """Every CLI run of this module, started at once in a small thread pool: each run is a separate
    process on its own config dir, and most of a run's time is spent waiting (process start, the
    network attempt), so they overlap. runs[(scopes, args, mode)] -> (exit code, stdout, stderr)."""
    wanted = [(tuple(s), args, 0o600) for s in ACCEPTED for args in (STATUS, REMOTE_CONTROL)]
    wanted += [(tuple(s), args, 0o600) for s, _ in REFUSED for args in (STATUS, REMOTE_CONTROL)]
    wanted += [(tuple(ACCEPTED[0]), STATUS, 0o644)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        futures = {key: pool.submit(run_claude, claude, tmp_path_factory.mktemp("claude"),
                                    json.dumps(creds(scopes=list(key[0]))).encode(), *key[1], mode=key[2])
                   for key in wanted}
        return {key: f.result() for key, f in futures.items()}


@pytest.mark.parametrize("scopes", ACCEPTED, ids=["+".join(s) for s in ACCEPTED])
def test_accepted_login_is_a_claude_ai_login_for_the_real_cli(runs, scopes):
    validate(json.dumps(creds(scopes=scopes)).encode(), "test")  # accepted
    status = status_of(runs[(tuple(scopes), STATUS, 0o600)])
    assert status["loggedIn"] is True and status["authMethod"] == "claude.ai"
    code, out, err = runs[(tuple(scopes), REMOTE_CONTROL, 0o600)]
    out += err
    assert code != 0 and any(s in out for s in NETWORK_STEP), out
    assert not any(s in out for s in LOCAL_REFUSALS), out


@pytest.mark.parametrize("scopes,message", REFUSED, ids=["+".join(s) for s, _ in REFUSED])
def test_refused_scopes_are_refused_by_the_real_cli_too(runs, scopes, message):
    with pytest.raises(Refusal) as refused:
        validate(json.dumps(creds(scopes=scopes)).encode(), "test")
    assert message.split("requires ")[1].rstrip(".") in str(refused.value)  # same reason as Claude gives
    code, out, err = runs[(tuple(scopes), REMOTE_CONTROL, 0o600)]
    out += err
    assert code != 0 and message in out, out
    # With user:inference, `auth status` still says claude.ai: only Remote Control tells them apart (why
    # the validator checks scopes). Without it, 2.1.330 was measured here to report `none`, loggedIn false
    # (the shared facts file says claude.ai for all; this environment disagrees for this one case).
    status = status_of(runs[(tuple(scopes), STATUS, 0o600)])
    assert status["authMethod"] == ("claude.ai" if "user:inference" in scopes else "none")


def test_exact_bytes_stored_by_create_secret_work_for_the_real_cli(claude, tmp_path, monkeypatch, capsys):
    from aifactory_policy.cli import main
    from aifactory_policy.credentials import cli as creds_cli
    from credentials_fakes import FakeKube
    fake = FakeKube()
    monkeypatch.setattr(creds_cli, "_api_kube", lambda args: fake)
    src = tmp_path / "in.json"
    src.write_text(json.dumps(creds()))
    assert main(["credentials", "create-secret", "--install", "aifactory", "-n", "agents", "--from-file", str(src)]) == 0
    stored = fake.secret_json("agents", "claude-remote-credentials")["credentials.json"]
    status = status_of(run_claude(claude, tmp_path, stored, *STATUS))
    assert status["authMethod"] == "claude.ai" and status["subscriptionType"] == "max"
    cap = capsys.readouterr()
    assert not leaked(cap.out + cap.err)


def test_the_real_cli_does_not_refuse_a_world_readable_file(runs):
    """The product document says Claude Code refuses looser modes than 0400; 2.1.330 does not: a
    0644 file is the claude.ai login all the same (the chart's 0400 is its own choice)."""
    status = status_of(runs[(tuple(ACCEPTED[0]), STATUS, 0o644)])
    assert (status["loggedIn"], status["authMethod"]) == (True, "claude.ai")
