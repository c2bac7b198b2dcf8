"""Helpers for the cluster tests (tests/e2e is on sys.path: `from e2e_helpers import ...`)."""
from __future__ import annotations

from typing import Any


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
