package rules.broker_isolation_test

import data.lib.testing
import data.rules.broker_isolation

# The chart's broker-mode agent pod, in the shape the chart renders it (trimmed to what matters).
agent_spec := {
	"serviceAccountName": "aifactory",
	"automountServiceAccountToken": false,
	"containers": [{"name": "agent", "volumeMounts": [
		{"name": "claude-dir", "mountPath": "/home/nonroot/.claude"},
		{"name": "claude-access", "mountPath": "/run/aifactory/access", "readOnly": true},
	]}],
	"initContainers": [{"name": "credentials-receiver", "restartPolicy": "Always", "volumeMounts": [
		{"name": "claude-access", "mountPath": "/run/aifactory/access"},
		{"name": "receiver-token", "mountPath": "/var/run/secrets/aifactory/receiver", "readOnly": true},
	]}],
	"volumes": [
		{"name": "claude-dir", "emptyDir": {}},
		{"name": "claude-access", "emptyDir": {"medium": "Memory"}},
		{"name": "receiver-token", "projected": {"sources": [{"serviceAccountToken": {"path": "token"}}]}},
	],
}

agent(spec) := {
	"apiVersion": "apps/v1", "kind": "Deployment",
	"metadata": {"name": "aifactory", "namespace": "aifactory"},
	"spec": {"replicas": 3, "template": {
		"metadata": {"annotations": {
			"aifactory.dev/remote-control": "enabled",
			"aifactory.dev/credentials-secret": "login",
			"aifactory.dev/credentials-mode": "broker",
		}},
		"spec": spec,
	}},
}

test_the_chart_shape_is_clean if {
	count(broker_isolation.deny) == 0 with input as agent(agent_spec)
}

test_the_broker_itself_may_read_the_secret if {
	broker := json.patch(agent(object.union(agent_spec, {"volumes": [{"name": "l", "secret": {"secretName": "login"}}]})), [{
		"op": "add", "path": "/spec/template/metadata/annotations/aifactory.dev~1credentials-broker", "value": "enabled",
	}])
	count(broker_isolation.deny) == 0 with input as broker
}

test_a_projected_source_secret_is_found if {
	spec := object.union(agent_spec, {"volumes": array.concat(agent_spec.volumes, [{"name": "p", "projected": {"sources": [{"secret": {"name": "login"}}]}}])})
	testing.same({f.path | some f in broker_isolation.deny}, {"spec.template.spec.volumes[3]"}) with input as agent(spec)
}

test_an_env_secret_key_ref_is_found if {
	c := object.union(agent_spec.containers[0], {"env": [{"name": "X", "valueFrom": {"secretKeyRef": {"name": "login", "key": "credentials.json"}}}]})
	spec := object.union(agent_spec, {"containers": [c]})
	testing.same({f.path | some f in broker_isolation.deny}, {"spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef"}) with input as agent(spec)
}

test_another_secret_is_no_finding if {
	c := object.union(agent_spec.containers[0], {"envFrom": [{"secretRef": {"name": "inference-token"}}]})
	count(broker_isolation.deny) == 0 with input as agent(object.union(agent_spec, {"containers": [c]}))
}

test_automount_unset_means_a_token if {
	spec := json.remove(agent_spec, ["automountServiceAccountToken"])
	testing.same({f.path | some f in broker_isolation.deny}, {"spec.template.spec.automountServiceAccountToken"}) with input as agent(spec)
}

test_a_cluster_role_for_every_secret_bound_to_the_agents_is_found if {
	role := {"kind": "ClusterRole", "metadata": {"name": "reader"}, "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["list"]}]}
	binding := {"kind": "ClusterRoleBinding", "metadata": {"name": "b"}, "roleRef": {"kind": "ClusterRole", "name": "reader"}, "subjects": [{"kind": "ServiceAccount", "name": "aifactory", "namespace": "aifactory"}]}
	combined := [{"path": "a.yaml", "contents": agent(agent_spec)}, {"path": "r.yaml", "contents": [role, binding]}]
	testing.same({f.path | some f in broker_isolation.deny}, {"rules[0]"}) with input as combined
}

test_a_role_for_the_access_secret_only_is_no_finding if {
	role := {"kind": "Role", "metadata": {"name": "receiver", "namespace": "aifactory"}, "rules": [{"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["aifactory-claude-access"], "verbs": ["get", "watch"]}]}
	binding := {"kind": "RoleBinding", "metadata": {"name": "b", "namespace": "aifactory"}, "roleRef": {"kind": "Role", "name": "receiver"}, "subjects": [{"kind": "ServiceAccount", "name": "aifactory"}]}
	combined := [{"path": "a.yaml", "contents": [agent(agent_spec), role, binding]}]
	count(broker_isolation.deny) == 0 with input as combined
}
