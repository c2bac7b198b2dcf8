"""Rule ids as text ("AIF001-AIF009, AIF201-AIF208"), selected from the catalogue by group: every
list or range of rule ids a help text, a message or a document shows is computed from what the
policies declare, never kept by hand. Standalone (no package imports): the ci/ generators load this
file by path to write the same ranges into the documents (ci/rule_catalogue.py)."""
from __future__ import annotations

from typing import Iterable

# group -> which catalogue entries it holds (see ci/rule_catalogue.py for the entry's keys)
GROUPS = {
    "manifest": lambda e: bool(e.get("folder")),                 # policies/rules/<folder>
    "audit": lambda e: e.get("package") == "audit",              # policies/audit/audit.rego
    "image": lambda e: e.get("package") == "image",              # policies/image/image.rego
    "policy": lambda e: e.get("package") is not None,            # every rule with a policy
    "check": lambda e: e.get("package") is None,                 # the CLI's own checks (rules.CHECKS)
}


def select(catalogue: dict[str, dict], group: str) -> list[str]:
    """The sorted ids of `group` (a key of GROUPS) in the catalogue."""
    if group not in GROUPS:
        raise KeyError(f"unknown rule group {group!r}: one of {', '.join(GROUPS)}")
    return sorted(rid for rid, e in catalogue.items() if GROUPS[group](e))


def ranges(ids: Iterable[str], dash: str = "-") -> str:
    """["AIF001", "AIF002", "AIF003", "AIF201"] -> "AIF001-AIF003, AIF201" (consecutive numbers
    of one prefix joined by `dash`)."""
    groups: list[list[str]] = []
    for rid in sorted(ids):
        prev = groups[-1][-1] if groups else None
        if prev and rid[:3] == prev[:3] and rid[3:].isdigit() and prev[3:].isdigit() \
                and int(rid[3:]) == int(prev[3:]) + 1:
            groups[-1].append(rid)
        else:
            groups.append([rid])
    return ", ".join(g[0] if len(g) == 1 else f"{g[0]}{dash}{g[-1]}" for g in groups)


def expand(text: str) -> set[str]:
    """The ids a ranges() text names (the inverse, for tests and checks): "AIF001-AIF003, AIF201"
    -> {"AIF001", "AIF002", "AIF003", "AIF201"}."""
    out: set[str] = set()
    for part in (p.strip() for p in text.replace("–", "-").split(",")):
        first, _, last = part.partition("-")
        if not last:
            out.add(first)
            continue
        width = len(first) - 3
        out.update(f"{first[:3]}{n:0{width}d}" for n in range(int(first[3:]), int(last[3:]) + 1))
    return out
