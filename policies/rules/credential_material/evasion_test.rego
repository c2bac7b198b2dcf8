package rules.credential_material_test

import data.rules.credential_material

# Tokens spelt with JSON escapes, placeholders, and advice per kind. Each case puts one value in
# the fixture at the bottom (a ConfigMap) and lists what AIF001 says about it.

escaped_cases := {
	"\\u0073 for s": `{"token": "\u0073k-ant-oat01-FAKEescapedTOKEN0123456789"}`,
	"every character escaped": `{"t": "\u0073\u006b\u002d\u0061\u006e\u0074\u002doat01-FAKEescapedTOKEN0123456789"}`,
	"a fragment, not a whole JSON document": `export TOKEN="\u0073k-ant-ort01-FAKEescapedTOKEN0123456789"`,
}

test_json_escaped_tokens_are_decoded if {
	every _, value in escaped_cases {
		some f in credential_material.deny with input as with_data(value)
		contains(f.msg, "spelt with JSON escapes")
	}
}

test_json_escaped_token_in_a_comment_line if {
	some f in credential_material.deny with input as {"aifactoryRawText": {"lines": ["ok", `# "\u0073k-ant-api03-FAKEescapedKEY0123456789"`]}}
	startswith(f.msg, "line 2 holds an Anthropic API key (sk-ant-api03-…), spelt with JSON escapes")
}

test_escapes_of_nothing_allowed if {
	count(findings(with_data(`{"a": "\u0073k-ant- is the prefix", "b": "\u00e9t\u00e9"}`))) == 0
}

placeholder_cases := {
	"sk-ant-api03-YOUR_KEY_HERE",
	"sk-ant-oat01-xxxxxxxxxxxxxxxx",
	"sk-ant-ort01-XXXXXXXXXXXX",
	"sk-ant-oat01-********",
	"sk-ant-api03-your-api-key-here",
	"sk-ant-oat01-REPLACE_ME_WITH_TOKEN",
	`{"claudeAiOauth": {"accessToken": "<access-token>", "refreshToken": "<refresh-token>"}}`,
	`{"claudeAiOauth": {"accessToken": "...", "refreshToken": "xxxx"}}`,
	`{"claudeAiOauth": {"accessToken": "${ACCESS_TOKEN}", "refreshToken": "{{ .refresh }}"}}`,
	`{"claudeAiOauth": {"accessToken": "sk-ant-oat01-<token>", "refreshToken": ""}}`,
	"c2stYW50LWFwaTAzLVlPVVJfS0VZX0hFUkU=", # base64 of sk-ant-api03-YOUR_KEY_HERE
	"eyJjbGF1ZGVBaU9hdXRoIjogeyJhY2Nlc3NUb2tlbiI6ICI8YWNjZXNzLXRva2VuPiJ9fQ==", # base64 of a login with <access-token>
}

test_placeholders_are_not_credentials if {
	every value in placeholder_cases {
		count(findings(with_data(value))) == 0
		count(findings({"aifactoryRawText": {"lines": [sprintf("# e.g. %s", [value])]}})) == 0
	}
}

test_placeholder_login_by_structure_allowed if {
	count(findings({"claudeAiOauth": {"accessToken": "<access-token>", "refreshToken": null}})) == 0
}

# The line: a real-looking body next to a placeholder still counts, and so do mixed-case bodies
# that merely contain a placeholder word.
real_cases := {
	"sk-ant-oat01-FAKE0123456789abcdefFAKE",
	"sk-ant-api03-YourKeyHereButMixedCase0123",
	`{"claudeAiOauth": {"accessToken": "<access-token>", "refreshToken": "FAKErefresh0123456789"}}`,
	"c2stYW50LW9hdDAxLUZBS0UwMTIzNDU2Nzg5YWJjZGVmRkFLRQ==", # base64 of sk-ant-oat01-FAKE0123456789abcdefFAKE
	"sk-ant-oat01-xxxxxxxxxxxx sk-ant-ort01-FAKE0123456789abcdefFAKE",
}

test_real_values_beside_placeholders_flagged if {
	every value in real_cases {
		count(findings(with_data(value))) == 1
	}
}

advice_cases := {
	"sk-ant-oat01-FAKE0123456789abcdefFAKE": "remove it and rotate that login",
	"sk-ant-ort01-FAKE0123456789abcdefFAKE": "remove it and rotate that login",
	"sk-ant-api03-FAKE0123456789abcdefFAKE": "revoke that key in the Anthropic Console (console.anthropic.com/settings/keys)",
	"sk-ant-admin01-FAKE0123456789abcdef": "revoke that admin key in the Anthropic Console (console.anthropic.com/settings/admin-keys)",
	"c2stYW50LWFwaTAzLUZBS0UwMTIzNDU2Nzg5YWJjZGVmRkFLRQ==": "revoke that key in the Anthropic Console",
}

test_advice_fits_the_token if {
	every value, advice in advice_cases {
		some f in credential_material.deny with input as with_data(value)
		contains(f.msg, advice)
	}
	every value in {"sk-ant-api03-FAKE0123456789abcdefFAKE", "sk-ant-admin01-FAKE0123456789abcdef"} {
		some f in credential_material.deny with input as with_data(value)
		not contains(f.msg, "rotate that login")
	}
}

findings(x) := fs if {
	fs := credential_material.deny with input as x
}

with_data(value) := object.union(cm_fixture, {"data": {"value": value}})

cm_fixture := {
	"apiVersion": "v1",
	"kind": "ConfigMap",
	"metadata": {"name": "docs", "namespace": "aifactory"},
	"data": {"README.md": "Create the Secret with kubectl create secret generic."},
}

# The raw-text input's key is no way around the document checks: beside other keys it is a document.
test_raw_text_key_beside_other_keys_is_a_document if {
	doc := {"aifactoryRawText": {"lines": ["ok"]}, "data": {"token": "sk-ant-oat01-FAKEhiddenBESIDErawKEY0123456789"}}
	some f in credential_material.deny with input as doc
	f.path == "data.token"
}

# The slice pre-test lets through what a line can hold: base64 split by spaces, indented, short lines.
test_raw_lines_prefilter_keeps_spaced_and_split_base64 if {
	spaced := "    c2stYW50LW9hdDAx LUZBS0VzcGFjZWRU T0tFTjAxMjM0NTY3ODk="
	some f in credential_material.deny with input as {"aifactoryRawText": {"lines": ["a: b", spaced]}}
	startswith(f.msg, "line 2 holds a base64-encoded")
}

test_raw_lines_prose_alone_is_no_finding if {
	count(findings({"aifactoryRawText": {"lines": ["    see the runbook for details", "# Deploy it"]}})) == 0
}
