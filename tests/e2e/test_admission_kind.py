"""The ValidatingAdmissionPolicy in the API server: the shared cases (every sample of a mirrored
rule's folder and of policies/admission/samples/, as ci/admission_policy.py lists them) through
`kubectl apply --dry-run=server`, enforce and warn modes, the other projects' kinds through
stand-in CRDs. The bindings are narrowed to this test's namespace so other tests are never affected."""
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


# The custom resources the cases send (each case's `crds`, ci/admission_policy.py): group, kind, versions as each project's CRD
# serves them (docs/facts.md). A stand-in (open schema, no controller) is installed for the test when
# the cluster has no such CRD, and removed afterwards.
STAND_INS = {
    "rollouts.argoproj.io": ("Rollout", ["v1alpha1"]),
    "services.serving.knative.dev": ("Service", ["v1"]),
    "configurations.serving.knative.dev": ("Configuration", ["v1"]),
    "revisions.serving.knative.dev": ("Revision", ["v1"]),
    "clonesets.apps.kruise.io": ("CloneSet", ["v1beta1", "v1alpha1"]),
    "statefulsets.apps.kruise.io": ("StatefulSet", ["v1beta1", "v1alpha1"]),
    "daemonsets.apps.kruise.io": ("DaemonSet", ["v1beta1", "v1alpha1"]),
    "broadcastjobs.apps.kruise.io": ("BroadcastJob", ["v1beta1", "v1alpha1"]),
    "advancedcronjobs.apps.kruise.io": ("AdvancedCronJob", ["v1beta1", "v1alpha1"]),
    "scaledjobs.keda.sh": ("ScaledJob", ["v1alpha1"]),
}


def stand_in_crd(name: str) -> dict:
    plural, _, group = name.partition(".")
    kind, versions = STAND_INS[name]
    schema = {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": name, "labels": {"app.kubernetes.io/part-of": "aifactory-e2e"}},
            "spec": {"group": group, "scope": "Namespaced",
                     "names": {"plural": plural, "singular": kind.lower(), "kind": kind, "listKind": kind + "List"},
                     "versions": [{"name": v, "served": True, "storage": i == 0, "schema": schema}
                                  for i, v in enumerate(versions)]}}


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
def custom_resources(cluster):
    needed = sorted({c for case in ACTIVE for c in case.get("crds") or []})
    ours = [n for n in needed if cluster.kubectl("get", "crd", n, check=False).returncode != 0]
    for name in ours:
        cluster.apply(stand_in_crd(name))
    for name in ours:
        cluster.kubectl("wait", "--for=condition=Established", f"crd/{name}", "--timeout=60s")
    yield
    for name in ours:
        cluster.kubectl("delete", "crd", name, "--wait=false", "--ignore-not-found", check=False)


@pytest.fixture(scope="module")
def admission_ns(cluster, custom_resources):
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
