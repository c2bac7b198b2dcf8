"""Progress lines on stderr. Everything passes through redact(): a token can never reach the terminal.
Results go to stdout as the command's Report (commands/credentials.py, written by cli.py)."""
from __future__ import annotations

import sys

from ..redact import redact


def say(message: str) -> None:
    sys.stderr.write(redact(f"[credentials] {message}\n"))
    sys.stderr.flush()

