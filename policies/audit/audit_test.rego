package audit_test

import data.audit
import data.lib.testing

# AIF205, table-driven: which logins the audit calls dead, expired-and-not-written-back, or healthy.
# Measured with the real Claude Code (tests/test_token_lifecycle.py, tests/test_token_holders.py):
# a read-only copy fails every task once its access token is within ~5 min of expiry; a refused
# refresh leaves the in-pod file empty, which the write-back sidecar records on the Secret.

now := "2026-12-01T12:00:00Z"

hour_ms := 3600000

now_ms := 1796126400000 # 2026-12-01T12:00:00Z

cases := {
	"read_only_valid": {"mode": "readOnly", "expires": now_ms + hour_ms, "want": set()},
	"read_only_expired": {"mode": "readOnly", "expires": now_ms - hour_ms, "want": {"error"}},
	"read_only_inside_the_refresh_margin": {"mode": "readOnly", "expires": now_ms + 120000, "want": {"error"}},
	"owned_copy_expired": {"mode": "ownedCopy", "expires": now_ms - hour_ms, "want": {"error"}},
	"bare_mount_expired": {"mode": null, "expires": now_ms - hour_ms, "want": {"error"}},
	"write_back_just_expired": {"mode": "writeBack", "expires": now_ms - 600000, "want": set()},
	"write_back_expired_long_ago": {"mode": "writeBack", "expires": now_ms - hour_ms, "want": {"warning"}},
	"write_back_written_back_since": {
		"mode": "writeBack", "expires": now_ms - hour_ms, "want": set(),
		"annotations": {"aifactory.dev/rotated-at": "2026-12-01T11:59:00Z"},
	},
	"refused_refresh_recorded_by_the_sidecar": {
		"mode": "writeBack", "expires": now_ms + hour_ms, "want": {"error"},
		"annotations": {"aifactory.dev/login-state": "refresh-refused", "aifactory.dev/login-state-at": "2026-12-01T11:00:00Z"},
	},
}

test_read_only_valid if check(cases.read_only_valid)

test_read_only_expired if check(cases.read_only_expired)

test_read_only_inside_the_refresh_margin if check(cases.read_only_inside_the_refresh_margin)

test_owned_copy_expired if check(cases.owned_copy_expired)

test_bare_mount_expired if check(cases.bare_mount_expired)

test_write_back_just_expired if check(cases.write_back_just_expired)

test_write_back_expired_long_ago if check(cases.write_back_expired_long_ago)

test_write_back_written_back_since if check(cases.write_back_written_back_since)

test_refused_refresh_recorded_by_the_sidecar if check(cases.refused_refresh_recorded_by_the_sidecar)

test_dead_messages_say_what_to_do if {
	some f in audit.findings with input as audit_input(cases.read_only_expired)
	f.rule == "AIF205"
	contains(f.msg, "every Claude Code task since fails with 401")
	contains(f.msg, "remoteControl.mode: writeBack")
}

# AIF205, the login's end (claudeAiOauth.refreshTokenExpiresAt, measured: tests/test_login_end_real_claude.py):
# a warning within login_warn_days, an error past it, nothing when it is not stored.

day_ms := 86400000

end_cases := {
	"ends_in_20_days": {"mode": "writeBack", "expires": now_ms + hour_ms, "ends": [now_ms + (20 * day_ms)], "want": set()},
	"ends_in_5_days": {"mode": "writeBack", "expires": now_ms + hour_ms, "ends": [now_ms + (5 * day_ms)], "want": {"warning"}},
	"ends_in_5_days_warn_3": {
		"mode": "writeBack", "expires": now_ms + hour_ms, "ends": [now_ms + (5 * day_ms)], "warn_days": 3,
		"want": set(),
	},
	"ends_in_5_days_warn_10": {
		"mode": "broker", "expires": now_ms + hour_ms, "ends": [now_ms + (5 * day_ms)], "warn_days": 10,
		"want": {"warning"},
	},
	"ended": {"mode": "writeBack", "expires": now_ms + hour_ms, "ends": [now_ms - 1], "want": {"error"}},
	"ended_and_refused": {
		"mode": "writeBack", "expires": now_ms + hour_ms, "ends": [now_ms - day_ms], "want": {"error"},
		"annotations": {"aifactory.dev/login-state": "refresh-refused"},
	},
	"not_stored": {"mode": "writeBack", "expires": now_ms + hour_ms, "want": set()},
	"the_earlier_of_two": {
		"mode": "writeBack", "expires": now_ms + hour_ms, "ends": [now_ms + (30 * day_ms), now_ms + (2 * day_ms)],
		"want": {"warning"},
	},
}

test_login_ends_in_20_days if check(end_cases.ends_in_20_days)

test_login_ends_in_5_days if check(end_cases.ends_in_5_days)

test_login_ends_in_5_days_warn_3 if check(end_cases.ends_in_5_days_warn_3)

test_login_ends_in_5_days_warn_10 if check(end_cases.ends_in_5_days_warn_10)

test_login_ended if check(end_cases.ended)

test_login_not_stored if check(end_cases.not_stored)

test_login_the_earlier_of_two_ends if check(end_cases.the_earlier_of_two)

test_a_refused_login_past_its_end_is_one_error if {
	fs := [f | some f in audit.findings with input as audit_input(end_cases.ended_and_refused); f.rule == "AIF205"]
	count(fs) == 1
	contains(fs[0].msg, "refresh of it was refused")
}

test_login_end_messages if {
	[warning] := [f.msg | some f in audit.findings with input as audit_input(end_cases.ends_in_5_days); f.rule == "AIF205"]
	warning == "Secret team/claude-remote-credentials (used by install team/agent) holds a login that ends at 2026-12-06T12:00:00Z (in 5 days; claudeAiOauth.refreshTokenExpiresAt, stored by Claude Code), within the 7-day warning (--login-warn-days): log in again for this install (`aifactory-policy credentials login`, or `aifactory-policy credentials rotate --from-login`): refreshing does not move the end, before then"
	[error] := [f.msg | some f in audit.findings with input as audit_input(end_cases.ended); f.rule == "AIF205"]
	startswith(error, "Secret team/claude-remote-credentials (used by install team/agent) holds a login that ended at 2026-12-01T11:59:59Z (claudeAiOauth.refreshTokenExpiresAt, stored by Claude Code): the token endpoint refuses its refresh")
}

# AIF208: the scopes of the login, else the Secret's annotation.

scope_findings(c) := {f.msg | some f in audit.findings with input as audit_input(c); f.rule == "AIF208"; f.severity == "warning"}

test_a_full_login_has_no_scope_warning if count(scope_findings(cases.read_only_valid)) == 0

test_a_login_without_the_sessions_scope_is_a_warning if {
	c := object.union(cases.read_only_valid, {"scopes": [["user:inference", "user:profile"]]})
	scope_findings(c) == {"Secret team/claude-remote-credentials (used by install team/agent) holds a login whose scopes (user:inference user:profile) lack user:sessions:claude_code: Claude Code accepts it locally, but Remote Control is reported to fail with such logins (anthropics/claude-code #92529, #33105); log in again for this install (`aifactory-policy credentials login`), check the new login's scopes, and rotate"}
}

test_the_scopes_annotation_is_read_when_the_data_has_none if {
	c := object.union(cases.read_only_valid, {"scopes": [], "annotations": {"aifactory.dev/scopes": "user:inference user:profile"}})
	count(scope_findings(c)) == 1
	c2 := object.union(cases.read_only_valid, {"scopes": [], "annotations": {"aifactory.dev/scopes": "user:inference user:profile user:sessions:claude_code"}})
	count(scope_findings(c2)) == 0
}

# testing.same prints what is missing and what is unexpected when a case fails.
check(c) if testing.same({f.severity | some f in audit.findings with input as audit_input(c); f.rule == "AIF205"}, c.want)

# ---- fixtures ----

audit_input(c) := {
	"documents": [{"id": 0, "file": "Deployment/team/agent", "origin": "workload", "content": deployment(c.mode)}],
	"facts": {
		"now": now, "max_age_days": 30, "login_warn_days": object.get(c, "warn_days", 7), "allow_subjects": [],
		"pods": [], "release_docs": [], "roles": [], "bindings": [],
		"secrets": [{
			"namespace": "team", "name": "claude-remote-credentials", "type": "Opaque",
			"created": "2026-11-30T12:00:00Z",
			"annotations": object.union({"aifactory.dev/owner": "system:serviceaccount:team:agent"}, object.get(c, "annotations", {})),
			"labels": {"aifactory.dev/credentials": "claude-code"},
			"material": {
				"refresh": ["r1"], "access": ["a1"], "expires_at_ms": [c.expires], "credentials_json": true,
				"refresh_expires_at_ms": object.get(c, "ends", []),
				"scopes": object.get(c, "scopes", [["user:inference", "user:profile", "user:sessions:claude_code"]]),
			},
		}],
	},
}

deployment(mode) := {
	"apiVersion": "apps/v1", "kind": "Deployment",
	"metadata": {"name": "agent", "namespace": "team", "labels": {"app.kubernetes.io/instance": "agent"}},
	"spec": {"template": {
		"metadata": {"annotations": annotations(mode)},
		"spec": {
			"containers": [{"name": "agent", "image": "x", "volumeMounts": [{
				"name": "credentials", "mountPath": "/home/nonroot/.claude/.credentials.json",
				"subPath": "credentials.json", "readOnly": true,
			}]}],
			"volumes": [{"name": "credentials", "secret": {"secretName": "claude-remote-credentials", "defaultMode": 256}}],
		},
	}},
}

annotations(null) := {}

annotations(mode) := {
	"aifactory.dev/remote-control": "enabled",
	"aifactory.dev/credentials-secret": "claude-remote-credentials",
	"aifactory.dev/credentials-mode": mode,
} if mode != null
