"""Admission policy, offline: the shared samples' Rego verdicts (of the mirrored rules) match cases.yaml,
and the manifests are well formed. tests/e2e/test_admission_kind.py runs the same cases through the API
server (kubectl apply --dry-run=server) in warn and enforce modes."""
from __future__ import annotations

import json

import pytest

from helpers import REPO, sample_findings, yaml_docs, yaml_load

ADMISSION = REPO / "policies" / "admission"
CASES = yaml_load((ADMISSION / "samples" / "cases.yaml").read_text())
MIRRORED = set(CASES["rules"])
ACTIVE = [c for c in CASES["cases"] if not c.get("skip")]


def load_all(rel: str) -> list[dict]:
    return yaml_docs((ADMISSION / rel).read_text())


@pytest.mark.parametrize("case", ACTIVE, ids=[c["file"] for c in ACTIVE])
def test_rego_verdict_matches_the_shared_case(case):
    """The mirrored rules the case file gets from the one `scan --per-file` of every rule sample."""
    rules = {rule for rule, _ in sample_findings()[case["file"]]} & MIRRORED
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
