"""Runs `claude auth login` as a child and stands between it and the operator's terminal.

Claude Code 2.1.330's `auth login` prints a sign-in URL and "Paste code here if prompted > ", and
reads the code from its stdin, a pipe as well as a terminal (measured against the fake authorization
server, tests/fake_anthropic.py); on a machine with a browser it also opens it and takes the answer
on a localhost callback without any paste. So the child gets pipes, never our stdout:
- its output (the URL, the prompt, "Login successful.") is relayed to OUR stderr through redact(),
  so the command's stdout holds only its result (a values snippet, `--format json`);
- once the URL shows, one line on stderr says to open it on any device and paste the code here;
- what the operator types on our stdin is forwarded to the child as it comes, with the terminal's
  echo off (the code is single use, but it is nobody's business either).
On our stdin's end of file the child's stdin is closed; a browser sign-in can still finish.
Ctrl-C or the timeout ends the child (SIGTERM, then SIGKILL) and raises. POSIX only (select on pipes).
"""
from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import time
from typing import Optional

from ..findings import EvaluationError
from ..redact import redact
from .ui import say

SIGN_IN_URL = re.compile(r"https://\S+/oauth/authorize\S*")


def _stdin_fd() -> Optional[int]:
    """Our stdin's descriptor, or None when there is none to read (closed, or a test's stand-in)."""
    try:
        fd = sys.stdin.fileno() if sys.stdin is not None else None
    except (AttributeError, OSError, ValueError):
        return None
    return fd if fd is not None and fd >= 0 else None


class _NoEcho:
    """The terminal's echo off while the code is typed (canonical mode stays: line editing works)."""

    def __init__(self, fd: Optional[int]):
        self.fd, self.saved = fd, None

    def __enter__(self):
        if self.fd is not None and os.isatty(self.fd):
            import termios
            self.saved = termios.tcgetattr(self.fd)
            quiet = list(self.saved)
            quiet[3] &= ~termios.ECHO
            termios.tcsetattr(self.fd, termios.TCSADRAIN, quiet)
        return self

    def __exit__(self, *exc):
        if self.saved is not None:
            import termios
            termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def run(argv: list, env: dict, timeout: float, install: str = "") -> int:
    """The child's exit code; raises EvaluationError on the timeout, KeyboardInterrupt passes through."""
    proc = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out_fd, in_fd = proc.stdout.fileno(), _stdin_fd()
    deadline = time.monotonic() + timeout
    seen, told = "", False
    try:
        with _NoEcho(in_fd):
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise EvaluationError(f"`claude auth login` did not finish within {timeout:.0f}s (no code pasted?); "
                                          "nothing was changed. Run the command again and paste the code the sign-in "
                                          "page shows")
                watched = [out_fd] + ([in_fd] if in_fd is not None else [])
                ready, _, _ = select.select(watched, [], [], min(left, 0.5))
                if out_fd in ready:
                    chunk = os.read(out_fd, 65536)
                    if not chunk:          # the child closed its output: it is exiting
                        break
                    text = chunk.decode("utf-8", "replace")
                    sys.stderr.write(redact(text))
                    sys.stderr.flush()
                    seen = (seen + text)[-8192:]
                    if not told and SIGN_IN_URL.search(seen):
                        told = True
                        who = f" with the account for install {install}" if install else ""
                        say(f"no browser needed here: open the URL above on any device (phone, laptop), sign in{who}, "
                            "and paste the code the page shows at the prompt (it is not echoed)")
                if in_fd is not None and in_fd in ready:
                    typed = os.read(in_fd, 4096)
                    if not typed:
                        in_fd = None       # end of our stdin: a browser sign-in may still finish
                        proc.stdin.close()
                        continue
                    if os.isatty(in_fd):
                        sys.stderr.write("\n")
                    try:
                        proc.stdin.write(typed)
                        proc.stdin.flush()
                    except BrokenPipeError:
                        pass
            return proc.wait(max(1.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        raise EvaluationError(f"`claude auth login` did not exit within {timeout:.0f}s") from None
    finally:
        _stop(proc)
        for pipe in (proc.stdin, proc.stdout):
            try:
                pipe.close()
            except (OSError, BrokenPipeError):
                pass
