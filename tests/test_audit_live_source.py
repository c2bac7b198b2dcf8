"""The audit's live source through the real `kubernetes` client against a local HTTP API stand-in:
pagination (limit/continue), 403 as 'unavailable', and no request but GET (read-only)."""
from __future__ import annotations

import pytest

from aifactory_policy.audit.source import RESOURCES, LiveSource, Unavailable
from fake_kube_api import FakeApiServer


def _respond(req):
    if req.method != "GET":  # anything but GET is a test failure
        return 405, {}
    if req.path.endswith("/secrets"):
        return 403, {"kind": "Status", "reason": "Forbidden"}
    page = req.query.get("continue", ["0"])[0]
    items = [{"metadata": {"name": f"cm-{page}"}}]
    return 200, {"kind": "ConfigMapList", "items": items, "metadata": {"continue": "1" if page == "0" else ""}}


@pytest.fixture
def api(tmp_path):
    with FakeApiServer(_respond) as server:
        yield str(server.write_kubeconfig(tmp_path / "kubeconfig")), server.requests


def test_live_source_pages_through_lists_with_the_real_client(api):
    kubeconfig, seen = api
    items = LiveSource(kubeconfig=kubeconfig).list(RESOURCES["configmaps"], "team-a")
    assert [i["metadata"]["name"] for i in items] == ["cm-0", "cm-1"]
    assert all(i["kind"] == "ConfigMap" for i in items)
    assert [r.path for r in seen] == ["/api/v1/namespaces/team-a/configmaps"] * 2
    assert seen[1].query["continue"] == ["1"] and seen[0].query["limit"] == ["500"]


def test_forbidden_lists_are_unavailable_not_fatal_and_only_gets_are_sent(api):
    kubeconfig, seen = api
    with pytest.raises(Unavailable, match="403"):
        LiveSource(kubeconfig=kubeconfig).list(RESOURCES["secrets"], None)
    assert seen and {r.method for r in seen} == {"GET"}
