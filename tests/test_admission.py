"""Admission policy, offline: the shared samples' Rego verdicts (AIF001-AIF003) match cases.yaml,
and the manifests are well formed. tests/e2e/test_admission.py runs the same cases through the API
server (kubectl apply --dry-run=server) in warn and enforce modes."""
from __future__ import annotations

import json

import pytest

from helpers import REPO, run_cli_in, yaml_docs, yaml_load

ADMISSION = REPO / "policies" / "admission"
CASES = yaml_load((ADMISSION / "samples" / "cases.yaml").read_text())
MIRRORED = set(CASES["rules"])
ACTIVE = [c for c in CASES["cases"] if not c.get("skip")]


def load_all(rel: str) -> list[dict]:
    return yaml_docs((ADMISSION / rel).read_text())


@pytest.fixture(scope="module")
def rules_by_file():
    """The mirrored rules each case file gets from ONE `scan --per-file` of every case file."""
    files = sorted({c["file"] for c in ACTIVE})
    code, out, err = run_cli_in(REPO / "policies", "scan", "--per-file", *files, "--format", "json")
    assert code in (0, 1), err
    found = {f: set() for f in files}
    for f in json.loads(out)["findings"]:
        found[f["file"]].add(f["rule"])
    return {f: rules & MIRRORED for f, rules in found.items()}


@pytest.mark.parametrize("case", ACTIVE, ids=[c["file"] for c in ACTIVE])
def test_rego_verdict_matches_the_shared_case(rules_by_file, case):
    rules = rules_by_file[case["file"]]
    assert ("disallowed" if rules else "allowed") == case["verdict"], rules


def test_every_rule_sample_is_listed():
    listed = {c["file"] for c in CASES["cases"]}
    for rule in ("credential_material", "credentials_mount", "remote_control_env"):
        for p in (REPO / "policies" / "rules" / rule / "samples").rglob("*.yaml"):
            assert str(p.relative_to(REPO / "policies")) in listed


def test_policy_and_bindings():
    policies = load_all("policy/validating-admission-policy.yaml")
    assert [p["kind"] for p in policies] == ["ValidatingAdmissionPolicy"] * 2
    assert all(p["apiVersion"] == "admissionregistration.k8s.io/v1" for p in policies)
    names = {p["metadata"]["name"] for p in policies}
    for mode, actions in (("warn", ["Warn", "Audit"]), ("enforce", ["Deny"])):
        bindings = load_all(f"{mode}/binding.yaml")
        assert {b["spec"]["policyName"] for b in bindings} == names
        assert all(b["spec"]["validationActions"] == actions for b in bindings)
    # same binding names in both modes: applying the other file switches the mode
    assert {b["metadata"]["name"] for b in load_all("warn/binding.yaml")} == \
           {b["metadata"]["name"] for b in load_all("enforce/binding.yaml")}
    for p in policies:
        for v in p["spec"]["validations"]:
            assert v["message"].startswith(("AIF001", "AIF002", "AIF003"))
