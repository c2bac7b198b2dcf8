package rules.pod_security_test

import data.lib.testing
import data.rules.pod_security

# Every case below: pod_security.deny of its input is exactly its want (a set of findings).
check(c) if testing.same(pod_security.deny, c.want) with input as c.input

# Pod: restricted is clean
test_pod_clean if check(cases.pod_clean)

cases["pod_clean"] := {
	"input": testing.part_of_chart("Pod", testing.plain_pod),
	"want": set(),
}

# Deployment: restricted is clean
test_deployment_clean if check(cases.deployment_clean)

cases["deployment_clean"] := {
	"input": testing.part_of_chart("Deployment", testing.plain_pod),
	"want": set(),
}

# StatefulSet: restricted is clean
test_statefulset_clean if check(cases.statefulset_clean)

cases["statefulset_clean"] := {
	"input": testing.part_of_chart("StatefulSet", testing.plain_pod),
	"want": set(),
}

# DaemonSet: restricted is clean
test_daemonset_clean if check(cases.daemonset_clean)

cases["daemonset_clean"] := {
	"input": testing.part_of_chart("DaemonSet", testing.plain_pod),
	"want": set(),
}

# ReplicaSet: restricted is clean
test_replicaset_clean if check(cases.replicaset_clean)

cases["replicaset_clean"] := {
	"input": testing.part_of_chart("ReplicaSet", testing.plain_pod),
	"want": set(),
}

# Job: restricted is clean
test_job_clean if check(cases.job_clean)

cases["job_clean"] := {
	"input": testing.part_of_chart("Job", testing.plain_pod),
	"want": set(),
}

# CronJob: restricted is clean
test_cronjob_clean if check(cases.cronjob_clean)

cases["cronjob_clean"] := {
	"input": testing.part_of_chart("CronJob", testing.plain_pod),
	"want": set(),
}

# hostIPC
test_host_ipc if check(cases.host_ipc)

cases["host_ipc"] := {
	"input": testing.part_of_chart("Pod", object.union(testing.plain_pod, {"hostIPC": true})),
	"want": {
		finding("spec.hostIPC", "spec.hostIPC is true: remove it (restricted Pod Security forbids sharing the host's namespaces)"),
	},
}

# only NET_BIND_SERVICE may be added
test_capability_add if check(cases.capability_add)

cases["capability_add"] := {
	"input": testing.part_of_chart("Pod", object.union(testing.plain_pod, {
		"containers": [
			object.union(testing.container("w"), {"securityContext": {"capabilities": {"add": ["NET_BIND_SERVICE", "NET_ADMIN"]}}}),
		],
	})),
	"want": {
		finding("spec.containers[0].securityContext.capabilities.add", "spec.containers[0].securityContext.capabilities.add adds NET_ADMIN: restricted Pod Security allows adding only NET_BIND_SERVICE"),
	},
}

# the container setting wins over the pod
test_container_overrides_run_as_non_root if check(cases.container_overrides_run_as_non_root)

cases["container_overrides_run_as_non_root"] := {
	"input": testing.part_of_chart("Pod", object.union(testing.plain_pod, {
		"containers": [object.union(testing.container("w"), {"securityContext": {"runAsNonRoot": false}})],
	})),
	"want": {
		finding("spec.containers[0].securityContext.runAsNonRoot", "spec.containers[0].securityContext.runAsNonRoot is not true and spec.securityContext.runAsNonRoot does not make it true: set runAsNonRoot: true on the pod or the container (restricted Pod Security)"),
	},
}

# no pod-level runAsNonRoot: every container must set it
test_run_as_non_root_per_container if check(cases.run_as_non_root_per_container)

cases["run_as_non_root_per_container"] := {
	"input": testing.part_of_chart("Pod", {
		"containers": [object.union(testing.container("w"), {"securityContext": {"runAsNonRoot": true}}), testing.container("side")],
		"securityContext": json.remove(testing.pod_security_context, [["runAsNonRoot"]]),
	}),
	"want": {
		finding("spec.containers[1].securityContext.runAsNonRoot", "spec.containers[1].securityContext.runAsNonRoot is not true and spec.securityContext.runAsNonRoot does not make it true: set runAsNonRoot: true on the pod or the container (restricted Pod Security)"),
	},
}

# runAsUser 0 on a container
test_container_run_as_user_root if check(cases.container_run_as_user_root)

cases["container_run_as_user_root"] := {
	"input": testing.part_of_chart("Pod", object.union(testing.plain_pod, {
		"containers": [object.union(testing.container("w"), {"securityContext": {"runAsUser": 0}})],
	})),
	"want": {
		finding("spec.containers[0].securityContext.runAsUser", "spec.containers[0].securityContext.runAsUser is 0 (root): use a non-zero uid such as 65532 (restricted Pod Security)"),
	},
}

# pod-level Unconfined is flagged even when the container overrides it
test_pod_seccomp_unconfined if check(cases.pod_seccomp_unconfined)

cases["pod_seccomp_unconfined"] := {
	"input": testing.part_of_chart("Pod", object.union(testing.plain_pod, {
		"containers": [object.union(testing.container("w"), {"securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}})],
		"securityContext": {"seccompProfile": {"type": "Unconfined"}},
	})),
	"want": {
		finding("spec.securityContext.seccompProfile.type", "spec.securityContext.seccompProfile.type is Unconfined: set seccompProfile.type: RuntimeDefault (or Localhost) (restricted Pod Security)"),
	},
}

# Localhost seccomp is allowed
test_seccomp_localhost_allowed if check(cases.seccomp_localhost_allowed)

cases["seccomp_localhost_allowed"] := {
	"input": testing.part_of_chart("Pod", object.union(testing.plain_pod, {
		"securityContext": {"seccompProfile": {"localhostProfile": "p.json", "type": "Localhost"}},
	})),
	"want": set(),
}

# ephemeral containers are checked
test_ephemeral_container if check(cases.ephemeral_container)

cases["ephemeral_container"] := {
	"input": testing.part_of_chart("Pod", object.union(testing.plain_pod, {"ephemeralContainers": [{"image": "x", "name": "dbg"}]})),
	"want": {
		finding("spec.ephemeralContainers[0].securityContext.allowPrivilegeEscalation", "spec.ephemeralContainers[0].securityContext.allowPrivilegeEscalation must be false (restricted Pod Security); it is missing"),
		finding("spec.ephemeralContainers[0].securityContext.capabilities.drop", "spec.ephemeralContainers[0].securityContext.capabilities.drop must include ALL (restricted Pod Security): add capabilities.drop: [ALL]"),
	},
}

# drop must include ALL
test_drop_without_all if check(cases.drop_without_all)

cases["drop_without_all"] := {
	"input": testing.part_of_chart("Pod", object.union(testing.plain_pod, {
		"containers": [object.union(testing.container("w"), {"securityContext": {"capabilities": {"drop": ["NET_RAW"]}}})],
	})),
	"want": {
		finding("spec.containers[0].securityContext.capabilities.drop", "spec.containers[0].securityContext.capabilities.drop must include ALL (restricted Pod Security): add capabilities.drop: [ALL]"),
	},
}

# the chart readOnly mode
test_chart_readonly_mode_clean if check(cases.chart_readonly_mode_clean)

cases["chart_readonly_mode_clean"] := {
	"input": testing.chart("Deployment", "aifactory", "readOnly", testing.pod),
	"want": set(),
}

# the chart ownedCopy mode
test_chart_ownedcopy_mode_clean if check(cases.chart_ownedcopy_mode_clean)

cases["chart_ownedcopy_mode_clean"] := {
	"input": testing.chart("Deployment", "aifactory", "ownedCopy", testing.owned_copy_pod),
	"want": set(),
}

# the chart writeBack mode
test_chart_writeback_mode_clean if check(cases.chart_writeback_mode_clean)

cases["chart_writeback_mode_clean"] := {
	"input": testing.chart("Deployment", "aifactory", "writeBack", testing.write_back_pod),
	"want": set(),
}

# values files are not workloads
test_values_file_ignored if check(cases.values_file_ignored)

cases["values_file_ignored"] := {
	"input": {"securityContext": {"runAsUser": 0}},
	"want": set(),
}

# ---- fixtures ----

finding(path, msg) := testing.finding("AIF004", path, msg)
