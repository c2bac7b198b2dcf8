"""The chart's audit CronJob in kind, writing PolicyReports (wgpolicyk8s.io/v1alpha2, the test CRDs
of tests/data/policyreport/crds.yaml): the real image (ci/cluster/build-audit-image: the package's
wheel, opa, the policies), the real chart, RBAC and API server, Jobs made from the CronJob.

One story: a planted ANTHROPIC_API_KEY on a Remote Control workload shows up in its namespace's
report; a run whose RBAC no longer lets it list Secrets fails its Job with the reason and leaves
that report untouched (although the problem was fixed meanwhile); once the RBAC is back, the next
run removes the stale report."""
from __future__ import annotations

import json
import subprocess
import time

import pytest

from chart_release import Release
from helpers import REPO

pytestmark = pytest.mark.cluster

CRDS = REPO / "tests" / "data" / "policyreport" / "crds.yaml"
REPORT = "aifactory-audit"


@pytest.fixture(scope="module")
def audit_image(cluster) -> str:
    """ci/cluster/build-audit-image (cached by its inputs), loaded into the node."""
    proc = subprocess.run([str(REPO / "ci" / "cluster" / "build-audit-image")], capture_output=True, text=True,
                          timeout=1800, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        pytest.fail(f"ci/cluster/build-audit-image failed:\n{proc.stderr[-3000:]}")
    tag = proc.stdout.strip().splitlines()[-1]
    load = subprocess.run([str(REPO / "bin" / "kind"), "load", "docker-image", tag, "--name", cluster.name],
                          capture_output=True, text=True, timeout=600)
    if load.returncode != 0:
        pytest.fail(f"kind load docker-image {tag} failed:\n{load.stdout}{load.stderr}")
    return tag


def planted(namespace: str, api_key: bool) -> dict:
    """A Remote Control workload, otherwise clean, with (or without) ANTHROPIC_API_KEY (AIF003)."""
    labels = {"app.kubernetes.io/part-of": "aifactory", "helm.sh/chart": "aifactory-0.1.0",
              "app.kubernetes.io/instance": "agent"}
    env = [{"name": "ANTHROPIC_API_KEY", "valueFrom": {"secretKeyRef": {"name": "api", "key": "key"}}}]
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "agent", "namespace": namespace, "labels": labels},
            "spec": {"replicas": 0, "strategy": {"type": "Recreate"},
                     "selector": {"matchLabels": {"app.kubernetes.io/instance": "agent"}},
                     "template": {"metadata": {"labels": labels,
                                               "annotations": {"aifactory.dev/remote-control": "enabled"}},
                                  "spec": {"automountServiceAccountToken": False,
                                           "securityContext": {"runAsNonRoot": True, "runAsUser": 65532,
                                                               "seccompProfile": {"type": "RuntimeDefault"}},
                                           "containers": [{"name": "agent", "image": "busybox",
                                                           "securityContext": {
                                                               "allowPrivilegeEscalation": False,
                                                               "readOnlyRootFilesystem": True,
                                                               "capabilities": {"drop": ["ALL"]}},
                                                           **({"env": env} if api_key else {})}]}}}}


def run_job(cluster, namespace: str, cronjob: str, job: str, timeout: int = 180) -> tuple[str, dict]:
    """`kubectl create job --from=cronjob/...`, waited for: ("Complete" | "Failed", its pod)."""
    cluster.kubectl("create", "job", f"--from=cronjob/{cronjob}", job, "-n", namespace)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = cluster.get("job", job, namespace).get("status", {})
        done = [c["type"] for c in status.get("conditions") or []
                if c["type"] in ("Complete", "Failed") and c["status"] == "True"]
        if done:
            pods = json.loads(cluster.kubectl("get", "pods", "-n", namespace, "-l", f"job-name={job}",
                                              "-o", "json").stdout)["items"]
            return done[0], pods[0]
        time.sleep(1)
    logs = cluster.kubectl("logs", f"job/{job}", "-n", namespace, check=False)
    raise AssertionError(f"job {job} not finished after {timeout}s:\n{logs.stdout}{logs.stderr}")


def report(cluster, namespace: str | None) -> dict | None:
    args = ["get", "policyreport" if namespace else "clusterpolicyreport", REPORT, "-o", "json"]
    proc = cluster.kubectl(*args, *(["-n", namespace] if namespace else []), check=False)
    if proc.returncode != 0:
        assert "NotFound" in proc.stderr, proc.stderr
        return None
    return json.loads(proc.stdout)


def test_cronjob_publishes_replaces_and_survives_a_broken_run(cluster, restricted_namespace, audit_image):
    t0 = time.monotonic()
    cluster.kubectl("apply", "-f", str(CRDS))
    cluster.kubectl("wait", "--for=condition=Established", "crd/policyreports.wgpolicyk8s.io",
                    "crd/clusterpolicyreports.wgpolicyk8s.io", "--timeout=60s")
    team = restricted_namespace("pr-team")
    cluster.apply(planted(team, api_key=True))
    ns = restricted_namespace("pr-audit")
    repo, tag = audit_image.rsplit(":", 1)
    rel = Release(cluster, ns, image=cluster.test_image)
    name = f"{rel.name}-audit-cronjob"
    try:
        rel.upgrade("--set", "audit.cronJob.enabled=true", "--set", f"audit.cronJob.image.repository={repo}",
                    "--set", f"audit.cronJob.image.tag={tag}", "--set", "audit.cronJob.image.pullPolicy=Never",
                    wait=False)
        cronjob = cluster.get("cronjob", name, ns)
        assert cronjob["spec"]["schedule"] and cronjob["spec"]["concurrencyPolicy"] == "Forbid"

        # 1. the planted problem is published in its namespace
        state, pod = run_job(cluster, ns, name, "audit-1")
        logs = cluster.kubectl("logs", pod["metadata"]["name"], "-n", ns).stdout
        assert state == "Complete", logs
        print(f"\nrun 1 ({time.monotonic() - t0:.0f}s):\n" + "\n".join(
            line for line in logs.splitlines() if "published" in line or "deleted" in line))
        first = report(cluster, team)
        assert first is not None, logs
        assert first["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "aifactory-policy"
        fails = [(r["policy"], r["resources"][0]["kind"], r["resources"][0]["name"]) for r in first["results"]]
        assert fails == [("AIF003", "Deployment", "agent")], first["results"]
        assert first["summary"] == {"pass": 0, "fail": 1, "warn": 0, "error": 0, "skip": 0}
        uid = cluster.get("deployment", "agent", team)["metadata"]["uid"]
        assert first["results"][0]["resources"][0]["uid"] == uid
        assert "ANTHROPIC_API_KEY" in first["results"][0]["message"]
        assert report(cluster, None) is not None                       # the run's ClusterPolicyReport

        # 2. the problem is fixed, but the run cannot list Secrets: it fails, says why, writes nothing
        cluster.apply(planted(team, api_key=False))
        role = cluster.get("clusterrole", name, "default")
        rules = role["rules"]
        narrowed = [dict(r, resources=[x for x in r["resources"] if x != "secrets"]) for r in rules]
        cluster.kubectl("patch", "clusterrole", name, "--type=merge", "-p", json.dumps({"rules": narrowed}))
        state, pod = run_job(cluster, ns, name, "audit-2")
        assert state == "Failed"
        message = pod["status"]["containerStatuses"][0]["state"]["terminated"]["message"]
        print(f"run 2 ({time.monotonic() - t0:.0f}s), termination message:\n{message.strip()}")
        assert "cannot list secrets (403" in message and "nothing was published" in message, message
        job = cluster.get("job", "audit-2", ns)
        assert any(c["type"] == "Failed" and c["status"] == "True" for c in job["status"]["conditions"])
        kept = report(cluster, team)
        assert kept is not None and kept["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]

        # 3. RBAC back: the next run removes the stale report
        cluster.kubectl("patch", "clusterrole", name, "--type=merge", "-p", json.dumps({"rules": rules}))
        state, pod = run_job(cluster, ns, name, "audit-3")
        logs = cluster.kubectl("logs", pod["metadata"]["name"], "-n", ns).stdout
        assert state == "Complete", logs
        print(f"run 3 ({time.monotonic() - t0:.0f}s):\n" + "\n".join(
            line for line in logs.splitlines() if "published" in line or "deleted" in line))
        assert report(cluster, team) is None, logs
        assert f"deleted PolicyReport {team}/{REPORT}: no finding left in {team}" in logs
    finally:
        rel.helm_cmd("uninstall", rel.name, "-n", ns, "--wait", "--timeout", "60s")
        cluster.kubectl("delete", "clusterpolicyreport", REPORT, "--ignore-not-found", check=False)
