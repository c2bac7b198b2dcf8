"""Helm's ``--set`` / ``--set-string`` parser (helm.sh/helm/v3/pkg/strvals), common forms.

Supported: ``a.b=c``, several pairs ``a=1,b=2``, list indexes ``a[0]=x`` and ``a[0].b=x``,
list literals ``a={x,y}``, backslash escapes (``a\\.b=c`` sets key ``a.b``), and Helm's
typing: true/false/null (case-insensitive), base-10 integers without a leading zero, and
everything else (floats included) as strings. ``--set-string`` keeps every value a string.
``null`` deletes the key when coalesced with the chart defaults, as in Helm.
"""
from __future__ import annotations

from typing import Any

from .findings import EvaluationError

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


class _Scanner:
    def __init__(self, text: str, flag: str):
        self.s = text
        self.i = 0
        self.flag = flag

    def error(self, why: str) -> EvaluationError:
        return EvaluationError(f"{self.flag} {self.s!r}: {why}; use the forms a.b=c, a[0]=x, a={{x,y}}")

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

    `provenance`, when given, receives ``path-tuple -> flag text`` for every key set.
    """
    sc = _Scanner(expr, flag)
    while sc.i < len(sc.s):
        _parse_pair(sc, target, as_string, (), provenance)
    return target


def _record(provenance, path, sc):
    if provenance is not None:
        provenance[path] = f"{sc.flag} {sc.s}"


def _parse_pair(sc: _Scanner, node: dict, as_string: bool, prefix: tuple, provenance) -> None:
    key, stop = sc.until("=[.,")
    if stop is None:
        if key == "":
            return
        raise sc.error(f"key '{key}' has no value")
    if stop == ",":
        if key == "":
            return
        raise sc.error(f"key '{key}' has no value")
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
        raise sc.error(f"list index '[{raw}' is not a non-negative integer followed by ']'")
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
        raise sc.error(f"unexpected '{c}' after a list index")
    return lst
