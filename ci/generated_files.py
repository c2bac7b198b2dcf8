"""Write generated files, or with --check report the ones that drifted (the offline gate's mode).

Shared by the ci/ generators (rule_data.py, rule_catalogue.py): `sync(want, check, fix)` takes the
wanted text of each file, writes the changed ones (or only lists them with check=True, naming the
command `fix` that regenerates them) and returns the exit code.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def sync(want: dict[Path, str], check: bool, fix: str, source: str) -> int:
    drifted = [p for p, text in want.items() if not p.is_file() or p.read_text(encoding="utf-8") != text]
    if check:
        for p in drifted:
            print(f"{p.relative_to(ROOT)} is out of date with {source}: run {fix}", file=sys.stderr)
        return 1 if drifted else 0
    for p in drifted:
        p.write_text(want[p], encoding="utf-8")
        print(f"wrote {p.relative_to(ROOT)}")
    return 0
