"""A login's end: the fixed time its refresh-token family stops working, as Claude Code stores it.

Measured with the real Claude Code 2.1.330 (tests/test_login_end_real_claude.py, docs/facts.md
"A login's end"): `claude auth login` stores `claudeAiOauth.refreshTokenExpiresAt` (ms since the
epoch: the token endpoint's `refresh_token_expires_in`, else Claude Code's own 30 days); a
refresh keeps the earlier of the stored and the announced end and never adds one to a login that
has none; past the end the refresh is refused and every task fails once the access token expires.

So the stored value is read, never estimated: a login without it (an older Claude Code, a file
made by hand) has an "unknown" end. Status, create-secret and the audit's facts use this module;
the chart's scripts (probe, write-back sidecar, broker) read the same field with the same rules.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

FIELD = "refreshTokenExpiresAt"
SOURCE = f"claudeAiOauth.{FIELD}, stored by Claude Code"
# Written beside the login (not secret) by create-secret, the write-back sidecar and the broker.
ANNOTATION = "aifactory.dev/refresh-token-expires-at"
DEFAULT_WARN_DAYS = 7   # the chart's loginEndsWithinDays; Claude Code itself warns from 10 days
DAY_S = 86400
NO_FIELD = (f"the login holds no claudeAiOauth.{FIELD} (made by a Claude Code older than 2.1.330 or by hand; "
            "refreshing never adds one, measured)")
RENEW = ("log in again for this install (`aifactory-policy credentials login`, or `credentials rotate "
         "--from-login`): refreshing does not move the end")


@dataclass(frozen=True)
class LoginEnd:
    at: Optional[float]        # epoch seconds; None: unknown
    unknown_because: str = ""

    @property
    def known(self) -> bool:
        return self.at is not None


def of(oauth: Optional[dict]) -> LoginEnd:
    """The end stored in a `claudeAiOauth` object (any dict; missing or malformed: unknown)."""
    value = (oauth or {}).get(FIELD)
    if value is None:
        return LoginEnd(None, NO_FIELD)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        return LoginEnd(None, f"claudeAiOauth.{FIELD} is not a positive number of milliseconds")
    return LoginEnd(value / 1000.0)


def until(seconds: float) -> str:
    """"in 5 days" / "in 11 hours" / "in 40 min" (rounded down: never later than it is)."""
    s = max(0, int(seconds))
    if s >= DAY_S:
        n = s // DAY_S
        return f"in {n} day{'s' if n != 1 else ''}"
    if s >= 3600:
        n = s // 3600
        return f"in {n} hour{'s' if n != 1 else ''}"
    return f"in {s // 60} min"


def ago(seconds: float) -> str:
    return until(seconds).replace("in ", "", 1) + " ago"


def rfc3339(ts: float) -> str:
    import time
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def text(end: LoginEnd, now: float) -> str:
    """One line for people: when, how far, and from where; or why it is unknown."""
    if not end.known:
        return f"unknown ({end.unknown_because})"
    left = end.at - now
    when = until(left) if left > 0 else f"ENDED {ago(-left)}"
    return f"{rfc3339(end.at)} ({when}; {SOURCE})"


@dataclass(frozen=True)
class Judged:
    state: str                  # "ok" | "ends soon" | "ended" | "unknown"
    warning: Optional[str] = None
    problem: Optional[str] = None


def judge(end: LoginEnd, now: float, warn_days: float = DEFAULT_WARN_DAYS) -> Judged:
    """A warning within `warn_days` of the end, a problem past it; nothing said of an unknown end."""
    if not end.known:
        return Judged("unknown")
    left = end.at - now
    if left <= 0:
        return Judged("ended", problem=(f"the login ended at {rfc3339(end.at)} ({SOURCE}): the token endpoint refuses "
                                        "its refresh, and every Claude Code task fails once the access token expires "
                                        f"(measured); {RENEW}"))
    if left <= warn_days * DAY_S:
        return Judged("ends soon", warning=(f"the login ends at {rfc3339(end.at)} ({until(left)}; {SOURCE}), within "
                                            f"the {warn_days:g}-day warning: {RENEW} before then"))
    return Judged("ok")
