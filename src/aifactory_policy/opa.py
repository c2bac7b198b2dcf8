"""The one evaluation engine under check, scan, scan-image and audit (conftest's policy/engine.go
is the model): the caller adds documents one at a time, the engine decides how OPA sees them.

- Input that fits one batch (BATCH_DOCUMENTS documents, BATCH_BYTES of JSON) is ONE `opa eval`
  with every rule and the command's own queries over the whole input (the audit's rules and
  installs, the image rules).
- Larger input: the per-document rules batch by batch, at most processes() OPA processes at a
  time while the caller reads on. Each batch also names the documents the whole-input rules read
  (data.batch.document_evaluation: findings, whole_input_ids; the ConfigMaps and Secrets, which
  rules read by name, wait on disk until the batches have named the ones they need: names,
  named_documents). Then ONE process runs the
  cross-document rules and the command's queries over only those documents, so OPA's memory
  follows the batch and the installs, not the number of documents.
- A batch OPA cannot evaluate (the policies compiled; some input made evaluation fail) is, when the
  plan says so (scan), evaluated file by file: the failing files are reported, the others kept.

Every raw finding becomes a Finding here (rules.finding_of, severity kept) beside the document it
is about; finding_lines gives them their lines at the end.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections import defaultdict, deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional

from . import finding_lines
from .documents import InputDoc
from .named_documents import NamedDocuments
from .findings import EvaluationError, Finding
from .opa_eval import TIMEOUT, InputEvaluationError, JSONText, eval_query
from .rulecontrol import annotation_waivers, today
from .rules import finding_of
from .tools import usable_cpus

BATCH_BYTES = 8 * 1024 * 1024   # JSON per `opa eval` once the input is larger than this
BATCH_DOCUMENTS = 2000           # and documents per `opa eval` (OPA's memory grows with both: a
                                 # 2000-document batch peaks near 150 MB; half that size cost a
                                 # 10k-document scan ~1.2 s more CPU in process start-ups)
MAX_PROCESSES = 8                # OPA processes at a time, whatever the CPUs
SPLIT_MIN_DOCUMENTS = 2000       # an input known ahead (check, audit) of at least this many documents
                                 # is split over the CPUs; below it one process beats several start-ups
                                 # (2000 live objects: 0.84 s in two processes, 1.29 s in one)

ALL_RULES = "data.batch.findings"                        # one process: every rule at once
BATCH = "data.batch.document_evaluation"                 # a batch: BATCH_ANSWER's keys
BATCH_ANSWER = ("findings", "whole_input_ids", "names", "named_documents")
WHOLE_INPUT = "data.batch.cross_document_findings"       # after the batches, over what they kept
# The policy folders only some commands read: a process loads one of them only when its query
# names that package (less for OPA to load and compile; a batch reads rules, lib and batch alone).
OPTIONAL_FOLDERS = ("audit", "admission", "image")


@dataclass(frozen=True)
class Plan:
    """What a command asks of the engine beyond the rules' findings."""
    queries: Mapping[str, str] = field(default_factory=dict)  # name -> Rego ref over the whole input
    context: Mapping[str, Any] = field(default_factory=dict)  # input beside the documents, for them
    isolate_files: bool = False             # a batch OPA cannot evaluate is tried file by file
    batch_documents: Optional[int] = None   # None: BATCH_DOCUMENTS
    processes: Optional[int] = None         # None: processes(...)
    timeout: int = TIMEOUT

    def unused_folders(self) -> tuple[str, ...]:
        """The optional policy folders none of the plan's queries names (data.audit.findings: audit)."""
        named = {m.group(1) for q in self.queries.values() for m in re.finditer(r"\bdata\.(\w+)", q)}
        return tuple(f for f in OPTIONAL_FOLDERS if f not in named)


@dataclass
class Outcome:
    found: list[tuple[Finding, Optional[InputDoc]]]   # each finding with its document (content dropped)
    values: dict[str, Any]                            # the plan's queries
    waivers: dict                                     # the documents' active waiver annotations
    failures: list[str]                               # files the policies could not evaluate, and why
    failed_files: set

    def findings(self, texts: Optional[dict[str, str]] = None) -> list[Finding]:
        """The findings with their lines, raw-text repeats dropped, annotation waivers applied."""
        return finding_lines.resolve(self.found, self.waivers, texts)


def processes(documents: int, cpus: Optional[int] = None) -> int:
    """OPA processes at a time for an input of this many documents known ahead."""
    if documents < SPLIT_MIN_DOCUMENTS:
        return 1
    return max(1, min(usable_cpus() if cpus is None else cpus, MAX_PROCESSES))


def entry(i: int, d: InputDoc) -> dict:
    """The one input document type Rego reads: {id, file, content[, group][, origin]}."""
    out = {"id": i, "file": d.file, "content": d.content}
    if d.group is not None:
        out["group"] = d.group
    if d.origin is not None:
        out["origin"] = d.origin
    return out


@dataclass
class _Batch:
    ids: list[int] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)   # entry() JSON
    refs: dict[int, InputDoc] = field(default_factory=dict)
    future: Optional[Future] = None

    def what(self) -> str:
        return f"documents {self.ids[0]}-{self.ids[-1]}" if self.ids else "no documents"


class Evaluation:
    """add() each document, then finish() (or close() on any exit: no OPA keeps running)."""

    def __init__(self, policies: Path, opa_path: Optional[str] = None, plan: Plan = Plan(),
                 on: Optional[dt.date] = None):
        self.policies, self.opa_path, self.plan = policies, opa_path, plan
        self.batch_documents = plan.batch_documents or BATCH_DOCUMENTS
        self.batch_bytes = BATCH_BYTES
        self.workers = max(1, plan.processes or min(usable_cpus(), MAX_PROCESSES))
        self.pool: Optional[ThreadPoolExecutor] = None
        self.in_flight: deque[_Batch] = deque()
        self.batch, self.size, self.next_id = _Batch(), 0, 0
        self.batched = False                       # False while everything fits the first batch
        self.kept: list[tuple[int, str]] = []      # what the whole-input rules read, as JSON
        self.kept_refs: dict[int, InputDoc] = {}
        self.named = NamedDocuments()             # ConfigMaps and Secrets, until the names are known
        self.names: set[tuple[str, str]] = set()  # the [kind, name] the documents refer to
        self.found: list[tuple[Finding, Optional[InputDoc]]] = []
        self.failures: list[str] = []
        self.failed_files: set = set()   # nothing of these is reported
        self.unread: set = set()         # ... because the caller could not read them to their end
        self.on = on or today()
        self.waivers: dict = {}

    # ---- feeding ------------------------------------------------------------------------------
    def add(self, d: InputDoc) -> None:
        i = self.next_id
        self.next_id += 1
        part = json.dumps(entry(i, d), default=str)   # one at a time: never the whole input as JSON
        if self.batch.parts and (self.size + len(part) > self.batch_bytes
                                 or len(self.batch.parts) >= self.batch_documents):
            self.batched = True
            self._submit()
        ref = d.reference()
        self.batch.ids.append(i)
        self.batch.parts.append(part)
        self.batch.refs[i] = ref
        self.size += len(part) + 2
        waivers, problems = annotation_waivers(d, self.on)
        self.waivers.update(waivers)
        self.found += [(p, ref) for p in problems]

    def drop_file(self, f: Optional[str]) -> None:
        """f could not be read to its end: nothing of it is reported (its failure says why)."""
        self.failed_files.add(f)
        self.unread.add(f)

    def _submit(self) -> None:
        b, self.batch, self.size = self.batch, _Batch(), 0
        if self.pool is None:
            self.pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="opa")
        b.future = self.pool.submit(self._batch_value, b.parts, b.what())
        self.in_flight.append(b)
        while len(self.in_flight) > self.workers:   # bounded: wait for the oldest
            self._collect(self.in_flight.popleft())

    # ---- finishing ----------------------------------------------------------------------------
    def finish(self) -> Outcome:
        try:
            values = self._one_process() if not self.batched else None
            if values is None:
                if self.batch.parts:
                    self._submit()
                while self.in_flight:
                    self._collect(self.in_flight.popleft())
                values = self._whole_input()
        finally:
            self.close()
        found = [(f, r) for f, r in self.found if not (r is not None and r.file in self.failed_files)]
        return Outcome(found, values, self.waivers, self.failures, self.failed_files)

    def close(self) -> None:
        """Stop: batches not started are dropped, the running ones end."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
        self.named.close()

    def _one_process(self) -> Optional[dict]:
        """Everything in one batch: every rule and the plan's queries in one OPA process. None when
        that input cannot be evaluated and the plan isolates files (then it goes batch by batch)."""
        b = self.batch
        if not b.parts and not self.plan.queries:
            return {}
        try:
            value = self._query(b.parts, ALL_RULES, f"{len(b.parts)} documents", small=None)
        except InputEvaluationError:
            if not self.plan.isolate_files:
                raise
            self.batched = True
            return None
        self._keep(value["findings"], b.refs)
        self.batch = _Batch()
        return {k: value.get(k) for k in self.plan.queries}

    def _whole_input(self) -> dict:
        # in reading order, as one evaluation would have them: a finding about several documents is
        # reported at the first of them
        for i, ref, part in self.named.named(self.names):   # those some document names
            if i not in self.kept_refs:
                self.kept.append((i, part))
                self.kept_refs[i] = ref
        parts = sorted((i, p) for i, p in self.kept if self.kept_refs[i].file not in self.failed_files)
        self.kept = []
        if not parts and not self.plan.queries:
            return {}
        what = f"{len(parts)} documents (cross-document rules)"
        try:
            value = self._query([p for _, p in parts], WHOLE_INPUT, what, small=None)
        except InputEvaluationError as exc:
            if not self.plan.isolate_files:
                raise
            value = self._whole_input_without_failing_files(parts, exc, what)
        self._keep(value["findings"], self.kept_refs)
        return {k: value.get(k) for k in self.plan.queries}

    def _whole_input_without_failing_files(self, parts: list[tuple[int, str]], exc: InputEvaluationError,
                                           what: str) -> dict:
        alone_failed = False
        for f, file_parts in _by_file((self.kept_refs[i].file, p) for i, p in parts).items():
            try:
                self._query(file_parts, WHOLE_INPUT, f"{f}", small=None)
            except InputEvaluationError as alone:
                alone_failed = True
                self._fail(f, alone)
        if not alone_failed:   # only the files together fail: a cross-document conflict
            raise EvaluationError(str(exc)) from None
        kept = [p for i, p in parts if self.kept_refs[i].file not in self.failed_files]
        return self._query(kept, WHOLE_INPUT, what, small=None)

    # ---- one OPA process ----------------------------------------------------------------------
    def _query(self, parts: list[str], findings: str, what: str, small: Optional[bool]) -> dict:
        """{findings, <the plan's queries>} over these documents and the plan's context."""
        query = "{" + ", ".join(f'"{k}": {v}' for k, v in {"findings": findings, **self.plan.queries}.items()) + "}"
        value = eval_query(_input_text(parts, self.plan.context), self.policies, query, self.opa_path,
                           ignore=self.plan.unused_folders(), timeout=self.plan.timeout, what=what, small=small)
        return _checked(value, query)

    def _batch_value(self, parts: list[str], what: str) -> dict:
        # a batch runs with tools.GO_TOOL_ENV_LARGE (small=False): with the collector off its heap would grow to 1 GiB
        value = eval_query(_input_text(parts, {}), self.policies, BATCH, self.opa_path, ignore=OPTIONAL_FOLDERS,
                           timeout=self.plan.timeout, what=what, small=False)
        value = _checked(value, BATCH)
        if not isinstance(value.get("whole_input_ids", []), list):
            raise EvaluationError(f"{BATCH} is not {{findings, whole_input_ids}}")
        return value

    def _collect(self, b: _Batch) -> None:
        try:
            value = b.future.result()
        except InputEvaluationError:
            if not self.plan.isolate_files:
                raise
            value = self._isolate(b)
        kept = {i for i in value.get("whole_input_ids") or [] if isinstance(i, int)}
        for n, i in enumerate(b.ids):
            if i in kept:
                self.kept.append((i, b.parts[n]))
                self.kept_refs[i] = b.refs[i]
        self.names.update(tuple(x) for x in value.get("names") or [] if _is_name(x))
        positions = {i: n for n, i in enumerate(b.ids)}
        for x in value.get("named_documents") or []:
            if isinstance(x, list) and len(x) == 3 and x[0] in positions and x[0] not in kept and _is_name(x[1:]):
                self.named.put(x[0], x[1], x[2], b.refs[x[0]], b.parts[positions[x[0]]])
        self._keep(value["findings"], b.refs)

    def _isolate(self, b: _Batch) -> dict:
        """Evaluate a failed batch file by file: report each file that fails alone, keep the rest."""
        merged: dict[str, list] = {key: [] for key in BATCH_ANSWER}
        for f, file_parts in _by_file((b.refs[i].file, b.parts[n]) for n, i in enumerate(b.ids)).items():
            try:
                value = self._batch_value(file_parts, f"{f}")
            except InputEvaluationError as exc:
                self._fail(f, exc)
                continue
            for key, items in merged.items():
                items += value.get(key) or []
        return merged

    def _fail(self, f: Optional[str], exc: InputEvaluationError) -> None:
        if f in self.failed_files:
            return
        self.failed_files.add(f)
        self.failures.append(
            f"{f}: the policies cannot evaluate it ({exc.detail}); look in it for what Kubernetes "
            "would also reject, such as two volumes, containers or env entries with one name")

    def _keep(self, raw: list[dict], refs: dict[int, InputDoc]) -> None:
        self.found += list(located_findings(raw, refs.get))


def _by_file(pairs: Iterable[tuple[Optional[str], str]]) -> dict[Optional[str], list[str]]:
    """(file, part) pairs grouped by file, in order: a batch OPA cannot evaluate is tried file by file."""
    grouped: dict[Optional[str], list[str]] = defaultdict(list)
    for f, part in pairs:
        grouped[f].append(part)
    return grouped


def _input_text(parts: list[str], context: Mapping[str, Any]) -> JSONText:
    extra = "".join(f", {json.dumps(k)}: {json.dumps(v, default=str)}" for k, v in context.items())
    return JSONText('{"documents": [' + ", ".join(parts) + "]" + extra + "}")


def _checked(value: Any, query: str) -> dict:
    if not isinstance(value, dict):
        raise EvaluationError(f"{query} is not an object (got {type(value).__name__})")
    found = value.get("findings")
    if isinstance(found, dict):   # a set serialises as a list; tolerate an object keyed by anything
        found = list(found.values())
    if not isinstance(found, list):
        raise EvaluationError(f"{query}: findings is not a set of findings (got {type(found).__name__})")
    return {**value, "findings": found}


def _is_name(x: Any) -> bool:
    """[kind, name], both strings."""
    return isinstance(x, (list, tuple)) and len(x) == 2 and all(isinstance(s, str) for s in x)


def _as_int(v: Any) -> Optional[int]:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def located_findings(raw: list[dict], doc_of: Callable[[int], Optional[InputDoc]]
                     ) -> Iterator[tuple[Finding, Optional[InputDoc]]]:
    """(Finding, the document it is about or None) for each raw finding of OPA; doc_of(id) gives the
    document an id names. A finding about several documents is placed at the first of them."""
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
        finding = finding_of(r, "AIF000", file=d.file if d else None, resource=d.resource if d else None,
                             path=d.full_path(path) if d is not None else path,
                             line=d.line_for(path) if d is not None else None)
        if also:
            finding = dataclasses.replace(finding, message=finding.message + also)
        yield finding, d


def evaluate(docs: list[InputDoc], policies: Path, opa: Optional[str] = None) -> list[Finding]:
    """check's evaluation (and the tests' oracle): every document, lines from their line maps."""
    return outcome_of(docs, policies, opa).findings()


def outcome_of(docs: list[InputDoc], policies: Path, opa: Optional[str] = None, plan: Plan = Plan()) -> Outcome:
    """The evaluation of a list: its size is known, so a large one is split evenly over the CPUs."""
    n = processes(len(docs))
    if plan.batch_documents is None and n > 1:
        plan = dataclasses.replace(plan, batch_documents=min(BATCH_DOCUMENTS, -(-len(docs) // n)), processes=n)
    evaluation = Evaluation(policies, opa, plan)
    try:
        for d in docs:
            evaluation.add(d)
    except BaseException:
        evaluation.close()
        raise
    return evaluation.finish()
