"""The audit's policy evaluation: the engine (opa.Evaluation) over the live objects, with the audit
rules and the install list as the plan's whole-input queries over the documents and the facts.

A small cluster is one `opa eval`. A large one goes batch by batch (parallel processes), each batch
naming the documents the whole-input rules read (data.batch.whole_input_ids: the installs'
workloads, the workloads holding credentials, and what the cross-document rules join them with);
one process then runs the cross-document rules, the audit rules and the install list over those
documents and the facts. Each document is judged once, and the findings are the same either way
(tests/test_audit.py compares them)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from .. import opa
from ..findings import Finding
from ..rules import finding_of
from .facts import AuditInput

QUERIES = {"audit": "data.audit.findings", "installs": "data.audit.installs"}
TIMEOUT = 600


def shard_count(documents: int, cpus: Optional[int] = None) -> int:
    """OPA processes at a time for an audit of this many objects (the engine's rule)."""
    return opa.processes(documents, cpus)


def run(ai: AuditInput, policies: Path, opa_path: Optional[str] = None, shards: Optional[int] = None) -> dict:
    """{"outcome": the engine's Outcome, "audit": raw audit findings, "installs": [...]}; shards: split
    the objects into this many batches (tests compare it with one process)."""
    split = -(-len(ai.docs) // shards) if shards and shards > 1 and ai.docs else None
    plan = opa.Plan(queries=QUERIES, context={"facts": ai.facts},
                    batch_documents=split, processes=shards if split else None, timeout=TIMEOUT)
    outcome = opa.outcome_of(ai.docs, policies, opa_path, plan)
    return {"outcome": outcome, **outcome.values}


def file_from_target(target: str) -> str:
    parts = target.split("/")
    if len(parts) == 3:
        return f"{parts[1]}/{parts[0]}/{parts[2]}"
    return f"/{parts[0]}/{'/'.join(parts[1:])}"


def audit_findings(raw: list[dict]) -> list[Finding]:
    out = []
    for r in raw:
        target = str(r.get("target") or "")
        out.append(finding_of(r, "AIF200", file=file_from_target(target), resource=target,
                              path=r.get("path") or None))
    return out


def findings(value: dict, ai: AuditInput) -> list[Finding]:
    return value["outcome"].findings() + audit_findings(value.get("audit") or [])
