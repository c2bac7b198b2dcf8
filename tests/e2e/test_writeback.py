"""writeBack mode on a real kind cluster: the chart with the write-back sidecar, driven by
`aifactory-policy credentials` through the real Kubernetes API.

- create-secret -> helm install (writeBack) -> helm test passes;
- a refreshed credentials file written in the pod (as Claude Code writes it) reaches the Secret
  within a bounded time; an older, broken or refresh-token-less file does not;
- after a restart the new pod starts with the newest pair;
- the sidecar's ServiceAccount may get/patch that one Secret and nothing else;
- a Secret replaced by someone else is not overwritten by the running pod's sidecar;
- `credentials rotate` restarts the Deployment, waits and verifies with `helm test`.
The sidecar image comes from ci/cluster/build-writeback-image (python3; the agent stand-in has none).
Fixtures: tests/e2e/conftest.py (`cluster`, `restricted_namespace`, `test_image`).
"""
from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import time
import uuid
from functools import partial

import pytest

from conftest import REPO
from fake_credentials import tagged_login
from e2e_helpers import helm, ready_agent_pod
from helpers import wait_for

pytestmark = pytest.mark.cluster

HELM = REPO / "bin" / "helm"
CHART = REPO / "charts" / "aifactory"
CREDS = "/home/nonroot/.claude/.credentials.json"
SECRET = "claude-remote-credentials"
NOW_MS = int(time.time() * 1000)
WRITEBACK_BOUND_S = 30   # interval 1 s; the bound covers API latency and kubelet exec
ACCOUNT = {"accountUuid": "00000000-0000-4000-8000-000000000001",
           "organizationUuid": "00000000-0000-4000-8000-000000000002",
           "emailAddress": "aifactory-bot@example.com"}

wait_until = partial(wait_for, step=0.5)  # polls the API server: every half second


def login(tag: str, expires_ms: int, refresh: str | None = None) -> bytes:
    """Fake credentials (tokens say FAKE-e2e), shaped as Claude Code writes them."""
    return json.dumps(tagged_login("e2e", tag, expires_ms, refresh=True if refresh is None else refresh)).encode()


def no_token(text: str) -> bool:
    return "FAKE-e2e-access" not in text and "FAKE-e2e-refresh" not in text


@pytest.fixture(scope="session")
def wb_cluster(cluster, tmp_path_factory):
    """The cluster with a private copy of its kubeconfig: ci/cluster/create-cluster, run by another
    session, rewrites the shared file in place (`kind get kubeconfig > file`), and a command that
    reads it at that moment falls back to localhost:8080."""
    import dataclasses
    import shutil
    copy = tmp_path_factory.mktemp("kubeconfig") / "kubeconfig"
    deadline = time.monotonic() + 30
    while not cluster.kubeconfig.stat().st_size and time.monotonic() < deadline:
        time.sleep(0.5)
    shutil.copyfile(cluster.kubeconfig, copy)
    return dataclasses.replace(cluster, kubeconfig=copy)


def cli(cluster, *args, timeout=600) -> subprocess.CompletedProcess:
    """`aifactory-policy credentials ...` as an operator runs it (a separate process, real API)."""
    import sys
    proc = subprocess.run([sys.executable, "-m", "aifactory_policy", "credentials", *args,
                           "--kubeconfig", str(cluster.kubeconfig)], capture_output=True, text=True,
                          timeout=timeout, cwd=REPO)
    assert no_token(proc.stdout + proc.stderr), "a token reached the CLI's output"
    return proc


class Install:
    def __init__(self, cluster, ns, release, image, writeback_image, tmp_path):
        self.cluster, self.ns, self.release = cluster, ns, release
        self.image, self.writeback_image, self.tmp = image, writeback_image, tmp_path

    def values(self) -> list:
        repo, _, tag = self.image.rpartition(":")
        values = {"image": {"repository": repo, "tag": tag, "pullPolicy": "Never"},
                  "remoteControl": {"enabled": True, "credentialsSecretName": SECRET, "mode": "writeBack",
                                    "claudeState": {"oauthAccount": ACCOUNT},
                                    "writeBack": {"image": self.writeback_image, "intervalSeconds": 1}}}
        f = self.tmp / f"values-{self.release}.yaml"
        f.write_text(json.dumps(values))
        return ["-f", str(f)]

    def install(self):
        helm(self.cluster, "install", self.release, str(CHART), "-n", self.ns, *self.values(), "--wait",
             "--timeout", "180s", timeout=240)

    @property
    def deployment(self) -> dict:
        items = json.loads(self.cluster.kubectl("get", "deploy", "-n", self.ns, "-l",
                                                f"app.kubernetes.io/instance={self.release}", "-o", "json").stdout)
        assert len(items["items"]) == 1
        return items["items"][0]

    def pod(self) -> str:
        return ready_agent_pod(self.cluster, self.ns, self.release)

    def write_in_pod(self, data: bytes, pod: str | None = None):
        """As Claude Code does: a temp file in ~/.claude, then rename over the credentials file."""
        pod = pod or self.pod()
        self.cluster.kubectl("exec", "-i", "-n", self.ns, pod, "-c", "agent", "--", "sh", "-c",
                             f"umask 077; cat > {CREDS}.tmp && mv -f {CREDS}.tmp {CREDS}", input=data.decode())

    def file_sha(self, pod: str | None = None) -> str:
        pod = pod or self.pod()
        out = self.cluster.exec(self.ns, pod, "sha256sum", CREDS, container="agent").stdout
        return out.split()[0]

    def secret(self) -> dict:
        return self.cluster.get("secret", SECRET, self.ns)

    def secret_value(self) -> bytes:
        return base64.b64decode(self.secret()["data"]["credentials.json"])

    def sidecar_logs(self, pod: str | None = None) -> str:
        return self.cluster.kubectl("logs", "-n", self.ns, pod or self.pod(), "-c", "credentials-writeback",
                                    check=False).stdout


@pytest.fixture
def installed(wb_cluster, restricted_namespace, test_image, writeback_image, tmp_path):
    """Namespace + create-secret (the CLI, real API) + helm install in writeBack mode."""
    cluster = wb_cluster
    ns = restricted_namespace("wb")
    release = f"wb-{uuid.uuid4().hex[:5]}"
    first = tmp_path / "first.json"
    first.write_bytes(login("first", NOW_MS + 3_600_000))
    proc = cli(cluster, "create-secret", "--install", release, "-n", ns, "--from-file", str(first))
    assert proc.returncode == 0, proc.stderr
    assert "credentialsSecretName: claude-remote-credentials" in proc.stdout
    inst = Install(cluster, ns, release, test_image, writeback_image, tmp_path)
    inst.install()
    inst.first = first.read_bytes()
    yield inst
    helm(cluster, "uninstall", release, "-n", ns, "--wait", "--timeout", "60s", check=False)


def test_create_secret_then_install_then_helm_test_passes(wb_cluster, installed):
    cluster = wb_cluster
    s = installed.secret()
    assert s["metadata"]["labels"]["aifactory.dev/install"] == installed.release
    assert s["metadata"]["annotations"]["aifactory.dev/owner"] == \
        f"system:serviceaccount:{installed.ns}:{installed.release}-aifactory"
    assert s["metadata"]["annotations"]["aifactory.dev/fingerprint"].startswith("hmac-sha256:")
    full = json.loads(cluster.kubectl("get", "secret", SECRET, "-n", installed.ns, "-o", "json",
                                      "--show-managed-fields").stdout)
    managers = {(m["manager"], m["operation"]) for m in full["metadata"]["managedFields"]}
    assert ("aifactory-policy", "Apply") in managers  # server-side apply
    proc = helm(cluster, "test", installed.release, "-n", installed.ns, "--timeout", "180s", timeout=240)
    assert "Phase:          Succeeded" in proc.stdout
    probe = cluster.kubectl("logs", "-n", installed.ns, f"{installed.release}-aifactory-credentials-probe",
                            "-c", "probe").stdout
    assert probe.startswith("access token valid for ") and no_token(probe)   # the probe's expiry line
    assert probe.splitlines()[-1].startswith("ok:")
    assert installed.file_sha() == hashlib.sha256(installed.first).hexdigest()


def test_refreshed_file_reaches_the_secret_and_a_restart_uses_it(wb_cluster, installed):
    cluster = wb_cluster
    pod = installed.pod()
    newer = login("refreshed", NOW_MS + 7_200_000)
    t0 = time.monotonic()
    installed.write_in_pod(newer, pod)
    assert wait_until(lambda: installed.secret_value() == newer, WRITEBACK_BOUND_S), installed.sidecar_logs(pod)
    took = time.monotonic() - t0
    ann = installed.secret()["metadata"]["annotations"]
    assert ann["aifactory.dev/rotated-by"] == "aifactory-credentials-writeback" and ann["aifactory.dev/rotated-at"]
    logs = installed.sidecar_logs(pod)
    assert "wrote Secret key 'credentials.json'" in logs and no_token(logs)
    print(f"write-back took {took:.1f}s (bound {WRITEBACK_BOUND_S}s)")
    # restart: the new pod starts from the newest pair
    cluster.kubectl("rollout", "restart", f"deployment/{installed.deployment['metadata']['name']}", "-n", installed.ns)
    cluster.kubectl("rollout", "status", f"deployment/{installed.deployment['metadata']['name']}", "-n",
                    installed.ns, "--timeout=180s", timeout=200)
    new_pod = installed.pod()
    assert new_pod != pod
    assert installed.file_sha(new_pod) == hashlib.sha256(newer).hexdigest()


@pytest.mark.parametrize("case", ["older", "same-expiry", "broken", "no-refresh-token"])
def test_older_or_broken_file_is_not_written_back(wb_cluster, installed, case):
    pod = installed.pod()
    bad = {"older": login("older", NOW_MS + 60_000),
           "same-expiry": login("sideways", json.loads(installed.first)["claudeAiOauth"]["expiresAt"]),
           "broken": b'{"claudeAiOauth": {"accessToken": "sk-ant-oat01-FAKE-e2e-access-half',
           "no-refresh-token": login("norefresh", NOW_MS + 9_000_000, refresh="")}[case]
    installed.write_in_pod(bad, pod)
    reason = {"older": "not newer", "same-expiry": "not newer", "broken": "not valid JSON",
              "no-refresh-token": "empty refresh token"}[case]
    assert wait_until(lambda: reason in installed.sidecar_logs(pod), WRITEBACK_BOUND_S), installed.sidecar_logs(pod)
    time.sleep(3)  # three more intervals
    assert installed.secret_value() == installed.first
    assert "aifactory.dev/rotated-by" not in installed.secret()["metadata"]["annotations"]
    assert no_token(installed.sidecar_logs(pod))


def test_sidecar_service_account_can_patch_that_secret_and_nothing_else(wb_cluster, installed):
    cluster = wb_cluster
    sa = installed.deployment["spec"]["template"]["spec"]["serviceAccountName"]
    who = f"system:serviceaccount:{installed.ns}:{sa}"

    def can(*args) -> str:
        return cluster.kubectl("auth", "can-i", *args, "-n", installed.ns, f"--as={who}", check=False).stdout.strip()

    assert can("get", f"secret/{SECRET}") == "yes"
    assert can("patch", f"secret/{SECRET}") == "yes"
    for verb, what in [("update", f"secret/{SECRET}"), ("delete", f"secret/{SECRET}"), ("get", "secret/other"),
                       ("patch", "secret/aifactory-fingerprint-key"), ("get", "secret/aifactory-fingerprint-key"),
                       ("list", "secrets"), ("watch", "secrets"), ("create", "secrets"), ("get", "configmaps"),
                       ("patch", "deployments"), ("create", "pods/exec"), ("get", "pods")]:
        assert can(verb, what) == "no", f"{who} may {verb} {what}"
    # the agent container has no API token at all; only the sidecar mounts one
    pod = cluster.get("pod", installed.pod(), installed.ns)
    agent = next(c for c in pod["spec"]["containers"] if c["name"] == "agent")
    assert not any("serviceaccount" in m["mountPath"] or "writeback" in m["mountPath"] for m in agent["volumeMounts"])
    assert pod["spec"]["automountServiceAccountToken"] is False


def test_secret_replaced_by_someone_else_is_not_overwritten(wb_cluster, installed):
    cluster = wb_cluster
    pod = installed.pod()
    replaced = login("operator", NOW_MS + 1_800_000)
    cluster.kubectl("patch", "secret", SECRET, "-n", installed.ns, "--type=merge", "-p",
                    json.dumps({"data": {"credentials.json": base64.b64encode(replaced).decode()}}))
    installed.write_in_pod(login("oldfamily", NOW_MS + 9_000_000), pod)
    assert wait_until(lambda: "replaced by someone else" in installed.sidecar_logs(pod), WRITEBACK_BOUND_S), \
        installed.sidecar_logs(pod)
    assert installed.secret_value() == replaced


def test_rotate_restarts_waits_and_verifies(wb_cluster, installed, tmp_path):
    cluster = wb_cluster
    old_pod = installed.pod()
    new = tmp_path / "new.json"
    new.write_bytes(login("rotated", NOW_MS + 5_400_000))
    proc = cli(cluster, "rotate", "--install", installed.release, "-n", installed.ns, "--from-file", str(new),
               "--helm", str(HELM), "--timeout", "180")
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert "helm test passed" in proc.stdout and " -> " in proc.stdout
    assert f"restarted:   deployment/{installed.deployment['metadata']['name']}" in proc.stdout
    new_pod = installed.pod()
    assert new_pod != old_pod
    assert installed.secret_value() == new.read_bytes()
    assert installed.file_sha(new_pod) == hashlib.sha256(new.read_bytes()).hexdigest()
    # status reads it back
    st = cli(cluster, "status", "-n", installed.ns, "--install", installed.release, "--format", "json")
    row = json.loads(st.stdout)["installs"][0]
    assert st.returncode == 0, st.stdout
    assert row["mode"] == "writeBack" and row["fingerprintMatch"] == "match" and row["rotatedBy"] == "aifactory-policy"
