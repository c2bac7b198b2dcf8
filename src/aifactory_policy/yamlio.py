"""Read YAML/JSON files safely and keep line numbers for every dotted path.

PyYAML's C composer (CSafeLoader, when libyaml is present) builds the node graph; this module
then constructs plain Python data from the nodes itself, so that in one pass it can
- record the 1-based line of every key and item (``spec.template.spec.volumes[0]`` -> line),
- reject duplicate keys (naming file and line),
- count alias expansions and nesting depth (YAML bombs, recursive anchors).
Hostile inputs (binary, non-UTF-8, huge, unreadable) raise EvaluationError with the fix.
"""
from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from typing import Any, Optional

import yaml

from .findings import EvaluationError

try:  # libyaml when present; the pure-Python loader otherwise
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _Loader = yaml.SafeLoader

MAX_BYTES = 8 * 1024 * 1024   # per file; AIFACTORY_POLICY_MAX_BYTES overrides it
MAX_NODES = 200_000        # constructed nodes per file, aliases expanded (billion laughs)
MAX_ALIASES = 10_000       # alias references per document
MAX_DEPTH = 200            # nesting depth

_SIMPLE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")  # as policies/lib/tokens format_path
_constructor = yaml.constructor.SafeConstructor()


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

    @property
    def raw_lines(self) -> list[str]:
        return self.text.splitlines()


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


def read_text(path: str, max_bytes: Optional[int] = None) -> str:
    """Read a UTF-8 text file or raise EvaluationError saying why not and what to do."""
    max_bytes = max_bytes_limit() if max_bytes is None else max_bytes
    try:
        st = os.stat(path)
    except OSError as exc:
        raise EvaluationError(f"{path}: cannot read ({exc.strerror}); check the path and its permissions") from None
    if stat.S_ISDIR(st.st_mode):
        raise EvaluationError(f"{path}: is a directory, not a file; pass a YAML/JSON file (scan accepts folders)")
    if not stat.S_ISREG(st.st_mode):
        raise EvaluationError(f"{path}: not a regular file (device, FIFO or socket); pass a YAML/JSON file")
    if st.st_size > max_bytes:
        raise EvaluationError(
            f"{path}: {st.st_size} bytes exceeds the {max_bytes}-byte limit for one file; split it, "
            "or raise AIFACTORY_POLICY_MAX_BYTES if it is really meant to be this large")
    try:
        with open(path, "rb") as fh:
            raw = fh.read(max_bytes + 1)
    except OSError as exc:
        raise EvaluationError(f"{path}: cannot read ({exc.strerror}); check the path and its permissions") from None
    if len(raw) > max_bytes:
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
    def __init__(self, path: str):
        self.path = path
        self.nodes = 0
        self.aliases = 0
        self.seen: set[int] = set()
        self.spans: dict[str, tuple[int, int]] = {}

    def build(self, node: yaml.Node, path: str, lines: dict[str, int], depth: int) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise EvaluationError(
                f"{self.path}:{node.start_mark.line + 1}: more than {MAX_NODES} values after expanding "
                "aliases (a YAML bomb?); remove the alias chain or split the file")
        if depth > MAX_DEPTH:
            raise EvaluationError(
                f"{self.path}:{node.start_mark.line + 1}: nested deeper than {MAX_DEPTH} levels; flatten the document")
        if id(node) in self.seen:
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise EvaluationError(
                    f"{self.path}: more than {MAX_ALIASES} alias expansions (a YAML bomb?); "
                    "remove the anchors/aliases")
        if isinstance(node, yaml.ScalarNode):
            self.seen.add(id(node))
            last = node.end_mark.line if node.end_mark.column == 0 and node.end_mark.line > node.start_mark.line \
                else node.end_mark.line + 1
            self.spans[path] = (node.start_mark.line + 1, last)
            return _constructor.construct_object(node, deep=True)
        self.seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
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
                if knode.tag == "tag:yaml.org,2002:merge":
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
                    raise EvaluationError(f"{self.path}:{knode.start_mark.line + 1}: complex (non-scalar) mapping key")
                line = knode.start_mark.line + 1
                if key in key_lines:
                    raise EvaluationError(
                        f"{self.path}:{line}: duplicate key '{key}' (first at line {key_lines[key]}); "
                        "keep only one: YAML parsers silently disagree on which wins")
                key_lines[key] = line
                sub = join_path(path, key)
                lines[sub] = line
                out[key] = self.build(vnode, sub, lines, depth + 1)
            for k, v in merged.items():
                out.setdefault(k, v)
            return out
        raise EvaluationError(f"{self.path}: unsupported YAML node {node!r}")  # pragma: no cover


def parse_text(text: str, path: str) -> list[Document]:
    """Parse every document of `text`; empty documents are kept as data None."""
    loader = _Loader(text)
    docs: list[Document] = []
    builder = _Builder(path)
    try:
        index = 0
        while loader.check_node():
            node = loader.get_node()
            lines: dict[str, int] = {}
            builder.spans = {}
            data = None if node is None else builder.build(node, "", lines, 0)
            start = node.start_mark.line + 1 if node is not None else 1
            docs.append(Document(index=index, data=data, lines=lines, start_line=start, spans=builder.spans))
            builder.aliases = 0
            index += 1
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}" if mark else path
        problem = exc.problem or str(exc)
        if "nesting depth" in problem:  # libyaml's own limit (newer builds)
            raise EvaluationError(f"{where}: nested too deeply ({problem}); flatten the document") from None
        bad_line = text.splitlines()[mark.line] if mark and mark.line < len(text.splitlines()) else ""
        hint = "; YAML forbids tabs for indentation, use spaces" if "\t" in bad_line else ""
        raise EvaluationError(f"{where}: YAML syntax error: {problem}{hint}; fix the syntax (yamllint helps)") from None
    except yaml.YAMLError as exc:
        raise EvaluationError(f"{path}: YAML error: {exc}; fix the syntax") from None
    except RecursionError:
        raise EvaluationError(f"{path}: nested too deeply to parse; flatten the document") from None
    except (ValueError, TypeError) as exc:  # e.g. an unrepresentable timestamp
        raise EvaluationError(f"{path}: cannot construct a value: {exc}") from None
    finally:
        loader.dispose()
    return docs


def load_file(path: str, max_bytes: Optional[int] = None) -> LoadedFile:
    text = read_text(path, max_bytes)
    return LoadedFile(path=path, text=text, documents=parse_text(text, path))


def load_text(text: str, path: str) -> LoadedFile:
    return LoadedFile(path=path, text=text, documents=parse_text(text, path))
