# METADATA
# title: Workload pod-spec access
# description: >-
#   Helpers that find the pod template of every workload kind (Pod, Deployment, StatefulSet,
#   DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate), its containers of
#   every type with their field paths, its volumes, and the Claude credentials mounts.
package lib.workloads

# Path (as a list of keys) from the manifest root to the pod template (metadata + spec).
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

container_types := ["initContainers", "containers", "ephemeralContainers"]

# is_workload(obj) is true for a manifest whose kind carries a pod template.
is_workload(obj) if {
	is_object(obj)
	template_keys[obj.kind]
}

# template(obj) is the pod template (an object with metadata and spec); the Pod itself for a Pod.
template(obj) := obj if {
	is_workload(obj)
	obj.kind == "Pod"
}

template(obj) := t if {
	is_workload(obj)
	obj.kind != "Pod"
	t := object.get(obj, template_keys[obj.kind], null)
	is_object(t)
}

# spec_path(obj) is the dotted path of the pod spec, e.g. "spec.template.spec".
spec_path(obj) := concat(".", array.concat(template_keys[obj.kind], ["spec"]))

# meta_path(obj) is the dotted path of the pod template metadata.
meta_path(obj) := concat(".", array.concat(template_keys[obj.kind], ["metadata"]))

# pod_spec(obj) is the pod spec of a workload ({} when absent).
pod_spec(obj) := object.get(template(obj), "spec", {})

# pod_annotations(obj) are the pod template annotations ({} when absent).
pod_annotations(obj) := object.get(template(obj), ["metadata", "annotations"], {})

# containers(obj) is the set of {"container", "path", "name", "type"} of every container type.
containers(obj) := {x |
	spec := pod_spec(obj)
	some type in container_types
	some i, c in object.get(spec, type, [])
	x := {
		"container": c,
		"name": object.get(c, "name", ""),
		"type": type,
		"path": sprintf("%s.%s[%d]", [spec_path(obj), type, i]),
	}
}

# volumes(obj) is the set of {"volume", "name", "path"} of the pod spec.
volumes(obj) := {x |
	some i, v in object.get(pod_spec(obj), "volumes", [])
	x := {"volume": v, "name": object.get(v, "name", ""), "path": sprintf("%s.volumes[%d]", [spec_path(obj), i])}
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

# is_credentials_file_path(p): a mount path ending in /.claude/.credentials.json.
is_credentials_file_path(p) if regex.match(`(^|/)\.claude/\.credentials\.json$`, p)

# is_claude_dir_path(p): a mount path that is a .claude directory.
is_claude_dir_path(p) if regex.match(`(^|/)\.claude/?$`, p)

# mounts(obj) is the set of every volumeMount of every container with its paths.
mounts(obj) := {x |
	some c in containers(obj)
	some j, m in object.get(c.container, "volumeMounts", [])
	x := {
		"container": c,
		"mount": m,
		"mount_path": object.get(m, "mountPath", ""),
		"path": sprintf("%s.volumeMounts[%d]", [c.path, j]),
	}
}

# credentials_mounts(obj) are the mounts that carry Claude credentials:
# a mount at */.claude/.credentials.json, or a Secret-backed volume mounted as a .claude directory.
# Each entry adds "volume": the {"volume", "name", "path"} entry or null when the volume is missing.
credentials_mounts(obj) := {x |
	some m in mounts(obj)
	credentials_mount(obj, m)
	x := object.union(m, {"volume": object.get(vols_by_name(obj), object.get(m.mount, "name", ""), null)})
}

vols_by_name(obj) := {v.name: v | some v in volumes(obj)}

credentials_mount(_, m) if is_credentials_file_path(m.mount_path)

credentials_mount(obj, m) if {
	is_claude_dir_path(m.mount_path)
	v := volume(obj, object.get(m.mount, "name", ""))
	secret_backed(v.volume)
}

# remote_control(obj) is true for a workload with Remote Control on: the pod template annotation
# aifactory.dev/remote-control: "enabled", or a Claude credentials mount.
remote_control(obj) if pod_annotations(obj)["aifactory.dev/remote-control"] == "enabled"

remote_control(obj) if count(credentials_mounts(obj)) > 0

# holds_credentials(obj): Remote Control on, or a credentials Secret named in the annotation.
holds_credentials(obj) if remote_control(obj)

holds_credentials(obj) if pod_annotations(obj)["aifactory.dev/credentials-secret"] != ""

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
# workload (or its pod template), else the workload name.
release(obj) := r if {
	r := obj.metadata.labels["app.kubernetes.io/instance"]
} else := r if {
	r := template(obj).metadata.labels["app.kubernetes.io/instance"]
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
