"""Long multi-document files (`kubectl get -o yaml`, CRD bundles): the size limit applies per
document, and a large input is evaluated in batches (opa.BATCH_BYTES of JSON per `opa eval`, raw
text in slices of documents.RAW_SLICE_LINES lines) with the cross-document rules given only the
documents they read. The batches are made small here so a few thousand documents exercise them."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from aifactory_policy import documents, opa
from fake_credentials import FAKE_ACCESS

REPO_FILES = ["policies", "values-examples"]
POLICIES = Path(__file__).resolve().parent.parent / "policies"


def config_map(i: int) -> str:
    return f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\n  namespace: ns\ndata:\n  k: value-{i}\n"


PLANTED = f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: planted\ndata:\n  token: {FAKE_ACCESS}\n"


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(opa, "BATCH_BYTES", 64 * 1024)
    monkeypatch.setattr(documents, "RAW_SLICE_LINES", 1000)
    monkeypatch.setenv("AIFACTORY_POLICY_MAX_BYTES", str(16 * 1024))   # far below the file's size


def test_thousands_of_documents_one_planted_finding(cli, tmp_path, small_batches):
    n = 2400
    text = "".join(config_map(i) for i in range(n // 2)) + PLANTED + "".join(config_map(i) for i in range(n // 2, n))
    path = tmp_path / "all.yaml"
    path.write_text(text)
    assert path.stat().st_size > 16 * 1024 * 10
    r = cli("scan", path, "--format", "json")
    assert r.code == 1, r.err
    report = json.loads(r.out)
    assert report["summary"]["failures"] == 0, r.out
    findings = report["findings"]
    token_line = text.splitlines().index(f"  token: {FAKE_ACCESS}") + 1
    assert [(f["rule"], f["resource"], f["line"]) for f in findings] == [("AIF001", "ConfigMap/planted", token_line)]


def test_one_oversized_document_is_refused_and_the_others_evaluated(cli, tmp_path, small_batches):
    big = "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  k: " + "x" * 20000 + "\n"
    text = "".join(config_map(i) for i in range(200)) + big + "".join(config_map(i) for i in range(200, 400)) + PLANTED
    path = tmp_path / "mixed.yaml"
    path.write_text(text)
    big_line = text.splitlines().index("  name: big") - 2   # the document's first line (apiVersion)
    r = cli("scan", path, "--format", "json")
    assert r.code == 2
    assert f"{path}:{big_line}: one document of" in r.err and "limit for one document" in r.err, r.err
    assert "the file's other documents were checked" in r.err
    report = json.loads(r.out)
    assert [(f["rule"], f["resource"]) for f in report["findings"]] == [("AIF001", "ConfigMap/planted")], r.out


@pytest.mark.parametrize("per_file", [False, True], ids=["combined", "per-file"])
def test_batches_find_what_one_evaluation_finds(cli, monkeypatch, per_file):
    """Every sample and example, per-document and cross-document rules: the same report whether
    evaluated at once or in small batches with the cross-document rules on their documents only."""
    args = ["scan", *REPO_FILES, "--format", "json"] + (["--per-file"] if per_file else [])
    whole = cli(*args)
    monkeypatch.setattr(opa, "BATCH_BYTES", 48 * 1024)
    monkeypatch.setattr(documents, "RAW_SLICE_LINES", 40)
    batched = cli(*args)
    assert batched.code == whole.code and batched.err == whole.err
    a, b = json.loads(whole.out), json.loads(batched.out)
    assert len(a["findings"]) > 50 and {f["rule"] for f in a["findings"]} >= {"AIF005", "AIF006", "AIF007"}
    assert b == a


# ---- scan streams (the engine, opa.Evaluation): the same verdicts as one evaluation, memory flat in documents

SAMPLE_DOCS_CACHE: list[str] = []


def sample_documents() -> list[str]:
    """Every document of every rule's samples, as text (comments kept): material that exercises
    every rule, the cross-document ones included, cut into documents to be shuffled into files."""
    if not SAMPLE_DOCS_CACHE:
        for path in sorted((POLICIES / "rules").glob("*/samples/*/*.yaml")):
            for part in re.split(r"(?m)^---[^\n]*\n", path.read_text()):
                if part.strip():
                    SAMPLE_DOCS_CACHE.append(part if part.endswith("\n") else part + "\n")
    return SAMPLE_DOCS_CACHE


WAIVER = ('  annotations:\n    aifactory.dev/waive-AIF001: "reason=fixture; expires=2099-01-01"\n'
          '    aifactory.dev/waive-AIF004: "reason=lapsed; expires=2001-01-01"\n')


def one_evaluation(paths: list[str]) -> list[tuple]:
    """The oracle: what `check` does with files, every document read with its line map up front and
    every rule in one OPA process (opa.evaluate)."""
    from aifactory_policy.tools import policies_dir
    from aifactory_policy.yamlio import load_file
    docs = []
    for p in paths:
        docs += documents.file_docs(load_file(p, per_document=True))
    return sorted(_key(f) for f in opa.evaluate(docs, policies_dir(None)))


def _key(f) -> tuple:
    return (f.file or "", f.line or 0, f.rule, f.path or "", f.message, f.resource or "", f.waived_by or "")


def test_streaming_gives_the_findings_of_one_evaluation(tmp_path, monkeypatch):
    """Generated folders: documents of every rule's samples shuffled into multi-document files, with
    tokens in comments, in values and on the same line as a value, List wrappers and waiver
    annotations. Scan with batches of a few documents (many OPA processes, lines looked up after
    the run) reports exactly what one evaluation with line maps does."""
    from hypothesis import given, strategies as st
    from aifactory_policy.commands import scan
    from helpers import property_settings

    docs = sample_documents()
    body = st.from_regex(r"FAKEstream[A-Za-z0-9]{12,20}", fullmatch=True)
    decorated = st.tuples(st.sampled_from(range(len(docs))),
                          st.sampled_from(["as is", "comment token", "value token", "list", "waiver"]), body)
    files = st.lists(st.lists(decorated, min_size=1, max_size=5), min_size=1, max_size=4)

    @property_settings(max_examples=6)
    @given(files, st.integers(min_value=1, max_value=4))
    def check(layout, batch_documents):
        root = tmp_path / f"run-{len(list(tmp_path.iterdir()))}"
        root.mkdir()
        paths = []
        for n, file_docs in enumerate(layout):
            parts = [_decorate(docs[i], how, f"sk-ant-oat01-{b}") for i, how, b in file_docs]
            path = root / f"f{n}.yaml"
            path.write_text("---\n".join(parts))
            paths.append(str(path))
        want = one_evaluation(paths)
        monkeypatch.setattr(opa, "BATCH_DOCUMENTS", batch_documents)
        report = scan.scan(paths)
        monkeypatch.undo()
        assert not report.failures, report.failures
        assert sorted(_key(f) for f in report.findings) == want

    check()


def _decorate(doc: str, how: str, token: str) -> str:
    if how == "comment token":
        return f"# was: {token}\n{doc}"
    if how == "value token":
        return doc + f"leaked: {token}\n" if not doc.lstrip().startswith(("-", "[")) else doc
    if how == "list":
        item = "\n".join(("  - " if i == 0 else "    ") + line for i, line in enumerate(doc.splitlines()))
        return f"apiVersion: v1\nkind: List\nitems:\n{item}\n" if doc.lstrip().startswith("apiVersion") else doc
    if how == "waiver" and "\nmetadata:\n" in doc and "\n  annotations:" not in doc:
        return doc.replace("\nmetadata:\n", "\nmetadata:\n" + WAIVER, 1)
    return doc


def test_a_file_broken_part_way_contributes_nothing(cli, tmp_path, monkeypatch):
    """A duplicate key in a file's last document is found after its first documents went to OPA:
    the file is one failure, none of its findings is reported, and the other files' are."""
    monkeypatch.setattr(opa, "BATCH_DOCUMENTS", 2)
    broken = tmp_path / "a-broken.yaml"
    broken.write_text(PLANTED + "".join(config_map(i) for i in range(6)) + "---\nkind: ConfigMap\nkind: Secret\n")
    fine = tmp_path / "b-fine.yaml"
    fine.write_text(PLANTED)
    r = cli("scan", broken, fine, "--format", "json")
    assert r.code == 2
    assert f"{broken}:" in r.err and "duplicate key 'kind'" in r.err, r.err
    report = json.loads(r.out)
    assert [f["file"] for f in report["findings"]] == [str(fine)], r.out
    assert report["summary"]["files"] == 1 and report["summary"]["documents"] == 2


MEMORY_PROBE = r"""
import sys, tracemalloc
sys.argv = ["x"]
from aifactory_policy import opa
from aifactory_policy.commands import scan
opa.BATCH_DOCUMENTS = 100
tracemalloc.start()
report = scan.scan([sys.stdin.readline().strip()])
print(tracemalloc.get_traced_memory()[1], report.documents, len(report.findings), len(report.failures))
"""


def test_scan_memory_does_not_grow_with_the_number_of_documents(tmp_path):
    """Python's peak allocation scanning 4x the documents (in 4x the files) stays within 1.5x: the
    documents stream through OPA in batches and only findings stay. Before streaming every document
    and its line map were held to the end, so the peak grew with the count."""
    import subprocess
    import sys
    peaks = {}
    for n_files in (6, 24):
        folder = tmp_path / f"docs-{n_files}"
        folder.mkdir()
        for f in range(n_files):
            (folder / f"f{f}.yaml").write_text("".join(config_map(f * 50 + i) for i in range(50)))
        out = subprocess.run([sys.executable, "-c", MEMORY_PROBE], input=f"{folder}\n", capture_output=True,
                             text=True, timeout=300, check=True).stdout.split()
        peak, documents, findings, failures = map(int, out)
        assert (documents, findings, failures) == (n_files * 51, 0, 0)
        peaks[n_files] = peak
    assert peaks[24] < 1.5 * peaks[6], peaks


def test_raw_text_slices_are_the_lines_of_the_text():
    """documents.iter_raw_text_docs cuts long text in blocks without str.splitlines over the whole
    file: on generated text (every line break Python knows, blocks of any size) the slices hold
    exactly text.splitlines(), numbered by "first", the last one without "first" when it is the only one."""
    from hypothesis import given, strategies as st
    from helpers import property_settings

    pieces = st.sampled_from(["a", "bc", "\n", "\r\n", "\r", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\n\n", " "])

    @property_settings(max_examples=300)
    @given(st.lists(pieces, max_size=80).map("".join), st.integers(1, 12), st.integers(1, 9))
    def check(text, block, slice_lines):
        old = documents.RAW_SLICE_LINES
        documents.RAW_SLICE_LINES = slice_lines
        try:
            slices = [d.content["aifactoryRawText"] for d in documents.iter_raw_text_docs("f", text, block=block)]
        finally:
            documents.RAW_SLICE_LINES = old
        assert [line for s in slices for line in s["lines"]] == text.splitlines()
        assert [s.get("first", 0) for s in slices] == [i * slice_lines for i in range(len(slices))]
        assert all(len(s["lines"]) == slice_lines for s in slices[:-1])
        assert ("first" in slices[0]) == (len(slices) > 1)

    check()
