package lib.tokens_test

import data.lib.tokens

# The prefilter (may_hold_material) must let through every shape describe() reports.

test_prefilter_keeps_escaped_json_keys if {
	tokens.describe(`{"\u0063laudeAiOauth": {"accessToken": "x"}}`) == "a Claude credentials JSON (claudeAiOauth)"
}

test_prefilter_keeps_line_wrapped_base64 if {
	enc := base64.encode("sk-ant-oat01-FAKEwrappedTOKENforTESTSonly0123")
	wrapped := sprintf("%s\n%s", [substring(enc, 0, 20), substring(enc, 20, -1)])
	tokens.describe(wrapped) == "a base64-encoded Claude OAuth access token (sk-ant-oat01-…)"
}

test_prefilter_keeps_embedded_markers if {
	s := sprintf("prefix %s suffix", [base64.encode("xx sk-ant-")])
	tokens.describe(s) == "base64-encoded Claude credential material (sk-ant- or claudeAiOauth)"
}

test_prefilter_skips_clean_strings if {
	not tokens.may_hold_material("registry.example.com/shop/app:1.2.3")
	not tokens.may_hold_material("  name: foo")
	not tokens.describe("QUJDREVGR0hJSktMTU5PUA==")
}
