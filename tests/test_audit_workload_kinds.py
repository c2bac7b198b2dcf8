"""`aifactory-policy audit` offline on other projects' workload kinds and autoscalers: a dump (list
responses as the API returns them) with an Argo Rollout and the HPA aimed at it, a Knative Service
down to the Deployment and pod Knative makes, a Deployment scaled by a KEDA ScaledObject (and the HPA
KEDA makes for it), and a Tekton TaskRun with its pod. The owner of each chain is judged, with its
kind and name; an API that is not served is a note; the audit ClusterRole grants get/list on every
list the audit makes."""
from __future__ import annotations

import copy
import json

import pytest

import audit_dump
from audit_dump import cred_secret, pod_spec
from chart_render import render
from workload_kinds import KINDS

NOW = audit_dump.NOW
BAD_TEMPLATE = {"metadata": {"labels": {"app": "agent"}}, "spec": {
    "containers": [{"name": "agent", "image": "ghcr.io/example/agent:1.0",
                    "volumeMounts": [{"name": "claude", "mountPath": "/home/nonroot/.claude/.credentials.json",
                                      "subPath": "credentials.json"}]}],
    "volumes": [{"name": "claude", "secret": {"secretName": "claude-r", "defaultMode": 420}}]}}


def ref(api_version, kind, name):
    return {"apiVersion": api_version, "kind": kind, "name": name, "uid": f"uid-{kind}-{name}", "controller": True}


def owned_by(obj, owner):
    obj = copy.deepcopy(obj)
    obj["metadata"]["ownerReferences"] = [ref(owner["apiVersion"], owner["kind"], owner["metadata"]["name"])]
    return obj


def running_pod(ns, name, spec, owner, annotations=None):
    return owned_by({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns,
                                                                     "annotations": annotations or {}},
                     "spec": spec, "status": {"phase": "Running"}}, owner)


def lst(kind, items):
    return {"kind": kind + "List", "apiVersion": "v1", "metadata": {"resourceVersion": "1"}, "items": items}


def build() -> dict[str, dict]:
    # team-r: a Rollout holding the login (the issue's template), its ReplicaSet and pod, an HPA on it
    rollout = KINDS["argoproj.io/Rollout"].wrap("agent", "team-r", BAD_TEMPLATE)
    rs = owned_by({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "agent-7c9", "namespace": "team-r"},
                   "spec": {"replicas": 1, "template": rollout["spec"]["template"]}}, rollout)
    r_pod = running_pod("team-r", "agent-7c9-x", rollout["spec"]["template"]["spec"], rs)
    hpa_r = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "agent", "namespace": "team-r"},
             "spec": {"scaleTargetRef": {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": "agent"},
                      "minReplicas": 1, "maxReplicas": 4}}

    # team-k: a Knative Service -> Configuration -> Revision -> Deployment -> ReplicaSet -> pod (+ queue-proxy)
    good = {"metadata": {"labels": {"app": "agent"}}, "spec": pod_spec("claude-k")}
    ksvc = KINDS["serving.knative.dev/Service"].wrap("agent", "team-k", good)
    config = owned_by(KINDS["serving.knative.dev/Configuration"].wrap("agent", "team-k", good), ksvc)
    revision = owned_by(KINDS["serving.knative.dev/Revision"].wrap("agent-00001", "team-k", good), config)
    kspec = copy.deepcopy(good["spec"])
    kspec["containers"].append({"name": "queue-proxy", "image": "gcr.io/knative-releases/queue:1",   # restricted, as Knative adds it
                                "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                                    "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]}}})
    kdep = owned_by({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "agent-00001-deployment", "namespace": "team-k"},
                     "spec": {"replicas": 1, "template": {"metadata": {"labels": {"app": "agent"}}, "spec": kspec}}}, revision)
    krs = owned_by({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "agent-00001-deployment-5f", "namespace": "team-k"},
                    "spec": {"replicas": 1, "template": kdep["spec"]["template"]}}, kdep)
    k_pod = running_pod("team-k", "agent-00001-deployment-5f-y", kspec, krs)

    # team-w: a Deployment holding the login, scaled by a ScaledObject (kind Deployment by default)
    dep = KINDS["Deployment"].wrap("agent", "team-w", {"metadata": {"labels": {"app": "agent"}}, "spec": pod_spec("claude-w")})
    dep["spec"]["strategy"] = {"type": "Recreate"}
    so = {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "metadata": {"name": "agent", "namespace": "team-w"},
          "spec": {"scaleTargetRef": {"name": "agent"}, "maxReplicaCount": 5,
                   "triggers": [{"type": "cpu", "metricType": "Utilization", "metadata": {"value": "80"}}]}}
    keda_hpa = owned_by({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                         "metadata": {"name": "keda-hpa-agent", "namespace": "team-w"},
                         "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "agent"},
                                  "minReplicas": 1, "maxReplicas": 5}}, so)

    # team-t: a Tekton TaskRun (the issue's template as its step) and its pod
    run = KINDS["tekton.dev/TaskRun"].wrap("agent", "team-t", json.loads(json.dumps(BAD_TEMPLATE).replace("claude-r", "claude-t")))
    t_pod = running_pod("team-t", "agent-pod", {"containers": [dict(run["spec"]["taskSpec"]["steps"][0], name="step-agent")],
                                                "volumes": run["spec"]["taskSpec"]["volumes"]}, run)

    secrets = [cred_secret(ns, f"claude-{ns[-1]}", ns) for ns in ("team-r", "team-k", "team-w", "team-t")]
    namespaces = [{"metadata": {"name": n}} for n in ("team-k", "team-r", "team-t", "team-w")]
    dump = {
        "namespaces": lst("Namespace", namespaces), "secrets": lst("Secret", secrets), "configmaps": lst("ConfigMap", []),
        "pods": lst("Pod", [r_pod, k_pod, t_pod]), "deployments": lst("Deployment", [kdep, dep]),
        "replicasets": lst("ReplicaSet", [rs, krs]), "statefulsets": lst("StatefulSet", []),
        "daemonsets": lst("DaemonSet", []), "jobs": lst("Job", []), "cronjobs": lst("CronJob", []),
        "roles": lst("Role", []), "rolebindings": lst("RoleBinding", []), "clusterroles": lst("ClusterRole", []),
        "clusterrolebindings": lst("ClusterRoleBinding", []), "leases": lst("Lease", []),
        "horizontalpodautoscalers": lst("HorizontalPodAutoscaler", [hpa_r, keda_hpa]),
        "rollouts.argoproj.io": lst("Rollout", [rollout]),
        "services.serving.knative.dev": lst("Service", [ksvc]),
        "configurations.serving.knative.dev": lst("Configuration", [config]),
        "revisions.serving.knative.dev": lst("Revision", [revision]),
        "scaledobjects.keda.sh": lst("ScaledObject", [so]),
        "taskruns.tekton.dev": lst("TaskRun", [run]),
    }
    return dump


def write(tmp_path, dump) -> str:
    folder = tmp_path / "dump"
    folder.mkdir()
    for name, body in dump.items():
        (folder / f"{name}.json").write_text(json.dumps(body))
    return str(folder)


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    from aifactory_policy.cli import main
    tmp = tmp_path_factory.mktemp("kinds")
    folder = write(tmp, build())
    out = tmp / "audit.json"
    code = main(["audit", "--from-dump", folder, "--now", NOW, "--format", "json", "--output", str(out)])
    assert code in (0, 1)
    return folder, json.loads(out.read_text())


def by_target(report) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for f in report["findings"]:
        out.setdefault(f["file"], []).append(f)
    return out


def test_the_owner_of_each_chain_is_judged_with_its_kind_and_name(audited):
    _, report = audited
    found = by_target(report)
    rollout = found["team-r/Rollout/agent"]
    assert {f["rule"] for f in rollout} == {"AIF002", "AIF004", "AIF006", "AIF007"}
    assert all(f["resource"] == "Rollout/team-r/agent" for f in rollout)
    assert any(f["message"].startswith("spec.strategy.canary on Rollout team-r/agent") for f in rollout)
    ksvc = found["team-k/Service/agent"]
    assert {f["rule"] for f in ksvc} == {"AIF006"} and len(ksvc) == 2   # revisions overlap; max-scale unset
    assert {f["rule"] for f in found["team-t/TaskRun/agent"]} == {"AIF002", "AIF004", "AIF007"}
    # what the owners' controllers made is not judged again: the ReplicaSets, Knative's Configuration,
    # Revision and Deployment, the pods that add nothing a rule reads (the Knative and Tekton pods
    # differ from their owners' templates, so they are judged, and say nothing their owners do not)
    judged_kinds = {t.split("/")[1] for t in found}
    assert not judged_kinds & {"ReplicaSet", "Configuration", "Revision"}
    assert not [t for t in found if t.startswith("team-k/Deployment/")]
    assert sorted(found) == ["team-k/Service/agent", "team-r/Rollout/agent", "team-t/TaskRun/agent",
                             "team-w/Deployment/agent"]


def test_every_autoscaler_of_a_holder_is_reported_once(audited):
    _, report = audited
    aif006 = [f["message"] for f in report["findings"] if f["rule"] == "AIF006" and "scales" in f["message"]]
    assert sorted(m.split(" (in ")[0] for m in aif006) == ["HorizontalPodAutoscaler team-r/agent",
                                                           "ScaledObject team-w/agent"]
    assert any("scales Rollout team-r/agent" in m for m in aif006)
    assert any("scales Deployment team-w/agent" in m for m in aif006)   # kind Deployment when unset
    assert not any("keda-hpa-agent" in m for m in aif006)               # KEDA's own HPA: the ScaledObject's


def test_projects_not_installed_are_one_note(audited):
    _, report = audited
    note = next(n for n in report["notes"] if n.startswith("workload kinds' APIs absent"))
    assert "OpenKruise (clonesets.apps.kruise.io, statefulsets.apps.kruise.io" in note
    assert "Argo Workflows (workflows.argoproj.io" in note and "not in the dump" in note
    assert "rollouts.argoproj.io" not in note and "taskruns.tekton.dev" not in note
    assert not any(n.startswith("cannot list") for n in report["notes"])


def test_sharded_audit_joins_the_same_holders_and_autoscalers(audited):
    """In shards (a large cluster), the whole-input rules get the new kinds' holders and the
    ScaledObjects as one process does."""
    from aifactory_policy.audit import evaluate, facts, inventory
    from aifactory_policy.audit.material import Fingerprinter
    from aifactory_policy.audit.source import DumpSource
    from aifactory_policy.commands.audit import DEFAULT_ALLOW
    from aifactory_policy.tools import policies_dir
    folder, _ = audited
    inv = inventory.collect(DumpSource(folder), None, lambda message: None)
    ai = facts.build(inv, Fingerprinter(b"k"), NOW, 30, DEFAULT_ALLOW)

    def canonical(value):
        return sorted((f.rule, f.file or "", f.path or "", f.message) for f in evaluate.findings(value, ai))
    one = canonical(evaluate.run(ai, policies_dir(), shards=1))
    assert sum(1 for f in one if f[0] == "AIF006" and "scales" in f[3]) == 2
    assert one == canonical(evaluate.run(ai, policies_dir(), shards=3))


class _Live:
    """A live API server's answers: 404 for the APIs not served, 403 for one refused."""

    def __init__(self, refused=()):
        self.refused = refused
        self.asked: list[str] = []

    def list(self, resource, namespace):
        from aifactory_policy.audit.source import Unavailable
        self.asked.append(resource.path(namespace))
        if resource.key in self.refused:
            raise Unavailable("403 Forbidden", 403)
        raise Unavailable("404 Not Found", 404)


def test_a_live_api_not_served_is_absent_and_a_refused_one_blocks_publish():
    from aifactory_policy.audit import custom, inventory, workload_apis
    objects, unavailable, absent = {}, {}, {}
    live = _Live(refused={"clonesets.apps.kruise.io"})
    custom.collect(workload_apis.APIS, live, None, lambda _m: None, objects, unavailable, absent,
                   workload_apis.purpose, workload_apis.keep)
    assert unavailable == {"clonesets.apps.kruise.io": "403 Forbidden"}
    assert absent["rollouts.argoproj.io"] == "not served (Argo Rollouts is not installed: no argoproj.io/v1alpha1)"
    assert absent["tasks.tekton.dev"] == "not served (Tekton Pipelines is not installed: no tekton.dev/v1, tekton.dev/v1beta1)"
    # both OpenKruise versions are tried before it counts as absent; Knative's Service is at its own path
    assert "/apis/apps.kruise.io/v1beta1/statefulsets" in live.asked and "/apis/apps.kruise.io/v1alpha1/statefulsets" in live.asked
    assert "/apis/serving.knative.dev/v1/services" in live.asked
    inv = inventory.Inventory(unavailable=dict(unavailable))
    assert inventory.blocking(inv) == {"clonesets.apps.kruise.io": "403 Forbidden"}
    assert inventory.purpose("clonesets.apps.kruise.io") == workload_apis.PURPOSE


def test_the_audit_cluster_role_grants_get_list_on_every_list_the_audit_makes():
    """The chart's audit ClusterRole (audit.rbac.create) and the audit's lists agree, resource by
    resource: a list it cannot make would leave its kind unchecked (and --publish refused)."""
    from aifactory_policy.audit import inventory, syncers, workload_apis
    from aifactory_policy.audit.source import RESOURCES
    wanted = {(RESOURCES[n].api_version.rpartition("/")[0], RESOURCES[n].name) for n in inventory.NEEDED}
    wanted |= {(versions[0].rpartition("/")[0], plural) for plural, (_k, versions, _w) in syncers.APIS.items()}
    wanted |= {(a.versions[0].rpartition("/")[0], a.plural) for a in workload_apis.APIS + workload_apis.AUTOSCALER_APIS}
    role = render("helm3", "--set", "audit.rbac.create=true").one("ClusterRole")
    granted = {(g, r) for rule in role["rules"] if set(rule["verbs"]) == {"get", "list"}
               for g in rule["apiGroups"] for r in rule["resources"]}
    assert sorted(wanted - granted) == []
    assert all(set(rule["verbs"]) == {"get", "list"} for rule in role["rules"])
