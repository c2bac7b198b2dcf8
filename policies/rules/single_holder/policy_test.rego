package rules.single_holder_test

import data.lib.testing
import data.rules.single_holder

# Every case below: single_holder.deny of its input is exactly its want (a set of findings).
check(c) if testing.same(single_holder.deny, c.want) with input as c.input

# replicas 3, explicit RollingUpdate
test_replicas_and_rolling_update if check(cases.replicas_and_rolling_update)

cases["replicas_and_rolling_update"] := {
	"input": object.union(
		testing.chart("Deployment", "aifactory", "readOnly", testing.pod),
		{"spec": {"replicas": 3, "strategy": {"type": "RollingUpdate"}}},
	),
	"want": {
		finding("spec.replicas", "spec.replicas is 3 on Deployment aifactory/aifactory, which holds the Claude credentials: set replicas: 1 (refresh tokens are reported to be single-use and to rotate, so a second holder of the login invalidates the first)"),
		finding("spec.strategy.type", "spec.strategy.type is RollingUpdate on Deployment aifactory/aifactory, which holds the Claude credentials: set strategy.type: Recreate so old and new pod never run together (refresh tokens are reported to be single-use and to rotate, so a second holder of the login invalidates the first)"),
	},
}

# no strategy: RollingUpdate by default
test_strategy_unset_is_rolling_update if check(cases.strategy_unset_is_rolling_update)

cases["strategy_unset_is_rolling_update"] := {
	"input": json.remove(testing.chart("Deployment", "aifactory", "readOnly", testing.pod), [["spec", "strategy"]]),
	"want": {
		finding("spec.strategy.type", "spec.strategy.type is unset (RollingUpdate) on Deployment aifactory/aifactory, which holds the Claude credentials: set strategy.type: Recreate so old and new pod never run together (refresh tokens are reported to be single-use and to rotate, so a second holder of the login invalidates the first)"),
	},
}

# the chart shape
test_recreate_one_replica_allowed if check(cases.recreate_one_replica_allowed)

cases["recreate_one_replica_allowed"] := {
	"input": testing.chart("Deployment", "aifactory", "readOnly", testing.pod),
	"want": set(),
}

# unset replicas is 1
test_replicas_unset_allowed if check(cases.replicas_unset_allowed)

cases["replicas_unset_allowed"] := {
	"input": json.remove(testing.chart("Deployment", "aifactory", "readOnly", testing.pod), [["spec", "replicas"]]),
	"want": set(),
}

# ReplicaSet replicas
test_replicaset_replicas if check(cases.replicaset_replicas)

cases["replicaset_replicas"] := {
	"input": object.union(testing.chart("ReplicaSet", "aifactory", "readOnly", testing.pod), {"spec": {"replicas": 3}}),
	"want": {
		finding("spec.replicas", "spec.replicas is 3 on ReplicaSet aifactory/aifactory, which holds the Claude credentials: set replicas: 1 (refresh tokens are reported to be single-use and to rotate, so a second holder of the login invalidates the first)"),
	},
}

# a StatefulSet holding the credentials
test_statefulset if check(cases.statefulset)

cases["statefulset"] := {
	"input": object.union(
		testing.chart("StatefulSet", "aifactory", "readOnly", testing.pod),
		{"spec": {"serviceName": "aifactory"}},
	),
	"want": {
		finding("kind", "StatefulSet aifactory/aifactory holds the Claude credentials: a StatefulSet runs a pod per ordinal and is scaled by replicas; use a Deployment with replicas: 1 and strategy.type: Recreate (refresh tokens are reported to be single-use and to rotate, so a second holder of the login invalidates the first)"),
	},
}

# a DaemonSet holding the credentials
test_daemonset if check(cases.daemonset)

cases["daemonset"] := {
	"input": testing.chart("DaemonSet", "aifactory", "ownedCopy", testing.owned_copy_pod),
	"want": {
		finding("kind", "DaemonSet aifactory/aifactory holds the Claude credentials: a DaemonSet runs one pod per node; use a Deployment with replicas: 1 and strategy.type: Recreate (refresh tokens are reported to be single-use and to rotate, so a second holder of the login invalidates the first)"),
	},
}

# the credentials-secret annotation marks a holder
test_credentials_secret_annotation if check(cases.credentials_secret_annotation)

cases["credentials_secret_annotation"] := {
	"input": object.union(
		testing.release("Deployment", "w", testing.plain_pod),
		{"spec": {"replicas": 2, "template": {"metadata": {"annotations": {"aifactory.dev/credentials-secret": "s"}}}}},
	),
	"want": {
		finding("spec.replicas", "spec.replicas is 2 on Deployment aifactory/w, which holds the Claude credentials: set replicas: 1 (refresh tokens are reported to be single-use and to rotate, so a second holder of the login invalidates the first)"),
	},
}

# no credentials: scale freely
test_no_credentials_allowed if check(cases.no_credentials_allowed)

cases["no_credentials_allowed"] := {
	"input": object.union(
		json.remove(testing.release("Deployment", "w", testing.plain_pod), [["spec", "strategy"]]),
		{"spec": {"replicas": 5}},
	),
	"want": set(),
}

# an HPA targeting the Remote Control Deployment
test_autoscaler_combined if check(cases.autoscaler_combined)

cases["autoscaler_combined"] := {
	"input": testing.combined([
		testing.chart("Deployment", "aifactory", "readOnly", testing.pod),
		{
			"apiVersion": "autoscaling/v2",
			"kind": "HorizontalPodAutoscaler",
			"metadata": {"name": "aifactory", "namespace": "aifactory"},
			"spec": {"maxReplicas": 3, "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "aifactory"}},
		},
	]),
	"want": {
		cross_finding("spec.scaleTargetRef", "HorizontalPodAutoscaler aifactory/aifactory (in 1.yaml) scales Deployment aifactory/aifactory (in 0.yaml), which holds the Claude credentials: remove the autoscaler and keep replicas: 1 (refresh tokens are reported to be single-use and to rotate, so a second holder of the login invalidates the first)", [0, 1]),
	},
}

# an HPA for another workload
test_autoscaler_other_target_allowed if check(cases.autoscaler_other_target_allowed)

cases["autoscaler_other_target_allowed"] := {
	"input": testing.combined([
		testing.chart("Deployment", "aifactory", "readOnly", testing.pod),
		{
			"apiVersion": "autoscaling/v2",
			"kind": "HorizontalPodAutoscaler",
			"metadata": {"name": "web", "namespace": "aifactory"},
			"spec": {"maxReplicas": 3, "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}},
		},
	]),
	"want": set(),
}

# an HPA in another namespace
test_autoscaler_other_namespace_allowed if check(cases.autoscaler_other_namespace_allowed)

cases["autoscaler_other_namespace_allowed"] := {
	"input": testing.combined([
		testing.chart("Deployment", "aifactory", "readOnly", testing.pod),
		{
			"apiVersion": "autoscaling/v2",
			"kind": "HorizontalPodAutoscaler",
			"metadata": {"name": "aifactory", "namespace": "other"},
			"spec": {"maxReplicas": 3, "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "aifactory"}},
		},
	]),
	"want": set(),
}

# single-document mode cannot see the target
test_autoscaler_single_document_ignored if check(cases.autoscaler_single_document_ignored)

cases["autoscaler_single_document_ignored"] := {
	"input": {
		"apiVersion": "autoscaling/v2",
		"kind": "HorizontalPodAutoscaler",
		"metadata": {"name": "aifactory", "namespace": "aifactory"},
		"spec": {"maxReplicas": 3, "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "aifactory"}},
	},
	"want": set(),
}

# ---- fixtures ----

finding(path, msg) := testing.finding("AIF006", path, msg)

cross_finding(path, msg, docs) := testing.cross_finding("AIF006", path, msg, docs)
