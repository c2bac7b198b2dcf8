"""Admission policy, offline: the shared samples' Rego verdicts (AIF001-AIF003) match cases.yaml,
and the manifests are well formed. tests/e2e/test_admission.py runs the same cases through the API
server (kubectl apply --dry-run=server) in warn and enforce modes."""
from __future__ import annotations

import json

import pytest
import yaml

from helpers import REPO

ADMISSION = REPO / "policies" / "admission"
CASES = yaml.safe_load((ADMISSION / "samples" / "cases.yaml").read_text())
MIRRORED = set(CASES["rules"])
ACTIVE = [c for c in CASES["cases"] if not c.get("skip")]


def load_all(rel: str) -> list[dict]:
    return [d for d in yaml.safe_load_all((ADMISSION / rel).read_text()) if d]


@pytest.mark.parametrize("case", ACTIVE, ids=[c["file"] for c in ACTIVE])
def test_rego_verdict_matches_the_shared_case(cli, tmp_path, case):
    out = tmp_path / "r.json"
    res = cli("scan", REPO / "policies" / case["file"], "--format", "json", "--output", out)
    assert res.code in (0, 1), res.err
    rules = {f["rule"] for f in json.loads(out.read_text())["findings"]} & MIRRORED
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
