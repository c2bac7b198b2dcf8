"""The operator at a terminal, for `aifactory-policy credentials renew` with the REAL `claude auth login`.

`operate(argv, env, sign_in)` starts the command with its stdin on a pseudo-terminal (what an
operator's shell gives it) and its stdout and stderr on pipes, waits for the sign-in URL on stderr,
hands it to `sign_in(url)` (the person opening it on another device: here an HTTPS GET to the fake
authorization server, which answers the code the page would show), types the code into the
terminal, and collects everything. `browser(endpoint_ip, ca)` makes such a `sign_in`.
"""
from __future__ import annotations

import os
import re
import signal
import socket
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass
from typing import Callable, Optional
from urllib.parse import urlsplit

SIGN_IN_URL = re.compile(r"https://\S+/oauth/authorize\S*")


@dataclass
class Operated:
    code: int
    out: str
    err: str
    url: str
    pasted: str          # what was typed (the code the sign-in page showed)
    terminal: str        # what the terminal displayed back (its echo)
    seconds: float       # from the code typed to the command's exit


def browser(ip: str, port: int, ca: str) -> Callable[[str], str]:
    """A sign-in on "another device": GET the URL at the fake authorization server (by IP, TLS checked
    for the URL's host name); the answer is the code its callback page shows."""
    def sign_in(url: str) -> str:
        u = urlsplit(url)
        context = ssl.create_default_context(cafile=ca)
        with socket.create_connection((ip, port), timeout=10) as raw:
            with context.wrap_socket(raw, server_hostname=u.hostname) as tls:
                tls.sendall(f"GET {u.path}?{u.query} HTTP/1.1\r\nHost: {u.hostname}\r\nConnection: close\r\n\r\n".encode())
                data = b""
                while chunk := tls.recv(65536):
                    data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        assert head.split(b" ")[1] == b"200", head[:200]
        return body.decode().strip()
    return sign_in


class _Reader(threading.Thread):
    def __init__(self, stream):
        super().__init__(daemon=True)
        self.stream, self.data, self.lock = stream, b"", threading.Lock()

    def run(self):
        for chunk in iter(lambda: self.stream.read1(65536), b""):
            with self.lock:
                self.data += chunk

    def text(self) -> str:
        with self.lock:
            return self.data.decode("utf-8", "replace")


def operate(argv: list, env: dict, sign_in: Optional[Callable[[str], str]], *, timeout: float = 180,
            paste: Optional[str] = None, interrupt: bool = False) -> Operated:
    """`paste` types that instead of the page's code; `interrupt` presses Ctrl-C at the prompt instead
    (SIGINT to the command's process group, as a terminal does)."""
    master, slave = os.openpty()
    # SIGINT as a terminal user's shell leaves it (default): a pytest-xdist worker ignores it, and a
    # child would inherit that, so Ctrl-C would reach only Claude Code (which exits 0 on it, measured).
    proc = subprocess.Popen(argv, env=env, stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    os.close(slave)
    out, err = _Reader(proc.stdout), _Reader(proc.stderr)
    out.start(), err.start()
    echoed = b""
    url, pasted, typed_at = "", "", time.monotonic()
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and proc.poll() is None:
            m = SIGN_IN_URL.search(err.text())
            if m and "Paste code" in err.text():
                url = m.group(0)
                break
            time.sleep(0.05)
        if url:
            if interrupt:
                os.killpg(proc.pid, signal.SIGINT)
            else:
                pasted = paste if paste is not None else sign_in(url)
                typed_at = time.monotonic()
                os.write(master, pasted.encode() + b"\n")
        try:
            proc.wait(max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
            raise AssertionError(f"renew did not exit within {timeout:.0f}s:\n{err.text()[-3000:]}")
        seconds = time.monotonic() - typed_at
        os.set_blocking(master, False)
        try:
            while chunk := os.read(master, 65536):
                echoed += chunk
        except (BlockingIOError, OSError):
            pass
    finally:
        os.close(master)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
    out.join(10), err.join(10)
    proc.stdout.close(), proc.stderr.close()
    return Operated(proc.returncode, out.text(), err.text(), url, pasted, echoed.decode("utf-8", "replace"), seconds)
