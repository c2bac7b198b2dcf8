"""The CLI against the project's real chart (charts/aifactory) and real policies (policies/).
"""
import functools
import json


import pytest

from helpers import REPO, sample_findings, yaml_load

CHART = REPO / "charts" / "aifactory"
POLICIES = REPO / "policies"
EXAMPLES = sorted((REPO / "values-examples").glob("*-values.yaml"))
RULE_DIRS = sorted(p for p in (POLICIES / "rules").glob("*") if (p / "policy.rego").is_file())

@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_values_examples_pass(cli, example):
    r = cli("check", CHART, "-f", example, "--format", "json")
    assert r.code == 0, r.out + r.err


def test_guard_from_real_chart(cli):
    r = cli("check", CHART, "--set", "remoteControl.enabled=true", "--format", "json")
    assert r.code == 1, r.err
    rules = {f["rule"] for f in json.loads(r.out)["findings"]}
    assert "AIF101" in rules


def test_schema_from_real_chart(cli):
    r = cli("check", CHART, "--set", "remoteControl.mode=sometimes", "--format", "json")
    assert r.code == 1, r.err
    found = json.loads(r.out)["findings"]
    assert [f["path"] for f in found if f["rule"] == "AIF100"] == ["remoteControl.mode"]


@functools.lru_cache(maxsize=None)
def _suite(rule_dir):
    return yaml_load((rule_dir / "suite.yaml").read_text())["samples"]


SUITE_SAMPLES = sorted({(rule_dir, entry["file"]) for rule_dir in RULE_DIRS for entry in _suite(rule_dir)})


@pytest.mark.parametrize("rule_dir,sample", SUITE_SAMPLES, ids=lambda x: getattr(x, "name", x))
def test_cli_scan_gives_the_exact_verdicts_the_policy_suite_expects(rule_dir, sample):
    """The CLI (--per-file keeps the cross-document rule within each file, like conftest without
    --combine) reports exactly the findings suite.yaml lists for conftest, message for message. The
    scan ran from policies/, so a message naming a file says rules/<name>/samples/...; the suite
    names it from the rule folder, as conftest run there does."""
    expected = sorted({(x["rule"], x["msg"]) for e in _suite(rule_dir) if e["file"] == sample for x in e["expected"]})
    prefix = f"rules/{rule_dir.name}/"
    got = sorted((rule, msg.replace(prefix, "")) for rule, msg in sample_findings()[prefix + sample])
    if "aifactoryRawText:" in (rule_dir / sample).read_text():
        # an OPA input fixture for raw-text mode: the CLI also reads the fixture file itself as raw
        # text, so it reports the commented lines of the fixture too
        assert set(expected) <= set(got)
    else:
        assert got == expected


def test_per_file_only_narrows_the_cross_document_rule(cli, monkeypatch):
    """Without --per-file the samples of one folder are one install set: a Secret shared between two
    sample files is found (AIF005, "also in"), and that is the only difference."""
    rule_dir = POLICIES / "rules" / "credentials_mount"
    monkeypatch.chdir(rule_dir)
    files = sorted({e["file"] for e in _suite(rule_dir)})
    together = json.loads(cli("scan", *files, "--format", "json").out)["findings"]
    apart = json.loads(cli("scan", "--per-file", *files, "--format", "json").out)["findings"]
    extra = [f for f in together if f not in apart]
    assert extra and {f["rule"] for f in extra} == {"AIF005"} and all("also in" in f["message"] for f in extra)
    assert all(f in together for f in apart)
