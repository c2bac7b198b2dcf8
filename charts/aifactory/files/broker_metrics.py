"""The credentials broker's health as Prometheus metrics (the official client, prometheus_client).

Timestamps, not countdowns (Prometheus' convention): an alert computes `metric - time()`.
  aifactory_broker_leader                               1 while this replica holds the Lease
  aifactory_broker_access_token_expiry_timestamp_seconds    when the token the agents hold expires
  aifactory_broker_login_end_timestamp_seconds          when the login (refresh-token family) ends;
                                                        absent while unknown (never guessed)
  aifactory_broker_last_refresh_timestamp_seconds       the last refresh attempt's time
  aifactory_broker_last_refresh_success                 1 if it gave a new pair, else 0
  aifactory_broker_refreshes_total{result}              issued | refused | no-pair | secret_owned_by_syncer
                                                        (a due refresh not made: a controller re-asserts
                                                        the source Secret; counted once per login)
  aifactory_broker_login_refused                        1 once the server refused this login
  aifactory_broker_last_publish_timestamp_seconds       when the agents last got a new token
  aifactory_broker_source_secret_present                0 while the source Secret is missing
  aifactory_broker_source_secret_owned_by_syncer        1 while a controller (External Secrets, Sealed
                                                        Secrets, Vault Secrets Operator, Secrets Store
                                                        CSI, Argo CD, Flux) owns the source Secret
Without prometheus_client installed the broker runs without metrics and says so once.
"""
from __future__ import annotations

from typing import Optional

try:
    import prometheus_client as prom
except ImportError:  # the broker still works; the chart's default image carries the client
    prom = None

PREFIX = "aifactory_broker_"


class Metrics:
    def __init__(self, port: int, log) -> None:
        self.enabled = bool(port) and prom is not None
        if port and prom is None:
            log("metrics are off: the python3 package prometheus_client is not installed in this image")
        if not self.enabled:
            return
        registry = prom.CollectorRegistry()
        g = lambda name, doc: prom.Gauge(PREFIX + name, doc, registry=registry)  # noqa: E731
        self.leader = g("leader", "1 while this replica holds the Lease and may refresh")
        self.access_expiry = g("access_token_expiry_timestamp_seconds", "When the access token the agents hold expires")
        # Registered only once known: a 0 would read as "ended in 1970" and page (an absent series does not).
        self._gauge, self.login_end = g, None
        self.last_refresh = g("last_refresh_timestamp_seconds", "Time of the last refresh attempt")
        self.last_success = g("last_refresh_success", "1 if the last refresh attempt gave a new pair")
        self.refused = g("login_refused", "1 once the token endpoint refused this login's refresh")
        self.last_publish = g("last_publish_timestamp_seconds", "When the agents last got a new access token")
        self.source_present = g("source_secret_present", "0 while the source Secret is missing")
        self.source_owned = g("source_secret_owned_by_syncer",
                              "1 while a controller that re-asserts it owns the source Secret: no write, no refresh")
        self.refreshes = prom.Counter(PREFIX + "refreshes", "Refresh attempts by result", ["result"], registry=registry)
        for result in ("issued", "refused", "no-pair", "secret_owned_by_syncer"):
            self.refreshes.labels(result)
        self.source_present.set(1)
        prom.start_http_server(port, registry=registry)
        log(f"metrics on :{port}/metrics")

    def held(self, leading: bool, access_expires_ms: Optional[int], login_ends_ms: Optional[int]) -> None:
        if not self.enabled:
            return
        self.leader.set(1 if leading else 0)
        if access_expires_ms:
            self.access_expiry.set(access_expires_ms / 1000)
        if login_ends_ms:
            if self.login_end is None:
                self.login_end = self._gauge("login_end_timestamp_seconds", "When the login (refresh-token family) ends")
            self.login_end.set(login_ends_ms / 1000)

    def refresh(self, result: str, at: float) -> None:
        if not self.enabled:
            return
        self.refreshes.labels(result).inc()
        if result == "secret_owned_by_syncer":   # no attempt made: the last attempt's gauges stay
            return
        self.last_refresh.set(at)
        self.last_success.set(1 if result == "issued" else 0)
        self.refused.set(1 if result == "refused" else 0)

    def published(self, at: float) -> None:
        if self.enabled:
            self.last_publish.set(at)

    def source(self, present: bool) -> None:
        if self.enabled:
            self.source_present.set(1 if present else 0)

    def owned_by_syncer(self, owned: bool) -> None:
        if self.enabled:
            self.source_owned.set(1 if owned else 0)
