"""`aifactory-policy audit` AIF207, offline: a dump of writeBack and broker installs whose Secrets
controllers re-assert (their marks on the Secret, and their own objects as the CRDs' list endpoints
return them), and the agreement of the audit's reading of the marks with the sidecar's and the
broker's (charts/aifactory/files/secret_syncers.py, tests/test_secret_syncers.py)."""
from __future__ import annotations

import json
import subprocess

import pytest

import audit_dump
from audit_dump import broker_install, cred_secret, install
from helpers import REPO
from test_secret_syncers import NOT_OWNED, OWNED, syncers as sidecar_syncers

NOW = audit_dump.NOW
ES_UID = "0b7c6f3e-1d2a-4c55-9f1e-2b8e0d6a7c11"


def owner(api_version, kind, name):
    return {"apiVersion": api_version, "kind": kind, "name": name, "uid": ES_UID, "controller": True,
            "blockOwnerDeletion": True}


def lst(kind, items):
    return {"kind": kind + "List", "apiVersion": "v1", "metadata": {"resourceVersion": "1"}, "items": items}


def es(ns, name, target_name, policy=None, **spec):
    target = {"name": target_name, **({"creationPolicy": policy} if policy else {})}
    return {"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret", "metadata": {"name": name, "namespace": ns},
            "spec": {"secretStoreRef": {"name": "vault", "kind": "ClusterSecretStore"}, "target": target, **spec,
                     "data": [{"secretKey": "credentials.json", "remoteRef": {"key": "aifactory/claude"}}]}}


def writeback_install(ns, release, secret_name, **secret_meta):
    dep, rs, pods = install(ns, release, secret_name, mode="writeBack")
    part = {"deployments": [dep], "replicasets": [rs], "pods": pods, "secrets": [cred_secret(ns, secret_name, release)]}
    return with_source_meta(part, secret_name, **secret_meta)


def with_source_meta(part, secret_name, **meta):
    s = next(x for x in part["secrets"] if x["metadata"]["name"] == secret_name)
    for key, value in meta.items():
        if isinstance(value, dict):
            s["metadata"].setdefault(key, {}).update(value)
        else:
            s["metadata"][key] = value
    return part


def build(with_crds=True) -> dict[str, dict]:
    """Install team-sN: what each namespace plants is in its comment; PLANTED lists the findings."""
    parts = [
        # broker; an ExternalSecret (creationPolicy Owner, the default) owns the source Secret
        with_source_meta(broker_install("team-s1", "rel-s1", "claude-s1", holder="h", renewed=audit_dump.SECONDS_AGO_5),
                         "claude-s1", ownerReferences=[owner("external-secrets.io/v1", "ExternalSecret", "claude-s1")],
                         labels={"reconcile.external-secrets.io/managed": "true"},
                         annotations={"reconcile.external-secrets.io/data-hash": "5ab0c2d1"}),
        # broker; a SealedSecret of the same name (the Secret carries no mark)
        broker_install("team-s2", "rel-s2", "claude-s2", holder="h", renewed=audit_dump.SECONDS_AGO_5),
        # writeBack; an Argo CD Application tracks the Secret
        writeback_install("team-s3", "rel-s3", "claude-s3",
                          annotations={"argocd.argoproj.io/tracking-id": "creds:/Secret:team-s3/claude-s3"}),
        # writeBack; seeded once by an Orphan + CreatedOnce ExternalSecret: only the managed label remains
        writeback_install("team-s4", "rel-s4", "claude-s4", labels={"reconcile.external-secrets.io/managed": "true"}),
        # readOnly; an ExternalSecret owns the Secret, but nothing in the cluster keeps this login fresh
        {"deployments": [install("team-s5", "rel-s5", "claude-s5")[0]],
         "secrets": [cred_secret("team-s5", "claude-s5", "s5")]},
        # broker; applied by Flux with ssa: IfNotPresent (created once, then left alone)
        with_source_meta(broker_install("team-s6", "rel-s6", "claude-s6", holder="h", renewed=audit_dump.SECONDS_AGO_5),
                         "claude-s6", labels={"kustomize.toolkit.fluxcd.io/name": "apps",
                                              "kustomize.toolkit.fluxcd.io/namespace": "flux-system"},
                         annotations={"kustomize.toolkit.fluxcd.io/ssa": "IfNotPresent"}),
        # broker; a VaultStaticSecret's destination
        broker_install("team-s7", "rel-s7", "claude-s7", holder="h", renewed=audit_dump.SECONDS_AGO_5),
    ]
    parts[4]["secrets"][0]["metadata"]["ownerReferences"] = [owner("external-secrets.io/v1", "ExternalSecret", "claude-s5")]
    objects: dict[str, list] = {}
    for part in parts:
        for k, items in part.items():
            objects.setdefault(k, []).extend(items)
    kinds = {"namespaces": "Namespace", "pods": "Pod", "secrets": "Secret", "configmaps": "ConfigMap",
             "deployments": "Deployment", "replicasets": "ReplicaSet", "statefulsets": "StatefulSet",
             "daemonsets": "DaemonSet", "jobs": "Job", "cronjobs": "CronJob", "roles": "Role",
             "rolebindings": "RoleBinding", "clusterroles": "ClusterRole", "clusterrolebindings": "ClusterRoleBinding",
             "leases": "Lease", "horizontalpodautoscalers": "HorizontalPodAutoscaler"}
    objects["namespaces"] = [{"metadata": {"name": n}} for n in sorted({d["metadata"]["namespace"] for d in objects["deployments"]})]
    dump = {name: lst(kind, objects.get(name, [])) for name, kind in kinds.items()}
    if with_crds:
        dump["externalsecrets"] = lst("ExternalSecret", [
            es("team-s1", "claude-s1", "claude-s1"),
            es("team-s4", "claude-s4", "claude-s4", "Orphan", refreshPolicy="CreatedOnce"),
            es("team-s5", "claude-s5", "claude-s5")])
        dump["clusterexternalsecrets"] = lst("ClusterExternalSecret", [])
        dump["sealedsecrets"] = lst("SealedSecret", [
            {"apiVersion": "bitnami.com/v1alpha1", "kind": "SealedSecret", "metadata": {"name": "claude-s2", "namespace": "team-s2"},
             "spec": {"encryptedData": {"credentials.json": "AgBy3i4OJSWK+PiTySYZZA=="}}}])
        dump["vaultstaticsecrets"] = lst("VaultStaticSecret", [
            {"apiVersion": "secrets.hashicorp.com/v1beta1", "kind": "VaultStaticSecret",
             "metadata": {"name": "claude", "namespace": "team-s7"},
             "spec": {"type": "kv-v2", "mount": "kv", "path": "claude", "refreshAfter": "1h",
                      "destination": {"name": "claude-s7", "create": True}}}])
    return dump


PLANTED = [("AIF207", "team-s1/Secret/claude-s1"), ("AIF207", "team-s2/Secret/claude-s2"),
           ("AIF207", "team-s3/Secret/claude-s3"), ("AIF207", "team-s7/Secret/claude-s7")]


def run_audit(cli, tmp_path, dump: dict, *extra):
    folder = tmp_path / "dump"
    folder.mkdir()
    for name, body in dump.items():
        (folder / f"{name}.json").write_text(json.dumps(body))
    out = tmp_path / "audit.json"
    res = cli("audit", "--from-dump", folder, "--now", NOW, "--format", "json", "--output", out, *extra)
    assert res.code in (0, 1), res.err
    return res, json.loads(out.read_text())


def test_finds_exactly_the_planted_syncers(cli, tmp_path):
    _, report = run_audit(cli, tmp_path, build())
    got = {(f["file"]): f["message"] for f in report["findings"] if f["rule"] == "AIF207"}
    assert sorted(("AIF207", t) for t in got) == PLANTED
    s1 = got["team-s1/Secret/claude-s1"]
    # the mark and the object of one controller are one finding, naming both
    assert s1.startswith("Secret team-s1/claude-s1 (used by install team-s1/rel-s1) is kept at the newest login by the "
                         "credentials broker, and External Secrets re-asserts it: ")
    assert "ExternalSecret team-s1/claude-s1 (creationPolicy Owner syncs" in s1 and "ownerReference ExternalSecret/claude-s1" in s1
    assert "kubectl delete externalsecret claude-s1 --cascade=orphan" in s1
    assert "Sealed Secrets re-asserts it: SealedSecret team-s2/claude-s2" in got["team-s2/Secret/claude-s2"]
    assert "by the writeBack sidecar, and Argo CD re-asserts it: annotation argocd.argoproj.io/tracking-id of Application creds" \
        in got["team-s3/Secret/claude-s3"]
    assert "Vault Secrets Operator re-asserts it: VaultStaticSecret team-s7/claude" in got["team-s7/Secret/claude-s7"]
    assert "AgBy3i4" not in json.dumps(report), "a SealedSecret's ciphertext is not carried into the facts"


def test_an_absent_controller_api_is_a_note_not_a_finding(cli, tmp_path):
    """Without the CRDs' lists (not installed: the dump has no file) only the marks on the Secrets judge."""
    _, report = run_audit(cli, tmp_path, build(with_crds=False))
    got = sorted(f["file"] for f in report["findings"] if f["rule"] == "AIF207")
    assert got == ["team-s1/Secret/claude-s1", "team-s3/Secret/claude-s3"]
    note = next(n for n in report["notes"] if n.startswith("controllers' APIs absent"))
    assert "externalsecrets not in the dump (External Secrets: counted as not installed)" in note
    assert not any(n.startswith("cannot list externalsecrets") for n in report["notes"])


def test_a_refused_controller_list_is_a_note_and_blocks_publish_only_with_a_kept_install(tmp_path):
    from aifactory_policy.audit import inventory
    from aifactory_policy.audit.source import DumpSource, Unavailable

    class Forbidding(DumpSource):
        def list(self, resource, namespace):
            if resource.name == "sealedsecrets":
                raise Unavailable("403 Forbidden", 403)
            return super().list(resource, namespace)

    folder = tmp_path / "dump"
    folder.mkdir()
    for name, body in build().items():
        (folder / f"{name}.json").write_text(json.dumps(body))
    inv = inventory.collect(Forbidding(str(folder)), None, lambda _m: None)
    assert inv.unavailable == {"sealedsecrets": "403 Forbidden"} and "sealedsecrets" not in inv.objects
    assert inventory.blocking(inv) == {"sealedsecrets": "403 Forbidden"}
    assert inventory.purpose("sealedsecrets").endswith("(AIF207)")
    inv.objects["deployments"] = [d for d in inv.objects["deployments"]
                                  if "writeBack" not in json.dumps(d) and "broker" not in json.dumps(d)]
    assert inventory.blocking(inv) == {}


def test_a_live_api_that_is_not_served_is_tried_at_the_older_version(tmp_path):
    """404 for external-secrets.io/v1 (an older External Secrets): v1beta1 is listed instead."""
    from aifactory_policy.audit import syncers
    from aifactory_policy.audit.source import Unavailable

    asked = []

    class Live:
        def list(self, resource, namespace):
            asked.append(resource.path(namespace))
            if resource.api_version == "external-secrets.io/v1beta1" and resource.name == "externalsecrets":
                return [es("a", "x", "y")]
            raise Unavailable("404 Not Found", 404)

    objects, unavailable, absent = {}, {}, {}
    syncers.collect(Live(), None, lambda _m: None, objects, unavailable, absent)
    assert "/apis/external-secrets.io/v1/externalsecrets" in asked and "/apis/external-secrets.io/v1beta1/externalsecrets" in asked
    assert [o["metadata"]["name"] for o in objects["externalsecrets"]] == ["x"] and not unavailable
    assert absent["sealedsecrets"] == "not served (Sealed Secrets is not installed: no bitnami.com/v1alpha1)"


# ---- the audit reads the marks as the sidecar and the broker do ---------------------------------

def audit_controllers(secrets: list[dict]) -> list[list[str]]:
    """data.audit.re_asserted's controllers per Secret, from the facts the audit makes of each."""
    from aifactory_policy.audit import syncers
    facts = [{"namespace": "aifactory", "name": f"s{i}", "marks": syncers.marks(s or {})} for i, s in enumerate(secrets)]
    proc = subprocess.run([str(REPO / "bin" / "opa"), "eval", "-f", "raw", "-d", str(REPO / "policies" / "audit"),
                           "-d", str(REPO / "policies" / "lib"), "--ignore", "*_test.rego", "-I",
                           '{s.name: sort({c | some [x, c, _, _, _] in data.audit.re_asserted; x.name == s.name}) '
                           '| some s in input.facts.secrets}'],
                          input=json.dumps({"facts": {"secrets": facts, "syncers": []}}), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    return [got[f"s{i}"] for i in range(len(secrets))]


def test_the_audit_and_the_pods_agree_on_every_mark():
    cases = [p.values[0] for p in OWNED + NOT_OWNED]
    want = [sorted({o.controller for o in sidecar_syncers.owners(s) if o.certain}) for s in cases]
    assert audit_controllers(cases) == want
    assert sum(1 for w in want if w) == len(OWNED)
