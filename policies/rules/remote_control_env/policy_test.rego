package rules.remote_control_env_test

import data.rules.remote_control_env

# a literal CLAUDE_CODE_OAUTH_TOKEN
test_literal_oauth_token if {
	results := remote_control_env.deny with input as {
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
							"env": [
								{
									"name": "CLAUDE_CODE_OAUTH_TOKEN",
									"value": "literal",
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
			"msg": "spec.template.spec.containers[0].env[0].value is a literal CLAUDE_CODE_OAUTH_TOKEN on a Remote Control workload: it is credential material in the manifest and shadows ~/.claude/.credentials.json (Remote Control then fails with \"requires a full-scope login token\"); remove the variable and use the credentials Secret via remoteControl.credentialsSecretName",
			"path": "spec.template.spec.containers[0].env[0].value",
			"rule": "AIF003",
			"severity": "error",
		},
	}
}

# a literal ANTHROPIC_AUTH_TOKEN
test_literal_auth_token if {
	results := remote_control_env.deny with input as {
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
							"env": [
								{
									"name": "ANTHROPIC_AUTH_TOKEN",
									"value": "literal",
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
			"msg": "spec.template.spec.containers[0].env[0].value is a literal ANTHROPIC_AUTH_TOKEN on a Remote Control workload: it is credential material in the manifest and shadows ~/.claude/.credentials.json (Remote Control then fails with \"requires a full-scope login token\"); remove the variable and use the credentials Secret via remoteControl.credentialsSecretName",
			"path": "spec.template.spec.containers[0].env[0].value",
			"rule": "AIF003",
			"severity": "error",
		},
	}
}

# valueFrom: agent_service scrubs it
test_oauth_token_from_secret_allowed if {
	results := remote_control_env.deny with input as {
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
							"env": [
								{
									"name": "CLAUDE_CODE_OAUTH_TOKEN",
									"valueFrom": {
										"secretKeyRef": {
											"name": "s",
											"key": "k",
										},
									},
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

# ANTHROPIC_API_KEY in any form
test_api_key_from_secret if {
	results := remote_control_env.deny with input as {
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
							"env": [
								{
									"name": "ANTHROPIC_API_KEY",
									"valueFrom": {
										"secretKeyRef": {
											"name": "s",
											"key": "k",
										},
									},
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
			"msg": "spec.template.spec.containers[0].env[0] sets ANTHROPIC_API_KEY on a Remote Control workload: Remote Control then fails with \"Remote Control requires claude.ai subscription auth. ANTHROPIC_API_KEY is set\"; remove it from this workload",
			"path": "spec.template.spec.containers[0].env[0]",
			"rule": "AIF003",
			"severity": "error",
		},
	}
}

# init containers are checked
test_disable_traffic_in_init if {
	results := remote_control_env.deny with input as {
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
							"env": [],
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
							"env": [
								{
									"name": "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC",
									"value": "1",
								},
							],
						},
					],
				},
			},
		},
	}
	count(results) == 1
	results == {
		{
			"msg": "spec.template.spec.initContainers[0].env[0] sets CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC on a Remote Control workload: Remote Control then fails with \"Remote Control requires feature-flag evaluation, which is disabled\"; remove it from this workload",
			"path": "spec.template.spec.initContainers[0].env[0]",
			"rule": "AIF003",
			"severity": "error",
		},
	}
}

# the annotation alone turns the checks on
test_annotation_makes_remote_control if {
	results := remote_control_env.deny with input as {
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
			"replicas": 1,
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
						"aifactory.dev/remote-control": "enabled",
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
							"env": [
								{
									"name": "ANTHROPIC_API_KEY",
									"value": "x",
								},
							],
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
			"msg": "spec.template.spec.containers[0].env[0] sets ANTHROPIC_API_KEY on a Remote Control workload: Remote Control then fails with \"Remote Control requires claude.ai subscription auth. ANTHROPIC_API_KEY is set\"; remove it from this workload",
			"path": "spec.template.spec.containers[0].env[0]",
			"rule": "AIF003",
			"severity": "error",
		},
	}
}

# a credentials mount alone turns the checks on
test_mount_makes_remote_control if {
	results := remote_control_env.deny with input as {
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
							"env": [
								{
									"name": "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC",
									"value": "1",
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
			"msg": "spec.template.spec.containers[0].env[0] sets CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC on a Remote Control workload: Remote Control then fails with \"Remote Control requires feature-flag evaluation, which is disabled\"; remove it from this workload",
			"path": "spec.template.spec.containers[0].env[0]",
			"rule": "AIF003",
			"severity": "error",
		},
	}
}

# without Remote Control nothing is flagged
test_no_remote_control_allowed if {
	results := remote_control_env.deny with input as {
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
			"replicas": 1,
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
							"env": [
								{
									"name": "ANTHROPIC_API_KEY",
									"value": "x",
								},
								{
									"name": "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC",
									"value": "1",
								},
								{
									"name": "CLAUDE_CODE_OAUTH_TOKEN",
									"value": "x",
								},
							],
						},
					],
				},
			},
		},
	}
	count(results) == 0
}

# an empty value is no token
test_empty_literal_allowed if {
	results := remote_control_env.deny with input as {
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
							"env": [
								{
									"name": "CLAUDE_CODE_OAUTH_TOKEN",
									"value": "",
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
