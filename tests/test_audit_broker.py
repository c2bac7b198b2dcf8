"""`aifactory-policy audit` of broker installs, offline: the recorded dump tests/data/audit/broker
(tests/audit_dump.py, PLANTED_BROKER) and the chart's own broker-mode render made into list
responses. AIF205 judges the broker's state (Lease, access Secret, the source Secret's login-state);
AIF206 counts neither the agents (they receive the access Secret) nor a second broker replica."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import audit_dump
from chart_render import render
from fake_credentials import leaked

DUMP = Path(__file__).resolve().parent / "data" / "audit" / "broker"
NOW = audit_dump.NOW
pytestmark = pytest.mark.usefixtures("reuse_tool_results")  # many tests read the same audit


def findings(cli, tmp_path, *extra, dump=DUMP):
    out = tmp_path / "audit.json"
    res = cli("audit", "--from-dump", dump, "--now", NOW, "--format", "json", "--output", out, *extra)
    assert res.code in (0, 1), res.err
    return res, json.loads(out.read_text())


def ours(report):
    """The audit rules' findings (AIF2xx); the manifest rules judge the same workloads separately."""
    return [f for f in report["findings"] if f["rule"].startswith("AIF2")]


def by_target(report):
    return {(f["rule"], f["file"]): f for f in ours(report)}


def test_recorded_broker_dump_is_current():
    """The committed dump is what tests/audit_dump.py builds (regenerate: python tests/audit_dump.py)."""
    for name, text in audit_dump.render(audit_dump.build_broker).items():
        assert (DUMP / name).read_text() == text, f"{name} is stale: run python tests/audit_dump.py"


def test_finds_exactly_the_planted_broker_problems(cli, tmp_path):
    _, report = findings(cli, tmp_path)
    assert sorted((f["rule"], f["file"]) for f in ours(report)) == audit_dump.PLANTED_BROKER
    severities = {f["file"]: f["severity"] for f in ours(report) if f["rule"] == "AIF205"}
    assert severities == {"team-m/Secret/claude-m": "warning", "team-n/Secret/claude-n": "error",
                          "team-o/Secret/claude-o": "error"}


def test_a_healthy_broker_with_two_replicas_and_three_agents_has_no_finding(cli, tmp_path):
    """team-l: 2 broker pods (one Lease holder) and 3 agent pods on one Secret: not AIF206; the access
    Secret (same access token, no refresh token, no owner, made long ago) is not AIF201/202/204;
    the broker's and the receivers' own Roles are not AIF203."""
    _, report = findings(cli, tmp_path)
    assert not [f for f in ours(report) if f["file"].startswith("team-l/")]
    assert not [f for f in ours(report) if "claude-access" in f["file"] + f["message"] and f["rule"] != "AIF205"]


def test_broker_down_with_a_valid_agent_token_is_a_warning_naming_the_deadline(cli, tmp_path):
    _, report = findings(cli, tmp_path)
    msg = by_target(report)[("AIF205", "team-m/Secret/claude-m")]["message"]
    assert msg.startswith("Secret team-m/claude-m (install team-m/rel-m, broker mode): the credentials broker is down "
                          f"since {audit_dump.MINUTES_AGO_10} (Lease rel-m-aifactory-credentials-broker held by ")
    assert "the agents keep working until 2025-07-01T12:00:00Z, when the access token they hold expires" in msg
    assert ("`kubectl -n team-m rollout status deploy/rel-m-aifactory-credentials-broker`, "
            "`kubectl -n team-m logs deploy/rel-m-aifactory-credentials-broker`") in msg


def test_broker_down_with_the_agent_token_expired_is_an_error(cli, tmp_path):
    _, report = findings(cli, tmp_path)
    msg = by_target(report)[("AIF205", "team-n/Secret/claude-n")]["message"]
    assert "the agents' access token (Secret team-n/rel-n-aifactory-claude-access) expired 2025-06-30T11:00:00Z" in msg
    assert (f"the credentials broker is down since {audit_dump.HOURS_AGO_3} (no replica holds Lease "
            "rel-n-aifactory-credentials-broker)") in msg
    assert "every Claude Code task of the agents fails with 401" in msg


def test_a_refused_refresh_is_an_error(cli, tmp_path):
    _, report = findings(cli, tmp_path)
    msg = by_target(report)[("AIF205", "team-o/Secret/claude-o")]["message"]
    assert "the credentials broker's refresh of it was refused at 2025-06-30T10:00:00Z (recorded by the broker)" in msg
    assert "the agents keep working until 2025-07-01T12:00:00Z" in msg and "credentials rotate" in msg
    assert "write-back sidecar" not in msg


def test_an_agent_pod_that_mounts_the_secret_is_a_holder_beside_the_broker(cli, tmp_path):
    _, report = findings(cli, tmp_path)
    msg = by_target(report)[("AIF206", "team-p/Secret/claude-p")]["message"]
    assert "by 2 running pods (rel-p-aifactory-credentials-broker-6c8d-0, rel-p-aifactory-old-0)" in msg
    assert "rel-p-aifactory-6c8d-0" not in msg   # the agent pod on the access Secret alone holds nothing
    assert "in broker mode, let the broker alone hold it" in msg


def test_without_list_on_leases_the_expired_token_still_counts(cli, tmp_path):
    dump = tmp_path / "dump"
    shutil.copytree(DUMP, dump)
    (dump / "leases.json").unlink()
    res, report = findings(cli, tmp_path, dump=dump)
    assert any(n.startswith("cannot list leases") and "broker" in n for n in report["notes"])
    found = by_target(report)
    assert ("AIF205", "team-m/Secret/claude-m") not in found        # up or down: unknown
    assert "the broker's Lease was not read" in found[("AIF205", "team-n/Secret/claude-n")]["message"]
    assert ("AIF205", "team-o/Secret/claude-o") in found


def test_publish_needs_leases_only_where_a_broker_runs():
    from aifactory_policy.audit import inventory
    from aifactory_policy.audit.source import DumpSource
    inv = inventory.collect(DumpSource(str(DUMP)), None, lambda message: None)
    inv.unavailable["leases"] = "403 Forbidden"
    assert inventory.blocking(inv) == {"leases": "403 Forbidden"}
    inv.objects["deployments"] = [d for d in inv.get("deployments")
                                  if "broker" not in json.dumps(d["spec"]["template"]["metadata"])]
    assert inventory.blocking(inv) == {}
    inv.unavailable["secrets"] = "403 Forbidden"
    assert inventory.blocking(inv) == {"secrets": "403 Forbidden"}


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "junit"])
def test_never_prints_a_credential(cli, fmt):
    res = cli("audit", "--from-dump", DUMP, "--now", NOW, "--format", fmt)
    assert res.code == 1
    assert leaked(res.out + res.err) == [] and "FAKE" not in res.out + res.err


def test_sharded_evaluation_gives_the_same_broker_findings():
    from aifactory_policy.audit import evaluate, facts, inventory
    from aifactory_policy.audit.material import Fingerprinter
    from aifactory_policy.audit.source import DumpSource
    from aifactory_policy.commands.audit import DEFAULT_ALLOW
    from aifactory_policy.tools import policies_dir
    inv = inventory.collect(DumpSource(str(DUMP)), None, lambda message: None)
    ai = facts.build(inv, Fingerprinter(b"k"), NOW, 30, DEFAULT_ALLOW)
    assert [b["secret"] for b in ai.facts["brokers"]] == ["claude-l", "claude-m", "claude-n", "claude-o", "claude-p"]
    assert "refreshToken" not in json.dumps(ai.facts["brokers"]) and "FAKE" not in json.dumps(ai.facts["brokers"])

    def canonical(value):
        return sorted((f.rule, f.file or "", f.message) for f in evaluate.findings(value, ai) if f.rule.startswith("AIF2"))
    one = canonical(evaluate.run(ai, policies_dir(), shards=1))
    assert one and one == canonical(evaluate.run(ai, policies_dir(), shards=3))


# ---- the chart's own objects ------------------------------------------------------------------

def chart_dump(folder: Path, lease_spec: dict, access_expires_ms: int) -> Path:
    """`helm template` of broker mode (2 broker replicas, 3 agents) as list responses: each Deployment
    with its ReplicaSet and running pods, the source Secret, and what the broker writes into the
    access Secret and the Lease."""
    out = render("helm3", "--set", "remoteControl.enabled=true", "--set", "remoteControl.mode=broker",
                 "--set", "remoteControl.credentialsSecretName=claude-remote-credentials", "--set", "replicaCount=3",
                 "--set", "remoteControl.broker.replicas=2", release="rel", namespace="team")
    plural = {"Deployment": "deployments", "Role": "roles", "RoleBinding": "rolebindings", "Secret": "secrets",
              "Lease": "leases", "ConfigMap": "configmaps"}
    lists: dict = {name: [] for name in ("namespaces", "pods", "secrets", "configmaps", "deployments", "replicasets",
                                         "statefulsets", "daemonsets", "jobs", "cronjobs", "roles", "rolebindings",
                                         "clusterroles", "clusterrolebindings", "leases")}
    for doc in out.docs:
        if doc["kind"] in plural:
            lists[plural[doc["kind"]]].append(doc)
    for dep in lists["deployments"]:
        name, tmpl = dep["metadata"]["name"], dep["spec"]["template"]
        rs = {"kind": "ReplicaSet", "metadata": {"name": f"{name}-7d9f", "namespace": "team", "ownerReferences": [
            {"kind": "Deployment", "name": name, "controller": True}]}, "spec": {"template": tmpl}}
        lists["replicasets"].append(rs)
        for i in range(dep["spec"]["replicas"]):
            lists["pods"].append({"kind": "Pod", "metadata": {**json.loads(json.dumps(tmpl["metadata"])),
                                                              "name": f"{name}-7d9f-{i}", "namespace": "team",
                                                              "ownerReferences": [{"kind": "ReplicaSet",
                                                                                   "name": rs["metadata"]["name"],
                                                                                   "controller": True}]},
                                  "spec": tmpl["spec"], "status": {"phase": "Running"}})
    broker_sa = "system:serviceaccount:team:rel-aifactory-credentials-broker"
    lists["secrets"].append(audit_dump.cred_secret(
        "team", "claude-remote-credentials", "CHART", expires=access_expires_ms,
        annotations=audit_dump.owned(broker_sa, **{"aifactory.dev/rotated-by": "aifactory-credentials-broker"}),
        labels={"aifactory.dev/credentials": "claude-code", "aifactory.dev/install": "rel"}))
    access = next(s for s in lists["secrets"] if s["metadata"]["name"] == "rel-aifactory-claude-access")
    access["metadata"]["annotations"].update({"aifactory.dev/access-expires-at": audit_dump.rfc3339_ms(access_expires_ms),
                                              "aifactory.dev/published-at": "2025-06-30T11:30:00.250Z"})
    access["data"] = {"credentials.json": audit_dump.b64(audit_dump.access_creds("CHART", access_expires_ms))}
    lists["leases"][0]["spec"] = lease_spec
    folder.mkdir()
    for name, items in lists.items():
        (folder / f"{name}.json").write_text(json.dumps({"kind": "List", "items": items}))
    return folder


def test_the_charts_broker_install_healthy_then_down(cli, tmp_path):
    holder = {"holderIdentity": "rel-aifactory-credentials-broker-7d9f-0", "leaseDurationSeconds": 45}
    healthy = chart_dump(tmp_path / "up", {**holder, "renewTime": audit_dump.SECONDS_AGO_5}, audit_dump.EXPIRES_FUTURE)
    _, report = findings(cli, tmp_path, dump=healthy)
    assert ours(report) == []
    down = chart_dump(tmp_path / "down", {**holder, "renewTime": audit_dump.MINUTES_AGO_10}, audit_dump.EXPIRES_FUTURE)
    _, report = findings(cli, tmp_path, dump=down)
    [f] = ours(report)
    assert (f["rule"], f["severity"], f["file"]) == ("AIF205", "warning", "team/Secret/claude-remote-credentials")
    assert "deploy/rel-aifactory-credentials-broker" in f["message"] and "until 2025-07-01T12:00:00Z" in f["message"]
