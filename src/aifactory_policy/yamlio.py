"""Read YAML/JSON files safely and keep line numbers for every dotted path.

PyYAML's C composer (CSafeLoader, when libyaml is present) builds the node graph; this module
then constructs plain Python data from the nodes itself, so that in one pass it can
- record the 1-based line of every key and item (``spec.template.spec.volumes[0]`` -> line),
- reject duplicate keys (naming file and line),
- count alias expansions and nesting depth (YAML bombs, recursive anchors),
- read every scalar and key as Helm does (goyaml.py: go-yaml v2 under sigs.k8s.io/yaml), and
  refuse, naming the line, what Helm 3 or Helm 4 refuses in a values file (a bad `!!timestamp`,
  `!!int 1.5`, a uint64 key, text after `---`, %YAML/%TAG directives): tests/test_yaml_like_helm.py
  measures both against the real Helms.
Hostile inputs (binary, non-UTF-8, huge, unreadable) raise EvaluationError with the fix.
Limits are per document: a long multi-document file is fine; one huge or exploding document is not.
"""
from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from typing import Any, Optional

import yaml

from . import goyaml
from .findings import EvaluationError
from .goyaml import Refused, plain as _plain

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
        line = raw[:raw.index(b"\0")].count(b"\n") + 1
        raise EvaluationError(f"{path}:{line}: binary content (NUL bytes), not YAML/JSON; remove it from the inputs")
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

    def __init__(self, path: str, max_bytes: int, track_lines: bool = True, text: Optional[str] = None):
        self.path = path
        self.track_lines = track_lines   # record lines and spans (the paths cost about 40% of a build)
        self.max_expanded = EXPANSION_FACTOR * max_bytes
        self.nodes = 0          # values built again through an alias
        self.expanded = 0       # bytes of the scalars built again through an alias
        self.aliases = 0        # alias references (not what they expand to: that is `nodes`)
        self.under_alias = 0    # > 0 while building the target of an alias
        self.seen: set[int] = set()
        self.spans: dict[str, tuple[int, int]] = {}
        # the text (None when it has no "!"), to tell `! 12` (a string for go-yaml) from `12`:
        # PyYAML resolves both alike
        self.text = text

    def _where(self, node: yaml.Node) -> str:
        return f"{self.path}:{node.start_mark.line + 1}"

    def build(self, node: yaml.Node, path: str, lines: dict[str, int], depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise EvaluationError(f"{self._where(node)}: nested deeper than {MAX_DEPTH} levels; flatten the document")
        if id(node) not in self.seen:
            return self._build(node, path, lines, depth)
        self._alias(node)
        self.under_alias += 1
        try:
            return self._build(node, path, lines, depth)
        finally:
            self.under_alias -= 1

    def _alias(self, node: yaml.Node) -> None:
        """Count an alias reference: one written in the document, not one met again inside the
        expansion of another (those are values, counted by _count)."""
        if self.under_alias:
            return
        self.aliases += 1
        if self.aliases > MAX_ALIASES:
            raise EvaluationError(
                f"{self._where(node)}: more than {MAX_ALIASES} alias references in one document (a YAML bomb?); "
                "remove the anchors/aliases")

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

    def _non_specific(self, node: yaml.ScalarNode) -> bool:
        """Whether the scalar is written with the non-specific tag `!` (`! 12`, `&a ! 12`): go-yaml
        reads it as a string, PyYAML as a plain scalar."""
        text = self.text
        if text is None:
            return False
        i = node.start_mark.index
        if text.startswith("&", i):   # an anchor first
            while i < len(text) and text[i] not in " \t\r\n":
                i += 1
            while i < len(text) and text[i] in " \t":
                i += 1
        return text.startswith("!", i) and (i + 1 == len(text) or text[i + 1] in " \t\r\n")

    def scalar(self, node: yaml.ScalarNode) -> Any:
        """The scalar's value as Helm's `.Values` holds it (goyaml); a refusal names the line."""
        tag, value = node.tag, node.value
        try:
            if tag == PLAIN:
                try:
                    out = _plain(value)
                except Refused:
                    if self._non_specific(node):
                        return value
                    raise
                if self.text is not None and not isinstance(out, str) and self._non_specific(node):
                    return value
                return out
            return goyaml.to_json(goyaml.tagged(tag, value))
        except Refused as exc:
            raise EvaluationError(f"{self._where(node)}: {exc}") from None

    def key(self, node: yaml.Node, depth: int) -> str:
        """A mapping key as Helm's JSON object key: `1e6` is "1e+06", `yes` "true" (goyaml.key)."""
        if not isinstance(node, yaml.ScalarNode):
            raise EvaluationError(f"{self._where(node)}: complex (non-scalar) mapping key"
                                  "; quote it if it is text")
        if id(node) in self.seen:
            self._alias(node)
        self.seen.add(id(node))
        tag, value = node.tag, node.value
        try:
            if tag == PLAIN:
                if value[:1].isalpha() and value not in goyaml.MAP:   # most keys: a word
                    return value
                return goyaml.key(value if self._non_specific(node) else goyaml.go_value(value))
            return goyaml.key(goyaml.tagged(tag, value))
        except Refused as exc:
            raise EvaluationError(f"{self._where(node)}: {exc}") from None

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
            return self._mapping(node, path, lines, depth)
        raise EvaluationError(f"{self.path}: unsupported YAML node {node!r}")  # pragma: no cover

    def _mapping(self, node: yaml.MappingNode, path: str, lines: dict[str, int], depth: int) -> dict:
        """go-yaml's order: keys and `<<` merges apply as they come, a later one over an earlier one
        (`z: 3` then `<<: *b` holds b's z). A key written twice is refused (Helm keeps the last)."""
        out: dict = {}
        key_lines: dict = {}
        for knode, vnode in node.value:
            if knode.value == "<<" and knode.tag in _MERGE_TAGS:
                self._merge(knode, vnode, out, path, depth)
                continue
            key = self.key(knode, depth + 1)
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
        return out

    def _merge(self, knode: yaml.Node, vnode: yaml.Node, out: dict, path: str, depth: int) -> None:
        """`<<: *a` or `<<: [*a, *b]` (the earlier of a list wins), as go-yaml's decoder.merge."""
        refused = EvaluationError(f"{self.path}:{knode.start_mark.line + 1}: '<<' merges something that is not a "
                                  "mapping or a list of mappings (helm refuses it too)")
        if isinstance(vnode, yaml.SequenceNode):
            if id(vnode) in self.seen and not self.under_alias:   # an alias of a list: go-yaml wants
                raise refused                                      # a mapping there (checked once)
            self.seen.add(id(vnode))
            sources = reversed(vnode.value)
        else:
            sources = [vnode]
        for src in sources:
            val = self.build(src, path, {}, depth + 1)
            if not isinstance(val, dict):
                raise refused
            out.update(val)


_MERGE_TAGS = (PLAIN, goyaml.MERGE)


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
    looks the lines up later with line_maps). only: build just the documents with these indexes.
    What Helm 3 or Helm 4 refuses in a values file raises EvaluationError naming the line."""
    max_bytes = max_bytes_limit() if max_bytes is None else max_bytes
    text = stream if isinstance(stream, str) else None
    bangs = text if text is not None and "!" in text else None   # once per file, not per document
    done = 0   # documents handed out, so a second pass (anchors redefined) goes on after them
    try:
        if text is not None:
            _helm4_refusals(text, path)
        try:
            for doc in _documents(_Loader(stream), path, max_bytes, keep_going, track_lines, only, bangs, 0):
                done += 1
                yield doc
        except yaml.composer.ComposerError as exc:
            if not str(exc.context or "").startswith("found duplicate anchor") or text is None:
                raise
            # go-yaml lets an anchor be defined again (later aliases mean the new one); libyaml's
            # composer refuses it, so such a file is composed again by PyYAML's own composer
            yield from _documents(_Redefinable(text), path, max_bytes, keep_going, track_lines, only, bangs, done)
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
    except yaml.reader.ReaderError as exc:   # a character YAML does not allow (control characters...)
        where = path
        if text is not None and isinstance(exc.position, int):   # libyaml counts UTF-8 bytes
            line = text.encode("utf-8", "surrogatepass")[:exc.position].count(b"\n") + 1
            where = f"{path}:{line}"
        char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
        raise EvaluationError(f"{where}: {exc.reason} (U+{char:04X}; helm refuses it too); remove it, or write it "
                              "as an escape (\\u0001) in a double-quoted string") from None
    except yaml.YAMLError as exc:
        raise EvaluationError(f"{path}: YAML error: {exc}; fix the syntax") from None
    except RecursionError:
        raise EvaluationError(f"{path}: nested too deeply to parse; flatten the document") from None


def _documents(loader: Any, path: str, max_bytes: int, keep_going: bool, track_lines: bool,
               only: Optional[set], text: Optional[str], skip: int):
    """iter_documents' loop over one loader; the first `skip` documents are composed, not built."""
    try:
        index = 0
        while loader.check_node():
            node = loader.get_node()
            if index < skip or (only is not None and index not in only):
                index += 1
                continue
            lines: dict[str, int] = {}
            builder = _Builder(path, max_bytes, track_lines, text)
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
    finally:
        loader.dispose()


class _Redefinable(yaml.composer.Composer, _Loader):
    """libyaml's parser with PyYAML's Python composer, where an anchor may be defined again."""

    def __init__(self, stream: str):
        _Loader.__init__(self, stream)
        yaml.composer.Composer.__init__(self)

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.get_event()
            if event.anchor not in self.anchors:
                raise yaml.composer.ComposerError(None, None, f"found undefined alias {event.anchor!r}",
                                                  event.start_mark)
            return self.anchors[event.anchor]
        anchor = self.peek_event().anchor
        self.descend_resolver(parent, index)
        if self.check_event(yaml.ScalarEvent):
            node = self.compose_scalar_node(anchor)
        elif self.check_event(yaml.SequenceStartEvent):
            node = self.compose_sequence_node(anchor)
        else:
            node = self.compose_mapping_node(anchor)
        self.ascend_resolver()
        return node


def _helm4_refusals(text: str, path: str) -> None:
    """What Helm 4 refuses before YAML sees it: it splits a values file at every line starting
    with `---` (k8s.io/apimachinery's YAMLReader, as kubectl does) and reads each piece alone, so
    text after `---` other than a comment, and %YAML/%TAG directives (a piece of their own), fail.
    Helm 3 reads both (and %YAML 1.2 fails in both)."""
    pos = 0 if text.startswith("---") else text.find("\n---")
    while pos != -1:
        start = pos if pos == 0 and text.startswith("---") else pos + 1
        end = text.find("\n", start)
        rest = text[start + 3:end if end != -1 else len(text)].strip()
        if rest and not rest.startswith("#"):
            raise EvaluationError(
                f"{path}:{text.count(chr(10), 0, start) + 1}: a line starting with --- followed by {rest[:20]!r}: "
                "Helm 4 and kubectl split files at such lines and refuse text after the ---; put it on the next "
                "line (and keep no line of a multi-line string starting with ---)")
        pos = text.find("\n---", start)
    if text.startswith("%") or "\n%" in text:
        try:
            for event in yaml.parse(text, Loader=_Base):
                if isinstance(event, yaml.DocumentStartEvent) and (event.version or event.tags):
                    raise EvaluationError(
                        f"{path}:{event.start_mark.line + 1}: a %YAML or %TAG directive: Helm 4 and kubectl read "
                        "a file in pieces split at --- lines and cannot read one (Helm 3 cannot read %YAML 1.2 "
                        "either); remove it (!!int and the other !! tags need none)")
        except yaml.YAMLError:
            return   # a syntax error: the parse proper reports it with its line


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
