"""Smoke test of the real kind cluster: a restricted pod runs the agent stand-in image as
65532, and what kubelet really does to a Secret file mounted with subPath and mode 0400."""
from __future__ import annotations

import base64
import json

import pytest

from e2e_helpers import restricted_pod

pytestmark = pytest.mark.cluster

CREDS_PATH = "/home/nonroot/.claude/.credentials.json"
FAKE_CREDENTIALS = {"claudeAiOauth": {
    "accessToken": "sk-ant-oat01-FAKE-e2e-smoke", "refreshToken": "sk-ant-ort01-FAKE-e2e-smoke",
    "expiresAt": 4102444800000,
    "scopes": ["user:inference", "user:profile", "user:sessions:claude_code"],
    "subscriptionType": "max"}}


def credentials_secret(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "type": "Opaque",
            "data": {"credentials.json": base64.b64encode(
                json.dumps(FAKE_CREDENTIALS).encode()).decode()}}


def pod_with_secret_file(name: str, image: str, secret: str, fs_group: int | None) -> dict:
    """The chart's readOnly layout: Secret item -> credentials.json, defaultMode 0400, subPath,
    readOnly, with pod-user-writable emptyDirs at HOME and at ~/.claude underneath."""
    security = {"fsGroup": fs_group} if fs_group is not None else {}
    return restricted_pod(
        name, image,
        securityContext=security,
        volumes=[
            {"name": "credentials", "secret": {"secretName": secret, "defaultMode": 0o400,
                                               "items": [{"key": "credentials.json",
                                                          "path": "credentials.json"}]}},
            {"name": "home", "emptyDir": {"medium": "Memory"}},
            {"name": "claude-state", "emptyDir": {"medium": "Memory"}},
        ],
        container={"volumeMounts": [
            {"name": "home", "mountPath": "/home/nonroot"},
            {"name": "claude-state", "mountPath": "/home/nonroot/.claude"},
            {"name": "credentials", "mountPath": CREDS_PATH, "subPath": "credentials.json",
             "readOnly": True},
        ]},
    )


def test_restricted_pod_runs_as_nonroot(cluster, restricted_namespace, test_image):
    ns = restricted_namespace("smoke")
    cluster.apply(restricted_pod("agent", test_image), namespace=ns)
    cluster.wait_pod_running(ns, "agent")
    assert cluster.exec(ns, "agent", "id").stdout.strip() == \
        "uid=65532(nonroot) gid=65532(nonroot) groups=65532(nonroot)"
    assert cluster.exec(ns, "agent", "claude", "--version").stdout.strip().endswith("(Claude Code)")


def test_restricted_namespace_rejects_root_pod(cluster, restricted_namespace, test_image):
    ns = restricted_namespace("smoke")
    pod = restricted_pod("root", test_image)
    pod["spec"]["securityContext"] = {"runAsUser": 0}
    proc = cluster.kubectl("apply", "-n", ns, "-f", "-", input=json.dumps(pod), check=False)
    assert proc.returncode != 0
    assert 'violates PodSecurity "restricted:latest"' in proc.stderr


def test_secret_subpath_0400_with_fsgroup_becomes_0440_root_fsgroup(cluster, restricted_namespace,
                                                                     test_image):
    ns = restricted_namespace("smoke")
    cluster.apply(credentials_secret("claude-credentials"), namespace=ns)
    cluster.apply(pod_with_secret_file("agent", test_image, "claude-credentials", 65532),
                  namespace=ns)
    cluster.wait_pod_running(ns, "agent")
    st = cluster.exec(ns, "agent", "stat", "-L", "-c", "%a %u %g", CREDS_PATH).stdout.split()
    # kubelet adds group read for the fsGroup to defaultMode 0400 (kubernetes #57923).
    assert st == ["440", "0", "65532"]
    assert json.loads(cluster.exec(ns, "agent", "cat", CREDS_PATH).stdout) == FAKE_CREDENTIALS
    # No write bit for anyone: the permission check refuses before the read-only mount would.
    write = cluster.exec(ns, "agent", "sh", "-c", f"echo x >> {CREDS_PATH}", check=False)
    assert write.returncode != 0 and "Permission denied" in write.stderr
    mounts = cluster.exec(ns, "agent", "cat", "/proc/self/mounts").stdout.splitlines()
    (entry,) = [m for m in mounts if m.split()[1] == CREDS_PATH]
    assert "ro" in entry.split()[3].split(","), entry  # kubelet mounts Secret volumes read-only
    status = cluster.exec(ns, "agent", "claude", "auth", "status", check=False)
    assert json.loads(status.stdout)["authMethod"] == "claude.ai"
    # The parent of the single-file mount is the emptyDir: root-owned, group fsGroup, setgid,
    # sticky and world-writable (a medium: Memory emptyDir is a tmpfs with mode 1777;
    # fsGroup adds the group and setgid), so Claude Code can keep state there.
    assert cluster.exec(ns, "agent", "stat", "-c", "%a %u %g",
                        "/home/nonroot/.claude").stdout.split() == ["3777", "0", "65532"]
    cluster.exec(ns, "agent", "mkdir", "/home/nonroot/.claude/e2e-probe")


def test_secret_subpath_0400_without_fsgroup_is_unreadable_for_the_pod_user(
        cluster, restricted_namespace, test_image):
    ns = restricted_namespace("smoke")
    cluster.apply(credentials_secret("claude-credentials"), namespace=ns)
    cluster.apply(pod_with_secret_file("agent", test_image, "claude-credentials", None),
                  namespace=ns)
    cluster.wait_pod_running(ns, "agent")
    st = cluster.exec(ns, "agent", "stat", "-L", "-c", "%a %u %g", CREDS_PATH).stdout.split()
    assert st == ["400", "0", "0"]
    read = cluster.exec(ns, "agent", "cat", CREDS_PATH, check=False)
    assert read.returncode != 0 and "Permission denied" in read.stderr
    # Claude Code then silently reports "not logged in" (docs/facts.md).
    status = cluster.exec(ns, "agent", "claude", "auth", "status", check=False)
    assert status.returncode == 1
    assert json.loads(status.stdout)["loggedIn"] is False


def test_pod_reaches_the_api_by_service_ip_and_dns(cluster, restricted_namespace, test_image):
    """kube-proxy (iptables-nft) routes the `kubernetes` Service; CoreDNS resolves its name.
    (busybox `wget -T` segfaults on this machine; the probe speaks HTTP through nc.)"""
    ns = restricted_namespace("smoke")
    cluster.apply(restricted_pod("agent", test_image), namespace=ns)
    cluster.wait_pod_running(ns, "agent")
    probe = "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 {} 443"
    out = cluster.exec(ns, "agent", "sh", "-c", probe.format("10.96.0.1")).stdout
    assert out.startswith("HTTP/1.0 400 Bad Request")  # an HTTPS server answered plain HTTP
    dns = cluster.exec(ns, "agent", "nslookup", "kubernetes.default.svc.cluster.local").stdout
    assert "Address: 10.96.0.1" in dns, dns
