package rules.writeback_test

import data.lib.testing
import data.rules.writeback

# Every case below: writeback.deny of its input is exactly its want (a set of findings).
check(c) if testing.same(writeback.deny, c.want) with input as c.input

# readOnly missing on the credentials file, no write-back
test_writable_file_no_sidecar if check(cases.writable_file_no_sidecar)

cases["writable_file_no_sidecar"] := {
	"input": testing.chart("Deployment", "aifactory", "ownedCopy", object.union(testing.owned_copy_pod, {
		"containers": [
			object.union(testing.agent, {
				"volumeMounts": [
					testing.state_mount,
					object.union(json.remove(testing.credentials_mount, [["readOnly"]]), {"name": "claude-owned"}),
				],
			}),
		],
	})),
	"want": {
		finding("spec.template.spec.containers[0].volumeMounts[1]", "spec.template.spec.containers[0].volumeMounts[1] mounts the Claude credentials at /home/nonroot/.claude/.credentials.json writable, but no container named credentials-writeback persists refreshed tokens (refresh tokens are reported to be single-use, so the refreshed pair dies with the pod): use remoteControl.mode: writeBack, or mount the file readOnly: true"),
	},
}

# writeBack-style directory without the sidecar (init container not counted)
test_writable_dir_no_sidecar if check(cases.writable_dir_no_sidecar)

cases["writable_dir_no_sidecar"] := {
	"input": testing.chart("Deployment", "aifactory", "writeBack", object.union(testing.write_back_pod, {
		"containers": [object.union(testing.agent, {"volumeMounts": [object.union(testing.state_mount, {"name": "claude-owned"})]})],
	})),
	"want": {
		finding("spec.template.spec.containers[0].volumeMounts[0]", "spec.template.spec.containers[0].volumeMounts[0] mounts the Claude credentials at /home/nonroot/.claude writable, but no container named credentials-writeback persists refreshed tokens (refresh tokens are reported to be single-use, so the refreshed pair dies with the pod): use remoteControl.mode: writeBack, or mount the file readOnly: true"),
	},
}

# the chart writeBack mode
test_writeback_mode_allowed if check(cases.writeback_mode_allowed)

cases["writeback_mode_allowed"] := {
	"input": testing.chart("Deployment", "aifactory", "writeBack", testing.write_back_pod),
	"want": set(),
}

# the writable ~/.claude state dir under a read-only file mount
test_readonly_mode_allowed if check(cases.readonly_mode_allowed)

cases["readonly_mode_allowed"] := {
	"input": testing.chart("Deployment", "aifactory", "readOnly", testing.pod),
	"want": set(),
}

# an emptyDir at ~/.claude on a workload without Remote Control
test_claude_dir_without_remote_control_allowed if check(cases.claude_dir_without_remote_control_allowed)

cases["claude_dir_without_remote_control_allowed"] := {
	"input": testing.release("Deployment", "w", object.union(testing.pod, {
		"containers": [object.union(testing.container("w"), {"volumeMounts": [object.union(testing.state_mount, {"name": "state"})]})],
		"volumes": [{"emptyDir": {}, "name": "state"}],
	})),
	"want": set(),
}

# get/patch on one Secret
test_writeback_role_allowed if check(cases.writeback_role_allowed)

cases["writeback_role_allowed"] := {
	"input": {
		"apiVersion": "rbac.authorization.k8s.io/v1",
		"kind": "Role",
		"metadata": {"labels": {"app.kubernetes.io/component": "credentials-writeback"}, "name": "r", "namespace": "aifactory"},
		"rules": [{"apiGroups": [""], "resourceNames": ["claude"], "resources": ["secrets"], "verbs": ["get", "patch"]}],
	},
	"want": set(),
}

# two resourceNames
test_writeback_role_two_names if check(cases.writeback_role_two_names)

cases["writeback_role_two_names"] := {
	"input": {
		"apiVersion": "rbac.authorization.k8s.io/v1",
		"kind": "Role",
		"metadata": {"labels": {"app.kubernetes.io/component": "credentials-writeback"}, "name": "r", "namespace": "aifactory"},
		"rules": [{"apiGroups": [""], "resourceNames": ["a", "b"], "resources": ["secrets"], "verbs": ["get", "patch"]}],
	},
	"want": {
		finding("rules[0].resourceNames", "rules[0].resourceNames on Role aifactory/r (the credentials write-back Role) has 2 entries: grant exactly the one credentials Secret, resourceNames: [<credentialsSecretName>]"),
	},
}

# verbs beyond get/patch
test_writeback_role_extra_verbs if check(cases.writeback_role_extra_verbs)

cases["writeback_role_extra_verbs"] := {
	"input": {
		"apiVersion": "rbac.authorization.k8s.io/v1",
		"kind": "Role",
		"metadata": {"labels": {"app.kubernetes.io/component": "credentials-writeback"}, "name": "r", "namespace": "aifactory"},
		"rules": [
			{
				"apiGroups": [""],
				"resourceNames": ["a"],
				"resources": ["secrets"],
				"verbs": ["get", "patch", "delete", "watch"],
			},
		],
	},
	"want": {
		finding("rules[0].verbs", "rules[0].verbs on Role aifactory/r (the credentials write-back Role) grants delete, watch on secrets: allow only get and patch"),
	},
}

# wildcards on a labelled ClusterRole
test_writeback_role_wildcards if check(cases.writeback_role_wildcards)

cases["writeback_role_wildcards"] := {
	"input": {
		"apiVersion": "rbac.authorization.k8s.io/v1",
		"kind": "ClusterRole",
		"metadata": {"labels": {"app.kubernetes.io/component": "credentials-writeback"}, "name": "r", "namespace": "aifactory"},
		"rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}],
	},
	"want": {
		finding("rules[0].resourceNames", "rules[0].resourceNames on ClusterRole aifactory/r (the credentials write-back Role) has 0 entries: grant exactly the one credentials Secret, resourceNames: [<credentialsSecretName>]"),
		finding("rules[0].verbs", "rules[0].verbs on ClusterRole aifactory/r (the credentials write-back Role) grants * on secrets: allow only get and patch"),
	},
}

# any Role of this chart updating every Secret (other charts' Roles: rbac_test.rego)
test_unlabelled_role_patch_all if check(cases.unlabelled_role_patch_all)

cases["unlabelled_role_patch_all"] := {
	"input": {
		"apiVersion": "rbac.authorization.k8s.io/v1",
		"kind": "Role",
		"metadata": {"labels": {"app.kubernetes.io/part-of": "aifactory"}, "name": "r", "namespace": "aifactory"},
		"rules": [{"apiGroups": [""], "resources": ["secrets", "configmaps"], "verbs": ["get", "update"]}],
	},
	"want": {
		finding("rules[0].resourceNames", "rules[0].resourceNames on Role aifactory/r grants update on every Secret (no resourceNames): restrict it to the one credentials Secret with resourceNames: [<credentialsSecretName>]"),
	},
}

# reading Secrets is out of scope
test_unlabelled_role_read_allowed if check(cases.unlabelled_role_read_allowed)

cases["unlabelled_role_read_allowed"] := {
	"input": {
		"apiVersion": "rbac.authorization.k8s.io/v1",
		"kind": "Role",
		"metadata": {"name": "r", "namespace": "aifactory"},
		"rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}],
	},
	"want": set(),
}

# patch limited by resourceNames
test_unlabelled_role_named_patch_allowed if check(cases.unlabelled_role_named_patch_allowed)

cases["unlabelled_role_named_patch_allowed"] := {
	"input": {
		"apiVersion": "rbac.authorization.k8s.io/v1",
		"kind": "Role",
		"metadata": {"name": "r", "namespace": "aifactory"},
		"rules": [{"apiGroups": [""], "resourceNames": ["x", "y"], "resources": ["secrets"], "verbs": ["patch"]}],
	},
	"want": set(),
}

# secrets of another API group are not core Secrets
test_other_api_group_allowed if check(cases.other_api_group_allowed)

cases["other_api_group_allowed"] := {
	"input": {
		"apiVersion": "rbac.authorization.k8s.io/v1",
		"kind": "Role",
		"metadata": {"name": "r", "namespace": "aifactory"},
		"rules": [{"apiGroups": ["example.com"], "resources": ["secrets"], "verbs": ["patch"]}],
	},
	"want": set(),
}

# ---- fixtures ----

finding(path, msg) := testing.finding("AIF007", path, msg)
