"""Turn an Inventory into the audit's policy input: documents (opa.entry) plus facts, no secret content."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from ..credentials import broker
from ..credentials.secret import parse_rfc3339
from ..documents import InputDoc, resource_of
from . import helm_release, syncers, workload_apis
from .inventory import Inventory
from .material import Fingerprinter, secret_material

# Every list of workloads: the built-in kinds, then the custom ones (audit/workload_apis.py), whose
# controllers own the built-in objects they make (a Rollout its ReplicaSets, a Knative Revision its
# Deployment, a Workflow or TaskRun its pods): the root of such a chain is the one judged.
WORKLOAD_RESOURCES = ("deployments", "statefulsets", "daemonsets", "replicasets", "jobs", "cronjobs", "pods",
                      *workload_apis.WORKLOAD_KEYS)
AUTOSCALER_RESOURCES = ("horizontalpodautoscalers", *(a.key for a in workload_apis.AUTOSCALER_APIS))
SKIP_SECRET_TYPES = {"kubernetes.io/service-account-token", "bootstrap.kubernetes.io/token"}
WRITEBACK_LABEL = ("app.kubernetes.io/component", "credentials-writeback")


@dataclass
class AuditInput:
    docs: list[InputDoc] = field(default_factory=list)   # each with its origin (the list it came from)
    facts: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    releases: int = 0

    def add(self, origin: str, content: Any, file: Optional[str] = None) -> None:
        resource = resource_of(content)
        self.docs.append(InputDoc(file=file or target_of(content), content=content, resource=resource,
                                  origin=origin))


def meta(obj: dict) -> dict:
    m = obj.get("metadata")
    return m if isinstance(m, dict) else {}


def target_of(obj: dict) -> str:
    """namespace/Kind/name (the waiver target form; cluster-scoped objects have an empty namespace)."""
    return f"{meta(obj).get('namespace', '')}/{obj.get('kind', '')}/{meta(obj).get('name', '')}"


def _owner(obj: dict) -> Optional[dict]:
    for ref in meta(obj).get("ownerReferences") or []:
        if ref.get("controller"):
            return ref
    refs = meta(obj).get("ownerReferences") or []
    return refs[0] if refs else None


def api_group(api_version) -> str:
    """The group of an apiVersion ("" for v1); extensions/ is the older group of apps' kinds."""
    group = str(api_version or "").rpartition("/")[0]
    return "apps" if group == "extensions" else group


def _key(api_version, kind, namespace, name) -> tuple:
    # the group too: Knative's Service and OpenKruise's StatefulSet share a kind name with built-ins;
    # "*" for a reference without apiVersion (recorded dumps trimmed by hand)
    return (api_group(api_version) if api_version else "*", kind, namespace or "", name)


def _index(inv: Inventory) -> dict:
    idx = {}
    for res in WORKLOAD_RESOURCES:
        for o in inv.get(res):
            ns, name = meta(o).get("namespace", ""), meta(o).get("name")
            idx[_key(o.get("apiVersion"), o.get("kind"), ns, name)] = o
            idx.setdefault(_key(None, o.get("kind"), ns, name), o)
    return idx


def root_of(obj: dict, idx: dict) -> dict:
    """Follow controller owner references (Pod -> ReplicaSet -> Deployment, Job -> CronJob)."""
    seen = set()
    cur = obj
    while True:
        ref = _owner(cur)
        if not ref:
            return cur
        key = _key(ref.get("apiVersion"), ref.get("kind"), meta(cur).get("namespace", ""), ref.get("name"))
        if key in seen or key not in idx:
            return cur
        seen.add(key)
        cur = idx[key]


def pod_template(obj: dict) -> Optional[dict]:
    """The pod template a pod of obj's is stamped from, when obj has one at spec.template (a Deployment,
    a Rollout, a CloneSet) or a CronJob's; None otherwise (the pod is then judged on its own)."""
    spec = obj.get("spec") or {}
    if obj.get("kind") == "CronJob":
        spec = ((spec.get("jobTemplate") or {}).get("spec") or {})
    template = spec.get("template")
    return template if isinstance(template, dict) and isinstance(template.get("spec"), dict) else None


# What the API server, admission and the scheduler add to a pod made from a template. A pod that
# equals its owner's template apart from these fields gets from every rule the findings the owner
# gets (the rules read the pod spec and the pod template's metadata the same way for both), and the
# audit reports a pod's finding only when its owner lacks it: such a pod need not be evaluated.
_SERVER_SET_SPEC = ("nodeName", "serviceAccount", "priority", "preemptionPolicy")
_CONTROLLER_LABELS = ("pod-template-hash", "controller-revision-hash", "statefulset.kubernetes.io/pod-name",
                      "apps.kubernetes.io/pod-index", "batch.kubernetes.io/controller-uid", "controller-uid",
                      "batch.kubernetes.io/job-name", "job-name", "batch.kubernetes.io/job-completion-index",
                      "pod-template-generation")
_DEFAULT_TOLERATIONS = ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable")


def _normal_spec(spec: dict) -> dict:
    spec = {k: v for k, v in spec.items() if k not in _SERVER_SET_SPEC}
    api_access = {v.get("name") for v in spec.get("volumes") or []
                  if isinstance(v, dict) and str(v.get("name", "")).startswith("kube-api-access-")}
    if api_access:
        spec["volumes"] = [v for v in spec["volumes"] if v.get("name") not in api_access]
        for key in ("containers", "initContainers", "ephemeralContainers"):
            if isinstance(spec.get(key), list):
                spec[key] = [dict(c, volumeMounts=[m for m in c.get("volumeMounts") or []
                                                   if m.get("name") not in api_access])
                             if isinstance(c, dict) and "volumeMounts" in c else c for c in spec[key]]
    if isinstance(spec.get("tolerations"), list):
        spec["tolerations"] = [t for t in spec["tolerations"]
                               if not (isinstance(t, dict) and t.get("key") in _DEFAULT_TOLERATIONS
                                       and t.get("effect") == "NoExecute")]
        if not spec["tolerations"]:
            del spec["tolerations"]
    return spec


def same_as_template(pod: dict, owner: dict) -> bool:
    """The pod adds nothing a rule could judge to its owner's pod template."""
    template = pod_template(owner)
    if template is None:
        return False
    tmeta, pmeta = meta(template), meta(pod)
    labels = {k: v for k, v in (pmeta.get("labels") or {}).items() if k not in _CONTROLLER_LABELS}
    tlabels = {k: v for k, v in (tmeta.get("labels") or {}).items() if k not in _CONTROLLER_LABELS}
    return (labels == tlabels and (pmeta.get("annotations") or {}) == (tmeta.get("annotations") or {})
            and _normal_spec(pod.get("spec") or {}) == _normal_spec(template.get("spec") or {}))


def _running(pod: dict) -> bool:
    return ((pod.get("status") or {}).get("phase") or "Pending") not in ("Succeeded", "Failed")


def _aifactory_annotations(obj: dict) -> dict:
    return {k: v for k, v in (meta(obj).get("annotations") or {}).items()
            if k.startswith("aifactory.dev/") and isinstance(v, str)}


def autoscaler_doc(a: dict) -> dict:
    """What AIF006 reads of an autoscaler: its kind, name, namespace and scaleTargetRef."""
    m = meta(a)
    return {"apiVersion": a.get("apiVersion"), "kind": a.get("kind"),
            "metadata": {k: m[k] for k in ("name", "namespace") if k in m},
            "spec": {"scaleTargetRef": (a.get("spec") or {}).get("scaleTargetRef") or {}}}


def secret_fact(secret: dict, fp: Fingerprinter) -> dict:
    m = meta(secret)
    return {"namespace": m.get("namespace", ""), "name": m.get("name", ""), "type": secret.get("type", ""),
            "created": m.get("creationTimestamp") or "1970-01-01T00:00:00Z",
            "annotations": _aifactory_annotations(secret),
            "labels": {k: v for k, v in (m.get("labels") or {}).items() if k.startswith("aifactory.dev/")},
            "material": secret_material(secret, fp).facts(), "marks": syncers.marks(secret)}


def secret_metadata_doc(secret: dict) -> dict:
    m = meta(secret)
    keep = {k: m[k] for k in ("name", "namespace", "labels", "annotations") if k in m}
    return {"apiVersion": "v1", "kind": "Secret", "metadata": keep}


def _role_fact(r: dict) -> dict:
    m = meta(r)
    return {"kind": r.get("kind"), "namespace": m.get("namespace", ""), "name": m.get("name", ""),
            "labels": m.get("labels") or {}, "rules": r.get("rules") or []}


def _binding_fact(b: dict) -> dict:
    m = meta(b)
    return {"kind": b.get("kind"), "namespace": m.get("namespace", ""), "name": m.get("name", ""),
            "roleRef": b.get("roleRef") or {}, "subjects": b.get("subjects") or []}


def broker_facts(inv: Inventory, roots: list[dict], now: str) -> list[dict]:
    """Per broker install (credentials/broker.py finds them): the Lease and the access Secret, as
    AIF205 judges them; names and times only. `listed` false: the audit could not list leases."""
    leases = {(meta(o).get("namespace", ""), meta(o).get("name")): o for o in inv.get("leases")}
    secrets = {(meta(o).get("namespace", ""), meta(o).get("name")): o for o in inv.get("secrets")}
    out = []
    for b in broker.installs(roots):
        lease = leases.get((b.namespace, b.lease))
        spec = (lease or {}).get("spec") or {}
        access = broker.access_state(b.access, secrets.get((b.namespace, b.access)), b.key or "credentials.json",
                                     parse_rfc3339(now) or 0)
        duration = spec.get("leaseDurationSeconds")
        out.append({
            "namespace": b.namespace, "secret": b.secret, "release": b.release or b.deployment,
            "deployment": b.deployment, "brokers": b.brokers, "agents": b.agents,
            "lease": {"name": b.lease, "listed": "leases" not in inv.unavailable, "found": lease is not None,
                      "holder": spec.get("holderIdentity") or "", "renew_time": spec.get("renewTime") or "",
                      "duration_s": duration if isinstance(duration, int) and not isinstance(duration, bool) else 0},
            "access": {"name": b.access, "found": access["found"], "expires_at": access["accessExpiresAt"] or "",
                       "published_at": access["publishedAt"] or ""},
        })
    return out


def build(inv: Inventory, fp: Fingerprinter, now: str, max_age_days: int, allow_subjects: list[str],
          login_warn_days: int = 7) -> AuditInput:
    out = AuditInput()
    idx = _index(inv)

    # Top-level workloads (no known controller) are judged by every rule; pods separately below.
    roots = []
    for res in WORKLOAD_RESOURCES:
        for o in inv.get(res):
            if root_of(o, idx) is o and not (res == "pods" and not _running(o)):
                out.add("workload", o)
                roots.append(o)
    for cm in inv.get("configmaps"):
        out.add("configmap", cm)
    # Autoscalers, for AIF006's join with the holders; an HPA a ScaledObject owns (KEDA makes one per
    # ScaledObject) is that ScaledObject's, reported once through it.
    scaled_objects = {(meta(o).get("namespace", ""), meta(o).get("name")) for o in inv.get("scaledobjects.keda.sh")}
    for res in AUTOSCALER_RESOURCES:
        for a in inv.get(res):
            ref = _owner(a) or {}
            if ref.get("kind") == "ScaledObject" and (meta(a).get("namespace", ""), ref.get("name")) in scaled_objects:
                continue
            out.add("autoscaler", autoscaler_doc(a))
    for role in inv.get("roles") + inv.get("clusterroles"):
        if (meta(role).get("labels") or {}).get(WRITEBACK_LABEL[0]) == WRITEBACK_LABEL[1]:
            out.add("role", role)

    secrets, release_docs = [], []
    for s in inv.get("secrets"):
        if s.get("type") == helm_release.RELEASE_TYPE:
            try:
                rel = helm_release.decode(s)
            except helm_release.NotARelease as exc:
                out.notes.append(f"{target_of(s)}: Helm release record not decoded ({exc}); not checked")
                continue
            out.releases += 1
            for d in rel.docs:
                release_docs.append({"namespace": meta(s).get("namespace", ""), "secret": meta(s).get("name", ""),
                                     "release": rel.name, "revision": rel.revision, "part": d.part,
                                     "content": d.content})
            continue
        out.add("secret-metadata", secret_metadata_doc(s))
        if s.get("type") in SKIP_SECRET_TYPES:
            continue
        secrets.append(secret_fact(s, fp))

    # Running pods: every one is a holder of its credentials (AIF206); the rules run on a pod only
    # when it may differ from what its owner's rules already judged ("evaluate").
    pods = []
    for p in inv.get("pods"):
        root = root_of(p, idx)
        if root is p or not _running(p):
            continue
        pods.append({"namespace": meta(p).get("namespace", ""), "name": meta(p).get("name", ""),
                     "root": f"{root.get('kind')}/{meta(root).get('namespace', '')}/{meta(root).get('name', '')}",
                     "doc": p, "evaluate": not same_as_template(p, root)})
    # a top-level running pod is already a workload document: it still counts as a holder
    for p in inv.get("pods"):
        if root_of(p, idx) is p and _running(p):
            pods.append({"namespace": meta(p).get("namespace", ""), "name": meta(p).get("name", ""),
                         "root": f"Pod/{meta(p).get('namespace', '')}/{meta(p).get('name', '')}", "doc": p,
                         "evaluate": False})

    out.facts = {
        "now": now, "max_age_days": max_age_days, "login_warn_days": login_warn_days, "allow_subjects": allow_subjects,
        "secrets": secrets, "pods": pods, "release_docs": release_docs,
        "roles": [_role_fact(r) for r in inv.get("roles") + inv.get("clusterroles")],
        "bindings": [_binding_fact(b) for b in inv.get("rolebindings") + inv.get("clusterrolebindings")],
        "brokers": broker_facts(inv, roots, now),
        "syncers": syncers.objects_of(inv.objects),
    }
    return out
