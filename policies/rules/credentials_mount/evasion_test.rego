package rules.credentials_mount_test

import data.rules.credentials_mount

# Evasions: what Kubernetes would do decides, not the literal text. Each case patches the fixture
# at the bottom (a Pod with the chart's correct mount) and lists the AIF002 findings' paths.

mount_cases := {
	# mountPath spelt another way: the runtime resolves all of these to the credentials file
	"dot segment": {"mountPath": "/home/nonroot/.claude/./.credentials.json", "readOnly": false},
	"double slash": {"mountPath": "/home/nonroot//.claude//.credentials.json", "readOnly": false},
	"trailing slash": {"mountPath": "/home/nonroot/.claude/.credentials.json/", "readOnly": false},
	"dot-dot": {"mountPath": "/home/nonroot/cache/../.claude/.credentials.json", "readOnly": false},
	# subPath "" / subPathExpr "" are "unset": a directory at the file's path
	"subPath empty": {"subPath": ""},
	"subPathExpr empty": {"subPath": null, "subPathExpr": ""},
}

test_mount_path_evasions if {
	want := {
		"dot segment": {"spec.containers[0].volumeMounts[0].readOnly"},
		"double slash": {"spec.containers[0].volumeMounts[0].readOnly"},
		"trailing slash": {"spec.containers[0].volumeMounts[0].readOnly"},
		"dot-dot": {"spec.containers[0].volumeMounts[0].readOnly"},
		"subPath empty": {"spec.containers[0].volumeMounts[0].subPath"},
		"subPathExpr empty": {"spec.containers[0].volumeMounts[0].subPath"},
	}
	got := {name: paths |
		some name, patch in mount_cases
		paths := finding_paths(with_mount(patch))
	}
	got == want
}

# A Secret mounted at a parent directory whose items[].path lands on the credentials file.
items_cases := {
	"home, no subPath": [{"mountPath": "/home/nonroot", "subPath": null}, ".claude/.credentials.json"],
	"home, items path with ./": [{"mountPath": "/home/nonroot", "subPath": null}, "./.claude//.credentials.json"],
	"/, items path to the home": [{"mountPath": "/", "subPath": null}, "home/nonroot/.claude/.credentials.json"],
	"home, subPath directory": [{"mountPath": "/home/nonroot/.claude", "subPath": "claude"}, "claude/.credentials.json"],
}

test_items_land_on_the_credentials_file if {
	got := {name: paths |
		some name, [patch, item_path] in items_cases
		paths := finding_paths(with_items(patch, item_path))
	}
	every _, paths in got {
		paths == {"spec.containers[0].volumeMounts[0].subPath"}
	}
	count(got) == count(items_cases)
}

test_items_message_names_where_the_file_lands if {
	some f in credentials_mount.deny with input as with_items({"mountPath": "/home/nonroot", "subPath": null}, ".claude/.credentials.json")
	f.msg == "spec.containers[0].volumeMounts[0] mounts the Claude credentials at /home/nonroot (spec.volumes[0].secret.items[0].path puts the file at /home/nonroot/.claude/.credentials.json) as a directory: mount only the file with subPath: credentials.json at <home>/.claude/.credentials.json"
}

# Items that land elsewhere are not the credentials file.
test_items_elsewhere_allowed if {
	finding_paths(with_items({"mountPath": "/home/nonroot", "subPath": null}, "config/settings.json")) == set()
	finding_paths(with_items({"mountPath": "/etc/tls", "subPath": null}, ".claude/x/.credentials.json")) == set()
}

# File modes as the API server gets them from kubectl (go-yaml, ParseInt base 0) ------------------

mode_cases := {
	# [defaultMode, the AIF002 message tail, or "" for none]
	"0o644 (YAML 1.2, a string after PyYAML)": ["0o644", "is 0644 (decimal 420)"],
	"0644 as a string": ["0644", "is 0644 (decimal 420)"],
	"0x1a4": ["0x1a4", "is 0644 (decimal 420)"],
	"0b110100100": ["0b110100100", "is 0644 (decimal 420)"],
	"4_20 (underscore)": ["4_20", "is 0644 (decimal 420)"],
	"420.0 (integral float)": [420.0, "is 0644 (decimal 420)"],
	"null is unset (0644)": [null, "is 0644 (decimal 420, the default when unset)"],
	"0o400": ["0o400", ""],
	"0440 as a string": ["0440", ""],
	"256.0": [256.0, ""],
	"420.5": [420.5, `is 420.5 on the Claude credentials Secret volume: not a file mode`],
	"rw-r--r--": ["rw-r--r--", `is "rw-r--r--" on the Claude credentials Secret volume: not a file mode`],
	"true": [true, `is true on the Claude credentials Secret volume: not a file mode`],
	"01000 (above 0777)": [512, `is 512 on the Claude credentials Secret volume: not a file mode`],
	"-1": [-1, `is -1 on the Claude credentials Secret volume: not a file mode`],
}

test_mode_values if {
	got := {name: msgs |
		some name, [mode, _] in mode_cases
		msgs := {f.msg | some f in credentials_mount.deny with input as with_default_mode(mode)}
	}
	every name, c in mode_cases {
		mode_matches(got[name], c[1])
	}
}

mode_matches(msgs, "") if msgs == set()

mode_matches(msgs, tail) if {
	tail != ""
	count(msgs) == 1
	some msg in msgs
	startswith(msg, concat(" ", ["spec.volumes[0].secret.defaultMode", tail]))
	not contains(msg, "%!")
}

# Helpers and the fixture ----------------------------------------------------------------------

finding_paths(pod) := {f.path | some f in credentials_mount.deny with input as pod}

with_mount(patch) := json.patch(fixture, [{"op": "replace", "path": "/spec/containers/0/volumeMounts/0", "value": clean(object.union(fixture.spec.containers[0].volumeMounts[0], patch))}])

with_items(patch, item_path) := json.patch(with_mount(patch), [{"op": "replace", "path": "/spec/volumes/0/secret/items/0/path", "value": item_path}])

with_default_mode(mode) := json.patch(fixture, [{"op": "replace", "path": "/spec/volumes/0/secret/defaultMode", "value": mode}])

# clean(m): null in a patch removes the key.
clean(m) := {k: v | some k, v in m; v != null}

fixture := {
	"apiVersion": "v1",
	"kind": "Pod",
	"metadata": {"name": "p", "namespace": "aifactory"},
	"spec": {
		"containers": [{
			"name": "agent",
			"image": "ghcr.io/example/aifactory:1.0.0",
			"volumeMounts": [{
				"name": "claude-credentials",
				"mountPath": "/home/nonroot/.claude/.credentials.json",
				"subPath": "credentials.json",
				"readOnly": true,
			}],
		}],
		"volumes": [{
			"name": "claude-credentials",
			"secret": {
				"secretName": "claude-remote-credentials",
				"defaultMode": 256,
				"items": [{"key": "credentials.json", "path": "credentials.json"}],
			},
		}],
	},
}

test_fixture_is_clean if finding_paths(fixture) == set()
