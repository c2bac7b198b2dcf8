"""Every workload kind the policies recognise, as a function that puts one pod template
({"metadata": ..., "spec": <pod spec>}) where that kind keeps it, in the real object shape of its
project's CRD (field names as in each project's Go types / published CRD schema; the commits read
are in docs/facts.md, "Read in the projects' source"). tests/test_workload_kinds.py moves the same
template across all of them.

Each entry: KINDS[id] = Kind(wrap, one_pod_controls) where `wrap(name, namespace, template)` is the
object and `single_holder` says what AIF006 judges of that kind when it holds the login with
replicas 1 and every other field at its default: the AIF006 messages' start it must report ("" when
AIF006 has nothing to say: a run-to-completion kind, a kind AIF006 does not judge).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Kind:
    wrap: Callable[[str, str, dict], dict]
    single_holder: tuple[str, ...]   # substrings of the AIF006 messages expected at defaults
    multi_pod: bool = False          # the pod spec is rebuilt from the kind's own fields (Argo, Tekton)


def _meta(name: str, ns: str) -> dict:
    return {"name": name, "namespace": ns}


def _selector(t: dict) -> dict:
    return {"matchLabels": dict((t.get("metadata") or {}).get("labels") or {"app": "agent"})}


def _template(t: dict) -> dict:
    t = copy.deepcopy(t)
    t.setdefault("metadata", {}).setdefault("labels", {"app": "agent"})
    return t


def builtin(kind: str, api: str, extra: dict) -> Callable:
    def wrap(name, ns, t):
        return {"apiVersion": api, "kind": kind, "metadata": _meta(name, ns),
                "spec": {**copy.deepcopy(extra), "selector": _selector(t), "template": _template(t)}}
    return wrap


def pod(name, ns, t):
    t = copy.deepcopy(t)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {**_meta(name, ns), **(t.get("metadata") or {})},
            "spec": t["spec"]}


def job(name, ns, t):
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": _meta(name, ns),
            "spec": {"template": _template(t)}}


def cronjob(name, ns, t):
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": _meta(name, ns),
            "spec": {"schedule": "@daily", "jobTemplate": {"spec": {"template": _template(t)}}}}


# argoproj/argo-rollouts pkg/apis/rollouts/v1alpha1/types.go: RolloutSpec.{replicas, selector,
# template, strategy.{canary,blueGreen}}
def rollout(strategy: dict) -> Callable:
    def wrap(name, ns, t):
        return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": _meta(name, ns),
                "spec": {"replicas": 1, "selector": _selector(t), "template": _template(t),
                         "strategy": copy.deepcopy(strategy)}}
    return wrap


# knative/serving pkg/apis/serving/v1: ServiceSpec and ConfigurationSpec inline template
# (RevisionTemplateSpec: metadata + spec, a RevisionSpec that inlines a PodSpec); a Revision's spec
# is that RevisionSpec.
def knative(kind: str, annotations: dict) -> Callable:
    def wrap(name, ns, t):
        t = _template(t)
        if annotations:
            t["metadata"].setdefault("annotations", {}).update(annotations)
        if kind == "Revision":
            return {"apiVersion": "serving.knative.dev/v1", "kind": kind,
                    "metadata": {**_meta(name, ns), **t["metadata"]}, "spec": t["spec"]}
        return {"apiVersion": "serving.knative.dev/v1", "kind": kind, "metadata": _meta(name, ns),
                "spec": {"template": t}}
    return wrap


# openkruise/kruise apis/apps/v1beta1: CloneSetSpec.{replicas, selector, template, updateStrategy.
# {type: RollingUpdate|OnDelete, rollingUpdate.{podUpdatePolicy, maxSurge}}}; v1alpha1 has
# updateStrategy.{type: ReCreate|InPlaceIfPossible|InPlaceOnly, maxSurge}. StatefulSet and DaemonSet
# keep the built-in fields; BroadcastJobSpec.{template, completionPolicy}; AdvancedCronJobSpec.
# template.{jobTemplate, broadcastJobTemplate}.
def kruise(kind: str, api: str, extra: dict) -> Callable:
    def wrap(name, ns, t):
        spec = {**copy.deepcopy(extra), "template": _template(t)}
        if kind in ("CloneSet", "StatefulSet", "DaemonSet"):
            spec["selector"] = _selector(t)
        return {"apiVersion": api, "kind": kind, "metadata": _meta(name, ns), "spec": spec}
    return wrap


def advanced_cronjob(name, ns, t):
    return {"apiVersion": "apps.kruise.io/v1beta1", "kind": "AdvancedCronJob", "metadata": _meta(name, ns),
            "spec": {"schedule": "*/5 * * * *", "template": {"jobTemplate": {"spec": {"template": _template(t)}}}}}


# kedacore/keda apis/keda/v1alpha1/scaledjob_types.go: ScaledJobSpec.jobTargetRef is a batch/v1 JobSpec.
def scaled_job(name, ns, t):
    return {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledJob", "metadata": _meta(name, ns),
            "spec": {"jobTargetRef": {"template": _template(t)},
                     "triggers": [{"type": "cron", "metadata": {"timezone": "UTC", "start": "0 8 * * *",
                                                                "end": "0 18 * * *", "desiredReplicas": "1"}}]}}


# An operator's own CRD that embeds a pod template where the built-in controllers do.
def operator(name, ns, t):
    return {"apiVersion": "agents.example.com/v1", "kind": "AgentPool", "metadata": _meta(name, ns),
            "spec": {"size": 1, "template": _template(t)}}


# argoproj/argo-workflows pkg/apis/workflow/v1alpha1/workflow_types.go: WorkflowSpec.{entrypoint,
# templates[].{name, container, initContainers, sidecars, volumes, securityContext, metadata},
# volumes, securityContext, podMetadata}; CronWorkflowSpec.workflowSpec. The pod's first container
# is the template's container, the others its sidecars; its volumes are the workflow's.
def _workflow_spec(t: dict) -> dict:
    spec = copy.deepcopy(t["spec"])
    main, *others = spec["containers"]
    tmpl = {"name": "main", "container": main}
    if others:
        tmpl["sidecars"] = others
    if spec.get("initContainers"):
        tmpl["initContainers"] = spec["initContainers"]
    out = {"entrypoint": "main", "templates": [tmpl]}
    for key in ("volumes", "securityContext", "serviceAccountName", "automountServiceAccountToken"):
        if key in spec:
            out[key] = spec[key]
    meta = t.get("metadata") or {}
    if meta.get("annotations") or meta.get("labels"):
        out["podMetadata"] = {k: meta[k] for k in ("annotations", "labels") if meta.get(k)}
    return out


def argo(kind: str) -> Callable:
    def wrap(name, ns, t):
        spec = _workflow_spec(t)
        if kind == "CronWorkflow":
            spec = {"schedules": ["0 * * * *"], "workflowSpec": spec}
        return {"apiVersion": "argoproj.io/v1alpha1", "kind": kind, "metadata": _meta(name, ns), "spec": spec}
    return wrap


# tektoncd/pipeline pkg/apis/pipeline/v1: TaskSpec.{steps, sidecars, volumes, stepTemplate};
# TaskRunSpec.{taskSpec, podTemplate (pod.Template: securityContext, volumes, ...),
# serviceAccountName}; PipelineSpec.tasks[].taskSpec (EmbeddedTask inlines TaskSpec);
# PipelineRunSpec.{pipelineSpec, taskRunTemplate.{podTemplate, serviceAccountName}}. A Task has no pod
# securityContext: the pod's goes to stepTemplate.securityContext (merged into every step) for a
# Task or Pipeline, to the run's podTemplate for a run. A container's name becomes its step name.
_CONTAINER_ONLY = ("runAsNonRoot", "runAsUser", "runAsGroup", "seccompProfile")


def _task_spec(t: dict, run: bool) -> dict:
    spec = copy.deepcopy(t["spec"])
    ts = {"steps": spec["containers"]}
    if spec.get("volumes"):
        ts["volumes"] = spec["volumes"]
    sc = spec.get("securityContext") or {}
    if not run and sc:
        ts["stepTemplate"] = {"securityContext": {k: sc[k] for k in _CONTAINER_ONLY if k in sc}}
    return ts


def _pod_template(t: dict) -> dict:
    spec = t["spec"]
    return {k: copy.deepcopy(spec[k]) for k in ("securityContext", "automountServiceAccountToken") if k in spec}


def tekton(kind: str) -> Callable:
    def wrap(name, ns, t):
        meta = _meta(name, ns)
        if kind == "Task":
            spec = _task_spec(t, run=False)
        elif kind == "TaskRun":
            spec = {"taskSpec": _task_spec(t, run=True), "podTemplate": _pod_template(t)}
        elif kind == "Pipeline":
            spec = {"tasks": [{"name": "agent", "taskSpec": _task_spec(t, run=False)}]}
        else:
            spec = {"pipelineSpec": {"tasks": [{"name": "agent", "taskSpec": _task_spec(t, run=True)}]},
                    "taskRunTemplate": {"podTemplate": _pod_template(t)}}
        if kind in ("TaskRun", "PipelineRun") and (t.get("metadata") or {}).get("annotations"):
            meta["annotations"] = dict(t["metadata"]["annotations"])   # Tekton copies them onto the pod
        return {"apiVersion": "tekton.dev/v1", "kind": kind, "metadata": meta, "spec": spec}
    return wrap


ROLLOUT_CANARY = {"canary": {"steps": [{"setWeight": 50}, {"pause": {"duration": "1m"}}]}}
ONE_POD = {"replicas": 1}

KINDS: dict[str, Kind] = {
    "Pod": Kind(pod, ()),
    "Deployment": Kind(builtin("Deployment", "apps/v1", ONE_POD), ("spec.strategy.type is unset (RollingUpdate)",)),
    "StatefulSet": Kind(builtin("StatefulSet", "apps/v1", ONE_POD), ("a StatefulSet runs a pod per ordinal",)),
    "DaemonSet": Kind(builtin("DaemonSet", "apps/v1", {}), ("a DaemonSet runs one pod per node",)),
    "ReplicaSet": Kind(builtin("ReplicaSet", "apps/v1", ONE_POD), ()),
    "Job": Kind(job, ()),
    "CronJob": Kind(cronjob, ()),
    "argoproj.io/Rollout": Kind(rollout(ROLLOUT_CANARY), ("spec.strategy.canary on Rollout",)),
    "serving.knative.dev/Service": Kind(knative("Service", {}), (
        "Knative starts each new Revision beside the one serving", "autoscaling.knative.dev/max-scale is unset")),
    "serving.knative.dev/Configuration": Kind(knative("Configuration", {}), (
        "Knative starts each new Revision beside the one serving", "autoscaling.knative.dev/max-scale is unset")),
    "serving.knative.dev/Revision": Kind(knative("Revision", {}), ("autoscaling.knative.dev/max-scale is unset",)),
    "apps.kruise.io/CloneSet": Kind(kruise("CloneSet", "apps.kruise.io/v1beta1", ONE_POD), (
        "spec.updateStrategy.rollingUpdate.podUpdatePolicy is unset (ReCreate)",)),
    "apps.kruise.io/StatefulSet": Kind(kruise("StatefulSet", "apps.kruise.io/v1beta1", ONE_POD),
                                       ("a StatefulSet runs a pod per ordinal",)),
    "apps.kruise.io/DaemonSet": Kind(kruise("DaemonSet", "apps.kruise.io/v1beta1", {}), ("a DaemonSet runs one pod per node",)),
    "apps.kruise.io/BroadcastJob": Kind(kruise("BroadcastJob", "apps.kruise.io/v1beta1",
                                               {"completionPolicy": {"type": "Always"}}),
                                        ("a BroadcastJob runs one pod per node",)),
    "apps.kruise.io/AdvancedCronJob": Kind(advanced_cronjob, ()),
    "keda.sh/ScaledJob": Kind(scaled_job, ("a ScaledJob runs a Job per batch of events",)),
    "agents.example.com/AgentPool": Kind(operator, ()),
    "argoproj.io/Workflow": Kind(argo("Workflow"), (), multi_pod=True),
    "argoproj.io/WorkflowTemplate": Kind(argo("WorkflowTemplate"), (), multi_pod=True),
    "argoproj.io/CronWorkflow": Kind(argo("CronWorkflow"), (), multi_pod=True),
    "tekton.dev/Task": Kind(tekton("Task"), (), multi_pod=True),
    "tekton.dev/TaskRun": Kind(tekton("TaskRun"), (), multi_pod=True),
    "tekton.dev/Pipeline": Kind(tekton("Pipeline"), (), multi_pod=True),
    "tekton.dev/PipelineRun": Kind(tekton("PipelineRun"), (), multi_pod=True),
}
