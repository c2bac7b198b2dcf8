"""The CLI against the project's real chart (charts/aifactory) and real policies (policies/).

Skipped until those parts exist; they are the contract's other halves (docs/design.md).
"""
import json

import pytest

from helpers import REPO

CHART = REPO / "charts" / "aifactory"
POLICIES = REPO / "policies"
EXAMPLES = sorted((REPO / "values-examples").glob("*-values.yaml"))
RULE_DIRS = sorted(p for p in (POLICIES / "rules").glob("*") if (p / "policy.rego").is_file())

needs_chart = pytest.mark.skipif(not (CHART / "Chart.yaml").is_file(), reason="charts/aifactory not there yet")
needs_policies = pytest.mark.skipif(not list((POLICIES / "batch").glob("*.rego")),
                                    reason="policies/batch not there yet")


# Known disagreement between chart and policies, reported to the lead: in writeBack mode the
# chart's helm-test Pod (templates/tests/credentials-probe.yaml) mounts ~/.claude writable
# without the credentials-writeback sidecar, and AIF007 rejects it.
KNOWN = {"production-hardened-values.yaml": "chart test pod vs AIF007 (writeBack), see comment"}


@needs_chart
@needs_policies
@pytest.mark.parametrize("example", [
    pytest.param(e, marks=pytest.mark.xfail(reason=KNOWN[e.name], strict=False)) if e.name in KNOWN else e
    for e in EXAMPLES], ids=lambda p: p.name)
def test_values_examples_pass(cli, example):
    r = cli("check", CHART, "-f", example, "--format", "json")
    assert r.code == 0, r.out + r.err


@needs_chart
@needs_policies
def test_guard_from_real_chart(cli):
    r = cli("check", CHART, "--set", "remoteControl.enabled=true", "--format", "json")
    assert r.code == 1, r.err
    rules = {f["rule"] for f in json.loads(r.out)["findings"]}
    assert "AIF101" in rules


@needs_chart
@needs_policies
def test_schema_from_real_chart(cli):
    r = cli("check", CHART, "--set", "remoteControl.mode=sometimes", "--format", "json")
    assert r.code == 1, r.err
    found = json.loads(r.out)["findings"]
    assert [f["path"] for f in found if f["rule"] == "AIF100"] == ["remoteControl.mode"]


def _rule_id(rule_dir):
    import re
    m = re.search(r'"rule":\s*"(AIF\d+)"', (rule_dir / "policy.rego").read_text())
    return m.group(1) if m else None


@needs_policies
@pytest.mark.parametrize("rule_dir", RULE_DIRS, ids=lambda p: p.name)
def test_policy_samples_through_scan(cli, rule_dir):
    """Disallowed samples raise the folder's rule, allowed ones do not (one scan per folder)."""
    rule = _rule_id(rule_dir)
    disallowed = sorted((rule_dir / "samples" / "disallowed").glob("*.yaml"))
    allowed = sorted((rule_dir / "samples" / "allowed").glob("*.yaml"))
    if rule is None or not (allowed or disallowed):
        pytest.skip("no rule id or samples yet")
    if "cross_document := true" in (rule_dir / "policy.rego").read_text():
        # samples of a cross-document rule relate to each other when scanned together (an
        # autoscaler in one sample scales the Deployment of another); `opa test` covers them
        pytest.skip("cross-document rule: samples are checked one by one by the policy suite")
    r = cli("scan", *allowed, *disallowed, "--format", "json")
    assert r.code in (0, 1), r.err
    hit = {f["file"] for f in json.loads(r.out)["findings"] if f["rule"] == rule}
    for s in disallowed:
        assert str(s) in hit, f"{s.name} should raise {rule}"
    for s in allowed:
        assert str(s) not in hit, f"{s.name} should not raise {rule}"
