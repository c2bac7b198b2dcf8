# METADATA
# title: Batch evaluation of every rule
# description: >-
#   Evaluates every data.rules[name].deny over many documents in one `opa eval`:
#   input = {"documents": [{"id": 0, "file": "...", "content": <doc>}, ...]}.
#   data.batch.findings (= document_findings | cross_document_findings) is a set of {"doc",
#   "rule", "severity", "msg", "path"}; findings of the
#   cross-document rules (packages with cross_document := true) are evaluated once over the
#   combined input [{"path": file, "contents": content}, ...] and carry "doc": null and
#   "docs": [ids]. Optional "group" on a document limits the cross-document rules to the
#   documents of the same group.
package batch

import data.lib.workloads

findings := document_findings | cross_document_findings

# Per document: every rule with input = the document. (The audit evaluates shards of the
# documents in parallel processes with this rule alone.)
document_findings contains f if {
	some d in input.documents
	some name
	some r in data.rules[name].deny with input as d.content
	f := {
		"doc": d.id,
		"rule": r.rule,
		"severity": r.severity,
		"msg": r.msg,
		"path": object.get(r, "path", null),
	}
}

# The per-document findings, and which documents the whole-input rules read (whole_input_ids): the
# one answer every batch of every command gives (check and scan in batches, the audit; the engine,
# aifactory_policy/opa.py, then runs those rules once over only these documents). Every
# cross-document rule starts from a workload holding the Claude credentials (AIF005 from its
# credentials Secrets, AIF006 AIF007 and AIF008 from holds_credentials), the audit's install list
# from the workloads of an install, so that evaluation grows with the installs, not with every
# workload of a folder or a cluster.
document_evaluation := {
	"findings": document_findings,
	"whole_input_ids": whole_input_ids,
	"names": names,
	"named_documents": named_documents,
}

whole_input_ids contains d.id if {
	some d in input.documents
	whole_input_document(d.content)
}

# The workloads of an install: chart labels, or the credentials themselves.
whole_input_document(obj) if workloads.of_an_install(obj)

# The kinds the cross-document rules join the holders with, from each rule's own `joins`: the
# one list the engine keeps documents by, so a rule that learns to join a kind is given it at any
# input size.
join_kinds := {k |
	some name
	data.rules[name].cross_document == true
	some k in data.rules[name].joins
}

whole_input_document(obj) if obj.kind in join_kinds

# Lists (conftest-style input that combined_documents flattens).
whole_input_document(obj) if is_array(obj)

# Kinds too common to keep whole (ConfigMaps, Secrets: a quarter of a cluster's manifests) are read
# by name: a rule declares them in `joins_by_name`, and its `names` (input = one document) are the
# [kind, name] that document refers to (an envFrom, a credentials Secret). A batch answers both: the
# names its documents refer to, and its documents of those kinds with their names; the engine puts
# the latter aside (on disk) and gives the whole-input rules those some document of any batch named.
named_kinds := {k |
	some rule
	data.rules[rule].cross_document == true
	some k in data.rules[rule].joins_by_name
}

names contains n if {
	some rule
	data.rules[rule].cross_document == true
	count(data.rules[rule].joins_by_name) > 0
	some d in input.documents
	some n in data.rules[rule].names with input as d.content
}

named_documents contains [d.id, d.content.kind, name] if {
	some d in input.documents
	d.content.kind in named_kinds
	name := d.content.metadata.name
	is_string(name)
}

# Cross-document rules see one group of documents at a time: every document unless the caller
# sets "group" (scan --per-file: one group per file, as conftest does without --combine).
group(d) := object.get(d, "group", 0)

groups := {group(d) | some d in input.documents}

# Document indexes per group, grouped in one pass (a scan of every document per group would be
# quadratic in the number of files under scan --per-file).
group_indexes[g] contains i if {
	some i, d in input.documents
	g := group(d)
}

indexes_by_group := group_indexes

members(g) := [input.documents[i] | some i in sort(indexes_by_group[g])]

combined(ds) := [{"path": object.get(d, "file", ""), "contents": d.content} | some d in ds]

grouped if {
	some d in input.documents
	_ = d.group
}

# Once: the cross-document rules with input = every document, conftest --combine shape.
cross_document_findings contains f if {
	not grouped
	some name
	data.rules[name].cross_document == true
	some r in data.rules[name].deny with input as combined(input.documents)
	f := cross_finding(r, input.documents)
}

# Once per group when the caller grouped the documents.
cross_document_findings contains f if {
	grouped
	some name
	data.rules[name].cross_document == true
	some g in groups
	ds := members(g)
	some r in data.rules[name].deny with input as combined(ds)
	f := cross_finding(r, ds)
}

# A cross-document finding: r.docs are positions in ds, the documents the rule saw.
cross_finding(r, ds) := {
	"doc": null,
	"docs": [ds[i].id | some i in r.docs],
	"rule": r.rule,
	"severity": r.severity,
	"msg": r.msg,
	"path": object.get(r, "path", null),
} if is_array(r.docs)
