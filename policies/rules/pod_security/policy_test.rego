package rules.pod_security_test

import data.rules.pod_security

# Pod: restricted is clean
test_pod_clean if {
	results := pod_security.deny with input as {
		"apiVersion": "v1",
		"kind": "Pod",
		"metadata": {
			"name": "p",
			"namespace": "aifactory",
			"labels": {"app.kubernetes.io/part-of": "aifactory"},
		},
		"spec": {
			"securityContext": {
				"runAsNonRoot": true,
				"runAsUser": 65532,
				"runAsGroup": 65532,
				"fsGroup": 65532,
				"seccompProfile": {
					"type": "RuntimeDefault",
				},
			},
			"containers": [
				{
					"name": "w",
					"image": "ghcr.io/example/aifactory:1.0.0",
					"securityContext": {
						"allowPrivilegeEscalation": false,
						"readOnlyRootFilesystem": true,
						"capabilities": {
							"drop": [
								"ALL",
							],
						},
					},
				},
			],
		},
	}
	count(results) == 0
}

# Deployment: restricted is clean
test_deployment_clean if {
	results := pod_security.deny with input as {
		"apiVersion": "apps/v1",
		"kind": "Deployment",
		"metadata": {
			"name": "w",
			"namespace": "aifactory",
			"labels": {"app.kubernetes.io/part-of": "aifactory"},
		},
		"spec": {
			"template": {
				"metadata": {},
				"spec": {
					"securityContext": {
						"runAsNonRoot": true,
						"runAsUser": 65532,
						"runAsGroup": 65532,
						"fsGroup": 65532,
						"seccompProfile": {
							"type": "RuntimeDefault",
						},
					},
					"containers": [
						{
							"name": "w",
							"image": "ghcr.io/example/aifactory:1.0.0",
							"securityContext": {
								"allowPrivilegeEscalation": false,
								"readOnlyRootFilesystem": true,
								"capabilities": {
									"drop": [
										"ALL",
									],
								},
							},
						},
					],
				},
			},
			"replicas": 1,
			"strategy": {
				"type": "Recreate",
			},
		},
	}
	count(results) == 0
}

# StatefulSet: restricted is clean
test_statefulset_clean if {
	results := pod_security.deny with input as {
		"apiVersion": "apps/v1",
		"kind": "StatefulSet",
		"metadata": {
			"name": "w",
			"namespace": "aifactory",
			"labels": {"app.kubernetes.io/part-of": "aifactory"},
		},
		"spec": {
			"template": {
				"metadata": {},
				"spec": {
					"securityContext": {
						"runAsNonRoot": true,
						"runAsUser": 65532,
						"runAsGroup": 65532,
						"fsGroup": 65532,
						"seccompProfile": {
							"type": "RuntimeDefault",
						},
					},
					"containers": [
						{
							"name": "w",
							"image": "ghcr.io/example/aifactory:1.0.0",
							"securityContext": {
								"allowPrivilegeEscalation": false,
								"readOnlyRootFilesystem": true,
								"capabilities": {
									"drop": [
										"ALL",
									],
								},
							},
						},
					],
				},
			},
			"replicas": 1,
		},
	}
	count(results) == 0
}

# DaemonSet: restricted is clean
test_daemonset_clean if {
	results := pod_security.deny with input as {
		"apiVersion": "apps/v1",
		"kind": "DaemonSet",
		"metadata": {
			"name": "w",
			"namespace": "aifactory",
			"labels": {"app.kubernetes.io/part-of": "aifactory"},
		},
		"spec": {
			"template": {
				"metadata": {},
				"spec": {
					"securityContext": {
						"runAsNonRoot": true,
						"runAsUser": 65532,
						"runAsGroup": 65532,
						"fsGroup": 65532,
						"seccompProfile": {
							"type": "RuntimeDefault",
						},
					},
					"containers": [
						{
							"name": "w",
							"image": "ghcr.io/example/aifactory:1.0.0",
							"securityContext": {
								"allowPrivilegeEscalation": false,
								"readOnlyRootFilesystem": true,
								"capabilities": {
									"drop": [
										"ALL",
									],
								},
							},
						},
					],
				},
			},
		},
	}
	count(results) == 0
}

# ReplicaSet: restricted is clean
test_replicaset_clean if {
	results := pod_security.deny with input as {
		"apiVersion": "apps/v1",
		"kind": "ReplicaSet",
		"metadata": {
			"name": "w",
			"namespace": "aifactory",
			"labels": {"app.kubernetes.io/part-of": "aifactory"},
		},
		"spec": {
			"template": {
				"metadata": {},
				"spec": {
					"securityContext": {
						"runAsNonRoot": true,
						"runAsUser": 65532,
						"runAsGroup": 65532,
						"fsGroup": 65532,
						"seccompProfile": {
							"type": "RuntimeDefault",
						},
					},
					"containers": [
						{
							"name": "w",
							"image": "ghcr.io/example/aifactory:1.0.0",
							"securityContext": {
								"allowPrivilegeEscalation": false,
								"readOnlyRootFilesystem": true,
								"capabilities": {
									"drop": [
										"ALL",
									],
								},
							},
						},
					],
				},
			},
			"replicas": 1,
		},
	}
	count(results) == 0
}

# Job: restricted is clean
test_job_clean if {
	results := pod_security.deny with input as {
		"apiVersion": "apps/v1",
		"kind": "Job",
		"metadata": {
			"name": "w",
			"namespace": "aifactory",
			"labels": {"app.kubernetes.io/part-of": "aifactory"},
		},
		"spec": {
			"template": {
				"metadata": {},
				"spec": {
					"securityContext": {
						"runAsNonRoot": true,
						"runAsUser": 65532,
						"runAsGroup": 65532,
						"fsGroup": 65532,
						"seccompProfile": {
							"type": "RuntimeDefault",
						},
					},
					"containers": [
						{
							"name": "w",
							"image": "ghcr.io/example/aifactory:1.0.0",
							"securityContext": {
								"allowPrivilegeEscalation": false,
								"readOnlyRootFilesystem": true,
								"capabilities": {
									"drop": [
										"ALL",
									],
								},
							},
						},
					],
				},
			},
		},
	}
	count(results) == 0
}

# CronJob: restricted is clean
test_cronjob_clean if {
	results := pod_security.deny with input as {
		"apiVersion": "batch/v1",
		"kind": "CronJob",
		"metadata": {
			"name": "c",
			"namespace": "aifactory",
			"labels": {"app.kubernetes.io/part-of": "aifactory"},
		},
		"spec": {
			"schedule": "@daily",
			"jobTemplate": {
				"spec": {
					"template": {
						"metadata": {},
						"spec": {
							"securityContext": {
								"runAsNonRoot": true,
								"runAsUser": 65532,
								"runAsGroup": 65532,
								"fsGroup": 65532,
								"seccompProfile": {
									"type": "RuntimeDefault",
								},
							},
							"containers": [
								{
									"name": "w",
									"image": "ghcr.io/example/aifactory:1.0.0",
									"securityContext": {
										"allowPrivilegeEscalation": false,
										"readOnlyRootFilesystem": true,
										"capabilities": {
											"drop": [
												"ALL",
											],
										},
									},
								},
							],
						},
					},
				},
			},
		},
	}
	count(results) == 0
}

# hostIPC
test_host_ipc if {
	results := pod_security.deny with input as {
		"apiVersion": "v1",
		"kind": "Pod",
		"metadata": {
			"name": "p",
			"namespace": "aifactory",
			"labels": {"app.kubernetes.io/part-of": "aifactory"},
		},
		"spec": {
			"securityContext": {
				"runAsNonRoot": true,
				"runAsUser": 65532,
				"runAsGroup": 65532,
				"fsGroup": 65532,
				"seccompProfile": {
					"type": "RuntimeDefault",
				},
			},
			"containers": [
				{
					"name": "w",
					"image": "ghcr.io/example/aifactory:1.0.0",
					"securityContext": {
						"allowPrivilegeEscalation": false,
						"readOnlyRootFilesystem": true,
						"capabilities": {
							"drop": [
								"ALL",
							],
						},
					},
				},
			],
			"hostIPC": true,
		},
	}
	count(results) == 1
	results == {
		{
			"msg": "spec.hostIPC is true: remove it (restricted Pod Security forbids sharing the host's namespaces)",
			"path": "spec.hostIPC",
			"rule": "AIF004",
			"severity": "error",
		},
	}
}

# only NET_BIND_SERVICE may be added
test_capability_add if {
	results := pod_security.deny with input as {
		"apiVersion": "v1",
		"kind": "Pod",
		"metadata": {
			"name": "p",
			"namespace": "aifactory",
			"labels": {"app.kubernetes.io/part-of": "aifactory"},
		},
		"spec": {
			"securityContext": {
				"runAsNonRoot": true,
				"runAsUser": 65532,
				"runAsGroup": 65532,
				"fsGroup": 65532,
				"seccompProfile": {
					"type": "RuntimeDefault",
				},
			},
			"containers": [
				{
					"name": "w",
					"image": "ghcr.io/example/aifactory:1.0.0",
					"securityContext": {
						"allowPrivilegeEscalation": false,
						"readOnlyRootFilesystem": true,
						"capabilities": {
							"drop": [
								"ALL",
							],
							"add": [
								"NET_BIND_SERVICE",
								"NET_ADMIN",
							],
						},
					},
				},
			],
		},
	}
	count(results) == 1
	results == {
		{
			"msg": "spec.containers[0].securityContext.capabilities.add adds NET_ADMIN: restricted Pod Security allows adding only NET_BIND_SERVICE",
			"path": "spec.containers[0].securityContext.capabilities.add",
			"rule": "AIF004",
			"severity": "error",
		},
	}
}

# the container setting wins over the pod
test_container_overrides_run_as_non_root if {
	results := pod_security.deny with input as {
		"apiVersion": "v1",
		"kind": "Pod",
		"metadata": {
			"name": "p",
			"namespace": "aifactory",
			"labels": {"app.kubernetes.io/part-of": "aifactory"},
		},
		"spec": {
			"securityContext": {
				"runAsNonRoot": true,
				"runAsUser": 65532,
				"runAsGroup": 65532,
				"fsGroup": 65532,
				"seccompProfile": {
					"type": "RuntimeDefault",
				},
			},
			"containers": [
				{
					"name": "w",
					"image": "ghcr.io/example/aifactory:1.0.0",
					"securityContext": {
						"allowPrivilegeEscalation": false,
						"readOnlyRootFilesystem": true,
						"capabilities": {
							"drop": [
								"ALL",
							],
						},
						"runAsNonRoot": false,
					},
				},
			],
		},
	}
	count(results) == 1
	results == {
		{
			"msg": "spec.containers[0].securityContext.runAsNonRoot is not true and spec.securityContext.runAsNonRoot does not make it true: set runAsNonRoot: true on the pod or the container (restricted Pod Security)",
			"path": "spec.containers[0].securityContext.runAsNonRoot",
			"rule": "AIF004",
			"severity": "error",
		},
	}
}

# no pod-level runAsNonRoot: every container must set it
test_run_as_non_root_per_container if {
	results := pod_security.deny with input as {
		"apiVersion": "v1",
		"kind": "Pod",
		"metadata": {
			"name": "p",
			"namespace": "aifactory",
			"labels": {"app.kubernetes.io/part-of": "aifactory"},
		},
		"spec": {
			"securityContext": {
				"runAsUser": 65532,
				"runAsGroup": 65532,
				"fsGroup": 65532,
				"seccompProfile": {
					"type": "RuntimeDefault",
				},
			},
			"containers": [
				{
					"name": "w",
					"image": "ghcr.io/example/aifactory:1.0.0",
					"securityContext": {
						"allowPrivilegeEscalation": false,
						"readOnlyRootFilesystem": true,
						"capabilities": {
							"drop": [
								"ALL",
							],
						},
						"runAsNonRoot": true,
					},
				},
				{
					"name": "side",
					"image": "ghcr.io/example/aifactory:1.0.0",
					"securityContext": {
						"allowPrivilegeEscalation": false,
						"readOnlyRootFilesystem": true,
						"capabilities": {
							"drop": [
								"ALL",
							],
						},
					},
				},
			],
		},
	}
	count(results) == 1
	results == {
		{
			"msg": "spec.containers[1].securityContext.runAsNonRoot is not true and spec.securityContext.runAsNonRoot does not make it true: set runAsNonRoot: true on the pod or the container (restricted Pod Security)",
			"path": "spec.containers[1].securityContext.runAsNonRoot",
			"rule": "AIF004",
			"severity": "error",
		},
	}
}

# runAsUser 0 on a container
test_container_run_as_user_root if {
	results := pod_security.deny with input as {
		"apiVersion": "v1",
		"kind": "Pod",
		"metadata": {
			"name": "p",
			"namespace": "aifactory",
			"labels": {"app.kubernetes.io/part-of": "aifactory"},
		},
		"spec": {
			"securityContext": {
				"runAsNonRoot": true,
				"runAsUser": 65532,
				"runAsGroup": 65532,
				"fsGroup": 65532,
				"seccompProfile": {
					"type": "RuntimeDefault",
				},
			},
			"containers": [
				{
					"name": "w",
					"image": "ghcr.io/example/aifactory:1.0.0",
					"securityContext": {
						"allowPrivilegeEscalation": false,
						"readOnlyRootFilesystem": true,
						"capabilities": {
							"drop": [
								"ALL",
							],
						},
						"runAsUser": 0,
					},
				},
			],
		},
	}
	count(results) == 1
	results == {
		{
			"msg": "spec.containers[0].securityContext.runAsUser is 0 (root): use a non-zero uid such as 65532 (restricted Pod Security)",
			"path": "spec.containers[0].securityContext.runAsUser",
			"rule": "AIF004",
			"severity": "error",
		},
	}
}

# pod-level Unconfined is flagged even when the container overrides it
test_pod_seccomp_unconfined if {
	results := pod_security.deny with input as {
		"apiVersion": "v1",
		"kind": "Pod",
		"metadata": {
			"name": "p",
			"namespace": "aifactory",
			"labels": {"app.kubernetes.io/part-of": "aifactory"},
		},
		"spec": {
			"securityContext": {
				"runAsNonRoot": true,
				"runAsUser": 65532,
				"runAsGroup": 65532,
				"fsGroup": 65532,
				"seccompProfile": {
					"type": "Unconfined",
				},
			},
			"containers": [
				{
					"name": "w",
					"image": "ghcr.io/example/aifactory:1.0.0",
					"securityContext": {
						"allowPrivilegeEscalation": false,
						"readOnlyRootFilesystem": true,
						"capabilities": {
							"drop": [
								"ALL",
							],
						},
						"seccompProfile": {
							"type": "RuntimeDefault",
						},
					},
				},
			],
		},
	}
	count(results) == 1
	results == {
		{
			"msg": "spec.securityContext.seccompProfile.type is Unconfined: set seccompProfile.type: RuntimeDefault (or Localhost) (restricted Pod Security)",
			"path": "spec.securityContext.seccompProfile.type",
			"rule": "AIF004",
			"severity": "error",
		},
	}
}

# Localhost seccomp is allowed
test_seccomp_localhost_allowed if {
	results := pod_security.deny with input as {
		"apiVersion": "v1",
		"kind": "Pod",
		"metadata": {
			"name": "p",
			"namespace": "aifactory",
			"labels": {"app.kubernetes.io/part-of": "aifactory"},
		},
		"spec": {
			"securityContext": {
				"runAsNonRoot": true,
				"runAsUser": 65532,
				"runAsGroup": 65532,
				"fsGroup": 65532,
				"seccompProfile": {
					"type": "Localhost",
					"localhostProfile": "p.json",
				},
			},
			"containers": [
				{
					"name": "w",
					"image": "ghcr.io/example/aifactory:1.0.0",
					"securityContext": {
						"allowPrivilegeEscalation": false,
						"readOnlyRootFilesystem": true,
						"capabilities": {
							"drop": [
								"ALL",
							],
						},
					},
				},
			],
		},
	}
	count(results) == 0
}

# ephemeral containers are checked
test_ephemeral_container if {
	results := pod_security.deny with input as {
		"apiVersion": "v1",
		"kind": "Pod",
		"metadata": {
			"name": "p",
			"namespace": "aifactory",
			"labels": {"app.kubernetes.io/part-of": "aifactory"},
		},
		"spec": {
			"securityContext": {
				"runAsNonRoot": true,
				"runAsUser": 65532,
				"runAsGroup": 65532,
				"fsGroup": 65532,
				"seccompProfile": {
					"type": "RuntimeDefault",
				},
			},
			"containers": [
				{
					"name": "w",
					"image": "ghcr.io/example/aifactory:1.0.0",
					"securityContext": {
						"allowPrivilegeEscalation": false,
						"readOnlyRootFilesystem": true,
						"capabilities": {
							"drop": [
								"ALL",
							],
						},
					},
				},
			],
			"ephemeralContainers": [
				{
					"name": "dbg",
					"image": "x",
				},
			],
		},
	}
	count(results) == 2
	results == {
		{
			"msg": "spec.ephemeralContainers[0].securityContext.allowPrivilegeEscalation must be false (restricted Pod Security); it is missing",
			"path": "spec.ephemeralContainers[0].securityContext.allowPrivilegeEscalation",
			"rule": "AIF004",
			"severity": "error",
		},
		{
			"msg": "spec.ephemeralContainers[0].securityContext.capabilities.drop must include ALL (restricted Pod Security): add capabilities.drop: [ALL]",
			"path": "spec.ephemeralContainers[0].securityContext.capabilities.drop",
			"rule": "AIF004",
			"severity": "error",
		},
	}
}

# drop must include ALL
test_drop_without_all if {
	results := pod_security.deny with input as {
		"apiVersion": "v1",
		"kind": "Pod",
		"metadata": {
			"name": "p",
			"namespace": "aifactory",
			"labels": {"app.kubernetes.io/part-of": "aifactory"},
		},
		"spec": {
			"securityContext": {
				"runAsNonRoot": true,
				"runAsUser": 65532,
				"runAsGroup": 65532,
				"fsGroup": 65532,
				"seccompProfile": {
					"type": "RuntimeDefault",
				},
			},
			"containers": [
				{
					"name": "w",
					"image": "ghcr.io/example/aifactory:1.0.0",
					"securityContext": {
						"allowPrivilegeEscalation": false,
						"readOnlyRootFilesystem": true,
						"capabilities": {
							"drop": [
								"NET_RAW",
							],
						},
					},
				},
			],
		},
	}
	count(results) == 1
	results == {
		{
			"msg": "spec.containers[0].securityContext.capabilities.drop must include ALL (restricted Pod Security): add capabilities.drop: [ALL]",
			"path": "spec.containers[0].securityContext.capabilities.drop",
			"rule": "AIF004",
			"severity": "error",
		},
	}
}

# the chart readOnly mode
test_chart_readonly_mode_clean if {
	results := pod_security.deny with input as {
		"apiVersion": "apps/v1",
		"kind": "Deployment",
		"metadata": {
			"name": "aifactory",
			"namespace": "aifactory",
			"labels": {
				"app.kubernetes.io/instance": "aifactory",
			},
		},
		"spec": {
			"replicas": 1,
			"strategy": {
				"type": "Recreate",
			},
			"selector": {
				"matchLabels": {
					"app.kubernetes.io/name": "aifactory",
					"app.kubernetes.io/instance": "aifactory",
				},
			},
			"template": {
				"metadata": {
					"labels": {
						"app.kubernetes.io/name": "aifactory",
						"app.kubernetes.io/instance": "aifactory",
					},
					"annotations": {
						"aifactory.dev/remote-control": "enabled",
						"aifactory.dev/credentials-secret": "claude-remote-credentials",
						"aifactory.dev/credentials-mode": "readOnly",
					},
				},
				"spec": {
					"securityContext": {
						"runAsNonRoot": true,
						"runAsUser": 65532,
						"runAsGroup": 65532,
						"fsGroup": 65532,
						"seccompProfile": {
							"type": "RuntimeDefault",
						},
					},
					"containers": [
						{
							"name": "aifactory",
							"image": "ghcr.io/example/aifactory:1.0.0",
							"securityContext": {
								"allowPrivilegeEscalation": false,
								"readOnlyRootFilesystem": true,
								"capabilities": {
									"drop": [
										"ALL",
									],
								},
							},
							"volumeMounts": [
								{
									"name": "claude-state",
									"mountPath": "/home/nonroot/.claude",
								},
								{
									"name": "claude-credentials",
									"mountPath": "/home/nonroot/.claude/.credentials.json",
									"subPath": "credentials.json",
									"readOnly": true,
								},
							],
						},
					],
					"volumes": [
						{
							"name": "claude-state",
							"emptyDir": {},
						},
						{
							"name": "claude-credentials",
							"secret": {
								"secretName": "claude-remote-credentials",
								"defaultMode": 256,
								"items": [
									{
										"key": "credentials.json",
										"path": "credentials.json",
									},
								],
							},
						},
					],
				},
			},
		},
	}
	count(results) == 0
}

# the chart ownedCopy mode
test_chart_ownedcopy_mode_clean if {
	results := pod_security.deny with input as {
		"apiVersion": "apps/v1",
		"kind": "Deployment",
		"metadata": {
			"name": "aifactory",
			"namespace": "aifactory",
			"labels": {
				"app.kubernetes.io/instance": "aifactory",
			},
		},
		"spec": {
			"replicas": 1,
			"strategy": {
				"type": "Recreate",
			},
			"selector": {
				"matchLabels": {
					"app.kubernetes.io/name": "aifactory",
					"app.kubernetes.io/instance": "aifactory",
				},
			},
			"template": {
				"metadata": {
					"labels": {
						"app.kubernetes.io/name": "aifactory",
						"app.kubernetes.io/instance": "aifactory",
					},
					"annotations": {
						"aifactory.dev/remote-control": "enabled",
						"aifactory.dev/credentials-secret": "claude-remote-credentials",
						"aifactory.dev/credentials-mode": "ownedCopy",
					},
				},
				"spec": {
					"securityContext": {
						"runAsNonRoot": true,
						"runAsUser": 65532,
						"runAsGroup": 65532,
						"fsGroup": 65532,
						"seccompProfile": {
							"type": "RuntimeDefault",
						},
					},
					"initContainers": [
						{
							"name": "copy-credentials",
							"image": "ghcr.io/example/aifactory:1.0.0",
							"securityContext": {
								"allowPrivilegeEscalation": false,
								"readOnlyRootFilesystem": true,
								"capabilities": {
									"drop": [
										"ALL",
									],
								},
							},
							"volumeMounts": [
								{
									"name": "credentials-secret",
									"mountPath": "/run/aifactory/credentials-secret",
									"readOnly": true,
								},
								{
									"name": "claude-owned",
									"mountPath": "/run/aifactory/owned",
								},
							],
							"command": [
								"sh",
								"-c",
								"cp /run/aifactory/credentials-secret/credentials.json /run/aifactory/owned/credentials.json && chmod 0400 /run/aifactory/owned/credentials.json",
							],
						},
					],
					"containers": [
						{
							"name": "aifactory",
							"image": "ghcr.io/example/aifactory:1.0.0",
							"securityContext": {
								"allowPrivilegeEscalation": false,
								"readOnlyRootFilesystem": true,
								"capabilities": {
									"drop": [
										"ALL",
									],
								},
							},
							"volumeMounts": [
								{
									"name": "claude-state",
									"mountPath": "/home/nonroot/.claude",
								},
								{
									"name": "claude-owned",
									"mountPath": "/home/nonroot/.claude/.credentials.json",
									"subPath": "credentials.json",
									"readOnly": true,
								},
							],
						},
					],
					"volumes": [
						{
							"name": "claude-state",
							"emptyDir": {},
						},
						{
							"name": "claude-owned",
							"emptyDir": {
								"medium": "Memory",
							},
						},
						{
							"name": "credentials-secret",
							"secret": {
								"secretName": "claude-remote-credentials",
								"defaultMode": 288,
							},
						},
					],
				},
			},
		},
	}
	count(results) == 0
}

# the chart writeBack mode
test_chart_writeback_mode_clean if {
	results := pod_security.deny with input as {
		"apiVersion": "apps/v1",
		"kind": "Deployment",
		"metadata": {
			"name": "aifactory",
			"namespace": "aifactory",
			"labels": {
				"app.kubernetes.io/instance": "aifactory",
			},
		},
		"spec": {
			"replicas": 1,
			"strategy": {
				"type": "Recreate",
			},
			"selector": {
				"matchLabels": {
					"app.kubernetes.io/name": "aifactory",
					"app.kubernetes.io/instance": "aifactory",
				},
			},
			"template": {
				"metadata": {
					"labels": {
						"app.kubernetes.io/name": "aifactory",
						"app.kubernetes.io/instance": "aifactory",
					},
					"annotations": {
						"aifactory.dev/remote-control": "enabled",
						"aifactory.dev/credentials-secret": "claude-remote-credentials",
						"aifactory.dev/credentials-mode": "writeBack",
					},
				},
				"spec": {
					"securityContext": {
						"runAsNonRoot": true,
						"runAsUser": 65532,
						"runAsGroup": 65532,
						"fsGroup": 65532,
						"seccompProfile": {
							"type": "RuntimeDefault",
						},
					},
					"initContainers": [
						{
							"name": "copy-credentials",
							"image": "ghcr.io/example/aifactory:1.0.0",
							"securityContext": {
								"allowPrivilegeEscalation": false,
								"readOnlyRootFilesystem": true,
								"capabilities": {
									"drop": [
										"ALL",
									],
								},
							},
							"volumeMounts": [
								{
									"name": "credentials-secret",
									"mountPath": "/run/aifactory/credentials-secret",
									"readOnly": true,
								},
								{
									"name": "claude-owned",
									"mountPath": "/home/nonroot/.claude",
								},
							],
							"command": [
								"sh",
								"-c",
								"cp /run/aifactory/credentials-secret/credentials.json /home/nonroot/.claude/.credentials.json && chmod 0600 /home/nonroot/.claude/.credentials.json",
							],
						},
					],
					"containers": [
						{
							"name": "aifactory",
							"image": "ghcr.io/example/aifactory:1.0.0",
							"securityContext": {
								"allowPrivilegeEscalation": false,
								"readOnlyRootFilesystem": true,
								"capabilities": {
									"drop": [
										"ALL",
									],
								},
							},
							"volumeMounts": [
								{
									"name": "claude-owned",
									"mountPath": "/home/nonroot/.claude",
								},
							],
						},
						{
							"name": "credentials-writeback",
							"image": "ghcr.io/example/aifactory:1.0.0",
							"securityContext": {
								"allowPrivilegeEscalation": false,
								"readOnlyRootFilesystem": true,
								"capabilities": {
									"drop": [
										"ALL",
									],
								},
							},
							"volumeMounts": [
								{
									"name": "claude-owned",
									"mountPath": "/home/nonroot/.claude",
									"readOnly": true,
								},
							],
						},
					],
					"volumes": [
						{
							"name": "claude-owned",
							"emptyDir": {
								"medium": "Memory",
							},
						},
						{
							"name": "credentials-secret",
							"secret": {
								"secretName": "claude-remote-credentials",
								"defaultMode": 288,
							},
						},
					],
				},
			},
		},
	}
	count(results) == 0
}

# values files are not workloads
test_values_file_ignored if {
	results := pod_security.deny with input as {
		"securityContext": {
			"runAsUser": 0,
		},
	}
	count(results) == 0
}
