"""Every fake credential the tests use, in one place. Never a real token: every token body says FAKE.

- FAKE_ACCESS / FAKE_REFRESH and fake_credentials(): the login most offline tests store and scan;
  SECRET_BODIES and leaked() find any of it (plain or base64) in an output.
- creds(): that login with one field changed (scopes, refresh token, expiry, any other key);
  other_refresh(tag): a refresh token of another token family.
- tagged_login(marker, tag, ...): a login whose tokens say where they come from
  (sk-ant-oat01-FAKE-<marker>-access-<tag>): the real Claude Code runs and the cluster tests tell
  token families apart by them.
The shape is the one `claude auth login` writes (docs/facts.md, "What Claude Code does with it").
"""
from __future__ import annotations

import base64
import json
import time
from typing import Optional, Union

FAKE_ACCESS = "sk-ant-oat01-FAKEaccessTOKENforTESTSonly0123456789abcdefABCDEF_-xyz"
FAKE_REFRESH = "sk-ant-ort01-FAKErefreshTOKENforTESTSonly0123456789abcdefABCDEF_-xyz"
# Strings that must never appear in any output once redaction has run.
SECRET_BODIES = ("FAKEaccessTOKEN", "FAKErefreshTOKEN")
# A full-scope login: Remote Control accepts it (docs/facts.md).
SCOPES = ["user:inference", "user:profile", "user:sessions:claude_code"]


def fake_credentials(expires_in_s: int = 3600, subscription: str = "max") -> dict:
    """The shape Claude Code accepts (docs/facts.md), with fake tokens."""
    return {"claudeAiOauth": {
        "accessToken": FAKE_ACCESS,
        "refreshToken": FAKE_REFRESH,
        "expiresAt": int((time.time() + expires_in_s) * 1000),
        "scopes": list(SCOPES),
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


def creds(scopes=None, refresh: Optional[str] = FAKE_REFRESH, expires_in_s: int = 3600, **extra) -> dict:
    """fake_credentials() with `scopes`, the refresh token (None: no key) or other keys replaced."""
    doc = fake_credentials(expires_in_s=expires_in_s)
    oauth = doc["claudeAiOauth"]
    if scopes is not None:
        oauth["scopes"] = scopes
    if refresh is None:
        oauth.pop("refreshToken")
    else:
        oauth["refreshToken"] = refresh
    oauth.update(extra)
    return doc


def other_refresh(tag: str) -> str:
    return f"sk-ant-ort01-FAKErefreshTOKEN{tag}only0123456789abcdef"


def tagged_login(marker: str, tag: str, expires_at_ms: int, *, refresh: Union[bool, str] = True,
                 scopes=SCOPES) -> dict:
    """A login with tokens sk-ant-oat01-FAKE-<marker>-access-<tag> and ...-refresh-<tag>; `refresh`
    False leaves the refresh token out, a string replaces it ("" for an empty one)."""
    oauth = {"accessToken": f"sk-ant-oat01-FAKE-{marker}-access-{tag}", "expiresAt": expires_at_ms,
             "scopes": list(scopes), "subscriptionType": "max"}
    if refresh is True:
        oauth["refreshToken"] = f"sk-ant-ort01-FAKE-{marker}-refresh-{tag}"
    elif refresh is not False:
        oauth["refreshToken"] = refresh
    return {"claudeAiOauth": oauth}
