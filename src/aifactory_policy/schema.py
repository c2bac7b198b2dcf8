"""AIF100: validate merged values against the chart's values.schema.json with jsonschema."""
from __future__ import annotations

import hashlib
import json
import os
import re
from typing import Optional

import jsonschema
from jsonschema import validators

from .findings import EvaluationError, Finding
from .redact import describe as describe_material
from .rules import title_of
from .values import MergedValues, dotted

RULE = "AIF100"


# Digests of schema texts already checked against their metaschema in this process: the check is
# ~90% of the schema step's time, and a long-lived caller (the test suite) loads the same chart often.
_VALID_SCHEMAS: set[str] = set()


def load_schema(chart_dir: str, checked_by_helm: bool = False) -> Optional[dict]:
    """The chart's schema; EvaluationError when it is not valid JSON Schema. checked_by_helm: Helm
    rendered with it, and Helm checks a chart's schema against its metaschema on every render
    (measured with 3.22.0 and 4.3.1: `"type": 5` fails `helm template`), so the check is not
    repeated (it was about a fifth of `check`'s time)."""
    path = os.path.join(chart_dir, "values.schema.json")
    if not os.path.exists(path):
        return None
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
        schema = json.loads(raw.decode("utf-8"))
    except (OSError, ValueError) as exc:
        raise EvaluationError(f"{path}: cannot load the chart's schema ({exc}); fix the chart") from None
    digest = hashlib.sha256(raw).hexdigest()
    if not checked_by_helm and digest not in _VALID_SCHEMAS:
        cls = validators.validator_for(schema)
        try:
            cls.check_schema(schema)
        except jsonschema.SchemaError as exc:
            raise EvaluationError(f"{path}: not a valid JSON Schema ({exc.message}); fix the chart") from None
        _VALID_SCHEMAS.add(digest)
    return schema


SHORT = 15  # a string value is quoted only up to this length (shorter than any credential)


def _short(value) -> str:
    """The value in a message: a number, boolean or null, or a short string, as it is; anything
    else by its type and size (a user's value may be a pasted credential: never quoted)."""
    if value is None or isinstance(value, (bool, int, float)):
        return json.dumps(value)
    if isinstance(value, str):
        material = describe_material(value)
        if material:
            return f"a string holding {material} (AIF001)"
        if len(value) <= SHORT and value.isprintable():
            return json.dumps(value)
        return f"a string of {len(value)} characters"
    if isinstance(value, dict):
        return f"an object of {len(value)} keys"
    if isinstance(value, list):
        return f"a list of {len(value)} items"
    return f"a {type(value).__name__}"


def _constraint(err: jsonschema.ValidationError) -> str:
    """What the schema asked for (the chart's words, not the user's value)."""
    text = json.dumps(err.validator_value, default=str)
    if len(text) > 120:
        text = text[:117] + "..."
    return f"the schema's {err.validator} {text}"


def _describe(err: jsonschema.ValidationError) -> list[tuple[tuple, str]]:
    """(path, message) pairs for one jsonschema error, each naming the key and the fix."""
    path = tuple(err.absolute_path)
    where = dotted(path) or "(top level)"
    v = err.validator
    if v == "additionalProperties" and isinstance(err.instance, dict):
        allowed = set((err.schema.get("properties") or {}).keys())
        patterns = list((err.schema.get("patternProperties") or {}).keys())
        extras = [k for k in err.instance if k not in allowed and not any(re.search(p, str(k)) for p in patterns)]
        hint = f" (allowed: {', '.join(sorted(allowed))})" if allowed else ""
        return [(path + (k,), f"{dotted(path + (k,))}: unknown key '{k}' under {where}{hint}; "
                              "fix its spelling or remove it") for k in extras] or [(path, f"{where}: {err.message}")]
    if v == "required":
        m = re.match(r"^'(.+)' is a required property$", err.message)
        key = m.group(1) if m else None
        if key:
            return [(path + (key,), f"{dotted(path + (key,))}: required key '{key}' is missing under {where}; set it")]
    if v == "enum":
        options = ", ".join(json.dumps(o) for o in err.validator_value)
        return [(path, f"{where}: {_short(err.instance)} is not allowed; use one of {options}")]
    if v == "type":
        want = err.validator_value if isinstance(err.validator_value, str) else " or ".join(err.validator_value)
        return [(path, f"{where}: expected {want}, got {type(err.instance).__name__} {_short(err.instance)}; "
                       f"give a value of type {want} (--set-string always gives strings)")]
    if v == "pattern":
        return [(path, f"{where}: {_short(err.instance)} does not match the pattern {err.validator_value!r}; fix the value")]
    if v in ("anyOf", "oneOf") and err.context:
        best = jsonschema.exceptions.best_match(err.context)
        return [(path, f"{where}: {_short(err.instance)} matches none of the allowed forms (fails "
                       f"{_constraint(best)}); fix the value")]
    return [(path, f"{where}: {_short(err.instance)} fails {_constraint(err)}; fix the value")]


def validate(schema: dict, merged: MergedValues) -> list[Finding]:
    cls = validators.validator_for(schema)
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    findings: list[Finding] = []
    seen = set()
    errors = sorted(validator.iter_errors(merged.values), key=lambda e: [str(p) for p in e.absolute_path])
    for err in errors:
        for path, message in _describe(err):
            key = (path, message)
            if key in seen:
                continue
            seen.add(key)
            origin = merged.origin_of(path)
            findings.append(Finding(
                rule=RULE, severity="error", message=message,
                file=origin.file if origin else None, path=dotted(path) or None,
                line=origin.line if origin else None, title=title_of(RULE)))
    return findings


_HELM_SCHEMA_HEADER = "values don't meet the specifications of the schema"


def is_helm_schema_error(stderr: str) -> bool:
    return _HELM_SCHEMA_HEADER in stderr


def _schema_strings(node, out: set) -> set:
    if isinstance(node, str):
        out.add(node)
    elif isinstance(node, dict):
        for k, v in node.items():
            out.add(str(k))
            _schema_strings(v, out)
    elif isinstance(node, list):
        for v in node:
            _schema_strings(v, out)
    return out


_QUOTED = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"")


def _unquote_values(body: str, known: set) -> str:
    """Helm's message with every quoted text that is not the schema's own (a pattern, an enum
    value, a key) replaced: Helm 4 quotes the offending value."""
    def keep(m: re.Match) -> str:
        inner = m.group(0)[1:-1]
        return m.group(0) if inner in known or len(inner) <= SHORT and not describe_material(inner) else "<value>"
    return _QUOTED.sub(keep, body)


def helm_schema_findings(stderr: str, merged: Optional[MergedValues], schema: Optional[dict] = None) -> list[Finding]:
    """Helm's own schema errors as AIF100 findings (used only when Python found none)."""
    known = _schema_strings(schema, set()) if schema is not None else set()
    out = []
    for raw in stderr.splitlines():
        line = raw.strip()
        if not line.startswith("- "):
            continue
        body = line[2:]
        path_t: tuple = ()
        m = re.match(r"^at '(/[^']*)':\s*(.*)$", body)
        if m:
            path_t = tuple(int(p) if p.isdigit() else p.replace("~1", "/").replace("~0", "~")
                           for p in m.group(1).split("/")[1:])
            body = m.group(2)
        else:
            m = re.match(r"^([A-Za-z0-9_.\[\]-]+):\s*(.*)$", body)
            if m and m.group(1) != "(root)":
                path_t = tuple(int(p) if p.isdigit() else p
                               for p in re.split(r"[.\[\]]+", m.group(1)) if p)
                body = m.group(2)
        origin = merged.origin_of(path_t) if merged else None
        where = dotted(path_t)
        out.append(Finding(rule=RULE, severity="error",
                           message=f"{where or '(top level)'}: {_unquote_values(body, known)} (reported by Helm); "
                                   "fix the value",
                           file=origin.file if origin else None, path=where or None,
                           line=origin.line if origin else None, title=title_of(RULE)))
    return out
