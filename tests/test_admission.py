"""Admission policy, offline: the shared samples' Rego verdicts (of the rules it mirrors) match the
admission cases, the generated policy is what the rule folders say, and the manifests are well
formed. The cases, the mirrored rules and their messages come from the rule folders
(policies/rules/<folder>/admission.yaml, through ci/admission_policy.py), not from this file.
tests/e2e/test_admission_kind.py runs the same cases through the API server (kubectl apply
--dry-run=server) in warn and enforce modes."""
from __future__ import annotations

import pytest

from helpers import REPO, ci_module, sample_findings, yaml_docs

ADMISSION = REPO / "policies" / "admission"
GEN = ci_module("admission_policy")
BASE, RULES = GEN.load()
CASES = GEN.cases(BASE, RULES)
MIRRORED = {r.id for r in RULES}
ACTIVE = [c for c in CASES if not c.get("skip")]


def load_all(rel: str) -> list[dict]:
    return yaml_docs((ADMISSION / rel).read_text())


@pytest.mark.parametrize("case", ACTIVE, ids=[c["file"] for c in ACTIVE])
def test_rego_verdict_matches_the_shared_case(case):
    """The mirrored rules the case file gets from the one `scan --per-file` of every rule sample."""
    rules = {rule for rule, _ in sample_findings()[case["file"]]} & MIRRORED
    assert ("disallowed" if rules else "allowed") == case["verdict"], rules


def test_every_sample_of_a_mirrored_rule_is_a_case():
    """A sample admission cannot judge is still listed, with why (its rule's skip or the kind)."""
    listed = {c["file"] for c in CASES}
    assert MIRRORED and all(c.get("skip") is None or c["skip"].strip() for c in CASES)
    for r in RULES:
        for p in r.folder.glob("samples/*/*.yaml"):
            assert str(p.relative_to(REPO / "policies")) in listed
    assert {c["file"] for c in CASES if c["rule"] is None} == {
        str(p.relative_to(REPO / "policies")) for p in (ADMISSION / "samples").glob("*/*.yaml")}
    # each mirrored rule has an allowed and a disallowed sample that the API server judges
    for rid in MIRRORED:
        assert {c["verdict"] for c in ACTIVE if c["rule"] == rid} == {"allowed", "disallowed"}, rid


def test_the_generated_policy_is_up_to_date():
    """policy/validating-admission-policy.yaml and the README table are ci/admission_policy.py's."""
    stale = [str(p.relative_to(REPO)) for p, text in GEN.wanted().items() if p.read_text(encoding="utf-8") != text]
    assert not stale, f"run ci/admission_policy.py: {stale}"


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
    prefixes = tuple(f"{rid}: " for rid in MIRRORED)
    by_rule = {rid: 0 for rid in MIRRORED}
    for p in policies:
        for v in p["spec"]["validations"]:
            assert v["message"].startswith(prefixes)
            by_rule[v["message"].split(":", 1)[0]] += 1
    assert all(by_rule.values()), by_rule   # every mirrored rule has a validation in the policy


def test_each_rule_adds_its_own_cel_in_rule_order():
    """The policy is base.yaml's frame plus each mirrored rule's lists, rule by rule in id order."""
    policies = {p["metadata"]["name"]: p for p in load_all("policy/validating-admission-policy.yaml")}
    for name, base in BASE.doc.items():
        got = policies[name]["spec"]
        shared = base["spec"].get("variables") or []
        assert got["variables"][:len(shared)] == shared
        own = [(r.id, v) for r in RULES if name in r.doc for v in r.doc[name].get("variables") or []]
        assert got["variables"][len(shared):] == [v for _, v in own]
        order = [v["message"].split(":", 1)[0] for v in got["validations"]]
        assert order == sorted(order)


@pytest.mark.parametrize("broken, message", [
    ("aifactory-claude-credentials-pods:\n  denies: x\n  validations:\n    - expression: 'true'\n      message: 'AIF001: x'\n",
     "not a policy of policies/admission/base.yaml"),
    ("skip:\n  samples/allowed/nope.yaml: why\n", "skip: samples/allowed/nope.yaml: no such sample"),
    ("- a list\n", "a mapping of policy names (and `skip`), not a list"),
    ("aifactory-claude-credentials-configmaps:\n  denies: x\n  validations:\n    - expression: 'true'\n"
     "      message: 'AIF002: not my id'\n", "message must start with 'AIF001: '"),
])
def test_a_broken_admission_yaml_names_its_file_and_key(tmp_path, broken, message):
    import shutil
    root = tmp_path / "repo"
    for part in ("ci", "policies"):
        shutil.copytree(REPO / part, root / part, ignore=shutil.ignore_patterns("__pycache__"))
    (root / "policies" / "rules" / "credential_material" / "admission.yaml").write_text(broken)
    gen = ci_module("admission_policy", root)
    with pytest.raises(SystemExit) as exc:
        gen.load()
    assert "policies/rules/credential_material/admission.yaml" in str(exc.value) and message in str(exc.value)


def test_a_custom_resource_case_names_the_crds_it_needs(tmp_path):
    """The cluster test installs stand-ins for them; Kubernetes' own groups need none."""
    sample = tmp_path / "sample.yaml"
    sample.write_text("apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: a}\n---\n"
                      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: b}\n---\n"
                      "apiVersion: autoscaling.k8s.io/v1\nkind: VerticalPodAutoscaler\nmetadata: {name: c}\n---\n"
                      "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: d}\n---\n"
                      "apiVersion: keda.sh/v1alpha1\nkind: ScaledJob\nmetadata: {name: e}\n")
    assert GEN.crds(sample) == ["rollouts.argoproj.io", "scaledjobs.keda.sh", "services.serving.knative.dev"]
