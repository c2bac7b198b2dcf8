"""The broker and its receivers as processes, offline: the chart's own scripts, the REAL Claude Code
doing every refresh against the fake Anthropic endpoint, and a stateful fake API server
(fake_kube_objects) holding the source Secret, the access Secret and the Lease.

A BrokerRig is one install: `broker(home)` starts a broker process (its private HOME is a folder:
the same folder again is a container restart, a new one is a new pod), `receiver(name)` starts an
agent pod's receiver and gives back an agent HOME (ClaudeHome) whose credentials path is the
chart's symlink to the receiver's file, so `agent.task()` is an agent task as the pod runs it.
"""
from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from claude_sandbox import ACCOUNT, ClaudeHome, FakeEndpoint, _IN_NAMESPACE, clean_environ
from fake_kube_objects import FakeKube
from helpers import REPO

FILES = REPO / "charts" / "aifactory" / "files"
SOURCE, ACCESS, LEASE, KEY = "claude-remote-credentials", "rel-aifactory-claude-access", "rel-aifactory-credentials-broker", "credentials.json"


def _claude_wrapper(path: Path, claude: str, endpoint: FakeEndpoint) -> Path:
    """The `claude` the broker runs: the real CLI in a mount namespace where /etc/hosts sends
    Anthropic's names to the fake (what hostAliases does in a pod)."""
    path.write_text("#!/bin/sh\nexec unshare -m sh -c '" + _IN_NAMESPACE.replace("'", "'\\''") + "' sh "
                    f"'{endpoint.hosts_file}' /nonexistent 0 '{claude}' \"$@\"\n")
    path.chmod(0o755)
    return path


@dataclass
class Proc:
    popen: subprocess.Popen
    log: Path

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, sig)
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            raise AssertionError(f"{self.log.name} did not stop within {timeout}s after signal {sig}:\n{self.text()[-2000:]}")


@dataclass
class BrokerRig:
    root: Path
    claude: str
    endpoint: FakeEndpoint
    kube: FakeKube = field(default_factory=FakeKube)
    procs: list = field(default_factory=list)

    def __post_init__(self):
        self.token = self.root / "sa-token"
        self.token.write_text("fake-service-account-token")
        self.wrapper = _claude_wrapper(self.root / "claude-in-namespace", self.claude, self.endpoint)
        store = self.kube.store
        store.secret(ACCESS, annotations={"aifactory.dev/access-only": "true"})
        store.put_object("leases", LEASE, {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "spec": {}})

    def install(self, login: dict) -> None:
        """The operator's Secret, made out of band, and the login enrolled at the fake."""
        self.endpoint.authority.enroll(login)
        self.kube.store.secret(SOURCE, {KEY: json.dumps(login)})

    def _start(self, name: str, script: str, args: list[str], env: dict | None = None) -> Proc:
        log = self.root / f"{name}.log"
        with log.open("ab") as out:   # the child keeps its own descriptor
                popen = subprocess.Popen([sys.executable, str(FILES / script), "--api-server", self.kube.url,
                                      "--namespace", "ns", "--token-file", str(self.token), *args],
                                     stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     env={**clean_environ(), **(env or {})}, start_new_session=True)
        proc = Proc(popen, log)
        self.procs.append(proc)
        return proc

    def broker(self, home: str = "broker-a", *extra: str, lead: float = 60, identity: str | None = None) -> Proc:
        directory = self.root / home
        directory.mkdir(exist_ok=True)
        return self._start(home, "credentials_broker.py", [
            "--secret", SOURCE, "--key", KEY, "--access-secret", ACCESS, "--lease", LEASE,
            "--home", str(directory), "--claude", str(self.wrapper), "--identity", identity or home,
            "--lead-seconds", str(lead), "--interval", "0.5", "--lease-seconds", "15", "--claude-timeout", "10",
            "--retry-seconds", "1", *extra], env={"NODE_EXTRA_CA_CERTS": str(self.endpoint.ca)})

    def receiver(self, name: str = "agent-1") -> tuple[Proc, ClaudeHome]:
        """An agent pod: its receiver process, and its HOME with the chart's symlink."""
        access_dir = self.root / name / "run-access"
        access_dir.mkdir(parents=True, exist_ok=True)
        agent = ClaudeHome(self.claude, self.endpoint, self.root / name / "home").seed({"placeholder": True})
        agent.credentials.unlink()
        agent.credentials.symlink_to(access_dir / ".credentials.json")
        proc = self._start(f"{name}-receiver", "credentials_receiver.py", [
            "--secret", ACCESS, "--key", KEY, "--file", str(access_dir / ".credentials.json")])
        return proc, agent

    def source_login(self) -> dict:
        raw = self.kube.store.value(SOURCE, KEY)
        return json.loads(raw) if raw else {}

    def access_login(self) -> dict:
        raw = self.kube.store.value(ACCESS, KEY)
        return json.loads(raw) if raw else {}

    def presented(self) -> list[str]:
        """Fingerprints of every refresh token presented to the fake, in order."""
        return [r["refresh"] for r in self.endpoint.refreshes()]

    def close(self) -> None:
        for proc in self.procs:
            if proc.popen.poll() is None:
                os.killpg(proc.popen.pid, signal.SIGKILL)
                proc.popen.wait(timeout=10)
        self.kube.close()


def wait_until(predicate, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def file_mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


__all__ = ["ACCOUNT", "BrokerRig", "wait_until", "file_mode", "SOURCE", "ACCESS", "LEASE", "KEY"]
