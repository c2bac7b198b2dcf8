"""The audit as Kubernetes Policy working group reports (wgpolicyk8s.io/v1alpha2): one PolicyReport
`aifactory-audit` per namespace with findings, one ClusterPolicyReport `aifactory-audit` for
cluster-scoped objects (ClusterRoleBindings). Kyverno, Trivy Operator and Policy Reporter read them.

Mapping (docs/audit.md "PolicyReports"): error -> fail/high, warning -> warn/medium,
note -> warn/low (v1alpha2's first CRDs know only high, medium and low), a waived finding -> skip
with the waiver's reason. `--format policyreport` prints a `kind: List` that `kubectl apply -f`
takes; `audit --publish` applies the same objects itself and removes its stale ones.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Optional

from ..findings import Finding, Report
from ..output import displayable

API_VERSION = "wgpolicyk8s.io/v1alpha2"
NAME = "aifactory-audit"
MANAGED_BY = {"app.kubernetes.io/managed-by": "aifactory-policy"}
AUDITED_AT = "aifactory.dev/audited-at"
SOURCE = "aifactory-policy"
CATEGORY = "Claude Code credentials"
RESULT = {"error": ("fail", "high"), "warning": ("warn", "medium"), "note": ("warn", "low")}
# report.details key the audit fills with {"Kind/namespace/name": {"apiVersion": ..., "uid": ...}}
RESOURCES = "policyreport_resources"


def _split(resource: Optional[str]) -> tuple[str, Optional[str], str]:
    """("Kind", namespace or None, "name") of "Kind/namespace/name" or "Kind/name"."""
    parts = (resource or "").split("/")
    if len(parts) >= 3:
        return parts[0], parts[1], "/".join(parts[2:])
    if len(parts) == 2:
        return parts[0], None, parts[1]
    return "", None, resource or ""


def _result(f: Finding, stamp: dict, known: dict) -> tuple[Optional[str], dict]:
    kind, ns, name = _split(f.resource)
    result, severity = RESULT.get(f.severity, RESULT["error"])
    props = {}
    if f.path:
        props["path"] = f.path
    if f.waived_by is not None:
        result = "skip"
        props["waivedBy"] = f.waived_by
    out = {"policy": f.rule, "rule": f.title or f.rule, "result": result, "severity": severity,
           "message": f.message, "source": SOURCE, "category": CATEGORY, "timestamp": stamp}
    if kind and name:
        ref = {"kind": kind, "name": name, **({"namespace": ns} if ns else {})}
        ref.update(known.get(f.resource) or {})
        out["resources"] = [ref]
    if props:
        out["properties"] = props
    return ns, out


def _summary(results: list[dict]) -> dict:
    counts = {k: 0 for k in ("pass", "fail", "warn", "error", "skip")}
    for r in results:
        counts[r["result"]] += 1
    return counts


def reports(report: Report, now: Optional[dt.datetime] = None) -> list[dict]:
    """The ClusterPolicyReport (always, possibly empty: it also tells when the audit last ran)
    followed by one PolicyReport per namespace with a finding, sorted by namespace."""
    at = now or dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    stamp = {"seconds": int(at.timestamp()), "nanos": 0}
    known = report.details.get(RESOURCES) or {}
    by_ns: dict[Optional[str], list[dict]] = {None: []}
    for f in report.sorted_findings() + [*report.waived]:
        ns, res = _result(f, stamp, known)
        by_ns.setdefault(ns, []).append(res)
    out = []
    for ns in sorted(by_ns, key=lambda n: (n is not None, n or "")):
        results = sorted(by_ns[ns], key=lambda r: (r["policy"], json.dumps(r.get("resources")), r["message"]))
        meta = {"name": NAME, "labels": dict(MANAGED_BY),
                "annotations": {AUDITED_AT: at.strftime("%Y-%m-%dT%H:%M:%SZ")}}
        if ns is not None:
            meta["namespace"] = ns
        out.append({"apiVersion": API_VERSION, "kind": "ClusterPolicyReport" if ns is None else "PolicyReport",
                    "metadata": meta, "summary": _summary(results), "results": results})
    return out


def render(report: Report) -> str:
    """A `kind: List` of the reports, JSON (which is YAML): `kubectl apply -f -` takes it."""
    at = None
    stamp = report.details.get("audited_at")
    if stamp:
        at = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    doc = {"apiVersion": "v1", "kind": "List", "items": reports(report, at)}
    return json.dumps(displayable(doc), indent=2, ensure_ascii=False) + "\n"


def summary(report: Report) -> str:
    """stdout's line when the reports go to --output."""
    return f"PolicyReports of {len(report.findings)} finding(s)"
