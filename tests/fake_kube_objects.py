"""A stateful fake Kubernetes API for the broker tests: Secrets, Leases and Deployments in one
namespace, with what the broker and the receiver use of the real one: GET, PUT and strategic-merge
PATCH of one object (conditional on metadata.resourceVersion: 409 on a mismatch), and a streaming
WATCH of one object (`fieldSelector=metadata.name=X&watch=true`); and what `aifactory-policy
credentials` uses (kube.ApiKube): a list with a `labelSelector` (k=v[,k=v]), and a server-side apply
(PATCH application/apply-patch+yaml), which creates the object or merges it as one manager's apply
would (conditional on a resourceVersion it names).

Faults are switches: `down` (every request answers 503, a watch in progress ends), `delay_s`
(before each answer). Every write is recorded with its arrival time (time.time()), so a test can
measure how long after a refresh the Secret held the new pair. Standard library only.
"""
from __future__ import annotations

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


def _merge(target: dict, patch: dict) -> dict:
    """Strategic merge for maps (what the broker sends): null deletes, maps merge, the rest replaces."""
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = value
    return target


class Objects:
    """The store: (resource, name) -> object, one resourceVersion counter, watchers per object."""

    def __init__(self, namespace: str):
        self.namespace = namespace
        self.lock = threading.Condition()
        self.objects: dict[tuple[str, str], dict] = {}
        self.version = 100
        self.writes: list[dict] = []      # {"t", "method", "resource", "name", "data"} of each accepted write
        self.down = False
        self.delay_s = 0.0

    def _bump(self, obj: dict) -> dict:
        self.version += 1
        obj.setdefault("metadata", {})["resourceVersion"] = str(self.version)
        return obj

    def put_object(self, resource: str, name: str, obj: dict) -> dict:
        """Creates or replaces an object directly (what a test, kubectl or a syncer does)."""
        with self.lock:
            obj = json.loads(json.dumps(obj))
            obj.setdefault("metadata", {}).update(name=name, namespace=self.namespace)
            self.objects[(resource, name)] = self._bump(obj)
            self.lock.notify_all()
            return obj

    def secret(self, name: str, data: dict | None = None, annotations: dict | None = None) -> dict:
        body = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                "metadata": {"annotations": annotations or {}},
                "data": {k: base64.b64encode(v if isinstance(v, bytes) else v.encode()).decode()
                         for k, v in (data or {}).items()}}
        return self.put_object("secrets", name, body)

    def delete(self, resource: str, name: str) -> None:
        with self.lock:
            self.objects.pop((resource, name), None)
            self._bump({})
            self.lock.notify_all()

    def get(self, resource: str, name: str) -> dict | None:
        with self.lock:
            obj = self.objects.get((resource, name))
            return json.loads(json.dumps(obj)) if obj else None

    def value(self, name: str, key: str) -> bytes | None:
        obj = self.get("secrets", name) or {}
        data = (obj.get("data") or {}).get(key)
        return base64.b64decode(data) if data else None

    def items(self, resource: str, selector: str = "") -> list[dict]:
        with self.lock:
            return [json.loads(json.dumps(o)) for (r, _), o in sorted(self.objects.items())
                    if r == resource and _selected(o, selector)]

    def write(self, method: str, resource: str, name: str, body: dict, apply: bool = False) -> tuple[int, dict]:
        with self.lock:
            current = self.objects.get((resource, name))
            if current is None and apply:
                created = json.loads(json.dumps(body))
                created.setdefault("metadata", {}).pop("resourceVersion", None)
                self.put_object(resource, name, created)
                self.writes.append({"t": time.time(), "method": "APPLY", "resource": resource, "name": name,
                                    "data": dict(created.get("data") or {})})
                return 201, self.get(resource, name)
            if current is None:
                return 404, _status(404, f'{resource} "{name}" not found')
            want = (body.get("metadata") or {}).get("resourceVersion")
            if want and want != current["metadata"]["resourceVersion"]:
                return 409, _status(409, "the object has been modified; please apply your changes to the latest version")
            if method == "PUT":
                new = json.loads(json.dumps(body))
                new.setdefault("metadata", {}).update(name=name, namespace=self.namespace)
            else:
                patch = json.loads(json.dumps(body))
                (patch.get("metadata") or {}).pop("resourceVersion", None)
                new = _merge(json.loads(json.dumps(current)), patch)
            self.objects[(resource, name)] = self._bump(new)
            self.writes.append({"t": time.time(), "method": method, "resource": resource, "name": name,
                                "data": dict(new.get("data") or {})})
            self.lock.notify_all()
            return 200, json.loads(json.dumps(new))


def _selected(obj: dict, selector: str) -> bool:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    pairs = [p.split("=", 1) for p in selector.split(",") if p]
    return all(labels.get(k) == v for k, v in pairs)


def _status(code: int, message: str) -> dict:
    return {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message, "code": code}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    store: Objects

    def log_message(self, *args):
        pass

    def _send(self, code: int, obj: dict) -> None:
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _route(self):
        url = urlsplit(self.path)
        parts = url.path.strip("/").split("/")
        # /api/v1/namespaces/NS/secrets[/NAME] or /apis/coordination.k8s.io/v1/namespaces/NS/leases[/NAME]
        if "namespaces" not in parts:
            return None, None, parse_qs(url.query)
        i = parts.index("namespaces")
        rest = parts[i + 2:]
        return rest[0] if rest else None, rest[1] if len(rest) > 1 else None, parse_qs(url.query)

    def _any(self):
        store = self.store
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if store.delay_s:
            time.sleep(store.delay_s)
        if store.down:
            return self._send(503, _status(503, "fake API server is down"))
        resource, name, query = self._route()
        if resource is None:
            return self._send(404, _status(404, "not faked"))
        if self.command == "GET" and name is None and query.get("watch") == ["true"]:
            return self._watch(resource, query)
        if self.command == "GET" and name:
            obj = store.get(resource, name)
            return self._send(200, obj) if obj else self._send(404, _status(404, f'{resource} "{name}" not found'))
        if self.command == "GET":
            selector = (query.get("labelSelector") or [""])[0]
            return self._send(200, {"kind": "List", "apiVersion": "v1", "metadata": {},
                                    "items": store.items(resource, selector)})
        if self.command in ("PUT", "PATCH") and name:
            apply = (self.headers.get("Content-Type") or "").startswith("application/apply-patch")
            code, obj = store.write(self.command, resource, name, json.loads(body or b"{}"), apply=apply)
            return self._send(code, obj)
        self._send(405, _status(405, "not faked"))

    def _watch(self, resource: str, query: dict) -> None:
        selector = (query.get("fieldSelector") or [""])[0]
        name = selector.split("=", 1)[1] if selector.startswith("metadata.name=") else ""
        timeout = float((query.get("timeoutSeconds") or ["300"])[0])
        since = int((query.get("resourceVersion") or ["0"])[0] or 0)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        store, deadline = self.store, time.monotonic() + timeout
        sent = since
        try:
            while time.monotonic() < deadline:
                with store.lock:
                    obj = store.objects.get((resource, name))
                    rv = int(obj["metadata"]["resourceVersion"]) if obj else 0
                    if store.down:
                        break
                    if obj is None or rv <= sent:
                        store.lock.wait(0.2)
                        continue
                    event = {"type": "MODIFIED", "object": json.loads(json.dumps(obj))}
                sent = rv
                line = (json.dumps(event) + "\n").encode()
                self.wfile.write(f"{len(line):x}\r\n".encode() + line + b"\r\n")
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True

    do_GET = do_PUT = do_PATCH = do_POST = do_DELETE = _any


class FakeKube:
    """Serves an Objects store on 127.0.0.1 (HTTP) from a daemon thread until close()."""

    def __init__(self, namespace: str = "ns"):
        self.store = Objects(namespace)
        handler = type("Handler", (_Handler,), {"store": self.store})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
