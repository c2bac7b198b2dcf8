package rules.credential_material_test

import data.rules.credential_material

# a token at depth, inside a list
test_token_nested_key if {
	results := credential_material.deny with input as {
		"a": {
			"b": {
				"c": [
					{
						"token": "sk-ant-oat01-FAKE0123456789abcdefFAKE",
					},
				],
			},
		},
	}
	count(results) == 1
	results == {
		{
			"msg": "a.b.c[0].token holds a Claude OAuth access token (sk-ant-oat01-…): remove it and rotate that login; create the Secret out of band with `kubectl create secret generic <name> --from-file=credentials.json=<file>` and reference it with remoteControl.credentialsSecretName",
			"path": "a.b.c[0].token",
			"rule": "AIF001",
			"severity": "error",
		},
	}
}

# access, refresh, API and admin keys by prefix
test_all_token_kinds if {
	results := credential_material.deny with input as {
		"k": [
			"sk-ant-oat01-FAKE0123456789abcdefFAKE",
			"sk-ant-ort01-FAKE0123456789abcdefFAKE",
			"sk-ant-api03-FAKE0123456789abcdefFAKE",
			"sk-ant-admin01-FAKE0123456789abcdef",
		],
	}
	count(results) == 4
	results == {
		{
			"msg": "k[0] holds a Claude OAuth access token (sk-ant-oat01-…): remove it and rotate that login; create the Secret out of band with `kubectl create secret generic <name> --from-file=credentials.json=<file>` and reference it with remoteControl.credentialsSecretName",
			"path": "k[0]",
			"rule": "AIF001",
			"severity": "error",
		},
		{
			"msg": "k[1] holds a Claude OAuth refresh token (sk-ant-ort01-…): remove it and rotate that login; create the Secret out of band with `kubectl create secret generic <name> --from-file=credentials.json=<file>` and reference it with remoteControl.credentialsSecretName",
			"path": "k[1]",
			"rule": "AIF001",
			"severity": "error",
		},
		{
			"msg": "k[2] holds an Anthropic API key (sk-ant-api03-…): remove it and revoke that key in the Anthropic Console (console.anthropic.com/settings/keys), then issue a new one only if something needs it and give it from a Secret (secretKeyRef); an API key is not the Remote Control login (ANTHROPIC_API_KEY stops Remote Control, AIF003)",
			"path": "k[2]",
			"rule": "AIF001",
			"severity": "error",
		},
		{
			"msg": "k[3] holds an Anthropic admin API key (sk-ant-admin01-…): remove it and revoke that admin key in the Anthropic Console (console.anthropic.com/settings/admin-keys) now: it administers the whole organisation, and no workload of this chart needs one",
			"path": "k[3]",
			"rule": "AIF001",
			"severity": "error",
		},
	}
}

# a credentials object by structure, reported once
test_structure_without_prefixes if {
	results := credential_material.deny with input as {
		"remoteControl": {
			"credentials": {
				"claudeAiOauth": {
					"accessToken": "FAKEaccessTOKENwithoutPREFIX0123",
					"refreshToken": "FAKErefreshTOKENwithoutPREFIX0123",
					"expiresAt": 1767225600000,
				},
			},
		},
	}
	count(results) == 1
	results == {
		{
			"msg": "remoteControl.credentials is a Claude credentials JSON (claudeAiOauth): remove it and rotate that login; create the Secret out of band with `kubectl create secret generic <name> --from-file=credentials.json=<file>` and reference it with remoteControl.credentialsSecretName",
			"path": "remoteControl.credentials",
			"rule": "AIF001",
			"severity": "error",
		},
	}
}

# tokens inside a credentials object are not reported again
test_structure_with_tokens_reported_once if {
	results := credential_material.deny with input as {
		"creds": {
			"claudeAiOauth": {
				"accessToken": "sk-ant-oat01-FAKE0123456789abcdefFAKE",
				"refreshToken": "sk-ant-ort01-FAKE0123456789abcdefFAKE",
				"expiresAt": 1767225600000,
				"scopes": [
					"user:inference",
					"user:profile",
					"user:sessions:claude_code",
				],
				"subscriptionType": "max",
			},
		},
	}
	count(results) == 1
	results == {
		{
			"msg": "creds is a Claude credentials JSON (claudeAiOauth): remove it and rotate that login; create the Secret out of band with `kubectl create secret generic <name> --from-file=credentials.json=<file>` and reference it with remoteControl.credentialsSecretName",
			"path": "creds",
			"rule": "AIF001",
			"severity": "error",
		},
	}
}

# the document itself is a credentials.json
test_structure_at_root if {
	results := credential_material.deny with input as {
		"claudeAiOauth": {
			"accessToken": "sk-ant-oat01-FAKE0123456789abcdefFAKE",
			"refreshToken": "sk-ant-ort01-FAKE0123456789abcdefFAKE",
			"expiresAt": 1767225600000,
			"scopes": [
				"user:inference",
				"user:profile",
				"user:sessions:claude_code",
			],
			"subscriptionType": "max",
		},
	}
	count(results) == 1
	results == {
		{
			"msg": "the document is a Claude credentials JSON (claudeAiOauth): remove it and rotate that login; create the Secret out of band with `kubectl create secret generic <name> --from-file=credentials.json=<file>` and reference it with remoteControl.credentialsSecretName",
			"path": null,
			"rule": "AIF001",
			"severity": "error",
		},
	}
}

# credentials JSON as a string value
test_json_string_value if {
	results := credential_material.deny with input as {
		"apiVersion": "v1",
		"kind": "ConfigMap",
		"metadata": {
			"name": "x",
		},
		"data": {
			"credentials.json": "{\"claudeAiOauth\": {\"accessToken\": \"FAKEaccessTOKENwithoutPREFIX0123\", \"refreshToken\": \"FAKErefreshTOKENwithoutPREFIX0123\", \"expiresAt\": 1767225600000}}",
		},
	}
	count(results) == 1
	results == {
		{
			"msg": "data[\"credentials.json\"] holds a Claude credentials JSON (claudeAiOauth): remove it and rotate that login; create the Secret out of band with `kubectl create secret generic <name> --from-file=credentials.json=<file>` and reference it with remoteControl.credentialsSecretName",
			"path": "data[\"credentials.json\"]",
			"rule": "AIF001",
			"severity": "error",
		},
	}
}

# Secret data: base64 of a credentials JSON without prefixes
test_secret_data_base64 if {
	results := credential_material.deny with input as {
		"apiVersion": "v1",
		"kind": "Secret",
		"metadata": {
			"name": "x",
		},
		"data": {
			"credentials.json": "eyJjbGF1ZGVBaU9hdXRoIjogeyJhY2Nlc3NUb2tlbiI6ICJGQUtFYWNjZXNzVE9LRU53aXRob3V0UFJFRklYMDEyMyIsICJyZWZyZXNoVG9rZW4iOiAiRkFLRXJlZnJlc2hUT0tFTndpdGhvdXRQUkVGSVgwMTIzIiwgImV4cGlyZXNBdCI6IDE3NjcyMjU2MDAwMDB9fQ==",
		},
	}
	count(results) == 1
	results == {
		{
			"msg": "data[\"credentials.json\"] holds a base64-encoded Claude credentials JSON (claudeAiOauth): remove it and rotate that login; create the Secret out of band with `kubectl create secret generic <name> --from-file=credentials.json=<file>` and reference it with remoteControl.credentialsSecretName",
			"path": "data[\"credentials.json\"]",
			"rule": "AIF001",
			"severity": "error",
		},
	}
}

# a base64 token split over lines (block scalar)
test_base64_token_block_scalar if {
	results := credential_material.deny with input as {
		"blob": "c2stYW50LW9hdDAxLUZB\nS0UwMTIzNDU2Nzg5YWJjZGVmRkFLRQ==\n",
	}
	count(results) == 1
	results == {
		{
			"msg": "blob holds a base64-encoded Claude OAuth access token (sk-ant-oat01-…): remove it and rotate that login; create the Secret out of band with `kubectl create secret generic <name> --from-file=credentials.json=<file>` and reference it with remoteControl.credentialsSecretName",
			"path": "blob",
			"rule": "AIF001",
			"severity": "error",
		},
	}
}

# base64 of sk-ant- embedded in text, alignment 0
test_embedded_base64_alignment_0 if {
	results := credential_material.deny with input as {
		"script": "echo c2stYW50LW9hdDAxLUZBS0UwMTIzNDU2Nzg5YWJjZGVmRkFLRQ== | base64 -d",
	}
	count(results) == 1
	results == {
		{
			"msg": "script holds base64-encoded Claude credential material (sk-ant- or claudeAiOauth): remove it and rotate that login; create the Secret out of band with `kubectl create secret generic <name> --from-file=credentials.json=<file>` and reference it with remoteControl.credentialsSecretName",
			"path": "script",
			"rule": "AIF001",
			"severity": "error",
		},
	}
}

# alignment 1
test_embedded_base64_alignment_1 if {
	results := credential_material.deny with input as {
		"script": "echo eHNrLWFudC1vYXQwMS1GQUtFMDEyMzQ1Njc4OWFiY2RlZkZBS0U= | base64 -d",
	}
	count(results) == 1
	results == {
		{
			"msg": "script holds base64-encoded Claude credential material (sk-ant- or claudeAiOauth): remove it and rotate that login; create the Secret out of band with `kubectl create secret generic <name> --from-file=credentials.json=<file>` and reference it with remoteControl.credentialsSecretName",
			"path": "script",
			"rule": "AIF001",
			"severity": "error",
		},
	}
}

# alignment 2
test_embedded_base64_alignment_2 if {
	results := credential_material.deny with input as {
		"script": "echo eHlzay1hbnQtb2F0MDEtRkFLRTAxMjM0NTY3ODlhYmNkZWZGQUtF | base64 -d",
	}
	count(results) == 1
	results == {
		{
			"msg": "script holds base64-encoded Claude credential material (sk-ant- or claudeAiOauth): remove it and rotate that login; create the Secret out of band with `kubectl create secret generic <name> --from-file=credentials.json=<file>` and reference it with remoteControl.credentialsSecretName",
			"path": "script",
			"rule": "AIF001",
			"severity": "error",
		},
	}
}

# base64 of claudeAiOauth embedded
test_embedded_base64_claudeaioauth if {
	results := credential_material.deny with input as {
		"script": "echo eyJjbGF1ZGVBaU9hdXRoIjp7fX0= > f",
	}
	count(results) == 1
	results == {
		{
			"msg": "script holds base64-encoded Claude credential material (sk-ant- or claudeAiOauth): remove it and rotate that login; create the Secret out of band with `kubectl create secret generic <name> --from-file=credentials.json=<file>` and reference it with remoteControl.credentialsSecretName",
			"path": "script",
			"rule": "AIF001",
			"severity": "error",
		},
	}
}

# annotations and env values of a Deployment
test_annotation_and_env if {
	results := credential_material.deny with input as {
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
						"example.com/t": "sk-ant-ort01-FAKE0123456789abcdefFAKE",
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
									"name": "A",
									"value": "x",
								},
								{
									"name": "T",
									"value": "sk-ant-oat01-FAKE0123456789abcdefFAKE",
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
	count(results) == 2
	results == {
		{
			"msg": "spec.template.metadata.annotations[\"example.com/t\"] holds a Claude OAuth refresh token (sk-ant-ort01-…): remove it and rotate that login; create the Secret out of band with `kubectl create secret generic <name> --from-file=credentials.json=<file>` and reference it with remoteControl.credentialsSecretName",
			"path": "spec.template.metadata.annotations[\"example.com/t\"]",
			"rule": "AIF001",
			"severity": "error",
		},
		{
			"msg": "spec.template.spec.containers[0].env[1].value holds a Claude OAuth access token (sk-ant-oat01-…): remove it and rotate that login; create the Secret out of band with `kubectl create secret generic <name> --from-file=credentials.json=<file>` and reference it with remoteControl.credentialsSecretName",
			"path": "spec.template.spec.containers[0].env[1].value",
			"rule": "AIF001",
			"severity": "error",
		},
	}
}

# raw-text mode: line numbers are 1-based
test_raw_text_lines if {
	results := credential_material.deny with input as {
		"aifactoryRawText": {
			"lines": [
				"ok: 1",
				"# token: sk-ant-oat01-FAKE0123456789abcdefFAKE",
				"# Y2xhdWRlQWlPYXV0aA==",
				"# {\"claudeAiOauth\": {\"refreshToken\": \"FAKErefreshwithoutprefix\"",
			],
		},
	}
	count(results) == 3
	results == {
		{
			"msg": "line 2 holds a Claude OAuth access token (sk-ant-oat01-…): remove it and rotate that login; create the Secret out of band with `kubectl create secret generic <name> --from-file=credentials.json=<file>` and reference it with remoteControl.credentialsSecretName",
			"path": "line 2",
			"rule": "AIF001",
			"severity": "error",
		},
		{
			"msg": "line 3 holds base64-encoded Claude credential material (sk-ant- or claudeAiOauth): remove it and rotate that login; create the Secret out of band with `kubectl create secret generic <name> --from-file=credentials.json=<file>` and reference it with remoteControl.credentialsSecretName",
			"path": "line 3",
			"rule": "AIF001",
			"severity": "error",
		},
		{
			"msg": "line 4 holds text of a Claude credentials JSON (claudeAiOauth): remove it and rotate that login; create the Secret out of band with `kubectl create secret generic <name> --from-file=credentials.json=<file>` and reference it with remoteControl.credentialsSecretName",
			"path": "line 4",
			"rule": "AIF001",
			"severity": "error",
		},
	}
}

# no credential material: prefixes without a body, unrelated base64
test_clean_values if {
	results := credential_material.deny with input as {
		"remoteControl": {
			"enabled": true,
			"credentialsSecretName": "claude-remote-credentials",
		},
		"doc": "tokens look like sk-ant-oat01- and live in claudeAiOauth",
		"password": "aGVsbG8gd29ybGQh",
	}
	count(results) == 0
}

# conftest --combine input is left to the cross-document rules
test_combined_input_ignored if {
	results := credential_material.deny with input as [
		{
			"path": "a.yaml",
			"contents": {
				"token": "sk-ant-oat01-FAKE0123456789abcdefFAKE",
			},
		},
	]
	count(results) == 0
}

test_messages_never_contain_values if {
	results := credential_material.deny with input as {"a": "sk-ant-oat01-FAKE0123456789abcdefFAKE", "b": {"claudeAiOauth": {"accessToken": "FAKEsecretvalue123"}}}
	count(results) == 2
	every r in results {
		not contains(r.msg, "FAKE0123456789")
		not contains(r.msg, "FAKEsecretvalue")
	}
}
