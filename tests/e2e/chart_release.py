"""Install the real chart into the kind cluster with the real Helm, and reach pods with testinfra."""
from __future__ import annotations

import base64
import json
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "charts" / "aifactory"
BIN = REPO / "bin"
CREDENTIALS_PATH = "/home/nonroot/.claude/.credentials.json"
SECRET = "claude-remote-credentials"
# The stand-in agent idles and exits on SIGTERM (a bare `sleep` as PID 1 ignores it, so every
# Recreate would wait out the 30 s grace period).
IDLE_AGENT = ["/bin/sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]
OAUTH_ACCOUNT = {"accountUuid": "00000000-0000-4000-8000-000000000001",
                 "organizationUuid": "00000000-0000-4000-8000-000000000002",
                 "emailAddress": "aifactory-bot@example.com"}


def fake_login(tag: str = "A", hours: int = 8, scopes=("user:inference", "user:profile", "user:sessions:claude_code")) -> str:
    """A fake full-scope login in the shape `claude auth login` writes (data, not a credential)."""
    return json.dumps({"claudeAiOauth": {
        "accessToken": f"sk-ant-oat01-E2E-FAKE-ACCESS-{tag}-000000000000",
        "refreshToken": f"sk-ant-ort01-E2E-FAKE-REFRESH-{tag}-000000000000",
        "expiresAt": int(time.time() * 1000) + hours * 3600 * 1000,
        "scopes": list(scopes), "subscriptionType": "max"}})


def create_secret_like_the_seed(cluster, namespace: str, content: str, key: str = "credentials.json",
                                name: str = SECRET) -> None:
    """Exactly the seed's `kubectl create secret generic --from-file=credentials.json=FILE`
    (made idempotent with its own rotation runbook: --dry-run=client -o yaml | kubectl apply)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ".credentials.json"
        path.write_text(content)
        manifest = cluster.kubectl("create", "secret", "generic", name, f"--from-file={key}={path}",
                                   "-n", namespace, "--dry-run=client", "-o", "yaml").stdout
    cluster.kubectl("apply", "-f", "-", input=manifest)


def secret_content(cluster, namespace: str, key: str = "credentials.json", name: str = SECRET) -> str:
    data = cluster.get("secret", name, namespace)["data"]
    return base64.b64decode(data[key]).decode()


@dataclass
class Release:
    cluster: object
    namespace: str
    name: str = "aifactory"
    helm: str = "helm3"
    image: str = ""
    extra: list[str] = field(default_factory=list)

    def env(self) -> dict:
        return {**os.environ, "KUBECONFIG": str(self.cluster.kubeconfig), "PATH": f"{BIN}:{os.environ['PATH']}",
                "HELM_CACHE_HOME": str(Path(tempfile.gettempdir()) / "aifactory-helm-cache")}

    def helm_cmd(self, *args: str, timeout: int = 240) -> subprocess.CompletedProcess:
        return subprocess.run([str(BIN / self.helm), *args], capture_output=True, text=True,
                              timeout=timeout, env=self.env())

    def image_args(self) -> list[str]:
        repo, tag = self.image.rsplit(":", 1)
        return ["--set", f"image.repository={repo}", "--set", f"image.tag={tag}", "--set", "image.pullPolicy=Never",
                "--set-json", f"agent.command={json.dumps(IDLE_AGENT)}"]

    def upgrade(self, *values: str, wait: bool = True, check: bool = True) -> subprocess.CompletedProcess:
        args = ["upgrade", "--install", self.name, str(CHART), "-n", self.namespace, *self.image_args(),
                *self.extra, *values]
        if wait:
            args += ["--wait", "--timeout", "180s"]
        result = self.helm_cmd(*args)
        if check:
            assert result.returncode == 0, f"helm {' '.join(args)}\n{result.stdout}{result.stderr}"
        return result

    def remote_control(self, mode: str = "readOnly", *more: str, **kw) -> subprocess.CompletedProcess:
        return self.upgrade("--set", "remoteControl.enabled=true", "--set", f"remoteControl.credentialsSecretName={SECRET}",
                            "--set", f"remoteControl.mode={mode}",
                            "--set-json", f"remoteControl.claudeState.oauthAccount={json.dumps(OAUTH_ACCOUNT)}", *more, **kw)

    def test(self) -> subprocess.CompletedProcess:
        return self.helm_cmd("test", self.name, "-n", self.namespace, "--logs", "--timeout", "180s")

    def pod(self) -> str:
        """The single running agent pod (waits out a Recreate)."""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            pods = json.loads(self.cluster.kubectl(
                "get", "pods", "-n", self.namespace, "-l",
                f"app.kubernetes.io/instance={self.name},app.kubernetes.io/component=agent", "-o", "json").stdout)["items"]
            live = [p for p in pods if p["status"].get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")]
            if len(live) == 1 and len(pods) == 1:
                return live[0]["metadata"]["name"]
            time.sleep(1)
        raise AssertionError(f"no single running agent pod in {self.namespace}: {[p['metadata']['name'] for p in pods]}")

    def host(self, container: str = "agent"):
        """A testinfra host inside the agent pod (kubectl backend)."""
        import testinfra
        os.environ["PATH"] = f"{BIN}:{os.environ['PATH']}"  # testinfra runs `kubectl` from PATH
        return testinfra.get_host(
            f"kubectl://{self.pod()}?container={container}&namespace={self.namespace}"
            f"&kubeconfig={self.cluster.kubeconfig}")


def node_exec(cluster, *command: str, check: bool = True) -> subprocess.CompletedProcess:
    """Runs a command on the kind node (the real kubelet's filesystem)."""
    result = subprocess.run(["docker", "exec", f"{cluster.name}-control-plane", *command],
                            capture_output=True, text=True, timeout=60)
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def pod_uid(cluster, namespace: str, pod: str) -> str:
    return cluster.get("pod", pod, namespace)["metadata"]["uid"]
