"""The token lifecycle, measured with the REAL Claude Code against a fake Anthropic token endpoint.

No simulated write anywhere: the pinned CLI refreshes (or fails to) by itself; the fake endpoint
(tests/fake_anthropic.py) only answers and records, and enforces single-use refresh tokens as the
real server is reported to. Each test names the chart mode it stands for:
- a writable in-pod file (writeBack's copy): Claude Code keeps every new pair, no refresh token is
  presented twice;
- the seed's read-only mount (readOnly, and ownedCopy's read-only copy): fine while the stored
  access token is valid; from its expiry on, every task fails (it refreshes, cannot keep the pair,
  and calls the API with the expired token from the file), whatever the server does with refresh
  tokens;
- two holders of one login: the fake sees the reuse, and with family revocation both lose it;
- the `helm test` probe, rendered from the chart and run as the pod runs it: no refresh, even with
  an access token that expired an hour ago (the old probe's `auth status` on the mounted file did
  refresh: that is the bug this fixed, and the last test shows it still would).
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

import throwaway_ca
from claude_sandbox import ClaudeHome, login, require_root, start_endpoint
from fake_anthropic import MESSAGES_PATH, REPLY_TEXT, Switches
from helpers import REPO, yaml_docs

EXPIRED = -3600        # the access token expired an hour ago
LONG_LIVED = 3600      # the fake's access tokens by default: one refresh per expiry, as in real use
# Inside Claude Code's ~5-minute refresh margin: a process refreshes at (nearly) every API call,
# so a few tasks go through many expiries. With a read-only file this fails within the first task.
SHORT_LIVED = 240


@pytest.fixture(scope="module")
def tls(tmp_path_factory) -> throwaway_ca.Bundle:
    return throwaway_ca.make(tmp_path_factory.mktemp("fake-anthropic-ca"))


@pytest.fixture
def endpoint(tls, tmp_path, request):
    """A fake Anthropic endpoint for this test; switches by indirect parametrisation or defaults."""
    require_root()
    switches = getattr(request, "param", None) or Switches(access_lifetime_s=LONG_LIVED)
    ep = start_endpoint(tmp_path, tls, switches)
    yield ep
    ep.server.stop()


@pytest.fixture
def holder(claude_cli, endpoint, tmp_path):
    """Factory: holder(name, login, read_only=False) -> a seeded ClaudeHome."""
    def make(name: str, content: dict, read_only: bool = False) -> ClaudeHome:
        return ClaudeHome(claude_cli, endpoint, tmp_path / name, read_only=read_only).seed(content)
    return make


def refresh_outcomes(endpoint) -> list[tuple[str, str]]:
    return [(r["refresh"], r["outcome"]) for r in endpoint.refreshes()]


@pytest.mark.parametrize("endpoint", [Switches(access_lifetime_s=SHORT_LIVED)], indirect=True, ids=["240s-tokens"])
def test_writable_file_keeps_every_new_pair_and_never_reuses_a_refresh_token(endpoint, holder):
    seed = login("rw", EXPIRED)
    endpoint.authority.enroll(seed)
    agent = holder("agent", seed)
    inode = agent.credentials.stat().st_ino

    for _ in range(3):   # three tasks, several expiries each
        task = agent.task()
        assert task.code == 0 and REPLY_TEXT in task.out, (task.code, task.out, task.err)

    refreshes = endpoint.refreshes()
    assert len(refreshes) >= 3, "Claude Code did not refresh at each expiry"
    assert refreshes[0]["refresh"] == endpoint.fp(seed["claudeAiOauth"]["refreshToken"])
    assert all(r["outcome"] == "issued" for r in refreshes), refresh_outcomes(endpoint)
    presented = [r["refresh"] for r in refreshes]
    assert len(presented) == len(set(presented)), "a refresh token was presented twice"
    # Each refresh presents the pair the previous one issued: a chain, as Claude Code kept them.
    assert presented[1:] == [r["issued_refresh"] for r in refreshes[:-1]]
    # Claude Code replaced the file (write elsewhere, rename) with the newest pair, mode 0600.
    assert agent.refresh_fp() == refreshes[-1]["issued_refresh"]
    assert agent.credentials.stat().st_ino != inode
    assert agent.credentials.stat().st_mode & 0o777 == 0o600


def test_read_only_mount_works_until_the_access_token_in_the_secret_expires(endpoint, holder):
    """Before expiry the seed's mount is fine: the task uses the stored access token, no refresh."""
    seed = login("ro-valid", LONG_LIVED)
    endpoint.authority.enroll(seed)
    agent = holder("agent", seed, read_only=True)
    task = agent.task()
    assert task.code == 0 and REPLY_TEXT in task.out, (task.code, task.out)
    assert endpoint.refreshes() == []


@pytest.mark.parametrize("endpoint", [Switches(access_lifetime_s=LONG_LIVED),
                                      Switches(access_lifetime_s=LONG_LIVED, single_use=False)],
                         indirect=True, ids=["single-use", "reusable-refresh-tokens"])
def test_read_only_mount_fails_the_first_task_after_the_access_token_expired(endpoint, holder):
    """The seed's mount (subPath + readOnly) once the stored access token has expired. Measured with
    2.1.330: the task refreshes, cannot keep the pair, and calls the API with the EXPIRED token it
    reads again from the file, so it exits 1 on the 401 whatever the server does with refresh
    tokens (the reusable-refresh-tokens case shows it is not the server's single use). Under single
    use the spent refresh token is presented again as well."""
    seed = login("ro", EXPIRED)
    endpoint.authority.enroll(seed)
    agent = holder("agent", seed, read_only=True)
    spent = endpoint.fp(seed["claudeAiOauth"]["refreshToken"])
    stale = endpoint.fp(seed["claudeAiOauth"]["accessToken"])
    before = agent.credentials.read_bytes()

    task = agent.task()
    assert task.code == 1, (task.code, task.out, task.err)
    assert "Failed to authenticate" in task.out and "401" in task.out, task.out
    assert refresh_outcomes(endpoint)[0] == (spent, "issued")
    calls = [(r["access"], r["outcome"]) for r in endpoint.authority.records if r["path"] == MESSAGES_PATH]
    assert calls and set(calls) == {(stale, "expired")}, calls
    if endpoint.authority.switches.single_use:
        assert (spent, "reused") in refresh_outcomes(endpoint)
    else:
        assert {o for _, o in refresh_outcomes(endpoint)} == {"issued"}
    assert agent.credentials.read_bytes() == before, "the read-only file changed"
    code, status = agent.auth_status()
    # ...while `auth status` still says logged in (it cannot mark the read-only file): no liveness check.
    assert code == 0 and status["loggedIn"] is True and status["authMethod"] == "claude.ai"


@pytest.mark.parametrize("endpoint,revocation", [
    (Switches(access_lifetime_s=LONG_LIVED, revoke_family_on_reuse=True), True),
    (Switches(access_lifetime_s=LONG_LIVED), False)], indirect=["endpoint"], ids=["family-revocation", "single-use-only"])
def test_two_holders_of_one_login(endpoint, holder, revocation):
    """The same login in the pod and on a laptop (or in two pods): the fake sees the second holder
    present a spent refresh token; with family revocation on, the first holder loses the login too.
    The measured reason for one holder."""
    seed = login("two", EXPIRED)
    endpoint.authority.enroll(seed)
    pod, laptop = holder("pod", seed), holder("laptop", seed)
    spent = endpoint.fp(seed["claudeAiOauth"]["refreshToken"])

    assert pod.task().code == 0                       # refreshes, keeps the new pair
    pods_pair = pod.refresh_fp()
    laptop_task = laptop.task()                       # presents the pair the pod already spent
    assert (spent, "reused") in refresh_outcomes(endpoint)
    assert laptop_task.code == 1
    assert "OAuth session expired and could not be refreshed" in laptop_task.out + laptop_task.err
    # After the refusal Claude Code rewrote the laptop's file: `auth status` now says logged out.
    code, status = laptop.auth_status()
    assert code == 1 and status["loggedIn"] is False

    pod_again = pod.task()
    if revocation:
        assert (pods_pair, "revoked") in refresh_outcomes(endpoint)
        assert pod_again.code == 1
        assert pod.auth_status()[1]["loggedIn"] is False
    else:
        assert pod_again.code == 0 and REPLY_TEXT in pod_again.out


# --- the helm test probe -------------------------------------------------------------------------

# Runs the chart's probe script where a pod would: /home is a private tmpfs, the credentials file is
# bind-mounted read-only at the path the chart mounts it, with the owner and mode kubelet gives it.
_POD_LIKE = r'''
hosts="$1"; src="$2"; mode="$3"; owner="$4"; script="$5"
mount --bind "$hosts" /etc/hosts
mount -t tmpfs -o mode=0755 tmpfs /home
mkdir -p /home/nonroot/.claude /home/nonroot/workspace
cp "$src" /home/nonroot/.claude/.credentials.json
chmod "$mode" /home/nonroot/.claude/.credentials.json; chown "$owner" /home/nonroot/.claude/.credentials.json
mount --bind /home/nonroot/.claude/.credentials.json /home/nonroot/.claude/.credentials.json
mount -o remount,ro,bind /home/nonroot/.claude/.credentials.json
cd /home/nonroot/workspace
exec sh -c "$script"
'''


def rendered_probe(helm_bin: str, *values: str) -> tuple[str, dict]:
    out = subprocess.run([helm_bin, "template", "aifactory", str(REPO / "charts" / "aifactory"),
                          "--set", "remoteControl.enabled=true",
                          "--set", "remoteControl.credentialsSecretName=claude-remote-credentials", *values],
                         capture_output=True, text=True, check=True, timeout=60).stdout
    pod = next(d for d in yaml_docs(out) if d["kind"] == "Pod" and d["metadata"]["name"].endswith("credentials-probe"))
    container = pod["spec"]["containers"][0]
    env = {e["name"]: e["value"] for e in container.get("env", []) if "value" in e}
    return container["args"][0], env


def run_probe(endpoint, claude_cli: str, tmp_path: Path, script: str, env: dict,
              content: dict | str) -> subprocess.CompletedProcess:
    src = tmp_path / "secret-key"
    src.write_text(content if isinstance(content, str) else json.dumps(content))
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "CLAUDE_"))}
    base.update(env, NODE_EXTRA_CA_CERTS=str(endpoint.ca),
                PATH=f"{Path(claude_cli).parent}:{base.get('PATH', '/usr/bin:/bin')}")
    return subprocess.run(["unshare", "-m", "sh", "-c", _POD_LIKE, "sh", str(endpoint.hosts_file), str(src),
                           "440", "0:65532", script], env=base, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)


def test_helm_test_probe_never_refreshes_even_after_the_access_token_expired(endpoint, claude_cli, helm_bin, tmp_path):
    script, env = rendered_probe(helm_bin)
    seed = login("probe", EXPIRED)
    endpoint.authority.enroll(seed)
    probe = run_probe(endpoint, claude_cli, tmp_path, script, env, seed)
    assert probe.returncode == 0, probe.stdout + probe.stderr
    assert "claude auth status of a copy without the refresh token: claude.ai, loggedIn" in probe.stdout
    assert "WARN: the access token expired 60 min ago" in probe.stdout
    assert endpoint.refreshes() == [], "the probe made Claude Code refresh the install's login"
    assert "FAKE-lifecycle" not in probe.stdout + probe.stderr


def test_claude_auth_status_on_the_mounted_file_itself_spends_the_refresh_token(endpoint, claude_cli, tmp_path):
    """What the probe did before (and why it must not): `auth status` on the install's own file."""
    seed = login("old-probe", EXPIRED)
    endpoint.authority.enroll(seed)
    old_probe = 'exec env -u CLAUDE_CODE_OAUTH_TOKEN -u ANTHROPIC_AUTH_TOKEN claude auth status'
    proc = run_probe(endpoint, claude_cli, tmp_path, old_probe, {"HOME": "/home/nonroot"}, seed)
    assert proc.returncode == 0 and '"loggedIn": true' in proc.stdout, proc.stdout + proc.stderr
    assert refresh_outcomes(endpoint) == [(endpoint.fp(seed["claudeAiOauth"]["refreshToken"]), "issued")]


def test_probe_refuses_a_refresh_token_it_cannot_strip(endpoint, claude_cli, helm_bin, tmp_path):
    """A key written with a JSON escape (`refresh\\u0054oken`) slips past the probe's sed; its check
    after the copy sees the token and stops before any Claude Code process runs."""
    script, env = rendered_probe(helm_bin)
    seed = login("escaped", EXPIRED)
    endpoint.authority.enroll(seed)
    text = json.dumps(seed).replace('"refreshToken"', '"refresh\\u0054oken"')
    assert json.loads(text) == seed
    probe = run_probe(endpoint, claude_cli, tmp_path, script, env, text)
    assert probe.returncode == 1 and "form the probe cannot remove" in probe.stdout, probe.stdout
    assert endpoint.authority.records == [], "Claude Code ran on a copy that still held the refresh token"
