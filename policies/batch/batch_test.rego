package batch_test

import data.batch

fake_token := "sk-ant-oat01-FAKE0123456789abcdefFAKE"

rc_deployment(name, release) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": name, "namespace": "aifactory", "labels": {"app.kubernetes.io/instance": release}},
	"spec": {
		"replicas": 1,
		"strategy": {"type": "Recreate"},
		"template": {
			"metadata": {"annotations": {
				"aifactory.dev/remote-control": "enabled",
				"aifactory.dev/credentials-secret": "claude-remote-credentials",
			}},
			"spec": {
				"securityContext": {"runAsNonRoot": true, "runAsUser": 65532, "seccompProfile": {"type": "RuntimeDefault"}},
				"containers": [{
					"name": "aifactory",
					"image": "aifactory",
					"securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}},
				}],
			},
		},
	},
}

documents := [
	{"id": 7, "file": "values.yaml", "content": {"remoteControl": {"token": fake_token}}},
	{"id": 8, "file": "alpha.yaml", "content": rc_deployment("alpha", "alpha")},
	{"id": 9, "file": "beta.yaml", "content": object.union(rc_deployment("beta", "beta"), {"spec": {"replicas": 2}})},
]

test_batch_per_document_and_cross_document if {
	findings := batch.findings with input as {"documents": documents}
	count(findings) == 3
	findings == {
		{
			"doc": 7,
			"rule": "AIF001",
			"severity": "error",
			"path": "remoteControl.token",
			"msg": "remoteControl.token holds a Claude OAuth access token (sk-ant-oat01-…): remove it and rotate that login; create the Secret out of band with `kubectl create secret generic <name> --from-file=credentials.json=<file>` and reference it with remoteControl.credentialsSecretName",
		},
		{
			"doc": 9,
			"rule": "AIF006",
			"severity": "error",
			"path": "spec.replicas",
			"msg": "spec.replicas is 2 on Deployment aifactory/beta, which holds the Claude credentials: set replicas: 1 (refresh tokens are reported to be single-use and to rotate, so a second holder of the login invalidates the first)",
		},
		{
			"doc": null,
			"docs": [8, 9],
			"rule": "AIF005",
			"severity": "error",
			"path": null,
			"msg": "Secret aifactory/claude-remote-credentials is the Claude credentials of release \"alpha\" (Deployment aifactory/alpha in alpha.yaml) and also of release \"beta\" (Deployment aifactory/beta in beta.yaml): one login per install, since every holder of a login shares one token family; run `claude auth login` for release \"beta\", create its own Secret and set remoteControl.credentialsSecretName to it",
		},
	}
}

test_batch_clean_documents if {
	count(batch.findings) == 0 with input as {"documents": [{"id": 0, "file": "a.yaml", "content": rc_deployment("alpha", "alpha")}]}
}

test_batch_empty if {
	count(batch.findings) == 0 with input as {"documents": []}
}

# scan --per-file: documents in different groups never share a cross-document finding.
test_groups_keep_cross_document_rules_within_a_group if {
	grouped := [object.union(d, {"group": d.id}) | some d in documents]
	findings := batch.findings with input as {"documents": grouped}
	{f.rule | some f in findings} == {"AIF001", "AIF006"}
}

test_one_group_with_both_releases_still_finds_the_sharing if {
	grouped := [object.union(d, {"group": "same"}) | some d in documents]
	some f in batch.findings with input as {"documents": grouped}
	f.rule == "AIF005"
	f.docs == [8, 9]
}

test_whole_input_ids_hold_the_workloads_holding_credentials if {
	plain := object.remove(rc_deployment("plain", "plain"), ["spec"])
	docs := array.concat(documents, [{"id": 10, "file": "plain.yaml", "content": object.union(plain, {"spec": {"template": {"spec": {"containers": [{"name": "x", "image": "x"}]}}}})}])
	result := batch.document_evaluation with input as {"documents": docs}
	{8, 9} - result.whole_input_ids == set()
	not 10 in result.whole_input_ids
	count(result.findings) == count(batch.document_findings) with input as {"documents": docs}
}

# Every cross-document rule names what it joins (a rule without `joins` would lose the documents of
# its kinds in a large scan or audit, where the cross-document rules see only what is kept).
test_every_cross_document_rule_names_its_joins if {
	cross := {name | some name, pkg in data.rules; pkg.cross_document == true}
	count(cross) >= 5
	every name in cross {
		is_set(data.rules[name].joins)
	}
}

test_join_kinds_are_the_rules_joins if {
	{"HorizontalPodAutoscaler", "ScaledObject", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "ExternalSecret"} - batch.join_kinds == set()
	not "Secret" in batch.join_kinds
	not "Deployment" in batch.join_kinds
}

test_whole_input_ids_keep_joined_kinds_lists_and_holders if {
	docs := [
		{"id": 1, "content": {"kind": "ScaledObject"}},
		{"id": 2, "content": {"kind": "Service"}},
		{"id": 3, "content": [{"kind": "Deployment"}]},
		{"id": 4, "content": rc_deployment("a", "a")},
	]
	ev := batch.document_evaluation with input as {"documents": docs}
	ev.whole_input_ids == {1, 3, 4}
}

# The audit's install list reads every object the chart made, holder or not.
test_whole_input_ids_keep_what_the_chart_made if {
	docs := [
		{"id": 1, "content": {"kind": "Service", "metadata": {"labels": {"helm.sh/chart": "aifactory-0.9.0"}}}},
		{"id": 2, "content": {"kind": "Service", "metadata": {"labels": {"app.kubernetes.io/part-of": "aifactory"}}}},
		{"id": 3, "content": {"kind": "Service", "metadata": {"labels": {"helm.sh/chart": "other-1.0.0"}}}},
	]
	ev := batch.document_evaluation with input as {"documents": docs}
	ev.whole_input_ids == {1, 2}
}

# ConfigMaps and Secrets are read by name: a batch names what its documents refer to and its
# documents of those kinds, and keeps neither whole (the engine joins them across batches).
test_batches_name_what_their_workloads_refer_to if {
	agent := object.union(rc_deployment("a", "a"), {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "x", "envFrom": [{"secretRef": {"name": "env-secret"}}]}]}}}})
	docs := [
		{"id": 1, "content": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"CLAUDE_CODE_USE_VERTEX": "1"}}},
		{"id": 2, "content": {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "env-secret"}}},
		{"id": 3, "content": agent},
	]
	ev := batch.document_evaluation with input as {"documents": docs}
	not 1 in ev.whole_input_ids
	not 2 in ev.whole_input_ids
	3 in ev.whole_input_ids
	ev.named_documents == {[1, "ConfigMap", "a"], [2, "Secret", "env-secret"]}
	["Secret", "env-secret"] in ev.names
	{"ConfigMap", "Secret"} - batch.named_kinds == set()
}
