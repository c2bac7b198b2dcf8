"""Scalars and mapping keys as Helm reads a values file: go-yaml v2 (go.yaml.in/yaml/v2 resolve.go)
decoding into interface{}, then sigs.k8s.io/yaml turning the result into JSON and back.

Measured against the real Helm 3 and 4 (tests/test_yaml_like_helm.py); what each function returns
is what Helm's `.Values` holds: numbers are float64 there, so an integer beyond 2^53 is the float
it becomes, and `1e6` used as a key is the string "1e+06". A value Helm refuses raises Refused with
Helm's reason; the caller adds the file and line.
"""
from __future__ import annotations

import base64
import binascii
import math
import re
import struct
from typing import Any

TAG = "tag:yaml.org,2002:"
STR, BINARY, TIMESTAMP, MERGE = TAG + "str", TAG + "binary", TAG + "timestamp", TAG + "merge"


class Refused(ValueError):
    """Helm refuses this scalar (the message says why and what to do)."""


MAP = {**{w: True for w in "y Y yes Yes YES on On ON true True TRUE".split()},
       **{w: False for w in "n N no No NO off Off OFF false False FALSE".split()},
       **{w: None for w in ("", "~", "null", "Null", "NULL")},
       **{w: math.inf for w in ".inf .Inf .INF +.inf +.Inf +.INF".split()},
       **{w: -math.inf for w in "-.inf -.Inf -.INF".split()},
       **{w: math.nan for w in ".nan .NaN .NAN".split()}}
_NUMERIC_START = frozenset("0123456789+-.")
# Go's ParseInt(s, 0, 64) and ParseUint after resolve.go removed every underscore
_INT = re.compile(r"([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)")
_YAML_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")   # resolve.go's yamlStyleFloat
# a scalar starting with '.' goes to Go's ParseFloat as written: underscores only between digits
_DOT_FLOAT = re.compile(r"\.[0-9]+(_[0-9]+)*([eE][-+]?[0-9]+(_[0-9]+)*)?")
_STRING = object()   # "Go resolves it to a string"
_INT64 = 2 ** 63
_EXACT = 2 ** 53     # float64 holds every integer up to here


def numeric(value: str) -> Any:
    """int or float for a plain scalar that starts with a digit, a sign or '.', as resolve.go
    decides (floats stay floats: 1e3 is 1000.0); _STRING when Go keeps it a string."""
    if value[0] == ".":
        if _DOT_FLOAT.fullmatch(value):
            f = float(value)
            if math.isfinite(f):
                return f
        return _STRING
    plain = value.replace("_", "")
    m = _INT.fullmatch(plain)
    if m:
        sign, digits = m.groups()
        prefix = digits[:2].lower()
        if prefix in ("0x", "0o", "0b"):
            n = int(digits[2:], {"0x": 16, "0o": 8, "0b": 2}[prefix])
        elif digits[0] == "0" and len(digits) > 1:   # a leading 0: octal (Go's base 0)
            n = int(digits[1:], 8)
        else:
            n = int(digits)
        n = -n if sign == "-" else n
        if -_INT64 <= n < _INT64 or (not sign and n < 2 * _INT64):   # int64, else uint64 (no sign)
            return n
    if _YAML_FLOAT.fullmatch(plain):
        f = float(plain)
        if math.isfinite(f):   # Go's ParseFloat fails on overflow: the scalar stays a string
            return f
    return _STRING


def plain(value: str) -> Any:
    """An untagged plain scalar as Helm's `.Values` holds it (timestamps stay strings)."""
    if value in MAP:
        out = MAP[value]
        if isinstance(out, float):
            raise Refused(f"{value} is not a number JSON can hold (helm refuses it); quote it if it is meant as text")
        return out
    if not value or value[0] not in _NUMERIC_START:
        return value
    n = numeric(value)
    return value if n is _STRING else json_number(n)


def json_number(n: Any) -> Any:
    """A Go number after sigs.k8s.io/yaml's JSON round trip (float64): 8.0 is 8, 2^53+1 is 2^53."""
    if isinstance(n, float):
        return int(n) if n.is_integer() and abs(n) < _EXACT else n
    return n if -_EXACT <= n <= _EXACT else float(n)


def go_value(value: str) -> Any:
    """What resolve.go makes of an untagged plain scalar, Go types kept: (bool, None, int, float
    (inf/nan included) or the str itself)."""
    if value in MAP:
        return MAP[value]
    if not value or value[0] not in _NUMERIC_START:
        return value
    n = numeric(value)
    return value if n is _STRING else n


_KINDS = {TAG + "bool": bool, TAG + "int": int, TAG + "float": float, TAG + "null": type(None)}


def tagged(tag: str, value: str) -> Any:
    """A scalar with an explicit tag, Go types kept (float stays float), or Refused. Tags other
    than go-yaml's (custom !foo, !!set on a scalar, %TAG-defined ones) read as the text."""
    if tag == STR:
        return value
    if tag == TIMESTAMP:
        if value[:1] in "0123456789+-" and value[:1] and timestamp(value):
            return value   # decoded into interface{}, a timestamp stays its text
        raise Refused(f"cannot read {value!r} as !!timestamp (helm refuses it: a date like 2001-12-14 or "
                      "2001-12-14T21:59:43Z is expected); fix the value or remove the tag")
    if tag == BINARY:
        return binary(value)
    kind = _KINDS.get(tag)
    if kind is None:
        return value
    out = go_value(value)
    if isinstance(out, str):
        got = "str"
    else:
        got = {bool: "bool", int: "int", float: "float", type(None): "null"}[type(out)]
    if kind is float and got == "int":
        return float(out)
    if type(out) is not kind:
        raise Refused(f"cannot read {value!r} as !!{tag[len(TAG):]} (it is a !!{got}; helm refuses it too); "
                      "fix the value or remove the tag")
    return out


def to_json(go: Any) -> Any:
    """A Go-typed scalar as `.Values` holds it; Refused for what JSON cannot hold."""
    if isinstance(go, float):
        if not math.isfinite(go):
            raise Refused(f"{go} is not a number JSON can hold (helm refuses it); quote it if it is meant as text")
        return json_number(go)
    if isinstance(go, int) and not isinstance(go, bool):
        return json_number(go)
    return go


def key(go: Any) -> str:
    """A mapping key as sigs.k8s.io/yaml writes it into a JSON object key; Refused for those it
    cannot (null, and integers from 2^63, which go-yaml makes uint64)."""
    if isinstance(go, str):
        return go
    if isinstance(go, bool):
        return "true" if go else "false"
    if isinstance(go, int):
        if -_INT64 <= go < _INT64:
            return str(go)
        raise Refused(f"the key {go} is beyond a signed 64-bit integer (helm refuses such a key); quote it")
    if isinstance(go, float):
        return _format_float32(go)
    if go is None:
        raise Refused("a null mapping key (helm refuses it); quote it or remove it")
    raise Refused(f"a {type(go).__name__} mapping key; quote it")   # pragma: no cover - lists/maps are refused earlier


def _format_float32(f: float) -> str:
    """strconv.FormatFloat(f, 'g', -1, 32) with ±Inf and NaN written as YAML does (yaml.go)."""
    if math.isnan(f):
        return ".nan"
    try:
        f32 = struct.unpack("f", struct.pack("f", f))[0]
    except OverflowError:
        f32 = math.copysign(math.inf, f)
    if math.isinf(f32):
        return ".inf" if f32 > 0 else "-.inf"
    if f32 == 0:
        return "-0" if math.copysign(1, f32) < 0 else "0"
    for digits in range(1, 10):   # the shortest decimal that reads back as the same float32
        text = f"{f32:.{digits - 1}e}"
        if struct.unpack("f", struct.pack("f", float(text)))[0] == f32:
            break
    mantissa, exp_text = text.split("e")
    exp = int(exp_text)
    sign = "-" if mantissa.startswith("-") else ""
    figures = mantissa.lstrip("-").replace(".", "").rstrip("0") or "0"
    if exp < -4 or exp >= 6:   # %e, as Go's shortest 'g' decides
        body = figures[0] + ("." + figures[1:] if len(figures) > 1 else "")
        return f"{sign}{body}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if exp < 0:
        return f"{sign}0.{'0' * (-exp - 1)}{figures}"
    whole = figures[:exp + 1].ljust(exp + 1, "0")
    frac = figures[exp + 1:]
    return f"{sign}{whole}{'.' + frac if frac else ''}"


def binary(value: str) -> str:
    """!!binary as Go decodes it: standard base64 with padding (only line breaks ignored), the
    bytes as a string whose invalid UTF-8 JSON writes as one U+FFFD per byte."""
    try:
        raw = base64.b64decode(value.replace("\r", "").replace("\n", ""), validate=True)
    except (binascii.Error, ValueError):
        raise Refused("!!binary value is not base64 (helm refuses it: standard alphabet, padded, no spaces); "
                      "fix it or drop the tag") from None
    text = raw.decode("utf-8", "surrogateescape")
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


_SURROGATE = re.compile("[\udc80-\udcff]")

# time.Parse with resolve.go's layouts: "2006-1-2T15:4:5.999999999Z07:00" (T or t), "2006-1-2 15:4:5.999999999", "2006-1-2"
# (time.Parse: one-or-two-digit fields, a run of spaces for the layout's space, a fraction of any length)
_TS = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})"
                 r"(?:([Tt]| +)([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:[.,][0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})?)?")


def timestamp(value: str) -> bool:
    """Whether go-yaml's parseTimestamp accepts `value` (Go's time.Parse of its four layouts)."""
    m = _TS.fullmatch(value)
    if not m:
        return False
    year, month, day, sep, hour, minute, second, zone = m.groups()
    if sep is not None:
        if (sep[0] == " ") == (zone is not None):   # the space layout has no zone; T/t layouts need one
            return False
        if int(hour) > 23 or int(minute) > 59 or int(second) > 59:
            return False
        if zone and zone != "Z" and (int(zone[1:3]) > 24 or int(zone[4:6]) > 60):   # time.Parse allows 24:00, 60
            return False
    month_n, day_n = int(month), int(day)
    if not 1 <= month_n <= 12:
        return False
    y = int(year)   # year 0000 included, as Go's
    leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
    return 1 <= day_n <= (29 if month_n == 2 and leap else _DAYS[month_n - 1])


_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

