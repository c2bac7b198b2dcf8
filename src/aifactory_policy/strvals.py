"""Helm's ``--set`` / ``--set-string`` / ``--set-json`` / ``--set-file`` parser
(helm.sh/helm/v3/pkg/strvals), common forms.

Supported: ``a.b=c``, several pairs ``a=1,b=2``, list indexes ``a[0]=x`` and ``a[0].b=x``,
list literals ``a={x,y}``, backslash escapes (``a\\.b=c`` sets key ``a.b``), and Helm's
typing: true/false/null (case-insensitive), base-10 integers without a leading zero, and
everything else (floats included) as strings. ``--set-string`` keeps every value a string;
``--set-json`` reads each value as JSON (``a={"b":1},c=[1,2]``, or one whole JSON object as Helm 4
accepts); ``--set-file`` reads each value as a file path and sets the file's text.
``null`` deletes the key when coalesced with the chart defaults, as in Helm.

Errors name the flag, the argument's position and the character where parsing stopped; they never
repeat the argument (it may be a pasted credential).
"""
from __future__ import annotations

import json
import os
from typing import Any, Callable, Optional

from .findings import EvaluationError
from .helm_maps import merge_maps
from .yamlio import join_path

MAX_INDEX = 65536  # Helm's own limit on list indexes


def typed_value(val: str, as_string: bool) -> Any:
    if as_string:
        return val
    low = val.lower()
    if low == "true":
        return True
    if low == "false":
        return False
    if low == "null":
        return None
    if val == "0":
        return 0
    if val and val[0] != "0":
        body = val[1:] if val[0] in "+-" else val
        if body.isdigit() and body.isascii():
            n = int(val)
            if -(2**63) <= n < 2**63:
                return n
    return val


def key_label(path: tuple) -> str:
    """The dotted key a flag set, e.g. ``a.b[0]`` (keys with dots or brackets quoted)."""
    out = ""
    for seg in path:
        out = f"{out}[{seg}]" if isinstance(seg, int) else join_path(out, seg)
    return out


class _Scanner:
    def __init__(self, text: str, flag: str, convert: Optional[Callable] = None):
        self.s = text
        self.i = 0
        self.flag = flag
        self.convert = convert  # --set-json / --set-file: how a value's text becomes the value

    def error(self, why: str) -> EvaluationError:
        forms = 'a.b={"c":1}, a[0]=[1,2]' if self.flag == "--set-json" else "a.b=c, a[0]=x, a={x,y}"
        return EvaluationError(f"{self.flag}: {why} (at character {self.i} of {len(self.s)}; the argument is "
                               f"not repeated here); use the forms {forms}")

    def until(self, stops: str) -> tuple[str, str | None]:
        """Read until one of `stops` (honouring backslash escapes); return (text, stop or None)."""
        out = []
        while self.i < len(self.s):
            c = self.s[self.i]
            self.i += 1
            if c == "\\" and self.i < len(self.s):
                out.append(self.s[self.i])
                self.i += 1
                continue
            if c in stops:
                return "".join(out), c
            out.append(c)
        return "".join(out), None


def parse_into(expr: str, target: dict, as_string: bool = False, flag: str = "--set",
               provenance: dict | None = None) -> dict:
    """Apply one ``--set`` argument to `target` (modified in place) and return it.

    `provenance`, when given, receives ``path-tuple -> "FLAG KEY"`` for every key set (the key,
    never the value).
    """
    return _parse(_Scanner(expr, flag), target, as_string, provenance)


def _parse(sc: _Scanner, target: dict, as_string: bool, provenance) -> dict:
    while sc.i < len(sc.s):
        _parse_pair(sc, target, as_string, (), provenance)
    return target


def parse_json_into(expr: str, target: dict, provenance: dict | None = None) -> dict:
    """Apply one ``--set-json`` argument: ``KEY=JSON[,KEY=JSON...]``, or one whole JSON object."""
    if expr.strip().startswith("{"):
        try:
            obj = json.loads(expr)
        except ValueError as exc:
            raise EvaluationError(f"--set-json: not valid JSON ({exc.msg} at character {exc.pos}; the argument "
                                  'is not repeated here); use the forms a.b={"c":1}, a[0]=[1,2] or {"a":1}') from None
        if not isinstance(obj, dict):
            raise EvaluationError("--set-json: a whole-object argument must be a JSON object")
        merged = merge_maps(target, obj)
        target.clear()
        target.update(merged)
        if provenance is not None:
            _record_tree(provenance, "--set-json", obj, ())
        return target
    return _parse(_Scanner(expr, "--set-json", convert=_json_value), target, False, provenance)


def parse_file_into(expr: str, target: dict, provenance: dict | None = None, max_bytes: int = 8 << 20) -> dict:
    """Apply one ``--set-file`` argument: ``KEY=PATH[,KEY=PATH...]``; each key gets the file's text."""
    def read(path: str) -> str:
        try:
            if os.path.getsize(path) > max_bytes:
                raise EvaluationError(f"--set-file {path}: larger than {max_bytes} bytes")
            with open(path, "rb") as fh:
                return fh.read().decode("utf-8")
        except OSError as exc:
            raise EvaluationError(f"--set-file {path}: cannot read ({exc.strerror}); check the path") from None
        except UnicodeDecodeError:
            raise EvaluationError(f"--set-file {path}: not valid UTF-8 text") from None
    return _parse(_Scanner(expr, "--set-file", convert=read), target, True, provenance)


def _json_value(sc: _Scanner) -> Any:
    """A JSON value at the scanner, then an optional ','."""
    text = sc.s
    i = sc.i
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    try:
        value, end = json.JSONDecoder().raw_decode(text, i)
    except ValueError as exc:
        sc.i = getattr(exc, "pos", i)
        raise sc.error(f"the value is not valid JSON ({exc.msg})") from None
    sc.i = end
    if sc.i < len(text):
        if text[sc.i] != ",":
            raise sc.error("expected ',' after a JSON value")
        sc.i += 1
    return value


def _record_tree(provenance: dict, flag: str, data: Any, path: tuple) -> None:
    if path:
        provenance[path] = f"{flag} {key_label(path)}"
    if isinstance(data, dict):
        for k, v in data.items():
            _record_tree(provenance, flag, v, path + (k,))


def _record(provenance, path, sc):
    if provenance is not None:
        provenance[path] = f"{sc.flag} {key_label(path)}"


def _parse_pair(sc: _Scanner, node: dict, as_string: bool, prefix: tuple, provenance) -> None:
    key, stop = sc.until("=[.,")
    if stop is None:
        if key == "":
            return
        raise sc.error("a key has no value (no '=')")
    if stop == ",":
        if key == "":
            return
        raise sc.error("a key has no value (no '=')")
    if key == "":
        raise sc.error("empty key")
    path = prefix + (key,)
    if stop == ".":
        child = node.get(key)
        if not isinstance(child, dict):
            child = {}
        node[key] = child
        _parse_pair(sc, child, as_string, path, provenance)
        return
    if stop == "[":
        lst = node.get(key)
        lst = lst if isinstance(lst, list) else []
        node[key] = _parse_index(sc, lst, as_string, path, provenance)
        return
    # stop == "=": a value, a list literal, or empty
    node[key] = _parse_value(sc, as_string)
    _record(provenance, path, sc)


def _parse_value(sc: _Scanner, as_string: bool) -> Any:
    if sc.convert is _json_value:
        return _json_value(sc)
    if sc.convert is not None:  # --set-file: the text up to ',' is a path
        path, _ = sc.until(",")
        return sc.convert(path)
    if sc.s.startswith("{", sc.i):
        sc.i += 1
        items = []
        while True:
            val, stop = sc.until(",}")
            if stop is None:
                raise sc.error("list literal not closed with '}'")
            items.append(typed_value(val, as_string))
            if stop == "}":
                break
        if sc.i < len(sc.s):
            if sc.s[sc.i] != ",":
                raise sc.error("expected ',' after a list literal")
            sc.i += 1
        return items
    val, _ = sc.until(",")
    return typed_value(val, as_string)


def _parse_index(sc: _Scanner, lst: list, as_string: bool, path: tuple, provenance) -> list:
    raw, stop = sc.until("]")
    if stop is None or not raw.isdigit():
        raise sc.error("a list index is not a non-negative integer followed by ']'")
    idx = int(raw)
    if idx > MAX_INDEX:
        raise sc.error(f"list index {idx} is larger than {MAX_INDEX}")
    while len(lst) <= idx:
        lst.append(None)
    path = path + (idx,)
    if sc.i >= len(sc.s):
        raise sc.error("list index without a value")
    c = sc.s[sc.i]
    sc.i += 1
    if c == "=":
        lst[idx] = _parse_value(sc, as_string)
        _record(provenance, path, sc)
    elif c == ".":
        child = lst[idx] if isinstance(lst[idx], dict) else {}
        lst[idx] = child
        _parse_pair(sc, child, as_string, path, provenance)
    elif c == "[":
        inner = lst[idx] if isinstance(lst[idx], list) else []
        lst[idx] = _parse_index(sc, inner, as_string, path, provenance)
    else:
        raise sc.error("unexpected character after a list index (want '=', '.' or '[')")
    return lst
