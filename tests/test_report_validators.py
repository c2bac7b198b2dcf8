"""The reports as the tools that read them judge them: SARIF by Microsoft's validator in GitHub mode
(Sarif.Multitool, npm @microsoft/sarif-multitool), JUnit by the Jenkins xUnit plugin's junit-10.xsd
(which GitLab reads too), JSON by its published schema (docs/schemas/report.schema.json). The
validators come from the registries through ci/install-report-validators (ci/bootstrap runs it);
the reports come from real runs of the CLI over the policies' own samples (real OPA)."""
from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess

import pytest

from aifactory_policy.reporters import sarif as sarif_reporter
from aifactory_policy.rules import CATALOGUE
from helpers import REPO, run_cli_in, write

FUTURE = (dt.date.today() + dt.timedelta(days=365)).isoformat()


@pytest.fixture(scope="module")
def validators() -> dict:
    proc = subprocess.run([str(REPO / "ci" / "install-report-validators"), "--check"], capture_output=True,
                          text=True, check=False)
    if proc.returncode != 0:
        pytest.fail("the report validators are not installed: run ci/bootstrap (it calls ci/install-report-validators)")
    return dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict:
    """One scan of every rule's disallowed samples, with a config waiver and an expired one, in each
    format; and one with --rules."""
    root = tmp_path_factory.mktemp("reports")
    for p in sorted((REPO / "policies" / "rules").glob("*/samples/disallowed/*.yaml")):
        shutil.copy(p, root / f"{p.parent.parent.parent.name}-{p.name}")
    write(root / ".aifactory-policy.yaml",
          "severity: {AIF006: note}\n"
          f"waivers:\n- {{rule: AIF004, target: 'DaemonSet/*', reason: node agents until v2, expires: {FUTURE}}}\n"
          "- {rule: AIF002, target: 'nothing/*', reason: old, expires: 2020-01-01}\n")
    out = {}
    for fmt in ("sarif", "junit", "json"):
        code, _, err = run_cli_in(root, "scan", ".", "--format", fmt, "--output", f"report.{fmt}")
        assert code == 1, err
        out[fmt] = root / f"report.{fmt}"
    code, _, err = run_cli_in(root, "scan", ".", "--rules", "AIF001,AIF002", "--format", "junit", "--output", "only.xml")
    assert code == 1, err
    out["junit-only"] = root / "only.xml"
    return out


def multitool(validators, sarif_file, tmp_path) -> list[dict]:
    out = tmp_path / "validation.sarif"
    proc = subprocess.run([validators["SARIF_MULTITOOL"], "validate", "--rule-kind", "Gh;Sarif",
                           "--level", "Error;Warning;Note", "--output", str(out), str(sarif_file)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0 and out.is_file(), proc.stdout + proc.stderr
    return json.loads(out.read_text())["runs"][0]["results"]


def test_sarif_passes_microsofts_validator_in_github_mode(validators, reports, tmp_path):
    results = multitool(validators, reports["sarif"], tmp_path)
    serious = [(r["ruleId"], r["message"]) for r in results if r.get("level") in ("error", "warning")]
    assert serious == []
    # notes the validator gives that we act on: helpUri on every rule, names that are identifiers
    assert [r["message"] for r in results if r["ruleId"] == "SARIF2012"] == []


def test_the_validator_catches_what_github_refuses(validators, reports, tmp_path):
    """The check above can fail: a result without a location is an error in GitHub mode."""
    doc = json.loads(reports["sarif"].read_text())
    del doc["runs"][0]["results"][0]["locations"]
    doc["runs"][0]["tool"]["driver"]["rules"][0].pop("helpUri")
    broken = write(tmp_path / "broken.sarif", json.dumps(doc))
    results = multitool(validators, broken, tmp_path)
    assert any(r["ruleId"].startswith("GH") and r["level"] == "error" for r in results)
    assert any(r["ruleId"] == "SARIF2012" for r in results)


def test_sarif_rules_carry_what_code_scanning_shows(reports):
    run = json.loads(reports["sarif"].read_text())["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    for r in rules:
        assert r["helpUri"].startswith("https://github.com/aifactory/aifactory-chart/blob/main/")
        page = r["helpUri"].split("/blob/main/", 1)[1]
        assert (REPO / page).is_file(), page                     # the page it links to exists
        assert 0 < float(r["properties"]["security-severity"]) <= 10
        assert r["name"].isalnum() and r["name"][0].isupper()
        assert "policies/rules/" not in r["help"]["text"].replace(r["helpUri"], "")  # no repo-relative path
        assert r["defaultConfiguration"]["level"] == CATALOGUE[r["id"]]["severity"]
    ids = [r["id"] for r in rules]
    assert "AIF301" not in ids           # scan does not evaluate the image rules: not listed
    levels = {res["ruleId"]: res["level"] for res in run["results"]}
    assert levels.get("AIF006") == "note" and levels["AIF102"] == "warning"   # severity override, expired waiver


def test_rule_names_are_identifiers():
    for rid in CATALOGUE:
        name = sarif_reporter.rule_name(rid)
        assert name.isalnum() and name[0].isupper(), name
        assert not any(a.isupper() and b.isupper() for a, b in zip(name, name[1:])), name


def test_junit_validates_against_the_jenkins_schema(validators, reports):
    import xmlschema
    schema = xmlschema.XMLSchema(validators["JUNIT_XSD"])
    for key in ("junit", "junit-only"):
        schema.validate(str(reports[key]))


def test_junit_lists_only_the_rules_that_ran(reports):
    import xml.etree.ElementTree as ET
    def rules_in(path):
        return {c.get("name").split()[0] for c in ET.parse(path).getroot().iter("testcase")}
    everything = rules_in(reports["junit"])
    assert "AIF004" in everything and "AIF301" not in everything and "AIF201" not in everything
    assert rules_in(reports["junit-only"]) == {"AIF001", "AIF002"}
    root = ET.parse(reports["junit"]).getroot()
    suite = root.find("testsuite")
    skipped = [c for c in suite.iter("testcase") if c.find("skipped") is not None]
    assert skipped and int(suite.get("skipped")) == len(skipped)           # the waived AIF004 cases
    assert all("node agents until v2" in c.find("skipped").get("message") for c in skipped)


def test_json_report_matches_its_published_schema(reports, cli, tmp_path):
    import jsonschema
    schema = json.loads((REPO / "docs" / "schemas" / "report.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    doc = json.loads(reports["json"].read_text())
    jsonschema.validate(doc, schema, format_checker=jsonschema.FormatChecker())
    assert doc["schema_version"] == 1 and doc["$schema"] == schema["$id"]
    assert doc["waived"] and doc["findings"]
    # a report with nothing in it, and a failure, match too
    res = cli("scan", str(write(tmp_path / "broken.yaml", "a: [1\n")), "--format", "json")
    jsonschema.validate(json.loads(res.out), schema)
