"""A REAL Prometheus (the server, built from the pinned module promtool comes from) scrapes a broker-mode
install in kind and evaluates the chart's own PrometheusRule, rendered by Helm from the same values.

The broker refreshes the real Claude Code login against the fake endpoint; Prometheus scrapes its
metrics Service every 2 s with the target labels a ServiceMonitor gives (namespace, service) and
evaluates every 2 s. Asserted through Prometheus' HTTP API (the API server's pod proxy): the series
are scraped and hold what the broker published; the four rules load and evaluate; a healthy broker
raises no alert, neither pending nor firing; scaling the broker to 0 makes AIFactoryClaudeBrokerDown
pending, then firing after its `for:` (`brokerDownFor`, a few seconds here instead of the default
5m), with the times measured; scaling it back resolves it.
"""
from __future__ import annotations

import calendar
import copy
import json
import time
import urllib.parse
import uuid

import pytest
import yaml

from chart_release import CHART, SECRET
from e2e_helpers import helm, restricted_pod
from helpers import wait_for
from test_broker_kind import values
from test_token_lifecycle_kind import create_secret, deploy_fake, login, tls  # noqa: F401  (fixture)

pytestmark = pytest.mark.cluster

INTERVAL = 2                 # scrape_interval = evaluation_interval, seconds
DOWN_FOR = 10                # brokerDownFor in this test (the chart's default is 5m)
FAMILY_DAYS = 30             # the login's end, as Claude Code stores it (loginEndsWithinDays 7: quiet)
JOB = "aifactory-broker"
PROM = "prometheus"


def rule_values(fake, images: dict) -> dict:
    v = values(fake, images, replicas=1)
    v["remoteControl"]["broker"]["metrics"] = {"prometheusRule": {
        "accessTokenExpiresWithinSeconds": 60, "brokerDownFor": f"{DOWN_FOR}s"}}
    return v


def rendered_rules(cluster, release: str, ns: str, path) -> dict:
    """The chart's PrometheusRule for this release, as a Prometheus rules file (its spec.groups)."""
    out = helm(cluster, "template", release, str(CHART), "-n", ns, "-f", str(path),
               "--set", "remoteControl.broker.metrics.prometheusRule.enabled=true").stdout
    [rule] = [d for d in yaml.safe_load_all(out) if d and d.get("kind") == "PrometheusRule"]
    return {"groups": rule["spec"]["groups"]}


def prometheus_config(ns: str, service: str, port: int) -> dict:
    # A static target on the Service, labelled as a ServiceMonitor's targets are (the rules select them).
    return {"global": {"scrape_interval": f"{INTERVAL}s", "scrape_timeout": f"{INTERVAL}s",
                       "evaluation_interval": f"{INTERVAL}s"},
            "rule_files": ["/etc/prometheus/rules.yaml"],
            "scrape_configs": [{"job_name": JOB, "static_configs": [{
                "targets": [f"{service}.{ns}.svc:{port}"], "labels": {"namespace": ns, "service": service}}]}]}


def deploy_prometheus(cluster, ns: str, image: str, config: dict, rules: dict) -> None:
    cluster.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": PROM},
                   "data": {"prometheus.yml": yaml.safe_dump(config), "rules.yaml": yaml.safe_dump(rules)}},
                  namespace=ns)
    pod = restricted_pod(PROM, image, container={
        "name": PROM, "command": ["/bin/prometheus"],
        "args": ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus",
                 "--storage.tsdb.retention.time=1h", "--web.listen-address=:9090"],
        "ports": [{"containerPort": 9090, "name": "http"}],
        "readinessProbe": {"httpGet": {"path": "/-/ready", "port": 9090}, "periodSeconds": 1},
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "512Mi"}},
        "volumeMounts": [{"name": "config", "mountPath": "/etc/prometheus", "readOnly": True},
                         {"name": "data", "mountPath": "/prometheus"}]},
        volumes=[{"name": "config", "configMap": {"name": PROM}},
                 {"name": "data", "emptyDir": {"sizeLimit": "256Mi"}}])
    cluster.apply(pod, namespace=ns)
    cluster.wait_pod_running(ns, PROM, timeout=120)


def api(cluster, ns: str, path: str, **params) -> dict:
    """Prometheus' HTTP API through the API server's proxy to the pod."""
    query = f"?{urllib.parse.urlencode(params)}" if params else ""
    out = cluster.kubectl("get", "--raw", f"/api/v1/namespaces/{ns}/pods/{PROM}:9090/proxy/api/v1/{path}{query}").stdout
    body = json.loads(out)
    assert body["status"] == "success", body
    return body["data"]


def scalar(cluster, ns: str, expr: str) -> float | None:
    """The one value of an instant query, or None when it has no result."""
    result = api(cluster, ns, "query", query=expr)["result"]
    assert len(result) <= 1, (expr, result)
    return float(result[0]["value"][1]) if result else None


def ours(cluster, ns: str) -> list[dict]:
    """Active (pending or firing) alerts of this chart."""
    return [a for a in api(cluster, ns, "alerts")["alerts"] if a["labels"]["alertname"].startswith("AIFactory")]


def rfc3339(stamp: str) -> float:
    """Prometheus' RFC 3339 times (nanoseconds, Z) as epoch seconds."""
    whole, _, fraction = stamp.rstrip("Z").partition(".")
    return calendar.timegm(time.strptime(whole, "%Y-%m-%dT%H:%M:%S")) + float(f"0.{fraction or 0}")


def test_real_prometheus_scrapes_the_broker_and_fires_broker_down_after_its_for(
        cluster, restricted_namespace, test_image, writeback_image, broker_image, prometheus_image, tls, tmp_path):
    ns = restricted_namespace("prom")
    seed = login("prom", 40)     # refreshed at once (leadSeconds 30): the healthy state has had a refresh
    seed["claudeAiOauth"]["refreshTokenExpiresAt"] = int((time.time() + FAMILY_DAYS * 86400) * 1000)
    fake = deploy_fake(cluster, ns, writeback_image, tls, [seed], access_lifetime=3600,
                       extra_args=("--family-lifetime", str(FAMILY_DAYS * 86400)))
    release = f"prm-{uuid.uuid4().hex[:5]}"
    create_secret(cluster, ns, release, seed, tmp_path)
    v = rule_values(fake, {"agent": test_image, "writeback": writeback_image, "broker": broker_image})
    path = tmp_path / "values.json"
    path.write_text(json.dumps(v))
    helm(cluster, "upgrade", "--install", release, str(CHART), "-n", ns, "-f", str(path), "--wait", "--timeout", "300s")
    broker = f"{release}-aifactory-credentials-broker"
    service = f"{broker}-metrics"
    port = cluster.get("service", service, ns)["spec"]["ports"][0]["port"]

    rules = rendered_rules(cluster, release, ns, path)
    by_name = {r["alert"]: r for g in rules["groups"] for r in g["rules"]}
    assert by_name["AIFactoryClaudeBrokerDown"]["for"] == f"{DOWN_FOR}s"
    t_deploy = time.monotonic()
    deploy_prometheus(cluster, ns, prometheus_image, prometheus_config(ns, service, port), rules)
    t_ready = time.monotonic()

    # (a) The broker is scraped and its series hold what it published.
    labels = f'job="{JOB}", namespace="{ns}", service="{service}"'
    sel = f"{{{labels}}}"
    assert wait_for(lambda: scalar(cluster, ns, f"up{sel}") == 1, timeout=60, step=0.5), \
        api(cluster, ns, "targets")["activeTargets"]
    t_up = time.monotonic()
    assert wait_for(lambda: (scalar(cluster, ns, f'aifactory_broker_refreshes_total{{{labels}, result="issued"}}') or 0) >= 1,
                    timeout=90, step=1), "the broker made no refresh"
    assert scalar(cluster, ns, f"aifactory_broker_leader{sel}") == 1
    assert scalar(cluster, ns, f"aifactory_broker_last_refresh_success{sel}") == 1

    def expiry_matches_the_secret() -> bool:
        access = cluster.get("secret", f"{release}-aifactory-claude-access", ns)
        stamp = access["metadata"]["annotations"]["aifactory.dev/access-expires-at"]
        published = calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ"))
        scraped = scalar(cluster, ns, f"aifactory_broker_access_token_expiry_timestamp_seconds{sel}") or 0
        return abs(scraped - published) < 1.5   # the annotation has whole seconds
    assert wait_for(expiry_matches_the_secret, timeout=10, step=INTERVAL)
    left = scalar(cluster, ns, f"aifactory_broker_access_token_expiry_timestamp_seconds{sel} - time()")
    assert 3000 < left <= 3600, left
    login_left = scalar(cluster, ns, f"aifactory_broker_login_end_timestamp_seconds{sel} - time()")
    assert 29 * 86400 < login_left <= FAMILY_DAYS * 86400, login_left

    # The chart's four rules are loaded and evaluate without error (else "no alert" would prove nothing).
    def rules_evaluated() -> list[dict]:
        loaded = [r for g in api(cluster, ns, "rules", type="alert")["groups"] for r in g["rules"]]
        return loaded if all(r["lastEvaluation"] > "2000" for r in loaded) else []
    assert wait_for(lambda: len(rules_evaluated()) == 4, timeout=30, step=1)
    loaded = rules_evaluated()
    assert {r["name"] for r in loaded} == set(by_name) and {r["health"] for r in loaded} == {"ok"}, loaded

    # (b) Healthy: no alert of the chart pending or firing over five evaluations.
    for _ in range(5):
        assert ours(cluster, ns) == [], ours(cluster, ns)
        time.sleep(INTERVAL)

    # (c) The broker stops: BrokerDown pending, then firing DOWN_FOR later.
    t_stop = time.time()
    cluster.kubectl("scale", f"deployment/{broker}", "-n", ns, "--replicas=0")
    states: dict[str, float] = {}
    active_at = None
    deadline = time.monotonic() + 120
    while "firing" not in states and time.monotonic() < deadline:
        for a in ours(cluster, ns):
            if a["labels"]["alertname"] == "AIFactoryClaudeBrokerDown":
                states.setdefault(a["state"], time.time())
                active_at = a["activeAt"]
                fired = a
        time.sleep(0.5)
    assert "firing" in states, f"BrokerDown did not fire within 120 s of the scale to 0: {states}"
    assert "pending" in states and states["pending"] < states["firing"], states
    assert fired["labels"] == {"alertname": "AIFactoryClaudeBrokerDown", "severity": "critical",
                               "namespace": ns, "service": service}, fired["labels"]
    assert "No credentials broker" in fired["annotations"]["summary"]
    active = rfc3339(active_at)
    # The raw scrapes: the last that reached the broker, the first that did not.
    samples = api(cluster, ns, "query", query=f"up{sel}[3m]")["result"][0]["values"]
    last_up = max(t for t, val in samples if val == "1")
    first_down = min(t for t, val in samples if val == "0" and t > last_up)
    leader = api(cluster, ns, "query", query=f"aifactory_broker_leader{sel}[3m]")["result"][0]["values"]
    print(f"prometheus in kind: ready {t_ready - t_deploy:.1f} s after its pod was applied, broker up==1 "
          f"{t_up - t_ready:.1f} s after ready; last leader sample {leader[-1][1]}")
    print(f"BrokerDown (for {DOWN_FOR}s, interval {INTERVAL}s) from the scale to 0: last good scrape "
          f"{last_up - t_stop:+.1f} s, first failed scrape {first_down - t_stop:+.1f} s, pending seen "
          f"{states['pending'] - t_stop:.1f} s (activeAt {active - t_stop:+.1f} s), firing seen "
          f"{states['firing'] - t_stop:.1f} s")
    assert states["firing"] - active >= DOWN_FOR - 0.5, (states, active_at)
    assert states["firing"] - first_down <= DOWN_FOR + 3 * INTERVAL + 1, (states, first_down)

    # Back to one replica: the alert resolves once a broker holds the Lease again.
    t_back = time.time()
    cluster.kubectl("scale", f"deployment/{broker}", "-n", ns, "--replicas=1")
    assert wait_for(lambda: not any(a["labels"]["alertname"] == "AIFactoryClaudeBrokerDown"
                                    for a in ours(cluster, ns)), timeout=180, step=0.5)
    print(f"BrokerDown resolved {time.time() - t_back:.1f} s after the scale back to 1")
    assert scalar(cluster, ns, f"aifactory_broker_leader{sel}") == 1
