"""Credential redaction applied to every byte the tool emits (stdout, stderr, reports, errors).

Two shapes are recognised:
- plain tokens: ``sk-ant-oat01-...`` keeps its family prefix, ``sk-ant-oat01-…[REDACTED]``;
- base64 blobs that decode to text containing ``sk-ant-`` or ``claudeAiOauth`` (for example a
  Kubernetes Secret's ``data`` field), replaced whole with ``[REDACTED base64 credential]``.
"""
from __future__ import annotations

import base64
import binascii
import io
import re
from typing import Any

_TOKEN = re.compile(r"sk-ant-[A-Za-z0-9_\-]*")
_FAMILY = re.compile(r"sk-ant-(?:[a-z]{2,5}\d{0,3}-)?")
# Candidate base64 runs (standard and URL-safe alphabets); short runs cannot hold a token.
_B64 = re.compile(r"[A-Za-z0-9+/_\-]{16,}={0,2}")
_MARKERS = (b"sk-ant-", b"claudeAiOauth")
REDACTED = "…[REDACTED]"
REDACTED_B64 = "[REDACTED base64 credential]"


def _encoded_fragments(marker: bytes, min_len: int = 6) -> list[str]:
    """The stable base64 text of `marker` at each of the three byte alignments (those of at least
    `min_len` characters)."""
    out = []
    for pad in range(3):
        enc = base64.b64encode(b"\0" * pad + marker).decode()
        # drop characters influenced by the padding prefix and by the unknown next bytes
        start = {0: 0, 1: 4, 2: 4}[pad]
        body = enc[start:].rstrip("=")
        body = body[: (len(body) // 4) * 4] if pad == 0 else body[:-2]
        if len(body) >= min_len:
            out.append(body)
    return out


def _both_alphabets(fragments: list[str]) -> list[str]:
    return fragments + [f.replace("+", "-").replace("/", "_") for f in fragments]


# A long enough fragment is proof; a short one (every alignment has one) is only a hint, so a blob
# without any hint cannot decode to a marker and is not decoded at all (most runs: names, digests).
_FRAGMENTS = _both_alphabets([frag for m in _MARKERS for frag in _encoded_fragments(m)])
_HINTS = _both_alphabets([frag for m in _MARKERS for frag in _encoded_fragments(m, min_len=4)])


def _decodes_to_credential(blob: str) -> bool:
    if any(frag in blob for frag in _FRAGMENTS):
        return True
    if not any(hint in blob for hint in _HINTS):
        return False
    core = blob.rstrip("=")
    for alt in (None, b"-_"):
        for cut in range(4):  # the run may start mid-quantum
            part = core[cut:]
            part = part[: len(part) - (len(part) % 4)] if len(part) % 4 == 1 else part
            try:
                raw = base64.b64decode(part + "=" * (-len(part) % 4), altchars=alt, validate=False)
            except (binascii.Error, ValueError):
                continue
            if any(m in raw for m in _MARKERS):
                return True
    return False


def _redact_token(m: re.Match) -> str:
    token = m.group(0)
    family = _FAMILY.match(token).group(0)
    if token == family:  # a bare prefix (docs, or an already redacted token): nothing secret
        return token
    return family + REDACTED


def redact(text: Any) -> str:
    """Return `text` (any object, via str) with every credential replaced."""
    if not isinstance(text, str):
        text = str(text)
    if "sk-ant-" in text:
        text = _TOKEN.sub(_redact_token, text)
    return _B64.sub(lambda m: REDACTED_B64 if _decodes_to_credential(m.group(0)) else m.group(0), text)


def contains_credential(text: str) -> bool:
    return redact(text) != text


class RedactingWriter(io.TextIOBase):
    """A text stream that redacts before writing to the wrapped stream (sys.stdout/sys.stderr)."""

    def __init__(self, inner):
        self._inner = inner

    def write(self, s: str) -> int:
        self._inner.write(redact(s))
        return len(s)

    def flush(self) -> None:
        self._inner.flush()

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return self._inner.isatty()

    @property
    def encoding(self):  # argparse and print consult it
        return getattr(self._inner, "encoding", "utf-8")
