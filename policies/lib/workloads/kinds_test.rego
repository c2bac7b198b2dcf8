package lib.workloads_kinds_test

import data.lib.testing
import data.lib.workloads

# A pod template found by where it is, whatever the kind (field names as in each project's CRD).
template_of := {"metadata": {"labels": {"app": "a"}}, "spec": testing.pod}

by_shape := {
	"spec.template.spec": [
		{"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"name": "r"}, "spec": {"strategy": {"canary": {}}, "template": template_of}},
		{"apiVersion": "serving.knative.dev/v1", "kind": "Service", "metadata": {"name": "k"}, "spec": {"template": template_of}},
		{"apiVersion": "apps.kruise.io/v1beta1", "kind": "CloneSet", "metadata": {"name": "c"}, "spec": {"template": template_of}},
		{"apiVersion": "agents.example.com/v1", "kind": "AgentPool", "metadata": {"name": "o"}, "spec": {"template": template_of}},
	],
	"spec.template.jobTemplate.spec.template.spec": [{"apiVersion": "apps.kruise.io/v1beta1", "kind": "AdvancedCronJob", "metadata": {"name": "a"}, "spec": {"template": {"jobTemplate": {"spec": {"template": template_of}}}}}],
	"spec.template.broadcastJobTemplate.spec.template.spec": [{"apiVersion": "apps.kruise.io/v1beta1", "kind": "AdvancedCronJob", "metadata": {"name": "b"}, "spec": {"template": {"broadcastJobTemplate": {"spec": {"template": template_of}}}}}],
	"spec.jobTargetRef.template.spec": [{"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledJob", "metadata": {"name": "s"}, "spec": {"jobTargetRef": {"template": template_of}}}],
	"spec": [{"apiVersion": "serving.knative.dev/v1", "kind": "Revision", "metadata": {"name": "r-1"}, "spec": testing.pod}],
}

test_a_pod_template_is_found_where_the_object_keeps_it if {
	every path, objs in by_shape {
		every obj in objs {
			workloads.is_workload(obj)
			workloads.spec_path(obj) == path
			workloads.pod_spec(obj) == testing.pod
			[m.path | some m in workloads.credentials_mounts(obj)] == [sprintf("%s.containers[0].volumeMounts[1]", [path])]
			workloads.holds_credentials(obj)
		}
	}
}

# Not workloads: a Rollout whose pods come from a referenced Deployment (judged as that
# Deployment), a KubeVirt VirtualMachine (its Secret volumes reach the guest as disks, no
# container mounts them), a template without containers.
test_objects_without_a_pod_spec_are_not_workloads if {
	not workloads.is_workload({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"name": "r"}, "spec": {"workloadRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "d"}}})
	not workloads.is_workload({"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine", "metadata": {"name": "vm"}, "spec": {"template": {"spec": {
		"domain": {"devices": {"disks": [{"name": "c", "disk": {}}]}},
		"volumes": [{"name": "c", "secret": {"secretName": "claude-remote-credentials"}}],
	}}}})
	not workloads.is_workload({"apiVersion": "example.com/v1", "kind": "Thing", "metadata": {"name": "t"}, "spec": {"template": {"spec": {"containers": "x"}}}})
	not workloads.is_workload({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"template": "spec"}})
}

# ---- Argo Workflows -------------------------------------------------------------------------

secret_vol(name, secret, mode) := {"name": name, "secret": {"secretName": secret, "defaultMode": mode}}

creds_at(name) := {"name": name, "mountPath": "/home/nonroot/.claude/.credentials.json", "subPath": "credentials.json", "readOnly": true}

workflow := {
	"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": "wf", "namespace": "ci"},
	"spec": {
		"entrypoint": "main",
		"securityContext": {"runAsNonRoot": true},
		"serviceAccountName": "runner",
		"podMetadata": {"annotations": {"aifactory.dev/credentials-secret": "claude-remote-credentials"}},
		"volumes": [secret_vol("claude", "claude-remote-credentials", 420)],
		"templates": [
			{"name": "main", "steps": [[{"name": "a", "template": "agent"}]]},
			{
				"name": "agent",
				"securityContext": {"runAsNonRoot": false},
				"volumes": [secret_vol("claude", "other-login", 256)],
				"container": {"name": "main", "image": "x", "volumeMounts": [creds_at("claude")]},
			},
			{
				"name": "set",
				"serviceAccountName": "set-runner",
				"containerSet": {
					"volumeMounts": [creds_at("claude")],
					"containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "x"}],
				},
			},
		],
	},
}

test_argo_every_template_that_runs_a_pod_is_one if {
	pods := workloads.pods(workflow)
	{p.at | some p in pods} == {"spec.templates[1]", "spec.templates[2]"}
	workloads.is_workload(workflow)
	not workloads.template(workflow)
}

# A template's own volume shadows the workflow's of the same name; a containerSet's volumeMounts
# reach every container of the set.
test_argo_mounts_resolve_the_volume_the_controller_uses if {
	got := {[m.container.path, m.path, m.volume.path] | some m in workloads.credentials_mounts(workflow)}
	got == {
		["spec.templates[1].container", "spec.templates[1].container.volumeMounts[0]", "spec.templates[1].volumes[0]"],
		["spec.templates[2].containerSet.containers[0]", "spec.templates[2].containerSet.volumeMounts[0]", "spec.volumes[0]"],
		["spec.templates[2].containerSet.containers[1]", "spec.templates[2].containerSet.volumeMounts[0]", "spec.volumes[0]"],
	}
	workloads.credentials_secrets(workflow) == {"claude-remote-credentials", "other-login"}
}

# The template's securityContext and serviceAccountName win over the workflow's.
test_argo_pod_fields_template_first if {
	some p in workloads.pods(workflow)
	p.at == "spec.templates[1]"
	p.spec.securityContext == {"runAsNonRoot": false}
	workloads.field_path(p, "securityContext") == "spec.templates[1].securityContext"
	some q in workloads.pods(workflow)
	q.at == "spec.templates[2]"
	q.spec.securityContext == {"runAsNonRoot": true}
	workloads.field_path(q, "securityContext") == "spec.securityContext"
	workloads.service_accounts(workflow) == {"runner", "set-runner"}
	workloads.pod_annotations(workflow) == {"aifactory.dev/credentials-secret": "claude-remote-credentials"}
}

test_argo_cron_workflow_keeps_it_under_workflow_spec if {
	cron := {"apiVersion": "argoproj.io/v1alpha1", "kind": "CronWorkflow", "metadata": {"name": "c"}, "spec": {"schedules": ["@daily"], "workflowSpec": workflow.spec}}
	{p.at | some p in workloads.pods(cron)} == {"spec.workflowSpec.templates[1]", "spec.workflowSpec.templates[2]"}
}

# The kind names alone do not make a workload: another group's "Workflow" is not Argo's.
test_argo_kinds_need_the_argo_group if {
	not workloads.is_workload(object.union(workflow, {"apiVersion": "example.com/v1"}))
}

# ---- Tekton ---------------------------------------------------------------------------------

task_spec := {
	"stepTemplate": {
		"securityContext": {"runAsNonRoot": true, "allowPrivilegeEscalation": false},
		"volumeMounts": [creds_at("claude")],
	},
	"steps": [
		{"name": "agent", "image": "x"},
		{"name": "other", "image": "x", "securityContext": {"allowPrivilegeEscalation": true}, "volumeMounts": [{"name": "work", "mountPath": "/home/nonroot/.claude/.credentials.json"}]},
	],
	"sidecars": [{"name": "side", "image": "x"}],
	"volumes": [secret_vol("claude", "claude-remote-credentials", 256), {"name": "work", "emptyDir": {}}],
}

task := {"apiVersion": "tekton.dev/v1", "kind": "Task", "metadata": {"name": "t"}, "spec": task_spec}

# stepTemplate: its securityContext under every step's own, its volumeMounts where a step does
# not mount the same path itself.
test_tekton_step_template_merges_into_each_step if {
	cs := {c.path: c | some c in workloads.containers(task)}
	object.keys(cs) == {"spec.steps[0]", "spec.steps[1]", "spec.sidecars[0]"}
	cs["spec.steps[0]"].container.securityContext == {"runAsNonRoot": true, "allowPrivilegeEscalation": false}
	cs["spec.steps[1]"].container.securityContext == {"runAsNonRoot": true, "allowPrivilegeEscalation": true}
	got := {[m.container.path, m.path] | some m in workloads.credentials_mounts(task)}
	got == {["spec.steps[0]", "spec.stepTemplate.volumeMounts[0]"], ["spec.steps[1]", "spec.steps[1].volumeMounts[0]"]}
}

# A Task has no pod-level fields: messages point at the TaskRun's podTemplate.
test_tekton_task_pod_fields_are_the_runs if {
	some p in workloads.pods(task)
	p.spec == {}
	workloads.field_path(p, "securityContext") == "the TaskRun's spec.podTemplate.securityContext"
	workloads.service_accounts(task) == {"default"}
}

test_tekton_runs_and_pipelines if {
	run := {"apiVersion": "tekton.dev/v1", "kind": "TaskRun", "metadata": {"name": "r", "annotations": {"aifactory.dev/remote-control": "enabled"}}, "spec": {
		"serviceAccountName": "builder",
		"taskSpec": task_spec,
		"podTemplate": {"securityContext": {"runAsNonRoot": true}, "volumes": [secret_vol("extra", "x", 256)]},
	}}
	some p in workloads.pods(run)
	p.at == "spec.taskSpec"
	p.spec == {"securityContext": {"runAsNonRoot": true}, "serviceAccountName": "builder"}
	workloads.field_path(p, "securityContext") == "spec.podTemplate.securityContext"
	{v.path | some v in p.volumes} == {"spec.taskSpec.volumes[0]", "spec.taskSpec.volumes[1]", "spec.podTemplate.volumes[0]"}
	workloads.remote_control(run)

	pipeline := {"apiVersion": "tekton.dev/v1", "kind": "Pipeline", "metadata": {"name": "p"}, "spec": {
		"tasks": [{"name": "ref", "taskRef": {"name": "t"}}, {"name": "inline", "taskSpec": task_spec}],
		"finally": [{"name": "last", "taskSpec": task_spec}],
	}}
	{q.at | some q in workloads.pods(pipeline)} == {"spec.tasks[1].taskSpec", "spec.finally[0].taskSpec"}

	prun := {"apiVersion": "tekton.dev/v1", "kind": "PipelineRun", "metadata": {"name": "pr"}, "spec": {
		"pipelineSpec": pipeline.spec,
		"taskRunTemplate": {"serviceAccountName": "builder", "podTemplate": {"securityContext": {"runAsNonRoot": true}}},
	}}
	{[q.at, workloads.field_path(q, "securityContext")] | some q in workloads.pods(prun)} == {
		["spec.pipelineSpec.tasks[1].taskSpec", "spec.taskRunTemplate.podTemplate.securityContext"],
		["spec.pipelineSpec.finally[0].taskSpec", "spec.taskRunTemplate.podTemplate.securityContext"],
	}
	workloads.service_accounts(prun) == {"builder"}
}

test_tekton_kinds_need_the_tekton_group if {
	not workloads.is_workload(object.union(task, {"apiVersion": "example.com/v1"}))
}

test_kind_of_names_the_group if {
	workloads.kind_of({"apiVersion": "serving.knative.dev/v1", "kind": "Service"}) == "serving.knative.dev/Service"
	workloads.kind_of({"apiVersion": "v1", "kind": "Service"}) == "/Service"
	workloads.kind_of({"apiVersion": "apps/v1", "kind": "Deployment"}) == "apps/Deployment"
}

# A dump of a cluster holds an owner with what its controller made: one install, not two releases.
test_an_owned_workload_is_of_its_controllers_release if {
	rev := {
		"apiVersion": "serving.knative.dev/v1", "kind": "Revision", "spec": testing.pod,
		"metadata": {"name": "agent-00001", "ownerReferences": [
			{"apiVersion": "v1", "kind": "ConfigMap", "name": "not-the-controller"},
			{"apiVersion": "serving.knative.dev/v1", "kind": "Configuration", "name": "agent", "controller": true},
		]},
	}
	workloads.release(rev) == "agent"
	workloads.release(json.remove(rev, ["metadata/ownerReferences"])) == "agent-00001"
}
