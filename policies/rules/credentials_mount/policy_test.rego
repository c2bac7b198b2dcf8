package rules.credentials_mount_test

import data.lib.testing
import data.rules.credentials_mount

# Every case below: credentials_mount.deny of its input is exactly its want (a set of findings).
check(c) if testing.same(credentials_mount.deny, c.want) with input as c.input

# Pod: the chart readOnly mount is allowed
test_pod_chart_mount_allowed if check(cases.pod_chart_mount_allowed)

cases["pod_chart_mount_allowed"] := {
	"input": testing.workload("Pod", testing.pod),
	"want": set(),
}

# Deployment: the chart readOnly mount is allowed
test_deployment_chart_mount_allowed if check(cases.deployment_chart_mount_allowed)

cases["deployment_chart_mount_allowed"] := {
	"input": testing.workload("Deployment", testing.pod),
	"want": set(),
}

# StatefulSet: the chart readOnly mount is allowed
test_statefulset_chart_mount_allowed if check(cases.statefulset_chart_mount_allowed)

cases["statefulset_chart_mount_allowed"] := {
	"input": testing.workload("StatefulSet", testing.pod),
	"want": set(),
}

# DaemonSet: the chart readOnly mount is allowed
test_daemonset_chart_mount_allowed if check(cases.daemonset_chart_mount_allowed)

cases["daemonset_chart_mount_allowed"] := {
	"input": testing.workload("DaemonSet", testing.pod),
	"want": set(),
}

# ReplicaSet: the chart readOnly mount is allowed
test_replicaset_chart_mount_allowed if check(cases.replicaset_chart_mount_allowed)

cases["replicaset_chart_mount_allowed"] := {
	"input": testing.workload("ReplicaSet", testing.pod),
	"want": set(),
}

# Job: the chart readOnly mount is allowed
test_job_chart_mount_allowed if check(cases.job_chart_mount_allowed)

cases["job_chart_mount_allowed"] := {
	"input": testing.workload("Job", testing.pod),
	"want": set(),
}

# CronJob: the chart readOnly mount is allowed
test_cronjob_chart_mount_allowed if check(cases.cronjob_chart_mount_allowed)

cases["cronjob_chart_mount_allowed"] := {
	"input": testing.workload("CronJob", testing.pod),
	"want": set(),
}

# Pod: defaultMode 420 (0644)
test_pod_mode_0644 if check(cases.pod_mode_0644)

cases["pod_mode_0644"] := {
	"input": testing.workload("Pod", testing.pod_with_mode(420)),
	"want": {
		finding("spec.volumes[1].secret.defaultMode", "spec.volumes[1].secret.defaultMode is 0644 (decimal 420) on the Claude credentials Secret volume: use 0400 (256) or 0440 (288): no write bit and no bits for others"),
	},
}

# Deployment: defaultMode 420 (0644)
test_deployment_mode_0644 if check(cases.deployment_mode_0644)

cases["deployment_mode_0644"] := {
	"input": testing.workload("Deployment", testing.pod_with_mode(420)),
	"want": {
		finding("spec.template.spec.volumes[1].secret.defaultMode", "spec.template.spec.volumes[1].secret.defaultMode is 0644 (decimal 420) on the Claude credentials Secret volume: use 0400 (256) or 0440 (288): no write bit and no bits for others"),
	},
}

# StatefulSet: defaultMode 420 (0644)
test_statefulset_mode_0644 if check(cases.statefulset_mode_0644)

cases["statefulset_mode_0644"] := {
	"input": testing.workload("StatefulSet", testing.pod_with_mode(420)),
	"want": {
		finding("spec.template.spec.volumes[1].secret.defaultMode", "spec.template.spec.volumes[1].secret.defaultMode is 0644 (decimal 420) on the Claude credentials Secret volume: use 0400 (256) or 0440 (288): no write bit and no bits for others"),
	},
}

# DaemonSet: defaultMode 420 (0644)
test_daemonset_mode_0644 if check(cases.daemonset_mode_0644)

cases["daemonset_mode_0644"] := {
	"input": testing.workload("DaemonSet", testing.pod_with_mode(420)),
	"want": {
		finding("spec.template.spec.volumes[1].secret.defaultMode", "spec.template.spec.volumes[1].secret.defaultMode is 0644 (decimal 420) on the Claude credentials Secret volume: use 0400 (256) or 0440 (288): no write bit and no bits for others"),
	},
}

# ReplicaSet: defaultMode 420 (0644)
test_replicaset_mode_0644 if check(cases.replicaset_mode_0644)

cases["replicaset_mode_0644"] := {
	"input": testing.workload("ReplicaSet", testing.pod_with_mode(420)),
	"want": {
		finding("spec.template.spec.volumes[1].secret.defaultMode", "spec.template.spec.volumes[1].secret.defaultMode is 0644 (decimal 420) on the Claude credentials Secret volume: use 0400 (256) or 0440 (288): no write bit and no bits for others"),
	},
}

# Job: defaultMode 420 (0644)
test_job_mode_0644 if check(cases.job_mode_0644)

cases["job_mode_0644"] := {
	"input": testing.workload("Job", testing.pod_with_mode(420)),
	"want": {
		finding("spec.template.spec.volumes[1].secret.defaultMode", "spec.template.spec.volumes[1].secret.defaultMode is 0644 (decimal 420) on the Claude credentials Secret volume: use 0400 (256) or 0440 (288): no write bit and no bits for others"),
	},
}

# CronJob: defaultMode 420 (0644)
test_cronjob_mode_0644 if check(cases.cronjob_mode_0644)

cases["cronjob_mode_0644"] := {
	"input": testing.workload("CronJob", testing.pod_with_mode(420)),
	"want": {
		finding("spec.jobTemplate.spec.template.spec.volumes[1].secret.defaultMode", "spec.jobTemplate.spec.template.spec.volumes[1].secret.defaultMode is 0644 (decimal 420) on the Claude credentials Secret volume: use 0400 (256) or 0440 (288): no write bit and no bits for others"),
	},
}

# readOnly: false
test_readonly_false if check(cases.readonly_false)

cases["readonly_false"] := {
	"input": testing.workload("Pod", object.union(testing.pod, {
		"containers": [
			object.union(testing.agent, {
				"volumeMounts": [testing.state_mount, object.union(testing.credentials_mount, {"readOnly": false})],
			}),
		],
	})),
	"want": {
		finding("spec.containers[0].volumeMounts[1].readOnly", "spec.containers[0].volumeMounts[1].readOnly is false on the Claude credentials mount /home/nonroot/.claude/.credentials.json: set readOnly: true"),
	},
}

# no defaultMode means 0644
test_default_mode_unset if check(cases.default_mode_unset)

cases["default_mode_unset"] := {
	"input": testing.workload("Pod", object.union(testing.pod, {
		"volumes": [testing.state_volume, json.remove(testing.credentials_volume, [["secret", "defaultMode"]])],
	})),
	"want": {
		finding("spec.volumes[1].secret.defaultMode", "spec.volumes[1].secret.defaultMode is 0644 (decimal 420, the default when unset) on the Claude credentials Secret volume: use 0400 (256) or 0440 (288): no write bit and no bits for others"),
	},
}

# items[].mode 0600 has a write bit
test_item_mode_0600 if check(cases.item_mode_0600)

cases["item_mode_0600"] := {
	"input": testing.workload("Pod", object.union(testing.pod, {
		"volumes": [
			testing.state_volume,
			object.union(testing.credentials_volume, {
				"secret": {"items": [{"key": "credentials.json", "mode": 384, "path": "credentials.json"}]},
			}),
		],
	})),
	"want": {
		finding("spec.volumes[1].secret.items[0].mode", "spec.volumes[1].secret.items[0].mode is 0600 (decimal 384) on the Claude credentials Secret volume: use 0400 (256) or 0440 (288): no write bit and no bits for others"),
	},
}

# 0440 (what fsGroup makes of 0400) is fine
test_mode_0440_allowed if check(cases.mode_0440_allowed)

cases["mode_0440_allowed"] := {
	"input": testing.workload("Pod", testing.pod_with_mode(288)),
	"want": set(),
}

# 0640 still has the owner write bit
test_mode_0640_owner_write if check(cases.mode_0640_owner_write)

cases["mode_0640_owner_write"] := {
	"input": testing.workload("Pod", testing.pod_with_mode(416)),
	"want": {
		finding("spec.volumes[1].secret.defaultMode", "spec.volumes[1].secret.defaultMode is 0640 (decimal 416) on the Claude credentials Secret volume: use 0400 (256) or 0440 (288): no write bit and no bits for others"),
	},
}

# defaultMode 0644 does not apply when every item has its own mode 0400
test_item_mode_overrides_default if check(cases.item_mode_overrides_default)

cases["item_mode_overrides_default"] := {
	"input": testing.workload("Pod", object.union(testing.pod, {
		"volumes": [
			testing.state_volume,
			object.union(testing.credentials_volume, {
				"secret": {"defaultMode": 420, "items": [{"key": "credentials.json", "mode": 256, "path": "credentials.json"}]},
			}),
		],
	})),
	"want": set(),
}

# a Secret mounted as the .claude directory
test_secret_as_claude_directory if check(cases.secret_as_claude_directory)

cases["secret_as_claude_directory"] := {
	"input": testing.workload("Pod", object.union(testing.pod, {
		"containers": [
			object.union(testing.agent, {
				"volumeMounts": [object.union(testing.state_mount, {"name": "claude-credentials", "readOnly": true})],
			}),
		],
	})),
	"want": {
		finding("spec.containers[0].volumeMounts[0].subPath", "spec.containers[0].volumeMounts[0] mounts the Claude credentials at /home/nonroot/.claude as a directory: mount only the file with subPath: credentials.json at <home>/.claude/.credentials.json"),
	},
}

# initContainers are checked
test_init_container_mount if check(cases.init_container_mount)

cases["init_container_mount"] := {
	"input": testing.workload("Pod", object.union(testing.pod, {
		"initContainers": [
			object.union(testing.container("init"), {
				"volumeMounts": [testing.state_mount, json.remove(testing.credentials_mount, [["readOnly"]])],
			}),
		],
	})),
	"want": {
		finding("spec.initContainers[0].volumeMounts[1].readOnly", "spec.initContainers[0].volumeMounts[1].readOnly is missing on the Claude credentials mount /home/nonroot/.claude/.credentials.json: set readOnly: true"),
	},
}

# projected Secret volume without defaultMode
test_projected_default_mode if check(cases.projected_default_mode)

cases["projected_default_mode"] := {
	"input": testing.workload("Pod", object.union(testing.pod, {
		"volumes": [
			testing.state_volume,
			{
				"name": "claude-credentials",
				"projected": {"sources": [{"secret": {"name": "claude-remote-credentials"}}]},
			},
		],
	})),
	"want": {
		finding("spec.volumes[1].projected.defaultMode", "spec.volumes[1].projected.defaultMode is 0644 (decimal 420, the default when unset) on the Claude credentials Secret volume: use 0400 (256) or 0440 (288): no write bit and no bits for others"),
	},
}

# a TLS Secret mounted 0644 elsewhere is not the credentials
test_tls_secret_elsewhere_allowed if check(cases.tls_secret_elsewhere_allowed)

cases["tls_secret_elsewhere_allowed"] := {
	"input": testing.workload("Pod", object.union(testing.pod, {
		"containers": [
			object.union(testing.agent, {
				"volumeMounts": [
					testing.state_mount,
					testing.credentials_mount,
					{"mountPath": "/etc/tls", "name": "tls", "readOnly": true},
				],
			}),
		],
		"volumes": [
			testing.state_volume,
			testing.credentials_volume,
			{"name": "tls", "secret": {"defaultMode": 420, "secretName": "tls"}},
		],
	})),
	"want": set(),
}

# an emptyDir at ~/.claude is not a Secret mount
test_writeback_emptydir_allowed if check(cases.writeback_emptydir_allowed)

cases["writeback_emptydir_allowed"] := {
	"input": testing.workload("Pod", testing.write_back_pod),
	"want": set(),
}

# ephemeral container with a correct mount
test_ephemeral_container_allowed if check(cases.ephemeral_container_allowed)

cases["ephemeral_container_allowed"] := {
	"input": testing.workload("Pod", object.union(testing.pod, {
		"ephemeralContainers": [
			{
				"image": "x",
				"name": "dbg",
				"volumeMounts": [object.union(testing.credentials_mount, {"mountPath": "/tmp/.claude/.credentials.json"})],
			},
		],
	})),
	"want": set(),
}

# other kinds are ignored
test_not_a_workload if check(cases.not_a_workload)

cases["not_a_workload"] := {
	"input": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}},
	"want": set(),
}

# ---- fixtures ----

finding(path, msg) := testing.finding("AIF002", path, msg)
