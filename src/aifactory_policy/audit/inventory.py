"""List what the audit needs from a ClusterSource, once, and note what it could not see."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

from ..rule_ids import ranges as id_ranges
from ..rules import ids, ranges
from . import custom, syncers, workload_apis
from .source import RESOURCES, ClusterSource, Unavailable

# What each list is for, so a missing permission is reported with its consequence. The rule ids come
# from the catalogue: every audit rule but AIF206 (running pods' mounts) reads the credentials
# Secrets, and every manifest rule runs on the installs' workloads and on running pods.
_SECRET_RULES = id_ranges([i for i in ids("audit") if i != "AIF206"] + ["AIF001"])
NEEDED = {
    "namespaces": "namespace count only",
    "secrets": "credentials Secrets: sharing, age, owner, token expiry, login end, scopes, controllers' marks, "
               f"Helm release history ({_SECRET_RULES})",
    "configmaps": "credentials in ConfigMaps (AIF001)",
    "pods": f"running pods: mounts and holders ({ranges('manifest')} on pods, AIF206)",
    "deployments": f"installs and their workloads ({ranges('manifest')})",
    "statefulsets": "installs and their workloads",
    "daemonsets": "installs and their workloads",
    "replicasets": "installs and their workloads, pod owners",
    "jobs": "installs and their workloads, pod owners",
    "cronjobs": "installs and their workloads",
    "horizontalpodautoscalers": "autoscalers scaling a holder of the login (AIF006)",
    "roles": "who can read the Secrets (AIF203), write-back Role width (AIF007)",
    "rolebindings": "who can read the Secrets (AIF203)",
    "clusterroles": "who can read the Secrets (AIF203)",
    "clusterrolebindings": "who can read the Secrets (AIF203)",
    "leases": "whether a broker install's credentials broker is up (AIF205, broker mode)",
}
# Lists only some installs need: missing, they leave a note, and they block --publish only when such
# an install is there (the audit ClusterRole of older charts has no leases).
NEEDED_BY = {"leases": "broker", **{n: "kept" for n in syncers.APIS}}


@dataclass
class Inventory:
    objects: dict[str, list[dict]] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)
    absent: dict[str, str] = field(default_factory=dict)   # APIs the cluster does not serve (CRDs not installed)
    absent_workload_apis: dict[str, str] = field(default_factory=dict)   # the same for the workload kinds

    def get(self, resource: str) -> list[dict]:
        return self.objects.get(resource, [])


def _broker_mode(inv: Inventory) -> bool:
    from ..credentials.broker import is_broker_mode
    return any(is_broker_mode(o) for o in inv.get("deployments"))


def _kept(inv: Inventory) -> bool:
    """An install whose Secret the writeBack sidecar or the broker keeps fresh (AIF207 judges it)."""
    from ..credentials.broker import template_annotations
    return any(template_annotations(o).get("aifactory.dev/credentials-mode") in ("writeBack", "broker")
               for o in inv.get("deployments"))


def purpose(name: str) -> str:
    api = next((a for a in workload_apis.APIS + workload_apis.AUTOSCALER_APIS if a.key == name), None)
    return NEEDED.get(name) or (workload_apis.purpose(api) if api else syncers.PURPOSE)


def absent_by_project(absent: dict[str, str]) -> str:
    """"Argo Rollouts (rollouts.argoproj.io): not served; ..." for the absent workload APIs."""
    by: dict[str, list[str]] = {}
    how: dict[str, str] = {}
    for api in workload_apis.APIS + workload_apis.AUTOSCALER_APIS:
        if api.key in absent:
            by.setdefault(api.what, []).append(api.key)
            how[api.what] = "not in the dump" if absent[api.key].startswith("not in the dump") else "not served"
    return "; ".join(f"{what} ({', '.join(keys)}): {how[what]}" for what, keys in by.items())


def blocking(inv: Inventory) -> dict[str, str]:
    """The lists that were unavailable and that this cluster's installs need (see NEEDED_BY)."""
    needs = {"broker": _broker_mode(inv), "kept": _kept(inv)}
    return {n: why for n, why in inv.unavailable.items() if needs.get(NEEDED_BY.get(n, ""), True)}


def collect(source: ClusterSource, namespaces: Optional[list[str]],
            progress: Callable[[str], None]) -> Inventory:
    inv = Inventory()
    for name in NEEDED:
        res = RESOURCES[name]
        scopes = [None] if (not namespaces or not res.namespaced) else namespaces
        items: list[dict] = []
        try:
            for ns in scopes:
                items += source.list(res, ns)
        except Unavailable as exc:
            inv.unavailable[name] = str(exc)
            progress(f"{name}: cannot list ({exc}); not checked: {NEEDED[name]}")
            continue
        for item in items:
            (item.get("metadata") or {}).pop("managedFields", None)
        inv.objects[name] = items
        progress(f"{name}: {len(items)}")
    syncers.collect(source, namespaces, progress, inv.objects, inv.unavailable, inv.absent)
    custom.collect(workload_apis.APIS + workload_apis.AUTOSCALER_APIS, source, namespaces, progress, inv.objects,
                   inv.unavailable, inv.absent_workload_apis, workload_apis.purpose, workload_apis.keep)
    return inv
