"""A fake Anthropic token endpoint and API, to measure Claude Code's token lifecycle with the real CLI.

Standard library only: it runs in the tests' own process (offline stage) and as a pod in the kind
cluster (the write-back image's python3, this file mounted from a ConfigMap). Claude Code reaches it
by name resolution (`/etc/hosts` offline, `hostAliases` in a pod) and trusts its throwaway CA through
`NODE_EXTRA_CA_CERTS`; nothing in Claude Code is patched.

It emulates what is *reported* of the real server (docs/facts.md), each part a switch:
- access tokens live `access_lifetime_s`;
- refresh tokens are single use and rotate on every refresh (`single_use`);
- a spent refresh token presented again is answered `400 invalid_grant` and, with
  `revoke_family_on_reuse`, every token of its family dies with it;
- with `revoke_access_on_refresh`, a refresh revokes the access tokens the family issued before it;
- with `family_lifetime_s`, a family ends that long after enrollment, and a refresh past the end is
  `invalid_grant`; each refresh then returns `refresh_token_expires_in` (seconds left, counting
  down: the field the 2.1.332 binary reads into `refreshTokenExpiresAt`), unless
  `announce_family_end` is off (a server that ends families without saying when);
- with `tool_sleep_s`, a conversation's first `/v1/messages` turn is a `Bash` tool use
  (`sleep N`), so one task spans that many seconds and two API calls.

It is also the authorization server of `claude auth login` (the URL and the exchange as Claude
Code 2.1.330 builds them, read from its binary and run against this fake). The code-paste flow:
`GET /oauth/authorize` (claude.ai's short link `?<scope bits><code_challenge>`, or the full query
with `code_challenge`, `state`, `redirect_uri`) stands for the person signing in: it answers the
code the callback page would show, `<code>#<state>`; `POST /v1/oauth/token` with
`grant_type: authorization_code` checks the code (single use), `redirect_uri` and the PKCE
`code_verifier` (S256), and enrolls a new token family. The local-callback flow: a browser
stand-in (BROWSER=tests/fake_browser.py) sends BROWSER_CODE to the CLI's callback, and its
exchange starts a new family unchecked.

Every request is recorded (method, host, path, status, outcome, and which token by a keyed
fingerprint, never the token itself). Logins the fake should know are enrolled up front; an
unknown refresh or access token is refused, as the real server would.

    python3 fake_anthropic.py --cert C --key K [--port 8443] [--enroll logins.json]
        [--access-lifetime 240] [--no-single-use] [--revoke-family-on-reuse]
        [--revoke-access-on-refresh] [--family-lifetime S] [--no-announce-family-end] [--tool-sleep S]
        [--record records.jsonl] [--fingerprint-key HEX]
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import secrets
import ssl
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOSTS = ("platform.claude.com", "api.anthropic.com")   # what Claude Code itself reaches: sent to the fake
# The sign-in pages a browser opens (the authorize URL): in the fake's certificate, never resolved
# for Claude Code (it does not fetch them: measured, the fake's record of a login).
SIGN_IN_HOSTS = ("claude.ai", "claude.com")
TOKEN_PATH = "/v1/oauth/token"
AUTHORIZE_PATHS = ("/oauth/authorize", "/cai/oauth/authorize")   # claude.ai's short link, claude.com's full one
BROWSER_CODE = "FAKE-code"   # what tests/fake_browser.py sends to the CLI's local callback
MANUAL_REDIRECT_URI = "https://platform.claude.com/oauth/code/callback"   # the code-paste flow's redirect
PROFILE_PATH = "/api/oauth/profile"
MESSAGES_PATH = "/v1/messages"
SCOPES = "user:inference user:profile user:sessions:claude_code"
REPLY_TEXT = "FAKE-ANTHROPIC-REPLY"  # what a task answered by this fake prints


@dataclass
class Switches:
    access_lifetime_s: int = 3600
    single_use: bool = True
    revoke_family_on_reuse: bool = False
    revoke_access_on_refresh: bool = False
    family_lifetime_s: int = 0     # 0: families never end
    tool_sleep_s: int = 0          # 0: every turn is a plain text answer
    announce_family_end: bool = True   # send refresh_token_expires_in when families end


@dataclass
class _Family:
    id: str
    revoked: bool = False
    spent: set = field(default_factory=set)      # refresh tokens already exchanged
    current_refresh: str = ""
    access: dict = field(default_factory=dict)    # access token -> expiry (epoch s)
    ends_at: float = 0.0                          # epoch s; 0: never


class Authority:
    """The fake's token state: families of refresh tokens, their access tokens, and the record."""

    def __init__(self, switches: Switches | None = None, fingerprint_key: bytes | None = None):
        self.switches = switches or Switches()
        self.key = fingerprint_key or secrets.token_bytes(16)
        self.lock = threading.Lock()
        self.families: dict[str, _Family] = {}
        self.by_refresh: dict[str, _Family] = {}
        self.by_access: dict[str, _Family] = {}
        self.records: list[dict] = []
        self.on_record = None  # optional callback (the CLI appends records to a file)
        self.codes: dict[str, dict] = {}   # authorization code -> {challenge, redirect_uri, used}

    def fingerprint(self, token: str) -> str:
        """A keyed digest that names a token in the record without revealing it."""
        return hmac.new(self.key, token.encode(), hashlib.sha256).hexdigest()[:12]

    def _new_family(self) -> _Family:
        """A new token family (lock held), ending family_lifetime_s from now when that is set."""
        family = _Family(id=f"f{len(self.families) + 1}")
        if self.switches.family_lifetime_s:
            family.ends_at = time.time() + self.switches.family_lifetime_s
        self.families[family.id] = family
        return family

    def enroll(self, login: dict) -> str:
        """Makes a `.credentials.json` login known (its refresh token unspent); returns its family."""
        oauth = login.get("claudeAiOauth", login)
        with self.lock:
            family = self._new_family()
            refresh, access = oauth.get("refreshToken"), oauth.get("accessToken")
            if refresh:
                family.current_refresh = refresh
                self.by_refresh[refresh] = family
            if access:
                family.access[access] = float(oauth.get("expiresAt", 0)) / 1000
                self.by_access[access] = family
            return family.id

    def refresh(self, token: str) -> tuple[int, dict, str, str]:
        """One refresh-token exchange: (status, body, outcome, family id)."""
        with self.lock:
            family = self.by_refresh.get(token)
            if family is None:
                return 400, _error("invalid_grant", "unknown refresh token"), "unknown", ""
            if family.revoked:
                return 400, _error("invalid_grant", "refresh token revoked"), "revoked", family.id
            if family.ends_at and time.time() >= family.ends_at:
                return 400, _error("invalid_grant", "refresh token expired (login ended)"), "family-ended", family.id
            if token in family.spent:
                if self.switches.revoke_family_on_reuse:
                    family.revoked = True
                return 400, _error("invalid_grant", "refresh token already used"), "reused", family.id
            if self.switches.single_use:
                family.spent.add(token)
            if self.switches.revoke_access_on_refresh:
                for old in family.access:
                    family.access[old] = 0.0
            return 200, self._issue(family), "issued", family.id

    def sign_in(self, code: str) -> tuple[int, dict, str, str]:
        """The authorization-code exchange that ends `claude auth login`: any non-empty code starts a
        new family (the fake has no browser sign-in to check it against)."""
        if not code:
            return 400, _error("invalid_grant", "no authorization code"), "no-code", ""
        with self.lock:
            family = self._new_family()
            body = self._issue(family)
            body["account"] = {"uuid": PROFILE["account"]["uuid"], "email_address": PROFILE["account"]["email"]}
            body["organization"] = {"uuid": PROFILE["organization"]["uuid"], "name": PROFILE["organization"]["name"]}
            return 200, body, "signed-in", family.id

    def _issue(self, family: _Family) -> dict:
        """A new pair of `family` (lock held): the token endpoint's answer."""
        new_refresh = f"sk-ant-ort01-FAKE-{family.id}-{secrets.token_urlsafe(24)}"
        new_access = f"sk-ant-oat01-FAKE-{family.id}-{secrets.token_urlsafe(24)}"
        family.current_refresh = new_refresh
        family.access[new_access] = time.time() + self.switches.access_lifetime_s
        self.by_refresh[new_refresh] = family
        self.by_access[new_access] = family
        body = {"access_token": new_access, "refresh_token": new_refresh,
                "expires_in": self.switches.access_lifetime_s, "scope": SCOPES, "token_type": "Bearer"}
        if family.ends_at and self.switches.announce_family_end:
            body["refresh_token_expires_in"] = max(0, int(family.ends_at - time.time()))
        return body

    def authorize(self, challenge: str, redirect_uri: str, state: str) -> str:
        """The person signed in: a single-use code for this PKCE challenge, as `<code>#<state>`."""
        code = f"fake-code-{secrets.token_urlsafe(18)}"
        with self.lock:
            self.codes[code] = {"challenge": challenge, "redirect_uri": redirect_uri, "used": False}
        return f"{code}#{state or secrets.token_urlsafe(12)}"

    def exchange(self, form: dict) -> tuple[int, dict, str, str]:
        """`grant_type: authorization_code`: (status, body, outcome, family id). A new family on success.
        A code from GET /oauth/authorize (the code-paste flow) is checked: single use, redirect_uri,
        PKCE. The browser stand-in's BROWSER_CODE (tests/fake_browser.py: the local-callback flow,
        whose sign-in page the fake never serves) is taken as it is."""
        code, verifier = str(form.get("code") or ""), str(form.get("code_verifier") or "")
        if code == BROWSER_CODE:
            status, body, _, family = self.sign_in(code)
            return status, body, "issued", family
        with self.lock:
            grant = self.codes.get(code)
            if grant is None:
                return 400, _error("invalid_grant", "unknown authorization code"), "unknown-code", ""
            if grant["used"]:
                return 400, _error("invalid_grant", "authorization code already used"), "code-reused", ""
            grant["used"] = True
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return 400, _error("invalid_grant", "redirect_uri does not match"), "redirect-mismatch", ""
        if not form.get("client_id"):
            return 400, _error("invalid_request", "client_id missing"), "no-client-id", ""
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if digest != grant["challenge"]:
            return 400, _error("invalid_grant", "code_verifier does not match"), "pkce-mismatch", ""
        status, body, _, family = self.sign_in(code)
        return 200, body, "issued", family

    def logins(self) -> list[dict]:
        """The authorization-code exchanges (the logins), as recorded."""
        with self.lock:
            return [r for r in self.records if r["path"] == TOKEN_PATH and r.get("grant_type") == "authorization_code"]

    def access_ok(self, token: str) -> tuple[bool, str, str]:
        """(valid, outcome, family id) for a bearer access token."""
        with self.lock:
            family = self.by_access.get(token)
            if family is None:
                return False, "unknown", ""
            if family.revoked:
                return False, "revoked", family.id
            if family.access[token] == 0.0:
                return False, "revoked-at-refresh", family.id
            if family.access[token] <= time.time():
                return False, "expired", family.id
            return True, "ok", family.id

    def record(self, entry: dict) -> None:
        entry = {"t": round(time.time(), 3), **entry}
        with self.lock:
            self.records.append(entry)
        if self.on_record:
            self.on_record(entry)

    def refreshes(self) -> list[dict]:
        """The refresh-token exchanges (a login's code exchange is not one)."""
        with self.lock:
            return [r for r in self.records if r["path"] == TOKEN_PATH and r["method"] == "POST"
                    and r.get("grant_type") != "authorization_code"]


def parse_authorize(url: str) -> tuple[str, str, str]:
    """(code_challenge, redirect_uri, state) of an authorize URL. Claude Code prints claude.ai's short
    link, `?<scope bits><43-character challenge>[&more]` with the code-paste redirect implied and no
    state; the full form names them as query parameters."""
    query = url.split("?", 1)[1] if "?" in url else ""
    params = urllib.parse.parse_qs(query)
    if "code_challenge" in params:
        return (params["code_challenge"][0], params.get("redirect_uri", [""])[0], params.get("state", [""])[0])
    head = query.split("&", 1)[0]
    return (head[-43:] if len(head) > 43 else "", MANUAL_REDIRECT_URI, "")


def _error(code: str, description: str) -> dict:
    return {"error": code, "error_description": description}


def _api_error(kind: str, message: str) -> dict:
    return {"type": "error", "error": {"type": kind, "message": message}}


PROFILE = {
    "account": {"uuid": "00000000-0000-4000-8000-000000000001", "email": "aifactory-bot@example.com",
                "email_address": "aifactory-bot@example.com", "display_name": "AIFactory bot",
                "full_name": "AIFactory bot", "has_claude_max": True, "has_claude_pro": False},
    "organization": {"uuid": "00000000-0000-4000-8000-000000000002", "name": "AIFactory e2e",
                     "organization_type": "claude_max", "rate_limit_tier": "default_claude_max_20x",
                     "billing_type": "stripe_subscription"},
}


def _sse(events: list[dict]) -> bytes:
    return "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events).encode()


def _wants_tool_turn(request: dict, tool_sleep_s: int) -> bool:
    """The first turn of a conversation (no tool_result sent back yet) when tool turns are on."""
    if tool_sleep_s <= 0 or not request.get("tools"):
        return False
    for message in request.get("messages") or []:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list) and any(isinstance(c, dict) and c.get("type") == "tool_result" for c in content):
            return False
    return True


def _tool_use_events(model: str, seconds: int) -> list[dict]:
    usage = {"input_tokens": 1, "output_tokens": 1}
    tool_input = json.dumps({"command": f"sleep {seconds}", "description": "wait (fake tool turn)"})
    return [
        {"type": "message_start", "message": {"id": "msg_fake_tool", "type": "message", "role": "assistant",
                                              "model": model, "content": [], "stop_reason": None,
                                              "stop_sequence": None, "usage": usage}},
        {"type": "content_block_start", "index": 0,
         "content_block": {"type": "tool_use", "id": f"toolu_fake_{secrets.token_hex(6)}", "name": "Bash", "input": {}}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": tool_input}},
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None},
         "usage": {"output_tokens": 1}},
        {"type": "message_stop"},
    ]


def _message_events(model: str) -> list[dict]:
    usage = {"input_tokens": 1, "output_tokens": 1}
    return [
        {"type": "message_start", "message": {"id": "msg_fake", "type": "message", "role": "assistant",
                                              "model": model, "content": [], "stop_reason": None,
                                              "stop_sequence": None, "usage": usage}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": REPLY_TEXT}},
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
         "usage": {"output_tokens": 1}},
        {"type": "message_stop"},
    ]


class _Handler(BaseHTTPRequestHandler):
    server_version = "fake-anthropic"
    protocol_version = "HTTP/1.1"
    authority: Authority  # set on the subclass made per server

    def log_message(self, fmt, *args):  # the record is the log; nothing on stderr per request
        pass

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, body: dict | bytes, content_type: str = "application/json") -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _entry(self, status: int, **extra) -> dict:
        host = (self.headers.get("Host") or "").split(":")[0]
        return {"method": self.command, "host": host, "path": self.path.split("?")[0], "status": status, **extra}

    def _bearer(self) -> str:
        auth = self.headers.get("Authorization") or ""
        return auth[7:].strip() if auth.lower().startswith("bearer ") else (self.headers.get("x-api-key") or "")

    def do_POST(self):  # noqa: N802 (http.server's naming)
        path = self.path.split("?")[0]
        raw = self._body()
        a = self.authority
        if self.command != "POST":   # PUT, PATCH, DELETE: nothing is faked for them
            a.record(self._entry(404))
            return self._send(404, _api_error("not_found_error", "not faked"))
        if path == TOKEN_PATH:
            try:
                form = json.loads(raw or b"{}")
            except ValueError:
                form = {}
            grant = form.get("grant_type", "")
            if grant == "authorization_code":
                status, body, outcome, family = a.exchange(form)
                token = ""
            elif grant == "refresh_token":
                token = str(form.get("refresh_token") or "")
                status, body, outcome, family = a.refresh(token)
            else:
                a.record(self._entry(400, grant_type=grant, outcome="unsupported_grant"))
                return self._send(400, _error("unsupported_grant_type", "only refresh_token and authorization_code are faked"))
            issued = a.fingerprint(body["refresh_token"]) if status == 200 else ""
            announced = {"refresh_token_expires_in": body["refresh_token_expires_in"]} \
                if "refresh_token_expires_in" in body else {}
            a.record(self._entry(status, grant_type=grant, refresh=a.fingerprint(token) if token else "", outcome=outcome,
                                 family=family, issued_refresh=issued, **announced))
            return self._send(status, body)
        if path == MESSAGES_PATH:
            try:
                request = json.loads(raw or b"{}")
            except ValueError:
                request = {}
            ok, outcome, family = a.access_ok(self._bearer())
            # `tools`: whether the request offered tools (an agent's task does; the broker's one-word
            # refresh request offers none), so tests can tell the two apart.
            a.record(self._entry(200 if ok else 401, access=a.fingerprint(self._bearer()), outcome=outcome,
                                 family=family, tools=bool(request.get("tools"))))
            if not ok:
                return self._send(401, _api_error("authentication_error", f"OAuth token {outcome} (fake)"))
            model = str(request.get("model") or "claude-fake")
            if _wants_tool_turn(request, a.switches.tool_sleep_s):
                a.record({"method": "TURN", "host": "", "path": MESSAGES_PATH, "status": 200, "outcome": "tool_use"})
                events = _tool_use_events(model, a.switches.tool_sleep_s)
            else:
                events = _message_events(model)
            if request.get("stream"):
                return self._send(200, _sse(events), "text/event-stream")
            message = {**events[0]["message"], "content": [{"type": "text", "text": REPLY_TEXT}],
                       "stop_reason": "end_turn"}
            return self._send(200, message)
        a.record(self._entry(404))
        self._send(404, _api_error("not_found_error", "not faked"))

    def do_GET(self):  # noqa: N802
        path = self.path.split("?")[0]
        a = self.authority
        if path in AUTHORIZE_PATHS:
            challenge, redirect_uri, state = parse_authorize(self.path)
            if not challenge:
                a.record(self._entry(400, outcome="no-challenge"))
                return self._send(400, _error("invalid_request", "no code_challenge"))
            pasted = a.authorize(challenge, redirect_uri, state)
            a.record(self._entry(200, outcome="authorized"))
            return self._send(200, pasted.encode(), "text/plain")
        if path == PROFILE_PATH:
            ok, outcome, family = a.access_ok(self._bearer())
            a.record(self._entry(200 if ok else 401, access=a.fingerprint(self._bearer()), outcome=outcome,
                                 family=family))
            if ok:
                return self._send(200, PROFILE)
            return self._send(401, _api_error("authentication_error", f"OAuth token {outcome} (fake)"))
        a.record(self._entry(404))
        self._send(404, _api_error("not_found_error", "not faked"))

    do_PUT = do_DELETE = do_PATCH = do_POST  # recorded as 404 by the same path


class FakeAnthropic:
    """The HTTPS server around an Authority; `start()` serves from a thread, `stop()` ends it."""

    def __init__(self, cert: str, key: str, host: str = "127.0.0.1", port: int = 443,
                 authority: Authority | None = None):
        self.authority = authority or Authority()
        handler = type("Handler", (_Handler,), {"authority": self.authority})
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.address = self.httpd.server_address
        self._thread: threading.Thread | None = None

    def start(self) -> "FakeAnthropic":
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--host", default="0.0.0.0")
    p.add_argument("--port", type=int, default=8443)
    p.add_argument("--enroll", help="JSON file: one .credentials.json login or a list of them")
    p.add_argument("--access-lifetime", type=int, default=3600)
    p.add_argument("--no-single-use", action="store_true")
    p.add_argument("--revoke-family-on-reuse", action="store_true")
    p.add_argument("--revoke-access-on-refresh", action="store_true")
    p.add_argument("--family-lifetime", type=int, default=0, help="seconds a login lives after enrollment (0: forever)")
    p.add_argument("--no-announce-family-end", action="store_true",
                   help="with --family-lifetime: end families without sending refresh_token_expires_in")
    p.add_argument("--tool-sleep", type=int, default=0, help="first turn of each task: a Bash `sleep N` tool use")
    p.add_argument("--record", help="append every request as one JSON line to this file")
    p.add_argument("--fingerprint-key", help="hex key of the token fingerprints (the tests compute the same)")
    args = p.parse_args(argv)
    authority = Authority(Switches(args.access_lifetime, not args.no_single_use, args.revoke_family_on_reuse,
                                   args.revoke_access_on_refresh, args.family_lifetime, args.tool_sleep,
                                   not args.no_announce_family_end),
                          bytes.fromhex(args.fingerprint_key) if args.fingerprint_key else None)
    if args.enroll:
        with open(args.enroll, encoding="utf-8") as f:
            logins = json.load(f)
        for login in logins if isinstance(logins, list) else [logins]:
            authority.enroll(login)
    if args.record:
        def append(entry: dict, path: str = args.record) -> None:
            with open(path, "a", encoding="utf-8") as out:
                out.write(json.dumps(entry) + "\n")
        authority.on_record = append
    server = FakeAnthropic(args.cert, args.key, args.host, args.port, authority)
    print(f"fake-anthropic: serving {', '.join(HOSTS)} on {args.host}:{server.address[1]} "
          f"(access tokens {args.access_lifetime}s, single use {not args.no_single_use}, "
          f"family revocation {args.revoke_family_on_reuse})", flush=True)
    try:
        server.httpd.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
