package rules.single_holder_kinds_test

import data.lib.testing
import data.rules.single_holder

# What AIF006 judges of each kind's own fields (a holder: the chart's readOnly pod).
template := {"metadata": {"labels": {"app": "a"}}, "spec": testing.pod}

meta := {"name": "a", "namespace": "ns"}

reason := "refresh tokens are reported to be single-use and to rotate, so a second holder of the login invalidates the first"

paths(obj) := {f.path | some f in single_holder.deny with input as obj}

rollout(strategy) := {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": meta, "spec": {"replicas": 1, "strategy": strategy, "template": template}}

test_rollout_canary_and_blue_green_both_run_two_pods if {
	paths(rollout({"canary": {"maxSurge": 0}})) == {"spec.strategy.canary"}
	paths(rollout({"blueGreen": {"activeService": "a"}})) == {"spec.strategy.blueGreen"}
	paths(object.union(rollout({"canary": {}}), {"spec": {"replicas": 2}})) == {"spec.strategy.canary", "spec.replicas"}
}

test_a_rollout_without_the_credentials_may_scale_and_roll if {
	plain := {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": meta, "spec": {"replicas": 4, "strategy": {"canary": {}}, "template": {"spec": testing.plain_pod}}}
	paths(plain) == set()
}

knative(kind, annotations) := {"apiVersion": "serving.knative.dev/v1", "kind": kind, "metadata": meta, "spec": {"template": {"metadata": {"annotations": annotations}, "spec": testing.pod}}}

test_knative_revisions_overlap_and_scale if {
	paths(knative("Service", {})) == {"spec.template", "spec.template.metadata.annotations"}
	paths(knative("Configuration", {"autoscaling.knative.dev/max-scale": "1"})) == {"spec.template"}
	paths(knative("Service", {"autoscaling.knative.dev/maxScale": "1"})) == {"spec.template"}

	# the current key wins over the older spelling, as Knative reads them
	paths(knative("Service", {"autoscaling.knative.dev/max-scale": "2", "autoscaling.knative.dev/maxScale": "1"})) == {"spec.template", "spec.template.metadata.annotations"}
}

test_knative_max_scale_message if {
	msgs := {f.msg | some f in single_holder.deny with input as knative("Service", {"autoscaling.knative.dev/max-scale": "0", "autoscaling.knative.dev/min-scale": "2"})}
	sprintf("autoscaling.knative.dev/max-scale is \"0\" on Service ns/a, which holds the Claude credentials: the Knative autoscaler adds pods with the requests; set the annotation to \"1\" on spec.template.metadata (%s)", [reason]) in msgs
	sprintf("autoscaling.knative.dev/min-scale is \"2\" on Service ns/a, which holds the Claude credentials: set it to \"1\" or remove it (%s)", [reason]) in msgs
}

test_knative_revision_is_judged_by_its_scale_only if {
	rev := {"apiVersion": "serving.knative.dev/v1", "kind": "Revision", "metadata": object.union(meta, {"annotations": {"autoscaling.knative.dev/max-scale": "1"}}), "spec": testing.pod}
	paths(rev) == set()
	paths(json.remove(rev, ["metadata/annotations"])) == {"metadata.annotations"}
}

# a core Service is not Knative's
test_a_core_service_is_no_workload if {
	paths({"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": {"ports": [{"port": 80}]}}) == set()
}

cloneset(api, spec) := {"apiVersion": api, "kind": "CloneSet", "metadata": meta, "spec": object.union({"replicas": 1, "template": template}, spec)}

test_cloneset_only_in_place_keeps_one_pod if {
	paths(cloneset("apps.kruise.io/v1beta1", {})) == {"spec.updateStrategy.rollingUpdate.podUpdatePolicy"}
	paths(cloneset("apps.kruise.io/v1beta1", {"updateStrategy": {"rollingUpdate": {"podUpdatePolicy": "InPlaceOnly"}}})) == set()
	paths(cloneset("apps.kruise.io/v1beta1", {"updateStrategy": {"rollingUpdate": {"podUpdatePolicy": "InPlaceIfPossible", "maxSurge": "50%"}}})) == {"spec.updateStrategy.rollingUpdate.podUpdatePolicy", "spec.updateStrategy.rollingUpdate.maxSurge"}
	paths(cloneset("apps.kruise.io/v1alpha1", {"updateStrategy": {"type": "InPlaceOnly", "maxSurge": "0%"}})) == set()
	paths(cloneset("apps.kruise.io/v1alpha1", {"replicas": 3})) == {"spec.updateStrategy.type", "spec.replicas"}
}

test_kruise_statefulset_daemonset_broadcastjob_are_many_pods if {
	every kind in ["StatefulSet", "DaemonSet", "BroadcastJob"] {
		paths({"apiVersion": "apps.kruise.io/v1beta1", "kind": kind, "metadata": meta, "spec": {"replicas": 1, "template": template}}) == {"kind"}
	}
	paths({"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledJob", "metadata": meta, "spec": {"jobTargetRef": {"template": template}}}) == {"kind"}
	paths({"apiVersion": "extensions/v1beta1", "kind": "DaemonSet", "metadata": meta, "spec": {"template": template}}) == {"kind"}
}

# ---- autoscalers ----

deployment := object.union(testing.chart("Deployment", "aifactory", "readOnly", testing.pod), {"metadata": meta})

scaled_object(ref) := {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "metadata": meta, "spec": {"scaleTargetRef": ref, "triggers": [{"type": "cpu", "metadata": {"value": "50"}}]}}

hpa(ref) := {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": meta, "spec": {"maxReplicas": 3, "scaleTargetRef": ref}}

cross(docs) := {[f.path, f.docs] | some f in single_holder.deny with input as testing.combined(docs)}

test_a_scaled_object_defaults_to_a_deployment if {
	cross([deployment, scaled_object({"name": "a"})]) == {["spec.scaleTargetRef", [0, 1]]}
	cross([deployment, scaled_object({"name": "a", "kind": "StatefulSet"})]) == set()
}

test_an_autoscaler_aimed_at_any_holder_kind if {
	cross([rollout({"canary": {}}), hpa({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": "a"})]) == {["spec.scaleTargetRef", [0, 1]]}
	cross([cloneset("apps.kruise.io/v1beta1", {}), scaled_object({"apiVersion": "apps.kruise.io/v1beta1", "kind": "CloneSet", "name": "a"})]) == {["spec.scaleTargetRef", [0, 1]]}

	# another group's kind of the same name is not the target
	cross([rollout({"canary": {}}), hpa({"apiVersion": "example.com/v1", "kind": "Rollout", "name": "a"})]) == set()
}
