"""Fake credentials for tests. Never a real token: every token body starts with FAKE."""
from __future__ import annotations

import base64
import json
import time

FAKE_ACCESS = "sk-ant-oat01-FAKEaccessTOKENforTESTSonly0123456789abcdefABCDEF_-xyz"
FAKE_REFRESH = "sk-ant-ort01-FAKErefreshTOKENforTESTSonly0123456789abcdefABCDEF_-xyz"
# Strings that must never appear in any output once redaction has run.
SECRET_BODIES = ("FAKEaccessTOKEN", "FAKErefreshTOKEN")


def fake_credentials(expires_in_s: int = 3600, subscription: str = "max") -> dict:
    """The shape Claude Code accepts (../shared/facts/claude-code-offline.md), with fake tokens."""
    return {"claudeAiOauth": {
        "accessToken": FAKE_ACCESS,
        "refreshToken": FAKE_REFRESH,
        "expiresAt": int((time.time() + expires_in_s) * 1000),
        "scopes": ["user:inference", "user:profile", "user:sessions:claude_code"],
        "subscriptionType": subscription,
    }}


def fake_credentials_json(**kw) -> str:
    return json.dumps(fake_credentials(**kw))


def fake_credentials_b64(**kw) -> str:
    return base64.b64encode(fake_credentials_json(**kw).encode()).decode()


def leaked(text: str) -> list[str]:
    """Secret fragments (plain or base64-encoded credentials JSON) present in `text`."""
    found = [s for s in SECRET_BODIES if s in text]
    if fake_credentials_b64()[:40] in text:
        found.append("base64 credentials")
    return found
