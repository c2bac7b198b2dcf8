"""Our YAML reader (scan's, and check's for values files) against the real Helm 3 and Helm 4
reading the same bytes as a values file (tests/helm_values_reader.py): every file that either Helm
refuses we refuse, naming the file and line; where both read it we get what Helm's `.Values`
holds, types and strings. The cases are tests/yaml_cases.py, and Hypothesis generates more scalars.
Where we differ on purpose, KNOWN says so and the test checks that the difference is still there.

`python tests/test_yaml_like_helm.py` prints every case as both Helms (bin/) and we read it.
"""
from __future__ import annotations

import functools
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

import yaml_cases
from aifactory_policy import yamlio
from aifactory_policy.findings import EvaluationError
from helm_values_reader import Read, helm_reads, make_chart
from helpers import property_settings, write

MAX_BYTES = 65536    # per document: small, so the cases over our limits stay small for Helm too

_DUPLICATE = "duplicate key: Helm keeps the last, we refuse the file (parsers disagree on which wins)"
_NOT_A_MAPPING = "not a mapping: Helm wants one as values; scan reads any YAML (a list of pre-commit hooks)"
_CAP = "over our cap on aliases, expansion, depth or size (YAML bombs): Helm reads it"
# case -> (Helm 3 reads it, Helm 4 reads it, we read it), and why
KNOWN: dict[str, tuple[tuple[bool, bool, bool], str]] = {
    **{name: ((True, True, False), _DUPLICATE) for name, _ in yaml_cases.DUPLICATES},
    "merge then duplicate": ((True, True, False), _DUPLICATE),
    "json with duplicate": ((True, True, False), _DUPLICATE),
    "second document duplicate key": ((True, True, False), _DUPLICATE),
    "document a scalar": ((False, None, True), _NOT_A_MAPPING),    # None: Helm 4 not asked (full=False)
    "document a list": ((False, None, True), _NOT_A_MAPPING),
    "second document a list": ((True, False, True), _NOT_A_MAPPING),
    "aliases 10001": ((True, True, False), _CAP),
    "alias of a 16 KiB string 20 times": ((True, True, False), _CAP),
    "nested 201": ((True, True, False), _CAP),
    "nested 900": ((True, True, False), _CAP),
    "document over the size limit": ((True, True, False), _CAP),
}


def ours(path: Path) -> Read:
    """What scan reads from the file: every document, or the refusal. The value is the list of
    documents (values_as below turns it into what each Helm makes of them)."""
    try:
        text = yamlio.read_text(str(path), max_bytes=MAX_BYTES, whole_file_limit=False)
        docs = []
        for d in yamlio.iter_documents(text, str(path), max_bytes=MAX_BYTES, keep_going=True, track_lines=False):
            if d.error:
                return Read(False, message=d.error)
            docs.append(d.data)
    except EvaluationError as exc:
        return Read(False, message=str(exc))
    return Read(True, docs)


def _merge(a: dict, b: dict) -> dict:
    out = dict(a)
    for k, v in b.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def values_as(helm: str, docs: list, prefix: str) -> Any:
    """Our documents as that Helm's values: Helm 3 reads the first document, Helm 4 merges them all."""
    merged: Any = {}
    for d in docs[:1] if helm == "helm3" else docs:
        if d is None:
            continue
        if not isinstance(d, dict):
            return "<not a mapping>"
        merged = _merge(merged, d)
    return {k: v for k, v in merged.items() if k == prefix or k.startswith(prefix + "_")}


def same(a: Any, b: Any) -> bool:
    """Equal as JSON values: bool is not a number, numbers compare as the float64 Helm holds."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))   # the nesting cases go ~900 deep
    try:
        return _same(a, b)
    finally:
        sys.setrecursionlimit(limit)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all([_same(x, y) for x, y in zip(a, b)])
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all([_same(a[k], b[k]) for k in a])
    return type(a) is type(b) and a == b


def write_cases(folder: Path, cases: list[tuple[str, str | bytes]]) -> dict[Path, tuple[str, str]]:
    """{file: (case name, key prefix)}; `@K` in a case becomes its prefix."""
    out = {}
    for i, (name, text) in enumerate(cases):
        prefix = f"k{i}"
        data = text.replace(b"@K", prefix.encode()) if isinstance(text, bytes) else text.replace("@K", prefix)
        out[write(folder / f"c{i}.yaml", data)] = (name, prefix)
    return out


@functools.lru_cache(maxsize=None)
def _chart(folder: str) -> Path:
    return make_chart(Path(folder))


def compare(folder: Path, cases: list[tuple[str, str | bytes]], helms=("helm3", "helm4"), full: bool = False) -> list[dict]:
    """One row per case: what each Helm read, what we read, and whether we agree. A file the first
    Helm refuses we must refuse whatever the second does, so the second reads only the others
    (its verdict on the rest is None) unless `full`: a Helm run per refused file is the cost."""
    files = write_cases(folder / "cases", cases)
    chart = _chart(str(folder / "chart"))
    by_helm: dict[str, dict] = {}
    for h in helms:
        asked = {f: prefix for f, (_, prefix) in files.items()
                 if full or all(by_helm[earlier][f].ok for earlier in by_helm)}
        by_helm[h] = {f: Read(None, message="not asked: an earlier Helm refused it") for f in files}
        by_helm[h].update(helm_reads(h, chart, asked))
    rows = []
    for f, (name, prefix) in files.items():
        mine = ours(f)
        row = {"name": name, "file": f, "ours": mine, **{h: by_helm[h][f] for h in helms}}
        row["verdicts"] = (*(by_helm[h][f].ok for h in helms), mine.ok)
        if mine.ok:
            row["values"] = {h: values_as(h, mine.value, prefix) for h in helms}
            row["agree"] = all(by_helm[h][f].ok and same(row["values"][h], by_helm[h][f].value) for h in helms)
        else:
            row["agree"] = any(by_helm[h][f].ok is False for h in helms)
        rows.append(row)
    return rows


def _show(read: Read, root: Path, limit: int = 160) -> str:
    if read.ok is None:
        return read.message
    if not read.ok:
        return "refused: " + read.message.replace(str(root) + "/", "").replace("\n", " ")[:limit]
    return json.dumps(read.value, ensure_ascii=False, sort_keys=True)[:limit]


def describe(row: dict, root: Path) -> str:
    helms = [h for h in ("helm3", "helm4") if h in row]
    mine = _show(Read(True, row["values"][helms[0]]) if row["ours"].ok else row["ours"], root)
    return f"{row['name']!r}: " + "; ".join(f"{h} {_show(row[h], root)}" for h in helms) + f"; ours {mine}"


@pytest.fixture(scope="module")
def table(tmp_path_factory) -> tuple[Path, list[dict]]:
    root = tmp_path_factory.mktemp("yaml-like-helm")
    return root, compare(root, yaml_cases.ALL)


def test_we_read_what_both_helms_read_and_refuse_what_either_refuses(table):
    root, rows = table
    wrong = [describe(r, root) for r in rows if r["name"] not in KNOWN and not r["agree"]]
    assert not wrong, "we differ from Helm:\n" + "\n".join(wrong)


def test_the_known_differences_are_still_there(table):
    root, rows = table
    by_name = {r["name"]: r for r in rows}
    assert set(KNOWN) <= set(by_name), set(KNOWN) - set(by_name)
    changed = [f"{describe(by_name[n], root)} (expected {expected})"
               for n, (expected, _) in KNOWN.items() if by_name[n]["verdicts"] != expected]
    assert not changed, "update KNOWN and docs/hostile-inputs.md:\n" + "\n".join(changed)


def test_every_refusal_names_the_file_and_line(table):
    root, rows = table
    unnamed = [f"{r['name']!r}: {r['ours'].message}" for r in rows
               if not r["ours"].ok and not re.match(re.escape(str(r["file"])) + r":\d+: ", r["ours"].message)]
    assert not unnamed, "\n".join(unnamed)


def test_where_both_helms_read_a_file_but_differ_we_read_each_as_it_does(table):
    """Helm 3 reads a values file's first document, Helm 4 merges them all: the multi-document cases
    check against each (the table would not fail if the two Helms agreed everywhere)."""
    _, rows = table
    differ = [r["name"] for r in rows if r["helm3"].ok and r["helm4"].ok and not same(r["helm3"].value, r["helm4"].value)]
    assert "two documents" in differ and "bom before the second document" in differ


def test_generated_scalars_read_as_helm_reads_them(tmp_path_factory):
    """Generated scalars (YAML 1.1 and 1.2 numbers, booleans, timestamps, odd text), each with or
    without a tag, as a value or as a key: one Helm run per batch."""
    from hypothesis import given, strategies as st

    text = st.text(alphabet="0123456789+-._eExXoObB:TtZz yYnN~\u0663", max_size=14)
    number = st.from_regex(r"[-+]?(0[xXoObB])?[0-9a-fA-F_]{1,22}(\.[0-9_]*)?([eE][-+]?[0-9]{1,3})?", fullmatch=True)
    stamp = st.from_regex(r"[0-9]{4}-[0-9]{1,3}-[0-9]{1,2}([Tt ]{1,2}[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}"
                          r"([.,][0-9]{0,10})?(Z|[+-][0-9]{2}:[0-9]{2})?)?", fullmatch=True)
    tag = st.sampled_from(["", "", "!!int ", "!!float ", "!!bool ", "!!null ", "!!str ", "!!timestamp ", "! "])

    @st.composite
    def case(draw) -> tuple[str, str]:
        scalar = draw(st.one_of(text, number, stamp))
        written = json.dumps(scalar) if draw(st.booleans()) and scalar else scalar
        node = draw(tag) + written
        if draw(st.booleans()):
            return node, f"@K: {node}\n"
        return node, f"@K:\n  {node}: v\n"

    @property_settings(4)
    @given(helm=st.sampled_from(["helm3", "helm4"]), cases=st.lists(case(), min_size=30, max_size=30))
    def check(helm, cases):
        root = tmp_path_factory.mktemp("generated")
        rows = compare(root, cases, helms=(helm,))
        wrong = [describe(r, root) for r in rows if not r["agree"]]
        assert not wrong, "\n".join(wrong)

    check()


def test_scan_reports_what_helm_refuses_and_the_other_files_findings(cli, tmp_path):
    """Issue 24: `rotatedAt: !!timestamp last-tuesday` fails `helm template`; scan read it as a
    string and passed. Now exit 2 naming the file and line, and the token beside it still found."""
    folder = tmp_path / "values"
    write(folder / "rotation-values.yaml", "remoteControl:\n  enabled: true\nrotatedAt: !!timestamp last-tuesday\n")
    write(folder / "token.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: t\ndata:\n"
                                 "  token: sk-ant-oat01-" + "A" * 40 + "\n")
    result = cli("scan", str(folder), "--format", "json")
    assert result.code == 2, result.err
    report = json.loads(result.out)
    assert [f["file"] for f in report["findings"]] == [str(folder / "token.yaml")]
    assert f"{folder / 'rotation-values.yaml'}:3: cannot read 'last-tuesday' as !!timestamp" in result.err


def test_check_refuses_it_before_helm_with_the_line(cli, tmp_path):
    values = write(tmp_path / "rotation-values.yaml", "rotatedAt: !!timestamp last-tuesday\n")
    result = cli("check", "-f", str(values))
    assert result.code == 2
    assert f"{values}:1: cannot read 'last-tuesday' as !!timestamp" in result.err


@pytest.mark.parametrize("major, found", [("3", []), ("4", [("AIF100", 3)])])
def test_check_takes_values_from_the_documents_its_helm_reads(cli, tmp_path, major, found):
    """Helm 3 reads the first document of a values file, Helm 4 merges them all (measured above):
    with Helm 4 the second document's bad value is a finding at its own line."""
    values = write(tmp_path / "two.yaml", "nameOverride: x\n---\nreplicaCount: many\n")
    result = cli("check", "-f", str(values), "--helm-major", major, "--format", "json")
    assert result.code == (1 if found else 0), result.err
    assert [(f["rule"], f["line"]) for f in json.loads(result.out)["findings"] if f["file"] == str(values)] == found


def markdown_table(rows: list[dict], root: Path) -> str:
    """Every case: what each Helm and we read (docs/hostile-inputs.md has the rows that differ)."""
    out = ["| case | Helm 3 | Helm 4 | scan | agree |", "| --- | --- | --- | --- | --- |"]
    for r in rows:
        cells = [_show(r[h], root, 70) for h in ("helm3", "helm4")]
        cells.append(_show(Read(True, r["values"]["helm3"]) if r["ours"].ok else r["ours"], root, 70))
        cells.append("yes" if r["agree"] else "KNOWN" if r["name"] in KNOWN else "**no**")
        out.append(f"| {r['name']} | " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(out)


if __name__ == "__main__":
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        print(markdown_table(compare(Path(tmp), yaml_cases.ALL, full=True), Path(tmp) / "cases"))
    sys.exit(0)
