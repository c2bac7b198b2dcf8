"""Machine output: {"findings": [...], "summary": {...}} and a command's own data, e.g. credentials
status's "installs" (docs/design.md CLI contract). Its shape is published as a JSON Schema,
docs/schemas/report.schema.json (`$schema`); `schema_version` changes when a field changes meaning
or goes away (new fields do not change it)."""
from __future__ import annotations

import json

from .. import __version__
from ..findings import Report
from ..output import displayable

SCHEMA_VERSION = 1
SCHEMA_URI = "https://raw.githubusercontent.com/aifactory/aifactory-chart/main/docs/schemas/report.schema.json"


def render(report: Report) -> str:
    doc = {
        "$schema": SCHEMA_URI,
        "schema_version": SCHEMA_VERSION,
        "tool": "aifactory-policy",
        "version": __version__,
        "command": report.command,
        **{k: v for k, v in report.details.items() if k not in ("findings", "summary", "rules", "$schema",
                                                                "schema_version")},
        "findings": [f.to_dict() for f in report.sorted_findings()],
        "waived": [f.to_dict() for f in report.waived],
        "notes": list(report.notes),
        "rules": list(report.rules) if report.rules is not None else None,
        "failures": list(report.failures),
        "summary": report.counts(),
    }
    return json.dumps(displayable(doc), indent=2, ensure_ascii=False) + "\n"
