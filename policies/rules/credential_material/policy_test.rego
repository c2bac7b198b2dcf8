package rules.credential_material_test

import data.lib.testing
import data.rules.credential_material

# Every case below: credential_material.deny of its input is exactly its want (a set of findings).
check(c) if testing.same(credential_material.deny, c.want) with input as c.input

# a token at depth, inside a list
test_token_nested_key if check(cases.token_nested_key)

cases["token_nested_key"] := {
	"input": {"a": {"b": {"c": [{"token": "sk-ant-oat01-FAKE0123456789abcdefFAKE"}]}}},
	"want": {
		finding("a.b.c[0].token", "a.b.c[0].token holds a Claude OAuth access token (sk-ant-oat01-…): remove it and rotate that login; create the Secret out of band with `kubectl create secret generic <name> --from-file=credentials.json=<file>` and reference it with remoteControl.credentialsSecretName"),
	},
}

# access, refresh, API and admin keys by prefix
test_all_token_kinds if check(cases.all_token_kinds)

cases["all_token_kinds"] := {
	"input": {
		"k": [
			"sk-ant-oat01-FAKE0123456789abcdefFAKE",
			"sk-ant-ort01-FAKE0123456789abcdefFAKE",
			"sk-ant-api03-FAKE0123456789abcdefFAKE",
			"sk-ant-admin01-FAKE0123456789abcdef",
		],
	},
	"want": {
		finding("k[0]", "k[0] holds a Claude OAuth access token (sk-ant-oat01-…): remove it and rotate that login; create the Secret out of band with `kubectl create secret generic <name> --from-file=credentials.json=<file>` and reference it with remoteControl.credentialsSecretName"),
		finding("k[1]", "k[1] holds a Claude OAuth refresh token (sk-ant-ort01-…): remove it and rotate that login; create the Secret out of band with `kubectl create secret generic <name> --from-file=credentials.json=<file>` and reference it with remoteControl.credentialsSecretName"),
		finding("k[2]", "k[2] holds an Anthropic API key (sk-ant-api03-…): remove it and revoke that key in the Anthropic Console (console.anthropic.com/settings/keys), then issue a new one only if something needs it and give it from a Secret (secretKeyRef); an API key is not the Remote Control login (ANTHROPIC_API_KEY stops Remote Control, AIF003)"),
		finding("k[3]", "k[3] holds an Anthropic admin API key (sk-ant-admin01-…): remove it and revoke that admin key in the Anthropic Console (console.anthropic.com/settings/admin-keys) now: it administers the whole organisation, and no workload of this chart needs one"),
	},
}

# a credentials object by structure, reported once
test_structure_without_prefixes if check(cases.structure_without_prefixes)

cases["structure_without_prefixes"] := {
	"input": {
		"remoteControl": {
			"credentials": {
				"claudeAiOauth": {
					"accessToken": "FAKEaccessTOKENwithoutPREFIX0123",
					"expiresAt": 1767225600000,
					"refreshToken": "FAKErefreshTOKENwithoutPREFIX0123",
				},
			},
		},
	},
	"want": {
		finding("remoteControl.credentials", "remoteControl.credentials is a Claude credentials JSON (claudeAiOauth): remove it and rotate that login; create the Secret out of band with `kubectl create secret generic <name> --from-file=credentials.json=<file>` and reference it with remoteControl.credentialsSecretName"),
	},
}

# tokens inside a credentials object are not reported again
test_structure_with_tokens_reported_once if check(cases.structure_with_tokens_reported_once)

cases["structure_with_tokens_reported_once"] := {
	"input": {
		"creds": {
			"claudeAiOauth": {
				"accessToken": "sk-ant-oat01-FAKE0123456789abcdefFAKE",
				"expiresAt": 1767225600000,
				"refreshToken": "sk-ant-ort01-FAKE0123456789abcdefFAKE",
				"scopes": ["user:inference", "user:profile", "user:sessions:claude_code"],
				"subscriptionType": "max",
			},
		},
	},
	"want": {
		finding("creds", "creds is a Claude credentials JSON (claudeAiOauth): remove it and rotate that login; create the Secret out of band with `kubectl create secret generic <name> --from-file=credentials.json=<file>` and reference it with remoteControl.credentialsSecretName"),
	},
}

# the document itself is a credentials.json
test_structure_at_root if check(cases.structure_at_root)

cases["structure_at_root"] := {
	"input": {
		"claudeAiOauth": {
			"accessToken": "sk-ant-oat01-FAKE0123456789abcdefFAKE",
			"expiresAt": 1767225600000,
			"refreshToken": "sk-ant-ort01-FAKE0123456789abcdefFAKE",
			"scopes": ["user:inference", "user:profile", "user:sessions:claude_code"],
			"subscriptionType": "max",
		},
	},
	"want": {
		finding(null, "the document is a Claude credentials JSON (claudeAiOauth): remove it and rotate that login; create the Secret out of band with `kubectl create secret generic <name> --from-file=credentials.json=<file>` and reference it with remoteControl.credentialsSecretName"),
	},
}

# credentials JSON as a string value
test_json_string_value if check(cases.json_string_value)

cases["json_string_value"] := {
	"input": {
		"apiVersion": "v1",
		"data": {
			"credentials.json": "{\"claudeAiOauth\": {\"accessToken\": \"FAKEaccessTOKENwithoutPREFIX0123\", \"refreshToken\": \"FAKErefreshTOKENwithoutPREFIX0123\", \"expiresAt\": 1767225600000}}",
		},
		"kind": "ConfigMap",
		"metadata": {"name": "x"},
	},
	"want": {
		finding("data[\"credentials.json\"]", "data[\"credentials.json\"] holds a Claude credentials JSON (claudeAiOauth): remove it and rotate that login; create the Secret out of band with `kubectl create secret generic <name> --from-file=credentials.json=<file>` and reference it with remoteControl.credentialsSecretName"),
	},
}

# Secret data: base64 of a credentials JSON without prefixes
test_secret_data_base64 if check(cases.secret_data_base64)

cases["secret_data_base64"] := {
	"input": {
		"apiVersion": "v1",
		"data": {
			"credentials.json": "eyJjbGF1ZGVBaU9hdXRoIjogeyJhY2Nlc3NUb2tlbiI6ICJGQUtFYWNjZXNzVE9LRU53aXRob3V0UFJFRklYMDEyMyIsICJyZWZyZXNoVG9rZW4iOiAiRkFLRXJlZnJlc2hUT0tFTndpdGhvdXRQUkVGSVgwMTIzIiwgImV4cGlyZXNBdCI6IDE3NjcyMjU2MDAwMDB9fQ==",
		},
		"kind": "Secret",
		"metadata": {"name": "x"},
	},
	"want": {
		finding("data[\"credentials.json\"]", "data[\"credentials.json\"] holds a base64-encoded Claude credentials JSON (claudeAiOauth): remove it and rotate that login; create the Secret out of band with `kubectl create secret generic <name> --from-file=credentials.json=<file>` and reference it with remoteControl.credentialsSecretName"),
	},
}

# a base64 token split over lines (block scalar)
test_base64_token_block_scalar if check(cases.base64_token_block_scalar)

cases["base64_token_block_scalar"] := {
	"input": {"blob": "c2stYW50LW9hdDAxLUZB\nS0UwMTIzNDU2Nzg5YWJjZGVmRkFLRQ==\n"},
	"want": {
		finding("blob", "blob holds a base64-encoded Claude OAuth access token (sk-ant-oat01-…): remove it and rotate that login; create the Secret out of band with `kubectl create secret generic <name> --from-file=credentials.json=<file>` and reference it with remoteControl.credentialsSecretName"),
	},
}

# base64 of sk-ant- embedded in text, alignment 0
test_embedded_base64_alignment_0 if check(cases.embedded_base64_alignment_0)

cases["embedded_base64_alignment_0"] := {
	"input": {"script": "echo c2stYW50LW9hdDAxLUZBS0UwMTIzNDU2Nzg5YWJjZGVmRkFLRQ== | base64 -d"},
	"want": {
		finding("script", "script holds base64-encoded Claude credential material (sk-ant- or claudeAiOauth): remove it and rotate that login; create the Secret out of band with `kubectl create secret generic <name> --from-file=credentials.json=<file>` and reference it with remoteControl.credentialsSecretName"),
	},
}

# alignment 1
test_embedded_base64_alignment_1 if check(cases.embedded_base64_alignment_1)

cases["embedded_base64_alignment_1"] := {
	"input": {"script": "echo eHNrLWFudC1vYXQwMS1GQUtFMDEyMzQ1Njc4OWFiY2RlZkZBS0U= | base64 -d"},
	"want": {
		finding("script", "script holds base64-encoded Claude credential material (sk-ant- or claudeAiOauth): remove it and rotate that login; create the Secret out of band with `kubectl create secret generic <name> --from-file=credentials.json=<file>` and reference it with remoteControl.credentialsSecretName"),
	},
}

# alignment 2
test_embedded_base64_alignment_2 if check(cases.embedded_base64_alignment_2)

cases["embedded_base64_alignment_2"] := {
	"input": {"script": "echo eHlzay1hbnQtb2F0MDEtRkFLRTAxMjM0NTY3ODlhYmNkZWZGQUtF | base64 -d"},
	"want": {
		finding("script", "script holds base64-encoded Claude credential material (sk-ant- or claudeAiOauth): remove it and rotate that login; create the Secret out of band with `kubectl create secret generic <name> --from-file=credentials.json=<file>` and reference it with remoteControl.credentialsSecretName"),
	},
}

# base64 of claudeAiOauth embedded
test_embedded_base64_claudeaioauth if check(cases.embedded_base64_claudeaioauth)

cases["embedded_base64_claudeaioauth"] := {
	"input": {"script": "echo eyJjbGF1ZGVBaU9hdXRoIjp7fX0= > f"},
	"want": {
		finding("script", "script holds base64-encoded Claude credential material (sk-ant- or claudeAiOauth): remove it and rotate that login; create the Secret out of band with `kubectl create secret generic <name> --from-file=credentials.json=<file>` and reference it with remoteControl.credentialsSecretName"),
	},
}

# annotations and env values of a Deployment
test_annotation_and_env if check(cases.annotation_and_env)

cases["annotation_and_env"] := {
	"input": object.union(
		testing.release("Deployment", "w", object.union(testing.plain_pod, {
			"containers": [
				object.union(testing.container("w"), {
					"env": [{"name": "A", "value": "x"}, {"name": "T", "value": "sk-ant-oat01-FAKE0123456789abcdefFAKE"}],
				}),
			],
		})),
		{
			"spec": {"template": {"metadata": {"annotations": {"example.com/t": "sk-ant-ort01-FAKE0123456789abcdefFAKE"}}}},
		},
	),
	"want": {
		finding("spec.template.metadata.annotations[\"example.com/t\"]", "spec.template.metadata.annotations[\"example.com/t\"] holds a Claude OAuth refresh token (sk-ant-ort01-…): remove it and rotate that login; create the Secret out of band with `kubectl create secret generic <name> --from-file=credentials.json=<file>` and reference it with remoteControl.credentialsSecretName"),
		finding("spec.template.spec.containers[0].env[1].value", "spec.template.spec.containers[0].env[1].value holds a Claude OAuth access token (sk-ant-oat01-…): remove it and rotate that login; create the Secret out of band with `kubectl create secret generic <name> --from-file=credentials.json=<file>` and reference it with remoteControl.credentialsSecretName"),
	},
}

# raw-text mode: line numbers are 1-based
test_raw_text_lines if check(cases.raw_text_lines)

cases["raw_text_lines"] := {
	"input": {
		"aifactoryRawText": {
			"lines": [
				"ok: 1",
				"# token: sk-ant-oat01-FAKE0123456789abcdefFAKE",
				"# Y2xhdWRlQWlPYXV0aA==",
				"# {\"claudeAiOauth\": {\"refreshToken\": \"FAKErefreshwithoutprefix\"",
			],
		},
	},
	"want": {
		finding("line 2", "line 2 holds a Claude OAuth access token (sk-ant-oat01-…): remove it and rotate that login; create the Secret out of band with `kubectl create secret generic <name> --from-file=credentials.json=<file>` and reference it with remoteControl.credentialsSecretName"),
		finding("line 3", "line 3 holds base64-encoded Claude credential material (sk-ant- or claudeAiOauth): remove it and rotate that login; create the Secret out of band with `kubectl create secret generic <name> --from-file=credentials.json=<file>` and reference it with remoteControl.credentialsSecretName"),
		finding("line 4", "line 4 holds text of a Claude credentials JSON (claudeAiOauth): remove it and rotate that login; create the Secret out of band with `kubectl create secret generic <name> --from-file=credentials.json=<file>` and reference it with remoteControl.credentialsSecretName"),
	},
}

# no credential material: prefixes without a body, unrelated base64
test_clean_values if check(cases.clean_values)

cases["clean_values"] := {
	"input": {
		"doc": "tokens look like sk-ant-oat01- and live in claudeAiOauth",
		"password": "aGVsbG8gd29ybGQh",
		"remoteControl": {"credentialsSecretName": "claude-remote-credentials", "enabled": true},
	},
	"want": set(),
}

# conftest --combine input is left to the cross-document rules
test_combined_input_ignored if check(cases.combined_input_ignored)

cases["combined_input_ignored"] := {
	"input": [{"contents": {"token": "sk-ant-oat01-FAKE0123456789abcdefFAKE"}, "path": "a.yaml"}],
	"want": set(),
}

test_messages_never_contain_values if {
	results := credential_material.deny with input as {"a": "sk-ant-oat01-FAKE0123456789abcdefFAKE", "b": {"claudeAiOauth": {"accessToken": "FAKEsecretvalue123"}}}
	count(results) == 2
	every r in results {
		not contains(r.msg, "FAKE0123456789")
		not contains(r.msg, "FAKEsecretvalue")
	}
}

# ---- fixtures ----

finding(path, msg) := testing.finding("AIF001", path, msg)
