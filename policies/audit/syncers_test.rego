package audit_syncers_test

import data.audit

# AIF207 over facts as aifactory_policy/audit/facts.py builds them: a Secret's controller marks
# (audit/syncers.py marks()) and the controllers' objects (facts.syncers).

mode_workload(mode) := {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "a", "namespace": "ns"}, "spec": {"template": {
	"metadata": {"annotations": {"aifactory.dev/credentials-secret": "login", "aifactory.dev/credentials-mode": mode}},
	"spec": {"containers": [{"name": "agent"}]},
}}}

login(marks) := {
	"namespace": "ns", "name": "login", "type": "Opaque", "created": "2026-12-01T00:00:00Z",
	"annotations": {"aifactory.dev/owner": "svc-a", "aifactory.dev/rotated-at": "2026-12-01T00:00:00Z"}, "labels": {},
	"material": {"refresh": ["r"], "access": ["a"], "api_keys": [], "expires_at_ms": [], "credentials_json": true},
	"marks": marks,
}

facts(secret, objects) := {
	"now": "2026-12-01T12:00:00Z", "max_age_days": 30, "allow_subjects": [], "secrets": [secret], "pods": [],
	"release_docs": [], "roles": [], "bindings": [], "brokers": [], "syncers": objects,
}

aif207(mode, marks, objects) := {f.msg |
	some f in audit.findings with input as {"documents": [{"id": 0, "file": "x", "origin": "workload", "content": mode_workload(mode)}], "facts": facts(login(marks), objects)}
	f.rule == "AIF207"
}

no_marks := {"owner_references": [], "labels": {}, "annotations": {}}

es_owner := {"owner_references": [{"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret", "name": "login"}], "labels": {}, "annotations": {}}

es(spec) := {"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret", "metadata": {"name": "login", "namespace": "ns"}, "spec": spec}

test_an_owner_reference_in_writeback_and_broker_modes if {
	count(aif207("writeBack", es_owner, [])) == 1
	count(aif207("broker", es_owner, [])) == 1
	count(aif207("readOnly", es_owner, [])) == 0
	count(aif207("ownedCopy", es_owner, [])) == 0
}

test_mark_and_object_of_one_controller_are_one_finding if {
	[msg] := [m | some m in aif207("writeBack", es_owner, [es({})])]
	contains(msg, "External Secrets re-asserts it: ExternalSecret ns/login (creationPolicy Owner")
	contains(msg, "; ownerReference ExternalSecret/login (")
}

test_two_controllers_two_findings if {
	marks := json.patch(es_owner, [{"op": "add", "path": "/annotations/argocd.argoproj.io~1tracking-id", "value": "app:/Secret:ns/login"}])
	count(aif207("broker", marks, [])) == 2
}

test_an_orphan_created_once_external_secret_is_no_finding if {
	managed := json.patch(no_marks, [{"op": "add", "path": "/labels/reconcile.external-secrets.io~1managed", "value": "true"}])
	count(aif207("writeBack", managed, [es({"target": {"creationPolicy": "Orphan"}, "refreshPolicy": "CreatedOnce"})])) == 0
	count(aif207("writeBack", managed, [es({"target": {"creationPolicy": "Orphan"}, "refreshInterval": "5m"})])) == 1
}

test_objects_of_another_secret_or_namespace_are_no_finding if {
	count(aif207("broker", no_marks, [es({"target": {"name": "other"}})])) == 0
	count(aif207("broker", no_marks, [json.patch(es({}), [{"op": "replace", "path": "/metadata/namespace", "value": "other"}])])) == 0
}

test_flux_opt_outs if {
	flux := {"owner_references": [], "labels": {"kustomize.toolkit.fluxcd.io/name": "apps", "kustomize.toolkit.fluxcd.io/namespace": "flux-system"}, "annotations": {}}
	[msg] := [m | some m in aif207("broker", flux, [])]
	contains(msg, "Kustomization flux-system/apps")
	count(aif207("broker", json.patch(flux, [{"op": "add", "path": "/annotations/kustomize.toolkit.fluxcd.io~1ssa", "value": "IfNotPresent"}]), [])) == 0
}

test_facts_without_marks_or_syncers if {
	count(aif207("broker", no_marks, [])) == 0
	secret := object.remove(login(no_marks), ["marks"])
	count({f | some f in audit.findings with input as {"documents": [{"id": 0, "file": "x", "origin": "workload", "content": mode_workload("broker")}], "facts": object.remove(facts(secret, []), ["syncers"])}; f.rule == "AIF207"}) == 0
}
