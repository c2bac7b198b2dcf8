"""The ValidatingAdmissionPolicy in the API server: the shared cases (every sample of a mirrored
rule's folder and of policies/admission/samples/, as ci/admission_policy.py lists them) through
`kubectl apply --dry-run=server`, enforce and warn modes. The bindings are narrowed to this test's
namespace so other tests are never affected."""
from __future__ import annotations

import json
import re
import time
import uuid

import pytest
import yaml

from helpers import REPO, ci_module

pytestmark = pytest.mark.cluster

ADMISSION = REPO / "policies" / "admission"
GEN = ci_module("admission_policy")
CASES = GEN.cases()
ACTIVE = [c for c in CASES if not c.get("skip")]
# a verdict of the admission policy: a message that starts with one of the mirrored rules' ids
VERDICT = re.compile(r"\b(" + "|".join(GEN.mirrored()) + r"): ")
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


def wait_effective(cluster, namespace: str, denied: bool, timeout: int = 120) -> None:
    """Policies and bindings reach the admission plugin asynchronously, each on its own: poll until
    every disallowed case gets this mode's answer (one case proved only its own policy active)."""
    def answered(case) -> bool:
        res = dry_run(cluster, case, namespace)
        return (res.returncode != 0) == denied and bool(VERDICT.search(res.stderr))

    deadline, pending = time.monotonic() + timeout, DENIED
    while time.monotonic() < deadline:
        pending = [c for c in pending if not answered(c)]
        if not pending:
            return
        time.sleep(1)
    raise AssertionError(f"admission mode not effective after {timeout}s for: {[c['file'] for c in pending]}")


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


def wrong_verdicts(cluster, namespace: str, mode: str) -> list[str]:
    wrong = []
    for case in ACTIVE:
        res = dry_run(cluster, case, namespace)
        flagged = bool(VERDICT.search(res.stderr))
        if case["verdict"] == "disallowed":
            ok = flagged and ((res.returncode != 0) if mode == "enforce" else
                              (res.returncode == 0 and "Warning" in res.stderr))
        else:
            ok = res.returncode == 0 and not flagged
        if not ok:
            wrong.append(f"{mode}: {case['file']} ({case['verdict']}): exit {res.returncode} {res.stderr.strip()[:300]}")
    return wrong


def test_policies_compile_and_every_case_has_the_rego_verdict_in_both_modes(cluster, admission_ns):
    """One test, so one xdist worker: the policies, and the warn and enforce bindings (the same
    names in both modes), are cluster objects that a second worker would change under this one."""
    for p in docs("policy/validating-admission-policy.yaml"):
        got = cluster.get("validatingadmissionpolicy", p["metadata"]["name"], admission_ns)
        warnings = (got.get("status") or {}).get("typeChecking", {}).get("expressionWarnings") or []
        assert not [w for w in warnings if "undefined" not in w.get("warning", "")], warnings
    wrong = []
    for mode in ("enforce", "warn"):
        bind(cluster, mode, admission_ns)
        wait_effective(cluster, admission_ns, denied=(mode == "enforce"))
        wrong += wrong_verdicts(cluster, admission_ns, mode)
    assert not wrong, "\n".join(wrong)
