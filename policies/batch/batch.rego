# METADATA
# title: Batch evaluation of every rule
# description: >-
#   Evaluates every data.rules[name].deny over many documents in one `opa eval`:
#   input = {"documents": [{"id": 0, "file": "...", "content": <doc>}, ...]}.
#   data.batch.findings is a set of {"doc", "rule", "severity", "msg", "path"}; findings of the
#   cross-document rules (packages with cross_document := true) are evaluated once over the
#   combined input [{"path": file, "contents": content}, ...] and carry "doc": null and
#   "docs": [ids].
package batch

# Per document: every rule with input = the document.
findings contains f if {
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

combined := [{"path": object.get(d, "file", ""), "contents": d.content} | some d in input.documents]

# Once: the cross-document rules with input = every document, conftest --combine shape.
findings contains f if {
	some name
	data.rules[name].cross_document == true
	some r in data.rules[name].deny with input as combined
	is_array(r.docs)
	f := {
		"doc": null,
		"docs": [input.documents[i].id | some i in r.docs],
		"rule": r.rule,
		"severity": r.severity,
		"msg": r.msg,
		"path": object.get(r, "path", null),
	}
}
