package rules.credentials_mount_test

import data.rules.credentials_mount

# Pod: the chart readOnly mount is allowed
test_pod_chart_mount_allowed if {
	results := credentials_mount.deny with input as {
		"apiVersion": "v1",
		"kind": "Pod",
		"metadata": {
			"name": "p",
			"namespace": "aifactory",
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
	}
	count(results) == 0
}

# Deployment: the chart readOnly mount is allowed
test_deployment_chart_mount_allowed if {
	results := credentials_mount.deny with input as {
		"apiVersion": "apps/v1",
		"kind": "Deployment",
		"metadata": {
			"name": "w",
			"namespace": "aifactory",
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
			"replicas": 1,
			"strategy": {
				"type": "Recreate",
			},
		},
	}
	count(results) == 0
}

# StatefulSet: the chart readOnly mount is allowed
test_statefulset_chart_mount_allowed if {
	results := credentials_mount.deny with input as {
		"apiVersion": "apps/v1",
		"kind": "StatefulSet",
		"metadata": {
			"name": "w",
			"namespace": "aifactory",
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
			"replicas": 1,
		},
	}
	count(results) == 0
}

# DaemonSet: the chart readOnly mount is allowed
test_daemonset_chart_mount_allowed if {
	results := credentials_mount.deny with input as {
		"apiVersion": "apps/v1",
		"kind": "DaemonSet",
		"metadata": {
			"name": "w",
			"namespace": "aifactory",
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

# ReplicaSet: the chart readOnly mount is allowed
test_replicaset_chart_mount_allowed if {
	results := credentials_mount.deny with input as {
		"apiVersion": "apps/v1",
		"kind": "ReplicaSet",
		"metadata": {
			"name": "w",
			"namespace": "aifactory",
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
			"replicas": 1,
		},
	}
	count(results) == 0
}

# Job: the chart readOnly mount is allowed
test_job_chart_mount_allowed if {
	results := credentials_mount.deny with input as {
		"apiVersion": "apps/v1",
		"kind": "Job",
		"metadata": {
			"name": "w",
			"namespace": "aifactory",
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

# CronJob: the chart readOnly mount is allowed
test_cronjob_chart_mount_allowed if {
	results := credentials_mount.deny with input as {
		"apiVersion": "batch/v1",
		"kind": "CronJob",
		"metadata": {
			"name": "c",
			"namespace": "aifactory",
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
			},
		},
	}
	count(results) == 0
}

# Pod: defaultMode 420 (0644)
test_pod_mode_0644 if {
	results := credentials_mount.deny with input as {
		"apiVersion": "v1",
		"kind": "Pod",
		"metadata": {
			"name": "p",
			"namespace": "aifactory",
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
						"defaultMode": 420,
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
	}
	count(results) == 1
	results == {
		{
			"msg": "spec.volumes[1].secret.defaultMode is 0644 (decimal 420) on the Claude credentials Secret volume: use 0400 (256) or 0440 (288): no write bit and no bits for others",
			"path": "spec.volumes[1].secret.defaultMode",
			"rule": "AIF002",
			"severity": "error",
		},
	}
}

# Deployment: defaultMode 420 (0644)
test_deployment_mode_0644 if {
	results := credentials_mount.deny with input as {
		"apiVersion": "apps/v1",
		"kind": "Deployment",
		"metadata": {
			"name": "w",
			"namespace": "aifactory",
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
								"defaultMode": 420,
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
			"replicas": 1,
			"strategy": {
				"type": "Recreate",
			},
		},
	}
	count(results) == 1
	results == {
		{
			"msg": "spec.template.spec.volumes[1].secret.defaultMode is 0644 (decimal 420) on the Claude credentials Secret volume: use 0400 (256) or 0440 (288): no write bit and no bits for others",
			"path": "spec.template.spec.volumes[1].secret.defaultMode",
			"rule": "AIF002",
			"severity": "error",
		},
	}
}

# StatefulSet: defaultMode 420 (0644)
test_statefulset_mode_0644 if {
	results := credentials_mount.deny with input as {
		"apiVersion": "apps/v1",
		"kind": "StatefulSet",
		"metadata": {
			"name": "w",
			"namespace": "aifactory",
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
								"defaultMode": 420,
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
			"replicas": 1,
		},
	}
	count(results) == 1
	results == {
		{
			"msg": "spec.template.spec.volumes[1].secret.defaultMode is 0644 (decimal 420) on the Claude credentials Secret volume: use 0400 (256) or 0440 (288): no write bit and no bits for others",
			"path": "spec.template.spec.volumes[1].secret.defaultMode",
			"rule": "AIF002",
			"severity": "error",
		},
	}
}

# DaemonSet: defaultMode 420 (0644)
test_daemonset_mode_0644 if {
	results := credentials_mount.deny with input as {
		"apiVersion": "apps/v1",
		"kind": "DaemonSet",
		"metadata": {
			"name": "w",
			"namespace": "aifactory",
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
								"defaultMode": 420,
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
	count(results) == 1
	results == {
		{
			"msg": "spec.template.spec.volumes[1].secret.defaultMode is 0644 (decimal 420) on the Claude credentials Secret volume: use 0400 (256) or 0440 (288): no write bit and no bits for others",
			"path": "spec.template.spec.volumes[1].secret.defaultMode",
			"rule": "AIF002",
			"severity": "error",
		},
	}
}

# ReplicaSet: defaultMode 420 (0644)
test_replicaset_mode_0644 if {
	results := credentials_mount.deny with input as {
		"apiVersion": "apps/v1",
		"kind": "ReplicaSet",
		"metadata": {
			"name": "w",
			"namespace": "aifactory",
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
								"defaultMode": 420,
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
			"replicas": 1,
		},
	}
	count(results) == 1
	results == {
		{
			"msg": "spec.template.spec.volumes[1].secret.defaultMode is 0644 (decimal 420) on the Claude credentials Secret volume: use 0400 (256) or 0440 (288): no write bit and no bits for others",
			"path": "spec.template.spec.volumes[1].secret.defaultMode",
			"rule": "AIF002",
			"severity": "error",
		},
	}
}

# Job: defaultMode 420 (0644)
test_job_mode_0644 if {
	results := credentials_mount.deny with input as {
		"apiVersion": "apps/v1",
		"kind": "Job",
		"metadata": {
			"name": "w",
			"namespace": "aifactory",
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
								"defaultMode": 420,
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
	count(results) == 1
	results == {
		{
			"msg": "spec.template.spec.volumes[1].secret.defaultMode is 0644 (decimal 420) on the Claude credentials Secret volume: use 0400 (256) or 0440 (288): no write bit and no bits for others",
			"path": "spec.template.spec.volumes[1].secret.defaultMode",
			"rule": "AIF002",
			"severity": "error",
		},
	}
}

# CronJob: defaultMode 420 (0644)
test_cronjob_mode_0644 if {
	results := credentials_mount.deny with input as {
		"apiVersion": "batch/v1",
		"kind": "CronJob",
		"metadata": {
			"name": "c",
			"namespace": "aifactory",
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
										"defaultMode": 420,
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
			},
		},
	}
	count(results) == 1
	results == {
		{
			"msg": "spec.jobTemplate.spec.template.spec.volumes[1].secret.defaultMode is 0644 (decimal 420) on the Claude credentials Secret volume: use 0400 (256) or 0440 (288): no write bit and no bits for others",
			"path": "spec.jobTemplate.spec.template.spec.volumes[1].secret.defaultMode",
			"rule": "AIF002",
			"severity": "error",
		},
	}
}

# readOnly: false
test_readonly_false if {
	results := credentials_mount.deny with input as {
		"apiVersion": "v1",
		"kind": "Pod",
		"metadata": {
			"name": "p",
			"namespace": "aifactory",
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
							"readOnly": false,
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
	}
	count(results) == 1
	results == {
		{
			"msg": "spec.containers[0].volumeMounts[1].readOnly is false on the Claude credentials mount /home/nonroot/.claude/.credentials.json: set readOnly: true",
			"path": "spec.containers[0].volumeMounts[1].readOnly",
			"rule": "AIF002",
			"severity": "error",
		},
	}
}

# no defaultMode means 0644
test_default_mode_unset if {
	results := credentials_mount.deny with input as {
		"apiVersion": "v1",
		"kind": "Pod",
		"metadata": {
			"name": "p",
			"namespace": "aifactory",
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
	}
	count(results) == 1
	results == {
		{
			"msg": "spec.volumes[1].secret.defaultMode is 0644 (decimal 420, the default when unset) on the Claude credentials Secret volume: use 0400 (256) or 0440 (288): no write bit and no bits for others",
			"path": "spec.volumes[1].secret.defaultMode",
			"rule": "AIF002",
			"severity": "error",
		},
	}
}

# items[].mode 0600 has a write bit
test_item_mode_0600 if {
	results := credentials_mount.deny with input as {
		"apiVersion": "v1",
		"kind": "Pod",
		"metadata": {
			"name": "p",
			"namespace": "aifactory",
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
								"mode": 384,
							},
						],
					},
				},
			],
		},
	}
	count(results) == 1
	results == {
		{
			"msg": "spec.volumes[1].secret.items[0].mode is 0600 (decimal 384) on the Claude credentials Secret volume: use 0400 (256) or 0440 (288): no write bit and no bits for others",
			"path": "spec.volumes[1].secret.items[0].mode",
			"rule": "AIF002",
			"severity": "error",
		},
	}
}

# 0440 (what fsGroup makes of 0400) is fine
test_mode_0440_allowed if {
	results := credentials_mount.deny with input as {
		"apiVersion": "v1",
		"kind": "Pod",
		"metadata": {
			"name": "p",
			"namespace": "aifactory",
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
						"defaultMode": 288,
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
	}
	count(results) == 0
}

# 0640 still has the owner write bit
test_mode_0640_owner_write if {
	results := credentials_mount.deny with input as {
		"apiVersion": "v1",
		"kind": "Pod",
		"metadata": {
			"name": "p",
			"namespace": "aifactory",
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
						"defaultMode": 416,
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
	}
	count(results) == 1
	results == {
		{
			"msg": "spec.volumes[1].secret.defaultMode is 0640 (decimal 416) on the Claude credentials Secret volume: use 0400 (256) or 0440 (288): no write bit and no bits for others",
			"path": "spec.volumes[1].secret.defaultMode",
			"rule": "AIF002",
			"severity": "error",
		},
	}
}

# defaultMode 0644 does not apply when every item has its own mode 0400
test_item_mode_overrides_default if {
	results := credentials_mount.deny with input as {
		"apiVersion": "v1",
		"kind": "Pod",
		"metadata": {
			"name": "p",
			"namespace": "aifactory",
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
						"defaultMode": 420,
						"items": [
							{
								"key": "credentials.json",
								"path": "credentials.json",
								"mode": 256,
							},
						],
					},
				},
			],
		},
	}
	count(results) == 0
}

# a Secret mounted as the .claude directory
test_secret_as_claude_directory if {
	results := credentials_mount.deny with input as {
		"apiVersion": "v1",
		"kind": "Pod",
		"metadata": {
			"name": "p",
			"namespace": "aifactory",
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
							"name": "claude-credentials",
							"mountPath": "/home/nonroot/.claude",
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
	}
	count(results) == 1
	results == {
		{
			"msg": "spec.containers[0].volumeMounts[0] mounts the Claude credentials at /home/nonroot/.claude as a directory: mount only the file with subPath: credentials.json at <home>/.claude/.credentials.json",
			"path": "spec.containers[0].volumeMounts[0].subPath",
			"rule": "AIF002",
			"severity": "error",
		},
	}
}

# initContainers are checked
test_init_container_mount if {
	results := credentials_mount.deny with input as {
		"apiVersion": "v1",
		"kind": "Pod",
		"metadata": {
			"name": "p",
			"namespace": "aifactory",
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
			"initContainers": [
				{
					"name": "init",
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
						},
					],
				},
			],
		},
	}
	count(results) == 1
	results == {
		{
			"msg": "spec.initContainers[0].volumeMounts[1].readOnly is missing on the Claude credentials mount /home/nonroot/.claude/.credentials.json: set readOnly: true",
			"path": "spec.initContainers[0].volumeMounts[1].readOnly",
			"rule": "AIF002",
			"severity": "error",
		},
	}
}

# projected Secret volume without defaultMode
test_projected_default_mode if {
	results := credentials_mount.deny with input as {
		"apiVersion": "v1",
		"kind": "Pod",
		"metadata": {
			"name": "p",
			"namespace": "aifactory",
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
					"projected": {
						"sources": [
							{
								"secret": {
									"name": "claude-remote-credentials",
								},
							},
						],
					},
				},
			],
		},
	}
	count(results) == 1
	results == {
		{
			"msg": "spec.volumes[1].projected.defaultMode is 0644 (decimal 420, the default when unset) on the Claude credentials Secret volume: use 0400 (256) or 0440 (288): no write bit and no bits for others",
			"path": "spec.volumes[1].projected.defaultMode",
			"rule": "AIF002",
			"severity": "error",
		},
	}
}

# a TLS Secret mounted 0644 elsewhere is not the credentials
test_tls_secret_elsewhere_allowed if {
	results := credentials_mount.deny with input as {
		"apiVersion": "v1",
		"kind": "Pod",
		"metadata": {
			"name": "p",
			"namespace": "aifactory",
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
						{
							"name": "tls",
							"mountPath": "/etc/tls",
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
				{
					"name": "tls",
					"secret": {
						"secretName": "tls",
						"defaultMode": 420,
					},
				},
			],
		},
	}
	count(results) == 0
}

# an emptyDir at ~/.claude is not a Secret mount
test_writeback_emptydir_allowed if {
	results := credentials_mount.deny with input as {
		"apiVersion": "v1",
		"kind": "Pod",
		"metadata": {
			"name": "p",
			"namespace": "aifactory",
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
	}
	count(results) == 0
}

# ephemeral container with a correct mount
test_ephemeral_container_allowed if {
	results := credentials_mount.deny with input as {
		"apiVersion": "v1",
		"kind": "Pod",
		"metadata": {
			"name": "p",
			"namespace": "aifactory",
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
			"ephemeralContainers": [
				{
					"name": "dbg",
					"image": "x",
					"volumeMounts": [
						{
							"name": "claude-credentials",
							"mountPath": "/tmp/.claude/.credentials.json",
							"subPath": "credentials.json",
							"readOnly": true,
						},
					],
				},
			],
		},
	}
	count(results) == 0
}

# other kinds are ignored
test_not_a_workload if {
	results := credentials_mount.deny with input as {
		"apiVersion": "v1",
		"kind": "ConfigMap",
		"metadata": {
			"name": "x",
		},
	}
	count(results) == 0
}
