"""Policy input documents: what Python gathered from files or a render, ready for Rego."""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any, Iterator, Optional

from .yamlio import Document, LoadedFile


@dataclass
class InputDoc:
    file: Optional[str]               # reported file (values file, manifest, or template source)
    content: Any                      # parsed document, or {"aifactoryRawText": {"lines": [...]}}
    doc: Optional[Document] = None    # line map when lines in `file` are meaningful
    resource: Optional[str] = None    # "Kind/namespace/name" for manifests
    raw_text: bool = False
    group: Optional[str] = None       # cross-document rules compare documents of one group only
    prefix: str = ""                  # where `content` sits in its YAML document: "items[3]" for a List item
    index: Optional[int] = None       # the YAML document's position in its file (scan resolves lines by it)
    origin: Optional[str] = None      # the audit: the list a live object came from ("workload", ...)

    def reference(self) -> "InputDoc":
        """What a finding needs of its document once the document is gone: no content, and the line
        map only when one was read (scan reads without one and looks lines up at the end)."""
        lines = self.doc is not None and bool(self.doc.lines)
        return dataclasses.replace(self, content=None, doc=dataclasses.replace(self.doc, data=None) if lines else None)

    def full_path(self, path: Optional[str]) -> Optional[str]:
        """`path` in the file's document: a List item's findings say which item (items[3].spec...)."""
        if not self.prefix:
            return path
        if not path:
            return self.prefix
        return self.prefix + (path if path.startswith("[") else "." + path.lstrip("."))

    def line_for(self, path: Optional[str]) -> Optional[int]:
        if self.raw_text:
            return raw_line(path)
        if self.doc is None:
            return None
        return self.doc.line_for(self.full_path(path))


_RAW_LINE = re.compile(r"(?:^|\.)lines\[(\d+)\]|^line[ :]?(\d+)$|^(\d+)$")


def raw_line(path: Optional[str]) -> Optional[int]:
    """Raw-text findings: `lines[N]` (0-based index) or `line N` (1-based) -> 1-based line."""
    if path is None:
        return None
    m = _RAW_LINE.search(str(path).strip())
    if not m:
        return None
    if m.group(1) is not None:
        return int(m.group(1)) + 1
    return int(m.group(2) or m.group(3))


def resource_of(content: Any) -> Optional[str]:
    if not isinstance(content, dict) or "kind" not in content:
        return None
    meta = content.get("metadata") if isinstance(content.get("metadata"), dict) else {}
    name, ns = meta.get("name"), meta.get("namespace")
    parts = [str(content["kind"])] + ([str(ns)] if ns else []) + ([str(name)] if name else [])
    return "/".join(parts)


def is_manifest(content: Any) -> bool:
    return isinstance(content, dict) and "apiVersion" in content and "kind" in content


# A longer file's raw text is checked in slices of this many lines. Small slices keep the per-line
# checks to the slices that hold a marker: in a 10 MB file with a token every 50 documents, slices of
# 20 000 lines cost OPA 20 CPU-s, slices of 200 lines 10.7 s (files under 200 lines: one slice).
RAW_SLICE_LINES = 200


def raw_text_docs(lf: LoadedFile) -> list[InputDoc]:
    """The file's lines as raw-text documents: one, or for a long file one per slice of
    RAW_SLICE_LINES lines ("first": the slice's first line, 0-based), so no one input is huge."""
    return list(iter_raw_text_docs(lf.path, lf.text))


def iter_raw_text_docs(path: str, text: str, block: int = 1 << 20) -> Iterator[InputDoc]:
    """raw_text_docs(LoadedFile(path, text, ...)), the same slices, without ever holding every line
    of a long file at once: the text is split in blocks that end just after a newline, where
    str.splitlines also breaks, so the lines are those of text.splitlines()."""
    pending: list[str] = []
    first = 0
    pos = 0
    while pos < len(text):
        cut = text.find("\n", pos + block)
        end = len(text) if cut < 0 else cut + 1
        pending += text[pos:end].splitlines()
        pos = end
        while len(pending) > RAW_SLICE_LINES:
            yield InputDoc(file=path, content={"aifactoryRawText": {"lines": pending[:RAW_SLICE_LINES], "first": first}},
                           raw_text=True)
            pending = pending[RAW_SLICE_LINES:]
            first += RAW_SLICE_LINES
    content = {"lines": pending, "first": first} if first else {"lines": pending}
    yield InputDoc(file=path, content={"aifactoryRawText": content}, raw_text=True)


def is_list(content: Any) -> bool:
    """`kind: List` and every `*List` kind (PodList, ...): kubectl and kube-score unpack their items."""
    return is_manifest(content) and str(content["kind"]).endswith("List") and isinstance(content.get("items"), list)


def file_docs(lf: LoadedFile, raw: bool = True) -> list[InputDoc]:
    """The raw-text document (comments included) plus one document per non-empty YAML document;
    the items of a List are documents of their own (their paths start items[N])."""
    out = raw_text_docs(lf) if raw else []
    for d in lf.documents:
        out += document_inputs(lf.path, d)
    return out


def document_inputs(path: str, d: Document) -> list[InputDoc]:
    """The policy inputs of one YAML document: none when empty, its items when it is a List."""
    if d.data is None:
        return []
    if is_list(d.data):
        return [InputDoc(file=path, content=item, doc=d, resource=resource_of(item), prefix=f"items[{i}]",
                         index=d.index)
                for i, item in enumerate(d.data["items"]) if item is not None]
    return [InputDoc(file=path, content=d.data, doc=d, resource=resource_of(d.data), index=d.index)]
