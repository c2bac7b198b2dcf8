package rules.single_holder_test

import data.rules.single_holder

# replicas 3, explicit RollingUpdate
test_replicas_and_rolling_update if {
	results := single_holder.deny with input as {
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
			"replicas": 3,
			"strategy": {
				"type": "RollingUpdate",
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
	count(results) == 2
	results == {
		{
			"msg": "spec.replicas is 3 on Deployment aifactory/aifactory, which holds the Claude credentials: set replicas: 1 (refresh tokens are reported to be single-use and to rotate, so a second holder of the login invalidates the first)",
			"path": "spec.replicas",
			"rule": "AIF006",
			"severity": "error",
		},
		{
			"msg": "spec.strategy.type is RollingUpdate on Deployment aifactory/aifactory, which holds the Claude credentials: set strategy.type: Recreate so old and new pod never run together (refresh tokens are reported to be single-use and to rotate, so a second holder of the login invalidates the first)",
			"path": "spec.strategy.type",
			"rule": "AIF006",
			"severity": "error",
		},
	}
}

# no strategy: RollingUpdate by default
test_strategy_unset_is_rolling_update if {
	results := single_holder.deny with input as {
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
	count(results) == 1
	results == {
		{
			"msg": "spec.strategy.type is unset (RollingUpdate) on Deployment aifactory/aifactory, which holds the Claude credentials: set strategy.type: Recreate so old and new pod never run together (refresh tokens are reported to be single-use and to rotate, so a second holder of the login invalidates the first)",
			"path": "spec.strategy.type",
			"rule": "AIF006",
			"severity": "error",
		},
	}
}

# the chart shape
test_recreate_one_replica_allowed if {
	results := single_holder.deny with input as {
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

# unset replicas is 1
test_replicas_unset_allowed if {
	results := single_holder.deny with input as {
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

# ReplicaSet replicas
test_replicaset_replicas if {
	results := single_holder.deny with input as {
		"apiVersion": "apps/v1",
		"kind": "ReplicaSet",
		"metadata": {
			"name": "aifactory",
			"namespace": "aifactory",
			"labels": {
				"app.kubernetes.io/instance": "aifactory",
			},
		},
		"spec": {
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
			"replicas": 3,
		},
	}
	count(results) == 1
	results == {
		{
			"msg": "spec.replicas is 3 on ReplicaSet aifactory/aifactory, which holds the Claude credentials: set replicas: 1 (refresh tokens are reported to be single-use and to rotate, so a second holder of the login invalidates the first)",
			"path": "spec.replicas",
			"rule": "AIF006",
			"severity": "error",
		},
	}
}

# a StatefulSet holding the credentials
test_statefulset if {
	results := single_holder.deny with input as {
		"apiVersion": "apps/v1",
		"kind": "StatefulSet",
		"metadata": {
			"name": "aifactory",
			"namespace": "aifactory",
			"labels": {
				"app.kubernetes.io/instance": "aifactory",
			},
		},
		"spec": {
			"replicas": 1,
			"serviceName": "aifactory",
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
	count(results) == 1
	results == {
		{
			"msg": "StatefulSet aifactory/aifactory holds the Claude credentials: a StatefulSet runs a pod per ordinal and is scaled by replicas; use a Deployment with replicas: 1 and strategy.type: Recreate (refresh tokens are reported to be single-use and to rotate, so a second holder of the login invalidates the first)",
			"path": "kind",
			"rule": "AIF006",
			"severity": "error",
		},
	}
}

# a DaemonSet holding the credentials
test_daemonset if {
	results := single_holder.deny with input as {
		"apiVersion": "apps/v1",
		"kind": "DaemonSet",
		"metadata": {
			"name": "aifactory",
			"namespace": "aifactory",
			"labels": {
				"app.kubernetes.io/instance": "aifactory",
			},
		},
		"spec": {
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
	count(results) == 1
	results == {
		{
			"msg": "DaemonSet aifactory/aifactory holds the Claude credentials: a DaemonSet runs one pod per node; use a Deployment with replicas: 1 and strategy.type: Recreate (refresh tokens are reported to be single-use and to rotate, so a second holder of the login invalidates the first)",
			"path": "kind",
			"rule": "AIF006",
			"severity": "error",
		},
	}
}

# the credentials-secret annotation marks a holder
test_credentials_secret_annotation if {
	results := single_holder.deny with input as {
		"apiVersion": "apps/v1",
		"kind": "Deployment",
		"metadata": {
			"name": "w",
			"namespace": "aifactory",
			"labels": {
				"app.kubernetes.io/instance": "w",
			},
		},
		"spec": {
			"replicas": 2,
			"strategy": {
				"type": "Recreate",
			},
			"selector": {
				"matchLabels": {
					"app.kubernetes.io/name": "aifactory",
					"app.kubernetes.io/instance": "w",
				},
			},
			"template": {
				"metadata": {
					"labels": {
						"app.kubernetes.io/name": "aifactory",
						"app.kubernetes.io/instance": "w",
					},
					"annotations": {
						"aifactory.dev/credentials-secret": "s",
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
	count(results) == 1
	results == {
		{
			"msg": "spec.replicas is 2 on Deployment aifactory/w, which holds the Claude credentials: set replicas: 1 (refresh tokens are reported to be single-use and to rotate, so a second holder of the login invalidates the first)",
			"path": "spec.replicas",
			"rule": "AIF006",
			"severity": "error",
		},
	}
}

# no credentials: scale freely
test_no_credentials_allowed if {
	results := single_holder.deny with input as {
		"apiVersion": "apps/v1",
		"kind": "Deployment",
		"metadata": {
			"name": "w",
			"namespace": "aifactory",
			"labels": {
				"app.kubernetes.io/instance": "w",
			},
		},
		"spec": {
			"replicas": 5,
			"selector": {
				"matchLabels": {
					"app.kubernetes.io/name": "aifactory",
					"app.kubernetes.io/instance": "w",
				},
			},
			"template": {
				"metadata": {
					"labels": {
						"app.kubernetes.io/name": "aifactory",
						"app.kubernetes.io/instance": "w",
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

# an HPA targeting the Remote Control Deployment
test_autoscaler_combined if {
	results := single_holder.deny with input as [
		{
			"path": "0.yaml",
			"contents": {
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
			},
		},
		{
			"path": "1.yaml",
			"contents": {
				"apiVersion": "autoscaling/v2",
				"kind": "HorizontalPodAutoscaler",
				"metadata": {
					"name": "aifactory",
					"namespace": "aifactory",
				},
				"spec": {
					"scaleTargetRef": {
						"apiVersion": "apps/v1",
						"kind": "Deployment",
						"name": "aifactory",
					},
					"maxReplicas": 3,
				},
			},
		},
	]
	count(results) == 1
	results == {
		{
			"docs": [
				0,
				1,
			],
			"msg": "HorizontalPodAutoscaler aifactory/aifactory (in 1.yaml) scales Deployment aifactory/aifactory (in 0.yaml), which holds the Claude credentials: remove the autoscaler and keep replicas: 1 (refresh tokens are reported to be single-use and to rotate, so a second holder of the login invalidates the first)",
			"path": "spec.scaleTargetRef",
			"rule": "AIF006",
			"severity": "error",
		},
	}
}

# an HPA for another workload
test_autoscaler_other_target_allowed if {
	results := single_holder.deny with input as [
		{
			"path": "0.yaml",
			"contents": {
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
			},
		},
		{
			"path": "1.yaml",
			"contents": {
				"apiVersion": "autoscaling/v2",
				"kind": "HorizontalPodAutoscaler",
				"metadata": {
					"name": "web",
					"namespace": "aifactory",
				},
				"spec": {
					"scaleTargetRef": {
						"apiVersion": "apps/v1",
						"kind": "Deployment",
						"name": "web",
					},
					"maxReplicas": 3,
				},
			},
		},
	]
	count(results) == 0
}

# an HPA in another namespace
test_autoscaler_other_namespace_allowed if {
	results := single_holder.deny with input as [
		{
			"path": "0.yaml",
			"contents": {
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
			},
		},
		{
			"path": "1.yaml",
			"contents": {
				"apiVersion": "autoscaling/v2",
				"kind": "HorizontalPodAutoscaler",
				"metadata": {
					"name": "aifactory",
					"namespace": "other",
				},
				"spec": {
					"scaleTargetRef": {
						"apiVersion": "apps/v1",
						"kind": "Deployment",
						"name": "aifactory",
					},
					"maxReplicas": 3,
				},
			},
		},
	]
	count(results) == 0
}

# single-document mode cannot see the target
test_autoscaler_single_document_ignored if {
	results := single_holder.deny with input as {
		"apiVersion": "autoscaling/v2",
		"kind": "HorizontalPodAutoscaler",
		"metadata": {
			"name": "aifactory",
			"namespace": "aifactory",
		},
		"spec": {
			"scaleTargetRef": {
				"apiVersion": "apps/v1",
				"kind": "Deployment",
				"name": "aifactory",
			},
			"maxReplicas": 3,
		},
	}
	count(results) == 0
}
