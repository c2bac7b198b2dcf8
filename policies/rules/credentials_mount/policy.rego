# METADATA
# title: Claude credentials mount is one read-only file with a tight mode
# description: >-
#   A volumeMount at */.claude/.credentials.json, or a Secret (or projected Secret) volume mounted
#   as a .claude directory, must be a single-file subPath mount with readOnly: true, and the Secret
#   volume's defaultMode / items[].mode must have no write bit and no bits for others.
# custom:
#   id: AIF002
#   severity: error
#   short_title: Unsafe credentials mount
#   rationale: >-
#     The credentials file is full-scope. A directory mount exposes every key of the Secret and
#     hides the writable ~/.claude state directory; a writable mount lets any process replace the
#     login; a mode with bits for others lets every uid in the container read it. Note that
#     Claude Code does NOT refuse a 0644 file (measured), so nothing else stops a loose mode, and
#     with fsGroup kubelet turns 0400 into 0440 (group-readable), which is fine.
#   remediation: >-
#     Mount `subPath: credentials.json`, `readOnly: true` at /home/nonroot/.claude/.credentials.json
#     and set the Secret volume's defaultMode to 0400 (256) or 0440 (288).
package rules.credentials_mount

import data.lib.finding
import data.lib.workloads

# Once per document: the rules below read it several times, and a function call is not cached.
input_credentials_mounts := workloads.credentials_mounts(input)

octal(mode) := sprintf("0%o", [mode])

# bad_mode(mode): a write bit (0222) or any bit for others (0007).
bad_mode(mode) if bits.and(mode, 146) != 0

bad_mode(mode) if bits.and(mode, 7) != 0

mode_fix := "use 0400 (256) or 0440 (288): no write bit and no bits for others"

# mode_value(x) is a file mode as the API server gets it from kubectl, which reads YAML with
# go-yaml (strconv.ParseInt base 0, "_" removed): 420, 0644, 0o644, 0x1a4, 0b110100100 and an
# integral float (420.0, which reaches the API server as 420). A string of that form counts too:
# PyYAML (YAML 1.1) leaves 0o644 a string, and a quoted number is refused by the API server
# anyway. Undefined for anything else (420.5, "rw-r--r--", true): not a mode.
mode_value(x) := floor(x) if {
	is_number(x)
	x == floor(x)
}

mode_value(x) := sign(t) * unsigned(trim_left(t, "+-")) if {
	is_string(x)
	t := replace(x, "_", "")
	regex.match(`^[+-]?(0[oO]?[0-7]+|0[xX][0-9a-fA-F]+|0[bB][01]+|[1-9][0-9]*|0)$`, t)
}

sign(t) := -1 if startswith(t, "-")

else := 1

unsigned(t) := digits(substring(t, 2, -1), 8) if {
	regex.match(`^0[oO]`, t)
} else := digits(substring(t, 2, -1), 16) if {
	regex.match(`^0[xX]`, t)
} else := digits(substring(t, 2, -1), 2) if {
	regex.match(`^0[bB]`, t)
} else := digits(t, 8) if {
	startswith(t, "0")
} else := to_number(t)

digit_values := {"0": 0, "1": 1, "2": 2, "3": 3, "4": 4, "5": 5, "6": 6, "7": 7, "8": 8, "9": 9, "a": 10, "b": 11, "c": 12, "d": 13, "e": 14, "f": 15}

digits(t, base) := sum([v |
	some i, d in split(lower(t), "")
	v := digit_values[d] * power(base, (count(t) - 1) - i)
])

power(_, 0) := 1

power(b, k) := product([b | some _ in numbers.range(1, k)]) if k > 0

# given(obj, key, default): obj[key], or default when it is absent or null (the API's "unset").
given(obj, key, _) := obj[key] if obj[key] != null

given(obj, key, fallback) := fallback if not has_value(obj, key)

has_value(obj, key) if obj[key] != null

# The credentials must be one file: the file mounted by itself (a subPath), not a directory that
# holds it. subPath: "" is no subPath (the API's empty string means unset).
deny contains result if {
	workloads.input_is_workload
	some m in input_credentials_mounts
	directory(m)
	result := finding.make(rego.metadata.chain(), {
		"msg": sprintf("%s mounts the Claude credentials at %s%s as a directory: mount only the file with subPath: credentials.json at <home>/.claude/.credentials.json", [m.path, m.mount_path, m.via]),
		"path": sprintf("%s.subPath", [m.path]),
	})
}

directory(m) if workloads.sub_path(m.mount) == ""

directory(m) if m.under

deny contains result if {
	workloads.input_is_workload
	some m in input_credentials_mounts
	not m.mount.readOnly == true
	result := finding.make(rego.metadata.chain(), {
		"msg": sprintf("%s.readOnly is %s on the Claude credentials mount %s%s: set readOnly: true", [m.path, shown(m.mount, "readOnly"), m.mount_path, m.via]),
		"path": sprintf("%s.readOnly", [m.path]),
	})
}

# Secret volume: defaultMode (unset or null means 0644) applies to every item without its own mode.
mode_findings contains [path, mode, note] if {
	some m in input_credentials_mounts
	secret := m.volume.volume.secret
	mode := given(secret, "defaultMode", 420)
	uses_default_mode(secret)
	path := sprintf("%s.secret.defaultMode", [m.volume.path])
	note := unset_note(secret)
}

mode_findings contains [path, item.mode, ""] if {
	some m in input_credentials_mounts
	some k, item in m.volume.volume.secret.items
	has_value(item, "mode")
	path := sprintf("%s.secret.items[%d].mode", [m.volume.path, k])
}

# Projected volume: projected.defaultMode and each Secret source's items[].mode.
mode_findings contains [path, mode, note] if {
	some m in input_credentials_mounts
	projected := m.volume.volume.projected
	mode := given(projected, "defaultMode", 420)
	some src in projected.sources
	uses_default_mode(src.secret)
	path := sprintf("%s.projected.defaultMode", [m.volume.path])
	note := unset_note(projected)
}

mode_findings contains [path, item.mode, ""] if {
	some m in input_credentials_mounts
	some s, src in m.volume.volume.projected.sources
	some k, item in src.secret.items
	has_value(item, "mode")
	path := sprintf("%s.projected.sources[%d].secret.items[%d].mode", [m.volume.path, s, k])
}

uses_default_mode(secret) if not secret.items

uses_default_mode(secret) if {
	some item in secret.items
	not has_value(item, "mode")
}

deny contains result if {
	workloads.input_is_workload
	some [path, raw, note] in mode_findings
	mode := mode_value(raw)
	mode >= 0
	mode <= 511
	bad_mode(mode)
	result := finding.make(rego.metadata.chain(), {
		"msg": sprintf("%s is %s (decimal %d%s) on the Claude credentials Secret volume: %s", [path, octal(mode), mode, note, mode_fix]),
		"path": path,
	})
}

# Not a mode the API server takes: not an integer, or outside 0 to 0777.
deny contains result if {
	workloads.input_is_workload
	some [path, raw, _] in mode_findings
	not valid_mode(raw)
	result := finding.make(rego.metadata.chain(), {
		"msg": sprintf("%s is %s on the Claude credentials Secret volume: not a file mode (an integer from 0 to 0777, e.g. 0400); the API server refuses it; %s", [path, json.marshal(raw), mode_fix]),
		"path": path,
	})
}

valid_mode(raw) if {
	mode := mode_value(raw)
	mode >= 0
	mode <= 511
}

unset_note(vol) := "" if {
	has_value(vol, "defaultMode")
} else := ", the default when unset"

# shown(obj, key) renders a field's value for a message, "missing" when absent.
shown(obj, key) := json.marshal(obj[key]) if {
	key in object.keys(obj)
} else := "missing"
