package image_test

import data.image

file(path, facts) := object.union(
	{"image": "agent.tar", "layer": "sha256:aa", "path": path, "credentials_json": false, "material": false, "oauth_account": false, "deleted_later": false},
	facts,
)

rules(files) := {[f.rule, f.path] | some f in image.findings with input as {"files": files}}

test_a_login_at_claudes_path_is_aif301 if {
	rules([file("home/nonroot/.claude/.credentials.json", {"credentials_json": true})]) == {["AIF301", "home/nonroot/.claude/.credentials.json"]}
}

test_an_empty_file_at_claudes_path_is_still_aif301 if {
	rules([file("root/.claude/.credentials.json", {})]) == {["AIF301", "root/.claude/.credentials.json"]}
}

test_a_credentials_file_elsewhere_counts_only_with_a_login if {
	rules([file("opt/backup/.credentials.json", {})]) == set()
	rules([file("opt/backup/.credentials.json", {"material": true})]) == {["AIF301", "opt/backup/.credentials.json"]}
}

test_state_with_an_account_is_aif302 if {
	rules([file("home/nonroot/.claude.json", {"oauth_account": true})]) == {["AIF302", "home/nonroot/.claude.json"]}
	rules([file("home/nonroot/.claude.json", {})]) == set()
}

test_material_in_any_other_file_is_aif303 if {
	rules([file("app/run.sh", {"material": true})]) == {["AIF303", "app/run.sh"]}
	rules([file("home/nonroot/.claude.json", {"oauth_account": true, "material": true})]) == {
		["AIF302", "home/nonroot/.claude.json"],
		["AIF303", "home/nonroot/.claude.json"],
	}
}

test_a_deleted_file_is_reported_as_still_shipped if {
	some f in image.findings with input as {"files": [file("tmp/.claude/.credentials.json", {"deleted_later": true})]}
	contains(f.msg, "deleted by a later layer's whiteout, but still in the image")
	startswith(f.msg, "a Claude credentials file (.credentials.json) is baked into the image at /tmp/.claude/.credentials.json in layer sha256:aa and deleted")
}
