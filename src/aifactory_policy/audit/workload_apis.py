"""The workload kinds of other projects as the audit lists them, and the autoscalers that can scale
a holder of the login (AIF006): the custom resources policies/lib/workloads recognises (a pod
template where the object carries one, the pods of Argo Workflows templates and Tekton tasks) and
KEDA's ScaledObject. A project that is not installed is a note (audit/custom.py), not an error.

Keys are `<plural>.<group>` (what kubectl takes, and the dump's file name): Knative's Service and
OpenKruise's StatefulSet and DaemonSet share a plural with a built-in resource. The versions and
plurals are those of each project's CRDs (docs/facts.md, "Read in the projects' source");
docs/workload-kinds.md says what each rule judges of each kind.
"""
from __future__ import annotations

from ..rules import ranges
from .custom import Api

KRUISE = ("apps.kruise.io/v1beta1", "apps.kruise.io/v1alpha1")
TEKTON = ("tekton.dev/v1", "tekton.dev/v1beta1")

APIS = [
    Api("rollouts.argoproj.io", "rollouts", "Rollout", ("argoproj.io/v1alpha1",), "Argo Rollouts"),
    Api("services.serving.knative.dev", "services", "Service", ("serving.knative.dev/v1",), "Knative Serving"),
    Api("configurations.serving.knative.dev", "configurations", "Configuration", ("serving.knative.dev/v1",),
        "Knative Serving"),
    Api("revisions.serving.knative.dev", "revisions", "Revision", ("serving.knative.dev/v1",), "Knative Serving"),
    Api("clonesets.apps.kruise.io", "clonesets", "CloneSet", KRUISE, "OpenKruise"),
    Api("statefulsets.apps.kruise.io", "statefulsets", "StatefulSet", KRUISE, "OpenKruise"),
    Api("daemonsets.apps.kruise.io", "daemonsets", "DaemonSet", KRUISE, "OpenKruise"),
    Api("broadcastjobs.apps.kruise.io", "broadcastjobs", "BroadcastJob", KRUISE, "OpenKruise"),
    Api("advancedcronjobs.apps.kruise.io", "advancedcronjobs", "AdvancedCronJob", KRUISE, "OpenKruise"),
    Api("scaledjobs.keda.sh", "scaledjobs", "ScaledJob", ("keda.sh/v1alpha1",), "KEDA"),
    Api("workflows.argoproj.io", "workflows", "Workflow", ("argoproj.io/v1alpha1",), "Argo Workflows"),
    Api("cronworkflows.argoproj.io", "cronworkflows", "CronWorkflow", ("argoproj.io/v1alpha1",), "Argo Workflows"),
    Api("workflowtemplates.argoproj.io", "workflowtemplates", "WorkflowTemplate", ("argoproj.io/v1alpha1",),
        "Argo Workflows"),
    Api("clusterworkflowtemplates.argoproj.io", "clusterworkflowtemplates", "ClusterWorkflowTemplate",
        ("argoproj.io/v1alpha1",), "Argo Workflows", namespaced=False),
    Api("tasks.tekton.dev", "tasks", "Task", TEKTON, "Tekton Pipelines"),
    Api("taskruns.tekton.dev", "taskruns", "TaskRun", TEKTON, "Tekton Pipelines"),
    Api("pipelines.tekton.dev", "pipelines", "Pipeline", TEKTON, "Tekton Pipelines"),
    Api("pipelineruns.tekton.dev", "pipelineruns", "PipelineRun", TEKTON, "Tekton Pipelines"),
]
# Autoscalers: KEDA's ScaledObject (the HorizontalPodAutoscaler it makes, keda-hpa-<name>, is owned by
# it and left out, so one autoscaler is reported once).
AUTOSCALER_APIS = [
    Api("scaledobjects.keda.sh", "scaledobjects", "ScaledObject", ("keda.sh/v1alpha1",), "KEDA"),
]
WORKLOAD_KEYS = tuple(a.key for a in APIS)
PURPOSE = f"workloads of that kind that hold the Claude credentials ({ranges('manifest')} on them)"
AUTOSCALER_PURPOSE = "autoscalers scaling a holder of the login (AIF006)"


def purpose(api: Api) -> str:
    return AUTOSCALER_PURPOSE if api in AUTOSCALER_APIS else PURPOSE


def keep(obj: dict) -> dict:
    """The object without managedFields and status (a TaskRun's or Workflow's status repeats its spec)."""
    out = {k: v for k, v in obj.items() if k != "status"}
    meta = dict(out.get("metadata") or {})
    meta.pop("managedFields", None)
    out["metadata"] = meta
    return out
