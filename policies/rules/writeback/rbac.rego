# METADATA
# title: No Role that writes every Secret is bound to a holder of the credentials
# description: >-
#   Cross-document part of AIF007: a Role or ClusterRole granting patch, update or * on every
#   Secret (no resourceNames), bound by a RoleBinding or ClusterRoleBinding to the ServiceAccount
#   of a workload that holds the Claude credentials (its serviceAccountName, "default" when unset;
#   or a system:serviceaccounts group covering it).
# custom:
#   id: AIF007
#   severity: error
#   rationale: >-
#     Whoever runs as that ServiceAccount (the agent, and anything the agent runs) can overwrite
#     any Secret, the credentials of other installs included. A Role that writes Secrets for some
#     other controller, bound to its own ServiceAccount, cannot reach the credentials and is not
#     this policy's business.
#   remediation: >-
#     Bind the Role to another ServiceAccount, or restrict it to resourceNames: [<the credentials
#     Secret>] with verbs get and patch (remoteControl.mode: writeBack renders that Role).
package rules.writeback_rbac

import data.lib.finding
import data.lib.workloads
import data.rules.writeback

cross_document := true

# What it joins the holders with (batch.join_kinds: a large scan or audit keeps them).
joins := {"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"}

docs := workloads.combined_documents(input)

# ns_match(a, b): the same namespace; "" (a rendered chart without --namespace) matches any.
ns_match(a, b) if a == b

ns_match("", _)

ns_match(a, "") if a != ""

holders contains [w, sa] if {
	some w in docs
	workloads.is_workload(w.doc)
	workloads.holds_credentials(w.doc)
	some sa in workloads.service_accounts(w.doc)
}

# binds(b, w, sa): binding b has a subject that is ServiceAccount sa of w's namespace.
binds(b, w, sa) if {
	some sub in object.get(b.doc, "subjects", [])
	sub.kind == "ServiceAccount"
	sub.name == sa
	ns := object.get(sub, "namespace", workloads.namespace(b.doc))
	ns_match(ns, workloads.namespace(w.doc))
}

binds(b, w, _) if {
	some sub in object.get(b.doc, "subjects", [])
	sub.kind == "Group"
	sub.name in {"system:serviceaccounts", "system:authenticated", sprintf("system:serviceaccounts:%s", [workloads.namespace(w.doc)])}
}

# The binding applies to the workload's namespace: a ClusterRoleBinding everywhere, a RoleBinding in its own.
applies(b, _) if b.doc.kind == "ClusterRoleBinding"

applies(b, w) if {
	b.doc.kind == "RoleBinding"
	ns_match(workloads.namespace(b.doc), workloads.namespace(w.doc))
}

# refers(b, r): the binding's roleRef names the role (a Role only from a RoleBinding of its namespace).
refers(b, r) if {
	b.doc.roleRef.kind == "ClusterRole"
	r.doc.kind == "ClusterRole"
	b.doc.roleRef.name == r.doc.metadata.name
}

refers(b, r) if {
	b.doc.kind == "RoleBinding"
	b.doc.roleRef.kind == "Role"
	r.doc.kind == "Role"
	b.doc.roleRef.name == r.doc.metadata.name
	ns_match(workloads.namespace(r.doc), workloads.namespace(b.doc))
}

deny contains result if {
	some r in docs
	some [i, writes] in writeback.writes_every_secret(r.doc)
	not r.doc.metadata.labels["app.kubernetes.io/component"] == "credentials-writeback"
	not workloads.part_of_chart(r.doc)
	some b in docs
	b.doc.kind in {"RoleBinding", "ClusterRoleBinding"}
	refers(b, r)
	some [w, sa] in holders
	applies(b, w)
	binds(b, w, sa)
	result := finding.make(rego.metadata.chain(), {
		"msg": sprintf("rules[%d].resourceNames on %s (in %s) grants %s on every Secret (no resourceNames), and %s (in %s) gives it to ServiceAccount %s of %s (in %s), which holds the Claude credentials: bind the Role to another ServiceAccount, or restrict it to the one credentials Secret with resourceNames: [<credentialsSecretName>]", [i, workloads.describe(r.doc), r.file, concat(", ", writes), workloads.describe(b.doc), b.file, sa, workloads.describe(w.doc), w.file]),
		"path": sprintf("rules[%d].resourceNames", [i]),
		"docs": sort({r.index, b.index, w.index}),
	})
}
