"""`aifactory-policy audit` offline: recorded list responses (tests/data/audit/planted) through the
same code path as the live client (DumpSource vs LiveSource behind one ClusterSource interface)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import audit_dump
from fake_credentials import leaked
from aifactory_policy.audit import helm_release
from aifactory_policy.audit.material import Fingerprinter, scan_bytes

DUMP = Path(__file__).resolve().parent / "data" / "audit" / "planted"
pytestmark = pytest.mark.usefixtures("reuse_tool_results")  # many tests read the same audit
NOW = audit_dump.NOW


def audit(cli, *extra, dump=DUMP):
    return cli("audit", "--from-dump", dump, "--now", NOW, *extra)


def findings(cli, tmp_path, *extra, dump=DUMP):
    out = tmp_path / "audit.json"
    res = audit(cli, "--format", "json", "--output", out, *extra, dump=dump)
    return res, json.loads(out.read_text())


def pairs(report):
    return sorted((f["rule"], f["file"]) for f in report["findings"])


def test_recorded_dump_is_current():
    """The committed dump is what tests/audit_dump.py builds (regenerate: python tests/audit_dump.py)."""
    for name, text in audit_dump.render().items():
        assert (DUMP / name).read_text() == text, f"{name} is stale: run python tests/audit_dump.py"


def test_finds_exactly_the_planted_problems(cli, tmp_path):
    res, report = findings(cli, tmp_path)
    assert res.code == 1, res.err
    assert pairs(report) == audit_dump.PLANTED
    assert report["command"] == "audit"


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "junit"])
def test_never_prints_a_credential(cli, fmt):
    res = audit(cli, "--format", fmt)
    assert res.code == 1
    assert leaked(res.out + res.err) == []
    assert "FAKE" not in res.out + res.err


def test_summary_table_per_install_and_namespace(cli):
    res = audit(cli)
    assert "NAMESPACE  INSTALL" in res.err
    row = next(line for line in res.err.splitlines() if line.startswith("team-c"))
    assert "rc-c" in row and "credentials mount" in row and "login-c" in row  # hand-written Deployment
    assert any(line.startswith("team-e") and "AIF001" in line for line in res.err.splitlines())


def test_a_shared_login_under_two_names_is_caught(cli, tmp_path):
    _, report = findings(cli, tmp_path)
    [f] = [f for f in report["findings"] if f["rule"] == "AIF201"]
    assert "team-c/login-c" in f["message"] and "team-d/creds-d" in f["message"]
    assert "install team-c/rc-c" in f["message"]


def test_old_helm_revision_is_decoded(cli, tmp_path):
    _, report = findings(cli, tmp_path)
    [f] = [f for f in report["findings"] if "sh.helm.release" in (f["file"] or "")]
    assert "revision 1 (values" in f["message"] and f["path"] == "token"
    assert not any("leaky.v2" in (f["file"] or "") for f in report["findings"])


def test_fixed_clock_and_cadence(cli, tmp_path):
    _, early = findings(cli, tmp_path, "--now", "2025-03-20T00:00:00Z")
    assert ("AIF202", "team-g/Secret/claude-g") not in pairs(early)
    _, lax = findings(cli, tmp_path, "--max-age-days", "200")
    assert ("AIF202", "team-g/Secret/claude-g") not in pairs(lax)
    _, strict = findings(cli, tmp_path, "--max-age-days", "5")
    assert ("AIF202", "team-a/Secret/claude-a") in pairs(strict)  # 10 days since rotated-at


def test_allow_subject(cli, tmp_path):
    _, report = findings(cli, tmp_path, "--allow-subject", "User:ali*")
    assert not [f for f in report["findings"] if f["rule"] == "AIF203"]


def test_waivers_active_and_expired(cli, tmp_path):
    w = tmp_path / "waivers.yaml"
    w.write_text(
        "- rule: AIF203\n  target: team-a/RoleBinding/dev-*\n  reason: break-glass until the move\n  expires: 2025-07-31\n"
        "- rule: AIF2*\n  target: team-g/secret/*\n  reason: old exemption\n  expires: 2025-06-01\n")
    res, report = findings(cli, tmp_path, "--waivers", w)
    assert ("AIF203", "team-a/RoleBinding/dev-read-secrets") not in pairs(report)
    assert [x["rule"] for x in report["waived"]] == ["AIF203"]
    assert report["summary"]["waived"] == 1
    assert ("AIF202", "team-g/Secret/claude-g") in pairs(report)          # expired: no longer waives
    assert any("expired on 2025-06-01" in n for n in report["notes"])


def test_waiver_without_reason_is_exit_2(cli, tmp_path):
    w = tmp_path / "waivers.yaml"
    w.write_text("- rule: AIF203\n  target: '*'\n  expires: 2030-01-01\n")
    res = audit(cli, "--waivers", w)
    assert res.code == 2 and "missing reason" in res.err


def test_namespace_scope(cli, tmp_path):
    _, report = findings(cli, tmp_path, "-n", "team-a", "-n", "team-e")
    assert pairs(report) == sorted([("AIF203", "team-a/RoleBinding/dev-read-secrets"),
                                    ("AIF001", "team-e/ConfigMap/notes"),
                                    ("AIF001", "team-e/Secret/sh.helm.release.v1.leaky.v1")])


def test_what_it_cannot_see_is_reported(cli, tmp_path):
    dump = tmp_path / "dump"
    shutil.copytree(DUMP, dump)
    (dump / "secrets.json").unlink()
    (dump / "clusterrolebindings.json").unlink()
    res, report = findings(cli, tmp_path, dump=dump)
    assert any(n.startswith("cannot list secrets") for n in report["notes"])
    assert any(n.startswith("cannot list clusterrolebindings") for n in report["notes"])
    assert "secrets: cannot list" in res.err
    rules = {f["rule"] for f in report["findings"]}
    assert not rules & {"AIF201", "AIF202", "AIF204", "AIF205"}
    assert {"AIF002", "AIF003", "AIF006"} <= rules


def test_nothing_listable_is_exit_2(cli, tmp_path):
    res = audit(cli, dump=tmp_path)
    assert res.code == 2 and "could not list anything" in res.err


def test_bad_clock_is_exit_2(cli):
    assert audit(cli, "--now", "yesterday").code == 2


def test_fingerprints_are_keyed_per_run():
    token = audit_dump.tok("refresh", "X").encode()
    a, b = Fingerprinter(), Fingerprinter()
    assert a(token) == a(token) != b(token)
    import hashlib
    assert a(token) not in (hashlib.sha256(token).hexdigest()[:24], hashlib.md5(token).hexdigest()[:24])
    m = scan_bytes(audit_dump.creds("X").encode(), a)
    assert m.refresh == {a(token)} and m.credentials_json and m.expires_at_ms == [audit_dump.EXPIRES_FUTURE]


def test_helm_release_payload_decodes_every_revision():
    secrets = json.loads((DUMP / "secrets.json").read_text())["items"]
    rels = [helm_release.decode(s) for s in secrets if s["type"] == helm_release.RELEASE_TYPE]
    assert sorted((r.name, r.revision, r.status) for r in rels) == [("leaky", 1, "superseded"),
                                                                   ("leaky", 2, "deployed")]
    v1 = next(r for r in rels if r.revision == 1)
    assert [d.part for d in v1.docs] == ["values", "chart values", "manifest"]


def _deployment_and_pod():
    template = {"metadata": {"labels": {"app": "a"}, "annotations": {"aifactory.dev/remote-control": "enabled"}},
                "spec": {"containers": [{"name": "c", "image": "i", "volumeMounts": [
                    {"name": "creds", "mountPath": "/home/nonroot/.claude/.credentials.json", "subPath": "c",
                     "readOnly": True}]}],
                         "volumes": [{"name": "creds", "secret": {"secretName": "s", "defaultMode": 256}}]}}
    deployment = {"kind": "Deployment", "metadata": {"name": "a", "namespace": "n"}, "spec": {"template": template}}
    pod = json.loads(json.dumps(template))
    pod["kind"] = "Pod"
    pod["metadata"]["labels"]["pod-template-hash"] = "5d9f"
    pod["metadata"].update(name="a-5d9f-x", namespace="n", uid="u")
    spec = pod["spec"]   # what the API server, admission and the scheduler add
    spec.update(nodeName="node-1", serviceAccount="default", priority=0, preemptionPolicy="PreemptLowerPriority",
                tolerations=[{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
                              "tolerationSeconds": 300}])
    spec["volumes"].append({"name": "kube-api-access-x1y2z", "projected": {"sources": []}})
    spec["containers"][0]["volumeMounts"].append({"name": "kube-api-access-x1y2z", "mountPath": "/var/run/secrets"})
    pod["status"] = {"phase": "Running"}
    return deployment, pod


def test_a_pod_equal_to_its_template_but_for_server_fields_is_judged_through_its_owner():
    from aifactory_policy.audit.facts import same_as_template
    deployment, pod = _deployment_and_pod()
    assert same_as_template(pod, deployment)
    changed = json.loads(json.dumps(pod))
    changed["spec"]["containers"][0]["volumeMounts"][0]["readOnly"] = False     # edited after creation
    assert not same_as_template(changed, deployment)
    annotated = json.loads(json.dumps(pod))
    annotated["metadata"]["annotations"]["injected"] = "by a webhook"          # a mutating webhook's addition
    assert not same_as_template(annotated, deployment)
    tolerant = json.loads(json.dumps(pod))
    tolerant["spec"]["tolerations"].append({"key": "gpu", "operator": "Exists"})
    assert not same_as_template(tolerant, deployment)


def test_sharded_evaluation_gives_the_same_findings_as_one_process():
    """A large cluster's documents are judged in parallel shards: same findings, same installs."""
    from aifactory_policy.audit import evaluate, facts, inventory
    from aifactory_policy.commands.audit import DEFAULT_ALLOW
    from aifactory_policy.audit.source import DumpSource
    from aifactory_policy.tools import policies_dir
    inv = inventory.collect(DumpSource(str(DUMP)), None, lambda message: None)
    ai = facts.build(inv, Fingerprinter(b"k"), NOW, 30, DEFAULT_ALLOW)

    def canonical(value):
        found = sorted((f.rule, f.file or "", f.path or "", f.message) for f in evaluate.findings(value, ai))
        return found, sorted(json.dumps(i, sort_keys=True) for i in value["installs"])
    one = canonical(evaluate.run(ai, policies_dir(), shards=1))
    assert one[0] and one == canonical(evaluate.run(ai, policies_dir(), shards=3))


def test_shards_follow_the_cpus_and_the_size():
    from aifactory_policy.audit.evaluate import shard_count
    assert shard_count(500, cpus=8) == 1 and shard_count(50_000, cpus=1) == 1
    assert shard_count(20_000, cpus=2) == 2 and shard_count(200_000, cpus=64) == 8


def by_target(report, target):
    return [(f["rule"], f["severity"], f["message"]) for f in report["findings"] if f["file"] == target]


def test_the_login_end_claude_code_stored_is_judged(cli, tmp_path):
    """AIF205 reads claudeAiOauth.refreshTokenExpiresAt from the Secret's data (never its content
    otherwise): a warning within --login-warn-days (default 7), an error past it."""
    _, report = findings(cli, tmp_path)
    [(rule, severity, message)] = by_target(report, "team-l/Secret/claude-l")
    assert (rule, severity) == ("AIF205", "warning")
    assert "ends at 2025-07-03T12:00:00Z (in 3 days; claudeAiOauth.refreshTokenExpiresAt" in message
    [(rule, severity, message)] = by_target(report, "team-q/Secret/claude-q")
    assert (rule, severity) == ("AIF205", "error") and "ended at 2025-06-29T12:00:00Z" in message
    _, narrow = findings(cli, tmp_path, "--login-warn-days", "2")
    assert by_target(narrow, "team-l/Secret/claude-l") == []
    assert [r[:2] for r in by_target(narrow, "team-q/Secret/claude-q")] == [("AIF205", "error")]
    _, early = findings(cli, tmp_path, "--now", "2025-06-20T12:00:00Z")
    assert by_target(early, "team-l/Secret/claude-l") == [] and by_target(early, "team-q/Secret/claude-q") == []


def test_a_login_without_the_sessions_scope_is_a_warning(cli, tmp_path):
    _, report = findings(cli, tmp_path)
    [(rule, severity, message)] = by_target(report, "team-r/Secret/claude-r")
    assert (rule, severity) == ("AIF208", "warning") and "lack user:sessions:claude_code" in message
    assert not [f for f in report["findings"] if f["rule"] == "AIF208" and f["file"] != "team-r/Secret/claude-r"]


def test_a_negative_login_warn_days_cannot_evaluate(cli):
    res = audit(cli, "--login-warn-days", "-1")
    assert res.code == 2 and "--login-warn-days -1: must be 0 or more" in res.err
