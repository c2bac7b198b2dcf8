"""Keyed fingerprints of a login: HMAC-SHA256 of the refresh token, never an unkeyed hash.

The key lives in the Secret `aifactory-fingerprint-key` (key `key`) of the install's namespace,
created with 32 random bytes on first use, or comes from --fingerprint-key-file. Without the key a
fingerprint tells nothing about the token; with it, two Secrets holding the same login match.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path
from typing import Optional

from ..findings import EvaluationError

KEY_SECRET = "aifactory-fingerprint-key"
KEY_KEY = "key"
PREFIX = "hmac-sha256:"
MIN_KEY_BYTES = 16


def fingerprint(key: bytes, refresh_token: str) -> str:
    return PREFIX + hmac.new(key, refresh_token.encode("utf-8"), hashlib.sha256).hexdigest()


def short(fp: Optional[str]) -> str:
    """The form progress lines print: enough to compare by eye."""
    if not fp:
        return "none"
    return fp[len(PREFIX):][:12] if fp.startswith(PREFIX) else fp[:12]


def same(a: Optional[str], b: Optional[str]) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(a, b)


def new_key() -> bytes:
    return secrets.token_bytes(32)


def key_from_file(path: str) -> bytes:
    try:
        data = Path(path).read_bytes().strip()
    except OSError as exc:
        raise EvaluationError(f"--fingerprint-key-file {path}: cannot read ({exc.strerror}); give a file "
                              f"with at least {MIN_KEY_BYTES} random bytes (e.g. `head -c 32 /dev/urandom > key`)") from None
    check_key(data, f"--fingerprint-key-file {path}")
    return data


def check_key(data: bytes, where: str) -> None:
    if len(data) < MIN_KEY_BYTES:
        raise EvaluationError(f"{where}: the fingerprint key has {len(data)} bytes, fewer than {MIN_KEY_BYTES}; "
                              f"use 32 random bytes (delete Secret {KEY_SECRET} to have one generated)")
