"""The controllers that write a Secret, as the audit sees them (AIF207): their objects, and the marks
they leave on the Secrets (ownerReferences, labels, annotations).

The objects are custom resources whose CRD may not be installed: an API the server does not serve
(404 for every version tried) means that controller is absent, which is noted, not a finding. The
versions are tried newest first (External Secrets' current CRDs serve external-secrets.io/v1,
older ones v1beta1 only). Argo CD and Flux are judged from the marks alone (the tracking annotation and
Flux's labels on the Secret), so their objects are not listed. policies/audit/audit.rego decides,
with policies/lib/syncers for the objects; charts/aifactory/files/secret_syncers.py makes the same
judgement of the marks inside the writeBack sidecar and the broker (tests/test_audit_syncers.py
checks that they agree).
"""
from __future__ import annotations

from typing import Callable, Optional

from . import custom
from .source import ClusterSource

# plural -> (kind, versions newest first, what it is)
APIS = {
    "externalsecrets": ("ExternalSecret", ("external-secrets.io/v1", "external-secrets.io/v1beta1"), "External Secrets"),
    "clusterexternalsecrets": ("ClusterExternalSecret", ("external-secrets.io/v1", "external-secrets.io/v1beta1"),
                               "External Secrets"),
    "sealedsecrets": ("SealedSecret", ("bitnami.com/v1alpha1",), "Sealed Secrets"),
    "vaultstaticsecrets": ("VaultStaticSecret", ("secrets.hashicorp.com/v1beta1",), "Vault Secrets Operator"),
    "vaultdynamicsecrets": ("VaultDynamicSecret", ("secrets.hashicorp.com/v1beta1",), "Vault Secrets Operator"),
    "vaultpkisecrets": ("VaultPKISecret", ("secrets.hashicorp.com/v1beta1",), "Vault Secrets Operator"),
    "hcpvaultsecretsapps": ("HCPVaultSecretsApp", ("secrets.hashicorp.com/v1beta1",), "Vault Secrets Operator"),
    "secretproviderclasses": ("SecretProviderClass", ("secrets-store.csi.x-k8s.io/v1", "secrets-store.csi.x-k8s.io/v1alpha1"),
                              "Secrets Store CSI driver"),
}
CLUSTER_SCOPED = {"clusterexternalsecrets"}
PURPOSE = "controllers that re-assert a writeBack or broker install's Secret (AIF207)"

# The label and annotation prefixes of those controllers (and of Argo CD and Flux) kept from each Secret.
MARK_PREFIXES = ("reconcile.external-secrets.io/", "sealedsecrets.bitnami.com/", "secrets.hashicorp.com/",
                 "secrets-store.csi.k8s.io/", "argocd.argoproj.io/", "kustomize.toolkit.fluxcd.io/",
                 "helm.toolkit.fluxcd.io/")


def collect(source: ClusterSource, namespaces: Optional[list[str]], progress: Callable[[str], None],
            objects: dict, unavailable: dict, absent: dict) -> None:
    """Lists each controller's objects into `objects`; a list refused goes to `unavailable`, an API
    that is not served to `absent` (the controller is not installed: nothing to judge)."""
    apis = [custom.Api(plural, plural, kind, versions, what, namespaced=plural not in CLUSTER_SCOPED)
            for plural, (kind, versions, what) in APIS.items()]
    custom.collect(apis, source, namespaces, progress, objects, unavailable, absent, lambda _api: PURPOSE, trim)


def trim(obj: dict) -> dict:
    """What lib/syncers reads: kind, apiVersion, name, namespace, spec (a SealedSecret's ciphertext left out)."""
    meta = obj.get("metadata") or {}
    spec = dict(obj.get("spec") or {})
    if obj.get("kind") == "SealedSecret":
        spec.pop("encryptedData", None)
    return {"apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"),
            "metadata": {k: meta[k] for k in ("name", "namespace") if k in meta}, "spec": spec}


def marks(secret: dict) -> dict:
    """The controllers' marks on a Secret: its ownerReferences and their labels and annotations."""
    meta = secret.get("metadata") or {}

    def keep(d) -> dict:
        return {k: v for k, v in d.items() if isinstance(k, str) and isinstance(v, str)
                and k.startswith(MARK_PREFIXES)} if isinstance(d, dict) else {}
    refs = meta.get("ownerReferences")
    return {"owner_references": [{"apiVersion": str(r.get("apiVersion", "")), "kind": str(r.get("kind", "")),
                                  "name": str(r.get("name", ""))}
                                 for r in (refs if isinstance(refs, list) else []) if isinstance(r, dict)],
            "labels": keep(meta.get("labels")), "annotations": keep(meta.get("annotations"))}


def objects_of(inv_objects: dict) -> list[dict]:
    return [o for plural in APIS for o in inv_objects.get(plural, [])]
