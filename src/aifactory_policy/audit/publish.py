"""`audit --publish`: write the audit's PolicyReports into the cluster it audited, in place.

Each run replaces the reports it owns (name `aifactory-audit`, label
app.kubernetes.io/managed-by=aifactory-policy) by server-side apply with one field manager, so a
report holds exactly this run's results, and deletes its own report in every audited namespace
that has no finding left. Nothing else is touched. The caller publishes only after a complete
audit: a run that could not evaluate writes nothing, and the previous reports stay.
"""
from __future__ import annotations

import json
from typing import Optional
from urllib.parse import quote

from ..findings import EvaluationError
from ..kube_request import request
from ..redact import redact
from ..reporters import policyreport

FIELD_MANAGER = "aifactory-policy"
BASE = "/apis/" + policyreport.API_VERSION
SELECTOR = ",".join(f"{k}={v}" for k, v in policyreport.MANAGED_BY.items())


def _path(kind: str, namespace: Optional[str], name: str = "") -> str:
    where = f"/namespaces/{quote(namespace, safe='')}" if namespace else ""
    return f"{BASE}{where}/{kind}" + (f"/{quote(name, safe='')}" if name else "")


def _redacted(value):
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redacted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redacted(v) for v in value]
    return value


class NamespaceGone(Exception):
    """The namespace is being deleted (or is gone): its report would go with it, so it is skipped."""


def _namespace_gone(status: int, message: str, namespaced: bool) -> bool:
    # The API server answers a write into a Terminating namespace with 403 "... because it is being
    # terminated" (measured in kind while another namespace was deleted during an -A audit).
    return namespaced and ((status == 403 and "being terminated" in message) or
                           (status == 404 and "namespaces" in message))


class Publisher:
    def __init__(self, api_client, network_errors: tuple = (OSError,)):
        self._api = api_client
        self._net = network_errors

    def _call(self, what: str, method: str, path: str, query=(), body=None, content_type=None,
              missing_ok: bool = False, namespaced: bool = False):
        try:
            status, reason, data = request(self._api, method, path, query, body=body, content_type=content_type)
        except self._net as exc:
            raise EvaluationError(f"publish: {what}: cannot reach the API server ({exc.__class__.__name__})") from None
        if missing_ok and status == 404:
            return None
        if not 200 <= status < 300:
            try:
                message = json.loads(data or b"{}").get("message", "")
            except (ValueError, AttributeError):
                message = ""
            if _namespace_gone(status, message, namespaced):
                raise NamespaceGone(message[:200])
            hint = {403: "; grant create/update/patch/delete/get/list on policyreports and clusterpolicyreports "
                         "(wgpolicyk8s.io) to this identity (the chart's audit.cronJob does)",
                    404: "; install the PolicyReport CRDs (wgpolicyk8s.io/v1alpha2: Kyverno, Policy Reporter "
                         "or Trivy Operator bring them)"}.get(status, "")
            raise EvaluationError(f"publish: {what}: HTTP {status} {reason} {message[:300]}".rstrip() + hint)
        return json.loads(data) if data else {}

    def check_api(self) -> None:
        doc = self._call(f"discover {policyreport.API_VERSION}", "GET", BASE, missing_ok=True)
        kinds = {r.get("name") for r in (doc or {}).get("resources") or []}
        if not {"policyreports", "clusterpolicyreports"} <= kinds:
            raise EvaluationError(f"publish: the cluster does not serve {policyreport.API_VERSION} policyreports and "
                                  "clusterpolicyreports; install the PolicyReport CRDs (Kyverno, Policy Reporter or "
                                  "Trivy Operator bring them); nothing was written")

    def existing(self, namespaces: Optional[list[str]]) -> list[tuple[str, str]]:
        """(namespace, name) of our own PolicyReports in the audited namespaces (None: all)."""
        found = []
        for ns in namespaces or [None]:
            doc = self._call("list PolicyReports", "GET", _path("policyreports", ns), [("labelSelector", SELECTOR)])
            for item in doc.get("items") or []:
                meta = item.get("metadata") or {}
                if meta.get("name") == policyreport.NAME:
                    found.append((meta.get("namespace"), meta["name"]))
        return found

    def apply(self, obj: dict) -> None:
        meta = obj["metadata"]
        ns = meta.get("namespace")
        plural = "policyreports" if ns else "clusterpolicyreports"
        where = f"{obj['kind']} {ns + '/' if ns else ''}{meta['name']}"
        self._call(f"apply {where}", "PATCH", _path(plural, ns, meta["name"]),
                   [("fieldManager", FIELD_MANAGER), ("force", "true")], body=_redacted(obj),
                   content_type="application/apply-patch+yaml", namespaced=bool(ns))

    def delete(self, namespace: str, name: str) -> None:
        self._call(f"delete PolicyReport {namespace}/{name}", "DELETE", _path("policyreports", namespace, name),
                   missing_ok=True)


def publish(api_client, objects: list[dict], namespaces: Optional[list[str]],
            network_errors: tuple = (OSError,)) -> list[str]:
    """Apply `objects` (policyreport.reports()), delete our stale PolicyReports in `namespaces`
    (None: every namespace); lines saying what was done. Raises EvaluationError before any write
    when the CRDs are missing or our reports cannot be listed."""
    pub = Publisher(api_client, network_errors)
    pub.check_api()
    before = pub.existing(namespaces)
    lines = []
    for obj in objects:
        meta, s = obj["metadata"], obj["summary"]
        where = f"{meta['namespace']}/{meta['name']}" if meta.get("namespace") else meta["name"]
        try:
            pub.apply(obj)
        except NamespaceGone:
            lines.append(f"skipped {obj['kind']} {where}: namespace {meta['namespace']} is being deleted")
            continue
        lines.append(f"published {obj['kind']} {where}: {s['fail']} fail, {s['warn']} warn, {s['skip']} skip")
    kept = {(o["metadata"].get("namespace"), o["metadata"]["name"]) for o in objects}
    for ns, name in sorted(set(before) - kept):
        pub.delete(ns, name)
        lines.append(f"deleted PolicyReport {ns}/{name}: no finding left in {ns}")
    return lines
