# METADATA
# title: Exactly one holder of the Claude login
# description: >-
#   On workloads holding the Claude credentials (Remote Control annotation, credentials mount or
#   aifactory.dev/credentials-secret annotation): replicas > 1, a Deployment strategy that is not
#   Recreate (unset means RollingUpdate), a StatefulSet or DaemonSet holding them, each kind's own
#   fields (an Argo Rollout's canary or blueGreen, Knative's revisions and autoscaling annotations,
#   an OpenKruise CloneSet's update strategy, one pod per node or per event; docs/workload-kinds.md),
#   and (cross-document, conftest --combine) a HorizontalPodAutoscaler or KEDA ScaledObject
#   targeting such a workload.
#   Broker mode: its agents (aifactory.dev/credentials-mode: broker) hold an access token only
#   and are no holders unless they refer to the source Secret; the broker workload
#   (aifactory.dev/credentials-broker: enabled) may run 2 replicas and roll, a Lease electing
#   its one refresher.
# custom:
#   id: AIF006
#   severity: error
#   short_title: More than one holder of a token family
#   rationale: >-
#     Refresh tokens are reported to be single-use and to rotate on every refresh; every copy of a
#     login is one token family and whichever holder refreshes first invalidates the others.
#     Two pods at once (replicas > 1, an autoscaler, a RollingUpdate that briefly runs old and
#     new pod together, one pod per node) are two holders: the loser fails with 401 /
#     invalid_grant.
#   remediation: >-
#     Run one pod: replicas: 1, strategy.type: Recreate on a Deployment, no autoscaler; or
#     remoteControl.mode: broker, whose agents may scale freely.
package rules.single_holder

import data.lib.finding
import data.lib.workloads

# The autoscaler check reads the combined input (a list of {"path", "contents"}).
cross_document := true

# The autoscalers it joins the holders with (batch.join_kinds: a large scan or audit keeps them).
joins := autoscaler_kinds

reason := "refresh tokens are reported to be single-use and to rotate, so a second holder of the login invalidates the first"

holder if {
	workloads.input_is_workload
	holds_refresh_token(input)
	not workloads.broker(input)
}

# A broker-mode agent that refers to the source Secret nowhere holds an access token only.
holds_refresh_token(obj) if {
	workloads.holds_credentials(obj)
	not workloads.access_only_agent(obj)
}

# Kinds whose spec.replicas is the number of pods they run at once (OpenKruise's StatefulSet has
# the built-in kind's name and fields).
replica_kinds := {"Deployment", "ReplicaSet", "StatefulSet", "ReplicationController", "Rollout", "CloneSet"}

# The broker: one refresher by its Lease; a standby beside it is the most the chart runs.
deny contains result if {
	workloads.input_is_workload
	workloads.broker(input)
	input.kind in replica_kinds
	is_number(input.spec.replicas)
	input.spec.replicas > 2
	result := finding.make(rego.metadata.chain(), {
		"msg": sprintf("spec.replicas is %d on %s, the credentials broker: set remoteControl.broker.replicas to 1 or 2 (one refresher elected by its Lease, one standby; every replica can read the login)", [input.spec.replicas, workloads.describe(input)]),
		"path": "spec.replicas",
	})
}

deny contains result if {
	holder
	input.kind in replica_kinds
	is_number(input.spec.replicas) # a string is refused by the API server (and would print as %!d)
	input.spec.replicas > 1
	result := finding.make(rego.metadata.chain(), {
		"msg": sprintf("spec.replicas is %d on %s, which holds the Claude credentials: set replicas: 1 (%s)", [input.spec.replicas, workloads.describe(input), reason]),
		"path": "spec.replicas",
	})
}

deny contains result if {
	holder
	input.kind == "Deployment"
	type := object.get(input, ["spec", "strategy", "type"], "unset (RollingUpdate)")
	type != "Recreate"
	result := finding.make(rego.metadata.chain(), {
		"msg": sprintf("spec.strategy.type is %s on %s, which holds the Claude credentials: set strategy.type: Recreate so old and new pod never run together (%s)", [type, workloads.describe(input), reason]),
		"path": "spec.strategy.type",
	})
}

deny contains result if {
	holder
	note := kind_note[builtin_group(workloads.kind_of(input))]
	result := finding.make(rego.metadata.chain(), {
		"msg": sprintf("%s holds the Claude credentials: a %s runs %s; use a Deployment with replicas: 1 and strategy.type: Recreate (%s)", [workloads.describe(input), input.kind, note, reason]),
		"path": "kind",
	})
}

# builtin_group(k): the older groups of the built-in controllers (extensions/v1beta1) as apps.
builtin_group(k) := concat("", ["apps/", substring(k, count("extensions/"), -1)]) if {
	startswith(k, "extensions/")
} else := k

kind_note := {
	"apps/DaemonSet": "one pod per node",
	"apps/StatefulSet": "a pod per ordinal and is scaled by replicas",
	"apps.kruise.io/DaemonSet": "one pod per node",
	"apps.kruise.io/StatefulSet": "a pod per ordinal and is scaled by replicas",
	"apps.kruise.io/BroadcastJob": "one pod per node",
	"keda.sh/ScaledJob": "a Job per batch of events, up to spec.maxReplicaCount (100 when unset) at once",
}

# Argo Rollouts: spec.strategy is canary or blueGreen (the API refuses neither and both), and both
# run the new ReplicaSet beside the old one: canary from its first step (maxSurge 25% when unset),
# blueGreen the preview beside the active one until promotion, and the old one
# scaleDownDelaySeconds (30 when unset) after it. There is no Recreate.
rollout_strategy := {
	"canary": "canary runs the new ReplicaSet beside the stable one from the first step",
	"blueGreen": "blueGreen runs the preview ReplicaSet beside the active one until promotion and keeps the old one scaleDownDelaySeconds (30 when unset) after it",
}

deny contains result if {
	holder
	workloads.kind_of(input) == "argoproj.io/Rollout"
	some s in rollout_strategies
	result := finding.make(rego.metadata.chain(), {
		"msg": sprintf("spec.strategy.%s on %s, which holds the Claude credentials: %s, so old and new pod run together at every update (Argo Rollouts has no Recreate strategy); run the agent as a Deployment with replicas: 1 and strategy.type: Recreate, or use remoteControl.mode: broker, whose agents may roll (%s)", [s, workloads.describe(input), rollout_strategy[s], reason]),
		"path": sprintf("spec.strategy.%s", [s]),
	})
}

rollout_strategies := {s | some s, _ in object.get(input, ["spec", "strategy"], {}); rollout_strategy[s]}

# Knative Serving: every change of spec.template stamps a new Revision, and traffic moves to it only
# once it is Ready (the route follows status.latestReadyRevisionName), so the old Revision's pod
# serves beside the new one; Knative has no Recreate.
knative_template_kinds := {"serving.knative.dev/Service", "serving.knative.dev/Configuration"}

deny contains result if {
	holder
	workloads.kind_of(input) in knative_template_kinds
	result := finding.make(rego.metadata.chain(), {
		"msg": sprintf("%s holds the Claude credentials: Knative starts each new Revision beside the one serving and moves traffic to it only once it is Ready, so old and new pod run together at every change of spec.template (Knative has no Recreate); run the agent as a Deployment with replicas: 1 and strategy.type: Recreate, or use remoteControl.mode: broker, whose agents may scale (%s)", [workloads.describe(input), reason]),
		"path": "spec.template",
	})
}

# Knative's autoscaler: the revision template's annotations autoscaling.knative.dev/max-scale
# (unset: the cluster's config-autoscaler max-scale, "0" = no maximum, by default), min-scale
# and initial-scale (the older maxScale, minScale, initialScale spellings count too).
knative_scaled_kinds := knative_template_kinds | {"serving.knative.dev/Revision"}

# The current key wins over the older spelling, as in Knative (kmap.KeyPriority).
scale_annotation(name) := v if {
	v := workloads.pod_annotations(input)[sprintf("autoscaling.knative.dev/%s", [name])]
} else := v if {
	v := workloads.pod_annotations(input)[sprintf("autoscaling.knative.dev/%s", [camel[name]])]
}

max_scale_one if to_int(scale_annotation("max-scale")) == 1

camel := {"max-scale": "maxScale", "min-scale": "minScale", "initial-scale": "initialScale"}

deny contains result if {
	holder
	workloads.kind_of(input) in knative_scaled_kinds
	not max_scale_one
	result := finding.make(rego.metadata.chain(), {
		"msg": sprintf("autoscaling.knative.dev/max-scale is %s on %s, which holds the Claude credentials: the Knative autoscaler adds pods with the requests; set the annotation to \"1\" on %s (%s)", [shown_scale("max-scale"), workloads.describe(input), workloads.meta_path(input), reason]),
		"path": sprintf("%s.annotations", [workloads.meta_path(input)]),
	})
}

deny contains result if {
	holder
	workloads.kind_of(input) in knative_scaled_kinds
	some name in ["min-scale", "initial-scale"]
	to_int(scale_annotation(name)) > 1
	result := finding.make(rego.metadata.chain(), {
		"msg": sprintf("autoscaling.knative.dev/%s is %s on %s, which holds the Claude credentials: set it to \"1\" or remove it (%s)", [name, json.marshal(scale_annotation(name)), workloads.describe(input), reason]),
		"path": sprintf("%s.annotations", [workloads.meta_path(input)]),
	})
}

to_int(v) := to_number(v) if {
	is_string(v)
	regex.match(`^[0-9]+$`, v)
} else := v if is_number(v)

shown_scale(name) := json.marshal(scale_annotation(name)) if {
	scale_annotation(name)
} else := "unset (the cluster's config-autoscaler max-scale, which means no maximum unless changed)"

# OpenKruise CloneSet: it counts only the pods not being deleted, so a pod it recreates (the
# default) gets its replacement while the old one still terminates; only an in-place update keeps
# the one pod (v1alpha1 updateStrategy.type, v1beta1 updateStrategy.rollingUpdate.podUpdatePolicy:
# InPlaceOnly), and maxSurge > 0 adds a pod besides.
cloneset_policy_path := "spec.updateStrategy.type" if {
	input.apiVersion == "apps.kruise.io/v1alpha1"
} else := "spec.updateStrategy.rollingUpdate.podUpdatePolicy"

cloneset_policy := object.get(input, split(cloneset_policy_path, "."), "unset (ReCreate)")

deny contains result if {
	holder
	workloads.kind_of(input) == "apps.kruise.io/CloneSet"
	cloneset_policy != "InPlaceOnly"
	result := finding.make(rego.metadata.chain(), {
		"msg": sprintf("%s is %s on %s, which holds the Claude credentials: a CloneSet creates the replacement of a recreated pod while the old one terminates (it counts only pods not being deleted); set it to InPlaceOnly so an update restarts the one pod in place, or run the agent as a Deployment with strategy.type: Recreate (%s)", [cloneset_policy_path, cloneset_policy, workloads.describe(input), reason]),
		"path": cloneset_policy_path,
	})
}

deny contains result if {
	holder
	workloads.kind_of(input) == "apps.kruise.io/CloneSet"
	some path in ["spec.updateStrategy.maxSurge", "spec.updateStrategy.rollingUpdate.maxSurge"]
	surge := object.get(input, split(path, "."), 0)
	not surge in {0, "0", "0%"}
	result := finding.make(rego.metadata.chain(), {
		"msg": sprintf("%s is %s on %s, which holds the Claude credentials: it starts extra pods during an update; set it to 0 (%s)", [path, json.marshal(surge), workloads.describe(input), reason]),
		"path": path,
	})
}

# Cross-document: an autoscaler targeting a workload that holds the credentials: a
# HorizontalPodAutoscaler (spec.scaleTargetRef) or a KEDA ScaledObject (spec.scaleTargetRef, kind
# Deployment and apiVersion apps/v1 when unset), aimed at any workload kind with a scale
# subresource (a Deployment, a Rollout, a CloneSet, ...).
autoscaler_kinds := {"HorizontalPodAutoscaler", "ScaledObject"}

scale_target(a) := object.union({"kind": "Deployment", "apiVersion": "apps/v1"}, a.spec.scaleTargetRef) if {
	a.kind == "ScaledObject"
} else := a.spec.scaleTargetRef

targets(ref, w) if {
	w.kind == ref.kind
	w.metadata.name == ref.name
	same_group(ref, w)
}

same_group(ref, w) if builtin_group(workloads.kind_of(ref)) == builtin_group(workloads.kind_of(object.union(w, {"kind": ref.kind})))

same_group(ref, _) if not ref.apiVersion

deny contains result if {
	docs := workloads.combined_documents(input)
	some hpa in docs
	hpa.doc.kind in autoscaler_kinds
	ref := scale_target(hpa.doc)
	some w in docs
	workloads.is_workload(w.doc)
	targets(ref, w.doc)
	workloads.namespace(w.doc) == workloads.namespace(hpa.doc)
	holds_refresh_token(w.doc)
	result := finding.make(rego.metadata.chain(), {
		"msg": sprintf("%s (in %s) scales %s (in %s), which holds the Claude credentials: remove the autoscaler and keep replicas: 1 (%s)", [workloads.describe(hpa.doc), hpa.file, workloads.describe(w.doc), w.file, reason]),
		"path": "spec.scaleTargetRef",
		"docs": sort({hpa.index, w.index}),
	})
}
