package rules.writeback_test

import data.rules.writeback

# readOnly missing on the credentials file, no write-back
test_writable_file_no_sidecar if {
	results := writeback.deny with input as {
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
			"msg": "spec.template.spec.containers[0].volumeMounts[1] mounts the Claude credentials at /home/nonroot/.claude/.credentials.json writable, but no container named credentials-writeback persists refreshed tokens (refresh tokens are reported to be single-use, so the refreshed pair dies with the pod): use remoteControl.mode: writeBack, or mount the file readOnly: true",
			"path": "spec.template.spec.containers[0].volumeMounts[1]",
			"rule": "AIF007",
			"severity": "error",
		},
	}
}

# writeBack-style directory without the sidecar (init container not counted)
test_writable_dir_no_sidecar if {
	results := writeback.deny with input as {
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
	count(results) == 1
	results == {
		{
			"msg": "spec.template.spec.containers[0].volumeMounts[0] mounts the Claude credentials at /home/nonroot/.claude writable, but no container named credentials-writeback persists refreshed tokens (refresh tokens are reported to be single-use, so the refreshed pair dies with the pod): use remoteControl.mode: writeBack, or mount the file readOnly: true",
			"path": "spec.template.spec.containers[0].volumeMounts[0]",
			"rule": "AIF007",
			"severity": "error",
		},
	}
}

# the chart writeBack mode
test_writeback_mode_allowed if {
	results := writeback.deny with input as {
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

# the writable ~/.claude state dir under a read-only file mount
test_readonly_mode_allowed if {
	results := writeback.deny with input as {
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

# an emptyDir at ~/.claude on a workload without Remote Control
test_claude_dir_without_remote_control_allowed if {
	results := writeback.deny with input as {
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
							"volumeMounts": [
								{
									"name": "state",
									"mountPath": "/home/nonroot/.claude",
								},
							],
						},
					],
					"volumes": [
						{
							"name": "state",
							"emptyDir": {},
						},
					],
				},
			},
		},
	}
	count(results) == 0
}

# get/patch on one Secret
test_writeback_role_allowed if {
	results := writeback.deny with input as {
		"apiVersion": "rbac.authorization.k8s.io/v1",
		"kind": "Role",
		"metadata": {
			"name": "r",
			"namespace": "aifactory",
			"labels": {
				"app.kubernetes.io/component": "credentials-writeback",
			},
		},
		"rules": [
			{
				"apiGroups": [
					"",
				],
				"resources": [
					"secrets",
				],
				"resourceNames": [
					"claude",
				],
				"verbs": [
					"get",
					"patch",
				],
			},
		],
	}
	count(results) == 0
}

# two resourceNames
test_writeback_role_two_names if {
	results := writeback.deny with input as {
		"apiVersion": "rbac.authorization.k8s.io/v1",
		"kind": "Role",
		"metadata": {
			"name": "r",
			"namespace": "aifactory",
			"labels": {
				"app.kubernetes.io/component": "credentials-writeback",
			},
		},
		"rules": [
			{
				"apiGroups": [
					"",
				],
				"resources": [
					"secrets",
				],
				"resourceNames": [
					"a",
					"b",
				],
				"verbs": [
					"get",
					"patch",
				],
			},
		],
	}
	count(results) == 1
	results == {
		{
			"msg": "rules[0].resourceNames on Role aifactory/r (the credentials write-back Role) has 2 entries: grant exactly the one credentials Secret, resourceNames: [<credentialsSecretName>]",
			"path": "rules[0].resourceNames",
			"rule": "AIF007",
			"severity": "error",
		},
	}
}

# verbs beyond get/patch
test_writeback_role_extra_verbs if {
	results := writeback.deny with input as {
		"apiVersion": "rbac.authorization.k8s.io/v1",
		"kind": "Role",
		"metadata": {
			"name": "r",
			"namespace": "aifactory",
			"labels": {
				"app.kubernetes.io/component": "credentials-writeback",
			},
		},
		"rules": [
			{
				"apiGroups": [
					"",
				],
				"resources": [
					"secrets",
				],
				"resourceNames": [
					"a",
				],
				"verbs": [
					"get",
					"patch",
					"delete",
					"watch",
				],
			},
		],
	}
	count(results) == 1
	results == {
		{
			"msg": "rules[0].verbs on Role aifactory/r (the credentials write-back Role) grants delete, watch on secrets: allow only get and patch",
			"path": "rules[0].verbs",
			"rule": "AIF007",
			"severity": "error",
		},
	}
}

# wildcards on a labelled ClusterRole
test_writeback_role_wildcards if {
	results := writeback.deny with input as {
		"apiVersion": "rbac.authorization.k8s.io/v1",
		"kind": "ClusterRole",
		"metadata": {
			"name": "r",
			"namespace": "aifactory",
			"labels": {
				"app.kubernetes.io/component": "credentials-writeback",
			},
		},
		"rules": [
			{
				"apiGroups": [
					"*",
				],
				"resources": [
					"*",
				],
				"verbs": [
					"*",
				],
			},
		],
	}
	count(results) == 2
	results == {
		{
			"msg": "rules[0].resourceNames on ClusterRole aifactory/r (the credentials write-back Role) has 0 entries: grant exactly the one credentials Secret, resourceNames: [<credentialsSecretName>]",
			"path": "rules[0].resourceNames",
			"rule": "AIF007",
			"severity": "error",
		},
		{
			"msg": "rules[0].verbs on ClusterRole aifactory/r (the credentials write-back Role) grants * on secrets: allow only get and patch",
			"path": "rules[0].verbs",
			"rule": "AIF007",
			"severity": "error",
		},
	}
}

# any Role of this chart updating every Secret (other charts' Roles: rbac_test.rego)
test_unlabelled_role_patch_all if {
	results := writeback.deny with input as {
		"apiVersion": "rbac.authorization.k8s.io/v1",
		"kind": "Role",
		"metadata": {
			"name": "r",
			"namespace": "aifactory",
			"labels": {"app.kubernetes.io/part-of": "aifactory"},
		},
		"rules": [
			{
				"apiGroups": [
					"",
				],
				"resources": [
					"secrets",
					"configmaps",
				],
				"verbs": [
					"get",
					"update",
				],
			},
		],
	}
	count(results) == 1
	results == {
		{
			"msg": "rules[0].resourceNames on Role aifactory/r grants update on every Secret (no resourceNames): restrict it to the one credentials Secret with resourceNames: [<credentialsSecretName>]",
			"path": "rules[0].resourceNames",
			"rule": "AIF007",
			"severity": "error",
		},
	}
}

# reading Secrets is out of scope
test_unlabelled_role_read_allowed if {
	results := writeback.deny with input as {
		"apiVersion": "rbac.authorization.k8s.io/v1",
		"kind": "Role",
		"metadata": {
			"name": "r",
			"namespace": "aifactory",
		},
		"rules": [
			{
				"apiGroups": [
					"",
				],
				"resources": [
					"secrets",
				],
				"verbs": [
					"get",
					"list",
				],
			},
		],
	}
	count(results) == 0
}

# patch limited by resourceNames
test_unlabelled_role_named_patch_allowed if {
	results := writeback.deny with input as {
		"apiVersion": "rbac.authorization.k8s.io/v1",
		"kind": "Role",
		"metadata": {
			"name": "r",
			"namespace": "aifactory",
		},
		"rules": [
			{
				"apiGroups": [
					"",
				],
				"resources": [
					"secrets",
				],
				"resourceNames": [
					"x",
					"y",
				],
				"verbs": [
					"patch",
				],
			},
		],
	}
	count(results) == 0
}

# secrets of another API group are not core Secrets
test_other_api_group_allowed if {
	results := writeback.deny with input as {
		"apiVersion": "rbac.authorization.k8s.io/v1",
		"kind": "Role",
		"metadata": {
			"name": "r",
			"namespace": "aifactory",
		},
		"rules": [
			{
				"apiGroups": [
					"example.com",
				],
				"resources": [
					"secrets",
				],
				"verbs": [
					"patch",
				],
			},
		],
	}
	count(results) == 0
}
