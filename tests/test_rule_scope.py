"""AIF004 and AIF007 judge what holds or can reach the Claude credentials, and every pod of this
chart: the chart's own pods stay covered in every mode (Remote Control off included) once their
securityContext is removed, while ordinary workloads and Roles of other charts (the rule samples
other-chart-*.yaml) are not findings."""
from __future__ import annotations

import json

import pytest
import yaml

from chart_render import render
from helpers import run_cli_in, sample_findings

VALUES = {
    "remote control off": [],
    "readOnly": ["--set", "remoteControl.enabled=true", "--set", "remoteControl.credentialsSecretName=s"],
    "writeBack": ["--set", "remoteControl.enabled=true", "--set", "remoteControl.credentialsSecretName=s",
                  "--set", "remoteControl.mode=writeBack"],
}
POD_PATHS = {"Deployment": ("spec", "template", "spec"), "Pod": ("spec",)}


def strip_security(doc: dict) -> None:
    spec = doc
    for key in POD_PATHS[doc["kind"]]:
        spec = spec[key]
    spec.pop("securityContext", None)
    for c in spec.get("containers", []) + spec.get("initContainers", []):
        c.pop("securityContext", None)


@pytest.mark.parametrize("values", sorted(VALUES))
def test_the_charts_own_pods_stay_covered(tmp_path, values):
    docs = render("helm4", *VALUES[values]).docs
    pods = [d for d in docs if d["kind"] in POD_PATHS]
    assert pods
    for d in pods:
        strip_security(d)
    (tmp_path / "chart.yaml").write_text(yaml.safe_dump_all(docs))
    code, out, err = run_cli_in(tmp_path, "scan", "chart.yaml", "--format", "json")
    assert code == 1, err
    flagged = {f["resource"] for f in json.loads(out)["findings"] if f["rule"] == "AIF004"}
    assert flagged == {f"{d['kind']}/{d['metadata']['namespace']}/{d['metadata']['name']}" for d in pods}


@pytest.mark.parametrize("sample", ["rules/pod_security/samples/allowed/other-chart-nginx.yaml",
                                    "rules/writeback/samples/allowed/other-chart-secret-controller.yaml"])
def test_other_charts_workloads_and_roles_are_not_findings(sample):
    assert sample_findings()[sample] == frozenset()
