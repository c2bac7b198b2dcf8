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

# testing.same prints what is missing and what is unexpected when a case fails.
check(c) if testing.same({f.severity | some f in audit.findings with input as audit_input(c); f.rule == "AIF205"}, c.want)

# ---- fixtures ----

audit_input(c) := {
	"documents": [{"id": 0, "file": "Deployment/team/agent", "origin": "workload", "content": deployment(c.mode)}],
	"facts": {
		"now": now, "max_age_days": 30, "allow_subjects": [], "pods": [], "release_docs": [],
		"roles": [], "bindings": [],
		"secrets": [{
			"namespace": "team", "name": "claude-remote-credentials", "type": "Opaque",
			"created": "2026-11-30T12:00:00Z",
			"annotations": object.union({"aifactory.dev/owner": "system:serviceaccount:team:agent"}, object.get(c, "annotations", {})),
			"labels": {"aifactory.dev/credentials": "claude-code"},
			"material": {"refresh": ["r1"], "access": ["a1"], "expires_at_ms": [c.expires], "credentials_json": true},
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
