"""Is this text a Claude Code login that keeps Remote Control working in a pod?

The rules follow what Claude Code itself was measured to accept (docs/facts.md, "What Claude Code
does with it"; Claude Code 2.1.197 and 2.1.330, offline):
- the file shape `{"claudeAiOauth": {accessToken, refreshToken, expiresAt, scopes, ...}}`;
- Remote Control's "full-scope" check is decided by `scopes`: `user:inference` + `user:profile`
  passes; without `user:profile` (e.g. a `claude setup-token` login, inference-only) Claude Code
  says "Remote Control requires a full-scope login token"; without `user:inference` it says
  "Remote Control requires a claude.ai subscription" (scopes.py, which also warns, without
  refusing, about a login that lacks `user:sessions:claude_code`: reported);
- a refresh token is needed for the pod to outlive the first access-token expiry (hours).
Nothing here ever puts a token in a message.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Optional

from ..findings import Refusal
from . import deadline
from .deadline import LoginEnd, of as login_end_of
from .scopes import check as scopes_check

MAX_BYTES = 1 << 20  # a Secret holds at most 1 MiB
LOGIN_FIX = "make a login for this install with `aifactory-policy credentials login` (runs `claude auth login`)"


@dataclass(frozen=True)
class Login:
    """A validated login. `raw` is the exact bytes to store; never print it."""
    raw: bytes = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at_ms: int = 0
    scopes: tuple = ()
    subscription: Optional[str] = None
    warnings: tuple = ()
    end: LoginEnd = LoginEnd(None)    # when the token family ends (deadline.py)

    @property
    def expires_at(self) -> float:
        return self.expires_at_ms / 1000.0


def _refuse(source: str, what: str, fix: str = LOGIN_FIX) -> Refusal:
    return Refusal(f"{source}: {what}. Fix: {fix}.")


def validate(raw: bytes, source: str, now: Optional[float] = None) -> Login:
    """Return the Login, or raise Refusal naming `source`, the key at fault and the fix."""
    now = time.time() if now is None else now
    if not raw or not raw.strip():
        raise _refuse(source, "is empty")
    if len(raw) > MAX_BYTES:
        raise _refuse(source, f"is {len(raw)} bytes, more than a Secret holds ({MAX_BYTES})")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _refuse(source, "is not UTF-8 text") from None
    stripped = text.strip()
    if stripped.startswith("sk-ant-"):
        if stripped.startswith("sk-ant-api"):
            raise _refuse(source, "holds an Anthropic API key, not a Claude login; Remote Control "
                                  "requires claude.ai subscription auth")
        raise _refuse(source, "holds a bare token (as `claude setup-token` prints), not a credentials "
                              "file: such tokens are inference-only and have no refresh token; Claude Code "
                              "refuses them for Remote Control (\"requires a full-scope login token\")")
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise _refuse(source, f"is not JSON (line {getattr(exc, 'lineno', '?')}); expected the "
                              "`.credentials.json` that `claude auth login` writes") from None
    oauth = doc.get("claudeAiOauth") if isinstance(doc, dict) else None
    if not isinstance(oauth, dict):
        raise _refuse(source, "has no `claudeAiOauth` object; expected the `.credentials.json` that "
                              "`claude auth login` writes")
    access, refresh = oauth.get("accessToken"), oauth.get("refreshToken")
    if not isinstance(access, str) or not access.strip():
        raise _refuse(source, "`claudeAiOauth.accessToken` is missing or empty")
    if access.startswith("sk-ant-api"):
        raise _refuse(source, "`claudeAiOauth.accessToken` is an Anthropic API key, not a login")
    if not isinstance(refresh, str) or not refresh.strip():
        raise _refuse(source, "`claudeAiOauth.refreshToken` is missing or empty: without it the pod "
                              "stops working at the first access-token expiry (hours)")
    if refresh == access:
        raise _refuse(source, "`claudeAiOauth.refreshToken` equals the access token")
    expires = oauth.get("expiresAt")
    if isinstance(expires, bool) or not isinstance(expires, int) or expires <= 0:
        raise _refuse(source, "`claudeAiOauth.expiresAt` must be a positive integer (milliseconds "
                              "since the epoch)")
    scopes = oauth.get("scopes")
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        raise _refuse(source, "`claudeAiOauth.scopes` must be a list of strings")
    checked = scopes_check(scopes)
    if checked.refusal:
        raise _refuse(source, checked.refusal)
    warnings = list(checked.warnings)
    end = login_end_of(oauth)
    if end.known and end.at <= now:
        raise _refuse(source, f"the login ended at {deadline.rfc3339(end.at)} (`claudeAiOauth.refreshTokenExpiresAt`): "
                              "the token endpoint refuses its refresh (measured with Claude Code 2.1.330)")
    judged = deadline.judge(end, now)
    if judged.warning:
        warnings.append(judged.warning)
    if expires / 1000.0 <= now:
        warnings.append("the access token has already expired; Claude Code refreshes it with the refresh "
                        "token on first use (fine if this login is not used anywhere else)")
    sub = oauth.get("subscriptionType")
    return Login(raw=raw, refresh_token=refresh, expires_at_ms=expires, scopes=tuple(scopes),
                 subscription=sub if isinstance(sub, str) else None, warnings=tuple(warnings),
                 end=end)


def inspect(raw: Optional[bytes]) -> tuple[Optional[Login], str]:
    """For status: (Login, "") or (None, the reason) without raising."""
    if raw is None:
        return None, "the key is missing"
    try:
        return validate(raw, "Secret", now=0), ""
    except Refusal as exc:
        return None, str(exc).split(": ", 1)[-1].split(". Fix:")[0]
