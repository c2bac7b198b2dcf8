"""Issue 24: any object with a pod template is a workload. A generated pod template (a Claude
credentials mount of random shape, mode and readOnly, containers restricted or not) is moved across
every kind of tests/workload_kinds.py (the built-in workloads and the kinds of Argo Rollouts,
Knative, OpenKruise, KEDA, Argo Workflows, Tekton and an operator's own CRD, in their projects'
CRD shapes); one real `scan` of all of them must give every kind the Pod's AIF002, AIF004 and
AIF007 findings (paths aside: each kind keeps the pod elsewhere) and the AIF006 findings that kind's
own fields call for, each finding naming the object's kind and name."""
from __future__ import annotations

import collections
import re
import tempfile
from pathlib import Path

import yaml

from aifactory_policy.commands import scan
from helpers import property_settings
from workload_kinds import KINDS

EXAMPLES = 12   # each example: one scan of one file per kind (len(KINDS) documents)
ISSUE_24 = {"containers": 1, "pod_restricted": False, "container_sc": "none", "mount": "file",
            "path": "/home/nonroot/.claude/.credentials.json", "read_only": None, "volume": "secret",
            "mode": 420, "items": False}

RESTRICTED_POD = {"runAsNonRoot": True, "runAsUser": 65532, "seccompProfile": {"type": "RuntimeDefault"}}
CONTAINER_SC = {
    "none": None,
    "restricted": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
    "escalation": {"allowPrivilegeEscalation": True, "capabilities": {"drop": ["ALL"]}},
    "privileged": {"privileged": True, "allowPrivilegeEscalation": False, "capabilities": {"drop": ["NET_RAW"]}},
}


def template(p: dict) -> dict:
    """The pod template a drawn parameter set describes."""
    mount = {"name": "claude", "mountPath": p["path"] if p["mount"] == "file" else "/home/nonroot/.claude"}
    if p["mount"] == "file":
        mount["subPath"] = "credentials.json"
    if p["read_only"] is not None:
        mount["readOnly"] = p["read_only"]
    items = [{"key": "credentials.json", "path": "credentials.json"}] if p["items"] else None
    if p["volume"] == "secret":
        secret = {"secretName": "claude-remote-credentials", **({"items": items} if items else {})}
        if p["mode"] is not None:
            secret["defaultMode"] = p["mode"]
        volume = {"name": "claude", "secret": secret}
    else:
        src = {"secret": {"name": "claude-remote-credentials", **({"items": items} if items else {})}}
        volume = {"name": "claude", "projected": {"sources": [src], **({"defaultMode": p["mode"]} if p["mode"] is not None else {})}}
    containers = []
    for i in range(p["containers"]):
        c = {"name": f"c{i}", "image": "ghcr.io/example/agent:1.0"}
        if CONTAINER_SC[p["container_sc"]]:
            c["securityContext"] = dict(CONTAINER_SC[p["container_sc"]])
        if i == 0:
            c["volumeMounts"] = [mount]
        containers.append(c)
    spec = {"containers": containers, "volumes": [volume]}
    if p["pod_restricted"]:
        spec["securityContext"] = dict(RESTRICTED_POD)
    return {"metadata": {"labels": {"app": "agent"}}, "spec": spec}


# A field path in a message, wherever the kind keeps the pod: spec.template.spec.containers[0]...,
# spec.templates[0].container..., spec.taskSpec.steps[0]..., the TaskRun's spec.podTemplate...
PATH = re.compile(r"(?:the \w+'s )?\b(?:spec|metadata)(?:\.[\w-]+|\[\d+\])*")


def normal(message: str) -> str:
    return PATH.sub("<path>", message)


def scan_kinds(params: dict) -> dict[str, list]:
    """Findings per kind id, from ONE scan of one file per kind."""
    t = template(params)
    with tempfile.TemporaryDirectory() as d:
        files = {}
        for kind_id, kind in KINDS.items():
            path = Path(d) / (kind_id.replace("/", "_") + ".yaml")
            path.write_text(yaml.safe_dump(kind.wrap("agent", "team", t), sort_keys=False))
            files[str(path)] = kind_id
        report = scan.scan(list(files))
    assert not report.failures, report.failures
    out: dict[str, list] = {k: [] for k in KINDS}
    for f in report.findings:
        out[files[f.file]].append(f)
    return out


def check(params: dict) -> None:
    found = scan_kinds(params)
    pod = collections.Counter((f.rule, normal(f.message)) for f in found["Pod"] if f.rule != "AIF006")
    # (a drawn template may break nothing: then no kind gets anything but its AIF006 findings; it
    # always holds the login, so the kinds AIF006 judges always get theirs)
    for kind_id, kind in KINDS.items():
        findings = found[kind_id]
        obj_kind = kind_id.rpartition("/")[2]
        assert all(f.resource == f"{obj_kind}/team/agent" for f in findings), (kind_id, {f.resource for f in findings})
        same = collections.Counter((f.rule, normal(f.message)) for f in findings if f.rule != "AIF006")
        assert same == pod, f"{kind_id}: missing {pod - same}, unexpected {same - pod}"
        holder = [f.message for f in findings if f.rule == "AIF006"]
        assert len(holder) == len(kind.single_holder), (kind_id, holder)
        for want in kind.single_holder:
            assert any(want in m for m in holder), (kind_id, want, holder)


def test_the_issue_24_template_gets_the_same_rules_in_every_kind():
    """The issue's case: defaultMode 0644, no readOnly: AIF002 twice, AIF004, AIF007 in every kind."""
    found = scan_kinds(ISSUE_24)
    for kind_id, findings in found.items():
        rules = collections.Counter(f.rule for f in findings if f.rule != "AIF006")
        assert rules == {"AIF002": 2, "AIF004": 4, "AIF007": 1}, (kind_id, rules)
    check(ISSUE_24)


def test_a_generated_template_gets_the_same_rules_in_every_kind():
    from hypothesis import given, strategies as st

    params = st.fixed_dictionaries({
        "containers": st.integers(min_value=1, max_value=2),
        "pod_restricted": st.booleans(),
        "container_sc": st.sampled_from(sorted(CONTAINER_SC)),
        "mount": st.sampled_from(["file", "dir"]),
        "path": st.sampled_from(["/home/nonroot/.claude/.credentials.json", "/root/.claude/.credentials.json",
                                 "/home/nonroot//.claude/./.credentials.json"]),
        "read_only": st.sampled_from([None, False, True]),
        "volume": st.sampled_from(["secret", "projected"]),
        "mode": st.sampled_from([None, 420, 384, 438, 256, 288]),
        "items": st.booleans(),
    })

    @property_settings(max_examples=EXAMPLES)
    @given(params)
    def run(p):
        check(p)

    run()


def test_malformed_kind_fields_evaluate_without_failing(tmp_path):
    """Strings, numbers and lists where the kinds keep their pods, steps, templates, strategies and
    replicas: no file fails to evaluate, no message prints a Go format error, and the well-formed
    parts are still judged."""
    report = scan.scan([str(Path(__file__).parent / "data" / "malformed-workload-kinds.yaml")])
    assert not report.failures, report.failures
    assert not [f.message for f in report.findings if "%!" in f.message]
    judged = {f.resource for f in report.findings}
    assert {"Workflow/w", "Service/k", "CloneSet/c", "Rollout/r"} <= judged
    assert not judged & {"Task/t", "TaskRun/tr", "Pipeline/p", "CronWorkflow/cw", "Thing/t", "ScaledObject/so"}


def test_check_batches_join_autoscalers_with_holders_of_any_kind(monkeypatch):
    """check (opa.evaluate, the engine) in batches of two documents: the cross-document rules still join a Rollout
    and a CloneSet with the HPA and ScaledObject aimed at them, as one evaluation does."""
    from aifactory_policy import opa
    from aifactory_policy.documents import InputDoc
    from aifactory_policy.tools import policies_dir
    good = {"metadata": {"labels": {"app": "agent"}}, "spec": {
        "securityContext": RESTRICTED_POD,
        "containers": [{"name": "a", "image": "x", "securityContext": CONTAINER_SC["restricted"],
                        "volumeMounts": [{"name": "c", "mountPath": "/root/.claude/.credentials.json",
                                          "subPath": "credentials.json", "readOnly": True}]}],
        "volumes": [{"name": "c", "secret": {"secretName": "claude", "defaultMode": 256}}]}}
    noise = [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"n{i}", "namespace": "team"}} for i in range(5)]
    docs = [*noise[:2], KINDS["argoproj.io/Rollout"].wrap("agent", "team", good), noise[2],
            {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "h", "namespace": "team"},
             "spec": {"maxReplicas": 3, "scaleTargetRef": {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": "agent"}}},
            *noise[3:], KINDS["apps.kruise.io/CloneSet"].wrap("pool", "team", good),
            {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "metadata": {"name": "s", "namespace": "team"},
             "spec": {"scaleTargetRef": {"apiVersion": "apps.kruise.io/v1beta1", "kind": "CloneSet", "name": "pool"}}}]
    inputs = [InputDoc(file=f"{i}.yaml", content=d) for i, d in enumerate(docs)]

    def autoscaled():
        return sorted(f.message.split(" (in ")[0] for f in opa.evaluate(inputs, policies_dir())
                      if f.rule == "AIF006" and " scales " in f.message)
    whole = autoscaled()
    monkeypatch.setattr(opa, "BATCH_DOCUMENTS", 2)
    assert autoscaled() == whole == ["HorizontalPodAutoscaler team/h", "ScaledObject team/s"]
