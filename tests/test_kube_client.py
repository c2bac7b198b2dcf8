"""The real `kubernetes` Python client (its ApiClient, through kube_request.py) against a tiny fake
API server on 127.0.0.1: the exact requests create-secret, rotate and status send (credentials.kube),
and the audit's live source paging (limit/continue), 403 as 'unavailable', and no request but GET.
One module, so one test process pays the client's import (~0.6 s). The real API server is
exercised by tests/e2e."""
from __future__ import annotations

import json

import pytest

from aifactory_policy.audit.source import RESOURCES, LiveSource, Unavailable
from aifactory_policy.cli import main
from fake_credentials import creds, leaked
from fake_kube_api import FakeApiServer


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


def test_unreadable_kubeconfig_cannot_evaluate(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    f = tmp_path / "c.json"
    f.write_text(json.dumps(creds()))
    code = main(["credentials", "create-secret", "--install", "aifactory", "-n", "agents", "--from-file", str(f),
                 "--kubeconfig", str(tmp_path / "missing-kubeconfig")])
    err = capsys.readouterr().err
    assert code == 2 and "cannot load the cluster configuration" in err and "--kubeconfig" in err


# ---------------------------------------------------------------- the audit's live source

def _paging(req):
    if req.method != "GET":  # anything but GET is a test failure
        return 405, {}
    if req.path.endswith("/secrets"):
        return 403, {"kind": "Status", "reason": "Forbidden"}
    page = req.query.get("continue", ["0"])[0]
    items = [{"metadata": {"name": f"cm-{page}"}}]
    return 200, {"kind": "ConfigMapList", "items": items, "metadata": {"continue": "1" if page == "0" else ""}}


@pytest.fixture
def paging_api(tmp_path):
    with FakeApiServer(_paging) as server:
        yield str(server.write_kubeconfig(tmp_path / "kubeconfig")), server.requests


def test_live_source_pages_through_lists_with_the_real_client(paging_api):
    kubeconfig, seen = paging_api
    items = LiveSource(kubeconfig=kubeconfig).list(RESOURCES["configmaps"], "team-a")
    assert [i["metadata"]["name"] for i in items] == ["cm-0", "cm-1"]
    assert all(i["kind"] == "ConfigMap" for i in items)
    assert [r.path for r in seen] == ["/api/v1/namespaces/team-a/configmaps"] * 2
    assert seen[1].query["continue"] == ["1"] and seen[0].query["limit"] == ["500"]


def test_forbidden_lists_are_unavailable_not_fatal_and_only_gets_are_sent(paging_api):
    kubeconfig, seen = paging_api
    with pytest.raises(Unavailable, match="403"):
        LiveSource(kubeconfig=kubeconfig).list(RESOURCES["secrets"], None)
    assert seen and {r.method for r in seen} == {"GET"}


class ReportServer(FakeApiServer):
    """The wgpolicyk8s.io API: discovery, list/apply/delete of PolicyReports; namespaces named in
    `terminating` answer writes as the API server does while a namespace is being deleted."""

    def __init__(self):
        self.reports: dict = {}   # path -> object
        self.terminating: set = set()
        super().__init__()

    def respond(self, req):
        base = "/apis/wgpolicyk8s.io/v1alpha2"
        if req.method == "GET" and req.path == base:
            return 200, {"resources": [{"name": "policyreports"}, {"name": "clusterpolicyreports"}]}
        if req.method == "GET" and req.path.endswith("/policyreports"):
            return 200, {"items": [o for p, o in self.reports.items() if "/policyreports/" in p]}
        ns = req.path.split("/namespaces/")[1].split("/")[0] if "/namespaces/" in req.path else None
        if req.method == "PATCH" and ns in self.terminating:
            return 403, {"kind": "Status", "code": 403, "message": f'policyreports.wgpolicyk8s.io "aifactory-audit" is '
                         f"forbidden: unable to create new content in namespace {ns} because it is being terminated"}
        if req.method == "PATCH":
            self.reports[req.path] = json.loads(req.body)
            return 200, self.reports[req.path]
        if req.method == "DELETE":
            return (200, self.reports.pop(req.path)) if req.path in self.reports else (404, {"code": 404})
        return 404, {"kind": "Status", "message": f"{req.path} not found", "code": 404}


def test_publish_skips_a_namespace_being_deleted_and_writes_the_others(tmp_path):
    """Measured in kind: an -A audit that meets a Terminating namespace got 403 for its report and the
    whole publish failed. The namespace's report would go with it: skip it, write the rest."""
    from kubernetes import client, config
    from aifactory_policy.audit.publish import publish

    def report(ns):
        return {"apiVersion": "wgpolicyk8s.io/v1alpha2", "kind": "PolicyReport",
                "metadata": {"name": "aifactory-audit", "namespace": ns,
                             "labels": {"app.kubernetes.io/managed-by": "aifactory-policy"}},
                "summary": {"pass": 0, "fail": 1, "warn": 0, "error": 0, "skip": 0}, "results": []}
    with ReportServer() as server:
        server.terminating.add("going")
        kubeconfig = server.write_kubeconfig(tmp_path / "kubeconfig", namespace="default")
        api_client = client.ApiClient(config.new_client_from_config(str(kubeconfig)).configuration)
        lines = publish(api_client, [report("going"), report("team")], None)
    assert lines == ["skipped PolicyReport going/aifactory-audit: namespace going is being deleted",
                     "published PolicyReport team/aifactory-audit: 1 fail, 0 warn, 0 skip"]
    assert list(server.reports) == ["/apis/wgpolicyk8s.io/v1alpha2/namespaces/team/policyreports/aifactory-audit"]
