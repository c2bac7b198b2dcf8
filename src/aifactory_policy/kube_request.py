"""One raw Kubernetes API request through the official client's ApiClient.

The ApiClient brings the kubeconfig, in-cluster config, exec/OIDC auth, TLS and proxy handling; the
generated per-group classes (CoreV1Api, AppsV1Api) bring nothing the few calls here need, and
importing those two took ~1 s of every command's start-up (measured with `python -X importtime`).
"""
from __future__ import annotations

from typing import Any, Iterable, Optional


def request(api_client: Any, method: str, path: str, query: Iterable[tuple[str, Any]] = (), *,
            body: Any = None, content_type: Optional[str] = None, timeout: float = 60) -> tuple[int, str, bytes]:
    """(HTTP status, reason, raw body) of one request; a non-2xx answer is returned, not raised.
    `body` is an object: the client serialises it as JSON (valid YAML too, for apply patches).
    Network failures raise what urllib3 raises. The client's call shape changed in v35
    (param_serialize + call_api without query_params); both are supported."""
    from kubernetes.client.exceptions import ApiException
    headers = {"Accept": "application/json"}
    if content_type:
        headers["Content-Type"] = content_type
    query = list(query)
    try:
        if hasattr(api_client, "param_serialize"):
            params = api_client.param_serialize(method=method, resource_path=path, query_params=query,
                                                header_params=headers, body=body, auth_settings=["BearerToken"])
            response = api_client.call_api(*params, _request_timeout=timeout)
            data = response.read() if hasattr(response, "read") else response.data
            return response.status, response.reason, data
        resp = api_client.call_api(path, method, query_params=query, header_params=headers, body=body,
                                   auth_settings=["BearerToken"], _preload_content=False, _request_timeout=timeout)
        response = resp[0] if isinstance(resp, tuple) else resp
        return response.status, response.reason, response.data
    except ApiException as exc:  # older clients raise non-2xx answers
        raw = exc.body or b""
        return exc.status or 0, exc.reason or "", raw if isinstance(raw, bytes) else str(raw).encode()
