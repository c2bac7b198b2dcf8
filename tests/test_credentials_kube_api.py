"""The real API layer (credentials.kube.ApiKube, the kubernetes Python client) against a tiny fake
API server on 127.0.0.1: the exact requests create-secret, rotate and status send. The real API
server is exercised by tests/e2e/test_writeback.py."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from aifactory_policy.cli import main
from credentials_fakes import creds
from fixtures import leaked


class Server:
    def __init__(self):
        self.objects: dict = {}   # path -> object
        self.requests: list = []
        srv = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def _send(self, code, obj):
                data = json.dumps(obj).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _go(self, method):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                u = urlparse(self.path)
                srv.requests.append({"method": method, "path": u.path, "query": parse_qs(u.query),
                                     "ctype": self.headers.get("Content-Type"), "body": body})
                if method == "GET" and u.path in srv.objects:
                    return self._send(200, srv.objects[u.path])
                if method == "GET" and u.path.endswith(("/secrets", "/deployments")):
                    items = [o for p, o in srv.objects.items() if p.startswith(u.path + "/")]
                    sel = parse_qs(u.query).get("labelSelector", [""])[0]
                    if sel:
                        k, _, v = sel.partition("=")
                        items = [o for o in items if (o["metadata"].get("labels") or {}).get(k) == v]
                    return self._send(200, {"kind": "List", "items": items})
                if method == "PATCH":
                    obj = json.loads(body)
                    if self.headers.get("Content-Type") == "application/apply-patch+yaml":
                        obj.setdefault("metadata", {})["resourceVersion"] = "1"
                        srv.objects[u.path] = obj
                        return self._send(200, obj)
                    if u.path in srv.objects:
                        return self._send(200, srv.objects[u.path])
                return self._send(404, {"kind": "Status", "message": f"{u.path} not found", "code": 404})

            def do_GET(self):
                self._go("GET")

            def do_PATCH(self):
                self._go("PATCH")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def api(tmp_path):
    s = Server()
    kc = tmp_path / "kubeconfig"
    kc.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "fake",
        "clusters": [{"name": "fake", "cluster": {"server": s.url}}],
        "users": [{"name": "fake", "user": {"token": "fake-bearer"}}],
        "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "fake", "namespace": "agents"}}]}))
    s.kubeconfig = kc
    yield s
    s.close()


def test_create_secret_is_one_server_side_apply_from_memory(tmp_path, api, capsys):
    f = tmp_path / "c.json"
    f.write_text(json.dumps(creds()))
    code = main(["credentials", "create-secret", "--install", "aifactory", "--from-file", str(f),
                 "--kubeconfig", str(api.kubeconfig)])
    cap = capsys.readouterr()
    assert code == 0, cap.err
    assert not leaked(cap.out + cap.err)
    applies = [r for r in api.requests if r["method"] == "PATCH"]
    assert [r["path"] for r in applies] == ["/api/v1/namespaces/agents/secrets/aifactory-fingerprint-key",
                                            "/api/v1/namespaces/agents/secrets/claude-remote-credentials"]
    for r in applies:
        assert r["ctype"] == "application/apply-patch+yaml"
        assert r["query"]["fieldManager"] == ["aifactory-policy"]
    body = json.loads(applies[1]["body"])
    assert body["kind"] == "Secret" and body["metadata"]["namespace"] == "agents"  # the context's namespace
    assert body["metadata"]["labels"]["aifactory.dev/install"] == "aifactory"
    # the namespace of the kubeconfig context is used when -n is not given
    assert all("/namespaces/agents/" in r["path"] for r in api.requests)


def test_status_and_rotate_requests(tmp_path, api, capsys):
    f = tmp_path / "c.json"
    f.write_text(json.dumps(creds()))
    assert main(["credentials", "create-secret", "--install", "aifactory", "--from-file", str(f),
                 "--kubeconfig", str(api.kubeconfig)]) == 0
    api.objects["/apis/apps/v1/namespaces/agents/deployments/aifactory"] = {
        "metadata": {"name": "aifactory", "namespace": "agents", "generation": 2,
                     "labels": {"app.kubernetes.io/instance": "aifactory"}},
        "spec": {"replicas": 1, "template": {"metadata": {"annotations": {
            "aifactory.dev/credentials-secret": "claude-remote-credentials",
            "aifactory.dev/credentials-mode": "ownedCopy"}}, "spec": {}}},
        "status": {"observedGeneration": 2, "replicas": 1, "updatedReplicas": 1, "availableReplicas": 1}}
    capsys.readouterr()
    assert main(["credentials", "status", "--kubeconfig", str(api.kubeconfig)]) == 0
    out = capsys.readouterr().out
    assert "mode:          ownedCopy  deployment/aifactory" in out and ": match" in out
    new = tmp_path / "n.json"
    doc = creds()
    doc["claudeAiOauth"]["refreshToken"] = "sk-ant-ort01-FAKErefreshTOKENrotated0123456789"
    new.write_text(json.dumps(doc))
    code = main(["credentials", "rotate", "--install", "aifactory", "--from-file", str(new), "--skip-helm-test",
                 "--kubeconfig", str(api.kubeconfig), "--timeout", "5"])
    cap = capsys.readouterr()
    assert code == 0, cap.err
    restart = [r for r in api.requests if r["method"] == "PATCH" and "/deployments/" in r["path"]]
    assert len(restart) == 1 and restart[0]["ctype"] == "application/strategic-merge-patch+json"
    ann = json.loads(restart[0]["body"])["spec"]["template"]["metadata"]["annotations"]
    assert list(ann) == ["kubectl.kubernetes.io/restartedAt"]
    secret_apply = [r for r in api.requests if r["method"] == "PATCH" and r["path"].endswith("/claude-remote-credentials")]
    assert secret_apply[-1]["query"]["force"] == ["true"]
    assert not leaked(cap.out + cap.err)


def test_api_errors_are_exit_2_with_the_fix(tmp_path, api, capsys):
    f = tmp_path / "c.json"
    f.write_text(json.dumps(creds()))
    api.close()  # nothing listens any more
    code = main(["credentials", "create-secret", "--install", "aifactory", "--from-file", str(f),
                 "--kubeconfig", str(api.kubeconfig)])
    err = capsys.readouterr().err
    assert code == 2 and "cannot reach the API server" in err
