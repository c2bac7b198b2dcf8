"""The chart's PrometheusRule for broker installs, rendered by the real Helm and run through the real
`promtool test rules` (Prometheus' own rule unit tests, built from its Go module at the pinned
version): each alert fires on the series that mean it, at the time its `for` says, and not on a
healthy broker. The metric names are the broker's own (charts/aifactory/files/broker_metrics.py)."""
from __future__ import annotations

import re
import subprocess

import pytest
import yaml

from chart_render import render, render_result
from helpers import REPO

PROMTOOL = REPO / "bin" / "promtool"
SERVICE = 't-aifactory-credentials-broker-metrics'
SEL = f'namespace="aifactory", service="{SERVICE}"'
OTHER = 'namespace="aifactory", service="healthy-aifactory-credentials-broker-metrics"'


def rule_groups(*sets: str) -> dict:
    extra = [a for s in sets for a in ("--set", s)]
    out = render("helm3", "--set", "remoteControl.enabled=true", "--set", "remoteControl.credentialsSecretName=c",
                 "--set", "remoteControl.broker.metrics.prometheusRule.enabled=true", *extra)
    return {"groups": out.one("PrometheusRule")["spec"]["groups"]}


def alert(name: str, severity: str, **labels) -> dict:
    return {"exp_labels": {"severity": severity, "namespace": "aifactory", "service": SERVICE, **labels}}


TESTS = {"rule_files": ["rules.yaml"], "evaluation_interval": "1m", "tests": [
    {"name": "login ends within 7 days; one that ends in 8 does not", "interval": "1m",
     "input_series": [
         {"series": f"aifactory_broker_login_end_timestamp_seconds{{{SEL}}}", "values": "518400x30"},   # 6 days
         {"series": f"aifactory_broker_login_end_timestamp_seconds{{{OTHER}}}", "values": "691200x30"}],  # 8 days
     "alert_rule_test": [
         {"eval_time": "9m", "alertname": "AIFactoryClaudeLoginEndsSoon", "exp_alerts": []},
         {"eval_time": "10m", "alertname": "AIFactoryClaudeLoginEndsSoon",
          "exp_alerts": [alert("AIFactoryClaudeLoginEndsSoon", "warning")]}]},
    {"name": "a refused refresh pages at once", "interval": "1m",
     "input_series": [{"series": f"aifactory_broker_login_refused{{{SEL}}}", "values": "0 0 0 0 0 1 1 1 1 1"},
                      {"series": f"aifactory_broker_login_refused{{{OTHER}}}", "values": "0x9"}],
     "alert_rule_test": [
         {"eval_time": "4m", "alertname": "AIFactoryClaudeRefreshRefused", "exp_alerts": []},
         {"eval_time": "5m", "alertname": "AIFactoryClaudeRefreshRefused",
          "exp_alerts": [alert("AIFactoryClaudeRefreshRefused", "critical")]}]},
    {"name": "no refresh while the agents' token is about to expire; a refreshed one is quiet", "interval": "1m",
     "input_series": [
         {"series": f"aifactory_broker_access_token_expiry_timestamp_seconds{{{SEL}}}", "values": "900x20"},
         {"series": f"aifactory_broker_access_token_expiry_timestamp_seconds{{{OTHER}}}",
          "values": "900 900 900 900 900 100000x15"}],
     "alert_rule_test": [
         # below 600 s left from 6m (540 s), pending for 2m: firing at 8m, 7 min before the expiry
         {"eval_time": "7m", "alertname": "AIFactoryClaudeAccessTokenNotRefreshed", "exp_alerts": []},
         {"eval_time": "8m", "alertname": "AIFactoryClaudeAccessTokenNotRefreshed",
          "exp_alerts": [alert("AIFactoryClaudeAccessTokenNotRefreshed", "critical")]}]},
    {"name": "broker down: no target up, or no replica holding the Lease", "interval": "1m",
     "input_series": [
         {"series": f'up{{{SEL}, pod="b-1"}}', "values": "1 1 0x15"},
         {"series": f'aifactory_broker_leader{{{SEL}, pod="b-1"}}', "values": "1 1"},
         {"series": f'up{{{OTHER}, pod="h-1"}}', "values": "1x17"},
         {"series": f'aifactory_broker_leader{{{OTHER}, pod="h-1"}}', "values": "0x17"},
         {"series": f'up{{{OTHER}, pod="h-2"}}', "values": "1x17"},
         {"series": f'aifactory_broker_leader{{{OTHER}, pod="h-2"}}', "values": "1x17"}],
     "alert_rule_test": [
         {"eval_time": "6m", "alertname": "AIFactoryClaudeBrokerDown", "exp_alerts": []},
         {"eval_time": "7m", "alertname": "AIFactoryClaudeBrokerDown",
          "exp_alerts": [alert("AIFactoryClaudeBrokerDown", "critical")]}]},
    {"name": "no broker target at all: service discovery drops the target with its pod (scaled to 0)",
     "interval": "1m",
     "input_series": [
         {"series": f'up{{{SEL}, pod="b-1"}}', "values": "1 1 stale"},
         {"series": f'aifactory_broker_leader{{{SEL}, pod="b-1"}}', "values": "1 1 stale"},
         {"series": f'up{{{OTHER}, pod="h-1"}}', "values": "1x17"},
         {"series": f'aifactory_broker_leader{{{OTHER}, pod="h-1"}}', "values": "1x17"}],
     "alert_rule_test": [
         {"eval_time": "6m", "alertname": "AIFactoryClaudeBrokerDown", "exp_alerts": []},
         {"eval_time": "7m", "alertname": "AIFactoryClaudeBrokerDown",
          "exp_alerts": [alert("AIFactoryClaudeBrokerDown", "critical")]}]},
]}


@pytest.fixture(scope="module")
def promtool() -> str:
    if not PROMTOOL.exists():
        pytest.fail("bin/promtool is missing: run ci/bootstrap (it builds promtool from the Prometheus Go module)")
    return str(PROMTOOL)


def run(promtool: str, tmp_path, tests: dict, *sets: str) -> subprocess.CompletedProcess:
    groups = rule_groups(*sets)
    annotations = {r["alert"]: r["annotations"] for g in groups["groups"] for r in g["rules"]}
    tests = yaml.safe_load(yaml.safe_dump(tests))
    for case in tests["tests"]:
        for check in case["alert_rule_test"]:
            for expected in check["exp_alerts"]:
                expected["exp_annotations"] = annotations[check["alertname"]]
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(groups))
    (tmp_path / "tests.yaml").write_text(yaml.safe_dump(tests))
    return subprocess.run([promtool, "test", "rules", "tests.yaml"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)


def test_rules_are_valid_prometheus_rules(promtool, tmp_path):
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(rule_groups()))
    proc = subprocess.run([promtool, "check", "rules", "rules.yaml"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0 and "4 rules found" in proc.stdout, proc.stdout + proc.stderr


def test_each_alert_fires_when_and_only_when_it_should(promtool, tmp_path):
    proc = run(promtool, tmp_path, TESTS)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_broker_down_waits_the_configured_for(promtool, tmp_path):
    """`brokerDownFor` is the alert's `for:` (the cluster test sets seconds): 2m instead of 5m fires at 4m."""
    down = next(c for c in TESTS["tests"] if c["name"].startswith("broker down"))
    case = {**down, "alert_rule_test": [
        {"eval_time": "3m", "alertname": "AIFactoryClaudeBrokerDown", "exp_alerts": []},
        {"eval_time": "4m", "alertname": "AIFactoryClaudeBrokerDown",
         "exp_alerts": [alert("AIFactoryClaudeBrokerDown", "critical")]}]}
    proc = run(promtool, tmp_path, {**TESTS, "tests": [case]}, "remoteControl.broker.metrics.prometheusRule.brokerDownFor=2m")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert run(promtool, tmp_path, {**TESTS, "tests": [case]}).returncode == 1   # the default 5m: not yet at 4m


def test_broker_down_for_must_be_a_prometheus_duration():
    proc = render_result("helm3", "--set", "remoteControl.enabled=true", "--set", "remoteControl.credentialsSecretName=c",
                         "--set", "remoteControl.broker.metrics.prometheusRule.enabled=true",
                         "--set", "remoteControl.broker.metrics.prometheusRule.brokerDownFor=5 minutes")
    assert proc.returncode != 0 and "brokerDownFor" in proc.stderr, proc.stderr


def test_the_unit_tests_can_fail(promtool, tmp_path):
    """The same tests against a healthy broker's series expect alerts that must not come: promtool fails."""
    wrong = yaml.safe_load(yaml.safe_dump(TESTS))
    for case in wrong["tests"]:
        case["alert_rule_test"][0]["exp_alerts"] = case["alert_rule_test"][1]["exp_alerts"]
    proc = run(promtool, tmp_path, wrong)
    assert proc.returncode == 1 and proc.stdout.count("FAILED") + proc.stderr.count("FAILED") >= 1


def test_alerts_read_only_metrics_the_broker_exports():
    exported = set(re.findall(r'"(\w+)"', (REPO / "charts/aifactory/files/broker_metrics.py").read_text()))
    names = {f"aifactory_broker_{n}" for n in exported}
    for group in rule_groups()["groups"]:
        for rule in group["rules"]:
            used = set(re.findall(r"aifactory_broker_\w+", rule["expr"]))
            assert used and used <= names, (rule["alert"], used - names)
