package rules.writeback_rbac_test

import data.rules.writeback_rbac

# Other charts' Roles that write every Secret count only when bound to the ServiceAccount of a
# workload that holds the credentials. Each case replaces parts of the combined fixture at the bottom.

cases := {
	# [binding subjects, workload serviceAccountName (null: unset), workload annotation value, findings]
	"bound to the holder's ServiceAccount": [[{"kind": "ServiceAccount", "name": "agent", "namespace": "aifactory"}], "agent", "enabled", 1],
	"subject namespace from the binding": [[{"kind": "ServiceAccount", "name": "agent"}], "agent", "enabled", 1],
	"default ServiceAccount (unset)": [[{"kind": "ServiceAccount", "name": "default", "namespace": "aifactory"}], null, "enabled", 1],
	"every ServiceAccount of the namespace": [[{"kind": "Group", "name": "system:serviceaccounts:aifactory"}], "agent", "enabled", 1],
	"bound to another ServiceAccount": [[{"kind": "ServiceAccount", "name": "cert-controller", "namespace": "aifactory"}], "agent", "enabled", 0],
	"same name, other namespace": [[{"kind": "ServiceAccount", "name": "agent", "namespace": "cert-system"}], "agent", "enabled", 0],
	"the workload holds no credentials": [[{"kind": "ServiceAccount", "name": "agent", "namespace": "aifactory"}], "agent", "disabled", 0],
}

test_role_bound_to_a_holder if {
	every _, c in cases {
		count(findings(combined(c[0], c[1], c[2]))) == c[3]
	}
}

test_cluster_role_binding if {
	docs := json.patch(combined([{"kind": "ServiceAccount", "name": "agent", "namespace": "aifactory"}], "agent", "enabled"), [
		{"op": "replace", "path": "/0/contents/kind", "value": "ClusterRole"},
		{"op": "remove", "path": "/0/contents/metadata/namespace"},
		{"op": "replace", "path": "/1/contents/kind", "value": "ClusterRoleBinding"},
		{"op": "remove", "path": "/1/contents/metadata/namespace"},
		{"op": "replace", "path": "/1/contents/roleRef/kind", "value": "ClusterRole"},
	])
	some f in findings(docs)
	f.docs == [0, 1, 2]
	startswith(f.msg, "rules[0].resourceNames on ClusterRole secret-sync (in role.yaml) grants patch, update on every Secret (no resourceNames), and ClusterRoleBinding secret-sync (in binding.yaml) gives it to ServiceAccount agent of Deployment aifactory/agent (in deployment.yaml)")
}

test_reading_only_is_not_this_rule if {
	docs := json.patch(combined([{"kind": "ServiceAccount", "name": "agent"}], "agent", "enabled"), [{"op": "replace", "path": "/0/contents/rules/0/verbs", "value": ["get", "list", "watch"]}])
	count(findings(docs)) == 0
}

findings(docs) := fs if {
	fs := writeback_rbac.deny with input as docs
}

combined(subjects, sa, rc) := [
	{"path": "role.yaml", "contents": role},
	{"path": "binding.yaml", "contents": object.union(binding, {"subjects": subjects})},
	{"path": "deployment.yaml", "contents": json.patch(holder, patch_sa(sa, rc))},
]

patch_rc(rc) := [{"op": "replace", "path": "/spec/template/metadata/annotations/aifactory.dev~1remote-control", "value": rc}]

patch_sa(null, rc) := patch_rc(rc)

patch_sa(sa, rc) := array.concat(patch_rc(rc), [{"op": "add", "path": "/spec/template/spec/serviceAccountName", "value": sa}]) if sa != null

role := {
	"apiVersion": "rbac.authorization.k8s.io/v1",
	"kind": "Role",
	"metadata": {"name": "secret-sync", "namespace": "aifactory"},
	"rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "patch", "update"]}],
}

binding := {
	"apiVersion": "rbac.authorization.k8s.io/v1",
	"kind": "RoleBinding",
	"metadata": {"name": "secret-sync", "namespace": "aifactory"},
	"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "secret-sync"},
	"subjects": [],
}

holder := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "agent", "namespace": "aifactory"},
	"spec": {"template": {
		"metadata": {"annotations": {"aifactory.dev/remote-control": "enabled"}},
		"spec": {"containers": [{"name": "agent", "image": "example/agent:1"}]},
	}},
}
