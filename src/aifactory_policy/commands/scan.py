"""`scan`: check values files and Kubernetes manifests on disk (no chart, no schema).

Folders are walked recursively for *.yaml, *.yml and *.json. Symlinks are never followed out
of the scanned tree, nothing is written next to the scanned files, nothing in them is run.
"""
from __future__ import annotations

import os
import stat
from collections import Counter
from typing import Iterator, Optional

from .. import gitops_values, opa
from ..documents import InputDoc, document_inputs, iter_raw_text_docs
from ..findings import EvaluationError, Report
from ..tools import policies_dir
from ..yamlio import decode_text, iter_documents, max_bytes_limit, parse_text, read_text
from . import EXIT_CODES, FORMATS_HELP, add_common

EXTENSIONS = (".yaml", ".yml", ".json")
STDIN = "-"
STDIN_NAME = "<stdin>"   # how reports name what was read from standard input


def _inside(path: str, root: str) -> bool:
    try:
        real = os.path.realpath(path, strict=True)
    except (OSError, RuntimeError):
        return False
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def chart_template(path: str) -> bool:
    """A file under a Helm chart's templates/ (a folder named templates beside a Chart.yaml): Go
    templates, not YAML; `check CHART` renders and checks them."""
    parent = os.path.dirname(os.path.abspath(path))
    while True:
        if os.path.basename(parent) == "templates" and \
                os.path.isfile(os.path.join(os.path.dirname(parent), "Chart.yaml")):
            return True
        up = os.path.dirname(parent)
        if up == parent:
            return False
        parent = up


def collect(paths: list[str], report: Report, skip_chart_templates: bool = False) -> list[str]:
    """Files to scan, in a stable order; problems go to report.failures / report.notes."""
    files: list[str] = []
    seen: set[str] = set()
    skipped: list[str] = []

    def add(p: str) -> None:
        real = os.path.realpath(p)
        if skip_chart_templates and chart_template(p):
            skipped.append(p)
            return
        if real not in seen:
            seen.add(real)
            files.append(p)

    for arg in paths:
        if arg == STDIN:  # read once, however often it is named
            if STDIN not in seen:
                seen.add(STDIN)
                files.append(STDIN)
            continue
        try:
            st = os.stat(arg)
        except OSError as exc:
            report.failures.append(f"{arg}: cannot read ({exc.strerror}); check the path")
            continue
        if not stat.S_ISDIR(st.st_mode):
            add(arg)  # a file the user named explicitly is scanned whatever its extension
            continue
        root = os.path.realpath(arg)
        for dirpath, dirnames, filenames in os.walk(arg, followlinks=False, onerror=lambda e: report.failures.append(
                f"{e.filename}: cannot list ({e.strerror}); check its permissions")):
            dirnames.sort()
            for d in dirnames:
                full = os.path.join(dirpath, d)
                if os.path.islink(full):
                    report.notes.append(f"{full}: symlinked folder not followed")
            for name in sorted(filenames):
                if not name.lower().endswith(EXTENSIONS):
                    continue
                full = os.path.normpath(os.path.join(dirpath, name))
                if os.path.islink(full) and not _inside(full, root):
                    report.notes.append(f"{full}: symlink leads outside {arg} (or loops); skipped")
                    continue
                add(full)
    if skipped:
        report.notes.append(f"{len(skipped)} Helm chart template file(s) skipped (--skip-chart-templates); "
                            "check a chart's rendered manifests with `aifactory-policy check CHART`")
    return files


EPILOG = f"""Folders are searched recursively for *.yaml, *.yml and *.json; a file named on the
command line is scanned whatever its extension. Multi-document YAML and JSON are read; each file
is checked as raw text (comments) and document by document. No chart, no schema (use `check`),
except for GitOps objects naming the chart aifactory (Flux HelmRelease, Argo CD Application or
ApplicationSet, kustomization helmCharts, helmfile releases): their values are rendered with Helm
and checked as `check` does, at the GitOps file's lines (docs/gitops-values.md).
Symlinks leading out of a scanned folder are skipped; nothing is written next to scanned files
and nothing in them is executed.

examples:
  aifactory-policy scan values-examples/
  aifactory-policy scan rendered.yaml k8s/ --format json
  helm template my ./chart | aifactory-policy scan -
  aifactory-policy scan --skip-chart-templates .              # a repository holding Helm charts
  pre-commit: add `- repo: <this repo>` with hook id aifactory-policy-scan

{EXIT_CODES}

{FORMATS_HELP}"""


def add_parser(sub, formatter) -> None:
    p = sub.add_parser("scan", formatter_class=formatter, epilog=EPILOG,
                       help="check values files and manifests on disk",
                       description="Check values files and Kubernetes manifests (files or folders).")
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="file or folder, repeatable; - reads standard input (reported as <stdin>)")
    p.add_argument("--per-file", action="store_true",
                   help="compare files only with themselves: the cross-document rule (AIF005, one Secret "
                        "shared by two releases) looks within each file, as conftest does without "
                        "--combine (default: across every file given, so sharing between files is found)")
    p.add_argument("--skip-chart-templates", action="store_true",
                   help="leave out files under a Helm chart's templates/ (Go templates, not YAML; `check` "
                        "renders them): the pre-commit hook passes it")
    add_common(p)


def run(args) -> Report:
    return scan(args.paths, policies=args.policies, opa_path=args.opa, per_file=args.per_file,
                skip_chart_templates=args.skip_chart_templates)


def scan(paths: list[str], policies: Optional[str] = None, opa_path: Optional[str] = None,
         per_file: bool = False, skip_chart_templates: bool = False) -> Report:
    """Documents stream to the policies as the files are read (opa.Evaluation): memory holds the
    batches in flight and the findings, not every document of the run. Documents are read without
    line maps; the files with findings are read again for their lines (finding_lines)."""
    report = Report(command="scan")
    pol = policies_dir(policies)
    texts: dict[str, str] = {}   # standard input cannot be read again for the findings' lines
    evaluation = opa.Evaluation(pol, opa_path, opa.Plan(isolate_files=True))
    counted: Counter = Counter()
    gitops: dict[str, str] = {}   # files that may hold this chart's values, and the ConfigMaps they may name
    try:
        for path in collect(paths, report, skip_chart_templates):
            for d in file_inputs(path, report, texts, evaluation, gitops):
                d.group = d.file if per_file else None
                # a long file's raw text is evaluated in slices: still one document of the file
                if not (d.raw_text and d.content["aifactoryRawText"].get("first")):
                    counted[d.file] += 1
                evaluation.add(d)
    except BaseException:
        evaluation.close()   # a failed batch or an interrupt: no OPA keeps running for nothing
        raise
    if not report.inputs and not report.failures:
        report.notes.append("no *.yaml, *.yml or *.json files found")
    outcome = evaluation.finish()
    report.failures += outcome.failures
    if outcome.failed_files:
        report.inputs[:] = [p for p in report.inputs if p not in outcome.failed_files]
    report.findings = outcome.findings(texts)
    report.documents = sum(n for f, n in counted.items() if f not in evaluation.unread)
    if any(gitops_values.might_hold(t) for t in gitops.values()):
        check_gitops_values(report, gitops, policies, opa_path, skip=evaluation.unread)
    return report


def check_gitops_values(report: Report, files: dict[str, str], policies: Optional[str], opa_path: Optional[str],
                        skip: set) -> None:
    """The releases of this chart in the scanned GitOps objects, each checked as `check` does (one
    render each); their findings join the scan's, at the GitOps files' lines."""
    parsed, support = [], []
    for path, text in files.items():
        if path in skip:
            continue
        if not gitops_values.might_hold(text):
            support.append((path, text))   # parsed only if a release names an object
            continue
        try:
            parsed.append(gitops_values.Parsed(path, text, parse_text(text, path)))
        except EvaluationError:
            continue   # the scan reported it
    try:
        releases = gitops_values.Finder(parsed, support).releases()
    except EvaluationError as exc:
        report.failures.append(str(exc))
        return
    if not releases:
        return
    from . import check   # Helm, the schema: only for a release of the chart
    # what the scan found on the object itself (AIF001 at spec.values.x) is not reported again at
    # the same line as a value (x)
    scanned = {(f.rule, f.file, f.line) for f in report.findings if f.line is not None}
    seen = {(f.rule, f.file, f.line, f.message) for f in report.findings}
    if releases:   # the chart's rules (AIF100 schema, AIF101 guards) are evaluated too
        from ..rulecontrol import rules_of
        report.rules = sorted(set(report.rules or rules_of("scan")) | set(rules_of("check")))
    for rel in releases:
        rel.scanned = True
        try:
            r = check.check_one(check.CheckRequest(policies=policies, opa_path=opa_path).for_release(rel), [rel])
        except EvaluationError as exc:
            report.failures.append(f"{rel.label}: the values of the chart {gitops_values.CHART_NAME} could not be "
                                   f"checked: {exc}")
            continue
        for f in r.findings:
            if (f.rule, f.file, f.line, f.message) not in seen and (f.rule, f.file, f.line) not in scanned:
                seen.add((f.rule, f.file, f.line, f.message))
                report.findings.append(f)
        report.notes += [n for n in r.notes + gitops_values.notes_of(rel) if n not in report.notes]
        report.documents += r.documents
        report.not_evaluated += [x for x in r.not_evaluated if x not in report.not_evaluated]


def file_inputs(path: str, report: Report, texts: dict[str, str],
                evaluation: opa.Evaluation, gitops: Optional[dict[str, str]] = None) -> Iterator[InputDoc]:
    """One file's policy inputs, read lazily: its raw-text slices, then each YAML document without
    line maps. A file that turns out unreadable or broken part-way is a failure of its own, and
    the evaluation drops what it already had of it; a document over the size limit is one
    failure, and the file's other documents are still read."""
    try:
        if path == STDIN:
            name, text = STDIN_NAME, read_stdin()
            texts[name] = text
        else:
            name, text = path, read_text(path, whole_file_limit=False)
    except EvaluationError as exc:
        report.failures.append(str(exc))
        return
    report.inputs.append(name)
    if gitops is not None and gitops_values.worth_keeping(text):
        gitops[name] = text
    yield from iter_raw_text_docs(name, text)
    try:
        for doc in iter_documents(text, name, keep_going=True, track_lines=False):
            if doc.error:
                report.failures.append(doc.error)
            yield from document_inputs(name, doc)
    except EvaluationError as exc:
        report.failures.append(str(exc))
        evaluation.drop_file(name)


def read_stdin() -> str:
    """Standard input as one YAML/JSON text (`helm template ... | aifactory-policy scan -`); the
    size limit applies per document."""
    import sys
    max_bytes_limit()   # a bad AIFACTORY_POLICY_MAX_BYTES is refused before reading
    return decode_text(sys.stdin.buffer.read(), STDIN_NAME)
