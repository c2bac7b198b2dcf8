"""The real API layer (credentials.kube.ApiKube, the kubernetes Python client) against a tiny fake
API server on 127.0.0.1: the exact requests create-secret, rotate and status send. The real API
server is exercised by tests/e2e/test_writeback.py."""
from __future__ import annotations

import json

import pytest

from aifactory_policy.cli import main
from credentials_fakes import creds
from fake_kube_api import FakeApiServer
from fixtures import leaked


class Server(FakeApiServer):
    """Objects by path: GET one or a (label-selected) list, server-side apply stores, other PATCHes echo."""

    def __init__(self):
        self.objects: dict = {}   # path -> object
        super().__init__()

    def respond(self, req):
        if req.method == "GET" and req.path in self.objects:
            return 200, self.objects[req.path]
        if req.method == "GET" and req.path.endswith(("/secrets", "/deployments")):
            items = [o for p, o in self.objects.items() if p.startswith(req.path + "/")]
            sel = req.query.get("labelSelector", [""])[0]
            if sel:
                k, _, v = sel.partition("=")
                items = [o for o in items if (o["metadata"].get("labels") or {}).get(k) == v]
            return 200, {"kind": "List", "items": items}
        if req.method == "PATCH":
            obj = json.loads(req.body)
            if req.headers.get("Content-Type") == "application/apply-patch+yaml":
                obj.setdefault("metadata", {})["resourceVersion"] = "1"
                self.objects[req.path] = obj
                return 200, obj
            if req.path in self.objects:
                return 200, self.objects[req.path]
        return 404, {"kind": "Status", "message": f"{req.path} not found", "code": 404}


@pytest.fixture
def api(tmp_path):
    with Server() as s:
        s.kubeconfig = s.write_kubeconfig(tmp_path / "kubeconfig", namespace="agents")
        yield s


def test_create_secret_is_one_server_side_apply_from_memory(tmp_path, api, capsys):
    f = tmp_path / "c.json"
    f.write_text(json.dumps(creds()))
    code = main(["credentials", "create-secret", "--install", "aifactory", "--from-file", str(f),
                 "--kubeconfig", str(api.kubeconfig)])
    cap = capsys.readouterr()
    assert code == 0, cap.err
    assert not leaked(cap.out + cap.err)
    applies = [r for r in api.requests if r.method == "PATCH"]
    assert [r.path for r in applies] == ["/api/v1/namespaces/agents/secrets/aifactory-fingerprint-key",
                                       "/api/v1/namespaces/agents/secrets/claude-remote-credentials"]
    for r in applies:
        assert r.headers.get("Content-Type") == "application/apply-patch+yaml"
        assert r.query["fieldManager"] == ["aifactory-policy"]
    body = json.loads(applies[1].body)
    assert body["kind"] == "Secret" and body["metadata"]["namespace"] == "agents"  # the context's namespace
    assert body["metadata"]["labels"]["aifactory.dev/install"] == "aifactory"
    # the namespace of the kubeconfig context is used when -n is not given
    assert all("/namespaces/agents/" in r.path for r in api.requests)


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
    restart = [r for r in api.requests if r.method == "PATCH" and "/deployments/" in r.path]
    assert len(restart) == 1 and restart[0].headers.get("Content-Type") == "application/strategic-merge-patch+json"
    ann = json.loads(restart[0].body)["spec"]["template"]["metadata"]["annotations"]
    assert list(ann) == ["kubectl.kubernetes.io/restartedAt"]
    secret_apply = [r for r in api.requests if r.method == "PATCH" and r.path.endswith("/claude-remote-credentials")]
    assert secret_apply[-1].query["force"] == ["true"]
    assert not leaked(cap.out + cap.err)


def test_api_errors_are_exit_2_with_the_fix(tmp_path, api, capsys):
    f = tmp_path / "c.json"
    f.write_text(json.dumps(creds()))
    api.close()  # nothing listens any more
    code = main(["credentials", "create-secret", "--install", "aifactory", "--from-file", str(f),
                 "--kubeconfig", str(api.kubeconfig)])
    err = capsys.readouterr().err
    assert code == 2 and "cannot reach the API server" in err
