#!/usr/bin/env python3
"""credentials-broker: the one holder of an install's Claude Code login; agents get access tokens only.

The broker keeps the install's full login (access + refresh token) in a private HOME that no agent
can read, lets the REAL Claude Code refresh it there a lead time before the access token expires,
and for each new pair:
  1. writes it to the source Secret (a conditional update: only over the pair it replaces, the
     writeBack sidecar's "valid, newer, ours" rules), so a broker restart continues from it;
  2. only then publishes the login WITHOUT its refresh token in the access Secret, which every
     agent pod's receiver watches and writes to the agent's credentials file within milliseconds.
Never two refreshers: the broker's replicas elect one with a coordination.k8s.io Lease, and only
the holder of a freshly renewed lease refreshes. A refresh token the broker has seen exchanged is
recorded (SHA-256 prefix, on the Secret and in the private HOME) and never presented again, even
when something puts it back into the Secret (a restore, a syncer re-asserting an old value).
A source Secret that such a controller owns (secret_syncers.py: an ExternalSecret, SealedSecret,
Vault Secrets Operator object, Secrets Store CSI sync, Argo CD or Flux) is never written and its
login never refreshed: the controller would put the spent pair back. The broker says which controller
and the fix, and the agents keep the access token they hold until it expires.

Claude Code refreshes on its own when its access token is within about 5 minutes of expiry
(measured); to refresh earlier the broker gives its private copy an `expiresAt` in the past and
runs `claude -p` with a one-word prompt, which refreshes, replaces the file by rename, then makes
its one request (measured; `claude auth status` refreshed only in the background and often exited
first). The broker never speaks Anthropic's token protocol itself.

Standard library only; shares the API client with credentials_writeback.py (same ConfigMap).
SIGTERM: finish the refresh in flight and its write to the Secret, release the lease, exit 0.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import credentials_writeback as wb  # noqa: E402  (beside this file in the ConfigMap)
from broker_metrics import Metrics  # noqa: E402
import secret_syncers  # noqa: E402

wb.LOG_NAME = "credentials-broker"
log = wb.log
FIELD_MANAGER = "aifactory-credentials-broker"
SPENT = wb.SPENT                                  # space-separated SHA-256 prefixes, newest last
ACCESS_EXPIRES_AT = "aifactory.dev/access-expires-at"
PUBLISHED_AT = "aifactory.dev/published-at"
REFRESHED_AT = "aifactory.dev/refreshed-at"
REFRESH_TOKEN_EXPIRES_AT = wb.LOGIN_ENDS_AT   # the login's end; patch_key keeps it with the login
KEEP_SPENT = 8
# The request `claude -p` makes after refreshing: as small as a request gets (one turn, no tools, a
# one-line system prompt, no MCP servers, no session written to the private HOME).
REFRESH_PROMPT = "Reply with the word ok."
REFRESH_FLAGS = ("--max-turns", "1", "--tools", "", "--system-prompt", "Reply with one word.",
                 "--strict-mcp-config", "--no-session-persistence")
# What agent_service scrubs, plus what would give Claude Code another identity or endpoint.
SCRUBBED = ("CLAUDE_CODE_OAUTH_TOKEN", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL",
            "CLAUDE_CONFIG_DIR", "CLAUDE_CODE_OAUTH_REFRESH_TOKEN")


_TOKEN = re.compile(r"sk-ant-\S*")


def redact(text: str) -> str:
    """Claude Code's error output might quote a token; a log line never does (its prefix only)."""
    return _TOKEN.sub("sk-ant-…", text)


spent_id = wb.spent_id   # a one-way name of a refresh token (16 hex of SHA-256), shared with the sidecar


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True)
class Held:
    raw: bytes
    oauth: dict

    @property
    def refresh_token(self) -> str:
        return self.oauth["refreshToken"]

    @property
    def expires_at(self) -> int:
        return self.oauth["expiresAt"]

    @property
    def ends_at(self) -> Optional[int]:
        """claudeAiOauth.refreshTokenExpiresAt: the login's end as Claude Code stored it (None: unknown)."""
        return wb.login_end(self.oauth)

    def describe(self) -> str:
        return (f"fp {wb.fingerprint(self.refresh_token)}, expires {wb.expiry_text(self.expires_at)}, "
                f"{wb.end_text(self.ends_at)}")


def held(raw: Optional[bytes]) -> tuple[Optional[Held], str]:
    login, why = wb.parse_login(raw)
    if login is None:
        return None, why
    return Held(raw, json.loads(raw.decode("utf-8"))["claudeAiOauth"]), ""


def access_only(login: Held) -> bytes:
    """The login an agent gets: everything but the refresh token (and its own expiry)."""
    oauth = {k: v for k, v in login.oauth.items() if k not in ("refreshToken", "refreshTokenExpiresAt")}
    return json.dumps({"claudeAiOauth": oauth}, sort_keys=True).encode()


def annotations(obj: dict) -> dict:
    return (obj.get("metadata") or {}).get("annotations") or {}


class Lease:
    """Leader election on one Lease, judged by the local monotonic clock (as client-go does): another
    holder's lease counts as expired only after leaseDurationSeconds without a change observed here."""

    def __init__(self, client: wb.SecretClient, identity: str, duration_s: float):
        self.client, self.identity, self.duration = client, identity, duration_s
        self._seen: tuple = ()
        self._seen_at = 0.0
        self.renewed_at = -1e9   # monotonic time of our last successful renewal

    def _stamp(self) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + f".{int(time.time() * 1e6) % 1000000:06d}Z"

    def try_hold(self) -> bool:
        """Acquire or renew; True while this process holds the lease."""
        obj = self.client.get()
        spec = obj.setdefault("spec", {})
        holder = spec.get("holderIdentity") or ""
        record = (holder, spec.get("renewTime"))
        mono = time.monotonic()
        if record != self._seen:
            self._seen, self._seen_at = record, mono
        if holder and holder != self.identity and mono - self._seen_at < self.duration:
            return False
        if holder != self.identity:
            spec["leaseTransitions"] = int(spec.get("leaseTransitions") or 0) + 1
            spec["acquireTime"] = self._stamp()
        spec.update(holderIdentity=self.identity, leaseDurationSeconds=int(self.duration), renewTime=self._stamp())
        try:
            updated = self.client.put(obj)
        except wb.ApiError as exc:
            if exc.status == 409:   # someone else renewed or took it in between
                return False
            raise
        s = updated.get("spec") or {}
        self._seen, self._seen_at = (s.get("holderIdentity"), s.get("renewTime")), mono
        self.renewed_at = mono
        return True

    def fresh(self, margin_s: float) -> bool:
        """Held, and renewed recently enough that nobody else can take it within `margin_s`."""
        return time.monotonic() - self.renewed_at < self.duration - margin_s

    def release(self) -> None:
        obj = self.client.get()
        spec = obj.get("spec") or {}
        if spec.get("holderIdentity") != self.identity:
            return
        spec.update(holderIdentity="", leaseDurationSeconds=1, renewTime=self._stamp())
        self.client.put(obj)
        self.renewed_at = -1e9


class PrivateHome:
    """The broker's HOME: the login Claude Code refreshes, and the record of spent refresh tokens.
    An emptyDir: it survives a container restart (crash, OOM, SIGKILL of the process), not the pod."""

    def __init__(self, root: str):
        self.root = root
        self.credentials = os.path.join(root, ".claude", ".credentials.json")
        self.spent_file = os.path.join(root, "spent-refresh-tokens")
        # Which refresh token a refresh in flight presents: after a crash, a newer pair in the file is
        # then known to be its successor (the refresh reached the server, the Secret write did not).
        self.intent_file = os.path.join(root, "refreshing-from")
        os.makedirs(os.path.dirname(self.credentials), mode=0o700, exist_ok=True)
        state = os.path.join(root, ".claude.json")
        if not os.path.exists(state):
            self._write(state, b'{"hasCompletedOnboarding": true}')
        self.clear_locks()

    def clear_locks(self) -> list[str]:
        """Removes the lock files and folders Claude Code left (a killed Claude Code leaves them, and the
        next one then waits on them instead of refreshing: measured). Only the broker runs Claude Code
        in this HOME, and never while this runs."""
        removed = []
        for folder in (self.root, os.path.dirname(self.credentials)):
            for name in os.listdir(folder):
                if name.endswith(".lock") or ".lock." in name:
                    path = os.path.join(folder, name)
                    if os.path.isdir(path) and not os.path.islink(path):
                        for sub in os.listdir(path):
                            os.unlink(os.path.join(path, sub))
                        os.rmdir(path)
                    else:
                        os.unlink(path)
                    removed.append(name)
        if removed:
            log(f"removed Claude Code's stale locks from the private HOME: {', '.join(sorted(removed))}")
        return removed

    @staticmethod
    def _write(path: str, data: bytes) -> None:
        tmp = f"{path}.broker-tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)

    def read(self) -> Optional[bytes]:
        return wb.read_file(self.credentials)

    def store(self, raw: bytes) -> None:
        self._write(self.credentials, raw)

    def spent(self) -> list[str]:
        raw = wb.read_file(self.spent_file) or b""
        return raw.decode("ascii", "replace").split()

    def intent(self) -> str:
        return (wb.read_file(self.intent_file) or b"").decode("ascii", "replace").strip()

    def set_intent(self, refresh_id: str) -> None:
        self._write(self.intent_file, refresh_id.encode())

    def add_spent(self, ids: list[str]) -> None:
        merged = [i for i in self.spent() if i not in ids] + ids
        self._write(self.spent_file, " ".join(merged[-64:]).encode())


class Broker:
    def __init__(self, args: argparse.Namespace, source: wb.SecretClient, access: wb.SecretClient,
                 lease: Lease, home: PrivateHome, stop: wb.StopSignal, metrics: Optional[Metrics] = None):
        self.args, self.source, self.access, self.lease, self.home, self.stop = args, source, access, lease, home, stop
        self.metrics = metrics or Metrics(0, log)
        self.login: Optional[Held] = None        # the pair this broker holds and serves
        self.source_obj: dict = {}
        self.published: Optional[bytes] = None
        self.refused_for: Optional[str] = None   # spent id of a login the server refused
        self.no_pair_streak = 0                  # refreshes in a row that made no pair
        self.syncer: Optional[secret_syncers.Owner] = None   # a controller that re-asserts the source Secret
        self.skipped_for: Optional[str] = None   # spent id of the login whose due refresh that controller stopped
        self._last = ""
        self._end_said: Optional[str] = None

    def say(self, message: str) -> None:
        if message != self._last:
            log(message)
            self._last = message

    # -- the source Secret ------------------------------------------------------------------
    def spent_ids(self) -> list[str]:
        return self.home.spent() + annotations(self.source_obj).get(SPENT, "").split()

    def reconcile(self) -> None:
        """Read the source Secret and decide which login this broker holds (see the module docstring)."""
        try:
            self.source_obj = self.source.get()
        except wb.ApiError as exc:
            if exc.status == 404:
                self.say(f"source Secret {self.args.namespace}/{self.args.secret} is missing: not refreshing (a new "
                         "pair could be kept nowhere); agents keep the access token they hold until it expires. "
                         "Recreate it with `aifactory-policy credentials create-secret` (or rotate)")
                self.source_obj = {}
                self.metrics.source(False)
                return
            raise
        self.metrics.source(True)
        self.syncer = secret_syncers.certain_owner(self.source_obj)
        self.metrics.owned_by_syncer(self.syncer is not None)
        in_secret, why = held(wb.secret_value(self.source_obj, self.args.key))
        private, _ = held(self.home.read())
        spent = self.spent_ids()
        if in_secret is not None and self.login is not None and in_secret.raw == self.login.raw:
            return
        successor = in_secret is not None and self.home.intent() == spent_id(in_secret.refresh_token) and (
            private is not None and private.refresh_token != in_secret.refresh_token)
        if private is not None and spent_id(private.refresh_token) not in spent and (
                in_secret is None or spent_id(in_secret.refresh_token) in spent or successor):
            # Ours and newer: a pair refreshed before a restart (or a Secret put back to a spent login).
            if self.login is None or self.login.raw != private.raw:
                self.say(f"private login is newer than the Secret ({private.describe()}): writing it to the Secret")
            self.login = private
            self.persist(private, predecessor=None)
            return
        if in_secret is None:
            self.say(f"source Secret key {self.args.key!r} holds no valid login ({why}); waiting for one "
                     "(`aifactory-policy credentials create-secret` or `rotate`)")
            return
        if spent_id(in_secret.refresh_token) in spent:
            self.say(f"the Secret holds a refresh token this broker already exchanged ({in_secret.describe()}): "
                     "something put a spent login back (a restore, or a syncer re-asserting an old value). "
                     "Not presenting it again; log in again and run `aifactory-policy credentials rotate`")
            return
        if self.login is None or in_secret.raw != self.login.raw:
            self.say(f"holding the Secret's login ({in_secret.describe()})")
        self.adopt(in_secret)

    def adopt(self, new: Held) -> None:
        """Holds `new` from the Secret. A different family replacing the one held (credentials rotate or
        renew) retires that one in the private HOME too: it is never presented again, even if the Secret
        goes back to it with its annotations (a restore)."""
        if self.login is not None and self.login.refresh_token != new.refresh_token:
            self.home.add_spent([spent_id(self.login.refresh_token)])
            log(f"the Secret holds another login: retired the one held ({self.login.describe()})")
        self.login = new
        self.home.store(new.raw)

    def owned_message(self) -> str:
        where = f"{self.args.namespace}/{self.args.secret}"
        return (f"not writing to the source Secret and not refreshing: {self.syncer.describe(where)}. The agents keep "
                "the access token they hold until it expires")

    def persist(self, new: Held, predecessor: Optional[Held]) -> None:
        """Writes `new` to the source Secret, conditional on the object read last; retried, never forced."""
        if self.syncer is not None:
            self.say(self.owned_message())
            return
        delay = 0.1
        while True:
            spent = annotations(self.source_obj).get(SPENT, "").split()
            if predecessor is not None:
                spent = [i for i in spent if i != spent_id(predecessor.refresh_token)] + [spent_id(predecessor.refresh_token)]
            extra = {SPENT: " ".join(spent[-KEEP_SPENT:]) or None, REFRESHED_AT: wb.rfc3339()}
            rv = (self.source_obj.get("metadata") or {}).get("resourceVersion", "")
            try:
                self.source_obj = self.source.patch_key(self.args.key, new.raw, rv, extra)
                self.say(f"wrote the new pair to the Secret ({new.describe()})")
                return
            except wb.ApiError as exc:
                if exc.status == 409:
                    self.source_obj = self.source.get()
                    now_in, _ = held(wb.secret_value(self.source_obj, self.args.key))
                    if now_in is not None and now_in.raw == new.raw:
                        return
                    mine = predecessor.raw if predecessor else None
                    if now_in is not None and now_in.raw != mine and spent_id(now_in.refresh_token) not in self.spent_ids():
                        self.say("the Secret was replaced while writing (credentials rotate or renew?): holding the "
                                 "new login")
                        self.login = new       # the pair just made is of the replaced family: retired with it
                        self.adopt(now_in)
                        return
                    continue
                if exc.status == 404:
                    self.say("source Secret deleted: the newest pair lives only in this broker's private HOME")
                    return
                self.say(f"cannot write the new pair to the Secret yet ({exc}); retrying. "
                         "It is held in the private HOME meanwhile")
                # Even after SIGTERM: until the grace period ends, keeping the pair beats stopping on time.
                if self.stop.requested:
                    time.sleep(delay)
                else:
                    self.stop.wait(delay)
                delay = min(delay * 2, self.args.max_backoff)

    # -- the agents --------------------------------------------------------------------------
    def publish(self) -> None:
        if self.login is None:
            return
        data = access_only(self.login)
        if data == self.published:
            return
        self.access.patch({"metadata": {"annotations": {
            ACCESS_EXPIRES_AT: wb.rfc3339(self.login.expires_at / 1000),
            PUBLISHED_AT: time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + f".{now_ms() % 1000:03d}Z"}},
            "data": {self.args.key: base64.b64encode(data).decode("ascii")}})
        self.published = data
        self.metrics.published(time.time())
        self.say(f"published the access token to {self.args.access_secret} (expires {wb.expiry_text(self.login.expires_at)})")

    # -- refreshing --------------------------------------------------------------------------
    def due(self) -> bool:
        return (self.login is not None and self.source_obj
                and self.refused_for != spent_id(self.login.refresh_token)
                and now_ms() >= self.login.expires_at - self.args.lead_seconds * 1000)

    def claude_env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
        env["HOME"] = self.home.root
        return env

    def take_pair(self, new: Held, predecessor: Held, started: float) -> None:
        """A pair Claude Code wrote: its predecessor is spent; persisted first, then handed out."""
        self.home.add_spent([spent_id(predecessor.refresh_token)])
        self.login = new
        self.persist(new, predecessor=predecessor)
        self.publish()
        log(f"refreshed in {time.monotonic() - started:.3f}s: {predecessor.describe()} -> {new.describe()}")
        self.metrics.refresh("issued", time.time())

    def refresh(self) -> None:
        """One refresh by the real Claude Code; each new pair goes to the Secret, then to the agents."""
        old = self.login
        assert old is not None
        forward = dict(old.oauth, expiresAt=now_ms() - 1000)   # bring Claude Code's own refresh forward
        self.home.set_intent(spent_id(old.refresh_token))
        self.home.store(json.dumps({"claudeAiOauth": forward}).encode())
        log(f"refreshing ({old.describe()}; lead {self.args.lead_seconds}s)")
        started = time.monotonic()
        # `claude -p` refreshes an expired token before its one request and waits for the answer;
        # `claude auth status` refreshes in the background and often exits first (measured with
        # 2.1.330: 8 of 30 runs at rest, 8 in a row under load in kind, sent nothing). The price is one
        # one-word request per refresh.
        proc = subprocess.Popen([self.args.claude, "-p", REFRESH_PROMPT, *REFRESH_FLAGS], env=self.claude_env(),
                                cwd=self.home.root, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        newest = old

        def take_newer() -> None:
            """The pair in the private file, if Claude Code wrote one since `newest`."""
            nonlocal newest
            candidate, _ = held(self.home.read())
            if candidate is not None and candidate.refresh_token != newest.refresh_token:
                log(f"new pair in the private file at {time.time():.3f}")
                self.take_pair(candidate, predecessor=newest, started=started)
                newest = candidate

        # Poll the file while Claude Code runs: a new pair is in it before the process exits, and every
        # millisecond until the agents have it counts if the server revokes the old token. Claude Code
        # may refresh again in the same run (a token that lives under its ~5 min margin, as in tests):
        # every pair it writes is adopted in order, so the Secret never keeps one it has spent.
        while True:
            exited = proc.poll() is not None
            take_newer()
            if exited or time.monotonic() - started >= self.args.claude_timeout:
                break
            time.sleep(0.005)
        try:
            out, err = proc.communicate(timeout=max(1.0, self.args.claude_timeout - (time.monotonic() - started)))
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            self.home.clear_locks()
        take_newer()                                   # a pair written just before the exit or the kill
        new = newest if newest is not old else None
        if new is not None:
            self.no_pair_streak = 0
            return
        after = self.home.read()
        if wb.refused_by_server(after):
            self.refused_for = spent_id(old.refresh_token)
            self.metrics.refresh("refused", time.time())
            self.home.add_spent([spent_id(old.refresh_token)])
            self.home.store(old.raw)
            try:
                self.source.mark_refused()
            except wb.ApiError as exc:
                log(f"could not record the refusal on the Secret: {exc}")
            self.say("the server refused the refresh (invalid_grant): this login is dead. Agents keep the access "
                     f"token they hold until {wb.expiry_text(old.expires_at)}. Renew the login: `aifactory-policy credentials "
                     "renew --install <release>` (a new claude auth login; the broker picks it up by itself)")
            return
        # No new pair and no refusal: the token endpoint unreachable, Claude Code killed at the timeout.
        # The old pair goes back as it was; the next try follows soon (1, 2, 4, 8 s, then every
        # --retry-seconds) so a short outage costs little of the lead time.
        self.home.store(old.raw)
        self.no_pair_streak += 1
        self.metrics.refresh("no-pair", time.time())
        streak = self.no_pair_streak
        if streak <= 4 or streak % 10 == 0:
            # `claude -p` prints a failure on stdout ("Failed to authenticate ..."), redacted like stderr.
            said = redact((err or out).decode("utf-8", "replace"))[-300:].strip()
            log(f"refresh made no new pair (try {streak}; claude exit {proc.returncode}: {said or 'no message'}); retrying")
        self.stop.wait(min(self.args.retry_seconds, 2.0 ** (streak - 1)))

    # -- the loop ----------------------------------------------------------------------------
    def tick(self) -> None:
        if not self.lease.try_hold():
            # A standby keeps nothing in memory: on taking over it starts from the Secret.
            self.login, self.published = None, None
            self.metrics.held(False, None, None)
            self.say(f"standing by: lease {self.args.lease} is held by another replica")
            return
        self.reconcile()
        self.publish()
        # Renewed this pass; a standby waits a whole lease without a renewal before taking over, so a
        # refresh that ends within the margin can never overlap another replica's.
        if self.due() and self.syncer is not None:
            # A refresh now would be undone: its pair could be kept nowhere the controller leaves alone.
            if self.skipped_for != spent_id(self.login.refresh_token):
                self.skipped_for = spent_id(self.login.refresh_token)
                self.metrics.refresh("secret_owned_by_syncer", time.time())
            self.say(self.owned_message())
        elif self.due() and self.lease.fresh(self.args.claude_timeout + 2):
            self.refresh()
        if self.login is not None:
            self.say_end()
            self.metrics.held(True, self.login.expires_at, self.login.ends_at)

    def say_end(self) -> None:
        """The login's end in the log, once per change; a WARNING within wb.LOGIN_WARN_DAYS and past it
        (Claude Code keeps the earlier end at each refresh: measured; the metric carries the same value)."""
        warning = wb.end_warning(self.login.ends_at)
        said = f"WARNING: {warning}" if warning else wb.end_text(self.login.ends_at)
        if said != self._end_said:
            self._end_said = said
            log(said)


def run(args: argparse.Namespace, stop: wb.StopSignal) -> int:
    server = args.api_server or wb._in_cluster_server()
    if not server:
        log("no API server: KUBERNETES_SERVICE_HOST is not set; pass --api-server")
        return 2
    ca = args.ca_file or os.path.join(os.path.dirname(args.token_file), "ca.crt")
    def client(name: str, **kw) -> wb.SecretClient:
        return wb.SecretClient(server, args.namespace, name, args.token_file, ca, field_manager=FIELD_MANAGER, **kw)
    lease = Lease(client(args.lease, api="/apis/coordination.k8s.io/v1", resource="leases"), args.identity,
                  args.lease_seconds)
    broker = Broker(args, client(args.secret), client(args.access_secret), lease, PrivateHome(args.home), stop,
                    Metrics(args.metrics_port, log))
    log(f"broker {args.identity}: Secret {args.namespace}/{args.secret} key {args.key!r} -> access Secret "
        f"{args.access_secret}; refresh {args.lead_seconds}s before expiry; lease {args.lease}")
    failures = 0
    while not stop.requested:
        try:
            broker.tick()
            failures, wait = 0, args.interval
        except wb.ApiError as exc:
            failures += 1
            wait = min(args.interval * (2 ** min(failures, 8)), args.max_backoff)
            broker.say(f"API error (attempt {failures}, retry in {wait:.0f}s): {exc}")
        if args.once or stop.wait(wait):
            break
    try:
        lease.release()
        log("released the lease")
    except wb.ApiError as exc:
        log(f"could not release the lease ({exc}); a standby takes over after {args.lease_seconds:.0f}s")
    log("stopped")
    return 0


def parse_args(argv: Optional[list[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--secret", required=True, help="the source Secret holding the full login")
    p.add_argument("--key", required=True, help="its key (the access Secret uses the same key)")
    p.add_argument("--access-secret", required=True, help="the Secret the agents' receivers watch")
    p.add_argument("--lease", required=True, help="the coordination.k8s.io Lease electing the refresher")
    p.add_argument("--namespace", required=True)
    p.add_argument("--identity", default=os.environ.get("POD_NAME") or socket.gethostname(),
                   help="this replica's name in the lease (default: POD_NAME, or the host name)")
    p.add_argument("--home", required=True, help="private HOME (an emptyDir only the broker mounts)")
    p.add_argument("--claude", default="claude", help="the Claude Code CLI")
    p.add_argument("--lead-seconds", type=float, default=1800, help="refresh this long before the access token expires")
    p.add_argument("--interval", type=float, default=2.0, help="seconds between passes")
    p.add_argument("--lease-seconds", type=float, default=45.0,
                   help="leaseDurationSeconds; must exceed --claude-timeout by a few seconds")
    p.add_argument("--claude-timeout", type=float, default=20.0, help="longest a refresh by Claude Code may take")
    p.add_argument("--retry-seconds", type=float, default=10.0,
                   help="longest pause after a refresh that made no new pair (the pauses grow 1, 2, 4, 8 s up to it)")
    p.add_argument("--token-file", required=True, help="service account token, re-read for every request")
    p.add_argument("--ca-file", help="CA bundle of the API server (default: ca.crt beside --token-file)")
    p.add_argument("--api-server", help="API server URL (default: from KUBERNETES_SERVICE_HOST/PORT)")
    p.add_argument("--max-backoff", type=float, default=30.0, help="longest wait after API errors, seconds")
    p.add_argument("--metrics-port", type=int, default=0, help="serve Prometheus metrics on this port (0: off)")
    p.add_argument("--once", action="store_true", help="one pass, then exit")
    args = p.parse_args(argv)
    for name in ("interval", "lease_seconds", "claude_timeout"):
        if getattr(args, name) <= 0:
            p.error(f"--{name.replace('_', '-')} must be positive")
    if args.lease_seconds < args.claude_timeout + 5:
        p.error("--lease-seconds must exceed --claude-timeout by at least 5 s: a refresh must end while the lease holds")
    if args.lead_seconds < 0:
        p.error("--lead-seconds must not be negative")
    return args


def main(argv: Optional[list[str]] = None) -> int:
    args = parse_args(argv)
    return run(args, wb.StopSignal())


if __name__ == "__main__":
    sys.exit(main())
