"""Read YAML/JSON files safely and keep line numbers for every dotted path.

PyYAML's C composer (CSafeLoader, when libyaml is present) builds the node graph; this module
then constructs plain Python data from the nodes itself, so that in one pass it can
- record the 1-based line of every key and item (``spec.template.spec.volumes[0]`` -> line),
- reject duplicate keys (naming file and line),
- count alias expansions and nesting depth (YAML bombs, recursive anchors),
- read every scalar as Kubernetes tools do (sigs.k8s.io/yaml over go-yaml v2, which kubectl and
  Helm use): `=` and timestamps stay strings, `yes`/`on`/`y` are booleans, `0o17`/`1e3` numbers,
  unknown tags (`!Ref x`, `!!python/...`) the plain value, mapping keys JSON strings.
Hostile inputs (binary, non-UTF-8, huge, unreadable) raise EvaluationError with the fix.
Limits are per document: a long multi-document file is fine; one huge or exploding document is not.
"""
from __future__ import annotations

import base64
import binascii
import math
import os
import re
import stat
from dataclasses import dataclass, field
from typing import Any, Optional

import yaml

from .findings import EvaluationError

try:  # libyaml when present; the pure-Python loader otherwise
    _Base = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _Base = yaml.SafeLoader

PLAIN = "!aifactory/plain"   # a plain (untagged, unquoted) scalar: resolved below as go-yaml v2 does


class _Loader(_Base):
    """Composes nodes only; every plain scalar keeps its text (PLAIN tag) for _scalar to resolve."""

    def resolve(self, kind, value, implicit):
        if kind is yaml.ScalarNode and implicit[0]:
            return PLAIN
        return super().resolve(kind, value, implicit)


MAX_BYTES = 8 * 1024 * 1024   # per document (per file for load_file); AIFACTORY_POLICY_MAX_BYTES overrides it
MAX_NODES = 200_000        # values reached through aliases, per document (billion laughs)
MAX_ALIASES = 10_000       # alias references per document
MAX_DEPTH = 200            # nesting depth
EXPANSION_FACTOR = 4       # bytes reached through aliases: at most 4 x the byte limit per document

_SIMPLE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")  # as policies/lib/tokens format_path

# go-yaml v2 (resolve.go), as sigs.k8s.io/yaml uses it for kubectl and Helm
_TAG = "tag:yaml.org,2002:"
_MAP = {**{w: True for w in "y Y yes Yes YES on On ON true True TRUE".split()},
        **{w: False for w in "n N no No NO off Off OFF false False FALSE".split()},
        **{w: None for w in ("", "~", "null", "Null", "NULL")},
        **{w: math.inf for w in ".inf .Inf .INF +.inf +.Inf +.INF".split()},
        **{w: -math.inf for w in "-.inf -.Inf -.INF".split()},
        **{w: math.nan for w in ".nan .NaN .NAN".split()}}
_MAP_HINT = set("yYnNtTfFoO~")
_GO_INT = re.compile(r"([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)")
_GO_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_NOT_FOUND = object()


def _plain(value: str) -> Any:
    """A plain scalar as go-yaml v2 resolves it into interface{} (timestamps stay strings)."""
    if value in _MAP:
        return _MAP[value]
    hint = value[:1]
    if hint == "." and "_" not in value:
        try:
            f = float(value)
            return _number(f) if math.isfinite(f) else value
        except ValueError:
            return value
    if not (hint.isdigit() or hint in "+-") or not hint:
        return value
    plain = value.replace("_", "")
    m = _GO_INT.fullmatch(plain)
    if m:
        sign, digits = m.groups()
        prefix = digits[:2].lower()
        if prefix in ("0x", "0o", "0b"):
            n = int(digits[2:], {"0x": 16, "0o": 8, "0b": 2}[prefix])
        elif digits.startswith("0") and len(digits) > 1:   # a leading 0: octal (Go's ParseInt base 0)
            n = int(digits[1:], 8)
        else:
            n = int(digits)
        n = -n if sign == "-" else n
        if -2 ** 63 <= n < 2 ** 63 or (not sign and n < 2 ** 64):
            return n
    if _GO_FLOAT.fullmatch(plain):
        f = float(plain)
        if math.isfinite(f):
            return _number(f)
    return value


def _number(f: float) -> Any:
    """A float as encoding/json writes it: 8.0 is 8."""
    return int(f) if f.is_integer() and abs(f) < 2 ** 53 else f


def _json_key(key: Any) -> Any:
    """Mapping keys as sigs.k8s.io/yaml turns them into JSON object keys."""
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int):
        return str(key)
    if isinstance(key, float):
        return str(int(key)) if key.is_integer() and abs(key) < 1e21 else repr(key)
    return key


def key_segment(key: Any) -> str:
    """How a mapping key appears in a dotted path: `a.b`, or `a["x.y/z"]` for special keys."""
    k = str(key)
    return k if _SIMPLE_KEY.match(k) else '["' + k.replace('"', '\\"') + '"]'


def join_path(base: str, key: Any) -> str:
    seg = key_segment(key)
    if seg.startswith("["):
        return base + seg
    return f"{base}.{seg}" if base else seg


@dataclass
class Document:
    index: int                     # position in the file (0-based, empty documents included)
    data: Any
    lines: dict[str, int] = field(default_factory=dict)  # dotted path -> 1-based line
    start_line: int = 1
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)  # scalar path -> (first, last) line
    error: Optional[str] = None    # why this document was not read (keep_going: the others still are)

    def lines_under(self, path: Optional[str]) -> set[int]:
        """Every line holding a scalar at `path` or below it (block scalars span several lines)."""
        if not path:
            return set()
        p = path.strip().lstrip(".")
        covered: set[int] = set()
        for sub, (first, last) in self.spans.items():
            if sub == p or sub.startswith(p + ".") or sub.startswith(p + "["):
                covered.update(range(first, last + 1))
        return covered

    def line_for(self, path: Optional[str]) -> Optional[int]:
        """Line of `path`, or of its deepest known ancestor; the document start otherwise."""
        if not path:
            return self.start_line
        p = path.strip()
        if p.startswith("."):
            p = p[1:]
        while p:
            if p in self.lines:
                return self.lines[p]
            p = _parent(p)
        return self.start_line


def _parent(path: str) -> str:
    if path.endswith("]"):
        depth, i = 0, len(path) - 1
        while i >= 0:
            if path[i] == "]":
                depth += 1
            elif path[i] == "[":
                depth -= 1
                if depth == 0:
                    return path[:i]
            i -= 1
        return ""
    cut = path.rfind(".")
    return path[:cut] if cut > 0 else ""


@dataclass
class LoadedFile:
    path: str                      # as given by the user
    text: str
    documents: list[Document]


def max_bytes_limit() -> int:
    """AIFACTORY_POLICY_MAX_BYTES when set (read per call, so a bad value is a clear error, not a
    crash at import), else MAX_BYTES."""
    value = os.environ.get("AIFACTORY_POLICY_MAX_BYTES", "").strip()
    if not value:
        return MAX_BYTES
    if not value.isdigit() or int(value) < 1:
        raise EvaluationError(f"AIFACTORY_POLICY_MAX_BYTES={value!r}: not a positive number of bytes; "
                              f"unset it (default {MAX_BYTES}) or set e.g. AIFACTORY_POLICY_MAX_BYTES=16777216")
    return int(value)


def read_text(path: str, max_bytes: Optional[int] = None, whole_file_limit: bool = True) -> str:
    """Read a UTF-8 text file or raise EvaluationError saying why not and what to do.
    whole_file_limit=False: the limit is applied per document by the parser, not to the file."""
    max_bytes = max_bytes_limit() if max_bytes is None else max_bytes
    try:
        st = os.stat(path)
    except OSError as exc:
        raise EvaluationError(f"{path}: cannot read ({exc.strerror}); check the path and its permissions") from None
    if stat.S_ISDIR(st.st_mode):
        raise EvaluationError(f"{path}: is a directory, not a file; pass a YAML/JSON file (scan accepts folders)")
    if not stat.S_ISREG(st.st_mode):
        raise EvaluationError(f"{path}: not a regular file (device, FIFO or socket); pass a YAML/JSON file")
    if whole_file_limit and st.st_size > max_bytes:
        raise EvaluationError(
            f"{path}: {st.st_size} bytes exceeds the {max_bytes}-byte limit for one file; split it, "
            "or raise AIFACTORY_POLICY_MAX_BYTES if it is really meant to be this large")
    try:
        with open(path, "rb") as fh:
            raw = fh.read(max_bytes + 1) if whole_file_limit else fh.read()
    except OSError as exc:
        raise EvaluationError(f"{path}: cannot read ({exc.strerror}); check the path and its permissions") from None
    if whole_file_limit and len(raw) > max_bytes:
        raise EvaluationError(f"{path}: larger than the {max_bytes}-byte limit; split it or raise AIFACTORY_POLICY_MAX_BYTES")
    return decode_text(raw, path)


def decode_text(raw: bytes, path: str) -> str:
    if b"\0" in raw[:8192] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise EvaluationError(f"{path}: binary content (NUL bytes), not YAML/JSON; remove it from the inputs")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise EvaluationError(
            f"{path}:{line}: not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
            "re-save the file as UTF-8") from None


class _Builder:
    """Builds one document's data from its nodes; every limit counts per document."""

    def __init__(self, path: str, max_bytes: int, track_lines: bool = True):
        self.path = path
        self.track_lines = track_lines   # record lines and spans (the paths cost about 40% of a build)
        self.max_expanded = EXPANSION_FACTOR * max_bytes
        self.nodes = 0          # values built again through an alias
        self.expanded = 0       # bytes of the scalars built again through an alias
        self.aliases = 0
        self.under_alias = 0    # > 0 while building the target of an alias
        self.seen: set[int] = set()
        self.spans: dict[str, tuple[int, int]] = {}

    def _where(self, node: yaml.Node) -> str:
        return f"{self.path}:{node.start_mark.line + 1}"

    def build(self, node: yaml.Node, path: str, lines: dict[str, int], depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise EvaluationError(f"{self._where(node)}: nested deeper than {MAX_DEPTH} levels; flatten the document")
        alias = id(node) in self.seen
        if alias:
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise EvaluationError(
                    f"{self.path}: more than {MAX_ALIASES} alias expansions in one document (a YAML bomb?); "
                    "remove the anchors/aliases")
            self.under_alias += 1
        try:
            return self._build(node, path, lines, depth)
        finally:
            if alias:
                self.under_alias -= 1

    def _count(self, node: yaml.Node, size: int) -> None:
        if not self.under_alias:
            return
        self.nodes += 1
        self.expanded += size
        if self.nodes > MAX_NODES:
            raise EvaluationError(
                f"{self._where(node)}: more than {MAX_NODES} values after expanding aliases (a YAML bomb?); "
                "remove the alias chain or split the file")
        if self.expanded > self.max_expanded:
            raise EvaluationError(
                f"{self._where(node)}: expands to more than {self.max_expanded} bytes through aliases "
                f"(a YAML bomb?); remove the alias chain, or raise AIFACTORY_POLICY_MAX_BYTES (the "
                f"expanded size may be {EXPANSION_FACTOR}x it)")

    def scalar(self, node: yaml.ScalarNode) -> Any:
        """The scalar's value as go-yaml v2 decodes it into interface{}; a refusal names the line."""
        tag, value = node.tag, node.value
        if tag == PLAIN:
            out = _plain(value)
        elif not tag.startswith(_TAG) or tag in (_TAG + "str", _TAG + "timestamp", _TAG + "merge", _TAG + "value"):
            return value   # local/unknown tags (!Ref, !!python/...) read as the plain text, as kubectl does
        elif tag == _TAG + "binary":
            try:
                return base64.b64decode("".join(value.split()), validate=True).decode("utf-8", "replace")
            except (binascii.Error, ValueError):
                raise EvaluationError(f"{self._where(node)}: !!binary value is not base64; fix it or drop the tag") from None
        else:
            out = _plain(value)
            kind = tag[len(_TAG):]
            ok = {"int": isinstance(out, int) and not isinstance(out, bool),
                  "float": isinstance(out, (int, float)) and not isinstance(out, bool),
                  "bool": isinstance(out, bool), "null": out is None}.get(kind)
            if ok is None:   # !!set, !!omap... on a scalar: the text
                return value
            if not ok:
                raise EvaluationError(f"{self._where(node)}: cannot read {value!r} as !!{kind} (kubectl and "
                                      "helm refuse it too); fix the value or remove the tag")
            if kind == "float":
                out = _number(float(out))
        if isinstance(out, float) and not math.isfinite(out):
            raise EvaluationError(f"{self._where(node)}: {value} is not a number JSON can hold (kubectl and helm "
                                  "refuse it too); quote it if it is meant as text")
        return out

    def _build(self, node: yaml.Node, path: str, lines: dict[str, int], depth: int) -> Any:
        if isinstance(node, yaml.ScalarNode):
            self._count(node, len(node.value))
            self.seen.add(id(node))
            if self.track_lines:
                last = node.end_mark.line if node.end_mark.column == 0 and node.end_mark.line > node.start_mark.line \
                    else node.end_mark.line + 1
                self.spans[path] = (node.start_mark.line + 1, last)
            return self.scalar(node)
        self._count(node, 2)
        self.seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            if not self.track_lines:
                return [self.build(item, "", lines, depth + 1) for item in node.value]
            out = []
            for i, item in enumerate(node.value):
                sub = f"{path}[{i}]"
                lines.setdefault(sub, item.start_mark.line + 1)
                out.append(self.build(item, sub, lines, depth + 1))
            return out
        if isinstance(node, yaml.MappingNode):
            out: dict = {}
            key_lines: dict = {}
            merged: dict = {}
            for knode, vnode in node.value:
                if knode.tag == _TAG + "merge" or (knode.tag == PLAIN and knode.value == "<<"):
                    sources = vnode.value if isinstance(vnode, yaml.SequenceNode) else [vnode]
                    for src in sources:
                        val = self.build(src, path, {}, depth + 1)
                        if not isinstance(val, dict):
                            raise EvaluationError(f"{self.path}:{knode.start_mark.line + 1}: '<<' merges a non-mapping")
                        for k, v in val.items():
                            merged.setdefault(k, v)
                    continue
                key = self.build(knode, path, {}, depth + 1)
                if isinstance(key, (list, dict)):
                    raise EvaluationError(f"{self.path}:{knode.start_mark.line + 1}: complex (non-scalar) mapping key"
                                          "; quote it if it is text")
                if key is None:
                    raise EvaluationError(f"{self.path}:{knode.start_mark.line + 1}: a null mapping key (kubectl and "
                                          "helm refuse it too); quote it or remove it")
                key = _json_key(key)
                line = knode.start_mark.line + 1
                if key in key_lines:
                    raise EvaluationError(
                        f"{self.path}:{line}: duplicate key '{key}' (first at line {key_lines[key]}); "
                        "keep only one: YAML parsers silently disagree on which wins")
                key_lines[key] = line
                if self.track_lines:
                    sub = join_path(path, key)
                    lines[sub] = line
                else:
                    sub = ""
                out[key] = self.build(vnode, sub, lines, depth + 1)
            for k, v in merged.items():
                out.setdefault(k, v)
            return out
        raise EvaluationError(f"{self.path}: unsupported YAML node {node!r}")  # pragma: no cover


def _template_hint(text: str) -> str:
    return ("; it looks like a Helm template ({{ ... }}): render it first (helm template CHART > out.yaml, "
            "then scan out.yaml) or check the chart with `aifactory-policy check CHART`") if "{{" in text else ""


def parse_text(text: str, path: str, max_bytes: Optional[int] = None, keep_going: bool = False) -> list[Document]:
    """Parse every document of `text`; empty documents are kept as data None."""
    return list(iter_documents(text, path, max_bytes, keep_going))


def iter_documents(stream: Any, path: str, max_bytes: Optional[int] = None, keep_going: bool = False,
                   track_lines: bool = True, only: Optional[set] = None):
    """The documents of `stream` (text or a text file), one at a time; every limit is per document.
    keep_going: a document over the size limit is yielded with data None and `error` set, and the
    documents after it are still read. track_lines=False: no line maps (scan reads documents so and
    looks the lines up later with line_maps). only: build just the documents with these indexes."""
    max_bytes = max_bytes_limit() if max_bytes is None else max_bytes
    loader = _Loader(stream)
    try:
        index = 0
        while loader.check_node():
            node = loader.get_node()
            if only is not None and index not in only:
                index += 1
                continue
            lines: dict[str, int] = {}
            builder = _Builder(path, max_bytes, track_lines)
            if node is not None and node.end_mark.index - node.start_mark.index > max_bytes:
                message = (
                    f"{path}:{node.start_mark.line + 1}: one document of {node.end_mark.index - node.start_mark.index} "
                    f"characters exceeds the {max_bytes}-byte limit for one document; split it, or raise "
                    "AIFACTORY_POLICY_MAX_BYTES if it is really meant to be this large")
                if not keep_going:
                    raise EvaluationError(message)
                yield Document(index=index, data=None, start_line=node.start_mark.line + 1,
                               error=message + " (the file's other documents were checked)")
                index += 1
                node = None
                continue
            data = None if node is None else builder.build(node, "", lines, 0)
            start = node.start_mark.line + 1 if node is not None else 1
            yield Document(index=index, data=data, lines=lines, start_line=start, spans=builder.spans)
            index += 1
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}" if mark else path
        problem = exc.problem or str(exc)
        if "nesting depth" in problem:  # libyaml's own limit (newer builds)
            raise EvaluationError(f"{where}: nested too deeply ({problem}); flatten the document") from None
        bad_line = _line_of(stream, mark.line) if mark else ""
        hint = "; YAML forbids tabs for indentation, use spaces" if "\t" in bad_line else _template_hint(bad_line)
        raise EvaluationError(f"{where}: YAML syntax error: {problem}{hint}; fix the syntax (yamllint helps)") from None
    except EvaluationError as exc:
        if "complex (non-scalar) mapping key" in str(exc):
            line = str(exc).split(":")[1] if str(exc).count(":") > 1 else ""
            bad = _line_of(stream, int(line) - 1) if line.isdigit() else ""
            if "{{" in bad:
                raise EvaluationError(str(exc) + _template_hint(bad)) from None
        raise
    except yaml.YAMLError as exc:
        raise EvaluationError(f"{path}: YAML error: {exc}; fix the syntax") from None
    except RecursionError:
        raise EvaluationError(f"{path}: nested too deeply to parse; flatten the document") from None
    finally:
        loader.dispose()


def _line_of(stream: Any, n: int) -> str:
    """Line n (0-based) of the text or of the (seekable) file being parsed; "" when unknown."""
    if isinstance(stream, str):
        lines = stream.splitlines()
        return lines[n] if 0 <= n < len(lines) else ""
    try:
        stream.seek(0)
        for i, line in enumerate(stream):
            if i == n:
                return line
    except (OSError, ValueError, UnicodeDecodeError):
        pass
    return ""


def load_file(path: str, max_bytes: Optional[int] = None, per_document: bool = False) -> LoadedFile:
    """per_document: the size limit applies to each document, not the file; a document over it is
    kept with `error` set (scan reports it) and the file's other documents are read."""
    text = read_text(path, max_bytes, whole_file_limit=not per_document)
    return LoadedFile(path=path, text=text, documents=parse_text(text, path, max_bytes, keep_going=per_document))


def line_maps(text: str, path: str, indexes: set) -> dict[int, Document]:
    """The documents of `text` with these indexes, with their line maps: scan reads documents without
    them and comes back here only for a file with findings. A document that no longer parses (the
    file changed meanwhile) has no entry."""
    if not indexes:
        return {}
    try:
        return {d.index: d for d in iter_documents(text, path, keep_going=True, only=set(indexes))}
    except EvaluationError:
        return {}


def load_text(text: str, path: str, per_document: bool = False) -> LoadedFile:
    return LoadedFile(path=path, text=text, documents=parse_text(text, path, keep_going=per_document))
