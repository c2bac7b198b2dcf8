# Fixtures and helpers for the policy tests (gatekeeper-library style): one restricted pod that
# mounts the credentials as the chart does, variants of it by object.union, and workload() that
# wraps a pod spec into every workload kind. Only *_test.rego files import this package.
package lib.testing

# ---- comparing findings ----

# same(got, want): got == want; on a mismatch it prints what is missing and what is unexpected
# (opa test shows print output of failing tests).
same(got, want) if got == want

same(got, want) := false if {
	got != want
	print("missing:", want - got)
	print("unexpected:", got - want)
}

# finding(rule, path, msg): one deny result of a rule (every rule reports severity error).
finding(rule, path, msg) := {"msg": msg, "path": path, "rule": rule, "severity": "error"}

# cross_finding: a cross-document finding, naming the positions of the documents in the input.
cross_finding(rule, path, msg, docs) := object.union(finding(rule, path, msg), {"docs": docs})

# ---- pod fixtures ----

image := "ghcr.io/example/aifactory:1.0.0"

# the restricted Pod Security Standard, pod and container level
pod_security_context := {
	"runAsNonRoot": true, "runAsUser": 65532, "runAsGroup": 65532, "fsGroup": 65532,
	"seccompProfile": {"type": "RuntimeDefault"},
}

restricted := {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "capabilities": {"drop": ["ALL"]}}

# container(name): a restricted container without mounts
container(name) := {"name": name, "image": image, "securityContext": restricted}

# the chart's readOnly mode: a writable ~/.claude and the credentials file read-only on top
state_mount := {"name": "claude-state", "mountPath": "/home/nonroot/.claude"}

credentials_mount := {
	"name": "claude-credentials", "mountPath": "/home/nonroot/.claude/.credentials.json",
	"subPath": "credentials.json", "readOnly": true,
}

state_volume := {"name": "claude-state", "emptyDir": {}}

credentials_volume := {"name": "claude-credentials", "secret": {
	"secretName": "claude-remote-credentials", "defaultMode": 256, # 0400
	"items": [{"key": "credentials.json", "path": "credentials.json"}],
}}

agent := object.union(container("aifactory"), {"volumeMounts": [state_mount, credentials_mount]})

pod := {"securityContext": pod_security_context, "containers": [agent], "volumes": [state_volume, credentials_volume]}

# pod_with_mode(mode): pod, the credentials Secret volume with another defaultMode
pod_with_mode(mode) := object.union(pod, {"volumes": [state_volume, object.union(credentials_volume, {"secret": {"defaultMode": mode}})]})

# pod_with_env(env): pod, its container with these env entries
pod_with_env(env) := object.union(pod, {"containers": [object.union(agent, {"env": env})]})

# plain_pod: restricted, no credentials
plain_pod := {"securityContext": pod_security_context, "containers": [container("w")]}

# the chart's ownedCopy and writeBack modes: an init container copies the Secret into memory
secret_volume := {"name": "credentials-secret", "secret": {"secretName": "claude-remote-credentials", "defaultMode": 288}} # 0440

owned_volume := {"name": "claude-owned", "emptyDir": {"medium": "Memory"}}

# copy_credentials(file, mode, dir): the init container copying the Secret to file, mounting
# the in-memory volume at dir
copy_credentials(file, mode, dir) := object.union(container("copy-credentials"), {
	"command": ["sh", "-c", sprintf("cp /run/aifactory/credentials-secret/credentials.json %s && chmod %s %s", [file, mode, file])],
	"volumeMounts": [
		{"name": "credentials-secret", "mountPath": "/run/aifactory/credentials-secret", "readOnly": true},
		{"name": "claude-owned", "mountPath": dir},
	],
})

owned_copy_pod := {
	"securityContext": pod_security_context,
	"initContainers": [copy_credentials("/run/aifactory/owned/credentials.json", "0400", "/run/aifactory/owned")],
	"containers": [object.union(container("aifactory"), {"volumeMounts": [state_mount, object.union(credentials_mount, {"name": "claude-owned"})]})],
	"volumes": [state_volume, owned_volume, secret_volume],
}

write_back_pod := {
	"securityContext": pod_security_context,
	"initContainers": [copy_credentials("/home/nonroot/.claude/.credentials.json", "0600", "/home/nonroot/.claude")],
	"containers": [
		object.union(container("aifactory"), {"volumeMounts": [{"name": "claude-owned", "mountPath": "/home/nonroot/.claude"}]}),
		object.union(container("credentials-writeback"), {"volumeMounts": [{"name": "claude-owned", "mountPath": "/home/nonroot/.claude", "readOnly": true}]}),
	],
	"volumes": [owned_volume, secret_volume],
}

# ---- workloads ----

# workload(kind, spec): the pod spec as a Pod, or as the pod template of any workload kind, in
# namespace aifactory (named p for a Pod, c for a CronJob, w otherwise).
workload("Pod", spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "aifactory"}, "spec": spec}

workload("CronJob", spec) := {
	"apiVersion": "batch/v1", "kind": "CronJob",
	"metadata": {"name": "c", "namespace": "aifactory"},
	"spec": {"schedule": "@daily", "jobTemplate": {"spec": {"template": {"metadata": {}, "spec": spec}}}},
}

workload(kind, spec) := {
	"apiVersion": "apps/v1", "kind": kind,
	"metadata": {"name": "w", "namespace": "aifactory"},
	"spec": object.union(controller_spec[kind], {"template": {"metadata": {}, "spec": spec}}),
}

# the spec fields of each controller beside its pod template (Job's apiVersion is apps/v1 in
# these fixtures: the rules read kind only)
controller_spec := {
	"Deployment": {"replicas": 1, "strategy": {"type": "Recreate"}},
	"StatefulSet": {"replicas": 1},
	"ReplicaSet": {"replicas": 1},
	"DaemonSet": {},
	"Job": {},
}

workload_kinds := {"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"}

# part_of_chart(kind, spec): workload() labelled as one of this chart's (app.kubernetes.io/part-of)
part_of_chart(kind, spec) := object.union(workload(kind, spec), {"metadata": {"labels": {"app.kubernetes.io/part-of": "aifactory"}}})

# release(kind, name, spec): a controller of Helm release `name`, labelled as the chart labels it
release(kind, name, spec) := object.union(workload(kind, spec), {
	"metadata": {"name": name, "labels": {"app.kubernetes.io/instance": name}},
	"spec": {
		"selector": {"matchLabels": release_labels(name)},
		"template": {"metadata": {"labels": release_labels(name)}},
	},
})

release_labels(name) := {"app.kubernetes.io/name": "aifactory", "app.kubernetes.io/instance": name}

# chart(kind, name, mode, spec): release() with the chart's Remote Control annotations for a
# credentials mode (readOnly, ownedCopy, writeBack)
chart(kind, name, mode, spec) := object.union(release(kind, name, spec), {"spec": {"template": {"metadata": {"annotations": {
	"aifactory.dev/remote-control": "enabled",
	"aifactory.dev/credentials-secret": "claude-remote-credentials",
	"aifactory.dev/credentials-mode": mode,
}}}}})

# combined(docs): conftest --combine input, one file per document
combined(docs) := [{"path": sprintf("%d.yaml", [i]), "contents": doc} | some i, doc in docs]
