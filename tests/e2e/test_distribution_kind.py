"""The chart and the cluster as distributed artifacts, through a local OCI registry (this machine
reaches no registry of its own; the registry is distribution's, built from Go modules by
`ci/bootstrap --cluster` into bin/registry):

- `helm package` + `helm push` of the chart, then `helm install oci://…` into kind (both Helm
  majors read it back), exactly the path a user takes from a public registry;
- the path every user with internet access takes for the cluster: the locally built node image is
  pushed to the registry and `ci/cluster/create-cluster` makes a second cluster from that reference
  (AIFACTORY_NODE_IMAGE=<registry>/…@sha256:…), skipping every build.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request
import uuid

import pytest

from chart_release import CHART, IDLE_AGENT, REPO
from helpers import wait_for, yaml_load

pytestmark = pytest.mark.cluster
BIN = REPO / "bin"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    """bin/registry (distribution) serving HTTP on 127.0.0.1 (Docker and Helm allow plain HTTP to
    loopback), storage in a temporary directory; stopped after the module."""
    binary = BIN / "registry"
    if not binary.exists():
        pytest.fail("bin/registry is missing: run `ci/bootstrap --cluster` (it builds distribution's registry)")
    root = tmp_path_factory.mktemp("registry")
    port = free_port()
    config = root / "config.yml"
    config.write_text(json.dumps({"version": 0.1, "log": {"level": "warn"},
                                  "storage": {"filesystem": {"rootdirectory": str(root / "data")}},
                                  "http": {"addr": f"127.0.0.1:{port}"}}))
    log = open(root / "registry.log", "w")
    proc = subprocess.Popen([str(binary), "serve", str(config)], stdout=log, stderr=subprocess.STDOUT)

    def up() -> bool:
        try:
            return urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=2).status == 200
        except OSError:
            return False
    if not wait_for(up, timeout=30, step=0.2):
        proc.kill()
        pytest.fail(f"the local registry did not answer: {(root / 'registry.log').read_text()[-2000:]}")
    yield f"127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


def run(*cmd: str, env: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    proc = subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout, env=env)
    assert proc.returncode == 0, f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}"
    return proc


def test_chart_pushed_to_an_oci_registry_installs_from_it(cluster, restricted_namespace, test_image, registry,
                                                          tmp_path):
    version = yaml_load((CHART / "Chart.yaml").read_text())["version"]
    package = run(str(BIN / "helm"), "package", str(CHART), "-d", str(tmp_path)).stdout
    tgz = tmp_path / f"aifactory-{version}.tgz"
    assert tgz.is_file(), package
    pushed = run(str(BIN / "helm"), "push", str(tgz), f"oci://{registry}/charts", "--plain-http")
    assert "Digest: sha256:" in pushed.stdout + pushed.stderr
    ref = f"oci://{registry}/charts/aifactory"
    for helm in ("helm", "helm4"):   # both majors read the pushed chart back
        shown = yaml_load(run(str(BIN / helm), "show", "chart", ref, "--version", version, "--plain-http").stdout)
        assert shown["name"] == "aifactory" and shown["version"] == version
    ns = restricted_namespace("oci")
    repo, _, tag = test_image.rpartition(":")
    env = {**os.environ, "KUBECONFIG": str(cluster.kubeconfig)}
    run(str(BIN / "helm"), "install", "from-oci", ref, "--version", version, "--plain-http", "-n", ns,
        "--set", f"image.repository={repo}", "--set", f"image.tag={tag}", "--set", "image.pullPolicy=Never",
        "--set-json", f"agent.command={json.dumps(IDLE_AGENT)}", "--wait", "--timeout", "180s", env=env)
    listed = json.loads(run(str(BIN / "helm"), "list", "-n", ns, "-o", "json", env=env).stdout)
    assert [(r["name"], r["chart"], r["status"]) for r in listed] == [("from-oci", f"aifactory-{version}", "deployed")]
    tested = run(str(BIN / "helm"), "test", "from-oci", "-n", ns, "--logs", "--timeout", "180s", env=env)
    assert "ok: Remote Control is off and no credentials file is present" in tested.stdout


def test_a_cluster_from_a_node_image_reference_skips_every_build(cluster, registry, tmp_path):
    local = cluster.node_image
    ref_tag = f"{registry}/aifactory/kind-node:{local.rsplit(':', 1)[1]}"
    run("docker", "tag", local, ref_tag)
    run("docker", "push", ref_tag, timeout=900)
    digest = next(d for d in json.loads(run("docker", "image", "inspect", ref_tag).stdout)[0]["RepoDigests"]
                  if d.startswith(f"{registry}/"))
    run("docker", "rmi", ref_tag)           # only the digest reference is left to resolve
    name = f"aifactory-ref-{uuid.uuid4().hex[:4]}"
    env = {**os.environ, "AIFACTORY_CLUSTER": name, "AIFACTORY_NODE_IMAGE": digest}
    started = time.monotonic()
    try:
        created = run(str(REPO / "ci" / "cluster" / "create-cluster"), env=env, timeout=900)
        log = created.stderr
        assert f"prebuilt node image {digest}: the Kubernetes and node-image builds are skipped" in log, log
        assert "building" not in log, log
        kubeconfig = created.stdout.strip().splitlines()[-1]
        node = json.loads(run(str(BIN / "kubectl"), "--kubeconfig", kubeconfig, "get", "node",
                              f"{name}-control-plane", "-o", "json").stdout)
        ready = {c["type"]: c["status"] for c in node["status"]["conditions"]}
        assert ready["Ready"] == "True"
        image = run("docker", "inspect", "-f", "{{.Config.Image}}", f"{name}-control-plane").stdout.strip()
        assert image == digest
        print(f"cluster {name} from {digest}: ready in {time.monotonic() - started:.0f} s")
    finally:
        subprocess.run([str(REPO / "ci" / "cluster" / "delete-cluster")], env=env, capture_output=True, timeout=300)
