"""Fixtures for the cluster tests (marker `cluster`): a REAL kind cluster, built offline.

The session fixture runs `ci/cluster/create-cluster` (idempotent: seconds when the cluster
`aifactory` is already up and healthy; builds/creates it otherwise), then attaches pytest-kind's
`KindCluster` to it with `bin/kind` and `bin/kubectl` so nothing is ever downloaded. If the
cluster cannot come up, every test using it FAILS with the reason; nothing is skipped.
"""
from __future__ import annotations

import contextlib
import json
import os
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

REPO = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("AIFACTORY_CACHE", Path.home() / ".cache" / "aifactory-chart"))
CLUSTER_NAME = os.environ.get("AIFACTORY_CLUSTER", "aifactory")  # pytest --cluster-name sets it
KIND = REPO / "bin" / "kind"
KUBECTL = REPO / "bin" / "kubectl"
CREATE_TIMEOUT = int(os.environ.get("AIFACTORY_CREATE_TIMEOUT", "7200"))  # a cold build is long


@dataclass
class Cluster:
    """The running cluster: pytest-kind's KindCluster plus what the tests need."""

    kind: Any  # pytest_kind.KindCluster, attached (never created/deleted by pytest-kind)
    name: str
    kubeconfig: Path
    test_image: str
    node_image: str

    def kubectl(self, *args: str, input: str | None = None, check: bool = True,
                timeout: int = 120) -> subprocess.CompletedProcess[str]:
        """Runs bin/kubectl against this cluster; returns the completed process."""
        proc = subprocess.run(
            [str(KUBECTL), "--kubeconfig", str(self.kubeconfig), *args],
            input=input, capture_output=True, text=True, timeout=timeout,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"kubectl {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
        return proc

    def apply(self, manifest: dict | list, namespace: str | None = None) -> None:
        docs = manifest if isinstance(manifest, list) else [manifest]
        args = ["apply", "-f", "-"] + (["-n", namespace] if namespace else [])
        self.kubectl(*args, input="\n---\n".join(json.dumps(d) for d in docs))

    def get(self, kind: str, name: str, namespace: str) -> dict:
        return json.loads(self.kubectl("get", kind, name, "-n", namespace, "-o", "json").stdout)

    def exec(self, namespace: str, pod: str, *command: str, container: str | None = None,
             check: bool = True) -> subprocess.CompletedProcess[str]:
        c = ["-c", container] if container else []
        return self.kubectl("exec", "-n", namespace, pod, *c, "--", *command, check=check)

    def wait_pod_running(self, namespace: str, pod: str, timeout: int = 120) -> dict:
        """Waits for phase Running with all containers ready; fails with the pod's state."""
        deadline = time.monotonic() + timeout
        obj: dict = {}
        while time.monotonic() < deadline:
            obj = self.get("pod", pod, namespace)
            statuses = obj.get("status", {}).get("containerStatuses") or []
            if obj.get("status", {}).get("phase") == "Running" and statuses and all(
                    s.get("ready") for s in statuses):
                return obj
            if obj.get("status", {}).get("phase") in ("Failed", "Succeeded"):
                break
            time.sleep(1)
        events = self.kubectl("get", "events", "-n", namespace, "--field-selector",
                              f"involvedObject.name={pod}", check=False).stdout
        raise AssertionError(
            f"pod {namespace}/{pod} not running after {timeout}s: "
            f"{json.dumps(obj.get('status', {}), indent=1)}\nevents:\n{events}")


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """The kind cluster `aifactory`, created or reused by ci/cluster/create-cluster."""
    for tool in (KIND, KUBECTL):
        if not tool.exists():
            pytest.fail(f"{tool} is missing: run `ci/bootstrap --cluster` (it builds bin/kind and bin/kubectl)")
    try:
        proc = subprocess.run([str(REPO / "ci" / "cluster" / "create-cluster")],
                              capture_output=True, text=True, timeout=CREATE_TIMEOUT,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"ci/cluster/create-cluster did not finish within {CREATE_TIMEOUT}s:\n"
                    f"{_tail((exc.stderr or b'').decode(errors='replace') if isinstance(exc.stderr, bytes) else exc.stderr or '')}")
    if proc.returncode != 0:
        pytest.fail(f"the kind cluster could not be created (ci/cluster/create-cluster exit "
                    f"{proc.returncode}):\n{_tail(proc.stderr)}")
    kubeconfig = Path(proc.stdout.strip().splitlines()[-1])
    if not kubeconfig.is_file():
        pytest.fail(f"ci/cluster/create-cluster printed no kubeconfig path (got {proc.stdout!r})")
    test_image = (CACHE / "images" / "agent-test.tag").read_text().strip()
    node_image = (CACHE / "images" / "kind-node.tag").read_text().strip()

    from pytest_kind import KindCluster  # the venv's pytest-kind (ci/bootstrap)

    # KindCluster keeps a scratch dir under ./.pytest-kind: make it outside the checkout.
    with contextlib.chdir(tmp_path_factory.mktemp("pytest-kind")):
        kc = KindCluster(CLUSTER_NAME, kubeconfig=kubeconfig, image=node_image,
                         kind_path=KIND, kubectl_path=KUBECTL)
    kc.create()  # the cluster exists, so this only attaches (never a plain `kind create`)
    c = Cluster(kind=kc, name=CLUSTER_NAME, kubeconfig=kubeconfig, test_image=test_image,
                node_image=node_image)
    ready = c.kubectl("get", "--raw", "/readyz", check=False)
    if ready.returncode != 0 or ready.stdout.strip() != "ok":
        pytest.fail(f"API server of {CLUSTER_NAME} not ready: {ready.stdout}{ready.stderr}")
    yield c  # the cluster stays up for the next run (ci/cluster/delete-cluster removes it)


@pytest.fixture(scope="session")
def kubeconfig(cluster: Cluster) -> Path:
    return cluster.kubeconfig


@pytest.fixture(scope="session")
def test_image(cluster: Cluster) -> str:
    """Tag of the agent stand-in image (already loaded into the node)."""
    return cluster.test_image


def built_and_loaded(script: str, load_timeout: int = 900) -> str:
    """Runs ci/cluster/<script> (it builds the image once, cached, and prints its tag last) and loads
    the image into the kind node; the tag."""
    proc = subprocess.run([str(REPO / "ci" / "cluster" / script)], capture_output=True, text=True,
                          timeout=1800, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        pytest.fail(f"ci/cluster/{script} failed:\n{proc.stderr[-3000:]}")
    tag = proc.stdout.strip().splitlines()[-1]
    load = subprocess.run([str(KIND), "load", "docker-image", tag, "--name", CLUSTER_NAME], capture_output=True,
                          text=True, timeout=load_timeout)
    if load.returncode != 0:
        pytest.fail(f"kind load docker-image {tag} failed:\n{load.stdout}{load.stderr}")
    return tag


@pytest.fixture(scope="session")
def writeback_image(cluster) -> str:
    """The write-back sidecar's image (python3; ci/cluster/build-writeback-image), loaded into the node.
    The fake Anthropic endpoint runs in it too."""
    return built_and_loaded("build-writeback-image", load_timeout=600)


@pytest.fixture(scope="session")
def broker_image(cluster, writeback_image) -> str:
    """The credentials broker's image (python3 + the real Claude Code; ci/cluster/build-broker-image), loaded
    into the node."""
    return built_and_loaded("build-broker-image")


@pytest.fixture(scope="session")
def prometheus_image(cluster) -> str:
    """A Prometheus server image (the static `prometheus` from the pinned module, nothing else;
    ci/cluster/build-prometheus-image), loaded into the node."""
    return built_and_loaded("build-prometheus-image")


@pytest.fixture
def restricted_namespace(cluster: Cluster) -> Iterator[Callable[..., str]]:
    """Factory: `restricted_namespace(prefix="t")` creates a namespace enforcing the restricted
    Pod Security Standard and returns its name; all are deleted after the test."""
    created: list[str] = []

    def make(prefix: str = "e2e", labels: dict[str, str] | None = None) -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        cluster.apply({
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": {
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/enforce-version": "latest",
                "pod-security.kubernetes.io/warn": "restricted",
                "app.kubernetes.io/part-of": "aifactory-e2e",
                **(labels or {})}},
        })
        created.append(name)
        # The ServiceAccount controller must have made `default` before pods can be created.
        deadline = time.monotonic() + 60
        while cluster.kubectl("get", "sa", "default", "-n", name, check=False).returncode != 0:
            if time.monotonic() > deadline:
                raise AssertionError(f"no default ServiceAccount in {name} after 60s")
            time.sleep(0.5)
        return name

    yield make
    for name in created:
        cluster.kubectl("delete", "namespace", name, "--wait=false", "--ignore-not-found", check=False)

