"""Human output: findings grouped by file, then one summary line."""
from __future__ import annotations

from itertools import groupby

from ..findings import Report


def render(report: Report) -> str:
    if report.body is not None:  # a command with its own human output (the credentials verbs)
        return "\n".join([report.body.rstrip("\n"), *_trailer(report)]) + "\n"
    out: list[str] = []
    for file, group in groupby(report.sorted_findings(), key=lambda f: f.file or "(no file)"):
        out.append(file)
        for f in group:
            where = f"{f.line}" if f.line else "-"
            extra = []
            if f.resource:
                extra.append(f.resource)
            if f.path:
                extra.append(f.path)
            suffix = f"  [{' '.join(extra)}]" if extra else ""
            out.append(f"  {where:>5}  {f.severity:<7} {f.rule}  {f.message}{suffix}")
        out.append("")
    out += _trailer(report)
    c = report.counts()
    status = {0: "passed", 1: "FAILED", 2: "INCOMPLETE"}[report.exit_code]
    out.append(f"{status}: {c['errors']} error(s), {c['warnings']} warning(s), {c['notes']} note(s) in "
               f"{c['files']} file(s), {c['documents']} document(s) checked"
               + (f", {c['failures']} could not be evaluated" if c["failures"] else ""))
    return "\n".join(out) + "\n"


def _trailer(report: Report) -> list[str]:
    return ([f"waived: {w.rule} {w.file or ''}:{w.line or ''} ({w.waived_by})" for w in report.waived]
            + [f"note: {n}" for n in report.notes] + [f"could not evaluate: {e}" for e in report.failures])
