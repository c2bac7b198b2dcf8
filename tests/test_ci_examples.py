"""The CI integrations: action.yml (composite GitHub Action), docs/ci/github-workflow.yml and
docs/ci/gitlab-ci.yml parse, and every aifactory-policy command line in them is one the CLI accepts
(its real parser), with the report formats and files the CI reads."""
from __future__ import annotations

import re
import shlex

import pytest

from aifactory_policy.cli import build_parser
from helpers import REPO, yaml_load

ACTION = yaml_load((REPO / "action.yml").read_text())
WORKFLOW = yaml_load((REPO / "docs" / "ci" / "github-workflow.yml").read_text())
GITLAB = yaml_load((REPO / "docs" / "ci" / "gitlab-ci.yml").read_text())


def command_lines(script: str) -> list[str]:
    return [line.strip() for line in script.splitlines() if line.strip().startswith("aifactory-policy ")]


def accepted(line: str, **env: str) -> object:
    """Parse `line` with the CLI's parser after putting example values in its $VARs and dropping
    shell redirections and `|| rc=$?`; argparse exits (SystemExit) on an unknown flag."""
    line = re.sub(r"\s*(\|\|.*|>/dev/null)$", "", line)
    words = shlex.split(line)[1:]
    out = []
    for w in words:
        m = re.fullmatch(r"\$(\w+)", w)
        out += shlex.split(env[m.group(1)]) if m else [re.sub(r"\$(\w+)", lambda v: env[v.group(1)], w)]
    return build_parser().parse_args(out)


def test_action_is_a_composite_action_with_the_inputs_the_workflow_uses():
    assert ACTION["runs"]["using"] == "composite"
    inputs = ACTION["inputs"]
    for job in WORKFLOW["jobs"].values():
        [use] = [s for s in job["steps"] if str(s.get("uses", "")).startswith("aifactory/aifactory-chart@")]
        assert set(use["with"]) <= set(inputs), set(use["with"]) - set(inputs)
    steps = ACTION["runs"]["steps"]
    [upload] = [s for s in steps if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif@")]
    assert upload["with"]["category"] == "${{ inputs.category }}"
    assert upload["with"]["sarif_file"] == "${{ inputs.sarif-file }}"


@pytest.mark.parametrize("command, paths, args", [("scan", ".", ""), ("check", "charts/aifactory -f v.yaml", "--skip AIF006"),
                                                  ("scan", "deploy/ values/", "--config ci/p.yaml --rules AIF00*")])
def test_action_runs_real_flags(command, paths, args):
    [run] = [s for s in ACTION["runs"]["steps"] if s.get("id") == "run"]
    lines = command_lines(run["run"])
    assert len(lines) == 2
    formats = []
    for line in lines:
        ns = accepted(line, COMMAND=command, PATHS=paths, ARGS=args, SARIF="a.sarif", JUNIT="a.xml")
        assert ns.command == command
        formats.append((ns.format, ns.output))
    assert formats == [("sarif", "a.sarif"), ("junit", "a.xml")]


def test_workflow_uploads_with_distinct_categories_and_may_write_security_events():
    assert WORKFLOW["permissions"]["security-events"] == "write"
    categories = [s["with"].get("category") for job in WORKFLOW["jobs"].values() for s in job["steps"]
                  if str(s.get("uses", "")).startswith("aifactory/")]
    assert all(categories) and len(set(categories)) == len(categories)
    for job in WORKFLOW["jobs"].values():
        for s in job["steps"]:
            if str(s.get("uses", "")).startswith("aifactory/"):
                w = s["with"]
                accepted(f"aifactory-policy {w['command']} {w['paths']} {w.get('args', '')} --format sarif")


def test_gitlab_example_writes_the_junit_reports_it_publishes():
    job = GITLAB["aifactory-policy"]
    lines = [line for s in job["script"] for line in command_lines(s)]
    assert lines
    written = []
    for line in lines:
        ns = accepted(line)
        assert ns.format == "junit"
        written.append(ns.output)
    assert sorted(written) == sorted(job["artifacts"]["reports"]["junit"])
    assert job["artifacts"]["when"] == "always"
