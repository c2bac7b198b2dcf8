"""A login's OAuth scopes against what Remote Control needs: one check for every command.

Measured with the real Claude Code (2.1.197, 2.1.330, offline; tests/test_credentials_real_claude.py):
its local "full-scope" check needs `user:inference` (else "Remote Control requires a claude.ai
subscription") and `user:profile` (else "requires a full-scope login token"): refusals.
Reported, not measurable offline (anthropics/claude-code #92529, #33105): some logins lack
`user:sessions:claude_code`, pass that local check, and Remote Control then fails at the server: a
warning, since the CLI itself accepts such a login.

`check(scopes)` is what create-secret, login, rotate (through validate.py), status, renew and the
audit's messages use. Scopes are not secret: the Secret's aifactory.dev/scopes annotation holds them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional

INFERENCE = "user:inference"
PROFILE = "user:profile"
SESSIONS = "user:sessions:claude_code"
REPORTED_ISSUES = "anthropics/claude-code #92529, #33105"


@dataclass(frozen=True)
class ScopeCheck:
    refusal: Optional[str]   # why Claude Code refuses Remote Control with these scopes, or None
    warnings: tuple          # what is reported to fail later, the login still accepted

    @property
    def ok(self) -> bool:
        return self.refusal is None and not self.warnings


def sessions_warning(scopes: Iterable[str]) -> Optional[str]:
    """The warning for a login without user:sessions:claude_code, or None."""
    scopes = list(scopes)
    if SESSIONS in scopes:
        return None
    return (f"`claudeAiOauth.scopes` {scopes} lacks `{SESSIONS}`: Claude Code accepts the login locally, but "
            f"Remote Control is reported to fail with such logins ({REPORTED_ISSUES}, not measured here). "
            "Fix: log in again (`aifactory-policy credentials login`) and check the new login's scopes")


def check(scopes: Iterable[str]) -> ScopeCheck:
    """Refusal (Claude Code's own local check, measured) and warnings (reported) for `scopes`."""
    scopes = list(scopes)
    if INFERENCE not in scopes:
        return ScopeCheck(f"`claudeAiOauth.scopes` {scopes} lacks `{INFERENCE}`: Claude Code refuses Remote "
                          "Control with \"Remote Control requires a claude.ai subscription\"", ())
    if PROFILE not in scopes:
        return ScopeCheck(f"`claudeAiOauth.scopes` {scopes} is not a full-scope login (no `{PROFILE}`; an "
                          "inference-only or `claude setup-token` login): Claude Code refuses it with \"Remote "
                          "Control requires a full-scope login token\"", ())
    warning = sessions_warning(scopes)
    return ScopeCheck(None, (warning,) if warning else ())
