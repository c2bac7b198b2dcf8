"""Rule id ranges are computed, never kept by hand: rule_ids formats and reads them back, the help
texts and documents take theirs from the catalogue (ci/rule_catalogue.py fills the documents'
`<!-- rule-ids:GROUP -->` markers; its --check is tests/test_rules_catalogue.py's), and no file of
the repository writes a range of rule ids outside such a marker."""
from __future__ import annotations

import re

import pytest

from aifactory_policy import rule_ids, rules
from aifactory_policy.rule_catalogue import CATALOGUE
from helpers import REPO

# A range of rule ids as a person would write one: AIF001-AIF009, AIF201–AIF208.
RANGE = re.compile(r"AIF\d{3}\s*[-–]\s*AIF\d{3}")
MARKED = re.compile(r"<!-- rule-ids:[a-z]+ -->.*?<!-- /rule-ids -->")
SCANNED = ("*.py", "*.md", "*.rego", "*.yaml", "*.yml", "*.json", "*.sh", "*.toml")
# what .gitignore leaves out (a wheel build's copy of the package, the tools, caches)
SKIPPED_DIRS = {".git", ".venv", "bin", "build", "dist", "reports", "node_modules", "__pycache__", ".pytest_cache",
                ".hypothesis"}
# Files that may hold a range, and why.
ALLOWED = {
    "CHANGELOG.md": "history: each entry names the rules of its day",
    "src/aifactory_policy/rule_ids.py": "the formatter's own examples",
    "tests/test_rule_ids.py": "this test's examples",
}


@pytest.mark.parametrize("ids, text", [
    (["AIF001", "AIF002", "AIF003", "AIF201"], "AIF001-AIF003, AIF201"),
    (["AIF003", "AIF001", "AIF002"], "AIF001-AIF003"),
    (["AIF001", "AIF003"], "AIF001, AIF003"),
    (["AIF009", "AIF010", "AIF201", "AIF202", "AIF204"], "AIF009-AIF010, AIF201-AIF202, AIF204"),
    ([], ""),
])
def test_ranges_and_back(ids, text):
    assert rule_ids.ranges(ids) == text
    assert rule_ids.expand(text) == set(ids) if text else True
    assert rule_ids.ranges(ids, "–") == text.replace("-", "–")


def test_groups_partition_the_catalogue():
    every = rules.ids("manifest") + rules.ids("audit") + rules.ids("image") + rules.ids("check")
    assert sorted(every) == sorted(rules.CATALOGUE) and len(every) == len(set(every))
    assert rules.ids("policy") == sorted(CATALOGUE)
    assert rules.ids("manifest") == sorted(rid for rid, e in CATALOGUE.items() if e["folder"])
    with pytest.raises(KeyError, match="unknown rule group 'nope'"):
        rules.ids("nope")


def _files():
    for pattern in SCANNED:
        for p in REPO.rglob(pattern):
            rel = p.relative_to(REPO)
            if p.is_file() and not SKIPPED_DIRS & set(rel.parts[:-1]) and \
                    not any(part.endswith(".egg-info") for part in rel.parts):
                yield rel.as_posix(), p


def test_no_hand_kept_range_of_rule_ids():
    """A range written by hand goes stale with the next rule (the --version test once failed so):
    help texts compute theirs (aifactory_policy.rules.ranges), documents hold a generated marker."""
    found = []
    for rel, p in _files():
        if rel in ALLOWED:
            continue
        text = MARKED.sub("", p.read_text(encoding="utf-8", errors="replace"))
        for m in RANGE.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            found.append(f"{rel}:{line}: {m[0]}")
    assert not found, "ranges of rule ids kept by hand (compute them, or use a <!-- rule-ids:GROUP --> marker):\n" + \
        "\n".join(found)


def test_the_markers_exist_where_ranges_are_shown():
    """The documents that show ranges do so through markers (so the check above is not vacuous)."""
    marked = {rel for rel, p in _files() if rel.endswith(".md") and MARKED.search(p.read_text(encoding="utf-8"))}
    assert {"README.md", "docs/audit.md", "docs/design.md", "policies/README.md"} <= marked
