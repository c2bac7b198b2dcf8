"""The few Kubernetes API calls the credentials commands make, behind one small interface.

`Kube` is the interface (plain dicts in, plain dicts out); `ApiKube` talks to a cluster with the
official client; tests pass an in-memory fake. Secrets are written by server-side apply only,
straight from memory: nothing is ever written to disk.
"""
from __future__ import annotations

import json
from typing import Optional, Protocol

from .errors import EvaluationError

FIELD_MANAGER = "aifactory-policy"
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"  # what `kubectl rollout restart` sets


class Kube(Protocol):
    def get_secret(self, namespace: str, name: str) -> Optional[dict]: ...
    def apply_secret(self, manifest: dict, force: bool = False) -> dict: ...
    def list_secrets(self, namespace: Optional[str], selector: str) -> list: ...
    def list_deployments(self, namespace: Optional[str], selector: str = "") -> list: ...
    def get_deployment(self, namespace: str, name: str) -> Optional[dict]: ...
    def restart_deployment(self, namespace: str, name: str, stamp: str) -> dict: ...


def _explain(exc, what: str) -> EvaluationError:
    status = getattr(exc, "status", None)
    try:
        message = json.loads(getattr(exc, "body", "") or "{}").get("message", "")
    except ValueError:
        message = ""
    fixes = {401: "your kubeconfig's credentials were refused; log in to the cluster again",
             403: "your user may not do this; ask for get/list/patch on secrets and deployments in the namespace",
             409: "a field is owned by another manager; rerun with --force if replacing it is intended",
             422: "the API server refused the object"}
    return EvaluationError(f"Kubernetes API: {what}: HTTP {status} {message[:300]}".rstrip()
                           + (f"; {fixes[status]}" if status in fixes else ""))


class ApiKube:
    """The real API, through the kubernetes Python client (kubeconfig, or in-cluster config)."""

    def __init__(self, kubeconfig: Optional[str] = None, context: Optional[str] = None):
        try:
            from kubernetes import client, config
            from kubernetes.client.exceptions import ApiException
            from kubernetes.config.config_exception import ConfigException
        except ImportError:
            raise EvaluationError("the `kubernetes` Python package is missing; run ci/bootstrap "
                                  "(or pip install kubernetes)") from None
        import logging

        import urllib3
        self._ApiException = ApiException
        self._NetErrors = (OSError, urllib3.exceptions.HTTPError)  # MaxRetryError is not an OSError
        logging.getLogger("urllib3").setLevel(logging.ERROR)  # no "Retrying ..." noise on stderr
        try:
            if kubeconfig or context or not _in_cluster():
                config.load_kube_config(config_file=kubeconfig, context=context)
            else:
                config.load_incluster_config()
        except (ConfigException, OSError, TypeError) as exc:
            where = kubeconfig or "$KUBECONFIG / ~/.kube/config"
            raise EvaluationError(f"cannot load the cluster configuration from {where} ({exc}); "
                                  "pass --kubeconfig FILE and/or --context NAME") from None
        self.core = client.CoreV1Api()
        self.apps = client.AppsV1Api()

    def _call(self, what: str, fn, *args, missing_ok: bool = False, **kw):
        try:
            resp = fn(*args, _preload_content=False, **kw)
            return json.loads(resp.data)
        except self._ApiException as exc:
            if missing_ok and exc.status == 404:
                return None
            raise _explain(exc, what) from None
        except self._NetErrors as exc:
            raise EvaluationError(f"Kubernetes API: {what}: cannot reach the API server ({exc.__class__.__name__}); "
                                  "check the kubeconfig context and that the cluster is up") from None

    def get_secret(self, namespace, name):
        return self._call(f"get Secret {namespace}/{name}", self.core.read_namespaced_secret, name, namespace,
                          missing_ok=True)

    def apply_secret(self, manifest, force=False):
        meta = manifest["metadata"]
        return self._call(f"apply Secret {meta['namespace']}/{meta['name']}", self.core.patch_namespaced_secret,
                          meta["name"], meta["namespace"], manifest, field_manager=FIELD_MANAGER, force=force,
                          _content_type="application/apply-patch+yaml")

    def list_secrets(self, namespace, selector):
        if namespace:
            doc = self._call(f"list Secrets in {namespace}", self.core.list_namespaced_secret, namespace,
                             label_selector=selector)
        else:
            doc = self._call("list Secrets", self.core.list_secret_for_all_namespaces, label_selector=selector)
        return doc.get("items") or []

    def list_deployments(self, namespace, selector=""):
        if namespace:
            doc = self._call(f"list Deployments in {namespace}", self.apps.list_namespaced_deployment, namespace,
                             label_selector=selector)
        else:
            doc = self._call("list Deployments", self.apps.list_deployment_for_all_namespaces, label_selector=selector)
        return doc.get("items") or []

    def get_deployment(self, namespace, name):
        return self._call(f"get Deployment {namespace}/{name}", self.apps.read_namespaced_deployment, name,
                          namespace, missing_ok=True)

    def restart_deployment(self, namespace, name, stamp):
        patch = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}}
        return self._call(f"restart Deployment {namespace}/{name}", self.apps.patch_namespaced_deployment,
                          name, namespace, patch, field_manager=FIELD_MANAGER,
                          _content_type="application/strategic-merge-patch+json")


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
