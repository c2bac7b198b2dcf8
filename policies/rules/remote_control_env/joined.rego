# METADATA
# title: No environment from a ConfigMap, a Secret or settings.json that breaks Remote Control
# description: >-
#   Cross-document part of AIF003: on a workload with Remote Control on, the variables it gets from a
#   ConfigMap or Secret of the same scan (envFrom configMapRef or secretRef, with its prefix; a
#   variable of the container's own env of the same name wins and is judged there) and the `env`
#   block of a settings.json that a ConfigMap mounts under ~/.claude are judged like the
#   container's own env. A literal CLAUDE_CODE_OAUTH_TOKEN or ANTHROPIC_AUTH_TOKEN is one that a
#   ConfigMap holds (envFrom, settings.json); from a Secret it is scrubbed like a secretKeyRef. A
#   namespace missing on either side matches any.
# custom:
#   id: AIF003
#   severity: error
#   rationale: >-
#     Kubernetes puts every key of an envFrom source into the container's environment, and Claude
#     Code applies the env block of ~/.claude/settings.json to the session (measured:
#     tests/test_claude_settings_env_measured.py): a provider switch arriving either way stops
#     Remote Control with the same message as one in the container's env.
#   remediation: >-
#     Remove the key from the ConfigMap or Secret (or the envFrom of this workload), or the variable
#     from the settings.json env block; the login comes only from the credentials Secret.
package rules.remote_control_env_joined

import data.lib.finding
import data.lib.workloads
import data.rules.remote_control_env

cross_document := true

# What it joins the Remote Control workloads with: the ConfigMaps and Secrets they name (too common
# to keep whole in a large scan, whose memory must not grow with the documents: batch.named_kinds).
joins := set()

joins_by_name := {"ConfigMap", "Secret"}

# The [kind, name] a Remote Control workload refers to: its envFrom sources and its configMap volumes.
names contains [kind, ref[field].name] if {
	workloads.is_workload(input)
	workloads.remote_control(input)
	some c in workloads.containers(input)
	some ref in object.get(c.container, "envFrom", [])
	some [field, kind] in [["configMapRef", "ConfigMap"], ["secretRef", "Secret"]]
	is_string(ref[field].name)
}

names contains ["ConfigMap", ref.name] if {
	workloads.is_workload(input)
	workloads.remote_control(input)
	some p in workloads.pods(input)
	some _, v in workloads.vols_by_name(p)
	some ref in config_map_refs(v.volume)
	is_string(ref.name)
}

docs := workloads.combined_documents(input)

# ns_match(a, b): the same namespace; "" (a manifest that leaves it implicit) matches any.
ns_match(a, b) if a == b

ns_match("", _)

ns_match(a, "") if a != ""

# The ConfigMaps and Secrets of the scan: [kind, name] -> the documents of that name.
sources[[d.doc.kind, name]] contains d if {
	some d in docs
	d.doc.kind in {"ConfigMap", "Secret"}
	object.get(d.doc, "apiVersion", "v1") == "v1"
	name := d.doc.metadata.name
	is_string(name)
}

# values(doc): a ConfigMap's data, a Secret's data decoded and its stringData, key -> string.
values(doc) := {k: v | some k, v in object.get(doc, "data", {}); is_string(v)} if {
	doc.kind == "ConfigMap"
} else := object.union(
	{k: base64.decode(v) | some k, v in object.get(doc, "data", {}); is_string(v); base64.is_valid(v)},
	{k: v | some k, v in object.get(doc, "stringData", {}); is_string(v)},
)

# The Remote Control workloads and the container entries (workloads.containers) of each.
rc_workloads contains w if {
	some w in docs
	workloads.is_workload(w.doc)
	workloads.remote_control(w.doc)
}

access_only(obj) if workloads.access_only_agent(obj)

else := false

# The sources a reference names, in the workload's namespace (an implicit one on either side: any).
sources_of(w, kind, name) := {s |
	some s in sources[[kind, name]]
	ns_match(workloads.namespace(s.doc), workloads.namespace(w.doc))
}

describe(s) := sprintf("%s in %s", [workloads.describe(s.doc), s.file])

# envFrom: every key, with the prefix, unless the container's own env sets that name.
joined contains [w, s, at, subject, subject, e] if {
	some w in rc_workloads
	some c in workloads.containers(w.doc)
	own := {x.name | some x in object.get(c.container, "env", [])}
	some i, ref in object.get(c.container, "envFrom", [])
	some [field, kind] in [["configMapRef", "ConfigMap"], ["secretRef", "Secret"]]
	some s in sources_of(w, kind, ref[field].name)
	some key, value in values(s.doc)
	name := concat("", [object.get(ref, "prefix", ""), key])
	not name in own
	at := sprintf("%s.envFrom[%d]", [c.path, i])
	subject := sprintf("%s (key %s of %s)", [at, key, describe(s)])
	e := literal_in(kind, name, value)
}

# A Secret's values are scrubbed like secretKeyRef's (no literal); a ConfigMap's are literal.
literal_in("ConfigMap", name, value) := {"name": name, "value": value}

literal_in("Secret", name, value) := {"name": name, "valueFrom": {"secretKeyRef": {}}} if {
	name != remote_control_env.known.base_url.name
} else := {"name": name, "value": value}

# settings.json: a ConfigMap key that lands at */.claude/settings.json, its JSON's env block.
joined contains [w, s, m.path, subject, subject, {"name": name, "value": value}] if {
	some w in rc_workloads
	some p in workloads.pods(w.doc)
	by_name := workloads.vols_by_name(p)
	some m in workloads.pod_mounts(p)
	v := by_name[object.get(m.mount, "name", "")]
	some ref in config_map_refs(v.volume)
	some s in sources_of(w, "ConfigMap", ref.name)
	kv := values(s.doc)
	some [key, rel] in files(ref, kv)
	regex.match(`(^|/)\.claude/settings\.json$`, landing(m, rel))
	json.is_valid(kv[key])
	settings := json.unmarshal(kv[key])
	is_object(settings)
	some name, value in object.get(settings, "env", {})
	subject := sprintf("%s (env.%s of the settings.json it mounts, key %s of %s)", [m.path, name, key, describe(s)])
}

# The ConfigMaps a volume mounts: a configMap volume, or a projected volume's configMap sources.
config_map_refs(vol) := {vol.configMap | is_object(vol.configMap)} | {src.configMap |
	some src in vol.projected.sources
	is_object(src.configMap)
}

# files(ref, kv): [key, path under the mount] of items[], or of every key at its own name.
files(ref, kv) := {[item.key, item.path] | some item in ref.items} if {
	count(object.get(ref, "items", [])) > 0
} else := {[k, k] | some k, _ in kv}

# landing(m, rel): where the file at rel in the volume is in the container (the mount with a
# subPath is that one file).
landing(m, rel) := workloads.clean_path(concat("/", [m.clean_path, rel])) if {
	workloads.sub_path(m.mount) == ""
} else := m.clean_path if {
	workloads.clean_path(workloads.sub_path(m.mount)) == workloads.clean_path(rel)
}

deny contains result if {
	some [w, s, at, subject, value_subject, e] in joined
	some v in remote_control_env.verdicts(subject, value_subject, e, access_only(w.doc))
	result := finding.make(rego.metadata.chain(), {
		"msg": v.msg,
		"path": at,
		"docs": array.concat([w.index], [s.index | s.index != w.index]),
	})
}
