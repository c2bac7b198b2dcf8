"""The few Kubernetes API calls the credentials commands make, behind one small interface.

`Kube` is the interface (plain dicts in, plain dicts out); `ApiKube` talks to a cluster through
the official client's ApiClient (kube_request.py); tests pass an in-memory fake. Secrets are
written by server-side apply only, straight from memory: nothing is ever written to disk.
"""
from __future__ import annotations

import json
from typing import Iterable, Optional, Protocol
from urllib.parse import quote

from ..kube_request import request
from ..findings import EvaluationError
from ..tools import KUBERNETES_MISSING

FIELD_MANAGER = "aifactory-policy"
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"  # what `kubectl rollout restart` sets


class Kube(Protocol):
    def get_secret(self, namespace: str, name: str) -> Optional[dict]: ...
    def apply_secret(self, manifest: dict, force: bool = False) -> dict: ...
    def list_secrets(self, namespace: Optional[str], selector: str) -> list: ...
    def list_deployments(self, namespace: Optional[str], selector: str = "") -> list: ...
    def get_deployment(self, namespace: str, name: str) -> Optional[dict]: ...
    def restart_deployment(self, namespace: str, name: str, stamp: str) -> dict: ...
    def get_lease(self, namespace: str, name: str) -> Optional[dict]: ...


class Conflict(EvaluationError):
    """HTTP 409: for an apply that names the resourceVersion it read, the object changed since."""


def _explain(status: int, body: bytes, what: str) -> EvaluationError:
    try:
        message = json.loads(body or b"{}").get("message", "")
    except (ValueError, AttributeError):
        message = ""
    fixes = {401: "your kubeconfig's credentials were refused; log in to the cluster again",
             403: "your user may not do this; ask for get/list/patch on secrets and deployments in the namespace "
                  "(and get on leases, for a broker install's status)",
             409: "a field is owned by another manager; rerun with --force if replacing it is intended",
             422: "the API server refused the object"}
    kind = Conflict if status == 409 else EvaluationError
    return kind(f"Kubernetes API: {what}: HTTP {status} {message[:300]}".rstrip()
                + (f"; {fixes[status]}" if status in fixes else ""))


def _path(group: str, kind: str, namespace: Optional[str], name: str = "") -> str:
    base = "/api/v1" if group == "core" else f"/apis/{group}/v1"
    where = f"/namespaces/{quote(namespace, safe='')}" if namespace else ""
    return f"{base}{where}/{kind}" + (f"/{quote(name, safe='')}" if name else "")


class ApiKube:
    """The real API, through the kubernetes Python client's ApiClient (kubeconfig, or in-cluster config)."""

    def __init__(self, kubeconfig: Optional[str] = None, context: Optional[str] = None):
        try:
            from kubernetes import client, config
            from kubernetes.config.config_exception import ConfigException
        except ImportError:
            raise EvaluationError(KUBERNETES_MISSING) from None
        import logging

        import urllib3
        self._NetErrors = (OSError, urllib3.exceptions.HTTPError)  # MaxRetryError is not an OSError
        logging.getLogger("urllib3").setLevel(logging.ERROR)  # no "Retrying ..." noise on stderr
        try:
            if kubeconfig or context or not _in_cluster():
                self._api = config.new_client_from_config(config_file=kubeconfig, context=context)
            else:
                config.load_incluster_config()
                self._api = client.ApiClient()
        except (ConfigException, OSError, TypeError) as exc:
            where = kubeconfig or "$KUBECONFIG / ~/.kube/config"
            raise EvaluationError(f"cannot load the cluster configuration from {where} ({exc}); "
                                  "pass --kubeconfig FILE and/or --context NAME") from None

    def _call(self, what: str, method: str, path: str, query: Iterable = (), body=None,
              content_type: Optional[str] = None, missing_ok: bool = False):
        try:
            status, _reason, data = request(self._api, method, path, query, body=body, content_type=content_type)
        except self._NetErrors as exc:
            raise EvaluationError(f"Kubernetes API: {what}: cannot reach the API server ({exc.__class__.__name__}); "
                                  "check the kubeconfig context and that the cluster is up") from None
        if missing_ok and status == 404:
            return None
        if not 200 <= status < 300:
            raise _explain(status, data, what)
        return json.loads(data)

    def get_secret(self, namespace, name):
        return self._call(f"get Secret {namespace}/{name}", "GET", _path("core", "secrets", namespace, name),
                          missing_ok=True)

    def apply_secret(self, manifest, force=False):
        meta = manifest["metadata"]
        query = [("fieldManager", FIELD_MANAGER)] + ([("force", "true")] if force else [])
        return self._call(f"apply Secret {meta['namespace']}/{meta['name']}", "PATCH",
                          _path("core", "secrets", meta["namespace"], meta["name"]), query, body=manifest,
                          content_type="application/apply-patch+yaml")

    def list_secrets(self, namespace, selector):
        what = f"list Secrets in {namespace}" if namespace else "list Secrets"
        doc = self._call(what, "GET", _path("core", "secrets", namespace), _selector(selector))
        return doc.get("items") or []

    def list_deployments(self, namespace, selector=""):
        what = f"list Deployments in {namespace}" if namespace else "list Deployments"
        doc = self._call(what, "GET", _path("apps", "deployments", namespace), _selector(selector))
        return doc.get("items") or []

    def get_deployment(self, namespace, name):
        return self._call(f"get Deployment {namespace}/{name}", "GET", _path("apps", "deployments", namespace, name),
                          missing_ok=True)

    def get_lease(self, namespace, name):
        return self._call(f"get Lease {namespace}/{name}", "GET", _path("coordination.k8s.io", "leases", namespace, name),
                          missing_ok=True)

    def restart_deployment(self, namespace, name, stamp):
        patch = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}}
        return self._call(f"restart Deployment {namespace}/{name}", "PATCH",
                          _path("apps", "deployments", namespace, name), [("fieldManager", FIELD_MANAGER)],
                          body=patch, content_type="application/strategic-merge-patch+json")


def _selector(selector: str) -> list:
    return [("labelSelector", selector)] if selector else []


def _in_cluster() -> bool:
    import os
    return bool(os.environ.get("KUBERNETES_SERVICE_HOST")) and not os.environ.get("KUBECONFIG") \
        and not os.path.exists(os.path.expanduser("~/.kube/config"))


def current_namespace(kubeconfig: Optional[str], context: Optional[str]) -> str:
    """The kubeconfig context's namespace, else "default"."""
    try:
        from kubernetes import config
        contexts, active = config.list_kube_config_contexts(config_file=kubeconfig)
        ctx = next((c for c in contexts if c["name"] == context), active) if context else active
        return (ctx or {}).get("context", {}).get("namespace") or "default"
    except Exception:  # noqa: BLE001 - no kubeconfig: the API client reports it properly later
        return "default"
