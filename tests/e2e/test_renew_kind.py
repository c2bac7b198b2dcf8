"""The monthly renewal in kind, measured: `aifactory-policy credentials renew` switches a RUNNING broker
install to a new token family while agent tasks run without pause, and the downtime is counted.

Nothing of Claude Code is simulated: the renewal's login is the REAL `claude auth login` on this
machine (code-paste flow, no browser), talking to the fake authorization server that runs in the
cluster (tests/fake_anthropic.py, reached through `kubectl port-forward` and /etc/hosts in a mount
namespace); the operator (tests/renew_driver.py) reads the URL on stderr, "opens it on another
device" and types the code at a pseudo-terminal. The broker and the agents are the chart's pods
with the real Claude Code; a task is `claude -p` in an agent container whose first turn is a tool
run, so tasks are in flight when the family changes.

Measured and printed: tasks failed during the renewal, the longest time without a successful task
completion during the renewal against before it, the broker's publication after the Secret write,
the receivers' writes. Asserted: no task fails, no pod restarts, the tasks after the switch run on
the new family, no refresh token of the old family is presented, the old family is retired in the
Secret, `helm test` passes.
"""
from __future__ import annotations

import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from types import SimpleNamespace

import pytest

from broker_rig import _claude_wrapper
from chart_release import CHART, REPO, SECRET
from e2e_helpers import HELM, helm
from fake_anthropic import HOSTS, MESSAGES_PATH, REPLY_TEXT
from helpers import wait_for
from renew_driver import browser, operate
from test_broker_kind import agent_pods, diagnosis, receiver_writes, task, values
from test_token_lifecycle_kind import create_secret, deploy_fake, login, tls  # noqa: F401  (fixture)

pytestmark = pytest.mark.cluster

LIFETIME, TOOL_SLEEP, AGENTS = 900, 3, 2   # no refresh in the test's few minutes: only the renewal changes the family
BEFORE_S, AFTER_S = 25, 25                 # tasks run this long before the renewal starts and after it ends
SPENT = "aifactory.dev/spent-refresh-tokens"
KUBECTL = REPO / "bin" / "kubectl"


def sha16(token: str) -> str:
    import hashlib
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def port_forward(cluster, ns: str) -> tuple[subprocess.Popen, str]:
    """The in-cluster fake on port 443 of a loopback address of its own, for the CLI on this machine."""
    ip = f"127.{random.randint(64, 250)}.{random.randint(1, 250)}.{random.randint(1, 250)}"
    proc = subprocess.Popen([str(KUBECTL), "--kubeconfig", str(cluster.kubeconfig), "port-forward", "-n", ns,
                             "svc/fake-anthropic", "--address", ip, "443:443"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)

    def listening() -> bool:
        try:
            socket.create_connection((ip, 443), timeout=1).close()
            return True
        except OSError:
            return False
    assert wait_for(listening, timeout=30, step=0.5), "kubectl port-forward to the fake did not come up"
    return proc, ip


def longest_gap(completions: list[float], start: float, end: float) -> float:
    """The longest stretch of [start, end] without a successful task completion."""
    points = [start] + sorted(t for t in completions if start <= t <= end) + [end]
    return max(b - a for a, b in zip(points, points[1:]))


def pod_restarts(cluster, ns: str, release: str) -> dict:
    pods = json.loads(cluster.kubectl("get", "pods", "-n", ns, "-l", f"app.kubernetes.io/instance={release}",
                                      "-o", "json").stdout)["items"]
    return {p["metadata"]["name"]: sum(c.get("restartCount", 0) for c in p["status"].get("containerStatuses") or [])
            for p in pods if not p["metadata"].get("deletionTimestamp")
            and p["metadata"]["labels"].get("app.kubernetes.io/component") in ("agent", "credentials-broker")}


def test_renew_switches_a_running_broker_install_and_the_downtime_is_measured(
        cluster, restricted_namespace, test_image, writeback_image, broker_image, claude_cli, tls, tmp_path):
    ns = restricted_namespace("renew")
    seed = login("renew", LIFETIME)
    fake = deploy_fake(cluster, ns, writeback_image, tls, [seed], access_lifetime=LIFETIME, revoke=True,
                       extra_args=("--tool-sleep", str(TOOL_SLEEP)))
    release = f"rnw-{uuid.uuid4().hex[:5]}"
    create_secret(cluster, ns, release, seed, tmp_path)
    path = tmp_path / "values.json"
    path.write_text(json.dumps(values(fake, {"agent": test_image, "writeback": writeback_image, "broker": broker_image},
                                      replicas=AGENTS)))
    helm(cluster, "upgrade", "--install", release, str(CHART), "-n", ns, "-f", str(path), "--wait", "--timeout", "300s")
    assert wait_for(lambda: len(agent_pods(cluster, ns, release)) == AGENTS, timeout=180, step=1)
    pods_before = pod_restarts(cluster, ns, release)

    forward, ip = port_forward(cluster, ns)
    hosts = tmp_path / "hosts"
    hosts.write_text(f"127.0.0.1 localhost\n{ip} {' '.join(HOSTS)}\n")
    wrapper = _claude_wrapper(tmp_path / "claude-in-namespace", claude_cli, SimpleNamespace(hosts_file=hosts))

    started = time.time()
    results: list[tuple[str, int, str, float, float]] = []
    stop = threading.Event()

    def worker(pod: str) -> None:
        while not stop.is_set():
            t0 = time.time()
            code, out = task(cluster, ns, pod)
            results.append((pod, code, out, t0, time.time()))

    workers = [threading.Thread(target=worker, args=(p,), daemon=True)
               for p in agent_pods(cluster, ns, release) for _ in range(2)]   # two tasks at a time per pod
    try:
        for w in workers:
            w.start()
        time.sleep(BEFORE_S)
        renew_started = time.time()
        home = tmp_path / "operator-home"
        home.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "CLAUDE_"))}
        env.update(HOME=str(home), NODE_EXTRA_CA_CERTS=str(tls.ca), PYTHONPATH=str(REPO / "src"))
        r = operate([sys.executable, "-m", "aifactory_policy", "credentials", "renew", "--install", release, "-n", ns,
                     "--kubeconfig", str(cluster.kubeconfig), "--claude", str(wrapper), "--helm", str(HELM),
                     "--format", "json", "--timeout", "180", "--login-timeout", "120"],
                    env, browser(ip, 443, str(tls.ca)), timeout=600)
        renew_ended = time.time()
        time.sleep(AFTER_S)
    finally:
        stop.set()
        for w in workers:
            w.join(300)
        forward.terminate()
        forward.wait(10)
    for text in (r.out, r.err, r.terminal):
        assert "sk-ant-" not in text and "FAKE-kind" not in text, "a token reached the operator's terminal"
    assert r.code == 0, r.err[-4000:]
    assert r.url.startswith("https://claude.ai/oauth/authorize?") and "open the URL above on any device" in r.err
    assert r.pasted not in r.terminal, "the code was echoed"
    renewal = json.loads(r.out)["renewal"]
    assert renewal["modes"] == ["broker"] and renewal["restarted"] == [] and renewal["verified"] == "helm test passed"
    assert [h["deployment"] for h in renewal["handedOver"]] == [f"{release}-aifactory-credentials-broker"]
    published_after = renewal["handedOver"][0]["publishedAfterSeconds"]

    # The downtime: failed tasks, and the longest time without a successful completion.
    failed = [(p, code, out[-300:], round(t0 - started), round(t1 - started)) for p, code, out, t0, t1 in results
              if code != 0 or REPLY_TEXT not in out]
    done = [t1 for _, code, out, _, t1 in results if code == 0 and REPLY_TEXT in out]
    gap_before = longest_gap(done, started + 10, renew_started)
    gap_during = longest_gap(done, renew_started, renew_ended + 10)
    during = [x for x in results if x[4] >= renew_started and x[3] <= renew_ended + 10]
    before = [x for x in results if x[4] < renew_started]
    took = lambda rows: statistics.median(t1 - t0 for *_, t0, t1 in rows) if rows else float("nan")  # noqa: E731

    # The switch: the family the login made, in the Secret, published, written by each receiver.
    logins = fake.logins()
    assert [x["outcome"] for x in logins] == ["issued"], logins
    new_family, login_at = logins[0]["family"], logins[0]["t"]
    source = cluster.get("secret", SECRET, ns)
    import base64
    stored = json.loads(base64.b64decode(source["data"]["credentials.json"]))["claudeAiOauth"]
    assert fake.fp(stored["refreshToken"]) == logins[0]["issued_refresh"]
    assert sha16(seed["claudeAiOauth"]["refreshToken"]) in (source["metadata"]["annotations"].get(SPENT) or "").split()
    writes = {p: [w for w in receiver_writes(cluster, ns, p) if w >= login_at] for p in agent_pods(cluster, ns, release)}
    assert all(writes.values()), f"a receiver did not write the renewed login: {writes}"
    receiver_after_login = max(min(w) for w in writes.values()) - login_at

    print(f"renewal in kind: {len(failed)} of {len(results)} tasks failed ({len(during)} ran during the renewal); "
          f"longest time without a successful task: {gap_during:.1f} s during the renewal, {gap_before:.1f} s before "
          f"it; median task {took(before):.1f} s before, {took(during):.1f} s during; code typed -> renew exit {r.seconds:.1f} s (helm test included); broker published the new access "
          f"token {published_after:.2f} s after the Secret write; every receiver had it {receiver_after_login:.1f} s "
          f"after the login's code exchange")
    assert not failed, diagnosis(cluster, ns, release, fake, started, failed)
    assert pod_restarts(cluster, ns, release) == pods_before, "a pod restarted or was replaced"

    # After the switch the tasks run on the new family; the old family is never presented.
    records = fake.records()
    late = {x.get("family") for x in records if x["path"] == MESSAGES_PATH and x["method"] == "POST"
            and x["t"] > renew_ended + 2 and x["status"] == 200}
    assert late == {new_family}, late
    assert fake.refreshes() == [], [(x["refresh"], x["outcome"]) for x in fake.refreshes()]
    status = subprocess.run([sys.executable, "-m", "aifactory_policy", "credentials", "status", "-n", ns, "--install",
                             release, "--kubeconfig", str(cluster.kubeconfig), "--format", "json"],
                            capture_output=True, text=True, timeout=120, cwd=REPO)
    row = json.loads(status.stdout)["installs"][0]
    assert status.returncode == 0 and row["health"] == "healthy", status.stdout[-2000:] + status.stderr[-1000:]
    assert row["familyAgeSeconds"] < time.time() - renew_started + 5


def test_an_apply_naming_a_stale_resource_version_is_refused_as_a_conflict(cluster, restricted_namespace):
    """What the conditional write of rotate/renew relies on (store.py): the real API server answers 409 to a
    server-side apply whose metadata.resourceVersion is not the object's, and takes it when it is."""
    from aifactory_policy.credentials.kube import ApiKube, Conflict
    ns = restricted_namespace("renew-rv")
    kube = ApiKube(str(cluster.kubeconfig))

    def manifest(value: str, rv: str = "") -> dict:
        meta = {"name": "cas", "namespace": ns, **({"resourceVersion": rv} if rv else {})}
        return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": meta,
                "data": {"k": __import__("base64").b64encode(value.encode()).decode()}}
    first = kube.apply_secret(manifest("one"), force=True)["metadata"]["resourceVersion"]
    second = kube.apply_secret(manifest("two", first), force=True)["metadata"]["resourceVersion"]
    with pytest.raises(Conflict):
        kube.apply_secret(manifest("three", first), force=True)     # a writer came in between
    assert kube.get_secret(ns, "cas")["metadata"]["resourceVersion"] == second
