"""Where the audit reads the cluster from: the live API (kubernetes client) or recorded dumps.

Both sources return what the API server's list endpoints return (`{"items": [...]}` pages), as
plain JSON dicts with `apiVersion` and `kind` filled in, so every later step is one code path.
Read-only: only list (GET) requests are ever made.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Callable, Optional, Protocol

from ..findings import EvaluationError
from ..kube_request import request
from ..tools import KUBERNETES_MISSING


@dataclass(frozen=True)
class Resource:
    name: str          # plural, as in the API path ("secrets")
    kind: str          # kind of each item ("Secret")
    api_version: str   # "v1", "apps/v1", ...
    namespaced: bool = True
    dump: str = ""     # the dump's file name when the plural is not unique ("services.serving.knative.dev")

    @property
    def key(self) -> str:
        return self.dump or self.name

    def path(self, namespace: Optional[str]) -> str:
        base = "/api/v1" if self.api_version == "v1" else f"/apis/{self.api_version}"
        if self.namespaced and namespace:
            return f"{base}/namespaces/{namespace}/{self.name}"
        return f"{base}/{self.name}"


RESOURCES = {r.name: r for r in (
    Resource("namespaces", "Namespace", "v1", namespaced=False),
    Resource("pods", "Pod", "v1"),
    Resource("secrets", "Secret", "v1"),
    Resource("configmaps", "ConfigMap", "v1"),
    Resource("serviceaccounts", "ServiceAccount", "v1"),
    Resource("deployments", "Deployment", "apps/v1"),
    Resource("statefulsets", "StatefulSet", "apps/v1"),
    Resource("daemonsets", "DaemonSet", "apps/v1"),
    Resource("replicasets", "ReplicaSet", "apps/v1"),
    Resource("jobs", "Job", "batch/v1"),
    Resource("cronjobs", "CronJob", "batch/v1"),
    Resource("horizontalpodautoscalers", "HorizontalPodAutoscaler", "autoscaling/v2"),
    Resource("roles", "Role", "rbac.authorization.k8s.io/v1"),
    Resource("rolebindings", "RoleBinding", "rbac.authorization.k8s.io/v1"),
    Resource("clusterroles", "ClusterRole", "rbac.authorization.k8s.io/v1", namespaced=False),
    Resource("clusterrolebindings", "ClusterRoleBinding", "rbac.authorization.k8s.io/v1", namespaced=False),
    Resource("leases", "Lease", "coordination.k8s.io/v1"),
)}


class Unavailable(Exception):
    """A list the source cannot give (RBAC forbids it, or the dump does not hold it). `status`: the
    API's answer (404: the API is not served, e.g. a CRD that is not installed), 0 for a dump."""

    def __init__(self, message: str, status: int = 0):
        super().__init__(message)
        self.status = status


class ClusterSource(Protocol):
    description: str

    def list(self, resource: Resource, namespace: Optional[str]) -> list[dict]:
        """Every item of `resource` (in `namespace`, or cluster-wide when None); raises Unavailable."""


def _items(resource: Resource, body: dict) -> list[dict]:
    out = []
    for item in body.get("items") or []:
        if isinstance(item, dict):
            item = dict(item)
            item.setdefault("apiVersion", resource.api_version)
            item.setdefault("kind", resource.kind)
            out.append(item)
    return out


class DumpSource:
    """A folder of recorded list responses: `<resource>.json` (e.g. secrets.json; a custom resource
    whose plural is not unique as `<plural>.<group>.json`, e.g. services.serving.knative.dev.json,
    the name kubectl takes), each the body of a cluster-wide list (`kubectl get secrets -A -o json`
    or `GET /api/v1/secrets`). A missing file stands for a list the recording identity was not
    allowed to make."""

    def __init__(self, folder: str):
        if not os.path.isdir(folder):
            raise EvaluationError(f"--from-dump {folder}: not a folder of <resource>.json list responses")
        self.folder = folder
        self.description = f"dump {folder}"

    def list(self, resource: Resource, namespace: Optional[str]) -> list[dict]:
        path = os.path.join(self.folder, f"{resource.key}.json")
        if not os.path.isfile(path):
            raise Unavailable(f"{resource.key}.json not in the dump")
        try:
            with open(path, encoding="utf-8") as fh:
                body = json.load(fh)
        except (OSError, ValueError) as exc:
            raise EvaluationError(f"{path}: not a JSON list response ({exc})") from None
        items = _items(resource, body)
        if namespace and resource.namespaced:
            items = [i for i in items if (i.get("metadata") or {}).get("namespace") == namespace]
        return items


class LiveSource:
    """The API server, through the official `kubernetes` client (kubeconfig or in-cluster)."""

    PAGE = 500

    def __init__(self, kubeconfig: Optional[str] = None, context: Optional[str] = None,
                 progress: Optional[Callable[[str], None]] = None):
        try:
            from kubernetes import client, config
            from kubernetes.config.config_exception import ConfigException
        except ImportError:
            raise EvaluationError(KUBERNETES_MISSING) from None
        self._progress = progress or (lambda _msg: None)
        try:
            if kubeconfig or context or not os.environ.get("KUBERNETES_SERVICE_HOST"):
                api_client = config.new_client_from_config(config_file=kubeconfig, context=context)
                self.description = f"context {context or 'current'}" + (f" of {kubeconfig}" if kubeconfig else "")
            else:
                config.load_incluster_config()
                api_client = client.ApiClient()
                self.description = "in-cluster service account"
        except (ConfigException, OSError, TypeError) as exc:
            raise EvaluationError(f"cannot load the Kubernetes configuration ({exc}); pass --kubeconfig FILE "
                                  "and/or --context NAME, or run in a pod") from None
        self._api = api_client

    def list(self, resource: Resource, namespace: Optional[str]) -> list[dict]:
        items: list[dict] = []
        token = None
        while True:
            query = [("limit", self.PAGE)] + ([("continue", token)] if token else [])
            try:
                status, reason, data = request(self._api, "GET", resource.path(namespace), query)
            except Exception as exc:  # urllib3 connection errors and the like
                raise EvaluationError(f"listing {resource.name}: cannot reach the API server ({type(exc).__name__}: "
                                      f"{str(exc)[:200]}); check --kubeconfig/--context") from None
            if status in (401, 403, 404):
                raise Unavailable(f"{status} {reason}", status)
            if not 200 <= status < 300:
                raise EvaluationError(f"listing {resource.name}: API error {status} {reason}")
            body = json.loads(data)
            items += _items(resource, body)
            token = (body.get("metadata") or {}).get("continue")
            if len(items) >= self.PAGE:
                self._progress(f"{resource.name}: {len(items)} listed")
            if not token:
                return items
