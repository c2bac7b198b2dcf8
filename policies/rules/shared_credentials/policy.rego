# METADATA
# title: One credentials Secret per install
# description: >-
#   Cross-document (conftest --combine): the same Secret (namespace + name; a manifest that leaves
#   the namespace implicit shares it with every namespace of the scan that holds that name) used as the Claude credentials (a credentials mount, or the pod template
#   annotation aifactory.dev/credentials-secret) by workloads of two different releases
#   (label app.kubernetes.io/instance, else the workload name). One finding per extra release.
# custom:
#   id: AIF005
#   severity: error
#   short_title: One credentials Secret used by two releases
#   rationale: >-
#     Every copy of one login shares one token family; refresh tokens are single-use and rotate
#     (reported), so two installs holding the same login invalidate each other, and one leak
#     compromises both. The seed lists sharing across installs as an anti-pattern.
#   remediation: >-
#     Run `claude auth login` once per install (a dedicated account), create one Secret per
#     install and set remoteControl.credentialsSecretName to it.
package rules.shared_credentials

import data.lib.finding
import data.lib.workloads

# This package reads the combined input (a list of {"path", "contents"}).
cross_document := true

# It joins holders with holders only (batch.join_kinds).
joins := set()

holders contains h if {
	some d in workloads.combined_documents(input)
	workloads.is_workload(d.doc)
	some secret in workloads.credentials_secrets(d.doc)
	h := {
		"key": [workloads.namespace(d.doc), secret],
		"release": workloads.release(d.doc),
		"workload": holder_name(d.doc),
		"file": d.file,
		"index": d.index,
	}
}

# A holder that leaves its namespace implicit says so: that is why it is counted in the other's.
holder_name(obj) := sprintf("%s, namespace not set", [workloads.describe(obj)]) if {
	workloads.namespace(obj) == ""
} else := workloads.describe(obj)

secret_ref([ns, name]) := sprintf("%s/%s", [ns, name]) if {
	ns != ""
} else := name

# The holders of each Secret as written, grouped once (a scan over every holder per Secret was quadratic).
holders_of[key] contains h if {
	some h in holders
	key := h.key
}

# The namespaces each Secret name is held in, "" for a manifest that leaves it implicit.
namespaces_of[name] contains ns if {
	some key, _ in holders_of
	[ns, name] := key
}

# A manifest without metadata.namespace is applied into whichever namespace kubectl, helm or
# the GitOps controller gives it, so its holders share the Secret of that name in every
# namespace the scan names: [ns, name] gathers the implicit holders too. Only a name that no
# manifest gives a namespace keeps the key ["", name] (each pair is then reported once).
holders_by_secret[key] := held | object.get(holders_of, [["", name]], set()) if {
	some key, held in holders_of
	[ns, name] := key
	ns != ""
}

holders_by_secret[key] := held if {
	some key, held in holders_of
	key[0] == ""
	namespaces_of[key[1]] == {""}
}

# representative(key, release) is the first holder (by workload, file) of a release.
representative(key, release) := sort([[h.workload, h.file, h.index] |
	some h in holders_by_secret[key]
	h.release == release
])[0]

deny contains result if {
	some key, held in holders_by_secret
	releases := sort({h.release | some h in held})
	count(releases) > 1
	first := releases[0]
	some extra in array.slice(releases, 1, count(releases))
	[fw, ff, _] := representative(key, first)
	[ew, ef, _] := representative(key, extra)
	docs := sort({h.index | some h in held; h.release in {first, extra}})
	result := finding.make(rego.metadata.chain(), {
		"msg": sprintf("Secret %s is the Claude credentials of release %q (%s in %s) and also of release %q (%s in %s): one login per install, since every holder of a login shares one token family; run `claude auth login` for release %q, create its own Secret and set remoteControl.credentialsSecretName to it", [secret_ref(key), first, fw, ff, extra, ew, ef, extra]),
		"path": null,
		"docs": docs,
	})
}
