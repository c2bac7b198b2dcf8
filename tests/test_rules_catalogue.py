"""The rule catalogue comes from the policies' METADATA: the generated Python table and README table
match what the real `opa inspect` reads, the rules emit the id and severity their METADATA names, and
`aifactory-policy rules list|explain` prints it (text, JSON, exit codes) without running any tool."""
from __future__ import annotations

import importlib.util
import json
import subprocess

import pytest
import yaml

from aifactory_policy import rule_catalogue
from aifactory_policy.commands import rules as rules_command
from aifactory_policy.rules import CATALOGUE, CHECKS, RULES, help_of, readme_of, title_of
from helpers import REPO


def _generator():
    import sys
    if str(REPO / "ci") not in sys.path:   # the generator imports its sibling ci/generated_files.py
        sys.path.append(str(REPO / "ci"))
    spec = importlib.util.spec_from_file_location("rule_catalogue_gen", REPO / "ci" / "rule_catalogue.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def gen():
    return _generator()


@pytest.fixture(scope="module")
def inspected(gen, opa_bin):
    """The catalogue as the real `opa inspect -a policies` reads the METADATA now."""
    return gen.catalogue(gen.inspect(opa_bin))


def test_generated_table_is_the_metadata(inspected):
    assert rule_catalogue.CATALOGUE == inspected


def test_generator_check_passes(gen, opa_bin):
    """Every generated form (Python module, README table, rule README titles) is up to date."""
    want = gen.wanted(gen.catalogue(gen.inspect(opa_bin)))
    stale = [str(p.relative_to(REPO)) for p, text in want.items() if p.read_text(encoding="utf-8") != text]
    assert not stale, f"run ci/rule_catalogue.py: {stale}"


def test_metadata_as_opa_reads_it(opa_bin):
    """Spot check against opa's own JSON, not the generator's reading of it."""
    out = json.loads(subprocess.run([opa_bin, "inspect", "-a", "--format", "json", str(REPO / "policies")],
                                    capture_output=True, text=True, check=True).stdout)
    by_file = {a["location"]["file"].split("policies/", 1)[-1]: a["annotations"] for a in out["annotations"]}
    mount = by_file["rules/credentials_mount/policy.rego"]
    assert mount["custom"]["id"] == "AIF002" and CATALOGUE["AIF002"]["severity"] == mount["custom"]["severity"]
    assert CATALOGUE["AIF002"]["remediation"] == mount["custom"]["remediation"]
    assert [r["id"] for r in by_file["audit/audit.rego"]["custom"]["rules"]] == sorted(i for i in CATALOGUE if i.startswith("AIF2"))
    assert [r["id"] for r in by_file["image/image.rego"]["custom"]["rules"]] == sorted(i for i in CATALOGUE if i.startswith("AIF3"))


def test_every_rule_folder_and_suite_agree_with_the_catalogue():
    folders = {e["folder"]: rid for rid, e in CATALOGUE.items() if e["folder"]}
    on_disk = {p.name for p in (REPO / "policies" / "rules").iterdir() if p.is_dir()}
    assert set(folders) == on_disk
    for folder, rid in folders.items():
        suite = yaml.safe_load((REPO / "policies" / "rules" / folder / "suite.yaml").read_text())
        assert suite["rule"] == rid and suite["policy"] == folder
        readme = (REPO / "policies" / "rules" / folder / "README.md").read_text().splitlines()[0]
        assert readme == f"# {rid} {folder} — {CATALOGUE[rid]['title']}"


def test_rules_emit_the_id_and_severity_of_their_metadata(opa_bin, tmp_path):
    """Every finding the rules give on every sample carries a catalogued id and its METADATA severity
    (no rule overrides its severity today; one that did would be listed here with its reason)."""
    docs, i = [], 0
    for f in sorted((REPO / "policies" / "rules").glob("*/samples/*/*.yaml")):
        for d in yaml.safe_load_all(f.read_text()):
            if d is not None:
                docs.append({"id": i, "file": str(f), "content": d, "group": str(f)})
                i += 1
    inp = tmp_path / "input.json"
    inp.write_text(json.dumps({"documents": docs}))
    out = subprocess.run([opa_bin, "eval", "-d", str(REPO / "policies"), "--ignore", "*.yaml", "--ignore",
                          "*_test.rego", "--format", "json", "-i", str(inp), "data.batch.findings"],
                         capture_output=True, text=True, check=True).stdout
    findings = json.loads(out)["result"][0]["expressions"][0]["value"]
    assert findings
    seen = set()
    for f in findings:
        assert f["rule"] in CATALOGUE and CATALOGUE[f["rule"]]["folder"], f
        assert f["severity"] == CATALOGUE[f["rule"]]["severity"], f
        seen.add(f["rule"])
    assert seen == {rid for rid, e in CATALOGUE.items() if e["folder"]}


def test_reporters_table_comes_from_the_catalogue():
    assert list(RULES) == sorted(RULES)
    assert set(RULES) == set(rule_catalogue.CATALOGUE) | set(CHECKS)
    assert title_of("AIF002") == rule_catalogue.CATALOGUE["AIF002"]["short_title"]
    assert help_of("AIF006") == rule_catalogue.CATALOGUE["AIF006"]["remediation"]
    assert readme_of("AIF007") == "policies/rules/writeback/README.md" and readme_of("AIF201") is None
    assert title_of("AIF999") == "AIF999"


@pytest.fixture
def no_tools(monkeypatch):
    """`rules` must run no tool (no opa, no helm): any process start fails the test."""
    def refuse(*a, **k):
        raise AssertionError(f"rules started a process: {a}")
    monkeypatch.setattr(subprocess, "Popen", refuse)
    monkeypatch.setattr(subprocess, "run", refuse)


def test_rules_list_text(cli, no_tools):
    r = cli("rules", "list")
    assert r.code == 0 and r.err == ""
    lines = r.out.splitlines()
    assert lines[0].split() == ["ID", "SEVERITY", "POLICY", "TITLE"]
    cuts = [lines[0].index(h) for h in ("ID", "SEVERITY", "POLICY", "TITLE")] + [None]
    rows = [[line[cuts[i]:cuts[i + 1]].strip() for i in range(4)] for line in lines[1:len(CATALOGUE) + 1]]
    assert [row[0] for row in rows] == list(CATALOGUE)
    for rid, severity, where, title in rows:
        assert severity == CATALOGUE[rid]["severity"] and title == CATALOGUE[rid]["short_title"]
    assert dict((row[0], row[2]) for row in rows)["AIF002"] == "rules/credentials_mount"
    assert "rules explain AIFnnn" in r.out


def test_rules_list_json(cli, no_tools):
    r = cli("rules", "list", "--format", "json")
    assert r.code == 0
    listed = json.loads(r.out)["rules"]
    assert [e["id"] for e in listed] == list(CATALOGUE)
    assert listed == list(CATALOGUE.values())
    assert {"AIF001", "AIF007", "AIF100", "AIF101", "AIF206", "AIF303"} <= {e["id"] for e in listed}


def test_rules_explain(cli, no_tools):
    r = cli("rules", "explain", "aif002")  # ids are case-insensitive
    assert r.code == 0
    assert r.out.startswith("AIF002 Unsafe credentials mount (severity: error)\n")
    flat = " ".join(r.out.split())
    for key in ("title", "description", "rationale", "remediation"):
        assert " ".join(CATALOGUE["AIF002"][key].split()) in flat, key
    assert "policies/rules/credentials_mount/README.md" in r.out


def test_rules_explain_shows_every_part(cli, no_tools):
    r = cli("rules", "explain", "AIF007")
    assert r.code == 0
    assert "policies/rules/writeback/rbac.rego" in r.out
    assert " ".join(CATALOGUE["AIF007"]["parts"][0]["remediation"].split()) in " ".join(r.out.split())


def test_rules_explain_json(cli, no_tools):
    r = cli("rules", "explain", "AIF205", "--format", "json")
    assert r.code == 0 and json.loads(r.out) == CATALOGUE["AIF205"]


def test_rules_explain_unknown_id(cli, no_tools):
    r = cli("rules", "explain", "AIF999")
    assert r.code == 2 and r.out == ""
    assert "unknown rule 'AIF999'" in r.err
    for rid in CATALOGUE:
        assert rid in r.err


@pytest.mark.parametrize("args", [["rules"], ["rules", "explain"], ["rules", "list", "--format", "sarif"]])
def test_rules_usage_errors(cli, no_tools, args):
    assert cli(*args).code == 2


@pytest.mark.parametrize("args", [["--help"], ["rules", "--help"], ["rules", "list", "--help"]])
def test_help_needs_no_tool(cli, no_tools, args):
    r = cli(*args)
    assert r.code == 0 and "rules" in r.out


def test_command_module_has_the_two_entry_points():
    assert callable(rules_command.add_parser) and callable(rules_command.run)


def test_one_converter_keeps_the_severity_rego_sent():
    """check, scan, audit and scan-image convert Rego's findings with rules.finding_of: the severity
    sent is kept (scan-image used to write `error` whatever the Rego said), an unknown one is an error."""
    from aifactory_policy import rules
    kept = rules.finding_of({"rule": "AIF002", "severity": "warning", "msg": "m"}, "AIF000", file="f")
    assert (kept.rule, kept.severity, kept.message, kept.file) == ("AIF002", "warning", "m", "f")
    assert kept.title == rules.title_of("AIF002") != "AIF002"
    assert rules.finding_of({"severity": "fatal"}, "AIF200").severity == "error"
    assert rules.finding_of({"severity": "fatal"}, "AIF200").message == "AIF200"
