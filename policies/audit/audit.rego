# METADATA
# title: Live-cluster audit of AIFactory installs
# description: >-
#   Decides over facts that `aifactory-policy audit` gathered from a cluster (never credential
#   content: tokens arrive as per-run keyed fingerprints). input = {"documents": [batch documents,
#   each with "origin"], "facts": {now, max_age_days, login_warn_days, allow_subjects, secrets, pods,
#   roles, bindings, release_docs, brokers, syncers}}. data.audit.findings is a set of {rule, severity, msg, target, path};
#   data.audit.installs lists the installs found by chart labels or by the credentials mount.
# custom:
#   rules:
#   - id: AIF201
#     severity: error
#     short_title: The same login in two Secrets
#     rationale: >-
#       Every copy of one login is one refresh-token family: two installs on one login invalidate
#       each other, and one leak compromises both. Compared by a per-run keyed fingerprint, never
#       the content.
#     remediation: >-
#       Give every install its own login (aifactory-policy credentials login) and delete the copy.
#   - id: AIF202
#     severity: error
#     short_title: Credentials older than the rotation cadence
#     rationale: >-
#       A login that is never rotated stays valid wherever a copy of it leaked; the age comes from
#       aifactory.dev/rotated-at, created-at, else the Secret's creationTimestamp.
#     remediation: >-
#       Rotate the login (aifactory-policy credentials rotate); the default cadence is 30 days.
#   - id: AIF203
#     severity: error
#     short_title: A subject beyond the allow list can read the credentials Secret
#     rationale: >-
#       Whoever can get, list or watch the Secret holds the full-scope login.
#     remediation: >-
#       Narrow the RoleBinding/ClusterRoleBinding, or allow the subject with --allow-subject.
#   - id: AIF204
#     severity: error
#     short_title: Credentials without a service-account owner
#     rationale: >-
#       A person's login on a shared install makes every user act as that person and puts their
#       laptop and the pod in one token family. A Secret with no aifactory.dev/owner at all is
#       reported with severity warning (nobody is recorded), one owned by a person with error.
#     remediation: >-
#       Annotate the Secret with aifactory.dev/owner=system:serviceaccount:<ns>:<name> and use a
#       dedicated login, not a person's.
#   - id: AIF205
#     severity: error
#     short_title: The login in the Secret is dead, ends soon, or expired and not written back
#     rationale: >-
#       A read-only copy works until its access token expires, then every task fails with 401
#       (measured); a refused refresh is recorded by the write-back sidecar. A login has a fixed
#       end that refreshing does not move, claudeAiOauth.refreshTokenExpiresAt as Claude Code
#       stores it at sign-in (measured): past it the refresh is refused, an error; within
#       --login-warn-days (default 7) of it, a warning; a login without it is not judged. An access token
#       expired for over 15 minutes with no write-back since is reported with severity warning
#       (an idle agent, or a dead login). In broker mode the broker's state decides: its Lease,
#       the access token it published to the agents, a refusal it recorded. A broker that is down
#       while the agents' access token still works is reported with severity warning and the time
#       the agents stop working; down with that token expired, or a refused refresh, is an error.
#     remediation: >-
#       A read-only mode cannot keep a refreshed login: log in again, rotate, and use
#       remoteControl.mode=writeBack. A login that ends: log in again for the install
#       (aifactory-policy credentials login, or credentials rotate --from-login) before the end.
#       A broker that is down: bring it back (kubectl rollout status and logs of the
#       F-credentials-broker Deployment) before the agents' access token expires.
#   - id: AIF206
#     severity: error
#     short_title: One credentials Secret held by two running pods
#     rationale: >-
#       Two running pods on one Secret are two holders of one refresh-token family; whichever
#       refreshes first invalidates the other. Broker mode: the agent pods receive only the
#       access Secret and hold the Secret only if their pod spec still refers to it, and the
#       replicas of one broker Deployment are one holder (its Lease elects the one refresher).
#     remediation: >-
#       Run one pod per login: replicas 1, strategy Recreate, no second workload on the Secret.
#   - id: AIF207
#     severity: error
#     short_title: A controller re-asserts a Secret that writeBack or the broker keeps fresh
#     rationale: >-
#       An External Secrets, Sealed Secrets, Vault Secrets Operator or Secrets Store CSI sync, or an
#       Argo CD or Flux application, that writes its own copy of the Secret puts back a refresh token
#       already exchanged; the next start presents it and the login family is revoked. Judged from
#       the Secret's ownerReferences, labels and annotations and from the controllers' own objects
#       (an API that is not served: that controller is not installed). The sidecar and the broker
#       refuse to write such a Secret.
#     remediation: >-
#       Let no controller write the credentials Secret: kubectl delete <kind> <name> --cascade=orphan
#       and remove its marks, or seed it once (ExternalSecret creationPolicy Orphan, refreshPolicy
#       CreatedOnce); take it out of the GitOps source (docs/credentials.md, "Controllers that undo a
#       refreshed login").
#   - id: AIF208
#     severity: warning
#     short_title: A login without the user:sessions:claude_code scope
#     rationale: >-
#       Claude Code accepts a login with user:inference and user:profile for Remote Control
#       (measured), but Remote Control is reported to fail with logins that lack
#       user:sessions:claude_code (anthropics/claude-code #92529, #33105). The scopes are read from
#       the login's claudeAiOauth.scopes, else the Secret's aifactory.dev/scopes annotation.
#     remediation: >-
#       Log in again for the install (aifactory-policy credentials login) and check that the new
#       login's scopes hold user:sessions:claude_code; then rotate.
package audit

import data.lib.finding as lib_finding
import data.lib.syncers
import data.lib.workloads

day_ns := 86400000000000

now_ns := time.parse_rfc3339_ns(input.facts.now)

finding(rule, severity, target, msg) := lib_finding.make(rego.metadata.chain(), {"rule": rule, "severity": severity, "target": target, "msg": msg, "path": null})

target(kind, ns, name) := sprintf("%s/%s/%s", [kind, ns, name]) if ns != ""

else := sprintf("%s/%s", [kind, name])

sref(s) := sprintf("%s/%s", [s.namespace, s.name])

secret_target(s) := target("Secret", s.namespace, s.name)

date(ns) := time.format([ns, "UTC", "2006-01-02T15:04:05Z07:00"])

# Installs -----------------------------------------------------------------------------------

workload_docs contains d if {
	some d in input.documents
	d.origin == "workload"
}

# The workloads of installs: chart labels, or the credentials mount itself (workloads.of_an_install).
# A large cluster is judged batch by batch first; the batches name what the whole-input rules read
# (batch.whole_input_ids, which keeps every such workload), and the audit rules then run over those.
install_key(obj) := [workloads.namespace(obj), workloads.release(obj)]

# The workloads of each install, grouped in one pass (a lookup per install would be quadratic).
install_members[key] contains obj if {
	some d in workload_docs
	obj := d.content
	workloads.of_an_install(obj)
	key := install_key(obj)
}

how_found(members) := "chart labels" if {
	some o in members
	workloads.chart_labelled(o)
} else := "credentials mount"

installs contains i if {
	some key, members in install_members
	i := {
		"namespace": key[0],
		"release": key[1],
		"found_by": how_found(members),
		"workloads": sort([workloads.describe(o) | some o in members]),
		"secrets": sort({s | some o in members; some s in workloads.credentials_secrets(o)}),
		"modes": sort({m | some o in members; m := workloads.pod_annotations(o)["aifactory.dev/credentials-mode"]}),
	}
}

# [namespace, secret name, release] for every credentials Secret an install uses.
install_refs contains [i.namespace, s, i.release] if {
	some i in installs
	some s in i.secrets
}

install_users[[ns, name]] contains r if some [ns, name, r] in install_refs

# The whole object, built once: a lookup of install_users[key] with a ground key re-runs the rule
# body over every install (measured: a million evaluations for 1000 Secrets).
install_users_by_secret := install_users

users(s) := sort(object.get(install_users_by_secret, [[s.namespace, s.name]], set()))

used_by(s) := sprintf(" (used by %s)", [concat(", ", [sprintf("install %s/%s", [s.namespace, r]) | some r in users(s)])]) if {
	count(users(s)) > 0
} else := ""

holds_login(s) if s.material.credentials_json

holds_login(s) if count(s.material.refresh) > 0

holds_login(s) if count(s.material.access) > 0

credentials_secrets contains s if {
	some s in input.facts.secrets
	holds_login(s)
	not access_only(s)
}

credentials_secrets contains s if {
	some s in input.facts.secrets
	s.labels["aifactory.dev/credentials"] == "claude-code"
	not access_only(s)
}

credentials_secrets contains s if {
	some s in input.facts.secrets
	install_users_by_secret[[s.namespace, s.name]]
	not access_only(s)
}

# A broker's access Secret holds a copy of its source's access token without the refresh token, by
# design: not another login (AIF201, AIF202, AIF204), and its readers are the agents' receivers.
# One that holds a refresh token is a login like any other.
access_only(s) if {
	s.annotations["aifactory.dev/access-only"] == "true"
	count(s.material.refresh) == 0
}

access_only(s) if {
	some b in brokers
	[b.namespace, b.access.name] == [s.namespace, s.name]
	count(s.material.refresh) == 0
}

# (a, g) AIF201: the same login in two Secrets ---------------------------------------------

# login_keys(s): what identifies the login in s (keyed token fingerprints, the fingerprint
# annotation); two Secrets sharing a key hold the same login.
login_keys(s) := ({["refresh", f] | some f in s.material.refresh} | {["access", f] | some f in s.material.access}) | {["annotation", fa] |
	fa := s.annotations["aifactory.dev/fingerprint"]
	fa != ""
}

# Secrets by login key, built once: finding the peers of a Secret is then a lookup, not a scan.
holders[k] contains s if {
	some s in credentials_secrets
	some k in login_keys(s)
}

holders_by_key := holders

findings contains finding("AIF201", "error", secret_target(b), msg) if {
	some b in credentials_secrets
	peers := sort({sprintf("Secret %s%s", [sref(a), used_by(a)]) |
		some k in login_keys(b)
		some a in holders_by_key[k]
		sref(a) < sref(b)
	})
	count(peers) > 0
	msg := sprintf("Secret %s%s holds the same Claude login as %s (same token by keyed fingerprint, or the same aifactory.dev/fingerprint): every holder of one login shares one refresh-token family and the first refresh invalidates the others; run `claude auth login` once per install and give each install its own Secret", [sref(b), used_by(b), concat(", ", peers)])
}

# (c) AIF202: credentials older than the rotation cadence ----------------------------------

last_rotation(s) := [t, "aifactory.dev/rotated-at"] if {
	t := time.parse_rfc3339_ns(s.annotations["aifactory.dev/rotated-at"])
} else := [t, "aifactory.dev/created-at"] if {
	t := time.parse_rfc3339_ns(s.annotations["aifactory.dev/created-at"])
} else := [time.parse_rfc3339_ns(s.created), "creationTimestamp"]

findings contains finding("AIF202", "error", secret_target(s), msg) if {
	some s in credentials_secrets
	[t, source] := last_rotation(s)
	age := (now_ns - t) / day_ns
	age > input.facts.max_age_days
	msg := sprintf("Secret %s%s was last rotated %s (%s), %d days ago, beyond the %d-day rotation cadence: log in again (`claude auth login` for the install's account), replace the Secret's credentials.json, set aifactory.dev/rotated-at, and restart the pod", [sref(s), used_by(s), date(t), source, floor(age), input.facts.max_age_days])
}

# (e) AIF203: who can read the Secret ------------------------------------------------------

grants_read(rule, name) if {
	some g in object.get(rule, "apiGroups", [])
	g in {"", "*"}
	some r in object.get(rule, "resources", [])
	r in {"secrets", "*"}
	some v in object.get(rule, "verbs", [])
	v in {"get", "list", "watch", "*"}
	names_ok(rule, name)
}

names_ok(rule, _) if count(object.get(rule, "resourceNames", [])) == 0

names_ok(rule, name) if name in rule.resourceNames

role_of(b) := r if {
	b.roleRef.kind == "ClusterRole"
	some r in input.facts.roles
	r.kind == "ClusterRole"
	r.name == b.roleRef.name
} else := r if {
	b.roleRef.kind == "Role"
	some r in input.facts.roles
	r.kind == "Role"
	r.namespace == b.namespace
	r.name == b.roleRef.name
}

applies(b, _) if b.kind == "ClusterRoleBinding"

applies(b, s) if {
	b.kind == "RoleBinding"
	b.namespace == s.namespace
}

subject_id(sub) := sprintf("ServiceAccount:%s:%s", [object.get(sub, "namespace", ""), sub.name]) if {
	sub.kind == "ServiceAccount"
} else := sprintf("%s:%s", [sub.kind, sub.name])

allowed(id) if {
	some p in input.facts.allow_subjects
	glob.match(p, null, id)
}

# The install's own write-back binding: a Role labelled credentials-writeback whose secret rules
# name exactly this Secret (AIF007 judges the Role's width).
writeback_binding(b, s) if {
	b.kind == "RoleBinding"
	role := role_of(b)
	role.labels["app.kubernetes.io/component"] == "credentials-writeback"
	every rule in role.rules {
		object.get(rule, "resourceNames", []) == [s.name]
	}
}

# The install's own broker binding: a Role labelled credentials-broker that names only the broker's
# source Secret, access Secret and Lease (the chart's Role F-credentials-broker).
broker_binding(b, s) if {
	b.kind == "RoleBinding"
	role := role_of(b)
	role.labels["app.kubernetes.io/component"] == "credentials-broker"
	some br in brokers
	[br.namespace, br.secret] == [s.namespace, s.name]
	own := {s.name, br.access.name, br.lease.name}
	every rule in role.rules {
		count(object.get(rule, "resourceNames", [])) > 0
		every n in rule.resourceNames {
			n in own
		}
	}
}

binding_ref(b) := target(b.kind, b.namespace, b.name)

readers contains {"binding": binding_ref(b), "role": sprintf("%s %s", [b.roleRef.kind, b.roleRef.name]), "subject": id, "secret": sref(s)} if {
	some s in credentials_secrets
	some b in input.facts.bindings
	applies(b, s)
	not writeback_binding(b, s)
	not broker_binding(b, s)
	role := role_of(b)
	some rule in role.rules
	grants_read(rule, s.name)
	some sub in object.get(b, "subjects", [])
	id := subject_id(sub)
	not allowed(id)
}

findings contains finding("AIF203", "error", bref, msg) if {
	some [bref, role, id] in {[r.binding, r.role, r.subject] | some r in readers}
	secrets := sort({r.secret | some r in readers; r.binding == bref; r.subject == id})
	msg := sprintf("%s can read the Claude credentials Secret(s) %s through %s (%s grants get/list/watch on secrets): bind it to a Role limited to other resourceNames, or remove the subject; if it must read them, add --allow-subject %s (or a waiver with a reason)", [id, concat(", ", secrets), bref, role, id])
}

# (f) AIF204: personal credentials on a shared install ------------------------------------

service_account_owner(o, _) if regex.match(`^system:serviceaccount:[^:]+:[^:]+$`, o)

service_account_owner(o, _) if startswith(o, "svc-")

service_account_owner(_, s) if lower(s.annotations["aifactory.dev/owner-kind"]) in {"serviceaccount", "service-account"}

findings contains finding("AIF204", "warning", secret_target(s), msg) if {
	some s in credentials_secrets
	not s.annotations["aifactory.dev/owner"]
	msg := sprintf("Secret %s%s has no aifactory.dev/owner annotation: nobody is recorded as owning this login; use a dedicated service account login (not a person's) and annotate aifactory.dev/owner=<svc-… or system:serviceaccount:<ns>:<name>>", [sref(s), used_by(s)])
}

findings contains finding("AIF204", "error", secret_target(s), msg) if {
	some s in credentials_secrets
	o := s.annotations["aifactory.dev/owner"]
	not service_account_owner(o, s)
	msg := sprintf("Secret %s%s is owned by %q, which is not marked as a service account: a person's login on a shared install makes every user act as that person and puts their laptop and the pod in one token family; log in with a dedicated service account (aifactory.dev/owner=svc-… or system:serviceaccount:<ns>:<name>, or aifactory.dev/owner-kind=ServiceAccount for a service mailbox)", [sref(s), used_by(s), o])
}

# (g) AIF205: the login is dead, or expired and not written back ---------------------------
# Measured with the real Claude Code against a fake token endpoint (tests/test_token_lifecycle.py, tests/test_token_holders.py):
# a read-only copy (modes readOnly, ownedCopy, or a bare Secret mount) works until its access token
# is within ~5 min of expiry, then every task fails with 401; a refused refresh leaves the in-pod file
# empty, which the write-back sidecar records as aifactory.dev/login-state=refresh-refused.

refresh_margin_ns := 300 * 1000000000

writeback_grace_ns := 900 * 1000000000

cannot_keep_a_refresh := {"readOnly", "ownedCopy"}

# The chart modes of the workloads that use each Secret, built once (a bare mount counts as readOnly).
secret_modes[[workloads.namespace(o), name]] contains mode if {
	some d in workload_docs
	o := d.content
	some name in workloads.credentials_secrets(o)
	mode := object.get(workloads.pod_annotations(o), "aifactory.dev/credentials-mode", "readOnly")
}

secret_modes_by_key := secret_modes

modes(s) := object.get(secret_modes_by_key, [[s.namespace, s.name]], set())

refused(s) if s.annotations["aifactory.dev/login-state"] == "refresh-refused"

written_back_after(s, t) if time.parse_rfc3339_ns(s.annotations["aifactory.dev/rotated-at"]) > t

findings contains finding("AIF205", "error", secret_target(s), msg) if {
	some s in credentials_secrets
	refused(s)
	not broker_secret(s)
	msg := sprintf("Secret %s%s holds a dead login: Claude Code's refresh of it was refused at %s (recorded by the write-back sidecar), so every task fails; log in again for this install and run `aifactory-policy credentials rotate`", [sref(s), used_by(s), object.get(s.annotations, "aifactory.dev/login-state-at", "?")])
}

findings contains finding("AIF205", "error", secret_target(s), msg) if {
	some s in credentials_secrets
	not refused(s)
	expires := expiry(s)
	expires - refresh_margin_ns < now_ns
	stuck := modes(s) & cannot_keep_a_refresh
	count(stuck) > 0
	msg := sprintf("Secret %s%s holds a dead login: its access token expired %s and mode %s cannot keep a refreshed one, so every Claude Code task since fails with 401 (measured); log in again, run `aifactory-policy credentials rotate`, and use remoteControl.mode: writeBack", [sref(s), used_by(s), date(expires), concat(", ", sort(stuck))])
}

findings contains finding("AIF205", "warning", secret_target(s), msg) if {
	some s in credentials_secrets
	not refused(s)
	expires := expiry(s)
	expires + writeback_grace_ns < now_ns
	count(modes(s) & cannot_keep_a_refresh) == 0
	not broker_secret(s)
	not written_back_after(s, expires)
	msg := sprintf("Secret %s%s holds an access token that expired %s and nothing wrote a refreshed login back since: an idle agent refreshes it on its next task, but if tasks ran since, the login is dead (see the write-back sidecar's log, or `aifactory-policy credentials status`)", [sref(s), used_by(s), date(expires)])
}

# The login's end, claudeAiOauth.refreshTokenExpiresAt as Claude Code stored it: at sign-in, from the
# token endpoint or its own 30 days; a refresh keeps the earlier end (tests/test_login_end_real_claude.py).
# Past it the endpoint refuses the refresh. A login without it is not judged: never estimated.

login_warn_days := object.get(input.facts, "login_warn_days", 7)

login_end(s) := min(ends) * 1000000 if {
	ends := object.get(s.material, "refresh_expires_at_ms", [])
	count(ends) > 0
}

renew_login := "log in again for this install (`aifactory-policy credentials login`, or `aifactory-policy credentials rotate --from-login`): refreshing does not move the end"

findings contains finding("AIF205", "error", secret_target(s), msg) if {
	some s in credentials_secrets
	not refused(s)
	end := login_end(s)
	end <= now_ns
	msg := sprintf("Secret %s%s holds a login that ended at %s (claudeAiOauth.refreshTokenExpiresAt, stored by Claude Code): the token endpoint refuses its refresh, and every Claude Code task fails once the access token expires (measured); %s", [sref(s), used_by(s), date(end), renew_login])
}

findings contains finding("AIF205", "warning", secret_target(s), msg) if {
	some s in credentials_secrets
	not refused(s)
	end := login_end(s)
	end > now_ns
	end - now_ns <= login_warn_days * day_ns
	msg := sprintf("Secret %s%s holds a login that ends at %s (in %d days; claudeAiOauth.refreshTokenExpiresAt, stored by Claude Code), within the %d-day warning (--login-warn-days): %s, before then", [sref(s), used_by(s), date(end), floor((end - now_ns) / day_ns), login_warn_days, renew_login])
}

# expiresAt of the credentials JSON, else the aifactory.dev/expires-at annotation (issue 7).
expiry(s) := max(s.material.expires_at_ms) * 1000000 if {
	count(s.material.expires_at_ms) > 0
} else := time.parse_rfc3339_ns(s.annotations["aifactory.dev/expires-at"])

# (g) AIF205 in broker mode ----------------------------------------------------------------
# The broker holds the login (the source Secret) and publishes its access token alone in the access
# Secret the agents receive (docs/design.md, "Broker mode"); input.facts.brokers has, per install,
# its Lease and that Secret's annotations (aifactory_policy/credentials/broker.py finds them). The
# agents keep working until the access token they hold expires: they have no refresh token.

brokers := object.get(input.facts, "brokers", [])

broker_keys := {[b.namespace, b.secret] | some b in brokers}

broker_secret(s) if [s.namespace, s.name] in broker_keys

source_annotations(b) := s.annotations if {
	some s in input.facts.secrets
	[s.namespace, s.name] == [b.namespace, b.secret]
} else := {}

broker_refused(b) if source_annotations(b)["aifactory.dev/login-state"] == "refresh-refused"

agents_deadline(b) := time.parse_rfc3339_ns(b.access.expires_at) if b.access.expires_at != ""

agents_working(b) if agents_deadline(b) > now_ns

# Up while a holder renews the Lease within its leaseDurationSeconds.
broker_up(b) if {
	b.lease.holder != ""
	b.lease.duration_s > 0
	time.parse_rfc3339_ns(b.lease.renew_time) + (b.lease.duration_s * 1000000000) >= now_ns
}

broker_down(b) if {
	b.lease.listed
	not broker_up(b)
}

# Since the last renewal: the broker's last sign of life (a release on SIGTERM stamps it too).
down_since(b) := sprintf(" since %s", [b.lease.renew_time]) if b.lease.renew_time != ""

else := ""

down_reason(b) := sprintf("Lease %s/%s does not exist", [b.namespace, b.lease.name]) if {
	not b.lease.found
} else := sprintf("no replica holds Lease %s", [b.lease.name]) if {
	b.lease.holder == ""
} else := sprintf("Lease %s held by %s, not renewed within its leaseDurationSeconds %d", [b.lease.name, b.lease.holder, b.lease.duration_s])

broker_install(b) := sprintf("Secret %s/%s (install %s/%s, broker mode)", [b.namespace, b.secret, b.namespace, b.release])

bring_back(b) := sprintf("`kubectl -n %s rollout status deploy/%s`, `kubectl -n %s logs deploy/%s`", [b.namespace, b.deployment, b.namespace, b.deployment])

broker_state(b) := sprintf("the credentials broker is down%s (%s)", [down_since(b), down_reason(b)]) if {
	broker_down(b)
} else := sprintf("the credentials broker holds its Lease (%s) but published no newer token, so it cannot refresh", [b.lease.holder]) if {
	broker_up(b)
} else := "the broker's Lease was not read (the audit cannot list leases)"

agents_token(b) := sprintf("the agents' access token (Secret %s/%s) expired %s", [b.namespace, b.access.name, b.access.expires_at]) if {
	agents_deadline(b)
} else := sprintf("no access token is published in Secret %s/%s", [b.namespace, b.access.name])

findings contains finding("AIF205", "error", target("Secret", b.namespace, b.secret), msg) if {
	some b in brokers
	broker_refused(b)
	msg := sprintf("%s holds a dead login: the credentials broker's refresh of it was refused at %s (recorded by the broker); %s; log in again for this install and run `aifactory-policy credentials rotate` (the broker picks the new login up by itself)", [broker_install(b), object.get(source_annotations(b), "aifactory.dev/login-state-at", "?"), agents_then(b)])
}

agents_then(b) := sprintf("the agents keep working until %s, when the access token they hold expires, then every task fails", [b.access.expires_at]) if {
	agents_working(b)
} else := sprintf("%s, so every task of the agents fails", [agents_token(b)])

findings contains finding("AIF205", "error", target("Secret", b.namespace, b.secret), msg) if {
	some b in brokers
	not broker_refused(b)
	not agents_working(b)
	msg := sprintf("%s: %s and %s: every Claude Code task of the agents fails with 401; bring the broker back (%s); if its log says the login is refused or spent, log in again and run `aifactory-policy credentials rotate`", [broker_install(b), agents_token(b), broker_state(b), bring_back(b)])
}

findings contains finding("AIF205", "warning", target("Secret", b.namespace, b.secret), msg) if {
	some b in brokers
	not broker_refused(b)
	agents_working(b)
	broker_down(b)
	msg := sprintf("%s: %s; the agents keep working until %s, when the access token they hold expires, then every task fails with 401: bring the broker back before then (%s)", [broker_install(b), broker_state(b), b.access.expires_at, bring_back(b)])
}

# (g) AIF206: one Secret held by two running pods ------------------------------------------

# [namespace, Secret, pod, holder]: the holder is the pod, or for a broker's pods the broker
# workload: its replicas elect one refresher with their Lease, so they are one holder.
pod_holds contains [pod.namespace, name, pod.name, holder(pod)] if {
	some pod in input.facts.pods
	object.get(pod, "evaluate", true)
	some name in holder_secrets(pod.doc)
}

# A pod the caller marks "evaluate": false is identical to its owner's template (or is that
# workload document itself): it holds what that document holds, worked out once per owner instead
# of once per pod (with 10k pods that was most of the whole-input evaluation's time). An owner that
# is not among the documents holds nothing: the whole-input documents include every holder.
pod_holds contains [pod.namespace, name, pod.name, holder(pod)] if {
	some pod in input.facts.pods
	not object.get(pod, "evaluate", true)
	some name in root_secrets_by_target[pod.root]
}

holder(pod) := sprintf("broker %s", [pod.root]) if is_broker(pod.doc)

else := pod.name

is_broker(obj) if workloads.pod_annotations(obj)["aifactory.dev/credentials-broker"] == "enabled"

broker_agent(obj) if {
	workloads.pod_annotations(obj)["aifactory.dev/credentials-mode"] == "broker"
	not is_broker(obj)
}

# A broker-mode agent receives the access Secret only: it holds the credentials Secret the chart's
# annotation names only when its pod spec still refers to it (a volume, env or envFrom).
holder_secrets(obj) := {n | some n in workloads.credentials_secrets(obj); n in referenced_secrets(obj)} if {
	broker_agent(obj)
} else := workloads.credentials_secrets(obj)

referenced_secrets(obj) := ({n |
	some v in workloads.volumes(obj)
	some n in workloads.secret_names(v.volume)
} | {n |
	some c in workloads.containers(obj)
	some e in object.get(c.container, "env", [])
	n := e.valueFrom.secretKeyRef.name
}) | {n |
	some c in workloads.containers(obj)
	some e in object.get(c.container, "envFrom", [])
	n := e.secretRef.name
}

# Built once: a lookup in the partial rule with a ground key would evaluate its body again per pod.
root_secrets_by_target := root_secrets

root_secrets[t] contains name if {
	some d in workload_docs
	some name in holder_secrets(d.content)
	t := doc_target(d.content)
}

pods_holding[[ns, name]] contains [pod, h] if some [ns, name, pod, h] in pod_holds

findings contains finding("AIF206", "error", target("Secret", ns, name), msg) if {
	some [ns, name], held in pods_holding
	count({h | some [_, h] in held}) > 1
	pods := sort({pod | some [pod, _] in held})
	msg := sprintf("Secret %s/%s is mounted as the Claude credentials by %d running pods (%s): every pod is another holder of one refresh-token family; run one pod per login (replicas: 1, strategy Recreate, no autoscaler)%s", [ns, name, count(pods), concat(", ", pods), broker_note({h | some [_, h] in held})])
}

broker_note(holders) := " or, in broker mode, let the broker alone hold it (the agents get the access Secret; the replicas of one broker count as one holder)" if {
	some h in holders
	startswith(h, "broker ")
} else := ""

# (h) AIF208: a login without the user:sessions:claude_code scope ----------------------------
# Claude Code accepts it locally (tests/test_credentials_real_claude.py); reported to fail later.

sessions_scope := "user:sessions:claude_code"

scope_sets(s) := {sc | some sc in s.material.scopes} if {
	count(object.get(s.material, "scopes", [])) > 0
} else := {split(s.annotations["aifactory.dev/scopes"], " ")} if {
	s.annotations["aifactory.dev/scopes"] != ""
} else := set()

findings contains finding("AIF208", "warning", secret_target(s), msg) if {
	some s in credentials_secrets
	some scopes in scope_sets(s)
	not sessions_scope in scopes
	msg := sprintf("Secret %s%s holds a login whose scopes (%s) lack %s: Claude Code accepts it locally, but Remote Control is reported to fail with such logins (anthropics/claude-code #92529, #33105); log in again for this install (`aifactory-policy credentials login`), check the new login's scopes, and rotate", [sref(s), used_by(s), concat(" ", scopes), sessions_scope])
}

# (d) running pods whose credentials mount differs from policy -----------------------------
# Pods the caller marks "evaluate": false (identical to their owner's template, or top-level and
# already a workload document) would only repeat their owner's findings, which are suppressed.

doc_target(obj) := target(object.get(obj, "kind", ""), workloads.namespace(obj), object.get(obj, ["metadata", "name"], ""))

# The per-document rules of the roots of the pods evaluated below (the audit's other documents are
# judged by data.batch.document_findings, in shards the caller may run as separate processes).
evaluated_roots := {pod.root | some pod in input.facts.pods; object.get(pod, "evaluate", true)}

root_docs[t] := d.content if {
	some d in workload_docs
	t := doc_target(d.content)
	t in evaluated_roots
}

root_rules contains [t, r.rule] if {
	some t, doc in root_docs
	some name
	not data.rules[name].cross_document
	some r in data.rules[name].deny with input as doc
}

findings contains f if {
	some pod in input.facts.pods
	object.get(pod, "evaluate", true)
	some name
	not data.rules[name].cross_document
	some r in data.rules[name].deny with input as pod.doc
	not [pod.root, r.rule] in root_rules
	f := {
		"rule": r.rule, "severity": r.severity, "target": target("Pod", pod.namespace, pod.name),
		"msg": sprintf("running Pod %s/%s (of %s): %s", [pod.namespace, pod.name, pod.root, r.msg]),
		"path": object.get(r, "path", null),
	}
}

# (b) credentials in Helm release records, every revision ----------------------------------

findings contains f if {
	some d in input.facts.release_docs
	some r in data.rules.credential_material.deny with input as d.content
	f := {
		"rule": r.rule, "severity": r.severity, "target": target("Secret", d.namespace, d.secret),
		"msg": sprintf("Helm release %s/%s revision %d (%s, stored in Secret %s; `helm history` keeps it after later upgrades): %s; then delete the old revision records or uninstall and reinstall the release", [d.namespace, d.release, d.revision, d.part, d.secret, r.msg]),
		"path": object.get(r, "path", null),
	}
}

# (h) AIF207: a controller re-asserts a Secret that writeBack or the broker keeps fresh ---------
# The marks each controller leaves on the Secrets it writes, as read in its source (the same list as
# charts/aifactory/files/secret_syncers.py, which the sidecar and the broker judge with), and the
# controllers' objects that name the Secret (lib/syncers, as AIF009 judges manifests).

kept_modes := {"writeBack", "broker"}

kept_secret(s) if count(modes(s) & kept_modes) > 0

keeper(s) := "credentials broker" if "broker" in modes(s)

else := "writeBack sidecar"

api_group(ref) := g if {
	parts := split(object.get(ref, "apiVersion", ""), "/")
	count(parts) == 2
	g := parts[0]
} else := ""

marks(s) := object.get(s, "marks", {})

mark_labels(s) := object.get(marks(s), "labels", {})

mark_annotations(s) := object.get(marks(s), "annotations", {})

owner_refs(s, group, kinds) := [r | some r in object.get(marks(s), "owner_references", []); api_group(r) == group; r.kind in kinds]

eso_why := "with creationPolicy Owner it syncs the provider's copy back as soon as the Secret's data no longer matches its reconcile.external-secrets.io/data-hash annotation, whatever the refreshInterval or refreshPolicy"

re_asserted contains [s, "External Secrets", sprintf("ownerReference ExternalSecret/%s", [r.name]), eso_why, sprintf("`kubectl delete externalsecret %s --cascade=orphan`, then remove its label reconcile.external-secrets.io/managed", [r.name])] if {
	some s in input.facts.secrets
	some r in owner_refs(s, "external-secrets.io", {"ExternalSecret"})
}

re_asserted contains [s, "External Secrets", "label reconcile.external-secrets.io/created-by", eso_why, "delete the ExternalSecret with --cascade=orphan, then remove its labels"] if {
	some s in input.facts.secrets
	mark_labels(s)["reconcile.external-secrets.io/created-by"]
	count(owner_refs(s, "external-secrets.io", {"ExternalSecret"})) == 0
}

sealed_why := "the sealed-secrets controller unseals the SealedSecret of the same name again at every controller start and every change of the SealedSecret"

sealed_fix(s) := sprintf("`kubectl delete sealedsecret %s --cascade=orphan`, then remove the sealedsecrets.bitnami.com annotations", [s.name])

re_asserted contains [s, "Sealed Secrets", sprintf("ownerReference SealedSecret/%s", [r.name]), sealed_why, sealed_fix(s)] if {
	some s in input.facts.secrets
	some r in owner_refs(s, "bitnami.com", {"SealedSecret"})
}

re_asserted contains [s, "Sealed Secrets", sprintf("annotation %s", [a]), sealed_why, sealed_fix(s)] if {
	some s in input.facts.secrets
	some a in ["sealedsecrets.bitnami.com/managed", "sealedsecrets.bitnami.com/patch", "sealedsecrets.bitnami.com/skip-set-owner-references"]
	mark_annotations(s)[a] == "true"
}

vso_why := "it syncs its destination Secret from Vault at every refreshAfter and, with hmacSecretData (the default), whenever the Secret's data no longer matches the HMAC it recorded"

re_asserted contains [s, "Vault Secrets Operator", sprintf("ownerReference %s/%s", [r.kind, r.name]), vso_why, sprintf("`kubectl delete %s %s --cascade=orphan`", [lower(r.kind), r.name])] if {
	some s in input.facts.secrets
	some r in owner_refs(s, "secrets.hashicorp.com", syncers.vso_kinds)
}

re_asserted contains [s, "Vault Secrets Operator", "label secrets.hashicorp.com/vso-ownerRefUID", vso_why, "delete the VSO object whose destination is this Secret with --cascade=orphan"] if {
	some s in input.facts.secrets
	mark_labels(s)["secrets.hashicorp.com/vso-ownerRefUID"]
	count(owner_refs(s, "secrets.hashicorp.com", syncers.vso_kinds)) == 0
}

re_asserted contains [s, "Secrets Store CSI driver", "label secrets-store.csi.k8s.io/managed", "it writes the Secret from a SecretProviderClass's secretObjects each time a pod mounts the volume, and at every rotation poll when rotation is enabled", sprintf("remove the secretObjects entry with secretName %s, then the label", [s.name])] if {
	some s in input.facts.secrets
	mark_labels(s)["secrets-store.csi.k8s.io/managed"] == "true"
}

re_asserted contains [s, "Argo CD", sprintf("annotation argocd.argoproj.io/tracking-id of Application %s", [app]), "every sync of the Application (automated, self-heal, or a person's) applies its copy again, and prune deletes it once it leaves the source", sprintf("take the Secret out of Application %s's source, then remove the annotation", [app])] if {
	some s in input.facts.secrets
	tracking := mark_annotations(s)["argocd.argoproj.io/tracking-id"]
	tracking != ""
	app := split(tracking, ":")[0]
}

flux_off(s) if mark_annotations(s)["kustomize.toolkit.fluxcd.io/ssa"] in {"IfNotPresent", "Ignore"}

flux_off(s) if lower(object.get(mark_annotations(s), "kustomize.toolkit.fluxcd.io/reconcile", "")) == "disabled"

flux_off(s) if lower(object.get(mark_labels(s), "kustomize.toolkit.fluxcd.io/reconcile", "")) == "disabled"

flux_ref(labels, group) := trim_prefix(sprintf("%s/%s", [object.get(labels, concat("", [group, "/namespace"]), ""), labels[concat("", [group, "/name"])]]), "/")

re_asserted contains [s, "Flux", sprintf("label kustomize.toolkit.fluxcd.io/name of Kustomization %s", [flux_ref(mark_labels(s), "kustomize.toolkit.fluxcd.io")]), "kustomize-controller applies its copy again at every interval (drift correction)", "annotate the Secret in the source with kustomize.toolkit.fluxcd.io/ssa: IfNotPresent, or take it out of the source"] if {
	some s in input.facts.secrets
	mark_labels(s)["kustomize.toolkit.fluxcd.io/name"]
	not flux_off(s)
}

re_asserted contains [s, "Flux", sprintf("label helm.toolkit.fluxcd.io/name of HelmRelease %s", [flux_ref(mark_labels(s), "helm.toolkit.fluxcd.io")]), "helm-controller renders it from a chart: every upgrade applies the chart's copy again, and so does drift correction", "render no credentials Secret from a chart: create it out of band with `aifactory-policy credentials create-secret`"] if {
	some s in input.facts.secrets
	mark_labels(s)["helm.toolkit.fluxcd.io/name"]
}

syncer_controller := {
	"ExternalSecret": "External Secrets", "ClusterExternalSecret": "External Secrets", "SealedSecret": "Sealed Secrets",
	"VaultStaticSecret": "Vault Secrets Operator", "VaultDynamicSecret": "Vault Secrets Operator",
	"VaultPKISecret": "Vault Secrets Operator", "HCPVaultSecretsApp": "Vault Secrets Operator",
	"SecretProviderClass": "Secrets Store CSI driver",
}

re_asserted contains [s, syncer_controller[o.kind], w.what, w.why, w.fix] if {
	some o in object.get(input.facts, "syncers", [])
	some w in syncers.writes(o)
	some s in input.facts.secrets
	s.name == w.name
	syncers.same_namespace(s.namespace, w.namespace)
}

# Grouped once per Secret and controller: the mark and the object of one controller are one finding.
re_asserted_by[[s.namespace, s.name, controller]] contains [evidence, why, fix] if some [s, controller, evidence, why, fix] in re_asserted

re_asserted_index := re_asserted_by

findings contains finding("AIF207", "error", secret_target(s), msg) if {
	some s in credentials_secrets
	kept_secret(s)
	some [ns, name, controller], reasons in re_asserted_index
	[ns, name] == [s.namespace, s.name]
	listed := sort(reasons)
	msg := sprintf("Secret %s%s is kept at the newest login by the %s, and %s re-asserts it: %s. Each time it puts back a login whose refresh token was already exchanged, and the next start presents that token, which revokes the whole login family; the %s refuses to write the Secret meanwhile. Fix: %s", [sref(s), used_by(s), keeper(s), controller, concat("; ", [sprintf("%s (%s)", [r[0], r[1]]) | some r in listed]), keeper(s), listed[0][2]])
}
