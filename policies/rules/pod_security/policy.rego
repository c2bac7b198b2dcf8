# METADATA
# title: Restricted Pod Security Standard on workloads
# description: >-
#   Every pod template (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, any object
#   with a pod template such as an Argo Rollout or a Knative Service, every pod of an Argo Workflows
#   template or a Tekton task; docs/workload-kinds.md) that holds or can reach the Claude
#   credentials, and every pod of this chart, meets the restricted Pod
#   Security Standard: runAsNonRoot, no runAsUser 0, allowPrivilegeEscalation
#   false, capabilities drop ALL (add only NET_BIND_SERVICE), seccomp RuntimeDefault or Localhost,
#   not privileged, no hostPath, hostNetwork, hostPID or hostIPC. Checked on every container type.
# custom:
#   id: AIF004
#   severity: error
#   short_title: Workload violates restricted Pod Security
#   rationale: >-
#     The pod holds a full-scope Claude login. A container that can become root, escalate, load
#     a host path or share the host's namespaces can read it from the node, or let a compromised
#     agent escape with it. The chart is expected to pass the restricted profile.
#   remediation: >-
#     Set pod securityContext runAsNonRoot: true and seccompProfile.type: RuntimeDefault, and on
#     every container allowPrivilegeEscalation: false and capabilities.drop: [ALL]; remove
#     privileged, hostPath volumes and host namespaces.
package rules.pod_security

import data.lib.finding as lib_finding
import data.lib.workloads

# Once per document: the rules below read it several times, and a function call is not cached.
# Every pod the workload makes (one for a pod template; one per Argo template or Tekton task),
# each container with its pod's securityContext and where that is set.
input_pods := workloads.pods(input)

input_containers := {object.union(c, {"pod_sc": pod_sc(p), "pod_sc_at": workloads.field_path(p, "securityContext")}) |
	some p in input_pods
	some c in p.containers
}

# In scope: a workload that holds or can reach the Claude credentials (a credentials mount, the
# aifactory.dev/remote-control or aifactory.dev/credentials-secret annotation), and every pod of
# this chart (app.kubernetes.io/part-of: aifactory on the workload or its pod template), whether or
# not Remote Control is on. Other charts' workloads are not this policy's business.
in_scope if {
	workloads.input_is_workload
	workloads.holds_credentials(input)
}

in_scope if {
	workloads.input_is_workload
	workloads.part_of_chart(input)
}

pod_sc(p) := object.get(p.spec, "securityContext", {})

finding(path, msg) := lib_finding.make(rego.metadata.chain(), {"msg": msg, "path": path})

sc(c) := object.get(c.container, "securityContext", {})

deny contains finding(path, sprintf("%s is true: remove it (restricted Pod Security forbids sharing the host's namespaces)", [path])) if {
	in_scope
	some p in input_pods
	some field in ["hostNetwork", "hostPID", "hostIPC"]
	p.spec[field] == true
	path := workloads.field_path(p, field)
}

deny contains finding(path, sprintf("%s is a hostPath volume: use an emptyDir, a Secret or a PersistentVolumeClaim (restricted Pod Security forbids hostPath)", [path])) if {
	in_scope
	some v in workloads.volumes(input)
	v.volume.hostPath
	path := sprintf("%s.hostPath", [v.path])
}

deny contains finding(path, sprintf("%s is true: remove privileged (restricted Pod Security)", [path])) if {
	in_scope
	some c in input_containers
	sc(c).privileged == true
	path := sprintf("%s.securityContext.privileged", [c.path])
}

deny contains finding(path, sprintf("%s must be false (restricted Pod Security); it is %s", [path, shown(sc(c), "allowPrivilegeEscalation")])) if {
	in_scope
	some c in input_containers
	not sc(c).allowPrivilegeEscalation == false
	path := sprintf("%s.securityContext.allowPrivilegeEscalation", [c.path])
}

deny contains finding(path, sprintf("%s must include ALL (restricted Pod Security): add capabilities.drop: [ALL]", [path])) if {
	in_scope
	some c in input_containers
	not "ALL" in object.get(sc(c), ["capabilities", "drop"], [])
	path := sprintf("%s.securityContext.capabilities.drop", [c.path])
}

deny contains finding(path, sprintf("%s adds %s: restricted Pod Security allows adding only NET_BIND_SERVICE", [path, cap])) if {
	in_scope
	some c in input_containers
	some cap in object.get(sc(c), ["capabilities", "add"], [])
	cap != "NET_BIND_SERVICE"
	path := sprintf("%s.securityContext.capabilities.add", [c.path])
}

# runAsNonRoot: the container's own setting wins over the pod's.
run_as_non_root(c) := sc(c).runAsNonRoot if {
	"runAsNonRoot" in object.keys(sc(c))
} else := object.get(c.pod_sc, "runAsNonRoot", false)

deny contains finding(path, sprintf("%s is not true and %s.runAsNonRoot does not make it true: set runAsNonRoot: true on the pod or the container (restricted Pod Security)", [path, c.pod_sc_at])) if {
	in_scope
	some c in input_containers
	not run_as_non_root(c) == true
	path := sprintf("%s.securityContext.runAsNonRoot", [c.path])
}

deny contains finding(path, sprintf("%s is 0 (root): use a non-zero uid such as 65532 (restricted Pod Security)", [path])) if {
	in_scope
	some p in input_pods
	pod_sc(p).runAsUser == 0
	path := sprintf("%s.runAsUser", [workloads.field_path(p, "securityContext")])
}

deny contains finding(path, sprintf("%s is 0 (root): use a non-zero uid such as 65532 (restricted Pod Security)", [path])) if {
	in_scope
	some c in input_containers
	sc(c).runAsUser == 0
	path := sprintf("%s.securityContext.runAsUser", [c.path])
}

allowed_seccomp := {"RuntimeDefault", "Localhost"}

seccomp_type(c) := sc(c).seccompProfile.type if {
	sc(c).seccompProfile.type
} else := object.get(c.pod_sc, ["seccompProfile", "type"], "missing")

deny contains finding(path, sprintf("%s is %s: set seccompProfile.type: RuntimeDefault (or Localhost) on the pod or every container (restricted Pod Security)", [path, seccomp_type(c)])) if {
	in_scope
	some c in input_containers
	not seccomp_type(c) in allowed_seccomp
	path := sprintf("%s.securityContext.seccompProfile.type", [c.path])
}

deny contains finding(path, sprintf("%s is %s: set seccompProfile.type: RuntimeDefault (or Localhost) (restricted Pod Security)", [path, type])) if {
	in_scope
	some p in input_pods
	type := pod_sc(p).seccompProfile.type
	not type in allowed_seccomp
	path := sprintf("%s.seccompProfile.type", [workloads.field_path(p, "securityContext")])
}

# shown(obj, key) renders a field's value for a message, "missing" when absent.
shown(obj, key) := json.marshal(obj[key]) if {
	key in object.keys(obj)
} else := "missing"
