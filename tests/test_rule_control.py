"""Rule control: the config file found from the working directory upward, --config/--no-config,
--rules/--skip over it, severity overrides, waivers (the audit's format; an expired one is an AIF102
finding) and the waiver annotation on an object. Real OPA and the real policies throughout."""
from __future__ import annotations

import datetime as dt
import json
import string

import pytest

from aifactory_policy import rulecontrol
from aifactory_policy.audit import waivers as audit_waivers
from aifactory_policy.findings import EvaluationError, Finding
from helpers import REPO, property_settings, run_cli_in, write

SAMPLE = (REPO / "policies/rules/pod_security/samples/disallowed/daemonset-no-security-context.yaml").read_text()
TODAY = rulecontrol.today()
FUTURE = (TODAY + dt.timedelta(days=365)).isoformat()
PAST = (TODAY - dt.timedelta(days=1)).isoformat()


def annotated(**annotations: str) -> str:
    """The AIF004 sample (a DaemonSet with no securityContext: 4 AIF004 findings) with annotations."""
    lines = "".join(f'    {k}: "{v}"\n' for k, v in annotations.items())
    return SAMPLE.replace("  labels:\n", "  annotations:\n" + lines + "  labels:\n", 1)


def scan(folder, *args):
    code, out, err = run_cli_in(folder, "scan", "deploy", "--format", "json", *args)
    assert code in (0, 1), err
    return code, json.loads(out)


def rules_of(report, key="findings"):
    return sorted(f["rule"] for f in report[key])


@pytest.fixture
def project(tmp_path):
    write(tmp_path / "deploy" / "agent.yaml", SAMPLE)
    return tmp_path


def test_no_config_reports_every_rule(project, opa_bin):
    code, report = scan(project)
    assert code == 1 and rules_of(report) == ["AIF004"] * 4
    assert not any(n.startswith("config:") for n in report["notes"])
    assert "AIF004" in report["rules"] and "AIF301" not in report["rules"]  # scan does not run image rules


def test_config_found_from_a_subfolder_upward(project, opa_bin):
    write(project / ".aifactory-policy.yaml", "skip: [AIF004]\n")
    sub = project / "deploy"
    code, out, err = run_cli_in(sub, "scan", "agent.yaml")
    assert code == 0, out + err
    assert "note: config: ../.aifactory-policy.yaml" in out
    assert "4 finding(s) of rules not selected (AIF004) not reported" in out


def test_flags_win_over_the_config(project, opa_bin):
    write(project / ".aifactory-policy.yaml", "skip: [AIF004]\n")
    code, report = scan(project, "--skip", "AIF006")          # --skip replaces the file's skip
    assert code == 1 and rules_of(report) == ["AIF004"] * 4
    assert "config: .aifactory-policy.yaml (--skip given on the command line)" in report["notes"]
    code, report = scan(project, "--no-config")
    assert code == 1 and not any(n.startswith("config:") for n in report["notes"])
    code, report = scan(project, "--rules", "AIF001,AIF002")  # only these run: AIF004 is not reported
    assert code == 0 and report["findings"] == []
    assert "AIF004" not in report["rules"] and {"AIF001", "AIF002"} <= set(report["rules"])


def test_explicit_config_and_severity_override(project, tmp_path_factory, opa_bin):
    cfg = write(tmp_path_factory.mktemp("elsewhere") / "policy.yaml", "severity: {'AIF00*': warning}\n")
    code, report = scan(project, "--config", cfg)
    assert code == 0 and {f["severity"] for f in report["findings"]} == {"warning"}
    assert f"config: {cfg}" in report["notes"]


def test_waiver_by_resource_and_expired_waiver_is_a_finding(project, opa_bin):
    write(project / ".aifactory-policy.yaml",
          f"waivers:\n"
          f"- {{rule: AIF004, target: 'DaemonSet/aifactory/*', reason: node agent until v2, expires: {FUTURE}}}\n"
          f"- {{rule: AIF002, target: 'deploy/*.yaml', reason: old exemption, expires: {PAST}}}\n")
    code, report = scan(project)
    assert rules_of(report, "waived") == ["AIF004"] * 4
    assert all("node agent until v2" in w["waived_by"] for w in report["waived"])
    [expired] = report["findings"]
    assert expired["rule"] == "AIF102" and expired["severity"] == "warning"
    assert f"expired on {PAST}" in expired["message"] and expired["file"] == ".aifactory-policy.yaml"
    assert code == 0 and report["summary"]["waived"] == 4


def test_waiver_by_file_glob(project, opa_bin):
    write(project / ".aifactory-policy.yaml",
          f"waivers:\n- {{rule: 'AIF*', target: 'deploy/agent.yaml', reason: r, expires: {FUTURE}}}\n")
    code, report = scan(project)
    assert code == 0 and report["findings"] == [] and len(report["waived"]) == 4


def test_annotation_waives_one_rule_for_that_object(project, opa_bin):
    write(project / "deploy" / "agent.yaml",
          annotated(**{"aifactory.dev/waive-AIF004": f"reason=host agent, reviewed by sec; expires={FUTURE}"}))
    write(project / "deploy" / "other.yaml", SAMPLE.replace("name: agent", "name: other"))
    code, report = scan(project)
    assert code == 1
    assert {f["resource"] for f in report["findings"]} == {"DaemonSet/aifactory/other"}   # not waived there
    assert {w["resource"] for w in report["waived"]} == {"DaemonSet/aifactory/agent"}
    assert all("(annotation, until" in w["waived_by"] for w in report["waived"])


@pytest.mark.parametrize("value, says", [
    (f"reason=x; expires={PAST}", f"expired on {PAST}"),
    ("reason=x", "no expiry"),
    (f"expires={FUTURE}", "no reason"),
    (f"reason=a; until={FUTURE}", "is not reason=... or expires"),
    ("reason=x; expires=31/01/2027", "is not a date"),
])
def test_bad_annotation_is_a_finding_and_waives_nothing(project, opa_bin, value, says):
    write(project / "deploy" / "agent.yaml", annotated(**{"aifactory.dev/waive-AIF004": value}))
    code, report = scan(project)
    assert code == 1 and rules_of(report).count("AIF004") == 4 and report["waived"] == []
    [problem] = [f for f in report["findings"] if f["rule"] == "AIF102"]
    assert says in problem["message"] and problem["line"] and problem["resource"] == "DaemonSet/aifactory/agent"


def test_annotation_for_an_unknown_rule_is_a_finding(project, opa_bin):
    write(project / "deploy" / "agent.yaml", annotated(**{"aifactory.dev/waive-AIF999": f"reason=x; expires={FUTURE}"}))
    _, report = scan(project)
    assert any(f["rule"] == "AIF102" and "not a rule" in f["message"] for f in report["findings"])


@pytest.mark.parametrize("text, says", [
    ("skip: [AIF9]\n", "matches no rule"),
    ("severity: {AIF004: fatal}\n", "is not one of"),
    ("skipp: [AIF004]\n", "unknown key(s) skipp"),
    ("waivers:\n- {rule: AIF004, target: x, expires: 2030-01-01}\n", "missing reason"),
    ("waivers:\n- {rule: AIF004, target: x, reason: r, expires: soon}\n", "is not a date"),
    ("[1, 2\n", "not YAML"),
])
def test_a_bad_config_stops_the_run(project, text, says):
    write(project / ".aifactory-policy.yaml", text)
    code, out, err = run_cli_in(project, "scan", "deploy")
    assert code == 2 and says in err and out == ""


def test_unknown_rule_on_the_command_line_names_the_rules(project):
    code, _, err = run_cli_in(project, "scan", "deploy", "--skip", "AIF9")
    assert code == 2 and "'AIF9' matches no rule; the rules are AIF001" in err


def test_one_file_serves_the_audit(tmp_path, opa_bin):
    """The config's waivers: key is what audit --waivers reads (a mapping with `waivers`)."""
    cfg = write(tmp_path / ".aifactory-policy.yaml",
                "skip: [AIF006]\nwaivers:\n- {rule: AIF203, target: team-a/RoleBinding/dev-*, reason: r, "
                "expires: 2025-07-31}\n")
    [w] = audit_waivers.load(str(cfg))
    assert (w.rule, w.target, w.expires) == ("AIF203", "team-a/RoleBinding/dev-*", dt.date(2025, 7, 31))


# ------------------------------------------------------------------ properties (no tools)

def _finding(rule="AIF004", file="deploy/a.yaml", resource="Deployment/ns/a"):
    return Finding(rule, "error", "m", file=file, resource=resource)


def test_property_a_literal_target_matches_its_own_file_and_resource():
    from hypothesis import given, strategies as st

    name = st.text(alphabet=string.ascii_letters + string.digits + "-_./ ", min_size=1, max_size=30)

    @property_settings(200)
    @given(file=name, resource=name)
    def prop(file, resource):
        f = _finding(file=file, resource=resource)
        for target in (file, resource):
            escaped = "".join(f"[{c}]" if c in "*?[" else c for c in target)
            assert rulecontrol.Waiver("AIF004", escaped, "r", TODAY).matches(f)
            assert rulecontrol.Waiver("AIF004", "*", "r", TODAY).matches(f)
            assert not rulecontrol.Waiver("AIF005", escaped, "r", TODAY).matches(f)
        other = file + "x" if file + "x" != resource else file + "y"
        assert not rulecontrol.Waiver("AIF004", other.replace("*", "[*]").replace("?", "[?]"), "r",
                                      TODAY).matches(_finding(file=file, resource=None))
    prop()


def test_property_expiry_is_inclusive():
    from hypothesis import given, strategies as st

    @property_settings(200)
    @given(expires=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 1, 1)),
           delta=st.integers(min_value=-400, max_value=400))
    def prop(expires, delta):
        on = expires + dt.timedelta(days=delta)
        w = rulecontrol.Waiver("AIF004", "*", "r", expires)
        kept, waived, expired = rulecontrol.apply_waivers([_finding()], [w], on)
        assert (len(waived) == 1) == (on <= expires)       # the expiry day itself still waives
        assert (expired == [w]) == (on > expires) and len(kept) + len(waived) == 1
    prop()


def test_property_annotation_round_trip_and_garbage():
    from hypothesis import given, strategies as st

    reason = st.text(alphabet=st.characters(blacklist_characters=";\n\r", blacklist_categories=("Cs",)),
                     min_size=1, max_size=40).filter(lambda s: s.strip())
    rule = st.sampled_from(rulecontrol.known_rules())

    @property_settings(200)
    @given(rule=rule, reason=reason, expires=st.dates(), swap=st.booleans(), spaces=st.sampled_from(["", " ", "  "]))
    def prop(rule, reason, expires, swap, spaces):
        parts = [f"reason={reason}", f"expires={expires.isoformat()}"]
        value = (";" + spaces).join(reversed(parts) if swap else parts)
        w = rulecontrol.parse_annotation(rulecontrol.ANNOTATION_PREFIX + rule, value)
        assert (w.rule, w.reason, w.expires) == (rule, reason.strip(), expires)
    prop()

    @property_settings(300)
    @given(value=st.text(max_size=60))
    def garbage(value):
        try:
            w = rulecontrol.parse_annotation(rulecontrol.ANNOTATION_PREFIX + "AIF004", value)
        except ValueError as exc:
            assert str(exc)
        else:  # only a value with a reason and an ISO date parses
            flat = "".join(value.lower().split())
            assert w.reason and "reason=" in flat and f"expires={w.expires.isoformat()}" in flat
    garbage()


def test_property_dates_parse_only_iso():
    from hypothesis import given, strategies as st

    @property_settings(300)
    @given(text=st.text(max_size=12))
    def prop(text):
        try:
            d = rulecontrol.parse_date(text, "x")
        except EvaluationError:
            return
        assert d.isoformat() == text.strip()
    prop()
