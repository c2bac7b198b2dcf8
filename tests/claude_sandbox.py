"""The real Claude Code CLI talking to a fake Anthropic endpoint, offline, as a pod would run it.

A FakeEndpoint is a fake_anthropic.FakeAnthropic on port 443 of its own loopback address
(127.x.y.z, so parallel test workers never share one), with a throwaway CA. A ClaudeHome is a HOME
holding a `.credentials.json` and the non-secret `~/.claude.json` Remote Control wants. Each run of
`claude` happens in a private mount namespace (`unshare -m`, root only) where `/etc/hosts` sends
platform.claude.com and api.anthropic.com to the fake and, for the seed's mount, the credentials
file is bind-mounted read-only onto itself: exactly what `subPath` + `readOnly: true` gives a pod
(root's permission bypass does not apply to a read-only mount).
"""
from __future__ import annotations

import errno
import json
import os
import random
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import throwaway_ca
from fake_anthropic import HOSTS, Authority, FakeAnthropic, Switches
from fake_credentials import SCOPES, leaked, tagged_login

ACCOUNT = {"accountUuid": "00000000-0000-4000-8000-000000000001",
           "organizationUuid": "00000000-0000-4000-8000-000000000002",
           "emailAddress": "aifactory-bot@example.com"}
# Every variable that could make Claude Code take another identity or endpoint: never inherited.
_CLEARED_PREFIXES = ("ANTHROPIC_", "CLAUDE_", "DISABLE_", "DO_NOT_TRACK", "NODE_EXTRA_CA_CERTS",
                     "HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy")

_IN_NAMESPACE = r'''
hosts="$1"; creds="$2"; ro="$3"; shift 3
mount --bind "$hosts" /etc/hosts
if [ "$ro" = 1 ]; then mount --bind "$creds" "$creds" && mount -o remount,ro,bind "$creds" "$creds"; fi
exec "$@"
'''


def clean_environ() -> dict:
    """This process's environment without anything that could give Claude Code another identity,
    endpoint or CA (the base of every run here)."""
    return {k: v for k, v in os.environ.items() if not k.startswith(_CLEARED_PREFIXES)}


def login(tag: str, expires_in_s: float, *, refresh: bool = True, scopes=SCOPES) -> dict:
    """A fake login in the shape `claude auth login` writes (tokens say FAKE-lifecycle; data, not a secret)."""
    return tagged_login("lifecycle", tag, int((time.time() + expires_in_s) * 1000), refresh=refresh, scopes=scopes)


def require_root() -> None:
    if os.geteuid() != 0:
        pytest.fail("these tests run the real Claude Code in a mount namespace (unshare -m, bind mounts), "
                    "which needs root; CI runs as root. Run them as root (e.g. in a container).")


@dataclass
class FakeEndpoint:
    server: FakeAnthropic
    ca: Path
    hosts_file: Path

    @property
    def authority(self) -> Authority:
        return self.server.authority

    def refreshes(self) -> list[dict]:
        return self.authority.refreshes()

    def fp(self, token: str) -> str:
        return self.authority.fingerprint(token)


def start_endpoint(directory: Path, bundle: throwaway_ca.Bundle, switches: Switches) -> FakeEndpoint:
    """A fake on port 443 of a free loopback address of its own."""
    for _ in range(20):
        host = f"127.{random.randint(64, 250)}.{random.randint(1, 250)}.{random.randint(1, 250)}"
        try:
            server = FakeAnthropic(str(bundle.cert), str(bundle.key), host, 443, Authority(switches))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                continue
            raise
        hosts = directory / f"hosts-{host}"
        hosts.write_text(f"127.0.0.1 localhost\n{host} {' '.join(HOSTS)}\n")
        return FakeEndpoint(server.start(), bundle.ca, hosts)
    raise AssertionError("no free loopback address for the fake Anthropic endpoint")


@dataclass
class Run:
    code: int
    out: str
    err: str


@dataclass
class ClaudeHome:
    """One holder of a login: a HOME with `.credentials.json` (writable, or read-only like the seed)."""

    claude: str
    endpoint: FakeEndpoint
    root: Path
    read_only: bool = False
    runs: list = field(default_factory=list)

    @property
    def credentials(self) -> Path:
        return self.root / ".claude" / ".credentials.json"

    def seed(self, content: dict | str, mode: int = 0o600) -> "ClaudeHome":
        work = self.root / "workspace"
        work.mkdir(parents=True, exist_ok=True)
        self.credentials.parent.mkdir(parents=True, exist_ok=True)
        self.credentials.write_text(content if isinstance(content, str) else json.dumps(content))
        self.credentials.chmod(mode)
        state = {"oauthAccount": ACCOUNT, "hasCompletedOnboarding": True, "remoteDialogSeen": True,
                 "projects": {str(work): {"hasTrustDialogAccepted": True}}}
        (self.root / ".claude.json").write_text(json.dumps(state))
        return self

    def login(self) -> dict:
        return json.loads(self.credentials.read_text())

    def refresh_fp(self) -> str:
        """Fingerprint of the refresh token this holder's file holds now."""
        return self.endpoint.fp(self.login()["claudeAiOauth"].get("refreshToken") or "")

    def environment(self, extra: dict | None = None) -> dict:
        """agent_service's scrubbed environment, HOME here, the fake's CA trusted, plus `extra`."""
        env = clean_environ()
        env.update(HOME=str(self.root), NODE_EXTRA_CA_CERTS=str(self.endpoint.ca), **(extra or {}))
        return env

    def argv(self, *args: str) -> list[str]:
        """`claude ARGS` inside its own mount namespace (hosts -> the fake; read-only file if asked)."""
        return ["unshare", "-m", "sh", "-c", _IN_NAMESPACE, "sh", str(self.endpoint.hosts_file),
                str(self.credentials), "1" if self.read_only else "0", self.claude, *args]

    def run(self, *args: str, env: dict | None = None, timeout: int = 90) -> Run:
        """`claude ARGS` as the pod user would run it."""
        base, cmd = self.environment(env), self.argv(*args)
        try:
            proc = subprocess.run(cmd, env=base, cwd=self.root / "workspace", capture_output=True, text=True,
                                  timeout=timeout, stdin=subprocess.DEVNULL, check=False)
        except subprocess.TimeoutExpired as exc:
            raise AssertionError(f"claude {' '.join(args)} did not finish in {timeout} s") from exc
        result = Run(proc.returncode, proc.stdout, proc.stderr)
        assert not leaked(result.out + result.err)
        for tag in ("FAKE-lifecycle-", "FAKE-f"):  # the fake's own tokens: never printed either
            assert f"sk-ant-oat01-{tag}" not in result.out + result.err
            assert f"sk-ant-ort01-{tag}" not in result.out + result.err
        self.runs.append(result)
        return result

    def auth_status(self) -> tuple[int, dict]:
        r = self.run("auth", "status")
        try:
            return r.code, json.loads(r.out)
        except ValueError:
            raise AssertionError(f"claude auth status printed no JSON (exit {r.code}): {r.out[:300]} {r.err[:300]}")

    def task(self, prompt: str = "reply with one word") -> Run:
        """What an agent task is: one `claude -p` process."""
        return self.run("-p", prompt)
