"""The audit's live source through the real `kubernetes` client against a local HTTP API stand-in:
pagination (limit/continue), 403 as 'unavailable', and no request but GET (read-only)."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
import yaml

from aifactory_policy.audit.source import RESOURCES, LiveSource, Unavailable


@pytest.fixture
def api(tmp_path):
    seen: list[tuple[str, str, dict]] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def do_GET(self):
            url = urlparse(self.path)
            query = parse_qs(url.query)
            seen.append(("GET", url.path, query))
            if url.path.endswith("/secrets"):
                return self._send(403, {"kind": "Status", "reason": "Forbidden"})
            page = query.get("continue", ["0"])[0]
            items = [{"metadata": {"name": f"cm-{page}"}}]
            self._send(200, {"kind": "ConfigMapList", "items": items,
                             "metadata": {"continue": "1" if page == "0" else ""}})

        def do_POST(self):  # anything but GET is a test failure
            seen.append(("POST", self.path, {}))
            self._send(405, {})

        def _send(self, code, body):
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "t",
        "clusters": [{"name": "t", "cluster": {"server": f"http://127.0.0.1:{server.server_port}"}}],
        "users": [{"name": "t", "user": {"token": "not-a-real-token"}}],
        "contexts": [{"name": "t", "context": {"cluster": "t", "user": "t"}}]}))
    yield str(kubeconfig), seen
    server.shutdown()
    server.server_close()


def test_live_source_pages_through_lists_with_the_real_client(api):
    kubeconfig, seen = api
    items = LiveSource(kubeconfig=kubeconfig).list(RESOURCES["configmaps"], "team-a")
    assert [i["metadata"]["name"] for i in items] == ["cm-0", "cm-1"]
    assert all(i["kind"] == "ConfigMap" for i in items)
    assert [s[1] for s in seen] == ["/api/v1/namespaces/team-a/configmaps"] * 2
    assert seen[1][2]["continue"] == ["1"] and seen[0][2]["limit"] == ["500"]


def test_forbidden_lists_are_unavailable_not_fatal_and_only_gets_are_sent(api):
    kubeconfig, seen = api
    with pytest.raises(Unavailable, match="403"):
        LiveSource(kubeconfig=kubeconfig).list(RESOURCES["secrets"], None)
    assert {s[0] for s in seen} == {"GET"}
