# METADATA
# title: Workload pod-spec access
# description: >-
#   Helpers that find every pod an object makes: the pod template of the built-in workload kinds
#   and of any object that carries one where a controller does (spec.template, a CronJob-like
#   spec.jobTemplate, ...: Argo Rollouts, Knative, OpenKruise and operators' own CRDs), the pods
#   of Argo Workflows templates and Tekton tasks; their containers of every type with their field
#   paths, their volumes, and the Claude credentials mounts. docs/workload-kinds.md lists the kinds.
package lib.workloads

# The built-in kinds: path (as a list of keys) from the manifest root to the pod template
# (metadata + spec). Found by kind, so a partial manifest of these kinds still counts.
template_keys := {
	"Pod": [],
	"PodTemplate": ["template"],
	"Deployment": ["spec", "template"],
	"StatefulSet": ["spec", "template"],
	"DaemonSet": ["spec", "template"],
	"ReplicaSet": ["spec", "template"],
	"ReplicationController": ["spec", "template"],
	"Job": ["spec", "template"],
	"CronJob": ["spec", "jobTemplate", "spec", "template"],
}

# Where any other object carries a pod template, first match wins: a pod spec (an object with a
# containers list) at <path>.spec makes the object a workload, whatever its kind. The first two
# are the shapes of the built-in controllers, which CRDs copy (Argo Rollouts Rollout, Knative
# Service and Configuration, OpenKruise CloneSet, StatefulSet, DaemonSet and BroadcastJob, and
# operators' own kinds); then OpenKruise AdvancedCronJob (its template holds a Job or a
# BroadcastJob template), KEDA ScaledJob (a Job spec at spec.jobTargetRef) and a bare template.
# [] is an object whose own spec is a pod spec (a Knative Revision, like a Pod). shape_path tries
# them in this order, each by a direct reference (most documents have no spec.template at all, and
# every rule asks is_workload of every document).
template_shapes := [
	["spec", "template"],
	["spec", "jobTemplate", "spec", "template"],
	["spec", "template", "jobTemplate", "spec", "template"],
	["spec", "template", "broadcastJobTemplate", "spec", "template"],
	["spec", "jobTargetRef", "template"],
	["template"],
	[],
]

shape_path(obj) := template_shapes[0] if {
	is_pod_spec(obj.spec.template.spec)
} else := template_shapes[1] if {
	is_pod_spec(obj.spec.jobTemplate.spec.template.spec)
} else := template_shapes[2] if {
	is_pod_spec(obj.spec.template.jobTemplate.spec.template.spec)
} else := template_shapes[3] if {
	is_pod_spec(obj.spec.template.broadcastJobTemplate.spec.template.spec)
} else := template_shapes[4] if {
	is_pod_spec(obj.spec.jobTargetRef.template.spec)
} else := template_shapes[5] if {
	is_pod_spec(obj.template.spec)
} else := template_shapes[6] if {
	is_pod_spec(obj.spec)
}

container_types := ["initContainers", "containers", "ephemeralContainers"]

# is_pod_spec(s): what a pod spec has and other specs do not, a list of container objects.
is_pod_spec(s) if {
	is_array(s.containers)
	count(s.containers) > 0
	every c in s.containers {
		is_object(c)
	}
}

# template_path(obj) is the path to the pod template of a single-template object (undefined for
# the kinds that make several pods, and for objects without one).
template_path(obj) := template_keys[obj.kind] if {
	is_object(obj)
	template_keys[obj.kind]
} else := shape_path(obj) if {
	is_object(obj.metadata)
	not no_pod_kinds[obj.kind]
}

# Kinds that carry no pod spec anywhere: common documents, answered without a look at their shape.
no_pod_kinds := {
	"ConfigMap", "Secret", "ServiceAccount", "Namespace", "Role", "ClusterRole", "RoleBinding",
	"ClusterRoleBinding", "Ingress", "NetworkPolicy", "PersistentVolumeClaim", "PersistentVolume",
	"HorizontalPodAutoscaler", "PodDisruptionBudget", "CustomResourceDefinition", "StorageClass", "Endpoints",
	"EndpointSlice", "LimitRange", "ResourceQuota", "PriorityClass", "Lease", "Event", "List",
}

# input_is_workload: is_workload(input), once per document and rule package (a rule is cached
# within its evaluation, a function call is not; every rule asks it of every document).
input_is_workload if is_workload(input)

# is_workload(obj) is true for a manifest that carries a pod template or makes pods.
is_workload(obj) if template_path(obj)

is_workload(obj) if {
	multi_pod(obj)
	count(multi_pods(obj)) > 0
}

# template(obj) is the pod template (an object with metadata and spec); the object itself when
# its own spec is the pod spec (a Pod, a Knative Revision).
template(obj) := obj if {
	template_path(obj) == []
} else := t if {
	t := object.get(obj, template_path(obj), null)
	is_object(t)
}

# spec_path(obj) is the dotted path of the pod spec, e.g. "spec.template.spec".
spec_path(obj) := concat(".", array.concat(template_path(obj), ["spec"]))

# meta_path(obj) is the dotted path of the pod template metadata.
meta_path(obj) := concat(".", array.concat(template_path(obj), ["metadata"]))

# pod_spec(obj) is the pod spec of a single-template workload ({} when absent).
pod_spec(obj) := object.get(template(obj), "spec", {})

# pod_annotations(obj) are the annotations of the pods the object makes ({} when absent): the pod
# template's; for Argo Workflows spec.podMetadata's (every pod), for Tekton the run's own (Tekton
# copies them onto the pod).
pod_annotations(obj) := object.get(template(obj), ["metadata", "annotations"], {}) if {
	template(obj)
} else := object.get(argo_workflow_spec(obj), ["podMetadata", "annotations"], {}) if {
	argo_workflow_spec(obj)
} else := object.get(obj, ["metadata", "annotations"], {}) if {
	obj.kind in {"TaskRun", "PipelineRun"}
	tekton(obj)
} else := {}

# pods(obj) is the set of pods an object makes, each {"at": dotted path of the pod spec (for a
# multi-pod kind: of the Argo template or Tekton task spec), "spec": the pod-level fields
# (securityContext, hostNetwork, serviceAccountName, ...), "paths": where each pod-level field is
# read or would be set when not spec_path-relative, "containers", "volumes"}.
pods(obj) := {{
	"at": spec_path(obj), "spec": pod_spec(obj), "paths": {},
	"containers": template_containers(obj), "volumes": template_volumes(obj),
}} if {
	template(obj)
} else := multi_pods(obj)

template_containers(obj) := {c |
	at := spec_path(obj)
	spec := pod_spec(obj)
	some type in container_types
	some i, x in object.get(spec, type, [])
	c := container_entry(x, type, sprintf("%s.%s[%d]", [at, type, i]), at, [])
}

template_volumes(obj) := {v |
	at := spec_path(obj)
	some i, x in object.get(pod_spec(obj), "volumes", [])
	v := volume_entry(x, sprintf("%s.volumes[%d]", [at, i]))
}

container_entry(x, type, path, pod, extra_mounts) := {
	"container": x, "name": object.get(x, "name", ""), "type": type, "path": path,
	"pod": pod, "extra_mounts": extra_mounts,
}

volume_entry(x, path) := {"volume": x, "name": object.get(x, "name", ""), "path": path}

# field_path(p, field): where pod p reads a pod-level field (securityContext, hostNetwork, ...).
field_path(p, field) := object.get(p.paths, field, sprintf("%s.%s", [p.at, field]))

# service_accounts(obj): the ServiceAccounts the object's pods run as ("default" when unset).
service_accounts(obj) := sas if {
	sas := {object.get(p.spec, "serviceAccountName", "default") | some p in pods(obj)}
	count(sas) > 0
} else := {"default"}

# ---- kinds that make several pods ----------------------------------------------------------

# The kinds that make several pods, by kind first (a lookup: every rule asks of every document).
multi_pod_kinds := object.keys(argo_spec_keys) | tekton_kinds

multi_pod(obj) if {
	multi_pod_kinds[obj.kind]
	argo_workflow_spec(obj)
}

multi_pod(obj) if {
	multi_pod_kinds[obj.kind]
	tekton_task_specs(obj)
}

multi_pods(obj) := argo_pods(obj) | tekton_pods(obj) if {
	multi_pod_kinds[obj.kind]
} else := set()

# Argo Workflows (argoproj.io): Workflow, WorkflowTemplate and ClusterWorkflowTemplate keep the
# WorkflowSpec at spec, CronWorkflow at spec.workflowSpec. Each template with a container, a
# script or a containerSet runs as one pod (workflow/controller/workflowpod.go).
argo_spec_keys := {
	"Workflow": ["spec"], "WorkflowTemplate": ["spec"], "ClusterWorkflowTemplate": ["spec"],
	"CronWorkflow": ["spec", "workflowSpec"],
}

argo_workflow_spec(obj) := s if {
	startswith(obj.apiVersion, "argoproj.io/")
	s := object.get(obj, argo_spec_keys[obj.kind], null)
	is_array(s.templates)
}

# One pod per template: the template's volumes first, then the workflow's (the controller looks a
# mount's volume up in that order); containerSet.volumeMounts go to every container of the set;
# the pod securityContext is the template's, else the workflow's; serviceAccountName and
# automountServiceAccountToken likewise; hostNetwork is the workflow's.
argo_pods(obj) := {p |
	wf := argo_workflow_spec(obj)
	wf_at := concat(".", argo_spec_keys[obj.kind])
	some i, t in wf.templates
	argo_runs_pod(t)
	at := sprintf("%s.templates[%d]", [wf_at, i])
	own := {v.name | some v in object.get(t, "volumes", [])}
	p := {
		"at": at,
		"spec": object.union(
			object.filter(wf, {"securityContext", "hostNetwork", "serviceAccountName", "automountServiceAccountToken"}),
			object.filter(t, {"securityContext", "serviceAccountName", "automountServiceAccountToken"}),
		),
		"paths": {f: argo_field_path(t, at, wf, wf_at, f) | some f in {"securityContext", "serviceAccountName", "automountServiceAccountToken", "hostNetwork", "hostPID", "hostIPC"}},
		"containers": argo_containers(t, at),
		"volumes": ({volume_entry(v, sprintf("%s.volumes[%d]", [at, k])) | some k, v in object.get(t, "volumes", [])} | {volume_entry(v, sprintf("%s.volumes[%d]", [wf_at, k])) |
			some k, v in object.get(wf, "volumes", [])
			not object.get(v, "name", "") in own
		}),
	}
}

argo_runs_pod(t) if is_object(t.container)

argo_runs_pod(t) if is_object(t.script)

argo_runs_pod(t) if is_array(t.containerSet.containers)

argo_field_path(t, at, wf, wf_at, f) := sprintf("%s.%s", [at, f]) if {
	f in object.keys(t)
} else := sprintf("%s.%s", [wf_at, f]) if {
	f in object.keys(wf)
} else := sprintf("%s.%s", [wf_at, f]) if {
	f in {"hostNetwork", "hostPID", "hostIPC"}
} else := sprintf("%s.%s", [at, f])

# The template's containers: container and script (a Container with a source), every container
# of a containerSet (with the set's volumeMounts), initContainers, sidecars (run as containers).
argo_containers(t, at) := (({c |
	some f in ["container", "script"]
	is_object(t[f])
	c := container_entry(t[f], "containers", sprintf("%s.%s", [at, f]), at, [])
} | {c |
	some j, x in t.containerSet.containers
	shared := [[sprintf("%s.containerSet.volumeMounts[%d]", [at, k]), m] | some k, m in object.get(t.containerSet, "volumeMounts", [])]
	c := container_entry(x, "containers", sprintf("%s.containerSet.containers[%d]", [at, j]), at, shared)
}) | {c |
	some j, x in object.get(t, "initContainers", [])
	c := container_entry(x, "initContainers", sprintf("%s.initContainers[%d]", [at, j]), at, [])
}) | {c |
	some j, x in object.get(t, "sidecars", [])
	c := container_entry(x, "containers", sprintf("%s.sidecars[%d]", [at, j]), at, [])
}

# Tekton Pipelines (tekton.dev): every task spec runs as one pod, its steps and sidecars as
# containers; a Task (and ClusterTask) is one at spec, a TaskRun's at spec.taskSpec, a Pipeline's
# at spec.tasks[i].taskSpec and spec.finally[i].taskSpec, a PipelineRun's under spec.pipelineSpec.
# A run's podTemplate (TaskRun spec.podTemplate, PipelineRun spec.taskRunTemplate.podTemplate) adds
# volumes and the pod securityContext; serviceAccountName is the run's.
tekton(obj) if startswith(obj.apiVersion, "tekton.dev/")

tekton_kinds := {"Task", "ClusterTask", "TaskRun", "Pipeline", "PipelineRun"}

tekton_task_specs(obj) := {["spec", obj.spec]} if {
	tekton(obj)
	obj.kind in {"Task", "ClusterTask"}
	is_object(obj.spec)
} else := {["spec.taskSpec", obj.spec.taskSpec]} if {
	tekton(obj)
	obj.kind == "TaskRun"
	is_object(obj.spec.taskSpec)
} else := pipeline_task_specs(obj.spec, "spec") if {
	tekton(obj)
	obj.kind == "Pipeline"
} else := pipeline_task_specs(obj.spec.pipelineSpec, "spec.pipelineSpec") if {
	tekton(obj)
	obj.kind == "PipelineRun"
}

pipeline_task_specs(ps, at) := {[sprintf("%s.%s[%d].taskSpec", [at, list, i]), t.taskSpec] |
	some list in ["tasks", "finally"]
	some i, t in object.get(ps, list, [])
	is_object(t.taskSpec)
}

tekton_run_keys := {"TaskRun": ["spec"], "PipelineRun": ["spec", "taskRunTemplate"]}

# run(obj): [path, the run's fields beside the task: podTemplate, serviceAccountName]; ["", {}] for a Task or Pipeline.
tekton_run(obj) := [concat(".", tekton_run_keys[obj.kind]), object.get(obj, tekton_run_keys[obj.kind], {})] if {
	tekton_run_keys[obj.kind]
} else := ["", {}]

tekton_pods(obj) := {p |
	some [at, ts] in tekton_task_specs(obj)
	[run_at, run] := tekton_run(obj)
	pt := object.get(run, "podTemplate", {})
	pt_at := sprintf("%s.podTemplate", [run_at])
	p := {
		"at": at,
		"spec": object.union(
			object.filter(pt, {"securityContext", "hostNetwork", "automountServiceAccountToken"}),
			object.filter(run, {"serviceAccountName"}),
		),
		"paths": tekton_paths(obj, run_at, pt_at),
		"containers": tekton_containers(ts, at),
		"volumes": ({volume_entry(v, sprintf("%s.volumes[%d]", [at, k])) | some k, v in object.get(ts, "volumes", [])} | {volume_entry(v, sprintf("%s.volumes[%d]", [pt_at, k])) | some k, v in object.get(pt, "volumes", [])}),
	}
}

# A Task or Pipeline alone has no pod-level fields: the run's podTemplate sets them.
tekton_paths(obj, run_at, pt_at) := object.union(
	{f: sprintf("%s.%s", [pt_at, f]) | some f in {"securityContext", "hostNetwork", "hostPID", "hostIPC", "automountServiceAccountToken"}},
	{"serviceAccountName": sprintf("%s.serviceAccountName", [run_at])},
) if {
	run_at != ""
} else := object.union(
	{f: sprintf("%s.podTemplate.%s", [tekton_runner[obj.kind], f]) | some f in {"securityContext", "hostNetwork", "hostPID", "hostIPC", "automountServiceAccountToken"}},
	{"serviceAccountName": sprintf("%s.serviceAccountName", [tekton_runner[obj.kind]])},
)

tekton_runner := {"Task": "the TaskRun's spec", "ClusterTask": "the TaskRun's spec", "Pipeline": "the PipelineRun's spec.taskRunTemplate"}

# Steps and sidecars. Tekton merges stepTemplate into each step (a strategic merge: the step's own
# fields win, volumeMounts keyed by mountPath): its securityContext under the step's, and its
# volumeMounts to every step that does not mount the same path itself. (Its env is not merged here.)
tekton_containers(ts, at) := {c |
	step_defaults := object.filter(object.get(ts, "stepTemplate", {}), {"securityContext"})
	some j, x in object.get(ts, "steps", [])
	own := {m.mountPath | some m in object.get(x, "volumeMounts", [])}
	shared := [[sprintf("%s.stepTemplate.volumeMounts[%d]", [at, k]), m] |
		some k, m in object.get(object.get(ts, "stepTemplate", {}), "volumeMounts", [])
		not object.get(m, "mountPath", "") in own
	]
	c := container_entry(object.union(step_defaults, x), "containers", sprintf("%s.steps[%d]", [at, j]), at, shared)
} | {c |
	some j, x in object.get(ts, "sidecars", [])
	c := container_entry(x, "containers", sprintf("%s.sidecars[%d]", [at, j]), at, [])
}

# ---- every pod's containers, volumes and mounts ----------------------------------------------

# containers(obj) is the set of {"container", "path", "name", "type", "pod", "extra_mounts"} of
# every container of every pod; "pod" is the pod's "at", "extra_mounts" the [path, mount] pairs a
# container gets from elsewhere (an Argo containerSet, a Tekton stepTemplate).
containers(obj) := template_containers(obj) if {
	template(obj)
} else := {c |
	some p in multi_pods(obj)
	some c in p.containers
}

# volumes(obj) is the set of {"volume", "name", "path"} of every pod.
volumes(obj) := template_volumes(obj) if {
	template(obj)
} else := {v |
	some p in multi_pods(obj)
	some v in p.volumes
}

# volume(obj, name) is the {"volume", "name", "path"} entry of the named volume.
volume(obj, name) := v if {
	some v in volumes(obj)
	v.name == name
}

# secret_backed(v) is true for a Secret volume or a projected volume with a Secret source.
secret_backed(v) if v.secret

secret_backed(v) if {
	some src in v.projected.sources
	src.secret
}

# secret_names(v) is the set of Secret names a volume projects.
secret_names(v) := {n | n := v.secret.secretName} | {n |
	some src in v.projected.sources
	n := src.secret.name
}

# clean_path(p) is p as the kubelet and the container runtime resolve it (Go's path.Clean):
# repeated and trailing slashes and "." segments dropped, ".." segments resolved (up to 8 deep;
# deeper ones are left in place). "" for a non-string.
clean_path(p) := p if {
	is_string(p)
	p != ""
	not regex.match(`//|/$|(^|/)\.\.?(/|$)`, p) # already clean (the usual case): nothing to resolve
} else := c if {
	is_string(p)
	segs := [s | some s in split(p, "/"); not s in {"", "."}]
	resolved := [s | some s in split(up(up(up(up(up(up(up(up(concat("/", segs))))))))), "/"); s != ""]
	c := rooted(p, resolved)
} else := ""

# up(s): one pass of "segment/.." removal on a slash-joined path.
up(s) := regex.replace(s, `(^|/)([^/.][^/]*|\.[^/.][^/]*|\.\.[^/]+)/\.\.(/|$)`, "/")

# rooted(p, segs): an absolute path stays absolute, and ".." above the root is the root.
rooted(p, segs) := concat("", ["/", concat("/", [s | some i, s in segs; not above_root(segs, i)])]) if {
	startswith(p, "/")
} else := concat("/", segs)

above_root(segs, i) if {
	every s in array.slice(segs, 0, i + 1) {
		s == ".."
	}
}

# is_credentials_file_path(p): a mount path ending in /.claude/.credentials.json (after clean_path).
is_credentials_file_path(p) if regex.match(`(^|/)\.claude/\.credentials\.json$`, clean_path(p))

# is_claude_dir_path(p): a mount path that is a .claude directory (after clean_path).
is_claude_dir_path(p) if regex.match(`(^|/)\.claude$`, clean_path(p))

# sub_path(m) is the mount's subPath or subPathExpr; "" (the API's "unset") when neither is a
# non-empty string.
sub_path(m) := m.subPath if {
	is_string(m.subPath)
	m.subPath != ""
} else := m.subPathExpr if {
	is_string(m.subPathExpr)
	m.subPathExpr != ""
} else := ""

# mounts(obj) is the set of every volumeMount of every container with its paths: "mount_path" as
# written, "clean_path" as resolved; a container's extra_mounts (an Argo containerSet's, a Tekton
# stepTemplate's) count as its own.
mounts(obj) := {m |
	some p in pods(obj)
	some m in pod_mounts(p)
}

pod_mounts(p) := {x |
	some c in p.containers
	some [path, m] in container_mounts(c)
	x := {
		"container": c,
		"mount": m,
		"mount_path": object.get(m, "mountPath", ""),
		"clean_path": clean_path(object.get(m, "mountPath", "")),
		"path": path,
	}
}

container_mounts(c) := {[sprintf("%s.volumeMounts[%d]", [c.path, j]), m] | some j, m in object.get(c.container, "volumeMounts", [])} | {pair | some pair in c.extra_mounts}

# secret_items(v) are the [field path (relative to the volume), item path] of every Secret item
# of a volume: secret.items[] and projected.sources[].secret.items[].
secret_items(v) := {[sprintf("secret.items[%d].path", [k]), item.path] |
	some k, item in v.secret.items
	is_string(item.path)
} | {[sprintf("projected.sources[%d].secret.items[%d].path", [s, k]), item.path] |
	some s, src in v.projected.sources
	some k, item in src.secret.items
	is_string(item.path)
}

# item_landing(m, item_path) is where a Secret item lands in the container: under the mount
# (no subPath), or under it relative to the subPath directory the item is in.
item_landing(m, item_path) := clean_path(concat("/", [m.clean_path, item_path])) if {
	sub_path(m.mount) == ""
} else := clean_path(concat("/", [m.clean_path, substring(ip, count(sp) + 1, -1)])) if {
	sp := clean_path(sub_path(m.mount))
	ip := clean_path(item_path)
	startswith(ip, concat("", [sp, "/"]))
}

# credentials_mounts(obj) are the mounts that carry Claude credentials: a mount at
# */.claude/.credentials.json, a Secret-backed volume mounted as a .claude directory, or a
# Secret-backed volume mounted at a parent directory whose items[].path puts a file at
# */.claude/.credentials.json. Each entry adds "volume" (the {"volume", "name", "path"} entry, or
# null when the volume is missing), "file" (where the credentials file is, resolved), "under" (true
# when that file is inside the mounted directory, put there by an item) and "via" ("", or
# " (<volume field> puts the file at <file>)" for messages).
credentials_mounts(obj) := {x |
	some p in pods(obj)
	by_name := vols_by_name(p)
	some m in pod_mounts(p)
	some [file, via] in credentials_mount(by_name, m)
	x := object.union(m, {
		"volume": object.get(by_name, object.get(m.mount, "name", ""), null),
		"file": file, "via": via, "under": via != "",
	})
}

# vols_by_name(p): a pod's volumes by name. Two volumes of one name in one pod (which the API server
# refuses) make evaluation fail, and scan names the file (tests/test_hostile_inputs.py).
vols_by_name(p) := {v.name: v | some v in p.volumes}

credentials_mount(by_name, m) := {[m.clean_path, ""]} if {
	is_credentials_file_path(m.clean_path)
} else := {[concat("", [m.clean_path, "/.credentials.json"]), ""]} if {
	is_claude_dir_path(m.clean_path)
	sub_path(m.mount) == ""
	secret_mount(by_name, m)
} else := landings if {
	landings := item_landings(by_name, m)
	count(landings) > 0
} else := {[concat("", [m.clean_path, "/.credentials.json"]), ""]} if {
	is_claude_dir_path(m.clean_path)
	secret_mount(by_name, m)
}

secret_mount(by_name, m) if secret_backed(by_name[object.get(m.mount, "name", "")].volume)

# item_landings(by_name, m): [file, via] for every Secret item of the mounted volume that lands on
# */.claude/.credentials.json.
item_landings(by_name, m) := {[at, via] |
	v := by_name[object.get(m.mount, "name", "")]
	secret_backed(v.volume)
	some [field, item_path] in secret_items(v.volume)
	at := item_landing(m, item_path)
	is_credentials_file_path(at)
	via := sprintf(" (%s.%s puts the file at %s)", [v.path, field, at])
}

# remote_control(obj) is true for a workload with Remote Control on: the pod template annotation
# aifactory.dev/remote-control: "enabled", or a Claude credentials mount.
remote_control(obj) if pod_annotations(obj)["aifactory.dev/remote-control"] == "enabled"

remote_control(obj) if count(credentials_mounts(obj)) > 0

# holds_credentials(obj): Remote Control on, or a credentials Secret named in the annotation.
holds_credentials(obj) if remote_control(obj)

holds_credentials(obj) if pod_annotations(obj)["aifactory.dev/credentials-secret"] != ""

# chart_labelled(obj): an object the chart made (its labels).
chart_labelled(obj) if obj.metadata.labels["app.kubernetes.io/part-of"] == "aifactory"

chart_labelled(obj) if startswith(obj.metadata.labels["helm.sh/chart"], "aifactory-")

# of_an_install(obj): part of an AIFactory install, by the chart's labels or by the credentials it
# holds (hand-written workloads too).
of_an_install(obj) if chart_labelled(obj)

of_an_install(obj) if holds_credentials(obj)

# broker(obj): the credentials broker's workload (remoteControl.mode: broker), the one holder of the login.
broker(obj) if pod_annotations(obj)["aifactory.dev/credentials-broker"] == "enabled"

# broker_agent(obj): an agent of a broker-mode install (it is meant to hold an access token only).
broker_agent(obj) if {
	pod_annotations(obj)["aifactory.dev/credentials-mode"] == "broker"
	not broker(obj)
}

# source_secret_refs(obj): every place the pod refers to the install's source Secret (named in the
# aifactory.dev/credentials-secret annotation): volumes, env secretKeyRef, envFrom secretRef.
source_secret_refs(obj) := {r |
	name := pod_annotations(obj)["aifactory.dev/credentials-secret"]
	some r in secret_refs(obj, name)
}

secret_refs(obj, name) := ({[v.path, "a volume"] |
	some v in volumes(obj)
	name in secret_names(v.volume)
} | {[sprintf("%s.env[%d].valueFrom.secretKeyRef", [c.path, i]), "an env secretKeyRef"] |
	some c in containers(obj)
	some i, e in object.get(c.container, "env", [])
	e.valueFrom.secretKeyRef.name == name
}) | {[sprintf("%s.envFrom[%d].secretRef", [c.path, i]), "an envFrom secretRef"] |
	some c in containers(obj)
	some i, e in object.get(c.container, "envFrom", [])
	e.secretRef.name == name
}

# access_only_agent(obj): a broker-mode agent that refers to the source Secret nowhere, so it holds
# no refresh token (AIF008 flags one that does).
access_only_agent(obj) if {
	broker_agent(obj)
	count(source_secret_refs(obj)) == 0
}

# part_of_chart(obj): an object of this chart (label app.kubernetes.io/part-of: aifactory on it or,
# for a workload, on its pod template).
part_of_chart(obj) if obj.metadata.labels["app.kubernetes.io/part-of"] == "aifactory"

part_of_chart(obj) if template(obj).metadata.labels["app.kubernetes.io/part-of"] == "aifactory"

# credentials_secrets(obj) are the names of the Secrets used as the Claude credentials: the
# Secret volumes behind credentials mounts and the aifactory.dev/credentials-secret annotation.
credentials_secrets(obj) := {n |
	some m in credentials_mounts(obj)
	some n in secret_names(m.volume.volume)
} | {n |
	n := pod_annotations(obj)["aifactory.dev/credentials-secret"]
	is_string(n)
	n != ""
}

# release(obj) is the Helm release of a workload: label app.kubernetes.io/instance on the
# workload (or its pod template), else the name of the controller that owns it (a dump of a cluster
# holds a Knative Service with its Revisions, a Rollout with its ReplicaSets: one install), else the
# workload name.
release(obj) := r if {
	r := obj.metadata.labels["app.kubernetes.io/instance"]
} else := r if {
	r := template(obj).metadata.labels["app.kubernetes.io/instance"]
} else := r if {
	owners := [ref.name | some ref in obj.metadata.ownerReferences; ref.controller == true]
	r := owners[0]
} else := object.get(obj, ["metadata", "name"], "")

namespace(obj) := object.get(obj, ["metadata", "namespace"], "")

# is_combined(x): conftest --combine input, a list of {"path", "contents"}.
is_combined(x) if {
	is_array(x)
	every e in x {
		is_object(e)
		"contents" in object.keys(e)
	}
}

# combined_documents(x) flattens combined input: one entry per document (a multi-document YAML
# file is a list of documents) with "index" (position in the input list) and "file".
combined_documents(x) := {d |
	is_combined(x)
	some i, e in x
	is_array(e.contents)
	some doc in e.contents
	d := {"index": i, "file": object.get(e, "path", ""), "doc": doc}
} | {d |
	is_combined(x)
	some i, e in x
	not is_array(e.contents)
	d := {"index": i, "file": object.get(e, "path", ""), "doc": e.contents}
}

# describe(obj) is "Kind/name" (with the namespace when set).
describe(obj) := sprintf("%s %s/%s", [obj.kind, namespace(obj), object.get(obj, ["metadata", "name"], "")]) if {
	namespace(obj) != ""
} else := sprintf("%s %s", [object.get(obj, "kind", ""), object.get(obj, ["metadata", "name"], "")])

# api_group(obj) is the API group of the object's apiVersion ("" for the core group, "apps" for
# apps/v1, "argoproj.io" for argoproj.io/v1alpha1).
api_group(obj) := g if {
	parts := split(obj.apiVersion, "/")
	count(parts) == 2
	g := parts[0]
} else := ""

# kind_of(obj) is "<group>/<Kind>" ("apps/Deployment", "serving.knative.dev/Service", "/Pod"):
# CRDs reuse built-in kind names (Knative Service, OpenKruise StatefulSet and DaemonSet).
kind_of(obj) := sprintf("%s/%s", [api_group(obj), object.get(obj, "kind", "")])
