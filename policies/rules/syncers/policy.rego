# METADATA
# title: Nothing re-asserts a Secret that writeBack or the broker keeps fresh
# description: >-
#   Cross-document (conftest --combine): the credentials Secret of an install in writeBack or broker
#   mode (pod annotation aifactory.dev/credentials-mode, the credentials-writeback container, or the
#   broker's annotation; the Secret named by aifactory.dev/credentials-secret or mounted as the
#   credentials) written by an ExternalSecret or ClusterExternalSecret that puts its copy back
#   (creationPolicy Owner, Merge or CreateOrMerge; Orphan with refreshPolicy OnChange or a non-zero
#   refreshInterval), a SealedSecret of the same name, a Vault Secrets Operator object whose
#   spec.destination.name is the Secret, or a SecretProviderClass whose secretObjects name it; and
#   the Secret itself in the manifest set beside an Argo CD Application with automated sync or a
#   Flux Kustomization (unless the Secret opts out of Flux's apply). A namespace missing on either
#   side matches any.
# custom:
#   id: AIF009
#   severity: error
#   short_title: A controller re-asserts a Secret that writeBack or the broker keeps fresh
#   rationale: >-
#     The writeBack sidecar and the broker keep the newest login in the Secret; refresh tokens are
#     single-use (measured against the fake endpoint's model, reported for Anthropic's). A controller
#     that writes its own copy back puts a refresh token that was already exchanged into the Secret,
#     and the next start presents it: the server refuses it and revokes the whole login family.
#   remediation: >-
#     Create the credentials Secret out of band (aifactory-policy credentials create-secret) and let
#     no controller write it: remove the ExternalSecret, SealedSecret, VSO object or secretObjects
#     entry (or seed it once: ExternalSecret creationPolicy Orphan with refreshPolicy CreatedOnce),
#     and take the Secret out of the GitOps source (or annotate it kustomize.toolkit.fluxcd.io/ssa:
#     IfNotPresent for Flux).
package rules.syncers

import data.lib.finding
import data.lib.syncers
import data.lib.workloads

# This package reads the combined input (a list of {"path", "contents"}).
cross_document := true

# The controllers' objects it joins the holders with (batch.join_kinds), and the Secrets the holders
# keep fresh, by name (batch.named_kinds: Secrets are too common to keep whole).
joins := {"Application", "Kustomization"} | syncers.kinds

joins_by_name := {"Secret"}

names contains ["Secret", n] if {
	workloads.is_workload(input)
	m := mode(input)
	some n in kept_names(input, m)
}

docs := workloads.combined_documents(input)

# mode(obj): "broker" or "writeBack" for a workload of such an install (the chart's annotations).
mode(obj) := "broker" if {
	workloads.broker(obj)
} else := m if {
	m := workloads.pod_annotations(obj)["aifactory.dev/credentials-mode"]
	m in {"writeBack", "broker"}
} else := "writeBack" if {
	some c in workloads.containers(obj)
	c.name == "credentials-writeback"
}

# The Secrets kept fresh: [namespace, name] with the workload keeping it.
kept contains k if {
	some d in docs
	workloads.is_workload(d.doc)
	m := mode(d.doc)
	some name in kept_names(d.doc, m)
	k := {
		"namespace": workloads.namespace(d.doc), "name": name, "mode": m, "release": workloads.release(d.doc),
		"workload": workloads.describe(d.doc), "file": d.file, "index": d.index,
	}
}

# A broker-mode agent reads the access Secret only: the source Secret is the broker's.
kept_names(obj, "broker") := {n |
	n := workloads.pod_annotations(obj)["aifactory.dev/credentials-secret"]
	is_string(n)
	n != ""
}

kept_names(obj, "writeBack") := workloads.credentials_secrets(obj)

secret_ref(ns, name) := sprintf("%s/%s", [ns, name]) if ns != ""

else := name

consequence := "each time it puts back a login whose refresh token was already exchanged, and the next start presents that token, which revokes the whole login family"

deny contains result if {
	some d in docs
	some w in syncers.writes(d.doc)
	some k in kept
	k.name == w.name
	syncers.same_namespace(k.namespace, w.namespace)
	result := finding.make(rego.metadata.chain(), {
		"msg": sprintf("%s (in %s) writes Secret %s, which the %s of release %q keeps at the newest login (%s in %s): %s; %s. Fix: %s", [w.what, d.file, secret_ref(k.namespace, k.name), holder(k.mode), k.release, k.workload, k.file, w.why, consequence, w.fix]),
		"path": null,
		"docs": sort({d.index, k.index}),
	})
}

holder("broker") := "credentials broker"

holder("writeBack") := "writeBack sidecar"

# GitOps: the Secret committed to the set an automated Argo CD Application or a Flux Kustomization applies.
gitops contains g if {
	some d in docs
	d.doc.kind == "Application"
	syncers.group(d.doc) == "argoproj.io"
	automated := d.doc.spec.syncPolicy.automated
	is_object(automated)
	object.get(automated, "enabled", true) != false
	g := {
		"what": sprintf("%s (in %s, automated sync%s)", [workloads.describe(d.doc), d.file, self_heal(automated)]),
		"flux": false, "index": d.index,
		"why": "every sync applies the committed copy again (self-heal within seconds of any change, an automated sync at every commit)",
	}
}

gitops contains g if {
	some d in docs
	d.doc.kind == "Kustomization"
	syncers.group(d.doc) == "kustomize.toolkit.fluxcd.io"
	g := {
		"what": sprintf("%s (in %s)", [workloads.describe(d.doc), d.file]), "flux": true, "index": d.index,
		"why": "kustomize-controller applies the committed copy again at every interval (drift correction)",
	}
}

self_heal(a) := ", selfHeal" if a.selfHeal == true

else := ""

flux_opt_out(s) if object.get(s, ["metadata", "annotations", "kustomize.toolkit.fluxcd.io/ssa"], "") in {"IfNotPresent", "Ignore"}

flux_opt_out(s) if lower(object.get(s, ["metadata", "annotations", "kustomize.toolkit.fluxcd.io/reconcile"], "")) == "disabled"

flux_opt_out(s) if lower(object.get(s, ["metadata", "labels", "kustomize.toolkit.fluxcd.io/reconcile"], "")) == "disabled"

deny contains result if {
	some d in docs
	d.doc.kind == "Secret"
	object.get(d.doc, "apiVersion", "") == "v1"
	some k in kept
	k.name == object.get(d.doc, ["metadata", "name"], "")
	syncers.same_namespace(k.namespace, workloads.namespace(d.doc))
	some g in gitops
	not opted_out(g, d.doc)
	result := finding.make(rego.metadata.chain(), {
		"msg": sprintf("%s (in %s) is committed beside %s and is the Secret the %s of release %q keeps at the newest login (%s in %s): %s; %s. Fix: take the Secret out of the source and create it with `aifactory-policy credentials create-secret`%s", [workloads.describe(d.doc), d.file, g.what, holder(k.mode), k.release, k.workload, k.file, g.why, consequence, flux_fix(g)]),
		"path": null,
		"docs": sort({d.index, k.index, g.index}),
	})
}

opted_out(g, s) if {
	g.flux
	flux_opt_out(s)
}

flux_fix(g) := ", or annotate it kustomize.toolkit.fluxcd.io/ssa: IfNotPresent (Flux then creates it once and leaves it alone)" if g.flux

else := ""
