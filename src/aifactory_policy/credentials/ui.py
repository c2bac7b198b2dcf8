"""Progress lines on stderr. Everything passes through redact(): a token can never reach the terminal."""
from __future__ import annotations

import sys

from ..redact import redact


def say(message: str) -> None:
    sys.stderr.write(redact(f"[credentials] {message}\n"))
    sys.stderr.flush()


def out(text: str) -> None:
    sys.stdout.write(redact(text if text.endswith("\n") else text + "\n"))
    sys.stdout.flush()
