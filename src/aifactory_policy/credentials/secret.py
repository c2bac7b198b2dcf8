"""The credentials Secret's shape and the labels/annotations `status` and the audit read.

labels:
  aifactory.dev/install: <release>            which install the login was made for
  aifactory.dev/credentials: claude-code       selects every managed credentials Secret
  app.kubernetes.io/managed-by: aifactory-policy
annotations:
  aifactory.dev/owner: system:serviceaccount:<ns>:<sa>     the owning service account (owner.py)
  aifactory.dev/created-at: RFC3339            when this token family was made (login / create-secret)
  aifactory.dev/rotated-at: RFC3339            last replacement: `credentials rotate`, or the
                                               write-back sidecar storing a refreshed pair
  aifactory.dev/fingerprint: hmac-sha256:<hex> keyed fingerprint of the refresh token (fingerprint.py)
  aifactory.dev/expires-at: RFC3339            access-token expiry at write time (not secret)
  aifactory.dev/scopes: space-separated scopes
  aifactory.dev/refresh-token-expires-at: RFC3339  the login's end, when Claude Code stored one
                                               (claudeAiOauth.refreshTokenExpiresAt; deadline.py);
                                               the write-back sidecar and the broker keep it current
  aifactory.dev/login-state: refresh-refused    written by the write-back sidecar when Claude Code's
  aifactory.dev/login-state-at: RFC3339        refresh was refused (the login is dead); removed by
                                               its next write-back of a new login
  aifactory.dev/spent-refresh-tokens: ids      refresh tokens never to present again (broker.spent_id):
                                               the broker's exchanged ones, and the family a
                                               rotate/renew replaced
"""
from __future__ import annotations

import base64
import re
import time
from typing import Optional

from .deadline import ANNOTATION as LOGIN_ENDS_AT
from .validate import Login

INSTALL = "aifactory.dev/install"
KIND_LABEL = "aifactory.dev/credentials"
KIND_VALUE = "claude-code"
MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGER = "aifactory-policy"
OWNER = "aifactory.dev/owner"
CREATED_AT = "aifactory.dev/created-at"
ROTATED_AT = "aifactory.dev/rotated-at"
ROTATED_BY = "aifactory.dev/rotated-by"
FINGERPRINT = "aifactory.dev/fingerprint"
EXPIRES_AT = "aifactory.dev/expires-at"
SCOPES = "aifactory.dev/scopes"
LOGIN_STATE = "aifactory.dev/login-state"           # the sidecar's copy: files/credentials_writeback.py
LOGIN_STATE_AT = "aifactory.dev/login-state-at"
REFRESH_REFUSED = "refresh-refused"
SELECTOR = f"{KIND_LABEL}={KIND_VALUE}"
SPENT = "aifactory.dev/spent-refresh-tokens"         # broker.SPENT


def rfc3339(ts: Optional[float] = None) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if ts is None else ts))


# Fractional seconds and offsets too: a Lease's renewTime is RFC 3339 with microseconds.
_RFC3339 = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)", re.IGNORECASE)


def parse_rfc3339(text: Optional[str]) -> Optional[float]:
    m = _RFC3339.fullmatch(text.strip()) if isinstance(text, str) else None
    if not m:
        return None
    try:
        import calendar
        seconds = float(calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")))
    except ValueError:
        return None
    zone = m.group(3).upper()
    offset = 0 if zone == "Z" else (1 if zone[0] == "+" else -1) * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    return seconds + float(m.group(2) or 0) - offset


def manifest(name: str, namespace: str, key: str, login: Login, *, install: str, owner: str, fp: str,
             created_at: str, rotated_at: Optional[str] = None, spent: str = "",
             resource_version: str = "") -> dict:
    """`spent`: the SPENT annotation to write; `resource_version`: the apply's precondition (409 if the
    Secret changed since it was read)."""
    annotations = {OWNER: owner, CREATED_AT: created_at, FINGERPRINT: fp,
                   EXPIRES_AT: rfc3339(login.expires_at), SCOPES: " ".join(login.scopes)}
    if spent:
        annotations[SPENT] = spent
    if login.end.known:
        annotations[LOGIN_ENDS_AT] = rfc3339(login.end.at)
    if rotated_at:
        annotations[ROTATED_AT] = rotated_at
        annotations[ROTATED_BY] = MANAGER
    meta = {"name": name, "namespace": namespace,
            "labels": {INSTALL: install, KIND_LABEL: KIND_VALUE, MANAGED_BY: MANAGER},
            "annotations": annotations}
    if resource_version:
        meta["resourceVersion"] = resource_version
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": meta,
            "data": {key: base64.b64encode(login.raw).decode("ascii")}}


def data_value(secret: Optional[dict], key: str) -> Optional[bytes]:
    if not secret:
        return None
    value = (secret.get("data") or {}).get(key)
    if value is None:
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (ValueError, TypeError):
        return None


def labels(secret: Optional[dict]) -> dict:
    return ((secret or {}).get("metadata") or {}).get("labels") or {}


def annotations(secret: Optional[dict]) -> dict:
    return ((secret or {}).get("metadata") or {}).get("annotations") or {}
