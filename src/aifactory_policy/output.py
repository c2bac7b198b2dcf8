"""Every byte the tool writes goes through here: redacted, and files replaced atomically."""
from __future__ import annotations

import os
import sys
import tempfile
from typing import Optional

from .findings import EvaluationError
from .redact import redact


def display(text: str) -> str:
    """A file name's undecodable bytes (Python's surrogate escapes) as \\xNN, so that every format,
    stdout and --output can hold it: caf\\xe9.yaml for the Latin-1 name b'caf\\xe9.yaml'."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def displayable(value):
    """`value` (JSON-like data) with every string passed through display()."""
    if isinstance(value, str):
        return display(value)
    if isinstance(value, dict):
        return {displayable(k): displayable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [displayable(v) for v in value]
    return value


def write_report(text: str, output: Optional[str]) -> None:
    """Write `text` (redacted) to `output` via temp file + rename, or to stdout."""
    safe = redact(display(text))
    if not output or output == "-":
        sys.stdout.write(safe)
        sys.stdout.flush()
        return
    directory = os.path.dirname(os.path.abspath(output))
    if os.path.isdir(output):
        raise EvaluationError(f"--output {display(output)}: is a directory; give a file name")
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(output)}.", suffix=".tmp")
    except OSError as exc:
        raise EvaluationError(f"--output {display(output)}: cannot write in {display(directory)} ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(safe)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, output)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise EvaluationError(f"--output {display(output)}: cannot write ({exc.strerror})") from None
        raise


def warn(message: str) -> None:
    sys.stderr.write(redact(display(f"aifactory-policy: {message}\n")))
