# METADATA
# title: Claude / Anthropic credential detection
# description: >-
#   Detects Claude OAuth tokens and Anthropic API keys by prefix, Claude credentials JSON by
#   structure (claudeAiOauth with accessToken or refreshToken), either of them as a JSON string or
#   base64-encoded, and base64 of `sk-ant-` / `claudeAiOauth` embedded in longer text.
#   Callers get a description of WHAT was found, never the value.
package lib.tokens

# What credential material looks like is data, written once in policies/claude_code.json
# (credential_material): ci/rule_data.py generates the chart helper's, the admission policy's and the
# Python detector's copies from it, and fails the offline stage when one drifts.
material := data.claude_code.credential_material

token_pattern := material.token_pattern

# Token families by prefix word.
token_kinds := material.token_kinds

# Base64 of "sk-ant-" and of "claudeAiOauth" at the three byte alignments: the characters that
# depend only on the marker's own bytes (ci/rule_data.py checks the list against base64 itself).
# Read from the data as it is: a set or pattern built from it here would be built again for every
# document, since the batch evaluates each document `with input as` it (which resets OPA's cache).
base64_markers := material.base64_markers

# has_token(s): s contains an Anthropic token by prefix.
has_token(s) if regex.match(token_pattern, s)

# token_label(s) names the first token found, e.g. "Claude OAuth access token (sk-ant-oat01-…)".
token_label(s) := sprintf("%s (%s…)", [object.get(token_kinds, word, "Anthropic credential"), prefix]) if {
	prefix := regex.find_n(material.token_prefix_pattern, s, 1)[0]
	word := regex.find_n(`[a-z]+`, substring(prefix, 7, -1), 1)[0]
}

# is_credentials_object(x): an object holding claudeAiOauth with accessToken or refreshToken.
is_credentials_object(x) if {
	is_object(x)
	oauth := x[material.credentials_key]
	is_object(oauth)
	some k in material.credentials_token_keys
	oauth[k]
}

# is_credentials_json(s): s is JSON text of a credentials object.
is_credentials_json(s) if {
	json.is_valid(s)
	is_credentials_object(json.unmarshal(s))
}

# credentials_text(s): text (not valid JSON, e.g. a comment or a fragment) quoting the structure.
credentials_text(s) if {
	regex.match(material.credentials_key_pattern, s)
	regex.match(material.credentials_token_pattern, s)
}

# decoded(s) is s decoded from base64 when the whole value (whitespace removed) is base64.
decoded(s) := d if {
	compact := regex.replace(s, `\s`, "")
	count(compact) >= 16
	base64.is_valid(compact)
	d := base64.decode(compact)
}

# has_base64_marker(s): base64 of "sk-ant-" or "claudeAiOauth" somewhere in s.
has_base64_marker(s) if {
	some m in base64_markers
	contains(s, m)
}

# may_hold_material(s) is a cheap necessary condition for every branch of describe(s), so that
# the expensive checks (JSON parse, regex replace, base64 decode) run only on candidate strings:
# a token needs "sk-ant-"; credentials JSON needs "claudeAiOauth" literally or spelt with \u
# escapes; base64 of either holds a base64 marker; a base64-decoded value needs at least 16 characters
# all from the base64 alphabet or whitespace (base64.is_valid fails on anything else).
may_hold_material(s) if has_marker(s)

may_hold_material(s) if {
	count(s) >= 16
	not regex.match(`[^A-Za-z0-9+/=\s]`, s)
}

# may_hold_material_within(x): the same necessary condition for every string and object inside
# x at once, tested on x's JSON text (one json.marshal, substring tests and one linear regex scan
# per document instead of a regex per string, which made walking clean documents the audit's hot spot).
# json.marshal keeps "sk-ant-", "claudeAiOauth", the base64 markers and the base64 alphabet as
# they are, turns a backslash into \\ (still matched by \\u), and escapes whitespace as \n, \t,
# \r, \f or \u00XX: a string of base64 characters and whitespace with 16+ base64 characters (what
# decoded() needs once whitespace is removed) is such a run of units, so prose values are not candidates.
# Only values are candidates, so a quoted run followed by ":" (a key like readOnlyRootFilesystem) is not.
# The markers are substring tests: one alternation regex over the whole text was the costlier part.
may_hold_material_within(x) := text_may_hold_material(json.marshal(x))

text_may_hold_material(text) if has_marker(text)

text_may_hold_material(text) if regex.match(`"(?:[ ]|\\[nrtfb]|\\u00[0-9a-fA-F]{2})*(?:[A-Za-z0-9+/=](?:[ ]|\\[nrtfb]|\\u00[0-9a-fA-F]{2})*){16,}"(?:[,\]}]|$)`, text)

# has_marker(s): s contains "sk-ant-", "claudeAiOauth", a \u escape or a base64 marker (substring
# tests; an alternation regex over the same markers cost more).
has_marker(s) if contains(s, material.token_marker)

has_marker(s) if contains(s, material.credentials_key)

has_marker(s) if contains(s, `\u`)

has_marker(s) if has_base64_marker(s)

# lines_may_hold_material(lines): a necessary condition for describe(line) on some line, decided on the
# joined text in one pass (raw-text mode: a few substring tests and one linear regex per slice of
# a file instead of a regex per line, which was a scan's hot spot). The base64 test asks what
# decoded() needs, 16+ base64 characters once whitespace is removed, so prose such as
# "    see the runbook" does not make a slice a candidate. A superset: such a line is a run of whole
# lines of base64 characters and whitespace (\s takes in the joining newlines).
# (lines are strings: the CLI's raw-text input is nothing else)
lines_may_hold_material(lines) := text_lines_may_hold_material(concat("\n", lines))

text_lines_may_hold_material(text) if has_marker(text)

text_lines_may_hold_material(text) if regex.match(`(?m)^\s*(?:[A-Za-z0-9+/=]\s*){16,}$`, text)

# describe(s) says what credential material the string s holds; undefined when none.
describe(s) := d if {
	may_hold_material(s)
	d := describe_candidate(s)
}

describe_candidate(s) := "a Claude credentials JSON (claudeAiOauth)" if {
	is_credentials_json(s)
} else := "text of a Claude credentials JSON (claudeAiOauth)" if {
	credentials_text(s)
} else := with_article(token_label(s)) if {
	has_token(s)
} else := "a base64-encoded Claude credentials JSON (claudeAiOauth)" if {
	is_credentials_json(decoded(s))
} else := sprintf("a base64-encoded %s", [token_label(decoded(s))]) if {
	has_token(decoded(s))
} else := "base64-encoded Claude credential material (sk-ant- or claudeAiOauth)" if {
	has_base64_marker(s)
}

# with_article(label) prefixes "a" or "an".
with_article(label) := sprintf("an %s", [label]) if {
	regex.match(`^[AEIOUaeiou]`, label)
} else := sprintf("a %s", [label])

# format_path(p) renders a walk() path: identifiers as .key, other keys as ["key"], indexes as [i].
format_path(p) := concat("", [seg |
	some i, k in p
	seg := segment(i, k)
])

segment(_, k) := sprintf("[%d]", [k]) if is_number(k)

segment(i, k) := k if {
	is_string(k)
	i == 0
	regex.match(`^[A-Za-z_][A-Za-z0-9_]*$`, k)
}

segment(i, k) := sprintf(".%s", [k]) if {
	is_string(k)
	i > 0
	regex.match(`^[A-Za-z_][A-Za-z0-9_]*$`, k)
}

segment(_, k) := sprintf("[%s]", [json.marshal(k)]) if {
	is_string(k)
	not regex.match(`^[A-Za-z_][A-Za-z0-9_]*$`, k)
}
