"""secret-syncers: which controller puts an older value back into a Secret, read from the Secret itself.

A Secret that the writeBack sidecar or the broker keeps at the newest login is undone by a controller
that re-asserts its own copy: that copy holds a refresh token already exchanged, and the next start
presents it and revokes the login family. `owners(secret)` names each such controller from the
marks it leaves on the Secret (ownerReferences, labels, annotations), with why it re-asserts and
the fix. Each mark was read in the controller's source (docs/credentials.md, "Controllers that
undo a refreshed login", gives the versions):

  External Secrets   ownerReference ExternalSecret, or label reconcile.external-secrets.io/created-by
                     (creationPolicy Owner: any change to the data, found through the annotation
                     reconcile.external-secrets.io/data-hash, is synced back at once, whatever the
                     refreshInterval/refreshPolicy); the label reconcile.external-secrets.io/managed
                     alone is Orphan or Merge: only the ExternalSecret tells (`certain` False)
  Sealed Secrets     ownerReference SealedSecret, or annotation sealedsecrets.bitnami.com/managed,
                     .../patch or .../skip-set-owner-references "true": unsealed again at every
                     controller start and every change of the SealedSecret
  Vault Secrets Op.  ownerReference VaultStaticSecret, VaultDynamicSecret, VaultPKISecret or
                     HCPVaultSecretsApp, or label secrets.hashicorp.com/vso-ownerRefUID: synced at
                     every refreshAfter, and on drift (hmacSecretData, the default)
  Secrets Store CSI  label secrets-store.csi.k8s.io/managed "true": written from a SecretProviderClass's
                     secretObjects at every mount, and at every rotation poll
  Argo CD            annotation argocd.argoproj.io/tracking-id: every sync (automated, self-heal,
                     a person's) applies the Application's copy; prune deletes it
  Flux               label kustomize.toolkit.fluxcd.io/name (applied again at every interval unless
                     kustomize.toolkit.fluxcd.io/ssa is IfNotPresent or Ignore, or
                     kustomize.toolkit.fluxcd.io/reconcile is disabled), label
                     helm.toolkit.fluxcd.io/name (every upgrade, and drift correction)

Standard library only: shipped beside credentials_writeback.py and credentials_broker.py (same ConfigMap).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

ESO_MANAGED = "reconcile.external-secrets.io/managed"
ESO_CREATED_BY = "reconcile.external-secrets.io/created-by"
SEALED = ("sealedsecrets.bitnami.com/managed", "sealedsecrets.bitnami.com/patch",
          "sealedsecrets.bitnami.com/skip-set-owner-references")
VSO_KINDS = ("VaultStaticSecret", "VaultDynamicSecret", "VaultPKISecret", "HCPVaultSecretsApp")
VSO_OWNER_UID = "secrets.hashicorp.com/vso-ownerRefUID"
CSI_MANAGED = "secrets-store.csi.k8s.io/managed"
ARGO_TRACKING = "argocd.argoproj.io/tracking-id"
FLUX_KUSTOMIZE = "kustomize.toolkit.fluxcd.io"
FLUX_HELM = "helm.toolkit.fluxcd.io"


@dataclass(frozen=True)
class Owner:
    controller: str   # "External Secrets", "Sealed Secrets", ...
    evidence: str     # the mark on the Secret, e.g. "ownerReference ExternalSecret/claude"
    why: str          # when it puts its copy back
    fix: str
    certain: bool = True

    def describe(self, secret: str) -> str:
        return f"{self.controller} owns Secret {secret} ({self.evidence}): {self.why}. Fix: {self.fix}"


def _meta(secret: Optional[dict]) -> dict:
    m = (secret or {}).get("metadata")
    return m if isinstance(m, dict) else {}


def _strings(d) -> dict:
    return {k: v for k, v in d.items() if isinstance(k, str) and isinstance(v, str)} if isinstance(d, dict) else {}


def _refs(meta: dict) -> list[tuple[str, str, str]]:
    """(group, kind, name) of each ownerReference."""
    out = []
    for ref in meta.get("ownerReferences") or []:
        if isinstance(ref, dict):
            group = str(ref.get("apiVersion") or "").rpartition("/")[0]
            out.append((group, str(ref.get("kind") or ""), str(ref.get("name") or "")))
    return out


def _orphan(kind: str, name: str, then: str) -> str:
    return (f"`kubectl delete {kind.lower()} {name} --cascade=orphan` (the Secret stays, the controller "
            f"lets it go), then {then}")


def owners(secret: Optional[dict]) -> list[Owner]:
    """Every controller that re-asserts this Secret, judged from its metadata alone."""
    meta = _meta(secret)
    name = str(meta.get("name") or "<secret>")
    labels, annotations = _strings(meta.get("labels")), _strings(meta.get("annotations"))
    refs = _refs(meta)
    found: list[Owner] = []

    es = [n for g, k, n in refs if k == "ExternalSecret" and g == "external-secrets.io"]
    if es or ESO_CREATED_BY in labels:
        evidence = f"ownerReference ExternalSecret/{es[0]}" if es else f"label {ESO_CREATED_BY}"
        found.append(Owner(
            "External Secrets", evidence,
            "with creationPolicy Owner it syncs the provider's copy back as soon as the Secret's data "
            "no longer matches its reconcile.external-secrets.io/data-hash annotation, whatever the "
            "refreshInterval or refreshPolicy",
            _orphan("ExternalSecret", es[0] if es else "<name>",
                    f"`kubectl label secret {name} {ESO_MANAGED}- {ESO_CREATED_BY}-`; or keep the "
                    "ExternalSecret with target.creationPolicy: Orphan and refreshPolicy: CreatedOnce")))
    elif labels.get(ESO_MANAGED) == "true":
        found.append(Owner(
            "External Secrets", f"label {ESO_MANAGED}, no ownerReference",
            "an ExternalSecret with creationPolicy Merge or CreateOrMerge syncs the provider's copy back "
            "whenever the data changes; Orphan does too unless its refreshPolicy is CreatedOnce or its "
            "refreshInterval 0",
            "check the ExternalSecret (`aifactory-policy audit` reads it: AIF207); safe only with "
            "target.creationPolicy: Orphan and refreshPolicy: CreatedOnce", certain=False))

    sealed = [n for g, k, n in refs if k == "SealedSecret" and g == "bitnami.com"]
    marked = [a for a in SEALED if annotations.get(a) == "true"]
    if sealed or marked:
        found.append(Owner(
            "Sealed Secrets", f"ownerReference SealedSecret/{sealed[0]}" if sealed else f"annotation {marked[0]}",
            "the sealed-secrets controller unseals the SealedSecret of the same name again at every "
            "controller start and every change of the SealedSecret, putting the sealed login back",
            _orphan("SealedSecret", sealed[0] if sealed else name,
                    f"`kubectl annotate secret {name} " + " ".join(f"{a}-" for a in SEALED) + "`")))

    vso = [(k, n) for g, k, n in refs if k in VSO_KINDS and g == "secrets.hashicorp.com"]
    if vso or VSO_OWNER_UID in labels:
        kind, owner = vso[0] if vso else ("VaultStaticSecret", "<name>")
        found.append(Owner(
            "Vault Secrets Operator", f"ownerReference {kind}/{owner}" if vso else f"label {VSO_OWNER_UID}",
            "it syncs its destination Secret from Vault at every refreshAfter and, with hmacSecretData "
            "(the default), whenever the Secret's data no longer matches the HMAC it recorded",
            _orphan(kind, owner, "point no VSO object's spec.destination.name at this Secret")))

    if labels.get(CSI_MANAGED) == "true":
        found.append(Owner(
            "Secrets Store CSI driver", f"label {CSI_MANAGED}",
            "it writes the Secret from a SecretProviderClass's secretObjects each time a pod mounts the "
            "volume, and at every rotation poll when rotation is enabled",
            f"remove the secretObjects entry with secretName {name} from the SecretProviderClass, then "
            f"`kubectl label secret {name} {CSI_MANAGED}-`"))

    tracking = annotations.get(ARGO_TRACKING, "")
    if tracking:
        app = tracking.split(":", 1)[0]
        found.append(Owner(
            "Argo CD", f"annotation {ARGO_TRACKING} of Application {app}",
            "every sync of the Application (automated, self-heal, or a person's) applies its copy of "
            "the Secret again, and prune deletes it once it leaves the source",
            f"take the Secret out of Application {app}'s source (create it with `aifactory-policy "
            f"credentials create-secret`), then `kubectl annotate secret {name} {ARGO_TRACKING}-`"))

    if f"{FLUX_KUSTOMIZE}/name" in labels:
        policy = annotations.get(f"{FLUX_KUSTOMIZE}/ssa", "")
        off = (annotations.get(f"{FLUX_KUSTOMIZE}/reconcile") or labels.get(f"{FLUX_KUSTOMIZE}/reconcile") or "")
        if policy not in ("IfNotPresent", "Ignore") and off.lower() != "disabled":
            ks = f"{labels.get(f'{FLUX_KUSTOMIZE}/namespace', '')}/{labels[f'{FLUX_KUSTOMIZE}/name']}".lstrip("/")
            found.append(Owner(
                "Flux", f"label {FLUX_KUSTOMIZE}/name of Kustomization {ks}",
                "kustomize-controller applies its copy again at every interval (drift correction; "
                "ssa Override and Merge both keep the fields of the manifest)",
                f"annotate the Secret in the source with {FLUX_KUSTOMIZE}/ssa: IfNotPresent, or take it "
                "out of the source"))
    if f"{FLUX_HELM}/name" in labels:
        hr = f"{labels.get(f'{FLUX_HELM}/namespace', '')}/{labels[f'{FLUX_HELM}/name']}".lstrip("/")
        found.append(Owner(
            "Flux", f"label {FLUX_HELM}/name of HelmRelease {hr}",
            "helm-controller renders it from a chart: every upgrade applies the chart's copy again, "
            "and so does drift correction (spec.driftDetection.mode: enabled)",
            "render no credentials Secret from a chart: create it out of band with `aifactory-policy "
            "credentials create-secret`"))
    return found


def certain_owner(secret: Optional[dict]) -> Optional[Owner]:
    """The first controller known to re-assert the Secret, or None."""
    return next((o for o in owners(secret) if o.certain), None)
