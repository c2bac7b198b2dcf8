# METADATA
# title: No Claude credential material in files
# description: >-
#   Rejects Claude OAuth access/refresh tokens and Anthropic API keys (by prefix), Claude
#   credentials JSON (by structure, also as a JSON string value), base64 of either, in any field at
#   any depth of a manifest or values file, and in comment lines (raw-text mode).
# custom:
#   id: AIF001
#   severity: error
#   rationale: >-
#     The credentials file is full-scope: whoever reads it uses the subscription. A credential in
#     a values file, a manifest or a comment ends up in git history, in the Helm release record
#     (a Secret of type helm.sh/release.v1) and in `helm get values`.
#   remediation: >-
#     Create the Secret out of band with `kubectl create secret generic <name>
#     --from-file=credentials.json=<file>` and reference it with
#     remoteControl.credentialsSecretName; rotate the exposed login.
package rules.credential_material

import data.lib.tokens
import data.lib.workloads

fix := "remove it and rotate that login; create the Secret out of band with `kubectl create secret generic <name> --from-file=credentials.json=<file>` and reference it with remoteControl.credentialsSecretName"

raw_mode if input.aifactoryRawText

structured if {
	not raw_mode
	not workloads.is_combined(input)
}

# The walks below run only on documents that pass the cheap whole-document test.
candidate if {
	structured
	tokens.may_hold_material_within(input)
}

# Paths of objects that are a credentials JSON by structure (claudeAiOauth + accessToken/refreshToken).
structure_paths contains p if {
	candidate
	walk(input, [p, v])
	tokens.is_credentials_object(v)
}

under_structure(p) if {
	some sp in structure_paths
	count(sp) < count(p)
	array.slice(p, 0, count(sp)) == sp
}

where(p) := "the document" if {
	p == []
} else := tokens.format_path(p)

path_or_null(p) := null if {
	p == []
} else := tokens.format_path(p)

# A credentials object by structure, even without token prefixes.
deny contains result if {
	some p in structure_paths
	not under_structure(p)
	result := {
		"msg": sprintf("%s is a Claude credentials JSON (claudeAiOauth): %s", [where(p), fix]),
		"rule": "AIF001",
		"severity": "error",
		"path": path_or_null(p),
	}
}

# A string value holding a token, credentials JSON text, or base64 of either.
deny contains result if {
	candidate
	walk(input, [p, v])
	is_string(v)
	what := tokens.describe(v)
	not under_structure(p)
	result := {
		"msg": sprintf("%s holds %s: %s", [where(p), what, fix]),
		"rule": "AIF001",
		"severity": "error",
		"path": path_or_null(p),
	}
}

# Raw-text mode: comments and any other line of a file.
deny contains result if {
	some i, line in input.aifactoryRawText.lines
	is_string(line)
	what := tokens.describe(line)
	result := {
		"msg": sprintf("line %d holds %s: %s", [i + 1, what, fix]),
		"rule": "AIF001",
		"severity": "error",
		"path": sprintf("line %d", [i + 1]),
	}
}
