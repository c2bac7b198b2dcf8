"""The last step of every evaluation: give each finding its line, drop what the raw-text pass
repeats, apply the objects' waiver annotations.

A finding's line comes from its document's line map when the caller read one (check), from the
file read again once, only for the documents with findings (scan reads without line maps), or
from its raw-text path. Documents with neither (the audit's live objects) have no line."""
from __future__ import annotations

import dataclasses
from collections import defaultdict
from typing import Optional

from .documents import InputDoc, raw_line
from .findings import EvaluationError, Finding
from .rulecontrol import waive_by_annotation
from .yamlio import line_maps, read_text


def resolve(found: list[tuple[Finding, Optional[InputDoc]]], waivers: dict,
            texts: Optional[dict[str, str]] = None) -> list[Finding]:
    """found: each finding with the document it is about (content dropped); texts: files that
    cannot be read again (standard input)."""
    maps = _maps_read_again(found, texts or {})
    located: list[tuple[Finding, bool, set[int]]] = []
    for f, r in found:
        line, under, raw = _line(f, r, maps)
        located.append((dataclasses.replace(f, line=line), raw, under))
    # the raw-text pass exists for what parsing loses (comments): a raw line a parsed document
    # already reported, same rule, file and line, would say the same thing twice
    parsed = {(f.rule, f.file, n) for f, raw, under in located if not raw for n in {f.line} | under}
    kept = [f for f, raw, _ in located if not raw or (f.rule, f.file, f.line) not in parsed]
    return waive_by_annotation(kept, waivers)


def _line(f: Finding, r: Optional[InputDoc], maps: dict) -> tuple[Optional[int], set[int], bool]:
    """(line, the lines under the finding's path, whether it came from the raw-text pass)."""
    if r is None:
        return f.line, set(), False
    if r.raw_text:
        return raw_line(f.path), set(), True
    doc = r.doc if r.doc is not None else maps.get(r.file, {}).get(r.index)
    if doc is None:
        return f.line, set(), False
    return doc.line_for(f.path), doc.lines_under(f.path), False   # f.path is already the path in the file


def _maps_read_again(found: list[tuple[Finding, Optional[InputDoc]]], texts: dict[str, str]) -> dict:
    needed: dict[str, set[int]] = defaultdict(set)
    for _, r in found:
        if r is not None and r.doc is None and not r.raw_text and r.index is not None and r.file is not None:
            needed[r.file].add(r.index)
    return {file: _line_maps(file, indexes, texts) for file, indexes in needed.items()}


def _line_maps(file: str, indexes: set[int], texts: dict[str, str]) -> dict:
    text = texts.get(file)
    if text is None:
        try:
            text = read_text(file, whole_file_limit=False)
        except EvaluationError:
            return {}
    return line_maps(text, file, indexes)
