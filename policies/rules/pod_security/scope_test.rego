package rules.pod_security_test

import data.rules.pod_security

# Scope: what holds or can reach the credentials, and every pod of this chart. The fixture at the
# bottom is an ordinary nginx Deployment (no securityContext); each case adds one thing to it.

scope_cases := {
	# [what is added, in scope]
	"another chart's workload": [{}, false],
	"another chart's, other annotations": [{"spec": {"template": {"metadata": {"annotations": {"aifactory.dev/remote-control": "disabled"}}}}}, false],
	"Remote Control annotation": [{"spec": {"template": {"metadata": {"annotations": {"aifactory.dev/remote-control": "enabled"}}}}}, true],
	"credentials-secret annotation": [{"spec": {"template": {"metadata": {"annotations": {"aifactory.dev/credentials-secret": "claude-remote-credentials"}}}}}, true],
	"this chart's workload (label on it)": [{"metadata": {"labels": {"app.kubernetes.io/part-of": "aifactory"}}}, true],
	"this chart's pod template": [{"spec": {"template": {"metadata": {"labels": {"app.kubernetes.io/part-of": "aifactory"}}}}}, true],
}

test_scope if {
	every _, c in scope_cases {
		flagged(object.union(nginx, c[0])) == c[1]
	}
}

# A credentials mount puts a workload in scope even without any annotation or label.
test_credentials_mount_in_scope if {
	flagged(json.patch(nginx, [
		{"op": "add", "path": "/spec/template/spec/containers/0/volumeMounts/-", "value": {"name": "c", "mountPath": "/root/.claude/.credentials.json", "subPath": "credentials.json", "readOnly": true}},
		{"op": "add", "path": "/spec/template/spec/volumes/-", "value": {"name": "c", "secret": {"secretName": "s", "defaultMode": 256}}},
	]))
}

flagged(obj) := count(findings(obj)) > 0

findings(obj) := fs if {
	fs := pod_security.deny with input as obj
}

nginx := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "web", "namespace": "shop", "labels": {"app.kubernetes.io/name": "nginx"}},
	"spec": {
		"replicas": 3,
		"selector": {"matchLabels": {"app.kubernetes.io/name": "nginx"}},
		"template": {
			"metadata": {"labels": {"app.kubernetes.io/name": "nginx"}},
			"spec": {
				"containers": [{
					"name": "nginx",
					"image": "nginx:1.27",
					"volumeMounts": [{"name": "cache", "mountPath": "/var/cache/nginx"}],
				}],
				"volumes": [{"name": "cache", "emptyDir": {}}],
			},
		},
	},
}
