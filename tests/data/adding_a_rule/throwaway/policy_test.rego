package rules.throwaway_test

import data.rules.throwaway

marked := {"kind": "ConfigMap", "metadata": {"name": "marked", "labels": {"aifactory.dev/throwaway": "deny"}}}

test_marked_configmap_is_denied if {
	throwaway.deny == {{
		"rule": "AIF010", "severity": "warning", "path": "metadata.labels",
		"msg": "ConfigMap marked is labelled aifactory.dev/throwaway: deny",
	}} with input as marked
}

test_plain_configmap_is_allowed if {
	count(throwaway.deny) == 0 with input as {"kind": "ConfigMap", "metadata": {"name": "plain"}}
}
