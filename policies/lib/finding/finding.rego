# METADATA
# title: A rule's finding, with its id and severity from the rule's METADATA
# description: >-
#   make(rego.metadata.chain(), {"msg": ..., "path": ...}) adds "rule" (custom.id) and "severity"
#   (custom.severity) from the nearest METADATA block of the calling rule that names an id: its own
#   annotation, else its package's. rego.metadata.chain() must be called in the rule itself (OPA
#   resolves it where it is written), so each deny passes it in. A field the caller sets wins: a
#   rule that emits a finding of another severity than its METADATA default says so there.
#   A package of several rules (audit, image: their ids in the package's custom.rules) names the
#   rule in fields.rule; the severity then comes from that entry. Every finding any package
#   reports is built here.
package lib.finding

# make(chain, fields): fields plus the rule id and severity of the first annotation in chain with a
# custom.id; undefined when none has one (a rule without METADATA reports nothing, and its tests fail).
make(chain, fields) := object.union({"rule": meta.id, "severity": meta.severity}, fields) if {
	meta := [a.annotations.custom | some a in chain; a.annotations.custom.id][0]
} else := object.union({"severity": listed.severity}, fields) if {
	listed := [r | some a in chain; some r in a.annotations.custom.rules; r.id == fields.rule][0]
}
