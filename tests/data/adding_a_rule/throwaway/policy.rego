# METADATA
# title: No ConfigMap marked as a throwaway
# description: >-
#   A ConfigMap labelled aifactory.dev/throwaway: deny (a rule that exists only to show what adding
#   a rule takes).
# custom:
#   id: AIF010
#   severity: warning
#   short_title: A throwaway ConfigMap
#   rationale: >-
#     None: the rule exists to measure how many files a new rule touches.
#   remediation: >-
#     Remove the aifactory.dev/throwaway label.
package rules.throwaway

import data.lib.finding

deny contains result if {
	input.kind == "ConfigMap"
	input.metadata.labels["aifactory.dev/throwaway"] == "deny"
	result := finding.make(rego.metadata.chain(), {
		"msg": sprintf("ConfigMap %s is labelled aifactory.dev/throwaway: deny", [input.metadata.name]),
		"path": "metadata.labels",
	})
}
