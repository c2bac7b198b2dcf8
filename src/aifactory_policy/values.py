"""Merge chart values the way `helm upgrade` does, remembering which file/line set each key.

Order: chart ``values.yaml`` <- ``-f`` files (left to right, maps merged deeply) <- ``--set-json``
<- ``--set`` <- ``--set-string`` <- ``--set-file`` (Helm's order, whatever the CLI order).
A ``null`` from the user removes the key from the chart defaults (Helm's coalesce).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Optional

from . import strvals
from .helm_maps import merge_maps
from .yamlio import Document, LoadedFile


def dotted(path: tuple) -> str:
    return strvals.key_label(path)


@dataclass
class Origin:
    file: str                   # values file path, or "--set a.b" (the flag and key, never the value)
    line: Optional[int] = None


@dataclass
class MergedValues:
    values: dict
    origins: dict[tuple, Origin] = field(default_factory=dict)
    defaults_origin: Optional[Origin] = None
    flag_values: dict = field(default_factory=dict)  # what --set/--set-string/--set-file/--set-json set

    def origin_of(self, path: tuple) -> Optional[Origin]:
        """The source that set `path`, or its nearest ancestor that a source set."""
        p = tuple(path)
        while True:
            if p in self.origins:
                return self.origins[p]
            if not p:
                return self.defaults_origin
            p = p[:-1]


def coalesce(user: dict, defaults: dict) -> dict:
    """Helm's coalesceValues: user values over chart defaults; a user null deletes the key."""
    out = copy.deepcopy(defaults)
    for k, v in user.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = coalesce(v, out[k])
        else:
            out[k] = _drop_nulls(v)
    return out


def _drop_nulls(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _drop_nulls(x) for k, x in v.items() if x is not None}
    return v


def _record_doc(origins: dict, file: str, doc: Document, data: Any, path: tuple = ()) -> None:
    if path:
        origins[path] = Origin(file, doc.line_for(dotted(path)))
    if isinstance(data, dict):
        for k, v in data.items():
            _record_doc(origins, file, doc, v, path + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            _record_doc(origins, file, doc, v, path + (i,))


def value_documents(lf: LoadedFile, all_documents: bool = False) -> list[Document]:
    """The documents Helm takes values from: the first (Helm 3), or all, merged in order (Helm 4)."""
    return [d for d in (lf.documents if all_documents else lf.documents[:1]) if isinstance(d.data, dict)]


def user_values(files: list[LoadedFile], all_documents: bool = False) -> tuple[dict, dict]:
    """Merge parsed -f files; returns (values, origins). Non-mapping documents are ignored here."""
    merged: dict = {}
    origins: dict[tuple, Origin] = {}
    for lf in files:
        for doc in value_documents(lf, all_documents):
            merged = merge_maps(merged, doc.data)
            _record_doc(origins, lf.path, doc, doc.data)
    return merged, origins


def flag_values(sets: list[str], set_strings: list[str], set_files: list[str] = (),
                set_jsons: list[str] = (), into: Optional[dict] = None,
                provenance: Optional[dict] = None) -> dict:
    """The values the flags set, applied in Helm's order onto `into` (a new mapping by default)."""
    out = {} if into is None else into
    for expr in set_jsons:
        strvals.parse_json_into(expr, out, provenance=provenance)
    for expr in sets:
        strvals.parse_into(expr, out, as_string=False, flag="--set", provenance=provenance)
    for expr in set_strings:
        strvals.parse_into(expr, out, as_string=True, flag="--set-string", provenance=provenance)
    for expr in set_files:
        strvals.parse_file_into(expr, out, provenance=provenance)
    return out


def merge(defaults: Optional[LoadedFile], files: list[LoadedFile], sets: list[str],
          set_strings: list[str], set_files: list[str] = (), set_jsons: list[str] = (),
          all_documents: bool = False) -> MergedValues:
    """all_documents: values files (and the chart's values.yaml) as Helm 4 reads them."""
    user, origins = user_values(files, all_documents)
    flag_origins: dict[tuple, str] = {}
    flags = flag_values(sets, set_strings, set_files, set_jsons)
    flag_values(sets, set_strings, set_files, set_jsons, into=user, provenance=flag_origins)
    for path, text in flag_origins.items():
        origins[path] = Origin(text, None)
    base: dict = {}
    dorigin = None
    if defaults is not None:
        default_origins: dict = {}
        for doc in value_documents(defaults, all_documents):
            base = merge_maps(base, doc.data)
            _record_doc(default_origins, defaults.path, doc, doc.data)
        origins = {**default_origins, **origins}
        dorigin = Origin(defaults.path, None)
    return MergedValues(values=coalesce(user, base), origins=origins, defaults_origin=dorigin, flag_values=flags)
