#!/usr/bin/env python3
"""credentials-writeback: keep the install's credentials Secret at the newest login Claude Code holds.

Claude Code refreshes its OAuth login in the pod and writes the new pair to its credentials file;
refresh tokens are single-use, so the pair in the Secret goes stale after the first refresh. This
sidecar polls that file and, when it holds a VALID NEWER login, patches the one Secret key with it,
so the next pod starts from the newest pair.

  valid:  JSON, claudeAiOauth.accessToken and claudeAiOauth.refreshToken non-empty strings,
          claudeAiOauth.expiresAt an integer (ms since the epoch)
  newer:  expiresAt strictly later than the login the Secret holds (never a regression)
  ours:   the Secret still holds what this pod started with or what this sidecar last wrote;
          a Secret replaced by someone else (`aifactory-policy credentials rotate`) is never
          overwritten: the pod is about to be restarted onto the new login
  live:   its refresh token is not in the Secret's aifactory.dev/spent-refresh-tokens (the family
          a rotate or renew retired, the broker's exchanged tokens): never written back
  free:   no controller re-asserts the Secret (secret_syncers.py: an ExternalSecret, SealedSecret,
          Vault Secrets Operator object, Secrets Store CSI sync, Argo CD or Flux owns it): it would
          put its spent copy back, so the sidecar writes nothing and says which controller and the fix

Standard library only (the chart delivers this file and secret_syncers.py through a ConfigMap). The API token is
re-read before every request (a projected, rotating token); ca.crt is read beside it. One log
line per decision, never a token: fingerprints are HMAC-SHA256 under a key drawn at start, so
they only compare within this process's log. The login's end (claudeAiOauth.refreshTokenExpiresAt,
when Claude Code stored it) is logged, with a WARNING within LOGIN_WARN_DAYS and past it, and kept
in the Secret's aifactory.dev/refresh-token-expires-at on each write. API errors back off
exponentially. SIGTERM: one last sync, then exit 0.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import secrets
import select
import signal
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import secret_syncers  # noqa: E402  (beside this file in the ConfigMap)

FIELD_MANAGER = "aifactory-credentials-writeback"
ROTATED_AT = "aifactory.dev/rotated-at"
ROTATED_BY = "aifactory.dev/rotated-by"
# The non-secret trace of a dead login: Claude Code, refused a refresh (invalid_grant), rewrites its
# file with empty tokens and expiresAt 0 (measured: tests/test_token_holders.py); the sidecar then
# records LOGIN_STATE=refresh-refused and when it saw it, and never writes that file back.
LOGIN_STATE = "aifactory.dev/login-state"
LOGIN_STATE_AT = "aifactory.dev/login-state-at"
REFRESH_REFUSED = "refresh-refused"
# Refresh tokens never to present again: 16 hex of SHA-256 each (spent_id), space-separated. The
# broker keeps the list; `credentials rotate`/`renew` add the family they replace.
SPENT = "aifactory.dev/spent-refresh-tokens"
# The login's end as Claude Code stores it (claudeAiOauth.refreshTokenExpiresAt, ms): set at sign-in,
# never moved later by a refresh; past it the refresh is refused (measured:
# tests/test_login_end_real_claude.py). Kept beside the login on every write; never estimated.
LOGIN_ENDS_AT = "aifactory.dev/refresh-token-expires-at"
LOGIN_WARN_DAYS = 7     # the log warns this long before the end (credentials status --warn-days' default)
MAX_FILE_BYTES = 1 << 20
_LOG_KEY = secrets.token_bytes(32)
# The broker and the receiver import this module (same ConfigMap) and log under their own name.
LOG_NAME = "credentials-writeback"


def log(message: str) -> None:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    sys.stdout.write(f"{stamp} {LOG_NAME}: {message}\n")
    sys.stdout.flush()


def fingerprint(refresh_token: str) -> str:
    """Keyed (per-process key) so a log line can say "changed" without telling anything about the token."""
    return hmac.new(_LOG_KEY, refresh_token.encode(), hashlib.sha256).hexdigest()[:12]


def spent_id(refresh_token: str) -> str:
    """A one-way name of a refresh token (16 hex of SHA-256): safe to store beside the Secret."""
    return hashlib.sha256(refresh_token.encode()).hexdigest()[:16]


def rfc3339(ts: Optional[float] = None) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if ts is None else ts))


def expiry_text(expires_at_ms: Optional[int]) -> str:
    return "none" if expires_at_ms is None else rfc3339(expires_at_ms / 1000)


@dataclass(frozen=True)
class Login:
    refresh_token: str
    expires_at: int  # ms since the epoch
    ends_at: Optional[int] = None   # claudeAiOauth.refreshTokenExpiresAt (ms); None: not stored

    def describe(self) -> str:
        return f"fp {fingerprint(self.refresh_token)}, expires {expiry_text(self.expires_at)}, {end_text(self.ends_at)}"


def login_end(oauth: dict) -> Optional[int]:
    """claudeAiOauth.refreshTokenExpiresAt when it is a positive number of ms, else None (unknown)."""
    value = oauth.get("refreshTokenExpiresAt")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or value <= 0:
        return None
    return int(value)


def end_text(ends_at: Optional[int]) -> str:
    return "login ends " + expiry_text(ends_at) if ends_at else "login end unknown (no refreshTokenExpiresAt)"


def end_warning(ends_at: Optional[int], now: Optional[float] = None) -> Optional[str]:
    """A log line when the login ends within LOGIN_WARN_DAYS or has ended, else None."""
    if not ends_at:
        return None
    left = ends_at / 1000 - (time.time() if now is None else now)
    renew = ("log in again for this install (`aifactory-policy credentials login`, or `credentials rotate "
             "--from-login`): refreshing does not move the end")
    if left <= 0:
        return (f"the login ended at {expiry_text(ends_at)} (claudeAiOauth.refreshTokenExpiresAt): the token endpoint "
                f"refuses its refresh, and every task fails once the access token expires; {renew}")
    if left <= LOGIN_WARN_DAYS * 86400:
        return (f"the login ends at {expiry_text(ends_at)} (in {int(left // 86400)} days, "
                f"{int(left % 86400 // 3600)} h; claudeAiOauth.refreshTokenExpiresAt): {renew}, before then")
    return None


def parse_login(raw: Optional[bytes]) -> tuple[Optional[Login], str]:
    """(Login, "") when `raw` is a valid credentials file, else (None, why not)."""
    if raw is None:
        return None, "missing"
    if len(raw) > MAX_FILE_BYTES:
        return None, f"larger than {MAX_FILE_BYTES} bytes"
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None, "not valid JSON (a partial write?)"
    oauth = doc.get("claudeAiOauth") if isinstance(doc, dict) else None
    if not isinstance(oauth, dict):
        return None, "no claudeAiOauth object"
    refresh, access, expires = oauth.get("refreshToken"), oauth.get("accessToken"), oauth.get("expiresAt")
    if not isinstance(refresh, str) or not refresh.strip():
        return None, "empty refresh token"
    if not isinstance(access, str) or not access.strip():
        return None, "empty access token"
    if isinstance(expires, bool) or not isinstance(expires, int) or expires <= 0:
        return None, "expiresAt is not a positive integer"
    return Login(refresh, expires, login_end(oauth)), ""


def refused_by_server(raw: Optional[bytes]) -> bool:
    """True for the file Claude Code leaves after its refresh was refused: a claudeAiOauth object
    with an empty refresh token, an empty access token and expiresAt 0."""
    try:
        oauth = json.loads((raw or b"").decode("utf-8")).get("claudeAiOauth")
    except (UnicodeDecodeError, ValueError, AttributeError):
        return False
    return (isinstance(oauth, dict) and oauth.get("refreshToken") == "" and oauth.get("accessToken") == ""
            and oauth.get("expiresAt") == 0)


@dataclass(frozen=True)
class Decision:
    write: bool
    reason: str


def decide(file_raw: Optional[bytes], secret_raw: Optional[bytes], ours: Optional[list] = None,
           spent: tuple = ()) -> Decision:
    """Whether to write `file_raw` into the Secret that holds `secret_raw`.

    `ours`: the values the Secret may hold without someone else having replaced it: what it held
    when this sidecar started and what this sidecar wrote (or tried to) since; None = no check.
    `spent`: the Secret's retired refresh tokens (spent_id)."""
    login, why = parse_login(file_raw)
    if login is None:
        return Decision(False, f"file not written back: {why}")
    if file_raw == secret_raw:
        return Decision(False, f"in sync ({login.describe()})")
    if spent_id(login.refresh_token) in spent:
        return Decision(False, f"file holds a retired login ({login.describe()}; its refresh token is in {SPENT}: "
                               "credentials rotate or renew replaced it): never written back; restart the pod")
    if ours is not None and secret_raw not in ours:
        return Decision(False, "Secret was replaced by someone else since this pod started "
                               "(credentials rotate?); not overwriting it: restart the pod to pick it up")
    held, held_why = parse_login(secret_raw)
    if held is not None and login.expires_at <= held.expires_at:
        return Decision(False, f"file is not newer than the Secret (file {login.describe()}; "
                               f"Secret {held.describe()}): no regression")
    before = held.describe() if held is not None else f"Secret holds no valid login: {held_why}"
    return Decision(True, f"newer login in the file: {before} -> {login.describe()}")


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


_FIXES = {
    401: "the service account token was refused (expired or not projected); check the writeback-token volume",
    403: "the sidecar's ServiceAccount may not get/patch this Secret; check the chart's writeback Role (resourceNames)",
    404: "the Secret does not exist; create it with `aifactory-policy credentials create-secret`",
    409: "the Secret changed while deciding; will re-read",
}


class SecretClient:
    """GET, PATCH and PUT one object (a Secret unless told otherwise) through the API server, with the
    token re-read for every request."""

    def __init__(self, server: str, namespace: str, name: str, token_file: str, ca_file: Optional[str],
                 timeout: float = 10.0, api: str = "/api/v1", resource: str = "secrets",
                 field_manager: str = FIELD_MANAGER):
        self.collection = f"{server.rstrip('/')}{api}/namespaces/{urllib.parse.quote(namespace)}/{resource}"
        self.url = f"{self.collection}/{urllib.parse.quote(name)}"
        self.name, self.resource = name, resource
        self.token_file, self.ca_file, self.timeout = token_file, ca_file, timeout
        self.field_manager = field_manager

    def _context(self) -> Optional[ssl.SSLContext]:
        if not self.url.startswith("https://"):
            return None
        ctx = ssl.create_default_context(cafile=self.ca_file if self.ca_file and os.path.exists(self.ca_file) else None)
        return ctx

    def open(self, method: str, body: Optional[bytes] = None, content_type: Optional[str] = None,
             query: str = "", url: Optional[str] = None, timeout: Optional[float] = None):
        """The raw response (the receiver streams a watch from it); raises ApiError."""
        try:
            with open(self.token_file, encoding="utf-8") as fh:
                token = fh.read().strip()
        except OSError as exc:
            raise ApiError(0, f"cannot read the API token {self.token_file}: {exc.strerror}") from None
        req = urllib.request.Request((url or self.url) + query, data=body, method=method)
        req.add_header("Authorization", f"Bearer {token}")
        req.add_header("Accept", "application/json")
        if content_type:
            req.add_header("Content-Type", content_type)
        try:
            return urllib.request.urlopen(req, timeout=timeout or self.timeout, context=self._context())
        except urllib.error.HTTPError as exc:
            try:
                detail = json.loads(exc.read().decode("utf-8")).get("message", "")
            except (ValueError, OSError, AttributeError):
                detail = ""
            hint = _FIXES.get(exc.code, "") if self.resource == "secrets" else ""
            raise ApiError(exc.code, f"{method} {self.resource}/{self.name}: HTTP {exc.code} {detail[:200]}"
                                     + (f"; {hint}" if hint else "")) from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ApiError(0, f"{method} {self.resource}/{self.name}: API server unreachable ({reason})") from None

    def _request(self, method: str, body: Optional[bytes] = None, content_type: Optional[str] = None,
                 query: str = "") -> dict:
        with self.open(method, body, content_type, query) as resp:
            try:
                return json.loads(resp.read().decode("utf-8"))
            except (OSError, ValueError) as exc:
                raise ApiError(0, f"{method} {self.resource}/{self.name}: unreadable answer ({exc})") from None

    def get(self) -> dict:
        return self._request("GET")

    def patch(self, patch: dict) -> dict:
        return self._request("PATCH", json.dumps(patch).encode(), "application/strategic-merge-patch+json",
                             query=f"?fieldManager={self.field_manager}")

    def put(self, obj: dict) -> dict:
        """Replaces the object; its metadata.resourceVersion makes the update conditional (409)."""
        return self._request("PUT", json.dumps(obj).encode(), "application/json",
                             query=f"?fieldManager={self.field_manager}")

    def patch_key(self, key: str, raw: bytes, resource_version: str, annotations: Optional[dict] = None) -> dict:
        # resourceVersion makes the patch conditional: a concurrent replacement answers 409. The login's
        # end goes with the login (None removes a stale one: a login without it).
        login, _ = parse_login(raw)
        ends = login.ends_at if login is not None else None
        return self.patch({"metadata": {"resourceVersion": resource_version,
                                        "annotations": {ROTATED_AT: rfc3339(), ROTATED_BY: self.field_manager,
                                                        LOGIN_STATE: None, LOGIN_STATE_AT: None,
                                                        LOGIN_ENDS_AT: rfc3339(ends / 1000) if ends else None,
                                                        **(annotations or {})}},
                           "data": {key: base64.b64encode(raw).decode("ascii")}})

    def mark_refused(self) -> dict:
        """Records the refusal on the Secret (annotations only: the stored login stays as it was)."""
        return self.patch({"metadata": {"annotations": {LOGIN_STATE: REFRESH_REFUSED, LOGIN_STATE_AT: rfc3339()}}})


def secret_value(secret: dict, key: str) -> Optional[bytes]:
    data = (secret.get("data") or {}).get(key)
    if data is None:
        return None
    try:
        return base64.b64decode(data, validate=True)
    except (ValueError, TypeError):
        return None


def read_file(path: str) -> Optional[bytes]:
    try:
        with open(path, "rb") as fh:
            return fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        log(f"cannot read {path}: {exc.strerror}")
        return None


class Syncer:
    """One pass = read the file, read the Secret, decide, maybe patch. Logs when the decision changes."""

    def __init__(self, client: SecretClient, path: str, key: str):
        self.client, self.path, self.key = client, path, key
        self.ours: Optional[list] = None  # see decide(); kept in memory only
        self._last_logged = ""
        self._warned: set = set()
        self._end_said: Optional[str] = None

    def _say(self, message: str) -> None:
        if message != self._last_logged:
            log(message)
            self._last_logged = message

    def owned_by_syncer(self, secret: dict) -> bool:
        """True (and said once) when a controller re-asserts the Secret; an uncertain one is a warning."""
        where = f"{self.client.collection.rsplit('/', 2)[-2]}/{self.client.name}"
        found = secret_syncers.owners(secret)
        owner = next((o for o in found if o.certain), None)
        if owner is not None:
            self._say(f"not writing the login: {owner.describe(where)}. Until then a refreshed "
                      "login lives only in this pod, and the next start presents the spent one (the login family is revoked)")
            return True
        for o in found:
            if o.evidence not in self._warned:   # once: it does not change from tick to tick
                self._warned.add(o.evidence)
                log(f"warning: {o.describe(where)}")
        return False

    def sync_once(self) -> bool:
        """Raises ApiError; returns True when the Secret was patched."""
        secret = self.client.get()
        held = secret_value(secret, self.key)
        if self.ours is None:
            self.ours = [held]
        file_raw = read_file(self.path)
        self._say_end(file_raw, held)
        if refused_by_server(file_raw):
            marked = ((secret.get("metadata") or {}).get("annotations") or {}).get(LOGIN_STATE) == REFRESH_REFUSED
            if not marked:
                self.client.mark_refused()
            self._say("Claude Code's refresh was refused (invalid_grant): this login is dead and the Secret's "
                      f"copy cannot be refreshed either; recorded {LOGIN_STATE}={REFRESH_REFUSED} on the Secret. "
                      "Log in again for this install and run `aifactory-policy credentials rotate`")
            return False
        if self.owned_by_syncer(secret):
            return False
        spent = tuple((((secret.get("metadata") or {}).get("annotations") or {}).get(SPENT) or "").split())
        decision = decide(file_raw, held, self.ours, spent)
        if not decision.write:
            self._say(f"skip: {decision.reason}")
            return False
        rv = (secret.get("metadata") or {}).get("resourceVersion", "")
        self.ours = (self.ours + [file_raw])[-3:]  # before the PATCH: its answer may be lost
        self.client.patch_key(self.key, file_raw, rv)
        self._say(f"wrote Secret key {self.key!r}: {decision.reason}")
        return True


    def _say_end(self, file_raw: Optional[bytes], held: Optional[bytes]) -> None:
        """The login's end, once per change: within LOGIN_WARN_DAYS or past it (file first, else Secret)."""
        login = parse_login(file_raw)[0] or parse_login(held)[0]
        if login is None:
            return
        warning = end_warning(login.ends_at)
        said = warning or end_text(login.ends_at)
        if said != self._end_said:
            self._end_said = said
            log(f"WARNING: {warning}" if warning else said)


class StopSignal:
    """SIGTERM/SIGINT without locks in the handler: it only sets a flag, and the C-level wakeup fd
    ends a wait at once. (The handler used to call threading.Event.set(), which takes the lock the
    main thread may hold inside Event.wait(); twice in tests a sidecar never exited after SIGTERM,
    and that deadlock is the likely cause.)"""

    def __init__(self) -> None:
        self.requested = False
        self._read, write = os.pipe()
        for fd in (self._read, write):
            os.set_blocking(fd, False)
        signal.set_wakeup_fd(write)
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._handle)

    def _handle(self, signum, frame) -> None:
        self.requested = True

    def wait(self, timeout: float) -> bool:
        """Sleep up to `timeout` seconds or until a stop signal; True when stopping."""
        if not self.requested:
            select.select([self._read], [], [], timeout)
        try:
            while os.read(self._read, 512):
                pass
        except BlockingIOError:
            pass
        return self.requested


def run(args: argparse.Namespace, stop: StopSignal) -> int:
    server = args.api_server or _in_cluster_server()
    if not server:
        log("no API server: KUBERNETES_SERVICE_HOST is not set; pass --api-server")
        return 2
    ca_file = args.ca_file or os.path.join(os.path.dirname(args.token_file), "ca.crt")
    client = SecretClient(server, args.namespace, args.secret, args.token_file, ca_file)
    syncer = Syncer(client, args.file, args.key)
    log(f"watching {args.file} every {args.interval}s for Secret {args.namespace}/{args.secret} key {args.key!r}")
    failures = 0
    while True:
        try:
            syncer.sync_once()
            failures = 0
            wait = args.interval
        except ApiError as exc:
            failures += 1
            wait = min(args.interval * (2 ** min(failures, 10)), args.max_backoff)
            syncer._say(f"API error (attempt {failures}, retry in {wait:.0f}s): {exc}")
        if args.once:
            log("stopped (--once)")
            return 0
        if stop.wait(wait):
            break
    # SIGTERM: Claude Code may have refreshed just before the pod stops; one last bounded pass.
    try:
        client.timeout = 5.0
        syncer.sync_once()
    except ApiError as exc:
        log(f"final sync failed: {exc}")
    log("stopped")
    return 0


def _in_cluster_server() -> Optional[str]:
    host, port = os.environ.get("KUBERNETES_SERVICE_HOST"), os.environ.get("KUBERNETES_SERVICE_PORT", "443")
    if not host:
        return None
    if ":" in host:  # IPv6
        host = f"[{host}]"
    return f"https://{host}:{port}"


def parse_args(argv: Optional[list[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--file", required=True, help="Claude Code's credentials file in the pod")
    p.add_argument("--secret", required=True, help="name of the credentials Secret")
    p.add_argument("--key", required=True, help="key of the Secret holding the file")
    p.add_argument("--namespace", required=True)
    p.add_argument("--interval", type=float, default=10.0, help="seconds between checks")
    p.add_argument("--token-file", required=True, help="service account token, re-read for every request")
    p.add_argument("--ca-file", help="CA bundle of the API server (default: ca.crt beside --token-file)")
    p.add_argument("--api-server", help="API server URL (default: from KUBERNETES_SERVICE_HOST/PORT)")
    p.add_argument("--max-backoff", type=float, default=300.0, help="longest wait after API errors, seconds")
    p.add_argument("--once", action="store_true", help="one pass (plus the final sync), then exit")
    args = p.parse_args(argv)
    if args.interval <= 0:
        p.error("--interval must be positive")
    return args


def main(argv: Optional[list[str]] = None) -> int:
    args = parse_args(argv)
    return run(args, StopSignal())


if __name__ == "__main__":
    sys.exit(main())
