"""The credentials broker with the REAL Claude Code against the fake endpoint (single use, family
revocation, and with or without revoking the old access token at each refresh), the chart's broker
and receiver scripts as processes, and a stateful fake API server (tests/broker_rig.py)."""
from __future__ import annotations

import base64
import json
import signal
import threading
import time

import pytest

from broker_rig import ACCESS, KEY, SOURCE, BrokerRig, file_mode, wait_until
from claude_sandbox import login
from fake_anthropic import Switches
from lifecycle_fixtures import endpoint, tls  # noqa: F401  (fixtures)
from test_broker_alerts import promtool  # noqa: F401  (fixture)

SINGLE_USE = Switches(access_lifetime_s=3600, single_use=True, revoke_family_on_reuse=True)
REVOKING = Switches(access_lifetime_s=3600, single_use=True, revoke_family_on_reuse=True,
                    revoke_access_on_refresh=True)


@pytest.fixture
def rig(claude_cli, endpoint, tmp_path):
    r = BrokerRig(tmp_path, claude_cli, endpoint)
    yield r
    r.close()


def decode(data: str) -> dict:
    return json.loads(base64.b64decode(data))


def oauth(doc: dict) -> dict:
    return doc.get("claudeAiOauth") or {}


@pytest.mark.parametrize("endpoint", [SINGLE_USE], indirect=True)
def test_broker_refreshes_once_persists_first_and_agents_get_access_only(rig):
    first = login("broker-a", 30)            # inside the 60 s lead: due at once
    rig.install(first)
    broker = rig.broker()
    receiver, agent = rig.receiver()
    wait_until(lambda: len(rig.endpoint.refreshes()) == 1 and oauth(rig.access_login()).get("accessToken")
               and oauth(rig.access_login())["accessToken"] != oauth(first)["accessToken"], 60,
               "one refresh and its access token published")
    new = oauth(rig.source_login())
    assert new["refreshToken"] != oauth(first)["refreshToken"] and new["expiresAt"] > oauth(first)["expiresAt"]
    published = oauth(rig.access_login())
    assert "refreshToken" not in published and published["accessToken"] == new["accessToken"]
    # The Secret got the pair before the access Secret got its token (persist, then hand out).
    writes = [(w["name"], w["data"][KEY]) for w in rig.kube.store.writes if w["data"]]
    persisted = next(i for i, (n, d) in enumerate(writes) if n == SOURCE and oauth(decode(d)).get("refreshToken") == new["refreshToken"])
    handed = next(i for i, (n, d) in enumerate(writes) if n == ACCESS and oauth(decode(d)).get("accessToken") == new["accessToken"])
    assert persisted < handed
    target = agent.credentials.resolve()
    wait_until(lambda: target.exists() and oauth(json.loads(target.read_text())).get("accessToken") == new["accessToken"],
               10, "the receiver wrote the new access token")
    assert file_mode(target) == 0o440
    assert "sk-ant-ort01" not in target.read_text()
    r = agent.task()
    assert r.code == 0, r.err
    time.sleep(2)
    assert len(rig.endpoint.refreshes()) == 1, "a second refresh within one lifetime"
    assert rig.presented() == [rig.endpoint.fp(oauth(first)["refreshToken"])]
    for proc in (broker, receiver):
        assert "sk-ant-ort01-FAKE" not in proc.text() and "sk-ant-oat01-FAKE" not in proc.text()
    assert broker.stop() == 0 and "released the lease" in broker.text()


def tool_task(agent, seconds: int):
    """An agent task whose first turn is a tool run (the fake's Bash `sleep`), so it spans a refresh."""
    return agent.run("-p", "run the tool", "--allowedTools", "Bash(sleep:*)", timeout=seconds + 90)


def receiver_writes(proc) -> list[tuple[int, float]]:
    """(expiresAt-free) write times the receiver logged: [(line number, epoch seconds)]."""
    out = []
    for n, line in enumerate(proc.text().splitlines()):
        if " wrote " in line and "; written " in line:
            out.append((n, float(line.rsplit("; written ", 1)[1])))
    return out


@pytest.mark.parametrize("endpoint", [
    pytest.param(Switches(access_lifetime_s=3600, revoke_family_on_reuse=True, tool_sleep_s=8), id="old-token-kept"),
    pytest.param(Switches(access_lifetime_s=3600, revoke_family_on_reuse=True, revoke_access_on_refresh=True,
                          tool_sleep_s=8), id="old-token-revoked-at-refresh"),
], indirect=True)
def test_a_task_running_across_a_refresh_finishes(rig):
    first = login("span", 64)                # due 4 s after the broker starts (lead 60 s), mid-task
    rig.install(first)
    receiver, agent = rig.receiver()
    broker = rig.broker()
    wait_until(lambda: agent.credentials.exists(), 20, "the first access login in the agent")
    result = {}
    task = threading.Thread(target=lambda: result.update(r=tool_task(agent, 8)))
    task.start()
    task.join(120)
    r = result["r"]
    assert r.code == 0, (r.out[-500:], r.err[-500:], broker.text()[-1500:])
    refreshes = rig.endpoint.refreshes()
    assert len(refreshes) == 1 and refreshes[0]["outcome"] == "issued"
    turns = [x for x in rig.endpoint.authority.records if x["path"] == "/v1/messages" and x["method"] == "POST"
             and x["tools"]]            # the agent's; the broker's refresh request offers no tools
    tool_turn = [x for x in rig.endpoint.authority.records if x.get("outcome") == "tool_use"]
    assert tool_turn and refreshes[0]["t"] > tool_turn[0]["t"], "the refresh did not happen during the tool run"
    # Measured: the task's next call already used the new token (Claude Code re-read the file behind
    # the symlink), so even a server that revokes the old token at refresh answered no 401.
    assert [x["status"] for x in turns] == [200, 200]
    assert turns[1]["access"] != turns[0]["access"]


def due_login(rig, tag: str, in_s: float = 61) -> dict:
    """A login the broker (lead 60 s) refreshes `in_s - 60` seconds after it starts."""
    first = login(tag, in_s)
    rig.install(first)
    return first


def assert_never_presented_twice(rig) -> None:
    presented = rig.presented()
    assert len(presented) == len(set(presented)), f"a refresh token was presented twice: {presented}"
    assert all(r["outcome"] == "issued" for r in rig.endpoint.refreshes()), rig.endpoint.refreshes()


def newest_issued(rig) -> str:
    return rig.endpoint.refreshes()[-1]["issued_refresh"]


@pytest.mark.parametrize("endpoint", [SINGLE_USE], indirect=True)
def test_sigterm_at_any_point_of_a_refresh_loses_nothing(rig):
    """kubelet's SIGTERM reaches the broker alone (PID 1), never the Claude Code it runs: the refresh in
    flight ends, its pair reaches the Secret, the lease is released, and a NEW pod continues from it."""
    due_login(rig, "term", 30)
    for i, delay in enumerate([0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.45, 0.7]):
        broker = rig.broker(f"term-{i}")       # a new pod each time: nothing survives but the Secret
        wait_until(lambda: "refreshing" in broker.text(), 20, "the broker started a refresh")
        time.sleep(delay)
        broker.popen.send_signal(signal.SIGTERM)
        assert broker.popen.wait(timeout=40) == 0, broker.text()
        assert "released the lease" in broker.text()
        assert len(rig.endpoint.refreshes()) == i + 1, broker.text()
        assert rig.endpoint.fp(oauth(rig.source_login())["refreshToken"]) == newest_issued(rig), broker.text()
        # Make the stored pair due again for the next pod (a test-only edit of its expiry, same tokens).
        stored = rig.source_login()
        stored["claudeAiOauth"]["expiresAt"] = int((time.time() + 30) * 1000)
        rig.kube.store.secret(SOURCE, {KEY: json.dumps(stored)})
    assert_never_presented_twice(rig)


def persist_windows(rig) -> list[float]:
    """For each refresh: seconds from the fake issuing the pair to the Secret holding it."""
    out = []
    for r in rig.endpoint.refreshes():
        if r["outcome"] != "issued":
            continue
        later = [w["t"] for w in rig.kube.store.writes if w["name"] == SOURCE and w["data"]
                 and rig.endpoint.fp(oauth(decode(w["data"][KEY])).get("refreshToken", "")) == r["issued_refresh"]]
        if later:
            out.append(min(later) - r["t"])
    return out


@pytest.mark.parametrize("endpoint", [SINGLE_USE], indirect=True)
def test_sigkill_of_the_container_loses_a_pair_only_inside_the_measured_window(rig):
    """SIGKILL of every process of the broker's container (OOM, a crash) at many points of a refresh,
    then the container restarts on the same in-memory HOME (an emptyDir outlives its containers).
    Outside the window between the server issuing a pair and Claude Code writing it to the file,
    the restart continues from the newest pair (written to the Secret if the kill came before that)
    and presents no refresh token twice. Inside it the pair is lost with the process that held it:
    the restart's retry presents the old token again and a single-use server refuses it."""
    outcomes: dict[str, list[float]] = {"nothing yet": [], "in the Secret": [], "written by the restart": [],
                                        "lost (inside the window)": []}
    rig.install(login("kill-0", 30))
    for i, delay in enumerate([0.0, 0.02, 0.05, 0.08, 0.1, 0.13, 0.16, 0.2, 0.25, 0.3, 0.4, 0.6]):
        before = len(rig.endpoint.refreshes())
        broker = rig.broker(f"pod-{i}")                 # one pod per round; its HOME survives the kill
        wait_until(lambda: "refreshing" in broker.text(), 20, "the broker started a refresh")
        time.sleep(delay)
        broker.stop(signal.SIGKILL)
        issued = [r for r in rig.endpoint.refreshes()[before:] if r["outcome"] == "issued"]
        in_secret = rig.endpoint.fp(oauth(rig.source_login())["refreshToken"])
        private = rig.root / f"pod-{i}" / ".claude" / ".credentials.json"
        in_file = rig.endpoint.fp(oauth(json.loads(private.read_text())).get("refreshToken", ""))
        restarted = rig.broker(f"pod-{i}")              # the container restarts
        if not issued:
            outcome = "nothing yet"
            wait_until(lambda: len(rig.endpoint.refreshes()) > before, 20, "the restart's refresh")
        elif issued[-1]["issued_refresh"] == in_secret:
            outcome = "in the Secret"
        elif issued[-1]["issued_refresh"] == in_file:
            outcome = "written by the restart"
            wait_until(lambda: rig.endpoint.fp(oauth(rig.source_login())["refreshToken"]) == in_file, 20,
                       "the restart writing the refreshed pair to the Secret")
        else:
            outcome = "lost (inside the window)"
            wait_until(lambda: "refused" in restarted.text(), 20, "the restart's retry to be refused")
        restarted.stop()
        outcomes[outcome].append(delay)
        if outcome == "lost (inside the window)":
            rig.install(login(f"kill-{i + 1}", 30))      # renewed: a new login for the next rounds
            continue
        if outcome == "nothing yet":
            wait_until(lambda: rig.endpoint.fp(oauth(rig.source_login())["refreshToken"]) == newest_issued(rig),
                       20, "the restart's pair in the Secret")
        stored = rig.source_login()
        stored["claudeAiOauth"]["expiresAt"] = int((time.time() + 30) * 1000)   # due again (test-only edit)
        rig.kube.store.secret(SOURCE, {KEY: json.dumps(stored)})
    reused = [r for r in rig.endpoint.refreshes() if r["outcome"] != "issued"]
    assert len(reused) == len(outcomes["lost (inside the window)"]), (reused, outcomes)
    assert outcomes["nothing yet"] and (outcomes["in the Secret"] or outcomes["written by the restart"]), outcomes
    windows = persist_windows(rig)
    assert windows and max(windows) < 1.0, windows
    seen = sorted(float(line.rsplit(" at ", 1)[1]) for i in range(12) for line in
                  (rig.root / f"pod-{i}.log").read_text().splitlines() if "new pair in the private file at" in line)
    issued_at = sorted(r["t"] for r in rig.endpoint.refreshes() if r["outcome"] == "issued")
    to_file = [min(t for t in seen if t >= i) - i for i in issued_at if any(t >= i for t in seen)]
    print(f"SIGKILL rounds by outcome (kill delay after 'refreshing', s): {outcomes}")
    print(f"pair issued -> in the broker's file (the window a container restart cannot close): "
          f"median {sorted(to_file)[len(to_file) // 2] * 1000:.0f} ms, worst {max(to_file) * 1000:.0f} ms")
    print(f"pair issued -> in the Secret, {len(windows)} refreshes: median {sorted(windows)[len(windows) // 2] * 1000:.0f} ms, "
          f"worst {max(windows) * 1000:.0f} ms")


@pytest.mark.parametrize("endpoint", [SINGLE_USE], indirect=True)
def test_api_server_down_during_a_refresh(rig):
    """The pair is kept in the private HOME and written once the API server answers again; agents
    get the new token only after that (the Secret first), and nothing is presented twice."""
    due_login(rig, "down", 30)
    receiver, agent = rig.receiver()
    broker = rig.broker()
    wait_until(lambda: agent.credentials.exists(), 20, "the first access login")
    old_access = oauth(json.loads(agent.credentials.read_text()))["accessToken"]
    # Down from the moment the refresh starts (the check runs at the fake's refresh request).
    rig.endpoint.authority.on_record = lambda e: setattr(rig.kube.store, "down", True) if e["path"].endswith("/token") else None
    wait_until(lambda: rig.endpoint.refreshes(), 20, "the refresh")
    time.sleep(3)
    assert rig.kube.store.down
    assert oauth(json.loads(agent.credentials.read_text()))["accessToken"] == old_access
    assert "cannot write the new pair to the Secret yet" in broker.text()
    rig.kube.store.down = False
    wait_until(lambda: rig.endpoint.fp(oauth(rig.source_login())["refreshToken"]) == newest_issued(rig), 30,
               "the pair in the Secret after the outage")
    wait_until(lambda: oauth(json.loads(agent.credentials.read_text()))["accessToken"] != old_access, 30,
               "the receiver to get the new token after the outage")
    assert agent.task().code == 0
    assert len(rig.endpoint.refreshes()) == 1
    assert_never_presented_twice(rig)


@pytest.mark.parametrize("endpoint", [SINGLE_USE], indirect=True)
def test_rotate_while_the_broker_runs_switches_to_the_new_login(rig):
    due_login(rig, "old", 3600)
    receiver, agent = rig.receiver()
    broker = rig.broker()
    wait_until(lambda: agent.credentials.exists(), 20, "the first access login")
    renewed = login("renewed", 3600)
    rig.install(renewed)                     # what `credentials rotate` / `renew` does to the Secret
    wait_until(lambda: oauth(json.loads(agent.credentials.read_text()))["accessToken"] == oauth(renewed)["accessToken"],
               20, "the renewed login's access token in the agent")
    assert agent.task().code == 0
    assert rig.endpoint.refreshes() == []    # the old family is never presented again
    assert oauth(rig.source_login())["refreshToken"] == oauth(renewed)["refreshToken"]


@pytest.mark.parametrize("endpoint", [SINGLE_USE], indirect=True)
def test_deleted_secret_stops_refreshing_and_agents_keep_their_token(rig):
    first = due_login(rig, "deleted", 3600)
    receiver, agent = rig.receiver()
    broker = rig.broker()
    wait_until(lambda: agent.credentials.exists(), 20, "the first access login")
    rig.kube.store.delete("secrets", SOURCE)
    stored = json.loads(json.dumps(first))
    wait_until(lambda: "source Secret" in broker.text() and "missing" in broker.text(), 20, "the broker noticing")
    time.sleep(2)
    assert rig.endpoint.refreshes() == []
    assert agent.task().code == 0            # the token the agent holds still works
    stored["claudeAiOauth"]["expiresAt"] = int((time.time() + 30) * 1000)   # recreated, now due
    rig.kube.store.secret(SOURCE, {KEY: json.dumps(stored)})
    wait_until(lambda: len(rig.endpoint.refreshes()) == 1, 20, "the refresh once the Secret is back")
    assert_never_presented_twice(rig)


@pytest.mark.parametrize("endpoint", [SINGLE_USE], indirect=True)
def test_a_spent_login_put_back_is_never_presented_again(rig):
    """A restore or a syncer re-asserting the old value puts a spent refresh token back into the Secret:
    the broker sees its recorded SHA-256 prefix and keeps its newer pair instead of presenting it."""
    first = due_login(rig, "restored", 30)
    broker = rig.broker()
    wait_until(lambda: len(rig.endpoint.refreshes()) == 1 and
               rig.endpoint.fp(oauth(rig.source_login())["refreshToken"]) == newest_issued(rig), 20, "one refresh")
    newer = rig.source_login()
    spent = rig.kube.store.get("secrets", SOURCE)["metadata"]["annotations"]["aifactory.dev/spent-refresh-tokens"]
    assert len(spent.split()) == 1 and len(spent) == 16 and "sk-ant" not in spent
    rig.kube.store.secret(SOURCE, {KEY: json.dumps(first)})   # the old, spent value comes back
    wait_until(lambda: rig.source_login() == newer, 20, "the broker writing its newer pair back")
    broker.stop()
    # A NEW broker pod (no private HOME) finding the spent login again: the Secret's record stops it.
    rig.kube.store.secret(SOURCE, {KEY: json.dumps(first)}, annotations={"aifactory.dev/spent-refresh-tokens": spent})
    fresh = rig.broker("new-pod")
    wait_until(lambda: "already exchanged" in fresh.text(), 20, "the new broker refusing the spent login")
    time.sleep(1.5)
    assert len(rig.endpoint.refreshes()) == 1
    assert_never_presented_twice(rig)


@pytest.mark.parametrize("endpoint", [SINGLE_USE], indirect=True)
def test_two_replicas_one_refresher_and_a_standby_that_takes_over(rig):
    due_login(rig, "ha", 3600)
    a = rig.broker("replica-a")
    wait_until(lambda: "published" in a.text(), 20, "replica a leading")
    b = rig.broker("replica-b")
    wait_until(lambda: "standing by" in b.text(), 20, "replica b standing by")
    a.stop(signal.SIGKILL)                   # no release: b must wait out the lease (15 s here)
    killed_at = time.monotonic()
    stored = rig.source_login()
    stored["claudeAiOauth"]["expiresAt"] = int((time.time() + 30) * 1000)
    rig.kube.store.secret(SOURCE, {KEY: json.dumps(stored)})
    wait_until(lambda: len(rig.endpoint.refreshes()) == 1, 40, "the standby's refresh")
    took = time.monotonic() - killed_at
    assert 15 <= took < 25, took
    assert "holding the Secret's login" in b.text()
    c = rig.broker("replica-c")              # a third replica meanwhile never refreshes
    time.sleep(2)
    assert "standing by" in c.text()
    assert len(rig.endpoint.refreshes()) == 1
    assert_never_presented_twice(rig)


@pytest.mark.parametrize("endpoint", [SINGLE_USE], indirect=True)
def test_broker_down_longer_than_an_access_token_lives(rig):
    """Agents work on the token they hold until it expires, then fail with 401; the broker's refresh
    token is still good, so a broker that comes back refreshes and the agents work again."""
    first = login("outage", 8)
    rig.install(first)
    receiver, agent = rig.receiver()
    broker = rig.broker(lead=2)
    wait_until(lambda: agent.credentials.exists(), 20, "the first access login")
    broker.stop()                                     # down before the refresh was due
    assert rig.endpoint.refreshes() == []
    assert agent.task().code == 0                     # still valid
    time.sleep(max(0.0, oauth(first)["expiresAt"] / 1000 - time.time()) + 1)
    failed = agent.task()
    assert failed.code == 1 and "401" in failed.out + failed.err
    back = rig.broker("broker-b", lead=2)
    wait_until(lambda: len(rig.endpoint.refreshes()) == 1, 30, "the returning broker's refresh")
    wait_until(lambda: oauth(json.loads(agent.credentials.read_text()))["accessToken"] != oauth(first)["accessToken"],
               20, "the new token in the agent")
    assert agent.task().code == 0
    assert_never_presented_twice(rig)
    back.stop()


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(port: int) -> dict[str, float]:
    import urllib.request
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
            if line.startswith("aifactory_broker_")}


@pytest.mark.parametrize("endpoint", [SINGLE_USE], indirect=True)
def test_metrics_say_what_the_broker_did(rig):
    """The broker's Prometheus endpoint (the official client) after one refresh and one refusal; the
    login's end stays absent: this login was stored without refreshTokenExpiresAt, a refresh never
    adds one (measured: tests/test_login_end_real_claude.py), and the broker never guesses it."""
    due_login(rig, "metrics", 30)
    port = free_port()
    broker = rig.broker("metrics", "--metrics-port", str(port))
    wait_until(lambda: len(rig.endpoint.refreshes()) == 1, 20, "the refresh")
    # Several gauges move per refresh: wait for the last of them (the next pass sets the expiry).
    got = wait_until(lambda: (m := scrape(port)).get("aifactory_broker_access_token_expiry_timestamp_seconds", 0)
                     > time.time() + 3000 and m.get("aifactory_broker_last_refresh_success") == 1 and m, 10,
                     "the metrics after the refresh")
    assert got["aifactory_broker_leader"] == 1 and got['aifactory_broker_refreshes_total{result="issued"}'] == 1
    assert got["aifactory_broker_last_refresh_success"] == 1 and got["aifactory_broker_login_refused"] == 0
    assert got["aifactory_broker_access_token_expiry_timestamp_seconds"] > time.time() + 3000
    assert got["aifactory_broker_source_secret_present"] == 1
    assert got["aifactory_broker_last_publish_timestamp_seconds"] > time.time() - 30
    assert not any(k.startswith("aifactory_broker_login_end") for k in got), "an unknown end must be absent, not 0"
    # The fake refuses the next refresh (its family revoked): the gauge pages.
    rig.endpoint.authority.families["f1"].revoked = True
    stored = rig.source_login()
    stored["claudeAiOauth"]["expiresAt"] = int((time.time() + 30) * 1000)
    rig.kube.store.secret(SOURCE, {KEY: json.dumps(stored)})
    wait_until(lambda: scrape(port).get("aifactory_broker_login_refused") == 1, 20, "login_refused = 1")
    assert scrape(port)['aifactory_broker_refreshes_total{result="refused"}'] == 1
    assert "sk-ant" not in json.dumps(scrape(port))
    broker.stop()


ANNOUNCING = Switches(access_lifetime_s=3600, single_use=True, revoke_family_on_reuse=True,
                     family_lifetime_s=30 * 86400)


@pytest.mark.parametrize("endpoint", [ANNOUNCING], indirect=True)
def test_the_login_end_reaches_the_metric_the_secret_and_the_log(rig, promtool, tmp_path):
    """A login that ends in 5 days (as `claude auth login` stores it), refreshed by the real Claude Code
    against an endpoint announcing 30: the earlier end stays (measured), and the broker exports it as
    aifactory_broker_login_end_timestamp_seconds, writes it beside the login, logs a WARNING; that very
    value makes the chart's AIFactoryClaudeLoginEndsSoon fire in the real promtool."""
    from test_broker_alerts import SEL, alert, run as promtool_run
    first = login("ends", 61)
    ends_ms = int((time.time() + 5 * 86400) * 1000)
    first["claudeAiOauth"]["refreshTokenExpiresAt"] = ends_ms
    rig.install(first)
    port = free_port()
    broker = rig.broker("ends", "--metrics-port", str(port))
    wait_until(lambda: len(rig.endpoint.refreshes()) == 1, 20, "the refresh")
    [refresh] = rig.endpoint.refreshes()
    assert refresh["outcome"] == "issued" and refresh["refresh_token_expires_in"] > 29 * 86400
    stored = wait_until(lambda: (o := oauth(rig.source_login())).get("refreshToken") != oauth(first)["refreshToken"]
                        and o, 20, "the new pair in the Secret")
    assert stored["refreshTokenExpiresAt"] == ends_ms
    ends = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ends_ms / 1000))
    assert rig.kube.store.get("secrets", SOURCE)["metadata"]["annotations"]["aifactory.dev/refresh-token-expires-at"] == ends
    scraped_at = time.time()
    value = wait_until(lambda: scrape(port).get("aifactory_broker_login_end_timestamp_seconds"), 10, "the login end")
    assert value == ends_ms / 1000
    log = wait_until(lambda: "WARNING: the login ends at" in broker.text() and broker.text(), 10, "the log")
    assert f"the login ends at {ends} (in 4 days, 23 h" in log and "credentials login" in log
    broker.stop()
    # promtool's clock starts at 0: the series is the scraped value shifted by the scrape time.
    left = int(value - scraped_at)
    tests = {"rule_files": ["rules.yaml"], "evaluation_interval": "1m", "tests": [
        {"name": "the broker's own value", "interval": "1m",
         "input_series": [{"series": f"aifactory_broker_login_end_timestamp_seconds{{{SEL}}}", "values": f"{left}x30"}],
         "alert_rule_test": [
             {"eval_time": "9m", "alertname": "AIFactoryClaudeLoginEndsSoon", "exp_alerts": []},
             {"eval_time": "10m", "alertname": "AIFactoryClaudeLoginEndsSoon",
              "exp_alerts": [alert("AIFactoryClaudeLoginEndsSoon", "warning")]}]}]}
    proc = promtool_run(promtool, tmp_path, tests)
    assert proc.returncode == 0, proc.stdout + proc.stderr
