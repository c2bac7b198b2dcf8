"""The token lifecycle in kind, with the REAL Claude Code in the chart's pods doing every refresh.

A fake Anthropic token endpoint (tests/fake_anthropic.py, run by the write-back image's python3)
serves platform.claude.com and api.anthropic.com behind a Service; the chart reaches it with only
its own values: `hostAliases` (the Service's ClusterIP) and `extraCACerts` (the throwaway CA,
NODE_EXTRA_CA_CERTS). The fake enforces single-use refresh tokens and records every request by a
keyed fingerprint. Nothing in a pod is simulated: a task is `claude -p` in the agent container.

- readOnly and ownedCopy: `helm test` makes no refresh; the first task after the access token
  expired fails with 401 (the pod cannot keep the refreshed pair);
- writeBack: three rounds of tasks (240 s tokens: every task goes through expiries) across two pod
  restarts, no refresh token ever presented twice, the Secret only moving forward, `helm test`
  refresh-free before and after;
- two pods holding one Secret, family revocation on: both lose the login, the sidecar records the
  refusal on the Secret, and `credentials status` and the audit call the login dead.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

import throwaway_ca
from chart_release import CHART, IDLE_AGENT, OAUTH_ACCOUNT, REPO, SECRET
from e2e_helpers import helm, ready_agent_pod, restricted_pod
from fake_anthropic import HOSTS, MESSAGES_PATH, REPLY_TEXT, TOKEN_PATH
from fake_credentials import tagged_login
from helpers import wait_for

pytestmark = pytest.mark.cluster

CREDS = "/home/nonroot/.claude/.credentials.json"
SECURITY = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, "readOnlyRootFilesystem": True,
            "runAsNonRoot": True}


def login(tag: str, expires_in_s: int) -> dict:
    """A fake login (tokens say FAKE-kind), unique per call."""
    return tagged_login("kind", f"{tag}-{uuid.uuid4().hex[:8]}", int((time.time() + expires_in_s) * 1000))


@pytest.fixture(scope="module")
def tls(tmp_path_factory) -> throwaway_ca.Bundle:
    return throwaway_ca.make(tmp_path_factory.mktemp("kind-fake-anthropic-ca"))


@dataclass
class FakeInCluster:
    cluster: object
    ns: str
    pod: str
    ip: str
    key: bytes

    def fp(self, token: str) -> str:
        return hmac.new(self.key, token.encode(), hashlib.sha256).hexdigest()[:12]

    def records(self) -> list[dict]:
        out = self.cluster.exec(self.ns, self.pod, "sh", "-c", "cat /tmp/records.jsonl 2>/dev/null || true").stdout
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def refreshes(self) -> list[dict]:
        """The refresh-token exchanges (a login's authorization-code exchange is not one)."""
        return [r for r in self.records() if r["path"] == TOKEN_PATH and r.get("grant_type") != "authorization_code"]

    def logins(self) -> list[dict]:
        return [r for r in self.records() if r["path"] == TOKEN_PATH and r.get("grant_type") == "authorization_code"]


def deploy_fake(cluster, ns: str, image: str, tls: throwaway_ca.Bundle, logins: list[dict], *,
                access_lifetime: int, revoke: bool = False, extra_args: tuple = ()) -> FakeInCluster:
    key = secrets.token_bytes(16)
    name = "fake-anthropic"
    cluster.apply([
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": f"{name}-tls"},
         "data": {"server.pem": base64.b64encode(tls.cert.read_bytes()).decode(),
                  "server-key.pem": base64.b64encode(tls.key.read_bytes()).decode(),
                  "logins.json": base64.b64encode(json.dumps(logins).encode()).decode()}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"{name}-code"},
         "data": {"fake_anthropic.py": (REPO / "tests" / "fake_anthropic.py").read_text()}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"{name}-ca"},
         "data": {"ca.crt": tls.ca.read_text()}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
         "spec": {"selector": {"app": name}, "ports": [{"port": 443, "targetPort": 8443}]}},
    ], namespace=ns)
    args = ["python3", "/opt/fake/fake_anthropic.py", "--cert", "/etc/fake/server.pem", "--key", "/etc/fake/server-key.pem",
            "--enroll", "/etc/fake/logins.json", "--port", "8443", "--record", "/tmp/records.jsonl",
            "--fingerprint-key", key.hex(), "--access-lifetime", str(access_lifetime)]
    if revoke:
        args.append("--revoke-family-on-reuse")
    args.extend(extra_args)
    pod = restricted_pod(name, image, container={
        "command": args, "ports": [{"containerPort": 8443}],
        "readinessProbe": {"tcpSocket": {"port": 8443}, "periodSeconds": 1},
        "volumeMounts": [{"name": "code", "mountPath": "/opt/fake", "readOnly": True},
                         {"name": "tls", "mountPath": "/etc/fake", "readOnly": True},
                         {"name": "tmp", "mountPath": "/tmp"}]},
        securityContext={"fsGroup": 65532},
        volumes=[{"name": "code", "configMap": {"name": f"{name}-code"}},
                 {"name": "tls", "secret": {"secretName": f"{name}-tls", "defaultMode": 0o440}},
                 {"name": "tmp", "emptyDir": {}}])
    pod["metadata"]["labels"] = {"app": name}
    cluster.apply(pod, namespace=ns)
    cluster.wait_pod_running(ns, name, timeout=120)
    ip = cluster.get("service", name, ns)["spec"]["clusterIP"]
    return FakeInCluster(cluster, ns, name, ip, key)


def chart_values(tmp_path: Path, fake: FakeInCluster, image: str, mode: str, writeback_image: str) -> Path:
    repo, _, tag = image.rpartition(":")
    values = {"image": {"repository": repo, "tag": tag, "pullPolicy": "Never"}, "agent": {"command": IDLE_AGENT},
              "hostAliases": [{"ip": fake.ip, "hostnames": list(HOSTS)}],
              "extraCACerts": {"configMapName": "fake-anthropic-ca"},
              "remoteControl": {"enabled": True, "credentialsSecretName": SECRET, "mode": mode,
                                "claudeState": {"oauthAccount": OAUTH_ACCOUNT},
                                "writeBack": {"image": writeback_image, "intervalSeconds": 1}}}
    path = tmp_path / f"values-{mode}.json"
    path.write_text(json.dumps(values))
    return path


class Install:
    def __init__(self, cluster, ns: str, release: str, values: Path):
        self.cluster, self.ns, self.release, self.values = cluster, ns, release, values

    def helm(self, *args: str) -> subprocess.CompletedProcess:
        return helm(self.cluster, *args)

    def install(self):
        self.helm("upgrade", "--install", self.release, str(CHART), "-n", self.ns, "-f", str(self.values),
                  "--wait", "--timeout", "180s")

    def test(self) -> str:
        proc = self.helm("test", self.release, "-n", self.ns, "--logs", "--timeout", "180s")
        assert "FAKE-kind" not in proc.stdout + proc.stderr
        return proc.stdout

    def pod(self) -> str:
        return ready_agent_pod(self.cluster, self.ns, self.release)

    def task(self, pod: str | None = None) -> subprocess.CompletedProcess:
        """One agent task: `claude -p` in the agent container, the chart's environment as it is."""
        proc = self.cluster.kubectl("exec", "-n", self.ns, pod or self.pod(), "-c", "agent", "--",
                                    "claude", "-p", "reply with one word", check=False, timeout=180)
        assert "FAKE-kind" not in proc.stdout + proc.stderr, "a token reached the task's output"
        return proc

    def restart(self):
        old = self.pod()
        self.cluster.kubectl("rollout", "restart", f"deployment/{self.release}-aifactory", "-n", self.ns)
        assert wait_for(lambda: self.pod() != old, timeout=180, step=1)

    def secret_login(self) -> dict:
        data = self.cluster.get("secret", SECRET, self.ns)["data"]["credentials.json"]
        return json.loads(base64.b64decode(data))

    def secret_annotations(self) -> dict:
        return self.cluster.get("secret", SECRET, self.ns)["metadata"].get("annotations") or {}


def create_secret(cluster, ns: str, release: str, content: dict, tmp_path: Path):
    """`aifactory-policy credentials create-secret`, as an operator runs it (labels, owner, fingerprint)."""
    path = tmp_path / f"{release}.json"
    path.write_text(json.dumps(content))
    proc = subprocess.run([sys.executable, "-m", "aifactory_policy", "credentials", "create-secret", "--install",
                           release, "-n", ns, "--from-file", str(path), "--kubeconfig", str(cluster.kubeconfig)],
                          capture_output=True, text=True, timeout=120, cwd=REPO)
    assert proc.returncode == 0, proc.stderr


def lifecycle_install(cluster, namespace: str, images: tuple[str, str], tls, tmp_path: Path, *, tag: str, mode: str,
                      access_lifetime: int, revoke: bool = False) -> tuple[dict, FakeInCluster, Install]:
    """A namespace's whole setup: an expired login, the fake endpoint that knows it, the Secret made by
    `credentials create-secret`, and the chart's values for MODE (not installed yet)."""
    test_image, writeback_image = images
    seed = login(tag, -3600)   # the access token expired an hour ago
    fake = deploy_fake(cluster, namespace, writeback_image, tls, [seed], access_lifetime=access_lifetime, revoke=revoke)
    release = f"{tag}-{uuid.uuid4().hex[:5]}"
    create_secret(cluster, namespace, release, seed, tmp_path)
    return seed, fake, Install(cluster, namespace, release, chart_values(tmp_path, fake, test_image, mode, writeback_image))


@pytest.mark.parametrize("mode", ["readOnly", "ownedCopy"])
def test_read_only_modes_pass_helm_test_without_a_refresh_then_die_at_the_first_task(
        cluster, restricted_namespace, test_image, writeback_image, tls, tmp_path, mode):
    seed, fake, inst = lifecycle_install(cluster, restricted_namespace("life-ro"), (test_image, writeback_image), tls,
                                         tmp_path, tag=mode.lower(), mode=mode, access_lifetime=3600)
    inst.install()

    logs = inst.test()
    assert "claude auth status of a copy without the refresh token: claude.ai, loggedIn" in logs
    assert "WARN: the access token expired 60 min ago" in logs
    assert fake.refreshes() == [], "helm test made Claude Code refresh the install's login"

    task = inst.task()
    assert task.returncode == 1, task.stdout + task.stderr
    assert "Failed to authenticate" in task.stdout and "401" in task.stdout
    spent = fake.fp(seed["claudeAiOauth"]["refreshToken"])
    outcomes = [(r["refresh"], r["outcome"]) for r in fake.refreshes()]
    assert outcomes[:2] == [(spent, "issued"), (spent, "reused")], outcomes
    stale = fake.fp(seed["claudeAiOauth"]["accessToken"])
    assert {(r["access"], r["outcome"]) for r in fake.records() if r["path"] == MESSAGES_PATH} == {(stale, "expired")}
    assert inst.secret_login() == seed, "nothing may change the Secret in a read-only mode"


def test_write_back_survives_three_expiries_and_two_restarts(
        cluster, restricted_namespace, test_image, writeback_image, tls, tmp_path):
    # 240 s tokens: inside Claude Code's 5-minute margin, so every task refreshes (several expiries each)
    seed, fake, inst = lifecycle_install(cluster, restricted_namespace("life-wb"), (test_image, writeback_image), tls,
                                         tmp_path, tag="wb", mode="writeBack", access_lifetime=240, revoke=True)
    ns = inst.ns
    inst.install()
    inst.test()
    assert fake.refreshes() == [], "helm test made Claude Code refresh the install's login"

    issued_order: list[str] = []
    secret_sequence = [fake.fp(seed["claudeAiOauth"]["refreshToken"])]
    for round_ in range(3):
        pod = inst.pod()
        in_pod = json.loads(cluster.exec(ns, pod, "cat", CREDS, container="agent").stdout)
        assert fake.fp(in_pod["claudeAiOauth"]["refreshToken"]) == secret_sequence[-1], \
            f"round {round_}: the pod did not start from the Secret's newest pair"
        task = inst.task(pod)
        assert task.returncode == 0 and REPLY_TEXT in task.stdout, (round_, task.stdout, task.stderr)
        issued_order = [r["issued_refresh"] for r in fake.refreshes() if r["outcome"] == "issued"]
        newest, task_done = issued_order[-1], time.monotonic()
        assert wait_for(lambda: fake.fp(inst.secret_login()["claudeAiOauth"]["refreshToken"]) == newest,
                        timeout=60, step=0.5), f"round {round_}: the sidecar did not write the newest pair back"
        print(f"writeBack round {round_}: task ok, {len(issued_order)} refreshes so far, newest pair in the "
              f"Secret {time.monotonic() - task_done:.1f} s after the task ended")
        secret_sequence.append(newest)
        if round_ < 2:
            inst.restart()

    refreshes = fake.refreshes()
    assert len(refreshes) >= 3
    assert {r["outcome"] for r in refreshes} == {"issued"}, [(r["refresh"], r["outcome"]) for r in refreshes]
    presented = [r["refresh"] for r in refreshes]
    assert len(presented) == len(set(presented)), "a refresh token was presented twice"
    positions = [issued_order.index(fp) for fp in secret_sequence[1:]]
    assert positions == sorted(positions) and len(set(positions)) == len(positions), "the Secret went back"
    annotations = inst.secret_annotations()
    assert annotations["aifactory.dev/rotated-by"] == "aifactory-credentials-writeback"
    assert "aifactory.dev/login-state" not in annotations
    before = len(fake.refreshes())
    inst.test()
    assert len(fake.refreshes()) == before, "helm test refreshed after the write-backs"


def second_holder_pod(name: str, image: str, fake: FakeInCluster) -> dict:
    """A pod holding its own writable copy of the same Secret (a second install, or a laptop)."""
    copy = {"name": "copy", "image": image, "imagePullPolicy": "Never", "securityContext": SECURITY,
            "command": ["/bin/sh", "-ec", "umask 077; cp /run/secret/credentials.json /home/nonroot/.claude/.credentials.json"],
            "volumeMounts": [{"name": "home", "mountPath": "/home/nonroot"},
                             {"name": "claude", "mountPath": "/home/nonroot/.claude"},
                             {"name": "secret", "mountPath": "/run/secret", "readOnly": True}]}
    return restricted_pod(name, image, container={
        "command": IDLE_AGENT, "env": [{"name": "HOME", "value": "/home/nonroot"},
                                       {"name": "NODE_EXTRA_CA_CERTS", "value": "/etc/fake-ca/ca.crt"}],
        "volumeMounts": [{"name": "home", "mountPath": "/home/nonroot"},
                         {"name": "claude", "mountPath": "/home/nonroot/.claude"},
                         {"name": "ca", "mountPath": "/etc/fake-ca", "readOnly": True},
                         {"name": "tmp", "mountPath": "/tmp"}]},
        securityContext={"fsGroup": 65532}, initContainers=[copy],
        hostAliases=[{"ip": fake.ip, "hostnames": list(HOSTS)}],
        volumes=[{"name": "home", "emptyDir": {}}, {"name": "claude", "emptyDir": {}}, {"name": "tmp", "emptyDir": {}},
                 {"name": "ca", "configMap": {"name": "fake-anthropic-ca"}},
                 {"name": "secret", "secret": {"secretName": SECRET, "defaultMode": 0o440}}])


def test_two_pods_holding_one_secret_both_lose_the_login(
        cluster, restricted_namespace, test_image, writeback_image, tls, tmp_path):
    seed, fake, inst = lifecycle_install(cluster, restricted_namespace("life-two"), (test_image, writeback_image), tls,
                                         tmp_path, tag="two", mode="writeBack", access_lifetime=3600, revoke=True)
    ns = inst.ns
    cluster.apply(second_holder_pod("second-holder", test_image, fake), namespace=ns)   # copies the seed pair
    inst.install()
    cluster.wait_pod_running(ns, "second-holder", timeout=120)

    first = inst.task()
    assert first.returncode == 0 and REPLY_TEXT in first.stdout, first.stdout + first.stderr
    second = cluster.kubectl("exec", "-n", ns, "second-holder", "--", "claude", "-p", "reply with one word",
                             check=False, timeout=180)
    assert second.returncode == 1 and "could not be refreshed" in second.stdout + second.stderr
    spent = fake.fp(seed["claudeAiOauth"]["refreshToken"])
    assert (spent, "reused") in [(r["refresh"], r["outcome"]) for r in fake.refreshes()]
    again = inst.task()
    assert again.returncode == 1, again.stdout
    assert "revoked" in {r["outcome"] for r in fake.refreshes()}

    # The operator's view: the sidecar's trace on the Secret, then `credentials status` and the audit.
    assert wait_for(lambda: inst.secret_annotations().get("aifactory.dev/login-state") == "refresh-refused",
                    timeout=60, step=1), inst.secret_annotations()
    base = [sys.executable, "-m", "aifactory_policy"]
    status = subprocess.run([*base, "credentials", "status", "-n", ns, "--format", "json", "--kubeconfig",
                             str(cluster.kubeconfig)], capture_output=True, text=True, timeout=120, cwd=REPO)
    row = json.loads(status.stdout)["installs"][0]
    assert status.returncode == 1 and row["health"] == "dead", status.stdout
    audit = subprocess.run([*base, "audit", "-n", ns, "--format", "json", "--kubeconfig", str(cluster.kubeconfig)],
                           capture_output=True, text=True, timeout=300, cwd=REPO)
    assert audit.returncode == 1, audit.stderr
    findings = json.loads(audit.stdout)["findings"]
    assert any(f["rule"] == "AIF205" and f["severity"] == "error" and "refused" in f["message"] for f in findings)
    assert "FAKE-kind" not in status.stdout + audit.stdout + audit.stderr
