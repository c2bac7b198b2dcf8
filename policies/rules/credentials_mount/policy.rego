# METADATA
# title: Claude credentials mount is one read-only file with a tight mode
# description: >-
#   A volumeMount at */.claude/.credentials.json, or a Secret (or projected Secret) volume mounted
#   as a .claude directory, must be a single-file subPath mount with readOnly: true, and the Secret
#   volume's defaultMode / items[].mode must have no write bit and no bits for others.
# custom:
#   id: AIF002
#   severity: error
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

import data.lib.workloads

octal(mode) := sprintf("0%o", [mode])

# bad_mode(mode): a write bit (0222) or any bit for others (0007).
bad_mode(mode) if bits.and(mode, 146) != 0

bad_mode(mode) if bits.and(mode, 7) != 0

mode_fix := "use 0400 (256) or 0440 (288): no write bit and no bits for others"

deny contains result if {
	workloads.is_workload(input)
	some m in workloads.credentials_mounts(input)
	not m.mount.subPath
	not m.mount.subPathExpr
	result := {
		"msg": sprintf("%s mounts the Claude credentials at %s as a directory: mount only the file with subPath: credentials.json at <home>/.claude/.credentials.json", [m.path, m.mount_path]),
		"rule": "AIF002",
		"severity": "error",
		"path": sprintf("%s.subPath", [m.path]),
	}
}

deny contains result if {
	workloads.is_workload(input)
	some m in workloads.credentials_mounts(input)
	not m.mount.readOnly == true
	result := {
		"msg": sprintf("%s.readOnly is %s on the Claude credentials mount %s: set readOnly: true", [m.path, shown(m.mount, "readOnly"), m.mount_path]),
		"rule": "AIF002",
		"severity": "error",
		"path": sprintf("%s.readOnly", [m.path]),
	}
}

# Secret volume: defaultMode (unset means 0644) applies to every item without its own mode.
mode_findings contains [path, mode, note] if {
	some m in workloads.credentials_mounts(input)
	secret := m.volume.volume.secret
	mode := object.get(secret, "defaultMode", 420)
	uses_default_mode(secret)
	path := sprintf("%s.secret.defaultMode", [m.volume.path])
	note := unset_note(secret)
}

mode_findings contains [path, item.mode, ""] if {
	some m in workloads.credentials_mounts(input)
	some k, item in m.volume.volume.secret.items
	path := sprintf("%s.secret.items[%d].mode", [m.volume.path, k])
}

# Projected volume: projected.defaultMode and each Secret source's items[].mode.
mode_findings contains [path, mode, note] if {
	some m in workloads.credentials_mounts(input)
	projected := m.volume.volume.projected
	mode := object.get(projected, "defaultMode", 420)
	some src in projected.sources
	uses_default_mode(src.secret)
	path := sprintf("%s.projected.defaultMode", [m.volume.path])
	note := unset_note(projected)
}

mode_findings contains [path, item.mode, ""] if {
	some m in workloads.credentials_mounts(input)
	some s, src in m.volume.volume.projected.sources
	some k, item in src.secret.items
	path := sprintf("%s.projected.sources[%d].secret.items[%d].mode", [m.volume.path, s, k])
}

uses_default_mode(secret) if not secret.items

uses_default_mode(secret) if {
	some item in secret.items
	not item.mode
}

deny contains result if {
	workloads.is_workload(input)
	some [path, mode, note] in mode_findings
	is_number(mode)
	bad_mode(mode)
	result := {
		"msg": sprintf("%s is %s (decimal %d%s) on the Claude credentials Secret volume: %s", [path, octal(mode), mode, note, mode_fix]),
		"rule": "AIF002",
		"severity": "error",
		"path": path,
	}
}

unset_note(vol) := "" if {
	"defaultMode" in object.keys(vol)
} else := ", the default when unset"

# shown(obj, key) renders a field's value for a message, "missing" when absent.
shown(obj, key) := json.marshal(obj[key]) if {
	key in object.keys(obj)
} else := "missing"
