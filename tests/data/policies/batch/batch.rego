# A miniature stand-in for policies/batch with the same input/output contract
# (docs/design.md "Policy input and output"), so the CLI's plumbing is tested with the real
# opa independently of the production rules. Not a copy of their logic.
package batch

import rego.v1

# raw-text mode: a token on any line, comments included
findings contains f if {
	some d in input.documents
	some i, line in d.content.aifactoryRawText.lines
	contains(line, "sk-ant-")
	f := {"doc": d.id, "rule": "AIF001", "severity": "error", "msg": sprintf("line %d holds a Claude Code token; remove it and rotate the token", [i + 1]), "path": sprintf("lines[%d]", [i])}
}

# parsed mode: a token in any string value
findings contains f if {
	some d in input.documents
	not d.content.aifactoryRawText
	walk(d.content, [p, v])
	is_string(v)
	contains(v, "sk-ant-")
	f := {"doc": d.id, "rule": "AIF001", "severity": "error", "msg": sprintf("%s holds a Claude Code token; use an existing Secret instead", [dotted(p)]), "path": dotted(p)}
}

findings contains f if {
	some d in input.documents
	d.content.kind == "Deployment"
	d.content.spec.replicas > 1
	f := {"doc": d.id, "rule": "AIF006", "severity": "error", "msg": "spec.replicas must be 1; set replicas: 1", "path": "spec.replicas"}
}

findings contains f if {
	some d in input.documents
	d.content.kind == "Deployment"
	d.content.spec.strategy.type == "RollingUpdate"
	f := {"doc": d.id, "rule": "AIF006", "severity": "warning", "msg": "spec.strategy.type RollingUpdate; use Recreate", "path": "spec.strategy.type"}
}

# cross-document: one Secret name referenced by two documents
findings contains f if {
	some name in {n | some d in input.documents; n := secret_name(d.content)}
	ids := sort([d.id | some d in input.documents; secret_name(d.content) == name])
	count(ids) > 1
	f := {"doc": null, "docs": ids, "rule": "AIF005", "severity": "error", "msg": sprintf("Secret %s is referenced by %d documents; give each release its own", [name, count(ids)]), "path": null}
}

secret_name(c) := c.remoteControl.credentialsSecretName if c.remoteControl.credentialsSecretName != ""

dotted(p) := concat("", [seg |
	some i, x in p
	seg := segment(i, x)
])

segment(_, x) := sprintf("[%d]", [x]) if is_number(x)

segment(0, x) := x if is_string(x)

segment(i, x) := sprintf(".%s", [x]) if {
	is_string(x)
	i > 0
}
