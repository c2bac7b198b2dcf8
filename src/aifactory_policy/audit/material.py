"""Find Claude credential material in bytes and fingerprint it with a per-run key.

Facts only: which tokens a blob holds, as keyed fingerprints (HMAC-SHA256 with a random key made
once per run, so a fingerprint means nothing outside this run and cannot be brute-forced offline),
plus the non-secret fields beside them: the access token's `expiresAt`, the login's end
`refreshTokenExpiresAt` when Claude Code stored one, and the `scopes`. Never the content, never an unkeyed hash.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass, field
from typing import Optional

from .. import credential_data as D

# The token pattern of policies/claude_code.json (credential_data.py), on bytes; the family word
# is read from the match.
TOKEN = re.compile(D.TOKEN_PATTERN.encode())
_WORD = re.compile(rb"[a-z]+")
FAMILIES = {b"oat": "access", b"ort": "refresh", b"api": "api_key", b"admin": "api_key"}


@dataclass
class Material:
    refresh: set[str] = field(default_factory=set)   # keyed fingerprints of refresh tokens
    access: set[str] = field(default_factory=set)    # keyed fingerprints of access tokens
    api_keys: set[str] = field(default_factory=set)
    expires_at_ms: list[int] = field(default_factory=list)
    refresh_expires_at_ms: list[int] = field(default_factory=list)   # claudeAiOauth.refreshTokenExpiresAt
    scopes: list[tuple] = field(default_factory=list)                 # one entry per claudeAiOauth object
    credentials_json: bool = False                   # a claudeAiOauth object (by structure)
    oauth_account: bool = False                      # a .claude.json with oauthAccount

    @property
    def found(self) -> bool:
        return bool(self.refresh or self.access or self.api_keys or self.credentials_json)

    def merge(self, other: "Material") -> None:
        self.refresh |= other.refresh
        self.access |= other.access
        self.api_keys |= other.api_keys
        self.expires_at_ms += other.expires_at_ms
        self.refresh_expires_at_ms += other.refresh_expires_at_ms
        self.scopes += other.scopes
        self.credentials_json |= other.credentials_json
        self.oauth_account |= other.oauth_account

    def facts(self) -> dict:
        return {"refresh": sorted(self.refresh), "access": sorted(self.access), "api_keys": sorted(self.api_keys),
                "expires_at_ms": sorted(set(self.expires_at_ms)),
                "refresh_expires_at_ms": sorted(set(self.refresh_expires_at_ms)),
                "scopes": [list(s) for s in sorted(set(self.scopes))], "credentials_json": self.credentials_json}


class Fingerprinter:
    """HMAC-SHA256 under a key that exists only in this process (secrets.token_bytes)."""

    def __init__(self, key: Optional[bytes] = None):
        self._key = key or secrets.token_bytes(32)

    def __call__(self, value: bytes) -> str:
        return hmac.new(self._key, value, hashlib.sha256).hexdigest()[:24]


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _walk_json(obj, m: Material, fp: Fingerprinter) -> None:
    if isinstance(obj, dict):
        oauth = obj.get(D.CREDENTIALS_KEY)
        if isinstance(oauth, dict) and any(oauth.get(k) for k in D.CREDENTIALS_TOKEN_KEYS):
            m.credentials_json = True
            access, refresh = D.CREDENTIALS_TOKEN_KEYS
            for key, bucket in ((refresh, m.refresh), (access, m.access)):
                if isinstance(oauth.get(key), str) and oauth[key]:
                    bucket.add(fp(oauth[key].encode()))
            if _number(oauth.get("expiresAt")):
                m.expires_at_ms.append(int(oauth["expiresAt"]))
            if _number(oauth.get("refreshTokenExpiresAt")) and oauth["refreshTokenExpiresAt"] > 0:
                m.refresh_expires_at_ms.append(int(oauth["refreshTokenExpiresAt"]))
            scopes = oauth.get("scopes")
            if isinstance(scopes, list) and all(isinstance(x, str) for x in scopes):
                m.scopes.append(tuple(scopes))
        if isinstance(obj.get("oauthAccount"), dict):
            m.oauth_account = True
        for v in obj.values():
            _walk_json(v, m, fp)
    elif isinstance(obj, list):
        for v in obj:
            _walk_json(v, m, fp)


def scan_bytes(data: bytes, fp: Fingerprinter, depth: int = 0) -> Material:
    """Tokens by prefix, credentials JSON by structure, and base64 of either (one level)."""
    m = Material()
    for match in TOKEN.finditer(data):
        word = _WORD.match(match.group(0), len(D.TOKEN_MARKER)).group(0)
        family = FAMILIES.get(word, "api_key")
        {"access": m.access, "refresh": m.refresh, "api_key": m.api_keys}[family].add(fp(match.group(0)))
    stripped = data.strip()
    if stripped[:1] in (b"{", b"["):
        try:
            _walk_json(json.loads(stripped), m, fp)
        except (ValueError, UnicodeDecodeError, RecursionError):
            pass
    if depth == 0 and not m.found and 16 <= len(stripped) and re.fullmatch(rb"[A-Za-z0-9+/=_\-\s]+", stripped):
        try:
            decoded = base64.b64decode(re.sub(rb"\s", b"", stripped), validate=False)
        except (binascii.Error, ValueError):
            decoded = b""
        if decoded:
            m.merge(scan_bytes(decoded, fp, depth + 1))
    return m


def secret_material(secret: dict, fp: Fingerprinter) -> Material:
    """Material in a Secret's data (base64, as the API returns it) and stringData."""
    m = Material()
    for key, value in (secret.get("data") or {}).items():
        if not isinstance(value, str):
            continue
        try:
            raw = base64.b64decode(value)
        except (binascii.Error, ValueError):
            continue
        m.merge(scan_bytes(raw, fp))
    for value in (secret.get("stringData") or {}).values():
        if isinstance(value, str):
            m.merge(scan_bytes(value.encode(), fp))
    return m
