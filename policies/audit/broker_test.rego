package audit_broker_test

import data.audit
import data.lib.testing

# Broker mode (docs/design.md "Broker mode"): AIF205 from the broker's state, AIF206 without the
# agents and with the broker's replicas as one holder, the access Secret not a login, the broker's
# own RoleBinding not a reader. Facts as aifactory_policy/audit/facts.py builds them.

now := "2026-12-01T12:00:00Z"

hour_ms := 3600000

now_ms := 1796126400000 # 2026-12-01T12:00:00Z

# renewTime with micro-seconds, as a Lease is written
up := {"holder": "b-0", "renew_time": "2026-12-01T11:59:50.123456Z", "duration_s": 45}

lapsed := {"holder": "b-0", "renew_time": "2026-12-01T11:50:00.000001Z", "duration_s": 45}

released := {"holder": "", "renew_time": "2026-12-01T09:00:00.5Z", "duration_s": 1}

cases := {
	"healthy": {"lease": up, "expires": now_ms + hour_ms, "want": set()},
	"down_token_valid": {"lease": lapsed, "expires": now_ms + hour_ms, "want": {"warning"}},
	"released_token_valid": {"lease": released, "expires": now_ms + hour_ms, "want": {"warning"}},
	"no_lease_token_valid": {"lease": null, "expires": now_ms + hour_ms, "want": {"warning"}},
	"down_token_expired": {"lease": lapsed, "expires": now_ms - 60000, "want": {"error"}},
	"up_token_expired": {"lease": up, "expires": now_ms - 60000, "want": {"error"}},
	"nothing_published": {"lease": released, "expires": null, "want": {"error"}},
	"leases_not_listed_token_valid": {"lease": up, "listed": false, "expires": now_ms + hour_ms, "want": set()},
	"leases_not_listed_token_expired": {"lease": up, "listed": false, "expires": now_ms - 60000, "want": {"error"}},
	"refused": {"lease": up, "expires": now_ms + hour_ms, "refused": true, "want": {"error"}},
	"refused_and_down": {"lease": lapsed, "expires": now_ms + hour_ms, "refused": true, "want": {"error"}},
}

test_healthy if check(cases.healthy)

test_down_token_valid if check(cases.down_token_valid)

test_released_token_valid if check(cases.released_token_valid)

test_no_lease_token_valid if check(cases.no_lease_token_valid)

test_down_token_expired if check(cases.down_token_expired)

test_up_token_expired if check(cases.up_token_expired)

test_nothing_published if check(cases.nothing_published)

test_leases_not_listed_token_valid if check(cases.leases_not_listed_token_valid)

test_leases_not_listed_token_expired if check(cases.leases_not_listed_token_expired)

test_refused if check(cases.refused)

test_refused_and_down if check(cases.refused_and_down)

check(c) if testing.same(aif205(c), c.want)

aif205(c) := {f.severity | some f in audit.findings with input as broker_input(c, []); f.rule == "AIF205"}

test_the_warning_names_the_deadline_and_what_to_do if {
	some f in audit.findings with input as broker_input(cases.down_token_valid, [])
	f.rule == "AIF205"
	contains(f.msg, "the credentials broker is down since 2026-12-01T11:50:00.000001Z")
	contains(f.msg, "the agents keep working until 2026-12-01T13:00:00Z")
	contains(f.msg, "`kubectl -n team rollout status deploy/rel-aifactory-credentials-broker`")
	contains(f.msg, "`kubectl -n team logs deploy/rel-aifactory-credentials-broker`")
}

test_a_live_broker_that_let_the_token_expire_says_so if {
	some f in audit.findings with input as broker_input(cases.up_token_expired, [])
	f.rule == "AIF205"
	contains(f.msg, "holds its Lease (b-0) but published no newer token")
}

# the generic AIF205 (write-back sidecar, idle writeBack) does not judge a broker's Secret
test_no_generic_aif205_on_a_broker_secret if {
	c := object.union(cases.refused, {"source_expires": now_ms - (3 * hour_ms)})
	msgs := {f.msg | some f in audit.findings with input as broker_input(c, []); f.rule == "AIF205"}
	count(msgs) == 1
	every m in msgs {
		contains(m, "recorded by the broker")
	}
}

# ---- AIF206 ---------------------------------------------------------------------------------

aif206(pods) := {f.target | some f in audit.findings with input as broker_input(cases.healthy, pods); f.rule == "AIF206"}

test_two_broker_replicas_and_three_agents_are_no_aif206 if {
	testing.same(aif206([broker_pod("b-0"), broker_pod("b-1"), agent_pod("a-0"), agent_pod("a-1"), agent_pod("a-2")]), set())
}

test_an_agent_pod_that_mounts_the_secret_is_a_holder if {
	mounting := json.patch(agent_pod("a-old"), [
		{"op": "replace", "path": "/evaluate", "value": true},
		{"op": "add", "path": "/doc/spec/volumes/-", "value": {"name": "login", "secret": {"secretName": "claude-remote-credentials"}}},
	])
	testing.same(aif206([broker_pod("b-0"), mounting, agent_pod("a-0")]), {"Secret/team/claude-remote-credentials"})
}

test_an_agent_pod_with_the_secret_in_env_is_a_holder if {
	env := json.patch(agent_pod("a-old"), [
		{"op": "replace", "path": "/evaluate", "value": true},
		{"op": "add", "path": "/doc/spec/containers/0/env", "value": [{"name": "LOGIN", "valueFrom": {"secretKeyRef": {"name": "claude-remote-credentials", "key": "credentials.json"}}}]},
	])
	testing.same(aif206([broker_pod("b-0"), env]), {"Secret/team/claude-remote-credentials"})
}

test_two_brokers_of_two_workloads_are_two_holders if {
	other := json.patch(broker_pod("x-0"), [
		{"op": "replace", "path": "/root", "value": "Deployment/team/other-credentials-broker"},
		{"op": "replace", "path": "/evaluate", "value": true},
	])
	testing.same(aif206([broker_pod("b-0"), other]), {"Secret/team/claude-remote-credentials"})
}

# ---- the access Secret and the broker's Role ------------------------------------------------

test_the_access_secret_is_not_a_second_login if {
	rules := {f.rule | some f in audit.findings with input as broker_input(cases.healthy, []); startswith(f.rule, "AIF2")}
	testing.same(rules, set())
}

test_an_access_secret_holding_a_refresh_token_is_a_login if {
	leaky := json.patch(broker_input(cases.healthy, []), [{"op": "replace", "path": "/facts/secrets/1/material/refresh", "value": ["r1"]}])
	some f in audit.findings with input as leaky
	f.rule == "AIF201"
}

test_a_wide_role_labelled_as_the_brokers_is_a_reader if {
	wide := json.patch(broker_input(cases.healthy, []), [{"op": "replace", "path": "/facts/roles/0/rules/0/resourceNames", "value": []}])
	some f in audit.findings with input as wide
	f.rule == "AIF203"
	contains(f.msg, "ServiceAccount:team:rel-aifactory-credentials-broker")
}

# ---- fixtures ----

broker_input(c, pods) := {
	"documents": [
		{"id": 0, "file": "team/Deployment/rel-aifactory-credentials-broker", "origin": "workload", "content": deployment("rel-aifactory-credentials-broker", broker_annotations)},
		{"id": 1, "file": "team/Deployment/rel-aifactory", "origin": "workload", "content": deployment("rel-aifactory", agent_annotations)},
	],
	"facts": {
		"now": now, "max_age_days": 30, "allow_subjects": [], "pods": pods, "release_docs": [],
		"roles": [{
			"kind": "Role", "namespace": "team", "name": "rel-aifactory-credentials-broker",
			"labels": {"app.kubernetes.io/component": "credentials-broker"},
			"rules": [
				{"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["claude-remote-credentials", "rel-aifactory-claude-access"], "verbs": ["get", "patch", "update"]},
				{"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "resourceNames": ["rel-aifactory-credentials-broker"], "verbs": ["get", "update"]},
			],
		}],
		"bindings": [{
			"kind": "RoleBinding", "namespace": "team", "name": "rel-aifactory-credentials-broker",
			"roleRef": {"kind": "Role", "name": "rel-aifactory-credentials-broker"},
			"subjects": [{"kind": "ServiceAccount", "name": "rel-aifactory-credentials-broker", "namespace": "team"}],
		}],
		"secrets": [
			{
				"namespace": "team", "name": "claude-remote-credentials", "type": "Opaque",
				"created": "2026-11-30T12:00:00Z", "annotations": source_annotations(c),
				"labels": {"aifactory.dev/credentials": "claude-code"},
				"material": {"refresh": ["r1"], "access": ["a1"], "expires_at_ms": [object.get(c, "source_expires", now_ms + hour_ms)], "credentials_json": true},
			},
			{
				"namespace": "team", "name": "rel-aifactory-claude-access", "type": "Opaque",
				"created": "2026-01-01T00:00:00Z", "annotations": {"aifactory.dev/access-only": "true"}, "labels": {},
				"material": {"refresh": [], "access": ["a1"], "expires_at_ms": [now_ms + hour_ms], "credentials_json": true},
			},
		],
		"brokers": [{
			"namespace": "team", "secret": "claude-remote-credentials", "release": "rel",
			"deployment": "rel-aifactory-credentials-broker", "brokers": ["rel-aifactory-credentials-broker"], "agents": ["rel-aifactory"],
			"lease": lease_fact(c),
			"access": {"name": "rel-aifactory-claude-access", "found": true, "expires_at": expires_at(c.expires), "published_at": ""},
		}],
	},
}

lease_fact(c) := {"name": "rel-aifactory-credentials-broker", "listed": object.get(c, "listed", true), "found": false, "holder": "", "renew_time": "", "duration_s": 0} if {
	c.lease == null
} else := object.union(c.lease, {"name": "rel-aifactory-credentials-broker", "listed": object.get(c, "listed", true), "found": true})

expires_at(null) := ""

expires_at(ms) := time.format([ms * 1000000, "UTC", "2006-01-02T15:04:05Z07:00"]) if ms != null

source_annotations(c) := object.union(
	{"aifactory.dev/owner": "system:serviceaccount:team:rel-aifactory-credentials-broker", "aifactory.dev/rotated-at": "2026-12-01T11:00:00Z", "aifactory.dev/rotated-by": "aifactory-credentials-broker"},
	{"aifactory.dev/login-state": "refresh-refused", "aifactory.dev/login-state-at": "2026-12-01T10:00:00Z"},
) if {
	c.refused
} else := {"aifactory.dev/owner": "system:serviceaccount:team:rel-aifactory-credentials-broker", "aifactory.dev/rotated-at": "2026-12-01T11:00:00Z", "aifactory.dev/rotated-by": "aifactory-credentials-broker"}

broker_annotations := {"aifactory.dev/credentials-broker": "enabled", "aifactory.dev/credentials-secret": "claude-remote-credentials", "aifactory.dev/credentials-mode": "broker"}

agent_annotations := {"aifactory.dev/remote-control": "enabled", "aifactory.dev/credentials-secret": "claude-remote-credentials", "aifactory.dev/credentials-mode": "broker", "aifactory.dev/access-secret": "rel-aifactory-claude-access"}

deployment(name, annotations) := {
	"apiVersion": "apps/v1", "kind": "Deployment",
	"metadata": {"name": name, "namespace": "team", "labels": {"app.kubernetes.io/instance": "rel"}},
	"spec": {"template": {
		"metadata": {"annotations": annotations},
		"spec": {
			"containers": [{"name": "c", "image": "x", "volumeMounts": [{"name": "claude-access", "mountPath": "/run/aifactory/access", "readOnly": true}]}],
			"volumes": [{"name": "claude-access", "emptyDir": {"medium": "Memory"}}],
		},
	}},
}

pod(name, dep, annotations) := {
	"namespace": "team", "name": name, "root": sprintf("Deployment/team/%s", [dep]), "evaluate": false,
	"doc": {
		"apiVersion": "v1", "kind": "Pod",
		"metadata": {"name": name, "namespace": "team", "annotations": annotations},
		"spec": deployment(dep, annotations).spec.template.spec,
	},
}

broker_pod(name) := pod(name, "rel-aifactory-credentials-broker", broker_annotations)

agent_pod(name) := pod(name, "rel-aifactory", agent_annotations)
