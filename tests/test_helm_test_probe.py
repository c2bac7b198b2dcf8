"""The chart's `helm test` credentials probe, rendered by real Helm and run where a pod would run it,
with the REAL Claude Code and the fake token endpoint: it never refreshes the install's login, even
with an access token that expired an hour ago (the old probe's `auth status` on the mounted file did:
the last test shows it still would)."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from claude_sandbox import clean_environ, login
from helpers import REPO, yaml_docs
from lifecycle_fixtures import EXPIRED, endpoint, refresh_outcomes, tls  # noqa: F401


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
                          "--set", "remoteControl.credentialsSecretName=claude-remote-credentials",
                          "--set", "remoteControl.mode=readOnly", *values],
                         capture_output=True, text=True, check=True, timeout=60).stdout
    pod = next(d for d in yaml_docs(out) if d["kind"] == "Pod" and d["metadata"]["name"].endswith("credentials-probe"))
    container = pod["spec"]["containers"][0]
    env = {e["name"]: e["value"] for e in container.get("env", []) if "value" in e}
    return container["args"][0], env


def run_probe(endpoint, claude_cli: str, tmp_path: Path, script: str, env: dict,
              content: dict | str) -> subprocess.CompletedProcess:
    src = tmp_path / "secret-key"
    src.write_text(content if isinstance(content, str) else json.dumps(content))
    base = clean_environ()
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


def test_probe_strips_a_pretty_printed_login_too(endpoint, claude_cli, helm_bin, tmp_path):
    """`kubectl create secret --from-file` of an indented login: the refresh token's value on its own
    line is still removed, and Claude Code still answers without refreshing."""
    script, env = rendered_probe(helm_bin)
    seed = login("pretty", EXPIRED)
    endpoint.authority.enroll(seed)
    pretty = json.dumps(seed, indent=2).replace('"refreshToken": "', '"refreshToken":\n      "')
    probe = run_probe(endpoint, claude_cli, tmp_path, script, env, pretty)
    assert probe.returncode == 0, probe.stdout + probe.stderr
    assert endpoint.refreshes() == []


# Broker mode as the pod lays it out: the receiver's file in its own mount (read-only for the agent,
# unless the test asks otherwise), and ~/.claude/.credentials.json a symlink to it.
_BROKER_POD_LIKE = r'''
hosts="$1"; src="$2"; ro="$3"; script="$4"
mount --bind "$hosts" /etc/hosts
mount -t tmpfs -o mode=0755 tmpfs /home
mkdir -p /home/nonroot/.claude /home/nonroot/workspace /run/aifactory/access
mount -t tmpfs -o mode=0755 tmpfs /run/aifactory/access
cp "$src" /run/aifactory/access/.credentials.json
chmod 440 /run/aifactory/access/.credentials.json; chown 65532:65532 /run/aifactory/access/.credentials.json
[ "$ro" = 1 ] && mount -o remount,ro,bind /run/aifactory/access
ln -s /run/aifactory/access/.credentials.json /home/nonroot/.claude/.credentials.json
cd /home/nonroot/workspace
exec sh -c "$script"
'''


def run_broker_probe(endpoint, claude_cli, tmp_path, helm_bin, content: dict, read_only: bool = True):
    script, env = rendered_probe(helm_bin, "--set", "remoteControl.mode=broker")
    src = tmp_path / "access-login"
    src.write_text(json.dumps(content))
    base = clean_environ()
    base.update(env, NODE_EXTRA_CA_CERTS=str(endpoint.ca),
                PATH=f"{Path(claude_cli).parent}:{base.get('PATH', '/usr/bin:/bin')}")
    return subprocess.run(["unshare", "-m", "sh", "-c", _BROKER_POD_LIKE, "sh", str(endpoint.hosts_file), str(src),
                           "1" if read_only else "0", script], env=base, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)


def access_only(tag: str, expires_in: float) -> dict:
    seed = login(tag, expires_in)
    seed["claudeAiOauth"].pop("refreshToken")
    return seed


def test_broker_probe_accepts_the_access_only_login_behind_the_link(endpoint, claude_cli, helm_bin, tmp_path):
    seed = access_only("broker-probe", 3600)
    endpoint.authority.enroll(seed)
    probe = run_broker_probe(endpoint, claude_cli, tmp_path, helm_bin, seed)
    assert probe.returncode == 0, probe.stdout + probe.stderr
    assert "file behind a link into a read-only mount owned by 65532:65532" in probe.stdout
    assert "claude.ai, loggedIn" in probe.stdout and endpoint.refreshes() == []
    assert "login end: not in the agents' file (the broker holds the login)" in probe.stdout


def test_broker_probe_refuses_a_refresh_token_in_the_agent(endpoint, claude_cli, helm_bin, tmp_path):
    seed = login("broker-leak", 3600)
    endpoint.authority.enroll(seed)
    probe = run_broker_probe(endpoint, claude_cli, tmp_path, helm_bin, seed)
    assert probe.returncode == 1 and "holds a refresh token in broker mode" in probe.stdout, probe.stdout
    assert endpoint.authority.records == []


def test_broker_probe_refuses_a_writable_access_volume(endpoint, claude_cli, helm_bin, tmp_path):
    seed = access_only("broker-rw", 3600)
    probe = run_broker_probe(endpoint, claude_cli, tmp_path, helm_bin, seed, read_only=False)
    assert probe.returncode == 1 and "is not a read-only mount in the agent" in probe.stdout, probe.stdout


DAY_MS = 86400000


def _iso(ms: int) -> str:
    import time
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms // 1000))


@pytest.mark.parametrize("days,values,code,said", [
    (20, (), 0, "login ends at {iso} (in 19 days; claudeAiOauth.refreshTokenExpiresAt)"),
    (3, (), 0, "WARN: the login ends at {iso} (in 2 days, 23 h; claudeAiOauth.refreshTokenExpiresAt)"),
    (3, ("--set", "tests.loginEndsWithinDays=2"), 0, "login ends at {iso} (in 2 days;"),
    (-1, (), 1, "FAIL: the login ended at {iso} (claudeAiOauth.refreshTokenExpiresAt)"),
    (None, (), 0, "login end: unknown (the login holds no claudeAiOauth.refreshTokenExpiresAt"),
], ids=["20d", "3d", "3d-warn-2", "ended", "not-stored"])
def test_probe_reads_the_login_end(endpoint, claude_cli, helm_bin, tmp_path, days, values, code, said):
    """The end Claude Code stored at sign-in (measured: tests/test_login_end_real_claude.py): said,
    warned about within tests.loginEndsWithinDays, a failure past it (before any Claude Code runs)."""
    import time
    script, env = rendered_probe(helm_bin, *values)
    seed = login("probe-end", 3600)
    end = None if days is None else int(time.time() * 1000) + days * DAY_MS - 60000   # a minute short: whole days
    if end is not None:
        seed["claudeAiOauth"]["refreshTokenExpiresAt"] = end
    endpoint.authority.enroll(seed)
    probe = run_probe(endpoint, claude_cli, tmp_path, script, env, seed)
    assert probe.returncode == code, probe.stdout + probe.stderr
    assert said.format(iso=_iso(end) if end else "") in probe.stdout, probe.stdout
    if "WARN" not in said:
        assert "WARN: the login ends" not in probe.stdout
    if code:
        assert "credentials login --install aifactory -n default" in probe.stdout
        assert endpoint.authority.records == [] and "claude.ai, loggedIn" not in probe.stdout
    assert endpoint.refreshes() == []
