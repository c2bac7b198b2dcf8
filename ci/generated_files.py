#!/usr/bin/env python3
"""Write generated files, or with --check report the ones that drifted (the offline gate's mode).

Shared by the ci/ generators (rule_data.py, admission_policy.py, rule_catalogue.py): `sync(want,
check, fix, source)` takes the wanted text of each file, writes the changed ones (or only lists
them with check=True, naming the command `fix` that regenerates them) and returns the exit code.

Run as a script, it runs every generator in the order their inputs need (a rule's admission.yaml
gets its CEL lists before the policy is assembled; the rule READMEs show the admission cases):
  ci/generated_files.py [--check]
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GENERATORS = ("rule_data.py", "admission_policy.py", "rule_catalogue.py", "chart_docs.py")


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


def main(argv: list[str]) -> int:
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    if any(a != "--check" for a in argv):
        print(__doc__, file=sys.stderr)
        return 2
    failed = [g for g in GENERATORS
              if subprocess.run([sys.executable, str(ROOT / "ci" / g), *argv], cwd=ROOT).returncode != 0]
    if failed:
        print(f"ci/generated_files.py: {', '.join(failed)} failed" + (" (run ci/generated_files.py)" if argv else ""),
              file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
