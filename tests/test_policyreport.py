"""`audit --format policyreport` (wgpolicyk8s.io/v1alpha2) and the chart's audit CronJob, offline:
the reports of the recorded dump validate against the test CRDs with unknown fields refused, every
finding is one result in the right report, the severity mapping and waivers (skip) hold, and the
chart renders the CronJob with its own narrow RBAC under restricted Pod Security. The CronJob
publishing in a real cluster: tests/e2e/test_policyreport_kind.py."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

import audit_dump
from aifactory_policy.findings import Finding, Report
from aifactory_policy.reporters import policyreport
from chart_render import render, render_error

DUMP = Path(__file__).resolve().parent / "data" / "audit" / "planted"
CRDS = Path(__file__).resolve().parent / "data" / "policyreport" / "crds.yaml"
CRONJOB = ["--set", "audit.cronJob.enabled=true", "--set", "audit.cronJob.image.repository=example/audit",
           "--set", "audit.cronJob.image.tag=v1"]


def _closed(schema):
    """The CRD schema with unknown fields refused (the API server would prune them silently)."""
    if isinstance(schema, dict):
        out = {k: _closed(v) for k, v in schema.items() if k != "format"}
        if schema.get("type") == "object" and "properties" in schema and "additionalProperties" not in schema:
            out["additionalProperties"] = False
        return out
    return [_closed(v) for v in schema] if isinstance(schema, list) else schema


def crd_schemas() -> dict:
    return {d["spec"]["names"]["kind"]: _closed(d["spec"]["versions"][0]["schema"]["openAPIV3Schema"])
            for d in yaml.safe_load_all(CRDS.read_text())}


def published(cli, *extra) -> tuple[int, dict]:
    res = cli("audit", "--from-dump", DUMP, "--now", audit_dump.NOW, "--format", "policyreport", *extra)
    return res.code, json.loads(res.out)


def test_reports_validate_against_the_crds_and_hold_every_finding_once(cli, tmp_path):
    code, doc = published(cli)
    assert code == 1 and doc["kind"] == "List"
    schemas = crd_schemas()
    for item in doc["items"]:
        jsonschema.validate(item, schemas[item["kind"]])
        assert item["apiVersion"] == "wgpolicyk8s.io/v1alpha2" and item["metadata"]["name"] == "aifactory-audit"
        assert item["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "aifactory-policy"}
        by_result = [r["result"] for r in item["results"]]   # the planted warnings (AIF205, AIF208) are warn
        assert (item["summary"]["fail"], item["summary"]["warn"]) == (by_result.count("fail"), by_result.count("warn"))
        assert set(by_result) <= {"fail", "warn"}
    assert [i["kind"] for i in doc["items"]][0] == "ClusterPolicyReport"
    json_out = tmp_path / "audit.json"
    cli("audit", "--from-dump", DUMP, "--now", audit_dump.NOW, "--format", "json", "--output", json_out)
    want = sorted((f["rule"], f["resource"]) for f in json.loads(json_out.read_text())["findings"])
    got = []
    for item in doc["items"]:
        for r in item["results"]:
            ref = r["resources"][0]
            assert ref.get("namespace") == item["metadata"].get("namespace")
            assert set(ref) <= {"kind", "namespace", "name", "apiVersion", "uid"}  # uid: in kind (no uids in the dump)
            got.append((r["policy"], "/".join(x for x in (ref["kind"], ref.get("namespace"), ref["name"]) if x)))
            assert r["timestamp"]["seconds"] == 1751284800 and r["source"] == "aifactory-policy"
    assert sorted(got) == want


def test_waived_findings_are_skip_results_with_the_reason(cli, tmp_path):
    w = tmp_path / "waivers.yaml"
    w.write_text("- rule: AIF203\n  target: team-a/RoleBinding/dev-*\n  reason: break-glass\n  expires: 2025-07-31\n")
    _, doc = published(cli, "--waivers", w)
    team_a = next(i for i in doc["items"] if i["metadata"].get("namespace") == "team-a")
    assert [(r["policy"], r["result"], r["properties"]["waivedBy"]) for r in team_a["results"]] == \
        [("AIF203", "skip", "break-glass (until 2025-07-31)")]
    assert team_a["summary"] == {"pass": 0, "fail": 0, "warn": 0, "error": 0, "skip": 1}


def test_severity_mapping_and_cluster_scoped_objects():
    report = Report(command="audit", findings=[
        Finding("AIF203", "error", "e", resource="ClusterRoleBinding/ops"),
        Finding("AIF205", "warning", "w", resource="Secret/a/s", path="data"),
        Finding("AIF202", "note", "n", resource="Secret/a/s")])
    cluster, ns = policyreport.reports(report)
    assert [(r["result"], r["severity"]) for r in cluster["results"]] == [("fail", "high")]
    assert cluster["results"][0]["resources"] == [{"kind": "ClusterRoleBinding", "name": "ops"}]
    assert {r["policy"]: (r["result"], r["severity"]) for r in ns["results"]} == \
        {"AIF205": ("warn", "medium"), "AIF202": ("warn", "low")}
    assert ns["summary"]["warn"] == 2 and ns["metadata"]["namespace"] == "a"


def test_only_audit_offers_the_format_and_publish_needs_a_live_cluster(cli):
    assert cli("scan", str(DUMP), "--format", "policyreport").code == 2
    res = cli("audit", "--from-dump", DUMP, "--publish")
    assert res.code == 2 and "does not take --from-dump" in res.err


def test_cronjob_is_off_by_default(helm="helm3"):
    kinds = render(helm).kinds()
    assert "CronJob" not in kinds and "ClusterRole" not in kinds


@pytest.mark.parametrize("helm", ["helm3", "helm4"])
def test_cronjob_renders_with_its_own_narrow_rbac_and_restricted_pod(helm):
    out = render(helm, *CRONJOB)
    name = "t-aifactory-audit-cronjob"
    sa = out.one("ServiceAccount", "-audit-cronjob")
    role = out.one("ClusterRole", "-audit-cronjob")
    binding = out.one("ClusterRoleBinding", "-audit-cronjob")
    assert sa["metadata"]["name"] == name
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": name, "namespace": "aifactory"}]
    assert binding["roleRef"]["name"] == name
    writes = {"create", "update", "patch", "delete"}
    for rule in role["rules"]:
        if rule["apiGroups"] == ["wgpolicyk8s.io"]:
            assert sorted(rule["resources"]) == ["clusterpolicyreports", "policyreports"]
        else:
            assert set(rule["verbs"]) == {"get", "list"} and not writes & set(rule["verbs"])
    assert any("secrets" in r["resources"] for r in role["rules"])
    cron = out.one("CronJob")
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    job = cron["spec"]["jobTemplate"]["spec"]
    pod = job["template"]["spec"]
    assert pod["serviceAccountName"] == name and pod["restartPolicy"] == "Never"
    assert pod["securityContext"]["runAsNonRoot"] and pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    (c,) = pod["containers"]
    assert c["image"] == "example/audit:v1"
    assert c["terminationMessagePolicy"] == "FallbackToLogsOnError"
    assert c["securityContext"] == {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                    "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]}}
    assert c["args"] == ["audit", "--all-namespaces", "--publish", "--allow-subject",
                         f"ServiceAccount:aifactory:{name}"]


def test_cronjob_extra_args_and_a_missing_image_is_refused():
    out = render("helm3", *CRONJOB, "--set-json", 'audit.cronJob.extraArgs=["--max-age-days","14"]')
    assert out.one("CronJob")["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"][-2:] == \
        ["--max-age-days", "14"]
    err = render_error("helm3", "--set", "audit.cronJob.enabled=true")
    assert "audit/cronJob/image/repository" in err


def test_rule_control_applies_to_the_reports(cli):
    """--skip (and .aifactory-policy.yaml) choose the rules here too, as in every other format."""
    _, doc = published(cli, "--skip", "AIF203")
    policies = {r["policy"] for i in doc["items"] for r in i["results"]}
    assert "AIF203" not in policies and "AIF201" in policies
