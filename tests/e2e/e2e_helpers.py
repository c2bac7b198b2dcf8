"""Helpers for the cluster tests (tests/e2e is on sys.path: `from e2e_helpers import ...`)."""
from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

HELM = Path(__file__).resolve().parents[2] / "bin" / "helm"


def helm(cluster, *args: str, check: bool = True, timeout: int = 300) -> subprocess.CompletedProcess:
    """bin/helm against `cluster`; fails the test with Helm's output when `check` and it exits non-zero."""
    proc = subprocess.run([str(HELM), "--kubeconfig", str(cluster.kubeconfig), *args], capture_output=True,
                          text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"helm {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    return proc


def ready_agent_pod(cluster, namespace: str, release: str, timeout: float = 180) -> str:
    """The one running, ready agent pod of RELEASE (waits out a Recreate or a rollout)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pods = json.loads(cluster.kubectl("get", "pods", "-n", namespace, "-l",
                                          f"app.kubernetes.io/instance={release},app.kubernetes.io/component=agent",
                                          "-o", "json").stdout)["items"]
        live = [p for p in pods if not p["metadata"].get("deletionTimestamp")]
        if len(live) == 1 and live[0]["status"].get("phase") == "Running" and all(
                c.get("ready") for c in live[0]["status"].get("containerStatuses") or [{}]):
            return live[0]["metadata"]["name"]
        time.sleep(1)
    raise AssertionError(f"no single ready pod of {release} in {namespace} after {timeout:.0f}s:\n"
                         + cluster.kubectl("get", "pods,events", "-n", namespace, check=False).stdout)


def restricted_pod(name: str, image: str, **spec: Any) -> dict:
    """A pod spec passing the restricted Pod Security Standard, running as 65532."""
    container = {
        "name": "agent", "image": image, "imagePullPolicy": "Never",
        "command": ["sleep", "3600"],
        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                            "readOnlyRootFilesystem": True, "runAsNonRoot": True},
    }
    container.update(spec.pop("container", {}))
    pod_spec = {
        "securityContext": {"runAsNonRoot": True, "runAsUser": 65532, "runAsGroup": 65532,
                            "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [container], "terminationGracePeriodSeconds": 1,
        "automountServiceAccountToken": False,
    }
    for key, value in spec.items():
        if key == "securityContext":
            pod_spec["securityContext"].update(value)
        else:
            pod_spec[key] = value
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": pod_spec}
