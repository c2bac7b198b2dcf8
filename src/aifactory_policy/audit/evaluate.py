"""One `opa eval` for the whole audit: the batch rules over live objects and data.audit over facts."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from .. import opa
from ..findings import Finding
from ..rules import title_of
from .facts import AuditInput

QUERY = '{"batch": data.batch.findings, "audit": data.audit.findings, "installs": data.audit.installs}'
TIMEOUT = 600


def run(ai: AuditInput, policies: Path, opa_path: Optional[str] = None) -> dict:
    return opa.eval_query(ai.policy_input(), policies, QUERY, opa_path, ignore=("admission",),
                          timeout=TIMEOUT, what=f"{len(ai.docs)} objects")


def resource_from_target(target: str) -> str:
    return target  # Rego targets are already "Kind/namespace/name" (or "Kind/name")


def file_from_target(target: str) -> str:
    parts = target.split("/")
    if len(parts) == 3:
        return f"{parts[1]}/{parts[0]}/{parts[2]}"
    return f"/{parts[0]}/{'/'.join(parts[1:])}"


def audit_findings(raw: list[dict]) -> list[Finding]:
    out = []
    for r in raw:
        target = str(r.get("target") or "")
        rule = str(r.get("rule") or "AIF200")
        out.append(Finding(rule=rule, severity=r.get("severity") if r.get("severity") in ("error", "warning", "note")
                           else "error", message=str(r.get("msg") or rule), file=file_from_target(target),
                           resource=target, path=r.get("path") or None, title=title_of(rule)))
    return out


def findings(value: dict, ai: AuditInput) -> list[Finding]:
    batch = [f for f in opa.to_findings(value.get("batch") or [], ai.docs)]
    return batch + audit_findings(value.get("audit") or [])
