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
			"msg": "spec.template.spec.initContainers[0].env[0] sets CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC on a Remote Control workload: Remote Control then fails with \"Remote Control requires feature-flag evaluation, which is disabled because CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC is set\"; remove it from this workload",
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
			"msg": "spec.template.spec.containers[0].env[0] sets CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC on a Remote Control workload: Remote Control then fails with \"Remote Control requires feature-flag evaluation, which is disabled because CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC is set\"; remove it from this workload",
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

# --- every variable of policies/claude_code.json, table-driven (fixture at the bottom) ---

# Each refusing variable, set in any way, is one finding quoting Claude Code's own message.
test_every_refusing_variable_is_denied if {
	count(data.claude_code.remote_control_env.refuses) >= 11 # the list is loaded, not vacuously empty
	every r in data.claude_code.remote_control_env.refuses {
		results := remote_control_env.deny with input as rc_deployment([{"name": r.name, "value": "1"}])
		count(results) == 1
		some f in results
		contains(f.msg, r.says)
		f.path == "spec.template.spec.containers[0].env[0]"
	}
}

test_refusing_variable_from_a_secret_is_denied if {
	results := remote_control_env.deny with input as rc_deployment([{"name": "CLAUDE_CODE_USE_VERTEX", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}])
	count(results) == 1
}

test_base_url_other_than_anthropic_is_denied if {
	every value in ["https://proxy.example.invalid", "http://api.anthropic.com", ""] {
		results := remote_control_env.deny with input as rc_deployment([{"name": "ANTHROPIC_BASE_URL", "value": value}])
		count(results) == 1
	}
}

test_base_url_from_elsewhere_is_denied if {
	results := remote_control_env.deny with input as rc_deployment([{"name": "ANTHROPIC_BASE_URL", "valueFrom": {"configMapKeyRef": {"name": "c", "key": "k"}}}])
	count(results) == 1
}

test_base_url_of_anthropic_is_allowed if {
	every value in ["https://api.anthropic.com", "https://api.anthropic.com/"] {
		count(remote_control_env.deny) == 0 with input as rc_deployment([{"name": "ANTHROPIC_BASE_URL", "value": value}])
	}
}

test_second_holders_are_denied if {
	every name in ["CLAUDE_CODE_OAUTH_REFRESH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN_FILE_DESCRIPTOR"] {
		results := remote_control_env.deny with input as rc_deployment([{"name": name, "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}])
		count(results) == 1
		some f in results
		contains(f.msg, "second")
	}
}

# Measured not to stop Remote Control: not findings.
test_not_refused_variables_are_allowed if {
	every n in data.claude_code.remote_control_env.not_refused {
		count(remote_control_env.deny) == 0 with input as rc_deployment([{"name": n.name, "value": "1"}])
	}
}

test_listed_variables_without_remote_control_are_allowed if {
	every r in data.claude_code.remote_control_env.refuses {
		count(remote_control_env.deny) == 0 with input as object.union(rc_deployment([{"name": r.name, "value": "1"}]), {"spec": {"template": {"metadata": {"annotations": {"aifactory.dev/remote-control": "disabled"}}}}})
	}
}

rc_deployment(env) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "aifactory", "namespace": "aifactory"},
	"spec": {"template": {
		"metadata": {"annotations": {"aifactory.dev/remote-control": "enabled"}},
		"spec": {"containers": [{"name": "agent", "image": "ghcr.io/example/aifactory:1.0.0", "env": env}]},
	}},
}
