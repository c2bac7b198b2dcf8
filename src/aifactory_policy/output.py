"""Every byte the tool writes goes through here: redacted, and files replaced atomically."""
from __future__ import annotations

import os
import sys
import tempfile
from typing import Optional

from .findings import EvaluationError
from .redact import redact


def write_report(text: str, output: Optional[str]) -> None:
    """Write `text` (redacted) to `output` via temp file + rename, or to stdout."""
    safe = redact(text)
    if not output or output == "-":
        sys.stdout.write(safe)
        sys.stdout.flush()
        return
    directory = os.path.dirname(os.path.abspath(output))
    if os.path.isdir(output):
        raise EvaluationError(f"--output {output}: is a directory; give a file name")
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(output)}.", suffix=".tmp")
    except OSError as exc:
        raise EvaluationError(f"--output {output}: cannot write in {directory} ({exc.strerror})") from None
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
            raise EvaluationError(f"--output {output}: cannot write ({exc.strerror})") from None
        raise


def warn(message: str) -> None:
    sys.stderr.write(redact(f"aifactory-policy: {message}\n"))
