"""Evaluate every policy over the documents with `opa eval` (data.batch.findings): in ONE process
when they are few and small; otherwise the per-document rules in batches (BATCH_BYTES of JSON,
BATCH_DOCUMENTS documents), and the cross-document rules once over only the documents they read
(the workloads holding the Claude credentials and the kinds the rules join them with, which each
batch names: batch.cross_holders, batch.cross_joined), so OPA's memory does not grow with the number
of documents."""
from __future__ import annotations

import dataclasses
import json
import subprocess
from pathlib import Path
from typing import Any, Optional

from .documents import InputDoc
from .findings import EvaluationError, Finding
from .rules import finding_of
from .tools import IGNORED, SMALL_INPUT_BYTES, find_tool, go_tool_env, install_hint

QUERY = "data.batch.findings"
DOCUMENT_QUERY = "data.batch.document_findings"
CROSS_QUERY = "data.batch.cross_document_findings"
# the batches of scan and check: the per-document findings and what the cross-document rules read
# (cross_holders, cross_joined)
DOCUMENT_EVALUATION_QUERY = "data.batch.document_evaluation"
TIMEOUT = 300
BATCH_BYTES = 8 * 1024 * 1024   # JSON per `opa eval` once the input is larger than this
BATCH_DOCUMENTS = 2000           # and documents per `opa eval` (OPA's memory grows with both: a
                                 # 2000-document batch peaks near 150 MB; half that size cost a
                                 # 10k-document scan ~1.2 s more CPU in process start-ups)

# Which documents the cross-document rules read is the policies' to say, not a kind list here: each
# batch's data.batch.document_evaluation names the workloads holding the credentials (cross_holders:
# every object with a pod template or pods, lib/workloads) and the documents of the kinds those
# rules join (cross_joined: batch.join_kinds, from each rule's `joins`).


def entry(i: int, d: InputDoc) -> dict:
    return {"id": i, "file": d.file, "content": d.content, **({"group": d.group} if d.group is not None else {})}


def batch_input(docs: list[InputDoc]) -> dict:
    return {"documents": [entry(i, d) for i, d in enumerate(docs)]}


def cross_kept(value: dict) -> set[int]:
    """The ids a batch's document_evaluation keeps for the cross-document rules."""
    return {i for key in ("cross_holders", "cross_joined") for i in value.get(key) or [] if isinstance(i, int)}


# What `check` and `scan` do not need: the audit and image packages and the admission manifests
# (less for OPA to load and compile).
UNUSED_BY_BATCH = ("audit", "admission", "image")


def eval_query(payload: Any, policies: Path, query: str, opa: Optional[str] = None, *,
               ignore: tuple[str, ...] = (), timeout: int = TIMEOUT, what: str = "documents",
               small: Optional[bool] = None) -> Any:
    """The value of `query` over `payload` from ONE `opa eval` process; EvaluationError when OPA
    cannot run, fails, or leaves the query undefined."""
    binary = opa or find_tool("opa")
    cmd = [binary, "eval", "--format", "json", "--stdin-input", "-d", str(policies)]
    for pattern in IGNORED + ignore:
        cmd += ["--ignore", pattern]
    cmd.append(query)
    text = str(payload) if isinstance(payload, _JSONText) else json.dumps(payload, default=str)
    env = go_tool_env(small=len(text) < SMALL_INPUT_BYTES if small is None else small)
    try:
        proc = subprocess.run(cmd, input=text, capture_output=True, text=True, timeout=timeout, check=False, env=env)
    except subprocess.TimeoutExpired:
        raise EvaluationError(f"opa eval timed out after {timeout} s over {what}") from None
    except OSError as exc:
        raise EvaluationError(f"cannot run {binary} ({exc.strerror}); {install_hint('opa')}") from None
    if proc.returncode != 0:
        detail = _opa_error(proc.stdout, proc.stderr)
        if _runtime_error(proc.stdout):   # the policies compiled; evaluating some input failed
            raise InputEvaluationError(f"opa eval failed over {what}: {detail}", detail)
        raise EvaluationError(f"opa eval failed over {policies}: {detail}; fix the policies (opa check {policies})")
    try:
        results = json.loads(proc.stdout).get("result") or []
    except (ValueError, AttributeError):
        raise EvaluationError(f"opa eval printed non-JSON output: {proc.stdout[:200]!r}") from None
    if not results:
        raise EvaluationError(f"{query} is undefined in {policies}; pass the repository's policies/ folder, which "
                              "holds packages batch (check, scan), audit (audit) and image (scan-image)")
    return results[0]["expressions"][0]["value"]


class _JSONText(str):
    """An input already serialised (the batches are measured as JSON before they are sent)."""


def _documents_text(parts: list[str]) -> _JSONText:
    return _JSONText('{"documents": [' + ", ".join(parts) + "]}")


def run(docs: list[InputDoc], policies: Path, opa: Optional[str] = None) -> list[dict]:
    """Raw findings ({doc, rule, severity, msg, path[, docs]}): one OPA process for a small input,
    batches (BATCH_BYTES of JSON, BATCH_DOCUMENTS documents) plus one cross-document evaluation
    over what the batches keep for a large one."""
    if not docs:
        return []
    out: list[dict] = []
    batch: list[tuple[int, str]] = []
    cross: list[str] = []     # kept for the cross-document rules: only the documents they read
    size, first, batches = 0, 0, 0

    def evaluate(parts: list[tuple[int, str]], what: str) -> None:
        value = query_documents([p for _, p in parts], policies, DOCUMENT_EVALUATION_QUERY, opa, what)
        out.extend(value["findings"])
        kept = cross_kept(value)
        cross.extend(p for i, p in parts if i in kept)

    for i, d in enumerate(docs):   # serialised one at a time: never the whole input as JSON at once
        part = json.dumps(entry(i, d), default=str)
        if batch and (size + len(part) > BATCH_BYTES or len(batch) >= BATCH_DOCUMENTS):
            evaluate(batch, f"documents {first}-{i - 1}")
            batch, size, first, batches = [], 0, i, batches + 1
        batch.append((i, part))
        size += len(part) + 2
    if not batches:   # small enough for one process: every rule at once, as always
        return _query(_documents_text([p for _, p in batch]), policies, QUERY, opa, f"{len(docs)} documents")
    evaluate(batch, f"documents {first}-{len(docs) - 1}")
    del batch
    if cross:
        out += _query(_documents_text(cross), policies, CROSS_QUERY, opa,
                      f"{len(cross)} documents (cross-document rules)")
    return out


def query_documents(parts: list[str], policies: Path, query: str, opa: Optional[str], what: str) -> Any:
    """The value of `query` over documents already serialised as entry() JSON: raw findings, or
    for DOCUMENT_EVALUATION_QUERY {"findings": [...], "cross_holders": [ids], "cross_joined": [ids]}."""
    if query != DOCUMENT_EVALUATION_QUERY:
        return _query(_documents_text(parts), policies, query, opa, what)
    value = eval_query(_documents_text(parts), policies, query, opa, ignore=UNUSED_BY_BATCH, what=what, small=False)
    if not isinstance(value, dict) or not isinstance(value.get("findings"), list):
        raise EvaluationError(f"{query} is not {{findings, cross_holders, cross_joined}} (got {type(value).__name__})")
    return value


def _query(payload: _JSONText, policies: Path, query: str, opa: Optional[str], what: str) -> list[dict]:
    # A batch (small=False) runs with tools.GO_TOOL_ENV_LARGE: with the collector off its heap would grow to 1 GiB.
    value = eval_query(payload, policies, query, opa, ignore=UNUSED_BY_BATCH, what=what,
                       **({} if query == QUERY else {"small": False}))
    if isinstance(value, dict):  # a set serialises as a list; tolerate an object keyed by anything
        value = list(value.values())
    if not isinstance(value, list):
        raise EvaluationError(f"{query} is not a set of findings (got {type(value).__name__})")
    return value


class InputEvaluationError(EvaluationError):
    """The policies compiled but evaluating the input failed (e.g. a conflict on a repeated name):
    scan evaluates the files one by one to name the input that causes it."""

    def __init__(self, message: str, detail: str):
        super().__init__(message)
        self.detail = detail


def _runtime_error(stdout: str) -> bool:
    try:
        errs = json.loads(stdout).get("errors") or []
    except (ValueError, AttributeError):
        return False
    return bool(errs) and all(str(e.get("code", "")).startswith("eval_") for e in errs if isinstance(e, dict))


def _opa_error(stdout: str, stderr: str) -> str:
    try:
        errs = json.loads(stdout).get("errors") or []
        return "; ".join(f"{e.get('location', {}).get('file', '')}:{e.get('location', {}).get('row', '')}: "
                         f"{e.get('message')}" for e in errs)[:2000] or stderr.strip()[:2000]
    except (ValueError, AttributeError):
        return (stderr.strip() or stdout.strip())[:2000]


def _as_int(v: Any) -> Optional[int]:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def to_findings(raw: list[dict], docs: list[InputDoc]) -> list[Finding]:
    located = list(located_findings(raw, lambda i: docs[i] if 0 <= i < len(docs) else None))
    raw_keys = {i for i, (_, d) in enumerate(located) if d is not None and d.raw_text}
    from .rulecontrol import apply_annotations  # aifactory.dev/waive-AIFnnn on the objects
    return apply_annotations(_drop_raw_duplicates(located, raw_keys), docs)


def located_findings(raw: list[dict], doc_of, with_lines: bool = True):
    """(Finding, the InputDoc it is about or None) for each raw finding of OPA; doc_of(id) gives the
    document an id names (None when unknown). with_lines=False leaves the line to the caller (scan
    resolves lines after the run, from the files)."""
    for r in raw:
        if not isinstance(r, dict):
            continue
        path = r.get("path")
        path = None if path in (None, "") else str(path)
        also = ""
        idx = _as_int(r.get("doc"))
        d = doc_of(idx) if idx is not None else None
        if idx is None and isinstance(r.get("docs"), list):
            named = [(i, doc_of(i)) for i in (_as_int(x) for x in r["docs"]) if i is not None]
            named = [(i, x) for i, x in named if x is not None]
            if named:
                d = named[0][1]
                others = sorted({x.file for _, x in named[1:] if x.file and x.file != d.file})
                if others:
                    also = f" (also in: {', '.join(others)})"
        full = d.full_path(path) if d is not None and hasattr(d, "full_path") else path
        line = d.line_for(path) if d is not None and with_lines else None
        finding = finding_of(r, "AIF000", file=d.file if d else None, resource=d.resource if d else None,
                             path=full, line=line)
        if also:
            finding = dataclasses.replace(finding, message=finding.message + also)
        yield finding, d


def _drop_raw_duplicates(findings: list[tuple], raw_indexes: set[int]) -> list[Finding]:
    """The raw-text pass exists for what parsing loses (comments). A raw line that a parsed document
    already reported, same rule, same file and line, would say the same thing twice."""
    parsed: set[tuple] = set()
    for i, (f, d) in enumerate(findings):
        if i not in raw_indexes:
            parsed.update((f.rule, f.file, line) for line in ({f.line} | _lines_under(d, f.path)))  # f.path: in-file
    return [f for i, (f, _) in enumerate(findings)
            if i not in raw_indexes or (f.rule, f.file, f.line) not in parsed]


def _lines_under(d: Optional[InputDoc], path: Optional[str]) -> set[int]:
    doc = getattr(d, "doc", None)
    return doc.lines_under(path) if doc is not None and hasattr(doc, "lines_under") else set()


def evaluate(docs: list[InputDoc], policies: Path, opa: Optional[str] = None) -> list[Finding]:
    return to_findings(run(docs, policies, opa), docs)
