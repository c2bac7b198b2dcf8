"""scan's evaluation as a stream: documents go to OPA in batches while the next files are read, so
memory holds the batches in flight, the cross-document facts and the findings, never every
document of the run (issue 13: a long honest multi-document file or folder scans in memory that
does not grow with the number of documents).

- Documents are read without line maps. Lines are looked up at the end, by reading again only the
  files that have findings (yamlio.line_maps), so a finding's line is the one `check` would give.
- Input that fits one batch is evaluated in one OPA process with every rule, as before. Larger
  input: the per-document rules batch by batch (at most one OPA process per CPU at a time), then
  the cross-document rules once, over only the documents they can use, kept as JSON: those each
  batch names, the workloads holding the Claude credentials (batch.cross_holders) and the documents
  of the kinds the rules join them with (batch.cross_joined: Roles, bindings, autoscalers, Secrets
  and their controllers' objects). A folder of 25k ordinary workloads no longer goes to that
  evaluation whole, and no kind list here can miss a workload kind the policies learn.
- A batch OPA cannot evaluate (the policies compiled; some input made evaluation fail) is
  evaluated again file by file: the failing files are reported, the others' findings kept.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections import defaultdict, deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from . import opa
from .documents import InputDoc, raw_line
from .findings import EvaluationError, Finding, Report
from .opa import InputEvaluationError
from .rulecontrol import annotation_waivers, today, waive_by_annotation
from .tools import usable_cpus
from .yamlio import line_maps, read_text


@dataclass(frozen=True)
class DocRef:
    """What a finding needs of its document once the document is gone."""
    file: Optional[str]
    index: Optional[int]        # the YAML document's position in the file; None for raw text
    prefix: str
    resource: Optional[str]
    raw_text: bool

    def full_path(self, path: Optional[str]) -> Optional[str]:
        return InputDoc(file=self.file, content=None, prefix=self.prefix).full_path(path)


def ref_of(d: InputDoc) -> DocRef:
    return DocRef(d.file, d.index, d.prefix, d.resource, d.raw_text)


@dataclass
class _Batch:
    ids: list[int]
    parts: list[str]
    refs: dict[int, DocRef]
    query: str
    future: Optional[Future] = None


class StreamingEvaluation:
    """Feed documents with add(); finish() returns the findings with their lines."""

    def __init__(self, policies: Path, opa_path: Optional[str], report: Report,
                 texts: Optional[dict[str, str]] = None, workers: Optional[int] = None,
                 on: Optional[dt.date] = None):
        self.policies, self.opa_path, self.report = policies, opa_path, report
        self.texts = texts if texts is not None else {}   # files that cannot be read again (stdin)
        self.workers = max(1, workers or usable_cpus())
        self.pool: Optional[ThreadPoolExecutor] = None
        self.in_flight: deque[_Batch] = deque()
        self.batch = _Batch([], [], {}, opa.DOCUMENT_EVALUATION_QUERY)
        self.size = 0
        self.next_id = 0
        self.streaming = False                 # False while everything fits the first batch
        self.cross_parts: list[tuple[int, str]] = []
        self.cross_refs: dict[int, DocRef] = {}
        self.found: list[tuple[Finding, Optional[DocRef]]] = []
        self.failed_files: set[str] = set()   # nothing of these is reported
        self.unread: set[str] = set()         # ... because they could not be read to their end
        self.on = on or today()
        self.waivers: dict = {}

    # ---- feeding ------------------------------------------------------------------------------
    def add(self, d: InputDoc) -> None:
        i = self.next_id
        self.next_id += 1
        part = json.dumps(opa.entry(i, d), default=str)
        if self.batch.parts and (self.size + len(part) > opa.BATCH_BYTES or len(self.batch.parts) >= opa.BATCH_DOCUMENTS):
            self.streaming = True
            self._submit()
        ref = ref_of(d)
        self.batch.ids.append(i)
        self.batch.parts.append(part)
        self.batch.refs[i] = ref
        self.size += len(part) + 2
        waivers, problems = annotation_waivers(d, self.on)
        self.waivers.update(waivers)
        self.found += [(p, ref) for p in problems]

    def _submit(self) -> None:
        b, self.batch, self.size = self.batch, _Batch([], [], {}, opa.DOCUMENT_EVALUATION_QUERY), 0
        if self.pool is None:
            self.pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="opa")
        b.future = self.pool.submit(self._evaluate, b.parts, b.query, self._what(b))
        self.in_flight.append(b)
        while len(self.in_flight) > self.workers:   # bounded: wait for the oldest
            self._collect(self.in_flight.popleft())

    def _evaluate(self, parts: list[str], query: str, what: str):
        return opa.query_documents(parts, self.policies, query, self.opa_path, what)

    @staticmethod
    def _what(b: _Batch) -> str:
        return f"documents {b.ids[0]}-{b.ids[-1]}" if b.ids else "no documents"

    def _collect(self, b: _Batch) -> None:
        try:
            value = b.future.result()
        except InputEvaluationError:
            value = self._isolate(b)
        if isinstance(value, dict):   # a batch's document_evaluation names what the cross rules read
            kept = opa.cross_kept(value)
            for n, i in enumerate(b.ids):
                if i in kept:
                    self.cross_parts.append((i, b.parts[n]))
                    self.cross_refs[i] = b.refs[i]
            value = value["findings"]
        self._keep(value, b.refs)

    def _keep(self, raw: list[dict], refs: dict[int, DocRef]) -> None:
        self.found += list(opa.located_findings(raw, refs.get, with_lines=False))

    def _isolate(self, b: _Batch):
        """Evaluate a failed batch file by file: report each file that fails alone, keep the rest."""
        by_file: dict[Optional[str], list[int]] = defaultdict(list)
        for n, i in enumerate(b.ids):
            by_file[b.refs[i].file].append(n)
        findings: list[dict] = []
        kept: list[int] = []
        for f, positions in by_file.items():
            try:
                value = self._evaluate([b.parts[n] for n in positions], b.query, f"{f}")
            except InputEvaluationError as exc:
                self._fail(f, exc)
                continue
            if isinstance(value, dict):
                findings += value["findings"]
                kept += sorted(opa.cross_kept(value))
            else:
                findings += value
        return {"findings": findings, "cross_holders": kept} if b.query == opa.DOCUMENT_EVALUATION_QUERY \
            else findings

    def drop_file(self, f: Optional[str]) -> None:
        """f could not be read to its end: nothing of it is reported (its failure says why)."""
        self.failed_files.add(f)
        self.unread.add(f)

    def _fail(self, f: Optional[str], exc: InputEvaluationError) -> None:
        if f in self.failed_files:
            return
        self.failed_files.add(f)
        self.report.failures.append(
            f"{f}: the policies cannot evaluate it ({exc.detail}); look in it for what Kubernetes "
            "would also reject, such as two volumes, containers or env entries with one name")

    # ---- finishing ----------------------------------------------------------------------------
    def finish(self) -> list[Finding]:
        try:
            if not self.streaming:   # everything in one batch: every rule in one OPA process
                self.batch.query = opa.QUERY
                if self.batch.parts:
                    self._submit()
            elif self.batch.parts:
                self._submit()
            while self.in_flight:
                self._collect(self.in_flight.popleft())
            if self.streaming:
                self._cross()
        finally:
            self.close()
        found = [(f, r) for f, r in self.found if not (r is not None and r.file in self.failed_files)]
        if self.failed_files:
            self.report.inputs[:] = [p for p in self.report.inputs if p not in self.failed_files]
        return resolve(found, self.waivers, self.texts)

    def close(self) -> None:
        """Stop: batches not started are dropped, the running ones end (scan calls it on any exit)."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def _cross(self) -> None:
        # in reading order, as one evaluation would have them: a finding about several documents is
        # reported at the first of them
        parts = sorted((i, p) for i, p in self.cross_parts if self.cross_refs[i].file not in self.failed_files)
        self.cross_parts = []
        if not parts:
            return
        what = f"{len(parts)} documents (cross-document rules)"
        try:
            raw = self._evaluate([p for _, p in parts], opa.CROSS_QUERY, what)
        except InputEvaluationError as exc:
            by_file: dict[Optional[str], list[str]] = defaultdict(list)
            for i, p in parts:
                by_file[self.cross_refs[i].file].append(p)
            alone_failed = False
            for f, file_parts in by_file.items():
                try:
                    self._evaluate(file_parts, opa.CROSS_QUERY, f"{f}")
                except InputEvaluationError as alone:
                    alone_failed = True
                    self._fail(f, alone)
            if not alone_failed:   # only the files together fail: a cross-document conflict
                raise EvaluationError(str(exc)) from None
            kept = [p for i, p in parts if self.cross_refs[i].file not in self.failed_files]
            raw = self._evaluate(kept, opa.CROSS_QUERY, what) if kept else []
        self._keep(raw, self.cross_refs)


def resolve(found: list[tuple[Finding, Optional[DocRef]]], waivers: dict,
            texts: dict[str, str]) -> list[Finding]:
    """Give every finding its line (raw text: from its path; a parsed document: from the file read
    again, once per file), drop what the raw-text pass repeats, apply annotation waivers."""
    needed: dict[str, set[int]] = defaultdict(set)
    for f, r in found:
        if r is not None and not r.raw_text and r.index is not None and r.file is not None:
            needed[r.file].add(r.index)
    maps = {file: _line_maps(file, indexes, texts) for file, indexes in needed.items()}
    located: list[tuple[Finding, Optional[DocRef], set[int]]] = []
    for f, r in found:
        under: set[int] = set()
        if r is None:
            line = None
        elif r.raw_text:
            line = raw_line(f.path)
        else:
            doc = maps.get(r.file, {}).get(r.index)
            line = doc.line_for(f.path) if doc is not None else None
            under = doc.lines_under(f.path) if doc is not None else set()
        located.append((_with_line(f, line), r, under))
    parsed = {(f.rule, f.file, n) for f, r, under in located if not (r is not None and r.raw_text)
              for n in {f.line} | under}
    kept = [f for f, r, _ in located
            if not (r is not None and r.raw_text) or (f.rule, f.file, f.line) not in parsed]
    return waive_by_annotation(kept, waivers)


def _with_line(f: Finding, line: Optional[int]) -> Finding:
    return dataclasses.replace(f, line=line)


def _line_maps(file: str, indexes: set[int], texts: dict[str, str]) -> dict:
    text = texts.get(file)
    if text is None:
        try:
            text = read_text(file, whole_file_limit=False)
        except EvaluationError:
            return {}
    return line_maps(text, file, indexes)
