"""A REAL Prometheus (the server, built from the pinned module promtool comes from) scrapes a broker-mode
install in kind and evaluates the chart's own PrometheusRule, rendered by Helm from the same values.

The broker refreshes the real Claude Code login against the fake endpoint; Prometheus scrapes its
metrics every 2 s and evaluates every 2 s, reached through the API server's pod proxy. Two ways to
find the broker, one Prometheus after the other:
- a static target on the metrics Service, labelled as a ServiceMonitor's targets are (namespace,
  service): the series hold what the broker published, the four rules load and evaluate, a healthy
  broker raises no alert (neither pending nor firing), and scaling the broker to 0 makes
  AIFactoryClaudeBrokerDown pending, then firing after its `for:` (`brokerDownFor`, seconds here
  instead of the default 5m), times measured; scaling it back resolves it;
- Kubernetes service discovery with the relabelling prometheus-operator generates for the chart's
  ServiceMonitor (role endpointslice; keep the Service's labels and the `metrics` port; namespace,
  service, pod, job = Service name, endpoint). There a broker scaled to 0 leaves no target: its
  series go stale rather than 0, which the alert must still catch.
"""
from __future__ import annotations

import calendar
import json
import time
import urllib.parse
import uuid
from dataclasses import dataclass

import pytest
import yaml

from chart_release import CHART
from e2e_helpers import helm, restricted_pod
from helpers import wait_for
from test_broker_kind import values
from test_token_lifecycle_kind import create_secret, deploy_fake, login, tls  # noqa: F401  (fixture)

pytestmark = pytest.mark.cluster

INTERVAL = 2                 # scrape_interval = evaluation_interval, seconds
DOWN_FOR = 10                # brokerDownFor in this test (the chart's default is 5m)
FAMILY_DAYS = 30             # the login's end, as Claude Code stores it (loginEndsWithinDays 7: quiet)
DOWN = "AIFactoryClaudeBrokerDown"


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


def config(*jobs: dict) -> dict:
    return {"global": {"scrape_interval": f"{INTERVAL}s", "scrape_timeout": f"{INTERVAL}s",
                       "evaluation_interval": f"{INTERVAL}s"},
            "rule_files": ["/etc/prometheus/rules.yaml"], "scrape_configs": list(jobs)}


def static_job(ns: str, service: str, port: int) -> dict:
    return {"job_name": "aifactory-broker", "static_configs": [{
        "targets": [f"{service}.{ns}.svc:{port}"], "labels": {"namespace": ns, "service": service}}]}


def service_monitor_job(ns: str, release: str) -> dict:
    """What prometheus-operator writes for the chart's ServiceMonitor (selector instance + component,
    port `metrics`; its pkg/prometheus/promcfg.go, role endpointslice)."""
    def keep(label: str, value: str) -> dict:
        return {"action": "keep", "regex": f"({value});true",
                "source_labels": [f"__meta_kubernetes_service_label_{label}",
                                  f"__meta_kubernetes_service_labelpresent_{label}"]}
    target = ["__meta_kubernetes_endpointslice_address_target_kind",
              "__meta_kubernetes_endpointslice_address_target_name"]
    return {"job_name": f"serviceMonitor/{ns}/{release}-broker/0",
            "kubernetes_sd_configs": [{"role": "endpointslice", "namespaces": {"names": [ns]}}],
            "relabel_configs": [
                keep("app_kubernetes_io_instance", release), keep("app_kubernetes_io_component", "credentials-broker"),
                {"action": "keep", "source_labels": ["__meta_kubernetes_endpointslice_port_name"], "regex": "metrics"},
                {"source_labels": target, "separator": ";", "regex": "Pod;(.*)", "replacement": "${1}",
                 "target_label": "pod"},
                {"source_labels": ["__meta_kubernetes_namespace"], "target_label": "namespace"},
                {"source_labels": ["__meta_kubernetes_service_name"], "target_label": "service"},
                {"source_labels": ["__meta_kubernetes_pod_name"], "target_label": "pod"},
                {"source_labels": ["__meta_kubernetes_pod_container_name"], "target_label": "container"},
                {"source_labels": ["__meta_kubernetes_service_name"], "target_label": "job", "replacement": "${1}"},
                {"target_label": "endpoint", "replacement": "metrics"}]}


def discovery_rbac(name: str) -> list[dict]:
    """Read access to the namespace's Services, EndpointSlices and Pods (Kubernetes service discovery)."""
    return [{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name}},
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": name},
             "rules": [{"apiGroups": [""], "resources": ["services", "pods"], "verbs": ["get", "list", "watch"]},
                       {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"],
                        "verbs": ["get", "list", "watch"]}]},
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": name},
             "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
             "subjects": [{"kind": "ServiceAccount", "name": name}]}]


@dataclass
class Prometheus:
    cluster: object
    ns: str
    pod: str

    def api(self, path: str, **params) -> dict:
        """Prometheus' HTTP API through the API server's proxy to the pod."""
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        out = self.cluster.kubectl("get", "--raw",
                                   f"/api/v1/namespaces/{self.ns}/pods/{self.pod}:9090/proxy/api/v1/{path}{query}").stdout
        body = json.loads(out)
        assert body["status"] == "success", body
        return body["data"]

    def scalar(self, expr: str) -> float | None:
        """The one value of an instant query, or None when it has no result."""
        result = self.api("query", query=expr)["result"]
        assert len(result) <= 1, (expr, result)
        return float(result[0]["value"][1]) if result else None

    def alerts(self) -> list[dict]:
        """Active (pending or firing) alerts of this chart."""
        return [a for a in self.api("alerts")["alerts"] if a["labels"]["alertname"].startswith("AIFactory")]


def run_prometheus(cluster, ns: str, name: str, image: str, cfg: dict, rules: dict,
                   service_account: str | None = None) -> Prometheus:
    """A Prometheus pod under the restricted Pod Security Standard (65532, read-only root, no
    capabilities, RuntimeDefault seccomp); its TSDB in an emptyDir."""
    cluster.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name},
                   "data": {"prometheus.yml": yaml.safe_dump(cfg), "rules.yaml": yaml.safe_dump(rules)}},
                  namespace=ns)
    extra = {"serviceAccountName": service_account, "automountServiceAccountToken": True} if service_account else {}
    pod = restricted_pod(name, image, container={
        "name": "prometheus", "command": ["/bin/prometheus"],
        "args": ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus",
                 "--storage.tsdb.retention.time=1h", "--web.listen-address=:9090"],
        "ports": [{"containerPort": 9090, "name": "http"}],
        "readinessProbe": {"httpGet": {"path": "/-/ready", "port": 9090}, "periodSeconds": 1},
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "512Mi"}},
        "volumeMounts": [{"name": "config", "mountPath": "/etc/prometheus", "readOnly": True},
                         {"name": "data", "mountPath": "/prometheus"}]},
        volumes=[{"name": "config", "configMap": {"name": name}},
                 {"name": "data", "emptyDir": {"sizeLimit": "256Mi"}}], **extra)
    cluster.apply(pod, namespace=ns)
    cluster.wait_pod_running(ns, name, timeout=120)
    return Prometheus(cluster, ns, name)


def rfc3339(stamp: str) -> float:
    """Prometheus' RFC 3339 times (nanoseconds, Z) as epoch seconds."""
    whole, _, fraction = stamp.rstrip("Z").partition(".")
    return calendar.timegm(time.strptime(whole, "%Y-%m-%dT%H:%M:%S")) + float(f"0.{fraction or 0}")


def broker_down(prom: Prometheus, broker: str, sel: str, expected_labels: dict, how: str) -> None:
    """Scale the broker to 0: BrokerDown pending, then firing DOWN_FOR after it became active; then
    scale back to 1 and see it resolve. Prints the times from the scale command."""
    cluster, ns = prom.cluster, prom.ns
    t_stop = time.time()
    cluster.kubectl("scale", f"deployment/{broker}", "-n", ns, "--replicas=0")
    seen: dict[str, float] = {}
    fired: dict = {}
    deadline = time.monotonic() + 120
    while "firing" not in seen and time.monotonic() < deadline:
        if "gone" not in seen and not prom.scalar(f"sum(up{sel})"):     # 0, or no series at all
            seen["gone"] = time.time()
        for a in prom.alerts():
            if a["labels"]["alertname"] == DOWN:
                seen.setdefault(a["state"], time.time())
                fired = a
        time.sleep(0.5)
    up_left = prom.api("query", query=f"up{sel}")["result"]
    assert "firing" in seen, (f"{how}: {DOWN} did not fire within 120 s of the scale to 0 (seen {seen}); "
                              f"up{sel} now: {up_left}")
    assert "pending" in seen and seen["pending"] < seen["firing"], seen
    assert fired["labels"] == {"alertname": DOWN, "severity": "critical", **expected_labels}, fired["labels"]
    assert "No credentials broker" in fired["annotations"]["summary"]
    active = rfc3339(fired["activeAt"])
    print(f"{how}: {DOWN} (for {DOWN_FOR}s, interval {INTERVAL}s) after the scale to 0: broker's target "
          f"down/gone seen {seen['gone'] - t_stop:.1f} s, pending seen {seen['pending'] - t_stop:.1f} s "
          f"(activeAt {active - t_stop:+.1f} s), firing seen {seen['firing'] - t_stop:.1f} s; up{{...}} then: "
          f"{[r['value'][1] for r in up_left] or 'no series'}")
    assert seen["firing"] - active >= DOWN_FOR - 0.5, (seen, fired["activeAt"])
    assert seen["firing"] - seen["gone"] <= DOWN_FOR + 3 * INTERVAL + 1, seen

    # It stays firing once the pod is gone too (a discovered target then leaves: no `up` at all).
    pods = lambda: json.loads(cluster.kubectl("get", "pods", "-n", ns, "-l", "app.kubernetes.io/component=credentials-broker",
                                              "-o", "json").stdout)["items"]
    assert wait_for(lambda: not pods(), timeout=90, step=0.5), [p["metadata"]["name"] for p in pods()]
    time.sleep(2 * INTERVAL)
    still = [a for a in prom.alerts() if a["labels"]["alertname"] == DOWN]
    assert [(a["state"], a["activeAt"]) for a in still] == [("firing", fired["activeAt"])], still

    t_back = time.time()
    cluster.kubectl("scale", f"deployment/{broker}", "-n", ns, "--replicas=1")
    assert wait_for(lambda: prom.scalar(f"sum(aifactory_broker_leader{sel})") == 1
                    and not any(a["labels"]["alertname"] == DOWN for a in prom.alerts()), timeout=180, step=0.5)
    print(f"{how}: {DOWN} resolved {time.time() - t_back:.1f} s after the scale back to 1 (a broker leads again)")


def test_real_prometheus_scrapes_the_broker_and_fires_broker_down_after_its_for(
        cluster, restricted_namespace, test_image, writeback_image, broker_image, prometheus_image, tls, tmp_path):
    ns = restricted_namespace("prom")
    seed = login("prom", 40)     # refreshed at once (leadSeconds 30): the healthy state has had a refresh
    seed["claudeAiOauth"]["refreshTokenExpiresAt"] = int((time.time() + FAMILY_DAYS * 86400) * 1000)
    fake = deploy_fake(cluster, ns, writeback_image, tls, [seed], access_lifetime=3600,
                       extra_args=("--family-lifetime", str(FAMILY_DAYS * 86400)))
    release = f"prm-{uuid.uuid4().hex[:5]}"
    create_secret(cluster, ns, release, seed, tmp_path)
    path = tmp_path / "values.json"
    path.write_text(json.dumps(rule_values(fake, {"agent": test_image, "writeback": writeback_image,
                                                  "broker": broker_image})))
    helm(cluster, "upgrade", "--install", release, str(CHART), "-n", ns, "-f", str(path), "--wait", "--timeout", "300s")
    broker = f"{release}-aifactory-credentials-broker"
    service = f"{broker}-metrics"
    port = cluster.get("service", service, ns)["spec"]["ports"][0]["port"]

    rules = rendered_rules(cluster, release, ns, path)
    by_name = {r["alert"]: r for g in rules["groups"] for r in g["rules"]}
    assert by_name[DOWN]["for"] == f"{DOWN_FOR}s"

    # 1. A static target on the Service.
    t_apply = time.monotonic()
    prom = run_prometheus(cluster, ns, "prometheus", prometheus_image, config(static_job(ns, service, port)), rules)
    t_ready = time.monotonic()
    labels = f'job="aifactory-broker", namespace="{ns}", service="{service}"'
    sel = f"{{{labels}}}"
    assert wait_for(lambda: prom.scalar(f"up{sel}") == 1, timeout=60, step=0.5), prom.api("targets")["activeTargets"]
    t_up = time.monotonic()
    print(f"prometheus in kind: ready {t_ready - t_apply:.1f} s after its pod was applied, "
          f"broker scraped (up 1) {t_up - t_ready:.1f} s after ready")

    # (a) Its series hold what the broker published.
    assert wait_for(lambda: (prom.scalar(f'aifactory_broker_refreshes_total{{{labels}, result="issued"}}') or 0) >= 1,
                    timeout=90, step=1), "the broker made no refresh"
    assert prom.scalar(f"aifactory_broker_leader{sel}") == 1
    assert prom.scalar(f"aifactory_broker_last_refresh_success{sel}") == 1

    def expiry_matches_the_secret() -> bool:
        access = cluster.get("secret", f"{release}-aifactory-claude-access", ns)
        stamp = access["metadata"]["annotations"]["aifactory.dev/access-expires-at"]
        published = calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ"))
        scraped = prom.scalar(f"aifactory_broker_access_token_expiry_timestamp_seconds{sel}") or 0
        return abs(scraped - published) < 1.5   # the annotation has whole seconds
    assert wait_for(expiry_matches_the_secret, timeout=10, step=INTERVAL)
    left = prom.scalar(f"aifactory_broker_access_token_expiry_timestamp_seconds{sel} - time()")
    assert 3000 < left <= 3600, left
    login_left = prom.scalar(f"aifactory_broker_login_end_timestamp_seconds{sel} - time()")
    assert 29 * 86400 < login_left <= FAMILY_DAYS * 86400, login_left

    # The chart's four rules are loaded and evaluate without error (else "no alert" would prove nothing),
    # and have been evaluated on the series just read (before the first scrape BrokerDown's absent(up)
    # holds, so it is pending on a Prometheus that has just started).
    scraped_at = time.time()

    def rules_evaluated() -> list[dict]:
        loaded = [r for g in prom.api("rules", type="alert")["groups"] for r in g["rules"]]
        return loaded if all(rfc3339(r["lastEvaluation"]) > scraped_at for r in loaded) else []
    assert wait_for(lambda: len(rules_evaluated()) == 4, timeout=30, step=1)
    loaded = rules_evaluated()
    assert {r["name"] for r in loaded} == set(by_name) and {r["health"] for r in loaded} == {"ok"}, loaded

    # (b) Healthy: no alert of the chart pending or firing over five evaluations.
    for _ in range(5):
        assert prom.alerts() == [], prom.alerts()
        time.sleep(INTERVAL)

    # (c) The broker stops.
    broker_down(prom, broker, sel, {"namespace": ns, "service": service}, "static target")
    cluster.kubectl("delete", "pod", prom.pod, "-n", ns, "--wait=true")

    # 2. Service discovery as the ServiceMonitor's: the target vanishes with the broker's pod.
    cluster.apply(discovery_rbac("prometheus-sd"), namespace=ns)
    prom = run_prometheus(cluster, ns, "prometheus-sd", prometheus_image, config(service_monitor_job(ns, release)),
                          rules, service_account="prometheus-sd")
    sel = f'{{job="{service}", namespace="{ns}", service="{service}", endpoint="metrics"}}'
    assert wait_for(lambda: prom.scalar(f"aifactory_broker_leader{sel}") == 1, timeout=60, step=0.5), \
        prom.api("targets")["activeTargets"]
    [target] = prom.api("query", query=f"up{sel}")["result"]
    assert target["metric"]["pod"].startswith(f"{broker}-"), target
    assert wait_for(lambda: prom.alerts() == [], timeout=30, step=INTERVAL), prom.alerts()
    broker_down(prom, broker, sel, {"namespace": ns, "service": service}, "service discovery (ServiceMonitor's)")
