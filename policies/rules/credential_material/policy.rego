# METADATA
# title: No Claude credential material in files
# description: >-
#   Rejects Claude OAuth access/refresh tokens and Anthropic API keys (by prefix), Claude
#   credentials JSON (by structure, also as a JSON string value), base64 of either, in any field at
#   any depth of a manifest or values file, and in comment lines (raw-text mode).
# custom:
#   id: AIF001
#   severity: error
#   short_title: Credential material in values or manifests
#   rationale: >-
#     The credentials file is full-scope: whoever reads it uses the subscription. A credential in
#     a values file, a manifest or a comment ends up in git history, in the Helm release record
#     (a Secret of type helm.sh/release.v1) and in `helm get values`.
#   remediation: >-
#     Remove it; rotate an exposed login, revoke an exposed API or admin key in the Anthropic
#     Console. Create the Secret out of band with `kubectl create secret generic <name>
#     --from-file=credentials.json=<file>` and reference it with remoteControl.credentialsSecretName.
package rules.credential_material

import data.lib.finding
import data.lib.tokens
import data.lib.workloads

fix := "remove it and rotate that login; create the Secret out of band with `kubectl create secret generic <name> --from-file=credentials.json=<file>` and reference it with remoteControl.credentialsSecretName"

# fix_for(what) is the advice for what was found: a login is rotated, a key is revoked.
fix_for(what) := admin_key_fix if {
	contains(what, "admin API key")
} else := api_key_fix if {
	contains(what, "API key")
} else := fix

api_key_fix := "remove it and revoke that key in the Anthropic Console (console.anthropic.com/settings/keys), then issue a new one only if something needs it and give it from a Secret (secretKeyRef); an API key is not the Remote Control login (ANTHROPIC_API_KEY stops Remote Control, AIF003)"

admin_key_fix := "remove it and revoke that admin key in the Anthropic Console (console.anthropic.com/settings/admin-keys) now: it administers the whole organisation, and no workload of this chart needs one"

# Raw-text mode is the CLI's input of a file's lines: an object with that one key. A document that
# merely carries the key beside others is checked as a document, so the key is no way around it.
raw_mode if {
	is_object(input.aifactoryRawText)
	count(input) == 1
}

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
	credentials_object(v)
}

# credentials_object(x): a credentials JSON by structure whose accessToken or refreshToken is not a placeholder.
credentials_object(x) if {
	tokens.is_credentials_object(x)
	some k in ["accessToken", "refreshToken"]
	not placeholder(object.get(x.claudeAiOauth, k, null))
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
	result := finding.make(rego.metadata.chain(), {
		"msg": sprintf("%s is a Claude credentials JSON (claudeAiOauth): %s", [where(p), fix]),
		"path": path_or_null(p),
	})
}

# A string value holding a token, credentials JSON text, or base64 of either.
deny contains result if {
	candidate
	walk(input, [p, v])
	is_string(v)
	what := tokens.describe(v)
	not placeholder_only(v)
	not under_structure(p)
	result := finding.make(rego.metadata.chain(), {
		"msg": sprintf("%s holds %s: %s", [where(p), what, fix_for(what)]),
		"path": path_or_null(p),
	})
}

# A string whose JSON string literals spell a token with escapes ("\u0073k-ant-…" is "sk-ant-…"):
# decoded as a JSON parser would before matching. Only where the text itself matched nothing.
deny contains result if {
	candidate
	walk(input, [p, v])
	is_string(v)
	what := escaped_material(v)
	not under_structure(p)
	result := finding.make(rego.metadata.chain(), {
		"msg": sprintf("%s holds %s, spelt with JSON escapes: %s", [where(p), what, fix_for(what)]),
		"path": path_or_null(p),
	})
}

escaped_material(s) := sort(found)[0] if {
	contains(s, `\u`)
	not tokens.describe(s)
	found := {what |
		some lit in regex.find_n(`"(?:[^"\\]|\\.)*"`, s, -1)
		contains(lit, `\`)
		json.is_valid(lit)
		text := json.unmarshal(lit)
		what := tokens.describe(text)
		not placeholder_only(text)
	}
	count(found) > 0
}

# Raw-text mode: comments and any other line of a file. A long file comes in slices of lines;
# "first" (0 when absent) is the 0-based number of a slice's first line in the file.
raw_first := object.get(input.aifactoryRawText, "first", 0)

# The per-line checks run only on a slice whose joined text passes the cheap test.
raw_candidate if tokens.lines_may_hold_material(input.aifactoryRawText.lines)

deny contains result if {
	raw_candidate
	some i, line in input.aifactoryRawText.lines
	is_string(line)
	what := tokens.describe(line)
	not placeholder_only(line)
	n := (i + raw_first) + 1
	result := finding.make(rego.metadata.chain(), {
		"msg": sprintf("line %d holds %s: %s", [n, what, fix_for(what)]),
		"path": sprintf("line %d", [n]),
	})
}

deny contains result if {
	raw_candidate
	some i, line in input.aifactoryRawText.lines
	is_string(line)
	what := escaped_material(line)
	n := (i + raw_first) + 1
	result := finding.make(rego.metadata.chain(), {
		"msg": sprintf("line %d holds %s, spelt with JSON escapes: %s", [n, what, fix_for(what)]),
		"path": sprintf("line %d", [n]),
	})
}

# Placeholders -------------------------------------------------------------------------------
# Docs and comments show the shape of a credential with an obvious stand-in. A value (after an
# sk-ant-<kind><NN>- prefix, if any) is a placeholder when it is empty or null; only x, X, ".",
# "*", "#", "_", "-", "…" (xxxxxxxx, ..., ********); one <...>, {{...}}, ${...} or [...]; or one
# case (no mixed case), at most 40 letters, digits, "_", "-", "." with your, here, example,
# placeholder, redacted, changeme, replace, insert or dummy in it (YOUR_KEY_HERE). A real token body
# is ~95 random mixed-case characters, so a real token is never one of these. Base64 of a value
# is judged on the decoded text.
placeholder(null)

placeholder(v) if {
	is_string(v)
	placeholder_body(regex.replace(v, `^sk-ant-[a-z]+[0-9]{2}-`, ""))
}

placeholder_body(b) if regex.match(`^[xX.*#_…-]*$`, b)

placeholder_body(b) if regex.match(`^\s*(<[^<>]*>|\{\{.*\}\}|\$\{[^}]*\}|\[[^\]]*\])\s*$`, b)

placeholder_body(b) if {
	regex.match(`^([A-Z0-9_.-]{1,40}|[a-z0-9_.-]{1,40})$`, b)
	regex.match(`(?i)your|here|example|placeholder|redacted|changeme|replace|insert|dummy`, b)
}

# placeholder_only(s): every token and every accessToken/refreshToken value in s, and in s
# decoded from base64, is a placeholder.
placeholder_only(s) if {
	not real_material(s)
	not real_when_decoded(s)
	shows_placeholder(s)
}

# shows_placeholder(s): s shows the shape with a stand-in (so a bare base64 "claudeAiOauth" still counts).
shows_placeholder(s) if placeholder_item(s)

shows_placeholder(s) if placeholder_item(tokens.decoded(s))

shows_placeholder(s) if {
	some run in regex.find_n(`[A-Za-z0-9+/]{16,}={0,2}`, s, -1)
	placeholder_run(run)
}

placeholder_item(t) if {
	some m in regex.find_n(tokens.token_pattern, t, -1)
	placeholder(m)
}

placeholder_item(t) if {
	some m in regex.find_all_string_submatch_n(`"(?:accessToken|refreshToken)"\s*:\s*"((?:[^"\\]|\\.)*)"`, t, -1)
	placeholder(m[1])
}

placeholder_item(t) if {
	tokens.is_credentials_json(t)
	not credentials_object(json.unmarshal(t))
}

real_when_decoded(s) if real_material(tokens.decoded(s))

real_material(t) if real_plain(t)

real_plain(t) if {
	some m in regex.find_n(tokens.token_pattern, t, -1)
	not placeholder(m)
}

real_plain(t) if {
	some m in regex.find_all_string_submatch_n(`"(?:accessToken|refreshToken)"\s*:\s*"((?:[^"\\]|\\.)*)"`, t, -1)
	not placeholder(m[1])
}

real_plain(t) if {
	tokens.is_credentials_json(t)
	credentials_object(json.unmarshal(t))
}

# base64 of sk-ant- or claudeAiOauth inside longer text: each base64 run holding a marker is
# decoded and judged; a run that does not decode counts.
real_material(t) if {
	tokens.has_base64_marker(t)
	not tokens.decoded(t)
	some run in regex.find_n(`[A-Za-z0-9+/]{16,}={0,2}`, t, -1)
	tokens.has_base64_marker(run)
	not placeholder_run(run)
}

placeholder_run(run) if {
	base64.is_valid(run)
	not real_plain(base64.decode(run))
	placeholder_item(base64.decode(run))
}
