"""Broker mode in kind: the REAL Claude Code refreshing in the broker pod, three agent pods
(RollingUpdate) receiving access-token-only logins, the fake endpoint enforcing single use, family
revocation AND revoking the old access token at each refresh, with tool-use turns so a task spans a
refresh. Nothing in a pod is simulated: a task is `claude -p` in an agent container.

Over more than three access-token lifetimes: every task exits 0, one refresh per lifetime for the
whole install, no refresh token presented twice, a `helm upgrade` rolls the agents and the broker
is restarted during the run; the refresh token is searched for in every file, environment variable,
`/proc/*/environ` and `cmdline` each agent container can read, and never found. The publication
latency (pair issued at the token endpoint -> the new token in each agent pod's file) is measured.
"""
from __future__ import annotations

import base64
import json
import re
import statistics
import threading
import time
import uuid
import calendar

import pytest

from chart_release import CHART, IDLE_AGENT, OAUTH_ACCOUNT, SECRET
from e2e_helpers import helm
from fake_anthropic import HOSTS, MESSAGES_PATH, REPLY_TEXT
from helpers import wait_for
from test_token_lifecycle_kind import create_secret, deploy_fake, login, tls  # noqa: F401  (fixture)

pytestmark = pytest.mark.cluster

LIFETIME, LEAD, TOOL_SLEEP = 45, 30, 8      # a refresh every ~15 s; each task's tool run spans 8 s
CREDS = "/home/nonroot/.claude/.credentials.json"
TLS_RIG_ERROR = "SELF_SIGNED_CERT_IN_CHAIN"    # Claude Code refusing the test's own CA (see timed_task)
# Everything the agent container can read, searched for any refresh token and any API token.
LEAK_SEARCH = r'''
# The patterns go to grep through a file, built from pieces: no process's cmdline carries them.
pat=/tmp/.leak-patterns; a=sk-ant-ort01; b=-FAKE; c=eyJhbG; d=ciOi
printf '%s%s\n%s%s\n' "$a" "$b" "$c" "$d" >"$pat"
hits=0
for f in $(find / \( -path /proc -o -path /sys -o -path /dev \) -prune -o -type f -print 2>/dev/null); do
  [ "$f" = "$pat" ] && continue
  if [ -r "$f" ] && grep -q -f "$pat" "$f" 2>/dev/null; then echo "FILE $f"; hits=1; fi
done
for p in /proc/[0-9]*; do
  for part in environ cmdline; do
    if tr '\0' '\n' <"$p/$part" 2>/dev/null | grep -q -f "$pat"; then echo "PROC $p/$part: $(tr '\0' ' ' <"$p/cmdline" | cut -c1-80)"; hits=1; fi
  done
done
if env | grep -q -f "$pat"; then echo "ENV"; hits=1; fi
[ -e /var/run/secrets/kubernetes.io/serviceaccount/token ] && { echo "SA TOKEN"; hits=1; }
echo "searched files: $(find / \( -path /proc -o -path /sys -o -path /dev \) -prune -o -type f -print 2>/dev/null | wc -l), processes: $(ls -d /proc/[0-9]* | wc -l)"
rm -f "$pat"
exit $hits
'''


def values(fake, images: dict, replicas: int = 3, roll: str = "1") -> dict:
    repo, _, tag = images["agent"].rpartition(":")
    return {"image": {"repository": repo, "tag": tag, "pullPolicy": "Never"}, "agent": {"command": IDLE_AGENT},
            "replicaCount": replicas, "podAnnotations": {"e2e/roll": roll},
            "hostAliases": [{"ip": fake.ip, "hostnames": list(HOSTS)}],
            "extraCACerts": {"configMapName": "fake-anthropic-ca"},
            "remoteControl": {"enabled": True, "credentialsSecretName": SECRET, "mode": "broker",
                              "claudeState": {"oauthAccount": OAUTH_ACCOUNT},
                              "broker": {"image": images["broker"], "leadSeconds": LEAD, "leaseSeconds": 20,
                                         "claudeTimeoutSeconds": 10, "receiver": {"image": images["writeback"]}}}}


def agent_pods(cluster, ns: str, release: str) -> list[str]:
    pods = json.loads(cluster.kubectl("get", "pods", "-n", ns, "-l",
                                      f"app.kubernetes.io/instance={release},app.kubernetes.io/component=agent",
                                      "-o", "json").stdout)["items"]
    return sorted(p["metadata"]["name"] for p in pods if not p["metadata"].get("deletionTimestamp")
                  and p["status"].get("phase") == "Running"
                  and all(c.get("ready") for c in p["status"].get("containerStatuses") or [{}]))


def task(cluster, ns: str, pod: str) -> tuple[int, str]:
    proc = cluster.kubectl("exec", "-n", ns, pod, "-c", "agent", "--", "claude", "-p", "run the tool",
                           "--allowedTools", "Bash(sleep:*)", check=False, timeout=240)
    out = proc.stdout + proc.stderr
    assert "FAKE-kind" not in out and "sk-ant-" not in out, "a token reached the task's output"
    return proc.returncode, out


def broker_file_times(cluster, ns: str, release: str) -> list[float]:
    """When the running broker saw each new pair in its private file (its log; epoch seconds)."""
    logs = cluster.kubectl("logs", "-n", ns, f"deployment/{release}-aifactory-credentials-broker", "-c", "broker",
                           check=False).stdout
    return [float(m) for m in re.findall(r"new pair in the private file at ([0-9.]+)", logs)]


def receiver_writes(cluster, ns: str, pod: str) -> list[float]:
    logs = cluster.kubectl("logs", "-n", ns, pod, "-c", "credentials-receiver", check=False).stdout
    return [float(m) for m in re.findall(r"; written ([0-9.]+)", logs)]


def diagnosis(cluster, ns: str, release: str, fake, started: float, failed: list) -> str:
    """What a failed run needs to be understood, short enough that CI's truncated log keeps it: the
    failed tasks grouped by message (count, first start, last end, in seconds into the run), the
    refreshes as the fake saw them, the receivers' last lines, and the broker's log LAST (a truncated
    log keeps its tail)."""
    groups: dict[str, list] = {}
    for pod, code, out, t0, t1 in failed:
        message = next((l for l in out.splitlines() if l.strip() and "command terminated" not in l), out)[:160]
        groups.setdefault(f"exit {code}: {message}", []).append((t0, t1))
    lines = [f"{len(failed)} task(s) failed, by message (count, first start s, last end s):"]
    lines += [f"  {len(ts)} x {m} [{min(t for t, _ in ts)}..{max(t for _, t in ts)}]" for m, ts in groups.items()]
    lines.append("refreshes at the fake (s into the run, outcome): " + ", ".join(
        f"{r['t'] - started:.1f} {r['outcome']}" for r in fake.refreshes()))
    for selector, container, tail in (
            (f"app.kubernetes.io/instance={release},app.kubernetes.io/component=agent", "credentials-receiver", 4),
            (f"app.kubernetes.io/instance={release},app.kubernetes.io/component=credentials-broker", "broker", 40)):
        logs = cluster.kubectl("logs", "-n", ns, "-l", selector, "-c", container, "--prefix", "--tail", str(tail),
                               check=False)
        text = re.sub(r"\[pod/[^/]+-([a-z0-9]{5})/[^\]]+\]", r"[\1]", logs.stdout)   # short pod names
        lines.append(f"--- {container} logs (last {tail} lines per pod) ---\n{text[-5000:]}{logs.stderr[-300:]}")
    return "\n".join(lines)


def test_broker_three_agents_over_three_lifetimes_with_a_rollout_and_a_broker_restart(
        cluster, restricted_namespace, test_image, writeback_image, broker_image, tls, tmp_path):
    ns = restricted_namespace("broker")
    seed = login("broker", 40)
    fake = deploy_fake(cluster, ns, writeback_image, tls, [seed], access_lifetime=LIFETIME, revoke=True,
                       extra_args=("--revoke-access-on-refresh", "--tool-sleep", str(TOOL_SLEEP)))
    release = f"brk-{uuid.uuid4().hex[:5]}"
    create_secret(cluster, ns, release, seed, tmp_path)
    images = {"agent": test_image, "writeback": writeback_image, "broker": broker_image}
    path = tmp_path / "values.json"

    def upgrade(roll: str) -> None:
        path.write_text(json.dumps(values(fake, images, roll=roll)))
        helm(cluster, "upgrade", "--install", release, str(CHART), "-n", ns, "-f", str(path), "--wait",
             "--timeout", "300s")

    upgrade("1")
    started = time.time()
    assert wait_for(lambda: len(agent_pods(cluster, ns, release)) == 3, timeout=180, step=1)
    deployment = cluster.get("deployment", f"{release}-aifactory", ns)
    assert deployment["spec"]["strategy"]["type"] == "RollingUpdate"

    results: list[tuple[str, int, str, float, float]] = []
    seen_pods: set[str] = set()

    rig_tls_errors: list[float] = []

    def timed_task(pod: str) -> tuple[str, int, str, float, float]:
        t0 = time.time()
        code, out = task(cluster, ns, pod)
        if code != 0 and TLS_RIG_ERROR in out:
            # Claude Code 2.1.330 now and then refuses this test's throwaway CA (NODE_EXTRA_CA_CERTS)
            # under load: about 1 task in 130, never in the broker, not a matter of credentials. The
            # task runs again once, and each is counted and bounded below; a 401 is never retried.
            rig_tls_errors.append(t0 - started)
            code, out = task(cluster, ns, pod)
        return pod, code, out, t0 - started, time.time() - started

    def round_of_tasks() -> None:
        pods = agent_pods(cluster, ns, release)
        seen_pods.update(pods)
        threads = []
        for pod in pods:
            for _ in range(2):       # two tasks at a time in each agent pod
                t = threading.Thread(target=lambda p=pod: results.append(timed_task(p)))
                t.start()
                threads.append(t)
        for t in threads:
            t.join(300)

    round_of_tasks()
    upgrade("2")                     # a helm upgrade rolls the agents (RollingUpdate)
    assert wait_for(lambda: len(agent_pods(cluster, ns, release)) == 3, timeout=180, step=1)
    round_of_tasks()
    restart = threading.Thread(target=lambda: cluster.kubectl(
        "rollout", "restart", f"deployment/{release}-aifactory-credentials-broker", "-n", ns))
    restart.start()                  # the broker restarts while tasks run
    round_of_tasks()
    restart.join(60)
    while time.time() - started < 3 * LIFETIME + 5:
        round_of_tasks()
    elapsed = time.time() - started

    failed = [(p, code, out[-400:], round(t0), round(t1)) for p, code, out, t0, t1 in results
              if code != 0 or REPLY_TEXT not in out]
    assert not failed, diagnosis(cluster, ns, release, fake, started, failed)
    refreshes = fake.refreshes()
    presented = [r["refresh"] for r in refreshes]
    assert {r["outcome"] for r in refreshes} == {"issued"}, [(r["refresh"], r["outcome"]) for r in refreshes]
    assert len(presented) == len(set(presented)), "a refresh token was presented twice"
    # One broker refresh per (lifetime - lead) window for the whole install, not one per pod or task.
    # Each is one `claude -p` run, which refreshes twice when the token lives under Claude Code's ~5
    # min margin, as this test's 45 s tokens do (measured offline: 25 refreshes for 12 runs).
    windows = elapsed / (LIFETIME - LEAD) + 2
    assert 3 <= len(refreshes) <= 2 * windows < len(results) / 2, (len(refreshes), elapsed, len(results))
    revoked_calls = [r for r in fake.records() if r["path"] == MESSAGES_PATH and r["status"] != 200]
    print(f"broker e2e: {len(results)} tasks in {len(seen_pods)} agent pods over {elapsed:.0f} s "
          f"({elapsed / LIFETIME:.1f} access-token lifetimes), {len(refreshes)} refreshes, "
          f"{len(revoked_calls)} API calls answered 401 (Claude Code retried them), "
          f"{len(rig_tls_errors)} task(s) run again after refusing the test CA")
    assert len(rig_tls_errors) <= max(2, len(results) // 40), rig_tls_errors

    # Publication latency, end to end: each refresh's pair issued at the fake -> the new file in each
    # agent pod. It includes Claude Code's own handling of the answer in the broker pod, which a
    # loaded node can stretch to seconds (worst 6.2 s once at load 12); the part this project's code
    # owns, the pair in the broker's private file -> the agent's file, is bounded on its own below.
    pods = agent_pods(cluster, ns, release)
    issued = sorted(r["t"] for r in refreshes)
    in_broker_file = broker_file_times(cluster, ns, release)
    latencies, handoffs = [], []
    for pod in pods:
        writes = receiver_writes(cluster, ns, pod)
        for t in issued:
            later = [w for w in writes if w >= t]
            if later and writes[0] < t:        # the pod was already running at that refresh
                latencies.append(min(later) - t)
        for t in in_broker_file:
            later = [w for w in writes if w >= t]
            if later and writes[0] < t:
                handoffs.append(min(later) - t)
    assert latencies and handoffs, "no refresh happened while an agent pod ran"
    latencies.sort()
    handoffs.sort()
    print(f"publication latency over {len(latencies)} (refresh, pod) pairs: "
          f"p50 {statistics.median(latencies) * 1000:.0f} ms, worst {latencies[-1] * 1000:.0f} ms; "
          f"broker's file -> agent's file over {len(handoffs)}: p50 {statistics.median(handoffs) * 1000:.0f} ms, "
          f"worst {handoffs[-1] * 1000:.0f} ms")
    assert statistics.median(latencies) < 1.0 and latencies[-1] < 15.0, latencies
    assert handoffs[-1] < 2.0, handoffs

    # The refresh token, searched for, not assumed: every file, env and process of each agent container.
    for pod in pods:
        search = cluster.kubectl("exec", "-n", ns, pod, "-c", "agent", "--", "sh", "-c", LEAK_SEARCH,
                                 check=False, timeout=300)
        assert search.returncode == 0, f"{pod}: {search.stdout[-2000:]} {search.stderr[-500:]}"
        assert "searched files:" in search.stdout
        in_pod = json.loads(cluster.exec(ns, pod, "cat", CREDS, container="agent").stdout)["claudeAiOauth"]
        assert "refreshToken" not in in_pod
        spec = cluster.get("pod", pod, ns)["spec"]
        assert spec["automountServiceAccountToken"] is False
    # The agents' ServiceAccount can read the access Secret, and not the source Secret.
    sa = f"system:serviceaccount:{ns}:{release}-aifactory"
    can = lambda verb, name: cluster.kubectl("auth", "can-i", verb, f"secret/{name}", "-n", ns, "--as", sa,
                                             check=False).stdout.strip()
    assert can("get", SECRET) == "no" and can("watch", f"{release}-aifactory-claude-access") == "yes"
    source = cluster.get("secret", SECRET, ns)
    annotations = source["metadata"].get("annotations") or {}
    assert annotations.get("aifactory.dev/rotated-by") == "aifactory-credentials-broker"
    # The broker goes on refreshing meanwhile: the Secret holds the pair the fake issued last.
    def stored_is_newest() -> bool:
        data = cluster.get("secret", SECRET, ns)["data"]["credentials.json"]
        stored = json.loads(base64.b64decode(data))["claudeAiOauth"]
        return fake.fp(stored["refreshToken"]) == fake.refreshes()[-1]["issued_refresh"]
    assert wait_for(stored_is_newest, timeout=10, step=0.5)
    access = cluster.get("secret", f"{release}-aifactory-claude-access", ns)
    expires = time.strptime(access["metadata"]["annotations"]["aifactory.dev/access-expires-at"], "%Y-%m-%dT%H:%M:%SZ")
    assert calendar.timegm(expires) > started

    logs = helm(cluster, "test", release, "-n", ns, "--logs", "--timeout", "180s").stdout
    assert "file behind a link into a read-only mount" in logs and "FAKE-kind" not in logs
