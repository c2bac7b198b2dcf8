"""The values of this chart where GitOps users keep them: a Flux `HelmRelease`, an Argo CD
`Application` (or an `ApplicationSet`'s template), a Kustomize `kustomization.yaml` with
`helmCharts`, a `helmfile.yaml` release.

Each object that names this chart (CHART_NAME) becomes one `Release`: the values the tool would
hand to Helm, merged in the tool's order, as a synthetic values `Document` whose line map points
into the GitOps file (the key's line; for an Argo `values:` string, the line inside the string
offset by the block's first line). `check` renders the chart with it and reports at those lines.

Field names and orders, as the tools' own types define them:
- Flux helm-controller v2 `HelmReleaseSpec`: `chart.spec.chart` (or `chartRef` to an
  `OCIRepository` whose `spec.url` ends in the chart name); `valuesFrom[] {kind: ConfigMap|Secret,
  name, valuesKey (default values.yaml), targetPath, optional}` merged in order, then `values` on top.
- Argo CD `ApplicationSourceHelm` under `spec.source` or each of `spec.sources` (an ApplicationSet:
  `spec.template.spec...`): `valueFiles` < `values` (a YAML string) or `valuesObject` (which takes
  precedence over `values`) < `parameters[{name, value, forceString}]` (as --set / --set-string).
- kustomize `HelmChart` (`helmCharts[]`): `name`, `valuesFile`, `additionalValuesFiles`,
  `valuesInline`, `valuesMerge` (override, the default: inline over the files; replace: inline only).
- helmfile `ReleaseSpec` (`releases[]`): `chart`, `values` (inline maps, or file paths relative to
  the helmfile), `set` / `setString` `[{name, value}]`.
References it cannot resolve (a ConfigMap not among the files, a values file in another repository,
a .gotmpl) are listed in `Release.unresolved`: the values were checked without them.
"""
from __future__ import annotations

import base64
import binascii
import os
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from . import strvals
from .findings import EvaluationError
from .helm_maps import merge_maps
from .yamlio import Document, LoadedFile, join_path, load_text, read_text

CHART_NAME = "aifactory"


@dataclass
class Layer:
    """One values source in merge order: its values and the lines of its keys (values path -> line)
    in `file`."""
    values: dict
    file: str
    lines: dict[str, int] = field(default_factory=dict)
    line: Optional[int] = None        # where the source is named (for keys without a line of their own)


@dataclass
class SetValue:
    """A --set style value: an Argo parameter, a helmfile set/setString item."""
    name: str
    value: str
    as_string: bool
    file: str
    line: Optional[int]


@dataclass
class Release:
    """One GitOps object's values for this chart."""
    source: str                   # "HelmRelease", "Application", "ApplicationSet", "kustomization", "helmfile"
    name: str                     # object or release name, for messages
    file: str                     # the GitOps file
    line: int                     # where the object (or the release item) starts
    layers: list[Layer] = field(default_factory=list)
    sets: list[SetValue] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    release_name: Optional[str] = None
    namespace: Optional[str] = None
    scanned: bool = False         # found by scan: its file's raw text is checked there

    @property
    def label(self) -> str:
        return f"{self.file}:{self.line} {self.source} {self.name}"

    def merged(self) -> dict:
        """The values the tool hands Helm (--set style values applied onto the merged layers, as
        Helm applies --set: an index sets one item of a list)."""
        self.set_layer()   # a bad parameter: the error names the GitOps file and line
        values: dict = {}
        for layer in self.layers:
            values = merge_maps(values, layer.values)
        for s in self.sets:
            escaped = re.sub(r"([\\,])", r"\\\1", s.value)
            strvals.parse_into(f"{s.name}={escaped}", values, as_string=s.as_string, flag=f"{s.file}:{s.line}")
        return values

    def set_layer(self) -> Optional[Layer]:
        """The --set style values as one layer over the others, each key at its parameter's line."""
        if not self.sets:
            return None
        values: dict = {}
        lines: dict[str, int] = {}
        for s in self.sets:
            provenance: dict = {}
            escaped = re.sub(r"([\\,])", r"\\\1", s.value)   # one value: its commas are not more pairs
            try:
                strvals.parse_into(f"{s.name}={escaped}", values, as_string=s.as_string,
                                   flag=f"{s.file}:{s.line}", provenance=provenance)
            except EvaluationError as exc:
                raise EvaluationError(f"{self.label}: parameter {s.name!r}: {exc}") from None
            for path in provenance:
                if s.line is not None:
                    lines[strvals.key_label(path)] = s.line
        return Layer(values, self.sets[0].file, lines, self.sets[0].line)

    def loaded_files(self) -> list[LoadedFile]:
        """The layers as values files for values.merge, in merge order: each names the file its keys
        are in (the GitOps file, or a values file it names) and each key's line in it."""
        layers = self.layers + [x for x in [self.set_layer()] if x is not None]
        return [LoadedFile(path=x.file, text="", documents=[
            Document(index=0, data=x.values, lines=x.lines, start_line=x.line or self.line)]) for x in layers]


def chart_matches(ref: Any) -> bool:
    """A chart reference naming this chart: `aifactory`, `repo/aifactory`, `./charts/aifactory`,
    `oci://host/charts/aifactory`."""
    if not isinstance(ref, str) or not ref.strip():
        return False
    return ref.strip().rstrip("/").rsplit("/", 1)[-1] == CHART_NAME


def _chart_path(src: dict) -> bool:
    """An Argo source of a Git path that is this chart: the path ends in charts/aifactory, or it
    ends in aifactory and the source says `helm:` (a path of plain manifests is no chart)."""
    path = src.get("path")
    if src.get("chart") or not isinstance(path, str) or not chart_matches(path):
        return False
    return path.strip().rstrip("/").endswith(f"charts/{CHART_NAME}") or isinstance(src.get("helm"), dict)


def _sub_lines(doc: Document, prefix: str) -> dict[str, int]:
    """The line map of what sits under `prefix` in `doc`, keyed by paths relative to it."""
    out: dict[str, int] = {}
    dot, bracket = prefix + ".", prefix + "["
    for path, line in doc.lines.items():
        if path.startswith(dot):
            out[path[len(dot):]] = line
        elif path.startswith(bracket) and path[len(prefix):].startswith('["'):
            out[path[len(prefix):]] = line
    return out


_BLOCK = re.compile(r":\s*[|>][-+0-9]*\s*(#.*)?$")


def _string_layer(text: str, file: str, file_text: str, key_line: int, what: str) -> Layer:
    """Values written as a YAML string (Argo `values: |`, a ConfigMap's `values.yaml: |`): a block
    scalar's line N is the key's line + N; any other string maps every key to the key's line."""
    try:
        lf = load_text(text, f"{file}:{key_line} ({what})")
    except EvaluationError as exc:
        raise EvaluationError(f"{exc}; the line is counted inside the string that starts after line {key_line}") \
            from None
    docs = [d for d in lf.documents if d.data is not None]
    if not docs:
        return Layer({}, file, {}, key_line)
    if len(docs) > 1 or not isinstance(docs[0].data, dict):
        raise EvaluationError(f"{file}:{key_line}: {what} is not one YAML mapping of values; write it as "
                              "`key: value` lines")
    src_lines = file_text.splitlines()
    block = 0 < key_line <= len(src_lines) and bool(_BLOCK.search(src_lines[key_line - 1]))
    lines = {p: (key_line + n if block else key_line) for p, n in docs[0].lines.items()}
    return Layer(docs[0].data, file, lines, key_line)


def _map_layer(data: Any, file: str, doc: Document, prefix: str) -> Optional[Layer]:
    if not isinstance(data, dict):
        return None
    return Layer(data, file, _sub_lines(doc, prefix), doc.line_for(prefix))


@dataclass
class Parsed:
    """One file of the set, parsed with line maps."""
    path: str
    text: str
    documents: list[Document]


class Finder:
    """Finds the releases of this chart in a set of parsed files; resolves Flux `valuesFrom` against
    the ConfigMaps and Secrets of the same set, and file references against the disk."""

    def __init__(self, files: Iterable[Parsed], support: Iterable[tuple[str, str]] = ()):
        """support: (path, text) of other files that may hold what a release names (ConfigMaps,
        Secrets, OCIRepositories); parsed only when a release names something."""
        self.files = list(files)
        self.support = list(support)
        self._objects: Optional[dict[tuple[str, str], list[tuple[Parsed, Document]]]] = None

    @property
    def objects(self) -> dict[tuple[str, str], list[tuple[Parsed, Document]]]:
        if self._objects is None:
            from .yamlio import parse_text
            parsed = list(self.files)
            for path, text in self.support:
                try:
                    parsed.append(Parsed(path, text, parse_text(text, path)))
                except EvaluationError:
                    continue   # reported where the file is read
            self._objects = {}
            for f in parsed:
                for d in f.documents:
                    c = d.data
                    if isinstance(c, dict) and isinstance(c.get("kind"), str) and isinstance(c.get("metadata"), dict):
                        self._objects.setdefault((c["kind"], str(c["metadata"].get("name"))), []).append((f, d))
        return self._objects

    def releases(self) -> list[Release]:
        out: list[Release] = []
        for f in self.files:
            for d in f.documents:
                out += self.of_document(f, d)
        return out

    def of_document(self, f: Parsed, d: Document) -> list[Release]:
        c = d.data
        if not isinstance(c, dict):
            return []
        kind = c.get("kind")
        api = str(c.get("apiVersion") or "")
        if kind == "HelmRelease" and api.startswith("helm.toolkit.fluxcd.io/"):
            return self._flux(f, d, c)
        if kind in ("Application", "ApplicationSet") and api.startswith("argoproj.io/"):
            return self._argo(f, d, c, kind)
        if "helmCharts" in c and (kind in (None, "Kustomization", "Component") and
                                  (not api or api.startswith("kustomize.config.k8s.io/"))):
            return self._kustomize(f, d, c)
        if kind is None and "apiVersion" not in c and isinstance(c.get("releases"), list):
            return self._helmfile(f, d, c)
        return []

    # ---- Flux -------------------------------------------------------------------------------------
    def _flux(self, f: Parsed, d: Document, c: dict) -> list[Release]:
        spec = c.get("spec") if isinstance(c.get("spec"), dict) else {}
        meta = c.get("metadata") if isinstance(c.get("metadata"), dict) else {}
        chart_spec = (spec.get("chart") or {}).get("spec") if isinstance(spec.get("chart"), dict) else None
        chart = chart_spec.get("chart") if isinstance(chart_spec, dict) else None
        if not chart_matches(chart) and not self._flux_chart_ref(spec.get("chartRef")):
            return []
        ns = meta.get("namespace")
        r = Release("HelmRelease", str(meta.get("name")), f.path, d.start_line,
                    release_name=spec.get("releaseName") or meta.get("name"),
                    namespace=spec.get("targetNamespace") or ns)
        refs = spec.get("valuesFrom") or []
        for i, ref in enumerate(refs if isinstance(refs, list) else []):
            self._flux_ref(r, f, d, i, ref, ns)
        layer = _map_layer(spec.get("values"), f.path, d, "spec.values")
        if layer:
            r.layers.append(layer)
        return [r]

    def _flux_chart_ref(self, ref: Any) -> bool:
        if not isinstance(ref, dict) or ref.get("kind") != "OCIRepository":
            return False
        for _, od in self.objects.get(("OCIRepository", str(ref.get("name"))), []):
            if chart_matches(((od.data.get("spec") or {}).get("url"))):
                return True
        return False

    def _flux_ref(self, r: Release, f: Parsed, d: Document, i: int, ref: Any, ns: Optional[str]) -> None:
        where = f"spec.valuesFrom[{i}]"
        line = d.line_for(where)
        if not isinstance(ref, dict):
            return
        kind, name = ref.get("kind"), str(ref.get("name"))
        key = ref.get("valuesKey") or "values.yaml"
        what = f"{f.path}:{line} {where} {kind}/{name} key {key}"
        found = [(of, od) for of, od in self.objects.get((str(kind), name), [])
                 if not ns or not od.data["metadata"].get("namespace") or od.data["metadata"]["namespace"] == ns]
        if kind not in ("ConfigMap", "Secret") or not found:
            r.unresolved.append(f"{what}: not among the files given{' (optional)' if ref.get('optional') else ''}")
            return
        of, od = found[0]
        text, key_line = self._data_key(od, str(kind), key)
        if text is None:
            r.unresolved.append(f"{what}: {kind}/{name} in {of.path} has no readable key {key}"
                                f"{' (encrypted or base64 that is not text)' if kind == 'Secret' else ''}")
            return
        target = ref.get("targetPath")
        if target:
            # Flux sets the key's text, trimmed, at the path, typed as --set does
            r.sets.append(SetValue(str(target), text.strip(), False, f.path, line))
            return
        layer = _string_layer(text, of.path, of.text, key_line or od.start_line, f"{kind}/{name} {key}")
        if key_line is None:
            # a Secret's base64 `data` has no lines of its own: findings point at the reference
            layer = Layer(layer.values, f.path, {p: line for p in layer.lines}, line)
        r.layers.append(layer)

    @staticmethod
    def _data_key(od: Document, kind: str, key: str) -> tuple[Optional[str], Optional[int]]:
        """The key's text and its line (None for base64 `data`, which has no lines of its own)."""
        c = od.data
        for field_name in (("data",) if kind == "ConfigMap" else ("stringData", "data")):
            data = c.get(field_name)
            if not isinstance(data, dict) or key not in data or not isinstance(data[key], str):
                continue
            line = od.lines.get(join_path(field_name, key))
            if field_name == "data" and kind == "Secret":
                try:
                    return base64.b64decode(data[key], validate=True).decode("utf-8"), None
                except (binascii.Error, UnicodeDecodeError, ValueError):
                    return None, None
            return data[key], line or od.start_line
        return None, None

    # ---- Argo CD ----------------------------------------------------------------------------------
    def _argo(self, f: Parsed, d: Document, c: dict, kind: str) -> list[Release]:
        base = "spec.template.spec" if kind == "ApplicationSet" else "spec"
        spec = c.get("spec") if isinstance(c.get("spec"), dict) else {}
        if kind == "ApplicationSet":
            spec = (spec.get("template") or {}).get("spec") if isinstance(spec.get("template"), dict) else {}
            spec = spec if isinstance(spec, dict) else {}
        meta = c.get("metadata") if isinstance(c.get("metadata"), dict) else {}
        if isinstance(spec.get("sources"), list):   # Argo ignores `source` when `sources` is set
            sources = [(f"{base}.sources[{i}]", s) for i, s in enumerate(spec["sources"])]
        else:
            sources = [(f"{base}.source", spec.get("source"))]
        dest = spec.get("destination") if isinstance(spec.get("destination"), dict) else {}
        out = []
        for prefix, src in sources:
            if not isinstance(src, dict) or not (chart_matches(src.get("chart")) or _chart_path(src)):
                continue
            helm = src.get("helm") if isinstance(src.get("helm"), dict) else {}
            hp = prefix + ".helm"
            r = Release(kind, str(meta.get("name")), f.path, d.line_for(prefix),
                        release_name=helm.get("releaseName") or meta.get("name"),
                        namespace=helm.get("namespace") or dest.get("namespace"))
            for i, vf in enumerate(helm.get("valueFiles") or []):
                r.unresolved.append(f"{f.path}:{d.line_for(f'{hp}.valueFiles[{i}]')} {hp}.valueFiles[{i}] {vf}: "
                                    "a file of the chart's repository (or $ref), not read")
            if isinstance(helm.get("valuesObject"), dict):
                r.layers.append(_map_layer(helm["valuesObject"], f.path, d, hp + ".valuesObject"))
            elif isinstance(helm.get("values"), str):
                try:
                    r.layers.append(_string_layer(helm["values"], f.path, f.text, d.line_for(hp + ".values"),
                                                  hp + ".values"))
                except EvaluationError as exc:
                    if kind != "ApplicationSet" or "{{" not in helm["values"]:
                        raise
                    r.unresolved.append(f"{hp}.values: not YAML before the generators fill it in ({exc})")
            elif isinstance(helm.get("values"), dict):
                r.unresolved.append(f"{f.path}:{d.line_for(hp + '.values')} {hp}.values: a mapping, where Argo CD "
                                    "takes a YAML string (`values: |`); write it under valuesObject")
            for i, p in enumerate(helm.get("parameters") or []):
                if isinstance(p, dict) and p.get("name"):
                    r.sets.append(SetValue(str(p["name"]), _text(p.get("value")), bool(p.get("forceString")),
                                           f.path, d.line_for(f"{hp}.parameters[{i}]")))
            if kind == "ApplicationSet":
                _drop_templated(r)
            out.append(r)
        return out

    # ---- kustomize --------------------------------------------------------------------------------
    def _kustomize(self, f: Parsed, d: Document, c: dict) -> list[Release]:
        out = []
        for i, hc in enumerate(c.get("helmCharts") or []):
            if not isinstance(hc, dict) or not chart_matches(hc.get("name")):
                continue
            p = f"helmCharts[{i}]"
            r = Release("kustomization", str(hc.get("releaseName") or hc.get("name")), f.path, d.line_for(p),
                        release_name=hc.get("releaseName"), namespace=hc.get("namespace") or c.get("namespace"))
            files = ([(f"{p}.valuesFile", hc["valuesFile"])] if hc.get("valuesFile") else []) + \
                [(f"{p}.additionalValuesFiles[{j}]", v) for j, v in enumerate(hc.get("additionalValuesFiles") or [])]
            inline = _map_layer(hc.get("valuesInline"), f.path, d, p + ".valuesInline")
            if hc.get("valuesMerge") != "replace" or inline is None:
                for where, ref in files:
                    self._file_layer(r, f, d, where, ref)
            if inline:
                r.layers.append(inline)
            out.append(r)
        return out

    # ---- helmfile ---------------------------------------------------------------------------------
    def _helmfile(self, f: Parsed, d: Document, c: dict) -> list[Release]:
        out = []
        for i, rel in enumerate(c["releases"]):
            if not isinstance(rel, dict) or not chart_matches(rel.get("chart")):
                continue
            p = f"releases[{i}]"
            r = Release("helmfile", str(rel.get("name")), f.path, d.line_for(p),
                        release_name=rel.get("name"), namespace=rel.get("namespace") or None)
            for j, v in enumerate(rel.get("values") or []):
                where = f"{p}.values[{j}]"
                if isinstance(v, dict):
                    r.layers.append(_map_layer(v, f.path, d, where))
                elif isinstance(v, str):
                    self._file_layer(r, f, d, where, v)
            for key, as_string in (("set", False), ("setString", True)):
                for j, s in enumerate(rel.get(key) or []):
                    if not isinstance(s, dict) or not s.get("name"):
                        continue
                    line = d.line_for(f"{p}.{key}[{j}]")
                    if "value" in s:
                        r.sets.append(SetValue(str(s["name"]), _text(s["value"]), as_string, f.path, line))
                    else:
                        r.unresolved.append(f"{f.path}:{line} {p}.{key}[{j}] {s['name']}: only `value` is read")
            out.append(r)
        return out

    # ---- files on disk ----------------------------------------------------------------------------
    def _file_layer(self, r: Release, f: Parsed, d: Document, where: str, ref: Any) -> None:
        """A values file named relative to the GitOps file (kustomize, helmfile); findings point at
        the values file's own lines. Templated, remote or missing files are listed, not read."""
        line = d.line_for(where)
        what = f"{f.path}:{line} {where} {ref}"
        if not isinstance(ref, str) or "{{" in ref or ref.endswith(".gotmpl") or "://" in ref or os.path.isabs(ref):
            r.unresolved.append(f"{what}: templated, remote or absolute, not read")
            return
        path = os.path.normpath(os.path.join(os.path.dirname(f.path), ref))
        if not os.path.isfile(path):
            r.unresolved.append(f"{what}: no such file ({path})")
            return
        lf = load_text(read_text(path), path)
        docs = [x for x in lf.documents if isinstance(x.data, dict)]
        if docs:
            r.layers.append(Layer(docs[0].data, path, dict(docs[0].lines), docs[0].start_line))


def _drop_templated(r: Release) -> None:
    """An ApplicationSet's `{{ ... }}` values are filled in per generated Application: they are left
    out (and listed), not judged as the literal text."""
    dropped: list[str] = []

    def strip(v: Any, path: str) -> Any:
        if isinstance(v, dict):
            return {k: strip(x, join_path(path, k)) for k, x in v.items()
                    if not _templated(x, join_path(path, k), dropped)}
        if isinstance(v, list):
            return [strip(x, f"{path}[{i}]") for i, x in enumerate(v) if not _templated(x, f"{path}[{i}]", dropped)]
        return v
    for layer in r.layers:
        layer.values = strip(layer.values, "")
    kept = []
    for s in r.sets:
        if "{{" in s.value:
            dropped.append(s.name)
        else:
            kept.append(s)
    r.sets = kept
    for attr in ("release_name", "namespace"):
        if "{{" in str(getattr(r, attr) or ""):
            setattr(r, attr, None)   # the render uses the defaults
    if dropped:
        r.unresolved.append(f"{', '.join(dropped)}: templated by the ApplicationSet's generators, not checked")


def _templated(v: Any, path: str, dropped: list[str]) -> bool:
    if isinstance(v, str) and "{{" in v:
        dropped.append(path)
        return True
    return False


def _text(v: Any) -> str:
    """A parameter's value as its text (YAML may have typed it: `value: 3`)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, list):
        return "{" + ",".join(_text(x) for x in v) + "}"
    return str(v)


# a line that starts one of the objects (YAML, or JSON's "key": value)
_MARK = re.compile(r"""(?m)(?:^\s*(?:-\s+)?["']?kind["']?\s*:\s*["']?(?:HelmRelease|Application|ApplicationSet)\b"""
                   r"""|^\s*["']?helmCharts["']?\s*:|^["']?releases["']?\s*:|"releases"\s*:)""")


def might_hold(text: str) -> bool:
    """A cheap test before parsing with lines: the file may hold an object for this chart."""
    return CHART_NAME in text and _MARK.search(text) is not None


def find(files: Iterable[tuple[str, str]]) -> list[Release]:
    """The releases of this chart in (path, text) files."""
    from .yamlio import parse_text
    parsed = [Parsed(p, t, parse_text(t, p)) for p, t in files]
    return Finder(parsed).releases()


# ---- check: GitOps files among the -f files ----------------------------------------------------
def _gitops_file(lf: LoadedFile) -> bool:
    """A file of Kubernetes objects (or a helmfile), not a values file of this chart."""
    docs = [d.data for d in lf.documents if d.data is not None]
    return bool(docs) and all(isinstance(c, dict) and (("apiVersion" in c and "kind" in c) or "helmCharts" in c or
                                                       ("releases" in c and "apiVersion" not in c)) for c in docs)


def plan(values_files: list[str]) -> Optional[list[tuple[list, Release]]]:
    """None when every -f file is a plain values file. Otherwise one run per release of this chart
    in the GitOps files among them: the -f list with that release in its file's place (other GitOps
    files, e.g. the ConfigMaps its valuesFrom names, only serve to resolve references)."""
    from .yamlio import load_file
    gitops: dict[str, Parsed] = {}
    for f in values_files:
        text = read_text(f)
        if not any(k in text for k in ("kind", "releases", "helmCharts")):
            continue
        lf = load_file(f)
        if _gitops_file(lf):
            gitops[f] = Parsed(f, lf.text, lf.documents)
    if not gitops:
        return None
    releases = Finder(gitops.values()).releases()
    if not releases:
        raise EvaluationError(
            f"{', '.join(gitops)}: Kubernetes objects (or a helmfile), not values, and no Flux HelmRelease, Argo CD "
            f"Application/ApplicationSet, kustomization helmCharts entry or helmfile release of the chart "
            f"{CHART_NAME!r} in them; pass a values file, or the GitOps file that names the chart {CHART_NAME}")
    runs = []
    for rel in releases:
        entries: list = []
        for f in values_files:
            if f not in gitops:
                entries.append(f)
            elif f == rel.file and rel not in entries:
                entries.append(rel)
        runs.append((entries, rel))
    return runs


def notes_of(rel: Release) -> list[str]:
    notes = [f"values of {rel.source} {rel.name} ({rel.file}:{rel.line}) checked as values of the chart"]
    notes += [f"{rel.source} {rel.name}: checked without {u}; pass that file too, or check it as a values file"
              for u in rel.unresolved]
    return notes


def combine(reports: list) -> Any:
    """One report of several renders (one per release)."""
    from .findings import Report
    out = Report(command="check")
    for r in reports:
        out.findings += r.findings
        out.notes += [n for n in r.notes if n not in out.notes]
        out.inputs += [i for i in r.inputs if i not in out.inputs]
        out.failures += r.failures
        out.documents += r.documents
        out.not_evaluated += [x for x in r.not_evaluated if x not in out.not_evaluated]
    return out


# ---- scan: which files to keep for the second look ----------------------------------------------
KEEP_BYTES = 1 << 20   # a ConfigMap or Secret a valuesFrom may name: kept when under 1 MiB


def worth_keeping(text: str) -> bool:
    """A file scan keeps for the GitOps values check: one that may hold a release of this chart,
    or a small one holding a ConfigMap, Secret or OCIRepository a release may name."""
    return might_hold(text) or (len(text) < KEEP_BYTES and any(
        k in text for k in ("kind: ConfigMap", "kind: Secret", "kind: OCIRepository", '"ConfigMap"', '"Secret"')))
