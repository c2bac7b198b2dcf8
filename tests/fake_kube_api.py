"""One fake Kubernetes API server (HTTP, or HTTPS with a given certificate) on 127.0.0.1 for the
offline tests; what it answers is each test module's own `respond(request) -> (status, json_body)`.

Every request is recorded (in `requests`), and `respond` runs under `lock`, one request at a time,
so a test can change the server's state under the same lock. Stopping is instant: serve_forever
polls every 10 ms instead of the default 0.5 s."""
from __future__ import annotations

import json
import ssl
import threading
import time
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str      # without the query string
    query: dict    # parse_qs of the query string
    headers: Message  # case-insensitive .get()
    body: bytes
    at: float = field(default_factory=time.monotonic)  # when it arrived (time.monotonic)


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # quiet
        pass

    def _any(self):
        n = int(self.headers.get("Content-Length") or 0)
        url = urlsplit(self.path)
        req = Request(self.command, url.path, parse_qs(url.query), self.headers,
                      self.rfile.read(n) if n else b"")
        fake = self.server.fake
        with fake.lock:
            fake.requests.append(req)
            code, obj = fake.respond(req)
            data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any


class FakeApiServer:
    """Serves in a daemon thread from construction until close() (also a context manager).
    `respond` is the argument, or a subclass's method; `tls`: (certfile, keyfile) for HTTPS."""

    def __init__(self, respond=None, tls: tuple | None = None):
        if respond is not None:
            self.respond = respond
        self.requests: list[Request] = []
        self.lock = threading.RLock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.fake = self
        self.closed = False
        scheme = "http"
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*tls)
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()

    def respond(self, req: Request) -> tuple[int, object]:
        return 404, {"kind": "Status", "message": f"{req.path} not found", "code": 404}

    def close(self) -> None:
        """Stops serving and frees the port; calling it again does nothing."""
        if not self.closed:
            self.closed = True
            self.httpd.shutdown()
            self.httpd.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def write_kubeconfig(self, path: Path, namespace: str | None = None) -> Path:
        """Writes a kubeconfig (JSON, which is YAML) for this server with a fake bearer token."""
        context = {"cluster": "fake", "user": "fake", **({"namespace": namespace} if namespace else {})}
        path.write_text(json.dumps({
            "apiVersion": "v1", "kind": "Config", "current-context": "fake",
            "clusters": [{"name": "fake", "cluster": {"server": self.url}}],
            "users": [{"name": "fake", "user": {"token": "fake-bearer"}}],
            "contexts": [{"name": "fake", "context": context}]}))
        return path
