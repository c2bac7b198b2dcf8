package rules.remote_control_env_joined_test

import data.lib.testing
import data.rules.remote_control_env_joined as joined

# ---- envFrom ----

test_envfrom_configmap_refusal if {
	[f] := msgs([rc_deployment(agent({"envFrom": [{"configMapRef": {"name": "e"}}]})), config_map("e", {"CLAUDE_CODE_USE_VERTEX": "1"})])
	startswith(f.msg, "spec.template.spec.containers[0].envFrom[0] (key CLAUDE_CODE_USE_VERTEX of ConfigMap aifactory/e in 1.yaml) sets CLAUDE_CODE_USE_VERTEX on a Remote Control workload: Remote Control then fails with")
	f.path == "spec.template.spec.containers[0].envFrom[0]"
	f.docs == [0, 1]
	f.rule == "AIF003"
}

test_envfrom_secret_with_prefix if {
	[f] := msgs([rc_deployment(agent({"envFrom": [{"prefix": "ANTHROPIC_", "secretRef": {"name": "k"}}]})), secret("k", {"API_KEY": base64.encode("x")}, {})])
	contains(f.msg, "(key API_KEY of Secret aifactory/k in 1.yaml) sets ANTHROPIC_API_KEY")
}

test_envfrom_second_holder_from_secret if {
	[f] := msgs([rc_deployment(agent({"envFrom": [{"secretRef": {"name": "k"}}]})), secret("k", {}, {"CLAUDE_CODE_OAUTH_REFRESH_TOKEN": "r"})])
	contains(f.msg, "second holder")
}

# a token from a Secret is scrubbed (like secretKeyRef); from a ConfigMap it is literal in the manifest
test_envfrom_token_from_secret_allowed if {
	msgs([rc_deployment(agent({"envFrom": [{"secretRef": {"name": "k"}}]})), secret("k", {}, {"CLAUDE_CODE_OAUTH_TOKEN": "t"})]) == []
}

test_envfrom_token_from_configmap_is_literal if {
	[f] := msgs([rc_deployment(agent({"envFrom": [{"configMapRef": {"name": "e"}}]})), config_map("e", {"CLAUDE_CODE_OAUTH_TOKEN": "t"})])
	contains(f.msg, "is a literal CLAUDE_CODE_OAUTH_TOKEN")
}

# the value decides for the base URL, read from a ConfigMap or a Secret's base64 data
test_envfrom_base_url if {
	[f] := msgs([rc_deployment(agent({"envFrom": [{"secretRef": {"name": "k"}}]})), secret("k", {"ANTHROPIC_BASE_URL": base64.encode("https://gw.example.invalid")}, {})])
	contains(f.msg, "sets ANTHROPIC_BASE_URL to something other than")
	msgs([rc_deployment(agent({"envFrom": [{"secretRef": {"name": "k"}}]})), secret("k", {"ANTHROPIC_BASE_URL": base64.encode("https://api.anthropic.com")}, {})]) == []
	msgs([rc_deployment(agent({"envFrom": [{"configMapRef": {"name": "e"}}]})), config_map("e", {"ANTHROPIC_BASE_URL": "https://api.anthropic.com/"})]) == []
}

# the container's own env wins over envFrom (and is judged by the document rule)
test_own_env_overrides_envfrom if {
	msgs([
		rc_deployment(agent({"envFrom": [{"configMapRef": {"name": "e"}}], "env": [{"name": "ANTHROPIC_BASE_URL", "value": "https://api.anthropic.com"}]})),
		config_map("e", {"ANTHROPIC_BASE_URL": "https://gw.example.invalid"}),
	]) == []
}

test_harmless_keys_allowed if {
	msgs([rc_deployment(agent({"envFrom": [{"configMapRef": {"name": "e"}}]})), config_map("e", {"DO_NOT_TRACK": "1", "LOG_LEVEL": "debug"})]) == []
}

# a broker-mode agent holds an access-token-only login: DO_NOT_TRACK stops it there
test_access_only_agent if {
	agent_doc := object.union(rc_deployment(agent({"envFrom": [{"configMapRef": {"name": "e"}}]})), {"spec": {"template": {"metadata": {"annotations": {"aifactory.dev/credentials-mode": "broker"}}}}})
	[f] := msgs([agent_doc, config_map("e", {"DO_NOT_TRACK": "1"})])
	contains(f.msg, "broker-mode agent")
}

# ---- which ConfigMap ----

test_other_namespace_is_another_configmap if {
	msgs([rc_deployment(agent({"envFrom": [{"configMapRef": {"name": "e"}}]})), object.union(config_map("e", {"CLAUDE_CODE_USE_VERTEX": "1"}), {"metadata": {"namespace": "other"}})]) == []
}

test_implicit_namespace_matches if {
	[_] := msgs([rc_deployment(agent({"envFrom": [{"configMapRef": {"name": "e"}}]})), json.remove(config_map("e", {"CLAUDE_CODE_USE_VERTEX": "1"}), ["metadata/namespace"])])
}

test_missing_configmap_is_nothing if {
	msgs([rc_deployment(agent({"envFrom": [{"configMapRef": {"name": "e"}}]})), config_map("other", {"CLAUDE_CODE_USE_VERTEX": "1"})]) == []
}

test_no_remote_control_allowed if {
	plain := json.remove(rc_deployment(agent({"envFrom": [{"configMapRef": {"name": "e"}}]})), ["spec/template/metadata/annotations"])
	msgs([plain, config_map("e", {"CLAUDE_CODE_USE_VERTEX": "1", "ANTHROPIC_API_KEY": "k"})]) == []
}

# ---- env valueFrom.configMapKeyRef ----

test_config_map_key_ref_token_is_not_joined if {
	ref := {"name": "ANTHROPIC_AUTH_TOKEN", "valueFrom": {"configMapKeyRef": {"name": "e", "key": "t"}}}
	msgs([rc_deployment(agent({"env": [ref]})), config_map("e", {"t": "literal"})]) == []
}

# the name of a configMapKeyRef variable is the document rule's (no second finding here)
test_config_map_key_ref_refusal_is_the_document_rules if {
	ref := {"name": "CLAUDE_CODE_USE_VERTEX", "valueFrom": {"configMapKeyRef": {"name": "e", "key": "v"}}}
	msgs([rc_deployment(agent({"env": [ref]})), config_map("e", {"v": "1"})]) == []
}

# ---- settings.json under ~/.claude ----

settings(env) := json.marshal({"env": env, "permissions": {"allow": []}})

test_settings_json_subpath_mount if {
	d := with_settings({"mountPath": "/home/nonroot/.claude/settings.json", "subPath": "settings.json"}, {"configMap": {"name": "s"}})
	[f] := msgs([d, config_map("s", {"settings.json": settings({"ANTHROPIC_API_KEY": "k", "DO_NOT_TRACK": "1"})})])
	startswith(f.msg, "spec.template.spec.containers[0].volumeMounts[1] (env.ANTHROPIC_API_KEY of the settings.json it mounts, key settings.json of ConfigMap aifactory/s in 1.yaml) sets ANTHROPIC_API_KEY")
	f.path == "spec.template.spec.containers[0].volumeMounts[1]"
}

test_settings_json_items_and_projected if {
	items := with_settings({"mountPath": "/home/nonroot/.claude"}, {"configMap": {"name": "s", "items": [{"key": "claude", "path": "settings.json"}]}})
	[_] := msgs([items, config_map("s", {"claude": settings({"CLAUDE_CODE_USE_BEDROCK": "1"})})])
	projected := with_settings({"mountPath": "/home/nonroot/.claude"}, {"projected": {"sources": [{"configMap": {"name": "s"}}]}})
	[_] := msgs([projected, config_map("s", {"settings.json": settings({"CLAUDE_CODE_USE_BEDROCK": "1"})})])
}

test_settings_json_literal_token_and_base_url if {
	d := with_settings({"mountPath": "/home/nonroot/.claude/settings.json", "subPath": "settings.json"}, {"configMap": {"name": "s"}})
	found := msgs([d, config_map("s", {"settings.json": settings({"CLAUDE_CODE_OAUTH_TOKEN": "t", "ANTHROPIC_BASE_URL": "https://gw.example.invalid"})})])
	count(found) == 2
	msgs([d, config_map("s", {"settings.json": settings({"ANTHROPIC_BASE_URL": "https://api.anthropic.com"})})]) == []
}

test_settings_json_elsewhere_or_not_json_allowed if {
	elsewhere := with_settings({"mountPath": "/etc/app/settings.json", "subPath": "settings.json"}, {"configMap": {"name": "s"}})
	msgs([elsewhere, config_map("s", {"settings.json": settings({"ANTHROPIC_API_KEY": "k"})})]) == []
	other_key := with_settings({"mountPath": "/home/nonroot/.claude/settings.json", "subPath": "other.json"}, {"configMap": {"name": "s"}})
	msgs([other_key, config_map("s", {"settings.json": settings({"ANTHROPIC_API_KEY": "k"}), "other.json": "{}"})]) == []
	d := with_settings({"mountPath": "/home/nonroot/.claude/settings.json", "subPath": "settings.json"}, {"configMap": {"name": "s"}})
	msgs([d, config_map("s", {"settings.json": "{not json"})]) == []
}

test_names_are_what_a_remote_control_workload_refers_to if {
	count(joined.joins) == 0
	joined.joins_by_name == {"ConfigMap", "Secret"}
	from := agent({"envFrom": [{"configMapRef": {"name": "cm"}}, {"secretRef": {"name": "sec"}, "prefix": "X_"}]})
	names := joined.names with input as rc_deployment(from)
	names == {["ConfigMap", "cm"], ["Secret", "sec"]}
	mounted := with_settings({"mountPath": "/home/nonroot/.claude/settings.json", "subPath": "settings.json"}, {"configMap": {"name": "s"}})
	["ConfigMap", "s"] in joined.names with input as mounted
	count(joined.names) == 0 with input as config_map("cm", {"k": "v"})
}

# ---- fixtures ----

msgs(docs) := found if {
	found := sort([f | some f in joined.deny]) with input as testing.combined(docs)
}

agent(extra) := object.union({"name": "agent", "image": "ghcr.io/example/aifactory:1.0.0"}, extra)

rc_deployment(container) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "aifactory", "namespace": "aifactory"},
	"spec": {"template": {
		"metadata": {"annotations": {"aifactory.dev/remote-control": "enabled"}},
		"spec": {"containers": [container]},
	}},
}

with_settings(mount, source) := object.union(
	rc_deployment(agent({"volumeMounts": [
		{"name": "state", "mountPath": "/home/nonroot/work"},
		object.union({"name": "settings", "readOnly": true}, mount),
	]})),
	{"spec": {"template": {"spec": {"volumes": [{"name": "state", "emptyDir": {}}, object.union({"name": "settings"}, source)]}}}},
)

config_map(name, kv) := {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "aifactory"}, "data": kv}

secret(name, kv, string_data) := {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": "aifactory"}, "data": kv, "stringData": string_data}
