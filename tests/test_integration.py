"""The CLI against the project's real chart (charts/aifactory) and real policies (policies/).
"""
import json

import yaml

import pytest

from helpers import REPO

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


def _rule_id(rule_dir):
    import re
    m = re.search(r'"rule":\s*"(AIF\d+)"', (rule_dir / "policy.rego").read_text())
    return m.group(1) if m else None


SUITE_SAMPLES = sorted({(rule_dir, entry["file"]) for rule_dir in RULE_DIRS
                        for entry in yaml.safe_load((rule_dir / "suite.yaml").read_text())["samples"]})


@pytest.mark.parametrize("rule_dir,sample", SUITE_SAMPLES, ids=lambda x: getattr(x, "name", x))
def test_cli_scan_gives_the_exact_verdicts_the_policy_suite_expects(cli, rule_dir, sample, monkeypatch):
    """The CLI (one OPA eval, cross-document rules over the whole invocation, like conftest --combine)
    reports exactly the findings suite.yaml lists for conftest, message for message."""
    entries = [e for e in yaml.safe_load((rule_dir / "suite.yaml").read_text())["samples"] if e["file"] == sample]
    expected = sorted({(x["rule"], x["msg"]) for e in entries for x in e["expected"]})
    monkeypatch.chdir(rule_dir)  # messages name files as given, as conftest run from this folder does
    r = cli("scan", sample, "--format", "json")
    assert r.code == (1 if expected else 0), r.err
    got = sorted({(f["rule"], f["message"]) for f in json.loads(r.out)["findings"]})
    if "aifactoryRawText:" in (rule_dir / sample).read_text():
        # an OPA input fixture for raw-text mode: the CLI also reads the fixture file itself as raw
        # text, so it reports the commented lines of the fixture too
        assert set(expected) <= set(got)
    else:
        assert got == expected
