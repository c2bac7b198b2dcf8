# METADATA
# title: Broker-mode agents cannot reach the refresh token
# description: >-
#   On agents of a broker-mode install (pod annotation aifactory.dev/credentials-mode: broker,
#   not the broker itself): the source Secret (aifactory.dev/credentials-secret) mounted or
#   projected into the pod, or read through env secretKeyRef or envFrom secretRef by any of its
#   containers; an API token in the agent container (automountServiceAccountToken not false, or
#   a projected serviceAccountToken volume mounted into it); and (cross-document, conftest
#   --combine) a Role or ClusterRole bound to the agents' ServiceAccount that can get, list or
#   watch that Secret.
# custom:
#   id: AIF008
#   severity: error
#   short_title: Refresh token reachable from a broker-mode agent
#   rationale: >-
#     In broker mode the agent holds an access token only, so a prompt that makes the agent print
#     every file, variable and process it can read leaks nothing that outlives the access token.
#     A path from the agent to the source Secret (a mount, an env reference, or an API token and a
#     Role that reads it) hands the full-scope login, refresh token included, to whatever the
#     agent is asked to run, for the whole life of the login family.
#   remediation: >-
#     Remove the reference; the broker alone reads the source Secret, through its own
#     ServiceAccount. Keep automountServiceAccountToken: false and mount the receiver's token in the
#     credentials-receiver container only.
package rules.broker_isolation

import data.lib.finding
import data.lib.workloads

# The RBAC check reads the combined input (a list of {"path", "contents"}).
cross_document := true

# What the cross-document check joins the agents with (batch.join_kinds: a large scan keeps them).
joins := {"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"}

agent_pod if {
	workloads.input_is_workload
	workloads.broker_agent(input)
}

source := workloads.pod_annotations(input)["aifactory.dev/credentials-secret"]

deny contains result if {
	agent_pod
	some [path, what] in workloads.source_secret_refs(input)
	result := finding.make(rego.metadata.chain(), {
		"msg": sprintf("%s of %s, a broker-mode agent, refers to the source Secret %q through %s: the agent can then read the refresh token; remove it (only the credentials broker reads that Secret)", [path, workloads.describe(input), source, what]),
		"path": path,
	})
}

deny contains result if {
	agent_pod
	object.get(workloads.pod_spec(input), "automountServiceAccountToken", true) != false
	result := finding.make(rego.metadata.chain(), {
		"msg": sprintf("%s.automountServiceAccountToken is not false on %s, a broker-mode agent: every container, the agent's included, gets an API token; set it to false (the receiver mounts its own token)", [workloads.spec_path(input), workloads.describe(input)]),
		"path": sprintf("%s.automountServiceAccountToken", [workloads.spec_path(input)]),
	})
}

deny contains result if {
	agent_pod
	some m in workloads.mounts(input)
	m.container.name != "credentials-receiver"
	v := workloads.volume(input, object.get(m.mount, "name", ""))
	some src in v.volume.projected.sources
	src.serviceAccountToken
	result := finding.make(rego.metadata.chain(), {
		"msg": sprintf("%s mounts the ServiceAccount token volume %q into container %q of %s, a broker-mode agent: only the credentials-receiver container may hold an API token", [m.path, v.name, m.container.name, workloads.describe(input)]),
		"path": m.path,
	})
}

# Cross-document: a Role or ClusterRole, bound to the agents' ServiceAccount, that reads the source Secret.
deny contains result if {
	docs := workloads.combined_documents(input)
	some w in docs
	workloads.is_workload(w.doc)
	workloads.broker_agent(w.doc)
	name := workloads.pod_annotations(w.doc)["aifactory.dev/credentials-secret"]
	ns := workloads.namespace(w.doc)
	sa := object.get(workloads.pod_spec(w.doc), "serviceAccountName", "default")
	some b in docs
	b.doc.kind in {"RoleBinding", "ClusterRoleBinding"}
	some subject in object.get(b.doc, "subjects", [])
	subject.kind == "ServiceAccount"
	subject.name == sa
	object.get(subject, "namespace", workloads.namespace(b.doc)) == ns
	some r in docs
	r.doc.kind == b.doc.roleRef.kind
	r.doc.metadata.name == b.doc.roleRef.name
	some i, rule in object.get(r.doc, "rules", [])
	reads_secret(rule, name)
	result := finding.make(rego.metadata.chain(), {
		"msg": sprintf("%s (in %s) binds %s (in %s), whose rules[%d] can read Secret %q, to ServiceAccount %s/%s of the broker-mode agent %s (in %s): the agents could fetch the refresh token through the API; grant the agents only the access Secret", [workloads.describe(b.doc), b.file, workloads.describe(r.doc), r.file, i, name, ns, sa, workloads.describe(w.doc), w.file]),
		"path": sprintf("rules[%d]", [i]),
		"docs": sort({w.index, b.index, r.index}),
	})
}

reads_secret(rule, name) if {
	some res in object.get(rule, "resources", [])
	res in {"secrets", "*"}
	some group in object.get(rule, "apiGroups", [""])
	group in {"", "*"}
	some verb in object.get(rule, "verbs", [])
	verb in {"get", "list", "watch", "*"}
	names := object.get(rule, "resourceNames", [])
	any_name(names, name)
}

any_name(names, _) if count(names) == 0

any_name(names, name) if name in names
