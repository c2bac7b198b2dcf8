# METADATA
# title: No environment that breaks or bypasses Remote Control
# description: >-
#   On a workload with Remote Control on (pod template annotation aifactory.dev/remote-control:
#   "enabled", or a Claude credentials mount): no variable that makes Claude Code refuse Remote
#   Control (policies/claude_code.json: the provider switches, ANTHROPIC_UNIX_SOCKET,
#   ANTHROPIC_API_KEY, the feature-flag switches, an ANTHROPIC_BASE_URL other than
#   api.anthropic.com), no literal CLAUDE_CODE_OAUTH_TOKEN or ANTHROPIC_AUTH_TOKEN value, and no
#   second holder of the login (CLAUDE_CODE_OAUTH_REFRESH_TOKEN, CLAUDE_CODE_OAUTH_TOKEN_FILE_DESCRIPTOR).
# custom:
#   id: AIF003
#   severity: error
#   short_title: Environment that breaks or bypasses Remote Control
#   rationale: >-
#     Each variable on the list was run with the pinned Claude Code (`claude remote-control`, valid
#     full-scope login, a fake Anthropic endpoint reachable; tests/test_claude_env_measured.py) and
#     stopped Remote Control with the message the finding quotes. CLAUDE_CODE_OAUTH_TOKEN shadows the
#     credentials file (`auth status` reports oauth_token). agent_service scrubs the two token
#     variables for the claude subprocess, but a literal token is still credential material in the
#     manifest. A refresh token in the environment, or a login passed by file descriptor, is a second
#     holder of a single-use refresh-token family beside the file.
#   remediation: >-
#     Remove the variable from Remote Control workloads; the login comes only from the credentials
#     Secret (remoteControl.credentialsSecretName).
package rules.remote_control_env

import data.claude_code
import data.lib.finding as lib_finding
import data.lib.workloads

known := claude_code.remote_control_env

token_vars := {t.name | some t in known.scrubbed_tokens}

refusal_says := {r.name: r.says | some r in known.refuses}

# Only with an access-token-only login (broker mode's agents): measured to stop Remote Control there.
access_only_refusal_says := {r.name: r.says | some r in known.refuses_access_only}

second_holder_why := {h.name: h.why | some h in known.second_holders}

env_entries contains [sprintf("%s.env[%d]", [c.path, i]), e] if {
	workloads.input_is_workload
	workloads.remote_control(input)
	some c in workloads.containers(input)
	some i, e in object.get(c.container, "env", [])
}

finding(msg, path) := lib_finding.make(rego.metadata.chain(), {"msg": msg, "path": path})

access_only if workloads.access_only_agent(input)

else := false

deny contains finding(v.msg, at) if {
	some [path, e] in env_entries
	some v in verdicts(path, sprintf("%s.value", [path]), e, access_only)
	at := sprintf("%s%s", [path, v.field])
}

# verdicts(subject, value_subject, e, access_only): what one variable e ({"name", "value" or
# "valueFrom"}) does to Remote Control, as {"msg", "field"} ("field" ".value" when the finding is
# about its literal value). The messages name the variable by `subject` (its value by
# `value_subject`); the cross-document part (joined.rego) judges the variables a workload gets from
# ConfigMaps, Secrets and a mounted settings.json with the same verdicts.
verdicts(subject, value_subject, e, access_only) := ((({v |
	some msg in token_msgs(value_subject, e)
	v := {"msg": msg, "field": ".value"}
} | {{"msg": msg, "field": ""} | some msg in refusal_msgs(subject, e)}) | {{"msg": msg, "field": ""} |
	access_only
	some msg in access_only_msgs(subject, e)
}) | {{"msg": msg, "field": ""} | some msg in base_url_msgs(subject, e)}) | {{"msg": msg, "field": ""} |
	some msg in second_holder_msgs(subject, e)
}

token_msgs(value_subject, e) := {msg |
	e.name in token_vars
	is_string(e.value)
	e.value != ""
	msg := sprintf("%s is a literal %s on a Remote Control workload: it is credential material in the manifest and shadows ~/.claude/.credentials.json (Remote Control then fails with \"requires a full-scope login token\"); remove the variable and use the credentials Secret via remoteControl.credentialsSecretName", [value_subject, e.name])
}

refusal_msgs(subject, e) := {msg |
	says := refusal_says[e.name]
	msg := sprintf("%s sets %s on a Remote Control workload: Remote Control then fails with \"%s\"; remove it from this workload", [subject, e.name, says])
}

access_only_msgs(subject, e) := {msg |
	says := access_only_refusal_says[e.name]
	msg := sprintf("%s sets %s on a broker-mode agent, which holds an access-token-only login: Remote Control then fails with \"%s\"; remove it from this workload", [subject, e.name, says])
}

base_url_msgs(subject, e) := {msg |
	e.name == known.base_url.name
	not object.get(e, "value", null) in {u | some u in known.base_url.allowed}
	msg := sprintf("%s sets %s to something other than https://api.anthropic.com on a Remote Control workload: Remote Control then fails with \"%s\"; remove it from this workload", [subject, e.name, known.base_url.says])
}

second_holder_msgs(subject, e) := {msg |
	why := second_holder_why[e.name]
	msg := sprintf("%s sets %s on a Remote Control workload: %s; the login belongs in the credentials Secret only, remove the variable", [subject, e.name, why])
}
