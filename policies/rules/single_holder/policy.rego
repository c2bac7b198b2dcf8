# METADATA
# title: Exactly one holder of the Claude login
# description: >-
#   On workloads holding the Claude credentials (Remote Control annotation, credentials mount or
#   aifactory.dev/credentials-secret annotation): replicas > 1, a Deployment strategy that is not
#   Recreate (unset means RollingUpdate), a StatefulSet or DaemonSet holding them, and
#   (cross-document, conftest --combine) a HorizontalPodAutoscaler targeting such a workload.
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

reason := "refresh tokens are reported to be single-use and to rotate, so a second holder of the login invalidates the first"

holder if {
	workloads.is_workload(input)
	holds_refresh_token(input)
	not workloads.broker(input)
}

# A broker-mode agent that refers to the source Secret nowhere holds an access token only.
holds_refresh_token(obj) if {
	workloads.holds_credentials(obj)
	not workloads.access_only_agent(obj)
}

# The broker: one refresher by its Lease; a standby beside it is the most the chart runs.
deny contains result if {
	workloads.is_workload(input)
	workloads.broker(input)
	input.kind in {"Deployment", "ReplicaSet", "StatefulSet", "ReplicationController"}
	input.spec.replicas > 2
	result := finding.make(rego.metadata.chain(), {
		"msg": sprintf("spec.replicas is %d on %s, the credentials broker: set remoteControl.broker.replicas to 1 or 2 (one refresher elected by its Lease, one standby; every replica can read the login)", [input.spec.replicas, workloads.describe(input)]),
		"path": "spec.replicas",
	})
}

deny contains result if {
	holder
	input.kind in {"Deployment", "ReplicaSet", "StatefulSet", "ReplicationController"}
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
	input.kind in {"StatefulSet", "DaemonSet"}
	result := finding.make(rego.metadata.chain(), {
		"msg": sprintf("%s holds the Claude credentials: a %s runs %s; use a Deployment with replicas: 1 and strategy.type: Recreate (%s)", [workloads.describe(input), input.kind, kind_note[input.kind], reason]),
		"path": "kind",
	})
}

kind_note := {
	"DaemonSet": "one pod per node",
	"StatefulSet": "a pod per ordinal and is scaled by replicas",
}

# Cross-document: an autoscaler targeting a workload that holds the credentials.
deny contains result if {
	docs := workloads.combined_documents(input)
	some hpa in docs
	hpa.doc.kind == "HorizontalPodAutoscaler"
	ref := hpa.doc.spec.scaleTargetRef
	some w in docs
	workloads.is_workload(w.doc)
	w.doc.kind == ref.kind
	w.doc.metadata.name == ref.name
	workloads.namespace(w.doc) == workloads.namespace(hpa.doc)
	holds_refresh_token(w.doc)
	result := finding.make(rego.metadata.chain(), {
		"msg": sprintf("%s (in %s) scales %s (in %s), which holds the Claude credentials: remove the autoscaler and keep replicas: 1 (%s)", [workloads.describe(hpa.doc), hpa.file, workloads.describe(w.doc), w.file, reason]),
		"path": "spec.scaleTargetRef",
		"docs": sort({hpa.index, w.index}),
	})
}
