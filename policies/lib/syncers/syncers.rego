# METADATA
# title: Controllers that write a Secret
# description: >-
#   The objects of External Secrets (ExternalSecret, ClusterExternalSecret), Sealed Secrets
#   (SealedSecret), the Vault Secrets Operator (VaultStaticSecret, VaultDynamicSecret, VaultPKISecret,
#   HCPVaultSecretsApp) and the Secrets Store CSI driver (SecretProviderClass secretObjects), with the
#   Secret each one writes and when it puts its copy back. Field names and behaviour as each
#   project's CRD and controller define them (docs/credentials.md, "Controllers that undo a
#   refreshed login"). Used by rules.syncers (AIF009) and the audit (AIF207).
package lib.syncers

import data.lib.workloads

group(obj) := g if {
	parts := split(object.get(obj, "apiVersion", ""), "/")
	count(parts) == 2
	g := parts[0]
} else := ""

vso_kinds := {"VaultStaticSecret", "VaultDynamicSecret", "VaultPKISecret", "HCPVaultSecretsApp"}

# Every kind of the controllers' objects judged here.
kinds := {"ExternalSecret", "ClusterExternalSecret", "SealedSecret", "SecretProviderClass"} | vso_kinds

# A Go duration of zero ("0", "0s", "0h0m0s"): ExternalSecret refreshInterval 0 means fetch once.
zero_duration(d) if regex.match(`^(0+(\.0+)?(ns|us|µs|ms|s|m|h)?)+$`, d)

# es_reasserts(spec) is why an ExternalSecret (or a ClusterExternalSecret's externalSecretSpec) with
# this spec puts its copy back into the target Secret; undefined when it never does: creationPolicy
# None writes nothing, and Orphan leaves a changed Secret alone (its data-hash check is skipped)
# unless a refresh comes (CreatedOnce, or refreshInterval 0, never refreshes again).
es_reasserts(spec) := sprintf("creationPolicy %s syncs the provider's copy back as soon as the Secret's data no longer matches its reconcile.external-secrets.io/data-hash annotation, whatever refreshInterval or refreshPolicy say", [policy]) if {
	policy := es_policy(spec)
	policy in {"Owner", "Merge", "CreateOrMerge"}
} else := "refreshPolicy OnChange syncs the provider's copy back at every change of the ExternalSecret" if {
	es_policy(spec) == "Orphan"
	object.get(spec, "refreshPolicy", "") == "OnChange"
} else := sprintf("refreshInterval %s syncs the provider's copy back at every interval", [interval]) if {
	es_policy(spec) == "Orphan"
	object.get(spec, "refreshPolicy", "") in {"", "Periodic"}
	interval := es_interval(spec)
	not zero_duration(interval)
}

es_policy(spec) := object.get(spec, ["target", "creationPolicy"], "Owner")

# The CRD's default is 1h0m0s.
es_interval(spec) := sprintf("%v", [object.get(spec, "refreshInterval", "1h0m0s")])

es_fix(obj) := sprintf("delete the ExternalSecret (`kubectl delete externalsecret %s --cascade=orphan` keeps the Secret), or seed the Secret once with spec.target.creationPolicy: Orphan and spec.refreshPolicy: CreatedOnce", [object.get(obj, ["metadata", "name"], "")])

# writes(obj) are {"namespace", "name", "what", "why", "fix"} of each Secret obj writes and re-asserts
# ("namespace" "" = any namespace: a ClusterExternalSecret with a namespace selector).
writes(obj) := ((({w |
	obj.kind == "ExternalSecret"
	group(obj) == "external-secrets.io"
	spec := object.get(obj, "spec", {})
	why := es_reasserts(spec)
	w := {
		"namespace": workloads.namespace(obj),
		"name": object.get(spec, ["target", "name"], object.get(obj, ["metadata", "name"], "")),
		"what": workloads.describe(obj), "why": why, "fix": es_fix(obj),
	}
} | {w |
	obj.kind == "ClusterExternalSecret"
	group(obj) == "external-secrets.io"
	spec := object.get(obj, "spec", {})
	es := object.get(spec, "externalSecretSpec", {})
	why := es_reasserts(es)
	some ns in ces_namespaces(spec)
	w := {
		"namespace": ns,
		"name": object.get(es, ["target", "name"], object.get(spec, "externalSecretName", object.get(obj, ["metadata", "name"], ""))),
		"what": workloads.describe(obj), "why": sprintf("its ExternalSecrets' %s", [why]),
		"fix": "delete the ClusterExternalSecret, or give its externalSecretSpec target.creationPolicy: Orphan and refreshPolicy: CreatedOnce",
	}
}) | {w |
	obj.kind == "SealedSecret"
	group(obj) == "bitnami.com"
	w := {
		"namespace": workloads.namespace(obj), "name": object.get(obj, ["metadata", "name"], ""),
		"what": workloads.describe(obj),
		"why": "the sealed-secrets controller unseals it into the Secret of the same name again at every controller start and every change of the SealedSecret",
		"fix": "remove the SealedSecret from the manifests and create the Secret out of band (`aifactory-policy credentials create-secret`); on a cluster, `kubectl delete sealedsecret <name> --cascade=orphan` keeps the Secret",
	}
}) | {w |
	obj.kind in vso_kinds
	group(obj) == "secrets.hashicorp.com"
	name := obj.spec.destination.name
	w := {
		"namespace": workloads.namespace(obj), "name": name, "what": workloads.describe(obj),
		"why": "the Vault Secrets Operator syncs its destination Secret at every refreshAfter and, with hmacSecretData (the default), whenever the Secret's data no longer matches the HMAC it recorded",
		"fix": "point its spec.destination.name at another Secret, or remove it and create the credentials Secret out of band",
	}
}) | {w |
	obj.kind == "SecretProviderClass"
	group(obj) == "secrets-store.csi.x-k8s.io"
	some i, so in object.get(obj, ["spec", "secretObjects"], [])
	w := {
		"namespace": workloads.namespace(obj), "name": so.secretName,
		"what": sprintf("%s (spec.secretObjects[%d])", [workloads.describe(obj), i]),
		"why": "the Secrets Store CSI driver writes the Secret from the mounted objects each time a pod mounts the volume, and at every rotation poll when rotation is enabled",
		"fix": "remove that secretObjects entry (mount the file from the provider, or create the credentials Secret out of band)",
	}
}

# A ClusterExternalSecret's namespaces: spec.namespaces, and any namespace ("") with a selector.
ces_namespaces(spec) := ({ns | some ns in object.get(spec, "namespaces", [])} | {"" |
	some key in {"namespaceSelector", "namespaceSelectors"}
	spec[key]
}) | {"" | count(object.get(spec, "namespaces", [])) == 0}

# same_namespace(a, b): equal, or one side unknown ("": rendered without --namespace).
same_namespace(a, b) if a == b

same_namespace("", _)

same_namespace(_, "")
