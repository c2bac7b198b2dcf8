"""The ValidatingAdmissionPolicy in the API server: the shared cases (policies/admission/samples/
cases.yaml) through `kubectl apply --dry-run=server`, enforce and warn modes. The bindings are
narrowed to this test's namespace so other tests are never affected."""
from __future__ import annotations

import json
import time
import uuid

import pytest
import yaml

from helpers import REPO

pytestmark = pytest.mark.cluster

ADMISSION = REPO / "policies" / "admission"
CASES = yaml.safe_load((ADMISSION / "samples" / "cases.yaml").read_text())
ACTIVE = [c for c in CASES["cases"] if not c.get("skip")]
DENIED = [c for c in ACTIVE if c["verdict"] == "disallowed"]


def docs(rel: str) -> list[dict]:
    return [d for d in yaml.safe_load_all((ADMISSION / rel).read_text()) if d]


def sample(case: dict, namespace: str) -> str:
    out = []
    for d in yaml.safe_load_all((REPO / "policies" / case["file"]).read_text()):
        if d:
            d["metadata"]["namespace"] = namespace
            out.append(json.dumps(d))
    return "\n---\n".join(out)


def dry_run(cluster, case, namespace):
    return cluster.kubectl("apply", "--dry-run=server", "-f", "-", input=sample(case, namespace), check=False)


def bind(cluster, mode: str, namespace: str) -> None:
    bindings = docs(f"{mode}/binding.yaml")
    for b in bindings:
        b["spec"]["matchResources"]["namespaceSelector"]["matchLabels"] = {"kubernetes.io/metadata.name": namespace}
    cluster.apply(bindings)


def wait_effective(cluster, namespace: str, denied: bool, timeout: int = 90) -> None:
    """Policies and bindings reach the admission plugin asynchronously: poll one disallowed case."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        res = dry_run(cluster, DENIED[0], namespace)
        if (res.returncode != 0) == denied and "AIF00" in res.stderr:
            return
        time.sleep(1)
    raise AssertionError(f"admission mode not effective after {timeout}s: {res.returncode} {res.stderr}")


@pytest.fixture(scope="module")
def admission_ns(cluster):
    ns = f"admission-{uuid.uuid4().hex[:8]}"
    cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    cluster.apply(docs("policy/validating-admission-policy.yaml"))
    deadline = time.monotonic() + 60  # Pod samples need the namespace's default ServiceAccount
    while cluster.kubectl("get", "sa", "default", "-n", ns, check=False).returncode != 0:
        assert time.monotonic() < deadline, f"no default ServiceAccount in {ns}"
        time.sleep(0.5)
    yield ns
    for rel in ("enforce/binding.yaml", "policy/validating-admission-policy.yaml"):
        cluster.kubectl("delete", "--ignore-not-found", "-f", str(ADMISSION / rel), check=False)
    cluster.kubectl("delete", "namespace", ns, "--wait=false", "--ignore-not-found", check=False)


def test_policies_compile_without_type_errors(cluster, admission_ns):
    for p in docs("policy/validating-admission-policy.yaml"):
        got = cluster.get("validatingadmissionpolicy", p["metadata"]["name"], admission_ns)
        warnings = (got.get("status") or {}).get("typeChecking", {}).get("expressionWarnings") or []
        assert not [w for w in warnings if "undefined" not in w.get("warning", "")], warnings


@pytest.mark.parametrize("mode", ["enforce", "warn"])
def test_every_case_has_the_rego_verdict(cluster, admission_ns, mode):
    bind(cluster, mode, admission_ns)
    wait_effective(cluster, admission_ns, denied=(mode == "enforce"))
    wrong = []
    for case in ACTIVE:
        res = dry_run(cluster, case, admission_ns)
        flagged = "AIF00" in res.stderr
        if case["verdict"] == "disallowed":
            ok = flagged and ((res.returncode != 0) if mode == "enforce" else
                              (res.returncode == 0 and "Warning" in res.stderr))
        else:
            ok = res.returncode == 0 and not flagged
        if not ok:
            wrong.append(f"{case['file']} ({case['verdict']}): exit {res.returncode} {res.stderr.strip()[:300]}")
    assert not wrong, "\n".join(wrong)
