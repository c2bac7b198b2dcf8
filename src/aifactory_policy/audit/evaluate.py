"""The audit's policy evaluation: the batch rules over live objects and data.audit over facts.

A small cluster is one `opa eval`. A large one is split in two steps: the per-document rules run
over shards of the documents in parallel `opa eval` processes (one per CPU, up to MAX_SHARDS),
which also name the documents the whole-input rules read (data.audit.whole_input_ids: the installs'
workloads, the workloads holding credentials, and the Roles, bindings and autoscalers they join);
then one process runs the cross-document rules, the audit rules and the install list over those
documents and the facts. Each document is judged once, and the findings are the same either way
(tests/test_audit.py compares them). The second step no longer reads every workload of the cluster:
at 10k workloads that process took 4.4 CPU-s and 860 MB."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Optional

from .. import opa
from ..findings import Finding
from ..rules import finding_of
from ..tools import usable_cpus
from .facts import AuditInput

QUERY = '{"batch": data.batch.findings, "audit": data.audit.findings, "installs": data.audit.installs}'
CROSS_QUERY = ('{"batch": data.batch.cross_document_findings, "audit": data.audit.findings, '
               '"installs": data.audit.installs}')
SHARD_QUERY = '{"findings": data.batch.document_findings, "whole_input_ids": data.audit.whole_input_ids}'
TIMEOUT = 600
SHARD_MIN_DOCUMENTS = 2000   # below this, one process is faster than several start-ups
MAX_SHARDS = 8               # processes at a time
SHARD_MAX_DOCUMENTS = 5000   # documents per shard: OPA's memory grows with them (a 25k-document
                             # shard peaked at 1.7 GB in a 50k-workload audit; bench/results.md)
# Policy folders each evaluation can skip (less for OPA to load and compile).
UNUSED = ("admission", "image")


def shard_count(documents: int, cpus: Optional[int] = None) -> int:
    if cpus is None:
        cpus = usable_cpus()
    if documents < SHARD_MIN_DOCUMENTS or cpus < 2:
        return 1
    return max(2, min(cpus, MAX_SHARDS, documents // (SHARD_MIN_DOCUMENTS // 2)))


def run(ai: AuditInput, policies: Path, opa_path: Optional[str] = None, shards: Optional[int] = None) -> dict:
    payload = ai.policy_input()
    what = f"{len(ai.docs)} objects"
    n = shards if shards is not None else shard_count(len(ai.docs))
    if n <= 1:
        return opa.eval_query(payload, policies, QUERY, opa_path, ignore=UNUSED, timeout=TIMEOUT, what=what)
    documents = payload["documents"]
    pieces_count = max(n, -(-len(documents) // SHARD_MAX_DOCUMENTS))
    parts = [{"documents": documents[k::pieces_count]} for k in range(pieces_count)]
    with ThreadPoolExecutor(max_workers=n) as pool:
        pieces = [pool.submit(opa.eval_query, part, policies, SHARD_QUERY, opa_path, ignore=UNUSED, timeout=TIMEOUT,
                              what=f"{len(part['documents'])} of {what}", small=False) for part in parts]
        results = [p.result() for p in pieces]
    keep = {i for r in results for i in (r.get("whole_input_ids") or []) if isinstance(i, int)}
    whole = {"documents": [d for d in documents if d["id"] in keep], "facts": payload["facts"]}
    value = opa.eval_query(whole, policies, CROSS_QUERY, opa_path, ignore=UNUSED, timeout=TIMEOUT,
                           what=f"{len(whole['documents'])} of {what} (cross-document and audit rules)")
    value["batch"] = list(value.get("batch") or []) + [f for r in results for f in (r.get("findings") or [])]
    return value


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
    batch = [f for f in opa.to_findings(value.get("batch") or [], ai.docs)]
    return batch + audit_findings(value.get("audit") or [])
