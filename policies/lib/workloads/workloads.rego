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
	at := spec_path(obj) # once per object, not per container
	some type in container_types
	some i, c in object.get(spec, type, [])
	x := {
		"container": c,
		"name": object.get(c, "name", ""),
		"type": type,
		"path": sprintf("%s.%s[%d]", [at, type, i]),
	}
}

# volumes(obj) is the set of {"volume", "name", "path"} of the pod spec.
volumes(obj) := {x |
	at := spec_path(obj)
	some i, v in object.get(pod_spec(obj), "volumes", [])
	x := {"volume": v, "name": object.get(v, "name", ""), "path": sprintf("%s.volumes[%d]", [at, i])}
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
# written, "clean_path" as resolved.
mounts(obj) := {x |
	some c in containers(obj)
	some j, m in object.get(c.container, "volumeMounts", [])
	x := {
		"container": c,
		"mount": m,
		"mount_path": object.get(m, "mountPath", ""),
		"clean_path": clean_path(object.get(m, "mountPath", "")),
		"path": sprintf("%s.volumeMounts[%d]", [c.path, j]),
	}
}

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
	by_name := vols_by_name(obj)
	some m in mounts(obj)
	some [file, via] in credentials_mount(obj, m)
	x := object.union(m, {
		"volume": object.get(by_name, object.get(m.mount, "name", ""), null),
		"file": file, "via": via, "under": via != "",
	})
}

vols_by_name(obj) := {v.name: v | some v in volumes(obj)}

credentials_mount(obj, m) := {[m.clean_path, ""]} if {
	is_credentials_file_path(m.clean_path)
} else := {[concat("", [m.clean_path, "/.credentials.json"]), ""]} if {
	is_claude_dir_path(m.clean_path)
	sub_path(m.mount) == ""
	secret_mount(obj, m)
} else := landings if {
	landings := item_landings(obj, m)
	count(landings) > 0
} else := {[concat("", [m.clean_path, "/.credentials.json"]), ""]} if {
	is_claude_dir_path(m.clean_path)
	secret_mount(obj, m)
}

secret_mount(obj, m) if secret_backed(vols_by_name(obj)[object.get(m.mount, "name", "")].volume)

# item_landings(obj, m): [file, via] for every Secret item of the mounted volume that lands on
# */.claude/.credentials.json.
item_landings(obj, m) := {[at, via] |
	v := vols_by_name(obj)[object.get(m.mount, "name", "")]
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
