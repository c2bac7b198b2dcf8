"""One `opa eval` for the whole audit: the batch rules over live objects and data.audit over facts."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Optional

from .. import opa
from ..findings import EvaluationError, Finding
from ..rules import title_of
from ..tools import find_tool
from .facts import AuditInput

QUERY = '{"batch": data.batch.findings, "audit": data.audit.findings, "installs": data.audit.installs}'
TIMEOUT = 600


def run(ai: AuditInput, policies: Path, opa_path: Optional[str] = None) -> dict:
    binary = opa_path or find_tool("opa")
    cmd = [binary, "eval", "--format", "json", "--stdin-input", "-d", str(policies),
           "--ignore", "samples", "--ignore", "*.md", "--ignore", "suite.yaml", "--ignore", "*_test.rego",
           "--ignore", "admission", QUERY]
    payload = json.dumps(ai.policy_input(), default=str)
    try:
        proc = subprocess.run(cmd, input=payload, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise EvaluationError(f"opa eval timed out after {TIMEOUT} s over {len(ai.docs)} objects") from None
    except OSError as exc:
        raise EvaluationError(f"cannot run {binary} ({exc.strerror}); run ci/bootstrap to reinstall opa") from None
    if proc.returncode != 0:
        raise EvaluationError(f"opa eval failed over {policies}: {opa._opa_error(proc.stdout, proc.stderr)}")
    try:
        results = json.loads(proc.stdout).get("result") or []
        value = results[0]["expressions"][0]["value"]
    except (ValueError, LookupError, AttributeError):
        raise EvaluationError(f"data.audit is undefined in {policies}: the audit needs policies/audit/ "
                              "(package audit) and policies/batch/") from None
    return value


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
