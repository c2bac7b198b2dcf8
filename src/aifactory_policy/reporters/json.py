"""Machine output: {"findings": [...], "summary": {...}} and a command's own data, e.g. credentials
status's "installs" (docs/design.md CLI contract)."""
from __future__ import annotations

import json

from .. import __version__
from ..findings import Report
from ..output import displayable


def render(report: Report) -> str:
    doc = {
        "tool": "aifactory-policy",
        "version": __version__,
        "command": report.command,
        **{k: v for k, v in report.details.items() if k not in ("findings", "summary")},
        "findings": [f.to_dict() for f in report.sorted_findings()],
        "waived": [f.to_dict() for f in report.waived],
        "notes": list(report.notes),
        "failures": list(report.failures),
        "summary": report.counts(),
    }
    return json.dumps(displayable(doc), indent=2, ensure_ascii=False) + "\n"
