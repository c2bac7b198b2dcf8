"""`credentials status` of a broker install, offline (in-memory API): the broker's health from its
Lease, the access Secret the agents receive and the source Secret's annotations, as the broker
(charts/aifactory/files/credentials_broker.py) leaves them. No output holds a token (the runner
fixture checks every run)."""
from __future__ import annotations

import base64
import json
import time

import pytest

from aifactory_policy.commands import credentials as creds_cli
from aifactory_policy.credentials import broker
from chart_render import render
from fake_credentials import creds, other_refresh
from fake_kube_and_tools import NS, FakeKube
from test_credentials_create import run, write_creds  # noqa: F401 - the runner fixture

SECRET = "claude-remote-credentials"
AGENTS = "rel-aifactory"
BROKER = f"{AGENTS}-credentials-broker"
ACCESS = f"{AGENTS}-claude-access"


def stamp(offset_s: float, micro: bool = False) -> str:
    """RFC 3339 `offset_s` from now; with microseconds as a Lease's renewTime is written."""
    t = time.time() + offset_s
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t))
    return base + (f".{int(t * 1e6) % 1000000:06d}Z" if micro else "Z")


@pytest.fixture
def kube(monkeypatch):
    fake = FakeKube()
    monkeypatch.setattr(creds_cli, "_api_kube", lambda args: fake)
    return fake


@pytest.fixture
def brokered(tmp_path, kube, run):
    """Install `rel` in broker mode as the chart renders it: two broker replicas, three agents, a login
    the broker refreshed into S, its access-only copy published, the Lease renewed 5 s ago."""
    kube.add_deployment(NS, AGENTS, SECRET, mode="broker", install="rel", sa=AGENTS, replicas=3,
                        annotations={broker.ACCESS_SECRET: ACCESS})
    kube.add_deployment(NS, BROKER, SECRET, mode="broker", install="rel", sa=BROKER, replicas=2,
                        annotations={broker.BROKER: "enabled"})
    r = run("credentials", "create-secret", "--install", "rel", "-n", NS, "--secret", SECRET,
            "--owner", f"system:serviceaccount:{NS}:{BROKER}", "--from-file", write_creds(tmp_path, creds()))
    assert r.code == 0, r.err
    refreshed = creds(refresh=other_refresh("BROKER"), expires_in_s=7200)
    s = kube.secrets[(NS, SECRET)]
    s["data"]["credentials.json"] = base64.b64encode(json.dumps(refreshed).encode()).decode()
    s["metadata"]["annotations"].update({"aifactory.dev/rotated-at": stamp(-60), "aifactory.dev/rotated-by": broker.ROTATED_BY})
    publish(kube, expires_in_s=7200)
    kube.add_lease(NS, BROKER, holder=f"{BROKER}-7d9f-abcde", renew_time=stamp(-5, micro=True))
    return kube


def publish(kube, expires_in_s: int) -> None:
    """What the broker writes to the access Secret: the login without its refresh token."""
    doc = creds(refresh=None, expires_in_s=expires_in_s)
    expires = doc["claudeAiOauth"]["expiresAt"] / 1000
    kube.add_secret(NS, ACCESS, {"credentials.json": doc}, annotations={
        broker.ACCESS_ONLY: "true", broker.PUBLISHED_AT: stamp(-60)[:-1] + ".123Z",
        broker.ACCESS_EXPIRES_AT: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires))})


def status(run, fmt="json"):
    r = run("credentials", "status", "-n", NS, "--format", fmt)
    return r, (json.loads(r.out) if fmt == "json" else None)


def test_a_healthy_broker(brokered, run):
    r, doc = status(run)
    assert r.code == 0, r.out
    [row] = doc["installs"]
    assert (row["health"], row["problems"], row["warnings"], doc["findings"]) == ("healthy", [], [], [])
    assert row["mode"] == "broker" and {w["deployment"] for w in row["workloads"]} == {AGENTS, BROKER}
    b = row["broker"]
    assert b["deployment"] == BROKER and b["agents"] == [AGENTS]
    assert b["lease"]["up"] and b["lease"]["holder"] == f"{BROKER}-7d9f-abcde" and b["lease"]["leaseDurationSeconds"] == 45
    assert b["access"]["secret"] == ACCESS and 7100 < b["access"]["accessExpiresInSeconds"] <= 7200
    assert b["access"]["publishedAt"].endswith(".123Z")
    assert row["rotatedBy"] == broker.ROTATED_BY and row["expiresInSeconds"] > 7000
    assert row["fingerprintMatch"].startswith("refreshed by the credentials broker")
    text = run("credentials", "status", "-n", NS).out
    assert f"broker:        deployment/{BROKER} up (Lease {BROKER} held by {BROKER}-7d9f-abcde, renewed " in text
    assert "agents' token: expires " in text and f"in Secret {ACCESS}" in text and ", published " in text
    assert "health:        healthy" in text and "WARNING" not in text and "PROBLEM" not in text


@pytest.mark.parametrize("lease", ["lapsed", "released", "missing"])
def test_broker_down_while_the_agents_token_works_is_a_warning_naming_the_deadline(brokered, run, lease):
    renewed = stamp(-600, micro=True)
    if lease == "lapsed":       # the broker stopped renewing (killed, node gone) 10 minutes ago
        brokered.add_lease(NS, BROKER, holder=f"{BROKER}-7d9f-abcde", renew_time=renewed)
    elif lease == "released":   # it stopped on SIGTERM and nothing took over
        brokered.add_lease(NS, BROKER, holder="", renew_time=renewed, duration=1)
    else:
        brokered.leases.clear()
    r, doc = status(run)
    assert r.code == 0, r.out                      # a warning is not a failure
    [row] = doc["installs"]
    deadline = row["broker"]["access"]["accessExpiresAt"]
    assert row["problems"] == [] and not row["broker"]["lease"]["up"]
    assert row["health"] == f"broker down (agents work until {deadline})"
    [f] = doc["findings"]
    assert (f["severity"], f["rule"], f["resource"]) == ("warning", "credentials", f"Secret/{NS}/{SECRET}")
    msg = f["message"]
    assert msg.startswith("BROKER DOWN: the broker is down")
    if lease != "missing":
        assert f"down since {renewed}" in msg
    else:
        assert f"Lease {NS}/{BROKER} does not exist" in msg
    assert f"keep working until {deadline} (in 1h" in msg
    assert f"`kubectl -n {NS} rollout status deploy/{BROKER}`" in msg and f"`kubectl -n {NS} logs deploy/{BROKER}`" in msg
    text = run("credentials", "status", "-n", NS).out
    assert f"broker:        deployment/{BROKER} DOWN" in text and "WARNING:       BROKER DOWN" in text


def test_broker_down_and_the_agents_token_expired_is_an_error(brokered, run):
    brokered.add_lease(NS, BROKER, holder=f"{BROKER}-7d9f-abcde", renew_time=stamp(-3 * 3600, micro=True))
    publish(brokered, expires_in_s=-1800)
    r, doc = status(run)
    assert r.code == 1
    [row] = doc["installs"]
    assert row["health"] == "dead" and row["warnings"] == []
    [p] = row["problems"]
    assert p.startswith(f"DEAD: the agents' access token (Secret {NS}/{ACCESS}) expired ")
    assert "and the broker is down since" in p and "every Claude Code task of the agents fails" in p
    assert f"kubectl -n {NS} rollout status deploy/{BROKER}" in p
    assert [f["severity"] for f in doc["findings"]] == ["error"]
    text = run("credentials", "status", "-n", NS).out
    assert "agents' token: expires " in text and "(EXPIRED 30m ago)" in text and "PROBLEM:       DEAD:" in text


def test_a_refused_refresh_is_an_error_even_while_the_agents_work(brokered, run):
    brokered.secrets[(NS, SECRET)]["metadata"]["annotations"].update(
        {"aifactory.dev/login-state": "refresh-refused", "aifactory.dev/login-state-at": "2026-12-01T05:00:00Z"})
    r, doc = status(run)
    assert r.code == 1
    [row] = doc["installs"]
    assert row["health"] == "dead"
    [p] = row["problems"]
    assert p.startswith("DEAD: the credentials broker's refresh of this login was refused at 2026-12-01T05:00:00Z")
    assert f"the agents keep working until {row['broker']['access']['accessExpiresAt']}" in p
    assert "`aifactory-policy credentials rotate`" in p
    assert "login state:   refresh-refused at 2026-12-01T05:00:00Z" in run("credentials", "status", "-n", NS).out


def test_a_live_broker_that_let_the_agents_token_expire_is_an_error(brokered, run):
    publish(brokered, expires_in_s=-60)
    r, doc = status(run)
    assert r.code == 1
    [p] = doc["installs"][0]["problems"]
    assert "expired" in p and "the broker holds its Lease" in p and "published no newer token" in p


def test_nothing_published_and_the_broker_never_ran(brokered, run):
    brokered.add_lease(NS, BROKER)           # as the chart creates it: an empty spec
    brokered.add_secret(NS, ACCESS, {}, annotations={broker.ACCESS_ONLY: "true"})
    r, doc = status(run)
    assert r.code == 1
    [p] = doc["installs"][0]["problems"]
    assert f"no access token is published in Secret {NS}/{ACCESS}" in p and "no broker ever held it" in p


def test_only_the_lease_and_the_access_secret_are_read_for_the_broker(brokered, run):
    brokered.calls.clear()
    status(run)
    reads = {c for c in brokered.calls if c[0] in ("get_lease", "get_secret")}
    assert ("get_lease", NS, BROKER) in reads and ("get_secret", NS, ACCESS) in reads
    assert not [c for c in brokered.calls if c[0] in ("apply_secret", "restart_deployment")]


def test_a_writeback_install_reads_no_lease(tmp_path, kube, run):
    kube.add_deployment(NS, "aifactory", SECRET, mode="writeBack", sa="aifactory")
    assert run("credentials", "create-secret", "--install", "aifactory", "-n", NS,
               "--from-file", write_creds(tmp_path, creds())).code == 0
    r, doc = status(run)
    assert r.code == 0 and "broker" not in doc["installs"][0] and doc["installs"][0]["warnings"] == []
    assert not [c for c in kube.calls if c[0] == "get_lease"]


def test_the_broker_objects_are_found_by_the_names_the_chart_gives_them():
    """broker.installs on the chart's own render names the Lease and the access Secret it renders."""
    out = render("helm3", "--set", "remoteControl.enabled=true", "--set", "remoteControl.mode=broker",
                 "--set", f"remoteControl.credentialsSecretName={SECRET}", "--set", "replicaCount=3",
                 "--set", "remoteControl.broker.replicas=2", release="rel", namespace=NS)
    deployments = [d for d in out.docs if d["kind"] == "Deployment"]
    [install] = broker.installs(deployments)
    assert (install.namespace, install.secret, install.release) == (NS, SECRET, "rel")
    assert install.lease == out.one("Lease")["metadata"]["name"] == install.deployment == BROKER
    assert install.access == out.one("Secret", "-claude-access")["metadata"]["name"] == ACCESS
    assert install.brokers == [BROKER] and install.agents == [AGENTS]
    # without the agents' annotation and the broker's arguments, the chart's naming still finds them
    for d in deployments:
        d["spec"]["template"]["metadata"]["annotations"].pop(broker.ACCESS_SECRET, None)
        for c in d["spec"]["template"]["spec"]["containers"]:
            c.pop("args", None)
    [bare] = broker.installs(deployments)
    assert (bare.lease, bare.access) == (BROKER, ACCESS)
    [agents_only] = broker.installs([d for d in deployments if not broker.is_broker(d)])
    assert (agents_only.lease, agents_only.access, agents_only.brokers) == (BROKER, ACCESS, [])


def test_lease_times_with_microseconds_and_offsets():
    now = 1796126400.0   # 2026-12-01T12:00:00Z
    up = broker.lease_state(NS, BROKER, {"spec": {"holderIdentity": "b-1", "renewTime": "2026-12-01T11:59:30.250000Z",
                                                  "leaseDurationSeconds": 45}}, now)
    assert up["up"] and up["downSince"] is None
    lapsed = broker.lease_state(NS, BROKER, {"spec": {"holderIdentity": "b-1", "renewTime": "2026-12-01T12:59:00+01:00",
                                                      "leaseDurationSeconds": 45}}, now)
    assert not lapsed["up"] and lapsed["downSince"] == "2026-12-01T12:59:00+01:00"
    assert lapsed["reason"] == f"Lease {BROKER} held by b-1, not renewed within its 45s: lapsed 0m ago"


def test_the_broker_script_and_the_cli_name_its_annotations_the_same():
    """The stdlib-only broker keeps its own copy of the annotation keys; this pins them together."""
    import importlib.util
    import sys
    from chart_render import CHART
    script = CHART / "files" / "credentials_broker.py"
    sys.path.insert(0, str(script.parent))   # it imports credentials_writeback beside it, as in the ConfigMap
    try:
        spec = importlib.util.spec_from_file_location("credentials_broker_pinned", script)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = mod             # its dataclasses look their module up
        spec.loader.exec_module(mod)
    finally:
        sys.path.remove(str(script.parent))
        sys.modules.pop("credentials_broker_pinned", None)
    assert (mod.ACCESS_EXPIRES_AT, mod.PUBLISHED_AT, mod.FIELD_MANAGER) == \
        (broker.ACCESS_EXPIRES_AT, broker.PUBLISHED_AT, broker.ROTATED_BY)
    from aifactory_policy.credentials import secret as sec
    assert (mod.wb.LOGIN_STATE, mod.wb.REFRESH_REFUSED, mod.wb.ROTATED_BY) == \
        (sec.LOGIN_STATE, sec.REFRESH_REFUSED, sec.ROTATED_BY)


def test_the_login_end_of_a_broker_install_is_the_source_secrets(brokered, run):
    """The agents' access-only file carries no end; the broker's login in the source Secret does."""
    ends = int((time.time() + 3 * 86400) * 1000)
    s = brokered.secrets[(NS, SECRET)]
    s["data"]["credentials.json"] = base64.b64encode(json.dumps(
        creds(refresh=other_refresh("BROKER"), expires_in_s=7200, refreshTokenExpiresAt=ends)).encode()).decode()
    r = run("credentials", "status", "-n", NS, "--format", "json")
    row = json.loads(r.out)["installs"][0]
    assert r.code == 0 and row["health"] == "healthy" and row["loginEndState"] == "ends soon", row
    assert row["loginEndsAt"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ends / 1000))
    assert any("the login ends at" in w for w in row["warnings"])
