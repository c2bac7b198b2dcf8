"""Long multi-document files (`kubectl get -o yaml`, CRD bundles): the size limit applies per
document, and a large input is evaluated in batches (opa.BATCH_BYTES of JSON per `opa eval`, raw
text in slices of documents.RAW_SLICE_LINES lines) with the cross-document rules given only the
documents they read. The batches are made small here so a few thousand documents exercise them."""
from __future__ import annotations

import json

import pytest

from aifactory_policy import documents, opa
from fake_credentials import FAKE_ACCESS

REPO_FILES = ["policies", "values-examples"]


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
