package rules.remote_control_env_test

import data.lib.testing
import data.rules.remote_control_env

# Every case below: remote_control_env.deny of its input is exactly its want (a set of findings).
check(c) if testing.same(remote_control_env.deny, c.want) with input as c.input

# a literal CLAUDE_CODE_OAUTH_TOKEN
test_literal_oauth_token if check(cases.literal_oauth_token)

cases["literal_oauth_token"] := {
	"input": testing.chart(
		"Deployment",
		"aifactory",
		"readOnly",
		testing.pod_with_env([{"name": "CLAUDE_CODE_OAUTH_TOKEN", "value": "literal"}]),
	),
	"want": {
		finding("spec.template.spec.containers[0].env[0].value", "spec.template.spec.containers[0].env[0].value is a literal CLAUDE_CODE_OAUTH_TOKEN on a Remote Control workload: it is credential material in the manifest and shadows ~/.claude/.credentials.json (Remote Control then fails with \"requires a full-scope login token\"); remove the variable and use the credentials Secret via remoteControl.credentialsSecretName"),
	},
}

# a literal ANTHROPIC_AUTH_TOKEN
test_literal_auth_token if check(cases.literal_auth_token)

cases["literal_auth_token"] := {
	"input": testing.chart(
		"Deployment",
		"aifactory",
		"readOnly",
		testing.pod_with_env([{"name": "ANTHROPIC_AUTH_TOKEN", "value": "literal"}]),
	),
	"want": {
		finding("spec.template.spec.containers[0].env[0].value", "spec.template.spec.containers[0].env[0].value is a literal ANTHROPIC_AUTH_TOKEN on a Remote Control workload: it is credential material in the manifest and shadows ~/.claude/.credentials.json (Remote Control then fails with \"requires a full-scope login token\"); remove the variable and use the credentials Secret via remoteControl.credentialsSecretName"),
	},
}

# valueFrom: agent_service scrubs it
test_oauth_token_from_secret_allowed if check(cases.oauth_token_from_secret_allowed)

cases["oauth_token_from_secret_allowed"] := {
	"input": testing.chart(
		"Deployment",
		"aifactory",
		"readOnly",
		testing.pod_with_env([{"name": "CLAUDE_CODE_OAUTH_TOKEN", "valueFrom": {"secretKeyRef": {"key": "k", "name": "s"}}}]),
	),
	"want": set(),
}

# ANTHROPIC_API_KEY in any form
test_api_key_from_secret if check(cases.api_key_from_secret)

cases["api_key_from_secret"] := {
	"input": testing.chart(
		"Deployment",
		"aifactory",
		"readOnly",
		testing.pod_with_env([{"name": "ANTHROPIC_API_KEY", "valueFrom": {"secretKeyRef": {"key": "k", "name": "s"}}}]),
	),
	"want": {
		finding("spec.template.spec.containers[0].env[0]", "spec.template.spec.containers[0].env[0] sets ANTHROPIC_API_KEY on a Remote Control workload: Remote Control then fails with \"Remote Control requires claude.ai subscription auth. ANTHROPIC_API_KEY is set\"; remove it from this workload"),
	},
}

# init containers are checked
test_disable_traffic_in_init if check(cases.disable_traffic_in_init)

cases["disable_traffic_in_init"] := {
	"input": testing.chart("Deployment", "aifactory", "readOnly", object.union(testing.pod_with_env([]), {
		"initContainers": [
			object.union(testing.container("init"), {"env": [{"name": "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "value": "1"}]}),
		],
	})),
	"want": {
		finding("spec.template.spec.initContainers[0].env[0]", "spec.template.spec.initContainers[0].env[0] sets CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC on a Remote Control workload: Remote Control then fails with \"Remote Control requires feature-flag evaluation, which is disabled because CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC is set\"; remove it from this workload"),
	},
}

# the annotation alone turns the checks on
test_annotation_makes_remote_control if check(cases.annotation_makes_remote_control)

cases["annotation_makes_remote_control"] := {
	"input": object.union(
		testing.release("Deployment", "w", object.union(testing.plain_pod, {
			"containers": [object.union(testing.container("w"), {"env": [{"name": "ANTHROPIC_API_KEY", "value": "x"}]})],
		})),
		{"spec": {"template": {"metadata": {"annotations": {"aifactory.dev/remote-control": "enabled"}}}}},
	),
	"want": {
		finding("spec.template.spec.containers[0].env[0]", "spec.template.spec.containers[0].env[0] sets ANTHROPIC_API_KEY on a Remote Control workload: Remote Control then fails with \"Remote Control requires claude.ai subscription auth. ANTHROPIC_API_KEY is set\"; remove it from this workload"),
	},
}

# a credentials mount alone turns the checks on
test_mount_makes_remote_control if check(cases.mount_makes_remote_control)

cases["mount_makes_remote_control"] := {
	"input": testing.release(
		"Deployment",
		"aifactory",
		testing.pod_with_env([{"name": "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "value": "1"}]),
	),
	"want": {
		finding("spec.template.spec.containers[0].env[0]", "spec.template.spec.containers[0].env[0] sets CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC on a Remote Control workload: Remote Control then fails with \"Remote Control requires feature-flag evaluation, which is disabled because CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC is set\"; remove it from this workload"),
	},
}

# without Remote Control nothing is flagged
test_no_remote_control_allowed if check(cases.no_remote_control_allowed)

cases["no_remote_control_allowed"] := {
	"input": testing.release("Deployment", "w", object.union(testing.plain_pod, {
		"containers": [
			object.union(testing.container("w"), {
				"env": [
					{"name": "ANTHROPIC_API_KEY", "value": "x"},
					{"name": "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "value": "1"},
					{"name": "CLAUDE_CODE_OAUTH_TOKEN", "value": "x"},
				],
			}),
		],
	})),
	"want": set(),
}

# an empty value is no token
test_empty_literal_allowed if check(cases.empty_literal_allowed)

cases["empty_literal_allowed"] := {
	"input": testing.chart(
		"Deployment",
		"aifactory",
		"readOnly",
		testing.pod_with_env([{"name": "CLAUDE_CODE_OAUTH_TOKEN", "value": ""}]),
	),
	"want": set(),
}

# --- every variable of policies/claude_code.json, table-driven (fixture at the bottom) ---
# Each refusing variable, set in any way, is one finding quoting Claude Code's own message.
test_every_refusing_variable_is_denied if {
	count(data.claude_code.remote_control_env.refuses) >= 11 # the list is loaded, not vacuously empty
	every r in data.claude_code.remote_control_env.refuses {
		results := remote_control_env.deny with input as rc_deployment([{"name": r.name, "value": "1"}])
		count(results) == 1
		some f in results
		contains(f.msg, r.says)
		f.path == "spec.template.spec.containers[0].env[0]"
	}
}

test_refusing_variable_from_a_secret_is_denied if {
	results := remote_control_env.deny with input as rc_deployment([{"name": "CLAUDE_CODE_USE_VERTEX", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}])
	count(results) == 1
}

test_base_url_other_than_anthropic_is_denied if {
	every value in ["https://proxy.example.invalid", "http://api.anthropic.com", ""] {
		results := remote_control_env.deny with input as rc_deployment([{"name": "ANTHROPIC_BASE_URL", "value": value}])
		count(results) == 1
	}
}

test_base_url_from_elsewhere_is_denied if {
	results := remote_control_env.deny with input as rc_deployment([{"name": "ANTHROPIC_BASE_URL", "valueFrom": {"configMapKeyRef": {"name": "c", "key": "k"}}}])
	count(results) == 1
}

test_base_url_of_anthropic_is_allowed if {
	every value in ["https://api.anthropic.com", "https://api.anthropic.com/"] {
		count(remote_control_env.deny) == 0 with input as rc_deployment([{"name": "ANTHROPIC_BASE_URL", "value": value}])
	}
}

test_second_holders_are_denied if {
	every name in ["CLAUDE_CODE_OAUTH_REFRESH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN_FILE_DESCRIPTOR"] {
		results := remote_control_env.deny with input as rc_deployment([{"name": name, "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}])
		count(results) == 1
		some f in results
		contains(f.msg, "second")
	}
}

# Measured not to stop Remote Control: not findings.
test_not_refused_variables_are_allowed if {
	every n in data.claude_code.remote_control_env.not_refused {
		count(remote_control_env.deny) == 0 with input as rc_deployment([{"name": n.name, "value": "1"}])
	}
}

test_listed_variables_without_remote_control_are_allowed if {
	every r in data.claude_code.remote_control_env.refuses {
		count(remote_control_env.deny) == 0 with input as object.union(rc_deployment([{"name": r.name, "value": "1"}]), {"spec": {"template": {"metadata": {"annotations": {"aifactory.dev/remote-control": "disabled"}}}}})
	}
}

# ---- fixtures ----

finding(path, msg) := testing.finding("AIF003", path, msg)

rc_deployment(env) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "aifactory", "namespace": "aifactory"},
	"spec": {"template": {
		"metadata": {"annotations": {"aifactory.dev/remote-control": "enabled"}},
		"spec": {"containers": [{"name": "agent", "image": "ghcr.io/example/aifactory:1.0.0", "env": env}]},
	}},
}
