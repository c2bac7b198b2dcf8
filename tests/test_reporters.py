"""Each reporter: JSON contract, SARIF 2.1.0 structure for GitHub, JUnit XML, text, --output."""
import json
import os
import xml.etree.ElementTree as ET

import pytest

from aifactory_policy.findings import EvaluationError, Finding, Report
from aifactory_policy.output import write_report
from aifactory_policy.reporters import FORMATS, junit, sarif, text
from aifactory_policy.rules import RULES

REPORT = Report(
    command="scan",
    findings=[
        Finding("AIF002", "error", "volumeMounts[0].readOnly must be true", file="deploy/app.yaml",
                resource="Deployment/ai/agent", path="spec.template.spec.containers[0].volumeMounts[0]", line=12),
        Finding("AIF006", "warning", "use Recreate", file="deploy/app.yaml", path="spec.strategy.type", line=5),
        Finding("AIF100", "error", "replicaCount: expected integer", file="--set replicaCount=x", path="replicaCount"),
        Finding("AIF001", "error", "token in a comment", file="values/prod.yaml", line=1),
    ],
    inputs=["deploy/app.yaml", "values/prod.yaml"], documents=3)


def test_json_contract():
    doc = json.loads(FORMATS["json"](REPORT))
    assert set(doc) >= {"findings", "summary"}
    for f in doc["findings"]:
        assert set(f) >= {"rule", "severity", "message", "file", "resource", "path", "line"}
    assert doc["summary"]["errors"] == 3 and doc["summary"]["warnings"] == 1
    assert doc["summary"]["exit_code"] == 1


def test_sarif_structure_for_github():
    doc = json.loads(sarif.render(REPORT))
    assert doc["version"] == "2.1.0" and "sarif-2.1.0" in doc["$schema"]
    [run] = doc["runs"]
    driver = run["tool"]["driver"]
    rules = driver["rules"]
    ids = [r["id"] for r in rules]
    assert set(RULES) <= set(ids)
    for r in rules:
        assert r["shortDescription"]["text"] and r["help"]["text"]
    assert driver["name"] == "aifactory-policy" and driver["version"]
    for res in run["results"]:
        assert res["ruleId"] in ids and rules[res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["level"] in ("error", "warning", "note")
        assert res["message"]["text"]
        [loc] = res["locations"]
        uri = loc["physicalLocation"]["artifactLocation"]["uri"]
        assert not uri.startswith("/") and "://" not in uri
        region = loc["physicalLocation"].get("region")
        if region:
            assert region["startLine"] >= 1
    by_rule = {r["ruleId"]: r for r in run["results"]}
    assert by_rule["AIF002"]["locations"][0]["physicalLocation"]["region"]["startLine"] == 12
    # a --set value has no file: the finding still has a location (GitHub requires one) but no line
    loc = by_rule["AIF100"]["locations"][0]["physicalLocation"]
    assert "region" not in loc and "--set replicaCount=x" in by_rule["AIF100"]["message"]["text"]


def test_sarif_absolute_paths_become_relative(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert sarif.artifact_uri(str(tmp_path / "a b" / "v.yaml")) == "a%20b/v.yaml"
    assert sarif.artifact_uri("--set x=1") is None


def test_junit_parses_and_counts():
    root = ET.fromstring(junit.render(REPORT))
    assert root.tag == "testsuites"
    [suite] = root.findall("testsuite")
    cases = suite.findall("testcase")
    assert int(suite.get("tests")) == len(cases)
    failed = [c for c in cases if c.find("failure") is not None]
    assert int(suite.get("failures")) == len(failed) == 3
    names = {(c.get("classname"), c.get("name").split()[0]) for c in failed}
    assert ("deploy/app.yaml", "AIF002") in names and ("values/prod.yaml", "AIF001") in names
    warn = next(c for c in cases if c.get("classname") == "deploy/app.yaml" and c.get("name").startswith("AIF006"))
    assert warn.find("failure") is None and "use Recreate" in warn.find("system-out").text


def test_junit_evaluation_failures_are_errors():
    rep = Report(command="scan", failures=["x.yaml: binary content"])
    root = ET.fromstring(junit.render(rep))
    assert root.find("testsuite").get("errors") == "1"


def test_text_groups_by_file_with_summary():
    out = text.render(REPORT)
    lines = out.splitlines()
    assert lines[-1].startswith("FAILED: 3 error(s), 1 warning(s)")
    assert out.index("deploy/app.yaml") < out.index("values/prod.yaml")
    assert out.count("deploy/app.yaml\n") == 1


def test_output_is_atomic(tmp_path, monkeypatch):
    target = tmp_path / "r.json"
    write_report("first\n", str(target))
    assert target.read_text() == "first\n"

    def failing_replace(src, dst):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(EvaluationError, match="cannot write"):
        write_report("second\n", str(target))
    assert target.read_text() == "first\n"
    assert os.listdir(tmp_path) == ["r.json"]  # no temp file left behind


def test_output_failure_leaves_no_file(cli, tmp_path):
    r = cli("scan", tmp_path, "--output", tmp_path / "missing-dir" / "r.json")
    assert r.code == 2 and "cannot write" in r.err
    assert not (tmp_path / "missing-dir").exists()


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_cli_output_file(cli, tmp_path, fmt):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.yaml").write_text("a: 1\n")
    out = tmp_path / f"report.{fmt}"
    from helpers import mini
    r = cli(*mini("scan", tmp_path / "in", "--format", fmt, "--output", out))
    assert r.code == 0 and out.exists() and "report:" in r.out
    assert {p.name for p in tmp_path.iterdir()} == {"in", out.name}
