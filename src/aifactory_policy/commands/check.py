"""`check`: render the chart with Helm and check values files, merged values and manifests."""
from __future__ import annotations

import dataclasses
import importlib
import os
import re
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Optional

from .. import chart_source, helm
from ..findings import EvaluationError, Finding, Report
from ..rules import ranges, title_of
from ..tools import data_root, policies_dir
from . import EXIT_CODES, FORMATS_HELP, add_common

if TYPE_CHECKING:  # loaded by _below_helm, while Helm renders
    from ..documents import InputDoc
    from ..values import MergedValues


def _below_helm() -> SimpleNamespace:
    """The speed trick of `check`'s imports, in one place: the modules below Helm (the documents,
    OPA's client, the values merge, the YAML reader) are imported once Helm renders, not before it
    starts: Helm starts sooner (bench/results.md). jsonschema, the slowest, has its own thread
    (_render_in_background)."""
    from .. import documents, opa, values, yamlio
    return SimpleNamespace(documents=documents, opa=opa, values=values, yamlio=yamlio)


def display_path(p: str | Path) -> str:
    """`p` relative to the working directory when it is below it, else as given."""
    try:
        rel = os.path.relpath(os.path.abspath(p))
    except ValueError:
        return str(p)
    return rel if not rel.startswith("..") else str(p)


def resolve_chart(chart: Optional[str]) -> str:
    """CHART as given when it is a packaged chart or a reference Helm pulls, else the chart folder:
    CHART, or charts/aifactory here, else the chart the package carries (or its checkout's)."""
    if chart and (chart_source.is_remote(chart) or chart_source.is_archive(chart)):
        return chart
    if chart:
        candidates = [Path(chart)]
    else:
        candidates = [Path("charts/aifactory")]
        root = data_root()
        if root is not None:
            candidates.append(root / "charts" / "aifactory")
    for c in candidates:
        if (c / "Chart.yaml").is_file():
            return display_path(c)
    if chart:
        raise EvaluationError(f"{chart}: not a chart (no Chart.yaml); pass a chart folder, a packaged chart "
                              "(.tgz) or an oci:// reference, e.g. charts/aifactory")
    raise EvaluationError("no chart given and charts/aifactory not found here or in the repository; "
                          "pass CHART (the chart folder)")


_KEY = re.compile(r"\b([A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)*)\b")


def guard_findings(messages: list[str], merged: MergedValues) -> list[Finding]:
    """AIF101 per chart guard line, pointing at the values key it names when there is one."""
    out = []
    for msg in messages:
        path = origin = None
        for m in _KEY.finditer(msg):
            candidate = tuple(m.group(1).split("."))
            if candidate in merged.origins:
                path, origin = m.group(1), merged.origins[candidate]
                break
        out.append(Finding(rule="AIF101", severity="error", message=f"ERROR: {msg}",
                           file=origin.file if origin else None, path=path,
                           line=origin.line if origin else None, title=title_of("AIF101")))
    return out


def rendered_docs(stream: str, chart_dir: str) -> list[InputDoc]:
    m = _below_helm()
    docs = []
    for rd in helm.split_rendered(stream):
        source = rd.source
        file = source
        if source and "/" in source:  # "aifactory/templates/x.yaml" -> "<chart_dir>/templates/x.yaml"
            file = os.path.join(chart_dir, source.split("/", 1)[1])
        lf = m.yamlio.load_text(rd.text, f"{file or 'helm template output'} (rendered)")
        for d in lf.documents:
            if d.data is None:
                continue
            # lines in a rendered document are not lines of the template: report the file only
            docs.append(m.documents.InputDoc(file=file, content=d.data, doc=None,
                                             resource=m.documents.resource_of(d.data)))
    return docs


_VALUE_FLAGS = ("--set", "--set-string", "--set-json")
FLAG_VALUES_FILE = "--set/--set-string/--set-file/--set-json"


def shown_command(command: list[str]) -> str:
    """The Helm command line to reproduce a failure, with every --set/--set-string/--set-json value
    replaced by <value> (the keys stay): a value may be a pasted credential."""
    out, hide = [], False
    for arg in command:
        if hide:
            arg = ",".join(re.sub(r"=.*", "=<value>", part, flags=re.S) for part in
                           (arg.split(",") if not arg.lstrip().startswith("{") else ["<json object>"]))
        out.append(arg)
        hide = arg in _VALUE_FLAGS
    return " ".join(out)


def _unknown_keys_known(f: Finding, known: set) -> bool:
    """Helm's "(top level): additional properties 'a', 'b' not allowed" when Python already reported
    each of those keys by name, file and line (Helm's says neither file nor line)."""
    if f.path or "additional properties" not in f.message:
        return False
    names = re.findall(r"'([^']+)'", f.message.split("additional properties", 1)[1].split("not allowed", 1)[0])
    return bool(names) and all(n in known for n in names)


def flag_docs(merged: "MergedValues") -> list:
    """The values the flags set, as one values document for the policies (like a -f file): `check`
    scans them whatever the chart does with them."""
    if not merged.flag_values:
        return []
    return [_below_helm().documents.InputDoc(file=FLAG_VALUES_FILE, content=merged.flag_values)]


# the manifest rules (policies/rules/*), from the catalogue
MANIFEST_RULES = ranges("manifest")

EPILOG = f"""What is checked:
  - each -f values file as written (raw text, comments included: credential material) and as
    parsed YAML ({MANIFEST_RULES} where they apply to values);
  - the values --set, --set-string, --set-file and --set-json set, as one values document
    ({MANIFEST_RULES} where they apply to values), whatever the chart does with them;
  - the merged values (chart values.yaml <- -f files <- --set-json <- --set <- --set-string <-
    --set-file, as Helm merges them) against the chart's values.schema.json: AIF100 with the key,
    file and line (or flag and key) that set it;
  - the manifests `helm template` renders, reported by template file ({MANIFEST_RULES});
  - chart guards: a `fail "ERROR: ..."` in the templates becomes AIF101.
  - a -f file of GitOps objects (a Flux HelmRelease, an Argo CD Application or ApplicationSet,
    a kustomization.yaml with helmCharts, a helmfile.yaml) gives the values of each release of
    this chart in it: one render per release, findings at the GitOps file's lines, references it
    cannot resolve (valuesFrom, valueFiles) named in notes (docs/gitops-values.md).

examples:
  aifactory-policy check                                   # charts/aifactory, default values
  aifactory-policy check -f prod.yaml --set remoteControl.enabled=true \\
      --set remoteControl.credentialsSecretName=claude-creds
  aifactory-policy check charts/aifactory -f a.yaml -f b.yaml --helm-major 4 --format json
  aifactory-policy check -f prod.yaml --format sarif --output results.sarif
  aifactory-policy check -f deploy/helmrelease.yaml -f deploy/values-configmap.yaml
  aifactory-policy check aifactory-0.1.0.tgz -f prod.yaml     # a chart from `helm package`
  aifactory-policy check oci://registry.example.com/charts/aifactory --version 0.1.0 -f prod.yaml

{EXIT_CODES}

{FORMATS_HELP}"""


def add_parser(sub, formatter) -> None:
    p = sub.add_parser("check", formatter_class=formatter, epilog=EPILOG,
                       help="render the chart with Helm and check values and manifests",
                       description="Render CHART with the real Helm (`helm template`) and check the values "
                                   "files, the merged values and the rendered manifests.")
    p.add_argument("chart", nargs="?", metavar="CHART",
                   help="chart folder, packaged chart (.tgz) or oci:// reference, as helm takes it "
                        "(default: charts/aifactory here, else the chart installed with aifactory-policy)")
    p.add_argument("--version", dest="chart_version", metavar="VER",
                   help="chart version to pull for an oci:// or https:// CHART (as helm --version)")
    p.add_argument("--plain-http", action="store_true",
                   help="pull an oci:// CHART over plain HTTP (as helm --plain-http)")
    p.add_argument("-f", "--values", action="append", default=[], metavar="VALUES",
                   help="values file, repeatable; later files win (as with helm); or a GitOps file "
                        "(HelmRelease, Argo CD Application, kustomization.yaml, helmfile.yaml) naming the chart")
    p.add_argument("--set", action="append", default=[], metavar="K=V",
                   help="set a value (a.b=c, a[0]=x, a={x,y}; typed like helm), repeatable")
    p.add_argument("--set-string", action="append", default=[], metavar="K=V",
                   help="set a value, always a string, repeatable")
    p.add_argument("--set-file", action="append", default=[], metavar="K=PATH",
                   help="set a value to a file's text, repeatable (as with helm)")
    p.add_argument("--set-json", action="append", default=[], metavar="K=JSON",
                   help="set a JSON value (a.b={\"c\":1}), repeatable (as with helm)")
    helm_group = p.add_mutually_exclusive_group()
    helm_group.add_argument("--helm", metavar="PATH", help="helm binary to use")
    helm_group.add_argument("--helm-major", type=int, choices=(3, 4),
                            help="use the pinned Helm 3 (bin/helm3) or Helm 4 (bin/helm4)")
    p.add_argument("--release-name", default="aifactory", metavar="NAME",
                   help="release name for the render (default: aifactory)")
    p.add_argument("--namespace", "-n", metavar="NS", help="namespace for the render")
    p.add_argument("--kube-version", metavar="VER",
                   help="Kubernetes version for the render (default: the one the project tests with, "
                        "KUBERNETES_VERSION in ci/versions.env)")
    add_common(p)


@dataclass(frozen=True)
class CheckRequest:
    """What one `check` renders and checks: built from the command line by run(), from a GitOps
    object by scan (a release of the chart in a scanned file)."""
    chart: Optional[str] = None          # CHART; None: charts/aifactory here, else the packaged chart
    values_files: tuple[str, ...] = ()   # -f, in order (a GitOps file: its releases, one render each)
    sets: tuple[str, ...] = ()           # --set
    set_strings: tuple[str, ...] = ()    # --set-string
    set_files: tuple[str, ...] = ()      # --set-file
    set_jsons: tuple[str, ...] = ()      # --set-json
    helm_path: Optional[str] = None      # --helm
    helm_major: Optional[int] = None     # --helm-major
    release: str = "aifactory"           # --release-name
    namespace: Optional[str] = None      # --namespace
    kube_version: Optional[str] = None   # --kube-version
    chart_version: Optional[str] = None  # --version (an oci:// or https:// CHART)
    plain_http: bool = False             # --plain-http
    policies: Optional[str] = None       # --policies
    opa_path: Optional[str] = None       # --opa

    @classmethod
    def from_args(cls, args) -> "CheckRequest":
        return cls(chart=args.chart, values_files=tuple(args.values), sets=tuple(args.set),
                   set_strings=tuple(args.set_string), set_files=tuple(args.set_file),
                   set_jsons=tuple(args.set_json), helm_path=args.helm, helm_major=args.helm_major,
                   release=args.release_name, namespace=args.namespace, kube_version=args.kube_version,
                   chart_version=args.chart_version, plain_http=args.plain_http, policies=args.policies,
                   opa_path=args.opa)

    def for_release(self, rel) -> "CheckRequest":
        """This request for one release of a GitOps file: its name and namespace unless given."""
        return dataclasses.replace(
            self, release=rel.release_name if self.release == "aifactory" and rel.release_name else self.release,
            namespace=self.namespace or rel.namespace)


def run(args) -> Report:
    return check(CheckRequest.from_args(args))


def check(request: CheckRequest) -> Report:
    """A -f file holding GitOps objects (a Flux HelmRelease, an Argo CD Application, a kustomization
    with helmCharts, a helmfile) gives the values of the releases of this chart in it: one render
    per release (docs/gitops-values.md)."""
    from .. import gitops_values as gitops_entries
    runs = gitops_entries.plan(list(request.values_files))
    if runs is None:   # plain values files: as before
        return check_one(request, list(request.values_files))
    reports = []
    for run_entries, rel in runs:
        r = check_one(request.for_release(rel), run_entries)
        r.notes += gitops_entries.notes_of(rel)
        reports.append(r)
    return gitops_entries.combine(reports)


def check_one(request: CheckRequest, entries: list) -> Report:
    """One render of the chart and its checks. entries: values file paths, and GitOps releases
    (gitops_values.Release) in their place."""
    chart_arg = resolve_chart(request.chart)
    pol = policies_dir(request.policies)
    binary = helm.helm_binary(request.helm_path, request.helm_major)
    report = Report(command="check")
    with tempfile.TemporaryDirectory(prefix="aifactory-chart-") as tmp:
        source = chart_source.materialize(chart_arg, tmp, binary, request.chart_version, request.plain_http)
        helm_files = [e if isinstance(e, str) else _release_values_file(e, tmp, i) for i, e in enumerate(entries)]
        with ThreadPoolExecutor(max_workers=1) as pool:
            rendering = _render_in_background(pool, binary, source, request, helm_files)
            return _check(report, pool, rendering, source, pol, entries, request,
                          lambda: request.helm_major or helm.major(binary))


def _render_in_background(pool: ThreadPoolExecutor, binary: str, source: chart_source.Chart,
                          request: CheckRequest, helm_files: list[str]):
    """The speed trick of `check`, in one place: Helm renders while Python reads and merges the
    values, and jsonschema (the slowest import) loads meanwhile in a daemon thread that mostly
    waits on Helm; _check later has OPA evaluate while Python validates the values. The tools and
    Python were sequential costs of `check` (bench/results.md). Returns the render's Future."""
    rendering = pool.submit(helm.template, binary, source.render, request.release, request.namespace, helm_files,
                            list(request.sets), list(request.set_strings), request.kube_version,
                            list(request.set_files), list(request.set_jsons))
    threading.Thread(target=importlib.import_module, args=(f"{__package__.rpartition('.')[0]}.schema",),
                     daemon=True).start()
    return rendering


def _release_values_file(rel, tmp: str, i: int) -> str:
    """The values a GitOps object hands Helm, as a values file for `helm template` (JSON is YAML)."""
    import json
    path = os.path.join(tmp, f"gitops-values-{i}.json")
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(rel.merged(), fh, default=str)
    return path


def _check(report: Report, pool: ThreadPoolExecutor, rendering, source: chart_source.Chart, pol, values_files: list,
           request: CheckRequest, helm_major_of=lambda: 3) -> Report:
    m = _below_helm()
    chart_dir, label = source.folder, source.label

    loaded = []
    raw_only = []   # GitOps files: their raw text is checked, their values come from the release
    for e in values_files:
        if isinstance(e, str):
            loaded.append(m.yamlio.load_file(e))          # unreadable / invalid YAML: exit 2
        else:
            loaded += e.loaded_files()
            if not e.scanned:   # scan checked the file's raw text already
                raw_only.append(e.file)
    defaults_path = os.path.join(chart_dir, "values.yaml")
    defaults = None
    if os.path.isfile(defaults_path):  # named as the user named the chart (a .tgz, an oci:// reference)
        defaults = (m.yamlio.load_file(defaults_path) if label == chart_dir else
                    m.yamlio.load_text(m.yamlio.read_text(defaults_path), os.path.join(label, "values.yaml")))
    # Helm 3 reads a values file's first document, Helm 4 merges them all: ask which only when it matters
    several = any(sum(d.data is not None for d in lf.documents) > 1 for lf in loaded + [defaults] if lf)
    merged = m.values.merge(defaults, loaded, list(request.sets), list(request.set_strings), list(request.set_files),
                   list(request.set_jsons), all_documents=several and helm_major_of() == 4)

    docs: list[InputDoc] = []
    if defaults is not None:
        report.inputs.append(defaults.path)
    for f in dict.fromkeys(raw_only):
        docs += list(m.documents.iter_raw_text_docs(f, m.yamlio.read_text(f)))
    for lf in loaded:
        docs += m.documents.file_docs(lf, raw=lf.path not in raw_only and bool(lf.text))
        if lf.path not in report.inputs:
            report.inputs.append(lf.path)
    docs += flag_docs(merged)

    result = rendering.result()
    if result.ok:
        rendered = rendered_docs(result.stdout, label)
        docs += rendered
        report.inputs += [f for f in dict.fromkeys(d.file for d in rendered if d.file) if f not in report.inputs]
    evaluating = pool.submit(m.opa.evaluate, docs, pol, request.opa_path)

    from .. import schema  # jsonschema is the slowest import
    findings: list[Finding] = []
    chart_schema = schema.load_schema(chart_dir, checked_by_helm=result.ok)
    if chart_schema is not None:
        findings += schema.validate(chart_schema, merged)
    else:
        report.notes.append(f"{label} has no values.schema.json: AIF100 not checked")
        report.not_evaluated.append("AIF100")

    if not result.ok:
        guards = helm.guard_errors(result.stderr)
        if schema.is_helm_schema_error(result.stderr):
            # fold Helm's schema errors into AIF100: only paths Python did not already report
            known = {f.path for f in findings if f.rule == "AIF100"}
            findings += [f for f in schema.helm_schema_findings(result.stderr, merged, chart_schema)
                         if f.path not in known and not any(k and f.path and k.startswith(f.path + ".")
                                                            for k in known) and not _unknown_keys_known(f, known)]
            report.notes.append("Helm rejected the values against values.schema.json; manifests not rendered")
        elif guards:
            findings += guard_findings(guards, merged)
            report.notes.append("the chart refused the values (ERROR: guards); manifests not rendered")
        else:
            evaluating.cancel()
            detail = result.stderr.strip() or "exit status without output"
            raise EvaluationError(f"helm template {label} failed: {detail}\n"
                                  f"  fix the chart or the values; reproduce with: {shown_command(result.command)}")

    findings += evaluating.result()
    report.findings = findings
    report.documents = len(docs)
    return report
