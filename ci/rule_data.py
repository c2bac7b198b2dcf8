#!/usr/bin/env python3
"""Copy rule knowledge from its one source into the forms that cannot read it directly.

The source is policies/claude_code.json (Rego reads it as data.claude_code; conftest needs `--data policies/claude_code.json`). Helm can read only
files inside the chart, so the chart gets a generated copy of the Remote Control environment list;
`--check` exits 1 when a copy has drifted (the offline stage runs it, like ci/chart_docs.py --check).

Usage: ci/rule_data.py [--check]
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "policies" / "claude_code.json"
CHART_COPY = ROOT / "charts" / "aifactory" / "files" / "claude-code-env.json"


def chart_copy(source: dict) -> str:
    env = source["remote_control_env"]
    doc = {"_generated": "from policies/claude_code.json by ci/rule_data.py: edit the source, then run it",
           **{k: env[k] for k in ("refuses", "base_url", "scrubbed_tokens", "second_holders")}}
    return json.dumps(doc, indent=1) + "\n"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    want = {CHART_COPY: chart_copy(json.loads(SOURCE.read_text(encoding="utf-8"))["claude_code"])}
    drifted = [p for p, text in want.items() if not p.is_file() or p.read_text(encoding="utf-8") != text]
    if check:
        for p in drifted:
            print(f"{p.relative_to(ROOT)} is out of date with {SOURCE.relative_to(ROOT)}: run ci/rule_data.py",
                  file=sys.stderr)
        return 1 if drifted else 0
    for p in drifted:
        p.write_text(want[p], encoding="utf-8")
        print(f"wrote {p.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
