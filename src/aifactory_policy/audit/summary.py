"""The human summary: one row per install, one per namespace (stderr; the report goes elsewhere)."""
from __future__ import annotations

from collections import Counter

from ..findings import Finding


def _install_resources(install: dict) -> set[str]:
    ns = install["namespace"]
    out = {f"Secret/{ns}/{s}" for s in install.get("secrets") or []}
    for w in install.get("workloads") or []:          # "Deployment ns/name"
        kind, _, rest = w.partition(" ")
        out.add(f"{kind}/{rest}")
    return out


def _ns_of(f: Finding) -> str:
    return (f.file or "").split("/", 1)[0] or "(cluster)"


def table(installs: list[dict], findings: list[Finding], waived: list[Finding]) -> str:
    rows = [("NAMESPACE", "INSTALL", "FOUND BY", "WORKLOADS", "SECRETS", "MODE", "ERRORS", "WARNINGS")]
    for i in sorted(installs, key=lambda i: (i["namespace"], i["release"])):
        res = _install_resources(i)
        mine = [f for f in findings if f.resource in res]
        rows.append((i["namespace"], i["release"], i.get("found_by", ""), str(len(i.get("workloads") or [])),
                     ",".join(i.get("secrets") or []) or "-", ",".join(i.get("modes") or []) or "-",
                     str(sum(f.severity == "error" for f in mine)), str(sum(f.severity == "warning" for f in mine))))
    out = [_fmt(rows)] if len(rows) > 1 else ["no AIFactory install found (chart labels or a Claude credentials mount)"]
    per_ns = Counter(_ns_of(f) for f in findings)
    waived_ns = Counter(_ns_of(f) for f in waived)
    if per_ns or waived_ns:
        nrows = [("NAMESPACE", "FINDINGS", "WAIVED", "RULES")]
        for ns in sorted(set(per_ns) | set(waived_ns)):
            rules = sorted({f.rule for f in findings if _ns_of(f) == ns})
            nrows.append((ns, str(per_ns[ns]), str(waived_ns[ns]), ",".join(rules) or "-"))
        out.append(_fmt(nrows))
    return "\n\n".join(out) + "\n"


def _fmt(rows) -> str:
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows)
