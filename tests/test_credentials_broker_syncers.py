"""The credentials broker and a source Secret that a syncer owns (charts/aifactory/files/secret_syncers.py):
the chart's broker script as a process, the REAL Claude Code for the refresh once the Secret is free,
the fake Anthropic endpoint and the stateful fake API server of tests/broker_rig.py."""
from __future__ import annotations

import time

import pytest

from broker_rig import KEY, SOURCE, BrokerRig, wait_until
from claude_sandbox import login
from fake_anthropic import Switches
from lifecycle_fixtures import endpoint, tls  # noqa: F401  (fixtures)
from test_credentials_broker import free_port, oauth, scrape

SINGLE_USE = Switches(access_lifetime_s=3600, single_use=True, revoke_family_on_reuse=True)
ES_OWNER = {"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret", "name": "claude-login",
            "uid": "0b7c6f3e-1d2a-4c55-9f1e-2b8e0d6a7c11", "controller": True, "blockOwnerDeletion": True}
SAID = (f"not writing to the source Secret and not refreshing: External Secrets owns Secret ns/{SOURCE} "
        "(ownerReference ExternalSecret/claude-login)")


@pytest.fixture
def rig(claude_cli, endpoint, tmp_path):
    r = BrokerRig(tmp_path, claude_cli, endpoint)
    yield r
    r.close()


def set_owner(rig, owner: dict | None) -> None:
    """What the ExternalSecret controller sets (creationPolicy Owner), or `--cascade=orphan` removing it."""
    obj = rig.kube.store.get("secrets", SOURCE)
    meta = obj["metadata"]
    meta.pop("resourceVersion", None)
    if owner:
        meta["ownerReferences"] = [owner]
        meta["labels"] = {"reconcile.external-secrets.io/managed": "true"}
    else:
        meta.pop("ownerReferences", None)
        meta.pop("labels", None)
    rig.kube.store.put_object("secrets", SOURCE, obj)


def source_writes(rig) -> list:
    return [w for w in rig.kube.store.writes if w["resource"] == "secrets" and w["name"] == SOURCE]


@pytest.mark.parametrize("endpoint", [SINGLE_USE], indirect=True)
def test_broker_neither_refreshes_nor_writes_a_source_secret_a_syncer_owns(rig):
    first = login("owned", 30)              # inside the 60 s lead: due at once
    rig.install(first)
    set_owner(rig, ES_OWNER)
    port = free_port()
    broker = rig.broker("owned", "--metrics-port", str(port))
    wait_until(lambda: SAID in broker.text(), 20, "the broker saying which controller owns the Secret")
    # The agents still get the access token they can use until it expires.
    wait_until(lambda: oauth(rig.access_login()).get("accessToken") == oauth(first)["accessToken"], 10,
               "the current access token published")
    time.sleep(3)                           # six passes at --interval 0.5
    assert rig.endpoint.refreshes() == [], "a refresh whose pair the ExternalSecret would undo"
    assert source_writes(rig) == []
    text = broker.text()
    assert text.count(SAID) == 1, "said once, not at every pass"
    assert "kubectl delete externalsecret claude-login --cascade=orphan" in text
    got = scrape(port)
    assert got["aifactory_broker_source_secret_owned_by_syncer"] == 1
    assert got['aifactory_broker_refreshes_total{result="secret_owned_by_syncer"}'] == 1
    assert got['aifactory_broker_refreshes_total{result="issued"}'] == 0
    # The controller lets the Secret go: the due refresh happens (the real Claude Code) and is kept.
    set_owner(rig, None)
    wait_until(lambda: len(rig.endpoint.refreshes()) == 1 and oauth(rig.source_login()).get("refreshToken")
               != oauth(first)["refreshToken"], 60, "the refresh and its pair in the Secret")
    wait_until(lambda: scrape(port).get("aifactory_broker_source_secret_owned_by_syncer") == 0, 10, "the gauge at 0")
    # counted once the pair is persisted and published too: the Secret write comes first
    wait_until(lambda: scrape(port).get('aifactory_broker_refreshes_total{result="issued"}') == 1, 10,
               "the refresh counted as issued")
    assert broker.stop() == 0
    assert "sk-ant-ort01-FAKE" not in broker.text() and "sk-ant-oat01-FAKE" not in broker.text()
    assert rig.kube.store.value(SOURCE, KEY)
