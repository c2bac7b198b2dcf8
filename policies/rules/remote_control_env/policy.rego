# METADATA
# title: No environment that breaks or bypasses Remote Control
# description: >-
#   On a workload with Remote Control on (pod template annotation aifactory.dev/remote-control:
#   "enabled", or a Claude credentials mount): no literal CLAUDE_CODE_OAUTH_TOKEN or
#   ANTHROPIC_AUTH_TOKEN value, no ANTHROPIC_API_KEY set in any way, no
#   CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC.
# custom:
#   id: AIF003
#   severity: error
#   rationale: >-
#     Measured with the Claude Code CLI, offline: with CLAUDE_CODE_OAUTH_TOKEN set, `claude auth
#     status` reports authMethod oauth_token (the variable shadows the credentials file) and
#     `claude remote-control` stops with "Error: Remote Control requires a full-scope login token.
#     Long-lived tokens (from `claude setup-token` or CLAUDE_CODE_OAUTH_TOKEN) are limited to
#     inference-only for security reasons."; with ANTHROPIC_API_KEY set: "Error: Remote Control
#     requires claude.ai subscription auth. ANTHROPIC_API_KEY is set, …"; with
#     CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC set: "Error: Remote Control requires feature-flag
#     evaluation, which is disabled …". agent_service scrubs the two token variables for the
#     claude subprocess, but a literal token is still credential material in the manifest.
#   remediation: >-
#     Remove ANTHROPIC_API_KEY and CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC from Remote Control
#     workloads; never put a token literal in env (use the credentials Secret via
#     remoteControl.credentialsSecretName).
package rules.remote_control_env

import data.lib.workloads

token_vars := {"CLAUDE_CODE_OAUTH_TOKEN", "ANTHROPIC_AUTH_TOKEN"}

env_entries contains [sprintf("%s.env[%d]", [c.path, i]), e] if {
	workloads.is_workload(input)
	workloads.remote_control(input)
	some c in workloads.containers(input)
	some i, e in object.get(c.container, "env", [])
}

deny contains result if {
	some [path, e] in env_entries
	e.name in token_vars
	is_string(e.value)
	e.value != ""
	result := {
		"msg": sprintf("%s.value is a literal %s on a Remote Control workload: it is credential material in the manifest and shadows ~/.claude/.credentials.json (Remote Control then fails with \"requires a full-scope login token\"); remove the variable and use the credentials Secret via remoteControl.credentialsSecretName", [path, e.name]),
		"rule": "AIF003",
		"severity": "error",
		"path": sprintf("%s.value", [path]),
	}
}

deny contains result if {
	some [path, e] in env_entries
	e.name == "ANTHROPIC_API_KEY"
	result := {
		"msg": sprintf("%s sets ANTHROPIC_API_KEY on a Remote Control workload: Remote Control then fails with \"Remote Control requires claude.ai subscription auth. ANTHROPIC_API_KEY is set\"; remove it from this workload", [path]),
		"rule": "AIF003",
		"severity": "error",
		"path": path,
	}
}

deny contains result if {
	some [path, e] in env_entries
	e.name == "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"
	result := {
		"msg": sprintf("%s sets CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC on a Remote Control workload: Remote Control then fails with \"Remote Control requires feature-flag evaluation, which is disabled\"; remove it from this workload", [path]),
		"rule": "AIF003",
		"severity": "error",
		"path": path,
	}
}
