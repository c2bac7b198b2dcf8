"""Progress lines on stderr, and durations as people read them. Everything passes through redact(): a token can never reach the terminal.
Results go to stdout as the command's Report (commands/credentials.py, written by cli.py)."""
from __future__ import annotations

import sys

from ..redact import redact


def say(message: str) -> None:
    sys.stderr.write(redact(f"[credentials] {message}\n"))
    sys.stderr.flush()



def age(seconds: float) -> str:
    """A duration as "3d 4h", "4h 12m" or "12m" (status lines, the broker's Lease)."""
    s = int(abs(seconds))
    d, h, m = s // 86400, s % 86400 // 3600, s % 3600 // 60
    return f"{d}d {h}h" if d else f"{h}h {m}m" if h else f"{m}m"
