package rules.syncers_test

import data.rules.syncers

# A writeBack-mode agent (the chart's annotations and sidecar) and a broker, trimmed to what matters.
writeback := {
	"apiVersion": "apps/v1", "kind": "Deployment",
	"metadata": {"name": "aifactory", "namespace": "aifactory", "labels": {"app.kubernetes.io/instance": "aifactory"}},
	"spec": {"template": {
		"metadata": {"annotations": {"aifactory.dev/credentials-secret": "login", "aifactory.dev/credentials-mode": "writeBack"}},
		"spec": {"containers": [{"name": "agent"}, {"name": "credentials-writeback"}]},
	}},
}

broker := {
	"apiVersion": "apps/v1", "kind": "Deployment",
	"metadata": {"name": "aifactory-credentials-broker", "namespace": "aifactory"},
	"spec": {"template": {
		"metadata": {"annotations": {"aifactory.dev/credentials-broker": "enabled", "aifactory.dev/credentials-secret": "login"}},
		"spec": {"containers": [{"name": "broker"}]},
	}},
}

combined(docs) := [{"path": "m.yaml", "contents": docs}]

findings(docs) := fs if {
	fs := syncers.deny with input as combined(docs)
}

es(spec) := {"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret", "metadata": {"name": "login", "namespace": "aifactory"}, "spec": spec}

test_an_external_secret_with_the_defaults_is_found if {
	count(findings([writeback, es({})])) == 1
	count(findings([broker, es({})])) == 1
}

test_orphan_seeded_once_is_allowed if {
	count(findings([writeback, es({"target": {"creationPolicy": "Orphan"}, "refreshPolicy": "CreatedOnce"})])) == 0
	every interval in ["0", "0s", "0h0m0s", "0m"] {
		count(findings([writeback, es({"target": {"creationPolicy": "Orphan"}, "refreshInterval": interval})])) == 0
	}
}

# Owner (the default) and Merge compare the data-hash: any write by the sidecar is synced back at once.
test_created_once_does_not_help_an_owner_or_merge_policy if {
	every policy in ["Owner", "Merge", "CreateOrMerge"] {
		count(findings([writeback, es({"target": {"creationPolicy": policy}, "refreshPolicy": "CreatedOnce", "refreshInterval": "0s"})])) == 1
	}
}

test_orphan_that_refreshes_is_found if {
	count(findings([writeback, es({"target": {"creationPolicy": "Orphan"}, "refreshInterval": "1m"})])) == 1
	count(findings([writeback, es({"target": {"creationPolicy": "Orphan"}})])) == 1 # the CRD default: 1h
	count(findings([writeback, es({"target": {"creationPolicy": "Orphan"}, "refreshPolicy": "OnChange", "refreshInterval": "0s"})])) == 1
}

test_none_writes_nothing if {
	count(findings([writeback, es({"target": {"creationPolicy": "None"}})])) == 0
}

test_target_name_defaults_to_the_external_secret_name if {
	count(findings([writeback, json.patch(es({}), [{"op": "replace", "path": "/metadata/name", "value": "other"}])])) == 0
	count(findings([writeback, json.patch(es({"target": {"name": "login"}}), [{"op": "replace", "path": "/metadata/name", "value": "other"}])])) == 1
}

test_namespaces_must_match_unless_one_is_missing if {
	count(findings([writeback, json.patch(es({}), [{"op": "replace", "path": "/metadata/namespace", "value": "team-b"}])])) == 0
	count(findings([writeback, json.patch(es({}), [{"op": "remove", "path": "/metadata/namespace"}])])) == 1
}

test_other_groups_with_the_same_kind_are_not_syncers if {
	count(findings([writeback, json.patch(es({}), [{"op": "replace", "path": "/apiVersion", "value": "example.com/v1"}])])) == 0
}

test_a_readonly_install_is_not_judged if {
	readonly := json.patch(writeback, [
		{"op": "replace", "path": "/spec/template/metadata/annotations/aifactory.dev~1credentials-mode", "value": "readOnly"},
		{"op": "replace", "path": "/spec/template/spec/containers", "value": [{"name": "agent"}]},
	])
	count(findings([readonly, es({})])) == 0
}

test_every_vault_secrets_operator_kind if {
	every kind in ["VaultStaticSecret", "VaultDynamicSecret", "VaultPKISecret", "HCPVaultSecretsApp"] {
		count(findings([broker, {"apiVersion": "secrets.hashicorp.com/v1beta1", "kind": kind, "metadata": {"name": "x", "namespace": "aifactory"}, "spec": {"destination": {"name": "login", "create": true}}}])) == 1
	}
}

ces(spec) := {"apiVersion": "external-secrets.io/v1", "kind": "ClusterExternalSecret", "metadata": {"name": "c"}, "spec": spec}

test_cluster_external_secret_namespaces if {
	count(findings([broker, ces({"externalSecretName": "login", "namespaces": ["aifactory"], "externalSecretSpec": {}})])) == 1
	count(findings([broker, ces({"externalSecretName": "login", "namespaces": ["other"], "externalSecretSpec": {}})])) == 0
	count(findings([broker, ces({"externalSecretName": "login", "namespaceSelectors": [{"matchLabels": {"a": "b"}}], "externalSecretSpec": {}})])) == 1
	count(findings([broker, ces({"externalSecretName": "login", "namespaces": ["aifactory"], "externalSecretSpec": {"target": {"creationPolicy": "Orphan"}, "refreshPolicy": "CreatedOnce"}})])) == 0
}

secret := {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "login", "namespace": "aifactory"}}

app(automated) := {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": "a", "namespace": "argocd"}, "spec": {"syncPolicy": {"automated": automated}}}

test_argo_automated_sync_and_a_committed_secret if {
	count(findings([writeback, secret, app({"selfHeal": true})])) == 1
	count(findings([writeback, secret, app({})])) == 1
	count(findings([writeback, secret, app({"enabled": false, "selfHeal": true})])) == 0
	count(findings([writeback, app({"selfHeal": true})])) == 0 # the Secret is not in the set
}

test_flux_kustomization_and_its_opt_outs if {
	ks := {"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization", "metadata": {"name": "apps", "namespace": "flux-system"}, "spec": {"interval": "10m"}}
	count(findings([broker, secret, ks])) == 1
	count(findings([broker, json.patch(secret, [{"op": "add", "path": "/metadata/annotations", "value": {"kustomize.toolkit.fluxcd.io/ssa": "IfNotPresent"}}]), ks])) == 0
	count(findings([broker, json.patch(secret, [{"op": "add", "path": "/metadata/labels", "value": {"kustomize.toolkit.fluxcd.io/reconcile": "disabled"}}]), ks])) == 0

	# kustomize's own kustomization.yaml is not Flux's
	count(findings([broker, secret, json.patch(ks, [{"op": "replace", "path": "/apiVersion", "value": "kustomize.config.k8s.io/v1beta1"}])])) == 0
}

test_the_finding_names_the_documents if {
	some f in findings([writeback, es({})])
	f.rule == "AIF009"
	f.docs == [0]
	contains(f.msg, "writeBack sidecar of release \"aifactory\"")
}
