package rules.shared_credentials_test

import data.rules.shared_credentials

# mount in alpha, annotation in beta
test_two_releases_one_secret if {
	results := shared_credentials.deny with input as [
		{
			"path": "0.yaml",
			"contents": {
				"apiVersion": "apps/v1",
				"kind": "Deployment",
				"metadata": {
					"name": "alpha",
					"namespace": "aifactory",
					"labels": {
						"app.kubernetes.io/instance": "alpha",
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
							"app.kubernetes.io/instance": "alpha",
						},
					},
					"template": {
						"metadata": {
							"labels": {
								"app.kubernetes.io/name": "aifactory",
								"app.kubernetes.io/instance": "alpha",
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
				"apiVersion": "apps/v1",
				"kind": "Deployment",
				"metadata": {
					"name": "beta",
					"namespace": "aifactory",
					"labels": {
						"app.kubernetes.io/instance": "beta",
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
							"app.kubernetes.io/instance": "beta",
						},
					},
					"template": {
						"metadata": {
							"labels": {
								"app.kubernetes.io/name": "aifactory",
								"app.kubernetes.io/instance": "beta",
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
			"msg": "Secret aifactory/claude-remote-credentials is the Claude credentials of release \"alpha\" (Deployment aifactory/alpha in 0.yaml) and also of release \"beta\" (Deployment aifactory/beta in 1.yaml): one login per install, since every holder of a login shares one token family; run `claude auth login` for release \"beta\", create its own Secret and set remoteControl.credentialsSecretName to it",
			"path": null,
			"rule": "AIF005",
			"severity": "error",
		},
	}
}

# a multi-document file is a list of documents
test_multi_document_file if {
	results := shared_credentials.deny with input as [
		{
			"path": "all.yaml",
			"contents": [
				{
					"apiVersion": "apps/v1",
					"kind": "Deployment",
					"metadata": {
						"name": "alpha",
						"namespace": "aifactory",
						"labels": {
							"app.kubernetes.io/instance": "alpha",
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
								"app.kubernetes.io/instance": "alpha",
							},
						},
						"template": {
							"metadata": {
								"labels": {
									"app.kubernetes.io/name": "aifactory",
									"app.kubernetes.io/instance": "alpha",
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
				{
					"apiVersion": "apps/v1",
					"kind": "Deployment",
					"metadata": {
						"name": "beta",
						"namespace": "aifactory",
						"labels": {
							"app.kubernetes.io/instance": "beta",
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
								"app.kubernetes.io/instance": "beta",
							},
						},
						"template": {
							"metadata": {
								"labels": {
									"app.kubernetes.io/name": "aifactory",
									"app.kubernetes.io/instance": "beta",
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
			],
		},
	]
	count(results) == 1
	results == {
		{
			"docs": [
				0,
			],
			"msg": "Secret aifactory/claude-remote-credentials is the Claude credentials of release \"alpha\" (Deployment aifactory/alpha in all.yaml) and also of release \"beta\" (Deployment aifactory/beta in all.yaml): one login per install, since every holder of a login shares one token family; run `claude auth login` for release \"beta\", create its own Secret and set remoteControl.credentialsSecretName to it",
			"path": null,
			"rule": "AIF005",
			"severity": "error",
		},
	}
}

# no instance label: the workload name is the release
test_release_falls_back_to_name if {
	results := shared_credentials.deny with input as [
		{
			"path": "0.yaml",
			"contents": {
				"apiVersion": "apps/v1",
				"kind": "Deployment",
				"metadata": {
					"name": "alpha",
					"namespace": "aifactory",
					"labels": {
						"app.kubernetes.io/instance": "alpha",
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
							"app.kubernetes.io/instance": "alpha",
						},
					},
					"template": {
						"metadata": {
							"labels": {
								"app.kubernetes.io/name": "aifactory",
								"app.kubernetes.io/instance": "alpha",
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
				"apiVersion": "apps/v1",
				"kind": "Deployment",
				"metadata": {
					"name": "gamma",
					"namespace": "aifactory",
				},
				"spec": {
					"replicas": 1,
					"strategy": {
						"type": "Recreate",
					},
					"selector": {
						"matchLabels": {
							"app.kubernetes.io/name": "aifactory",
							"app.kubernetes.io/instance": "gamma",
						},
					},
					"template": {
						"metadata": {
							"labels": {
								"app.kubernetes.io/name": "aifactory",
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
	]
	count(results) == 1
	results == {
		{
			"docs": [
				0,
				1,
			],
			"msg": "Secret aifactory/claude-remote-credentials is the Claude credentials of release \"alpha\" (Deployment aifactory/alpha in 0.yaml) and also of release \"gamma\" (Deployment aifactory/gamma in 1.yaml): one login per install, since every holder of a login shares one token family; run `claude auth login` for release \"gamma\", create its own Secret and set remoteControl.credentialsSecretName to it",
			"path": null,
			"rule": "AIF005",
			"severity": "error",
		},
	}
}

# one finding per extra release
test_three_releases_two_findings if {
	results := shared_credentials.deny with input as [
		{
			"path": "0.yaml",
			"contents": {
				"apiVersion": "apps/v1",
				"kind": "Deployment",
				"metadata": {
					"name": "c",
					"namespace": "aifactory",
					"labels": {
						"app.kubernetes.io/instance": "c",
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
							"app.kubernetes.io/instance": "c",
						},
					},
					"template": {
						"metadata": {
							"labels": {
								"app.kubernetes.io/name": "aifactory",
								"app.kubernetes.io/instance": "c",
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
				"apiVersion": "apps/v1",
				"kind": "Deployment",
				"metadata": {
					"name": "a",
					"namespace": "aifactory",
					"labels": {
						"app.kubernetes.io/instance": "a",
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
							"app.kubernetes.io/instance": "a",
						},
					},
					"template": {
						"metadata": {
							"labels": {
								"app.kubernetes.io/name": "aifactory",
								"app.kubernetes.io/instance": "a",
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
			"path": "2.yaml",
			"contents": {
				"apiVersion": "apps/v1",
				"kind": "Deployment",
				"metadata": {
					"name": "b",
					"namespace": "aifactory",
					"labels": {
						"app.kubernetes.io/instance": "b",
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
							"app.kubernetes.io/instance": "b",
						},
					},
					"template": {
						"metadata": {
							"labels": {
								"app.kubernetes.io/name": "aifactory",
								"app.kubernetes.io/instance": "b",
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
	]
	count(results) == 2
	results == {
		{
			"docs": [
				1,
				2,
			],
			"msg": "Secret aifactory/claude-remote-credentials is the Claude credentials of release \"a\" (Deployment aifactory/a in 1.yaml) and also of release \"b\" (Deployment aifactory/b in 2.yaml): one login per install, since every holder of a login shares one token family; run `claude auth login` for release \"b\", create its own Secret and set remoteControl.credentialsSecretName to it",
			"path": null,
			"rule": "AIF005",
			"severity": "error",
		},
		{
			"docs": [
				0,
				1,
			],
			"msg": "Secret aifactory/claude-remote-credentials is the Claude credentials of release \"a\" (Deployment aifactory/a in 1.yaml) and also of release \"c\" (Deployment aifactory/c in 0.yaml): one login per install, since every holder of a login shares one token family; run `claude auth login` for release \"c\", create its own Secret and set remoteControl.credentialsSecretName to it",
			"path": null,
			"rule": "AIF005",
			"severity": "error",
		},
	}
}

# two workloads of one release
test_same_release_allowed if {
	results := shared_credentials.deny with input as [
		{
			"path": "0.yaml",
			"contents": {
				"apiVersion": "apps/v1",
				"kind": "Deployment",
				"metadata": {
					"name": "alpha",
					"namespace": "aifactory",
					"labels": {
						"app.kubernetes.io/instance": "alpha",
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
							"app.kubernetes.io/instance": "alpha",
						},
					},
					"template": {
						"metadata": {
							"labels": {
								"app.kubernetes.io/name": "aifactory",
								"app.kubernetes.io/instance": "alpha",
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
				"apiVersion": "apps/v1",
				"kind": "Deployment",
				"metadata": {
					"name": "alpha-worker",
					"namespace": "aifactory",
					"labels": {
						"app.kubernetes.io/instance": "alpha",
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
							"app.kubernetes.io/instance": "alpha-worker",
						},
					},
					"template": {
						"metadata": {
							"labels": {
								"app.kubernetes.io/name": "aifactory",
								"app.kubernetes.io/instance": "alpha-worker",
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
			},
		},
	]
	count(results) == 0
}

# same name, other namespace
test_other_namespace_allowed if {
	results := shared_credentials.deny with input as [
		{
			"path": "0.yaml",
			"contents": {
				"apiVersion": "apps/v1",
				"kind": "Deployment",
				"metadata": {
					"name": "alpha",
					"namespace": "aifactory",
					"labels": {
						"app.kubernetes.io/instance": "alpha",
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
							"app.kubernetes.io/instance": "alpha",
						},
					},
					"template": {
						"metadata": {
							"labels": {
								"app.kubernetes.io/name": "aifactory",
								"app.kubernetes.io/instance": "alpha",
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
				"apiVersion": "apps/v1",
				"kind": "Deployment",
				"metadata": {
					"name": "beta",
					"namespace": "other",
					"labels": {
						"app.kubernetes.io/instance": "beta",
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
							"app.kubernetes.io/instance": "beta",
						},
					},
					"template": {
						"metadata": {
							"labels": {
								"app.kubernetes.io/name": "aifactory",
								"app.kubernetes.io/instance": "beta",
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
	]
	count(results) == 0
}

# one Secret each
test_own_secrets_allowed if {
	results := shared_credentials.deny with input as [
		{
			"path": "0.yaml",
			"contents": {
				"apiVersion": "apps/v1",
				"kind": "Deployment",
				"metadata": {
					"name": "alpha",
					"namespace": "aifactory",
					"labels": {
						"app.kubernetes.io/instance": "alpha",
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
							"app.kubernetes.io/instance": "alpha",
						},
					},
					"template": {
						"metadata": {
							"labels": {
								"app.kubernetes.io/name": "aifactory",
								"app.kubernetes.io/instance": "alpha",
							},
							"annotations": {
								"aifactory.dev/remote-control": "enabled",
								"aifactory.dev/credentials-secret": "a",
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
										"secretName": "a",
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
				"apiVersion": "apps/v1",
				"kind": "Deployment",
				"metadata": {
					"name": "beta",
					"namespace": "aifactory",
					"labels": {
						"app.kubernetes.io/instance": "beta",
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
							"app.kubernetes.io/instance": "beta",
						},
					},
					"template": {
						"metadata": {
							"labels": {
								"app.kubernetes.io/name": "aifactory",
								"app.kubernetes.io/instance": "beta",
							},
							"annotations": {
								"aifactory.dev/remote-control": "enabled",
								"aifactory.dev/credentials-secret": "b",
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
										"secretName": "b",
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
	]
	count(results) == 0
}

# single-document input: nothing to compare
test_single_document_ignored if {
	results := shared_credentials.deny with input as {
		"apiVersion": "apps/v1",
		"kind": "Deployment",
		"metadata": {
			"name": "alpha",
			"namespace": "aifactory",
			"labels": {
				"app.kubernetes.io/instance": "alpha",
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
					"app.kubernetes.io/instance": "alpha",
				},
			},
			"template": {
				"metadata": {
					"labels": {
						"app.kubernetes.io/name": "aifactory",
						"app.kubernetes.io/instance": "alpha",
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
