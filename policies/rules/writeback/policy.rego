# METADATA
# title: Refreshed credentials are written back, by a narrow Role
# description: >-
#   A writable Claude credentials file (a volumeMount at */.claude/.credentials.json, or a
#   credentials-holding */.claude directory, without readOnly: true) in a pod with no container
#   named credentials-writeback; and a Role/ClusterRole for write-back that grants on secrets more
#   than one resourceName or verbs beyond get/patch (Roles labelled
#   app.kubernetes.io/component: credentials-writeback), or any Role granting patch/update on all
#   secrets (empty resourceNames).
# custom:
#   id: AIF007
#   severity: error
#   short_title: Writable credentials without write-back, or a write-back Role too wide
#   rationale: >-
#     Claude Code writes the refreshed token pair back to ~/.claude/.credentials.json, and refresh
#     tokens are reported to be single-use: a writable copy that nobody persists is lost with the
#     pod, and the Secret keeps a dead refresh token. The write-back identity itself must only be
#     able to read and patch the one Secret, or a compromised agent reads every Secret.
#   remediation: >-
#     Use remoteControl.mode: writeBack (the credentials-writeback sidecar) for a writable file, or
#     mount the file readOnly: true; give the write-back Role only get and patch on
#     resourceNames: [<the credentials Secret>].
package rules.writeback

import data.lib.finding as lib_finding
import data.lib.workloads

# Once per document: the rules below read it several times, and a function call is not cached.
input_credentials_mounts := workloads.credentials_mounts(input)

finding(path, msg) := lib_finding.make(rego.metadata.chain(), {"msg": msg, "path": path})

# The sidecar persists the file of its own pod (an Argo template or a Tekton task is a pod of its own).
has_writeback(pod) if {
	some c in workloads.containers(input)
	c.pod == pod
	c.name == "credentials-writeback"
}

# A credentials file of the same container at dir/.credentials.json (paths resolved).
file_mounted(c, dir) if {
	some m in input_credentials_mounts
	m.container.path == c.path
	m.file == concat("", [dir, "/.credentials.json"])
}

# Init containers only prepare the file (they finish before the holder runs): not counted.
writable_credentials contains m if {
	some cm in input_credentials_mounts
	cm.container.type != "initContainers"
	not cm.mount.readOnly == true
	m := object.filter(cm, {"container", "mount", "mount_path", "path"})
}

# A writable .claude directory (an emptyDir, say) in a pod that holds the credentials, with no
# credentials file mounted under it: Claude Code writes the refreshed login there.
writable_credentials contains m if {
	some dm in workloads.mounts(input)
	dm.container.type != "initContainers"
	workloads.is_claude_dir_path(dm.clean_path)
	not dm.mount.readOnly == true
	not file_mounted(dm.container, dm.clean_path)
	workloads.holds_credentials(input)
	not workloads.access_only_agent(input) # its file is the receiver's, on a read-only mount
	m := object.filter(dm, {"container", "mount", "mount_path", "path"})
}

deny contains finding(m.path, sprintf("%s mounts the Claude credentials at %s writable, but no container named credentials-writeback persists refreshed tokens (refresh tokens are reported to be single-use, so the refreshed pair dies with the pod): use remoteControl.mode: writeBack, or mount the file readOnly: true", [m.path, m.mount_path])) if {
	workloads.input_is_workload
	some m in writable_credentials
	not has_writeback(m.container.pod)
}

# RBAC -------------------------------------------------------------------------------------------

rbac_kinds := {"Role", "ClusterRole"}

writeback_role if input.metadata.labels["app.kubernetes.io/component"] == "credentials-writeback"

secret_rules contains [i, r] if {
	input.kind in rbac_kinds
	some i, r in input.rules
	some res in object.get(r, "resources", [])
	res in {"secrets", "*"}
	some group in object.get(r, "apiGroups", [""])
	group in {"", "*"}
}

deny contains finding(path, sprintf("%s on %s (the credentials write-back Role) has %d entries: grant exactly the one credentials Secret, resourceNames: [<credentialsSecretName>]", [path, workloads.describe(input), count(object.get(r, "resourceNames", []))])) if {
	writeback_role
	some [i, r] in secret_rules
	count(object.get(r, "resourceNames", [])) != 1
	path := sprintf("rules[%d].resourceNames", [i])
}

deny contains finding(path, sprintf("%s on %s (the credentials write-back Role) grants %s on secrets: allow only get and patch", [path, workloads.describe(input), concat(", ", extra)])) if {
	writeback_role
	some [i, r] in secret_rules
	extra := sort({v | some v in object.get(r, "verbs", []); not v in {"get", "patch"}})
	count(extra) > 0
	path := sprintf("rules[%d].verbs", [i])
}

# Any other Role of this chart (app.kubernetes.io/part-of: aifactory) that writes every Secret.
# Other charts' Roles count only when bound to a workload that holds the credentials: that is
# judged across documents (rbac.rego, package rules.writeback_rbac).
deny contains finding(path, sprintf("%s on %s grants %s on every Secret (no resourceNames): restrict it to the one credentials Secret with resourceNames: [<credentialsSecretName>]", [path, workloads.describe(input), concat(", ", writes)])) if {
	not writeback_role
	workloads.part_of_chart(input)
	some [i, writes] in writes_every_secret(input)
	path := sprintf("rules[%d].resourceNames", [i])
}

# writes_every_secret(role) are [rule index, sorted write verbs] of the rules of a Role or
# ClusterRole that patch, update or * every Secret (no resourceNames).
writes_every_secret(role) := {[i, writes] |
	role.kind in rbac_kinds
	some i, r in role.rules
	some res in object.get(r, "resources", [])
	res in {"secrets", "*"}
	some group in object.get(r, "apiGroups", [""])
	group in {"", "*"}
	count(object.get(r, "resourceNames", [])) == 0
	writes := sort({v | some v in object.get(r, "verbs", []); v in {"patch", "update", "*"}})
	count(writes) > 0
}
