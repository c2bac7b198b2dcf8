"""Where a login comes from. Each source returns the credentials bytes and, when it knows it, the
non-secret `oauthAccount` record Remote Control needs in `~/.claude.json`.

- `ClaudeLogin`: the real `claude auth login` in a fresh temporary CLAUDE_CONFIG_DIR, so the install
  gets a token family of its own (a copy of the operator's login would be a second holder of the
  laptop's family: whichever refreshes first invalidates the other). The directory is removed
  afterwards, always. It runs behind login_relay: the sign-in URL and prompts on stderr, the code
  read from the terminal, so it works on a machine without a browser.
- `FileSource`, `StdinSource`: an existing `.credentials.json`.
- `KeychainSource`: macOS keeps the login in the Keychain, service "Claude Code-credentials"
  (`security find-generic-password -s "Claude Code-credentials" -w`).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Protocol

from ..findings import EvaluationError, Refusal
from .ui import say

KEYCHAIN_SERVICE = "Claude Code-credentials"
SCRUBBED_ENV = ("CLAUDE_CODE_OAUTH_TOKEN", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_API_KEY", "CLAUDE_CONFIG_DIR")


@dataclass
class Obtained:
    raw: bytes = field(repr=False)
    source: str                                # for messages: "file x", "stdin", "Keychain", "claude auth login"
    oauth_account: Optional[dict] = None


class Source(Protocol):
    def obtain(self) -> Obtained: ...


def read_oauth_account(path: Path) -> Optional[dict]:
    """`oauthAccount` from a `.claude.json`, or None (missing file or key, unreadable)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    acct = doc.get("oauthAccount") if isinstance(doc, dict) else None
    return acct if isinstance(acct, dict) and acct else None


@dataclass
class FileSource:
    path: str
    claude_json: Optional[str] = None

    def obtain(self) -> Obtained:
        p = Path(self.path).expanduser()
        if not p.exists():
            hint = (" On macOS Claude Code keeps its login in the Keychain: use --from-keychain."
                    if sys.platform == "darwin" else "")
            raise EvaluationError(f"--from-file {self.path}: no such file. Give the `.credentials.json` of a "
                                  f"login (`aifactory-policy credentials login` makes one for the install).{hint}")
        try:
            raw = p.read_bytes()
        except OSError as exc:
            raise EvaluationError(f"--from-file {self.path}: cannot read ({exc.strerror})") from None
        acct = read_oauth_account(Path(self.claude_json).expanduser()) if self.claude_json else \
            read_oauth_account(p.parent / ".claude.json")
        return Obtained(raw, f"--from-file {self.path}", acct)


@dataclass
class StdinSource:
    claude_json: Optional[str] = None

    def obtain(self) -> Obtained:
        raw = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode()
        acct = read_oauth_account(Path(self.claude_json).expanduser()) if self.claude_json else None
        return Obtained(raw, "--from-stdin", acct)


@dataclass
class KeychainSource:
    claude_json: Optional[str] = None
    timeout: float = 60.0

    def obtain(self) -> Obtained:
        exe = shutil.which("security")
        if not exe:
            raise EvaluationError("--from-keychain: the macOS `security` tool is not on PATH (Keychain "
                                  "logins exist on macOS only); use --from-file or `credentials login`")
        say(f"reading the Keychain item \"{KEYCHAIN_SERVICE}\" (macOS may ask for permission)")
        try:
            proc = subprocess.run([exe, "find-generic-password", "-s", KEYCHAIN_SERVICE, "-w"],
                                  capture_output=True, timeout=self.timeout, check=False)
        except subprocess.TimeoutExpired:
            raise EvaluationError(f"--from-keychain: `security` did not answer within {self.timeout:.0f}s "
                                  "(a permission prompt left open?)") from None
        if proc.returncode != 0:
            raise EvaluationError(f"--from-keychain: no Keychain item \"{KEYCHAIN_SERVICE}\" (security exit "
                                  f"{proc.returncode}); log in with Claude Code on this Mac first, or use "
                                  "`aifactory-policy credentials login`")
        acct_file = Path(self.claude_json).expanduser() if self.claude_json else Path.home() / ".claude.json"
        return Obtained(proc.stdout.strip(), "--from-keychain", read_oauth_account(acct_file))


@dataclass
class ClaudeLogin:
    claude: Optional[str] = None   # the claude executable; default: PATH
    timeout: float = 900.0
    extra_args: tuple = ()
    install: str = ""              # named in the sign-in instructions

    def obtain(self) -> Obtained:
        from . import login_relay
        exe = self.claude or shutil.which("claude")
        if not exe or not (os.path.isfile(exe) and os.access(exe, os.X_OK)):
            raise EvaluationError(f"`claude` not found ({self.claude or 'PATH'}); install Claude Code "
                                  "(ci/install-claude-code) or pass --claude PATH")
        tmp = tempfile.mkdtemp(prefix="aifactory-login-")
        try:
            os.chmod(tmp, 0o700)
            env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
            env["CLAUDE_CONFIG_DIR"] = tmp
            say("running `claude auth login` with a fresh CLAUDE_CONFIG_DIR (a new token family for this "
                "install, not a copy of yours); follow its prompts")
            code = login_relay.run([exe, "auth", "login", *self.extra_args], env, self.timeout, self.install)
            if code != 0:
                raise EvaluationError(f"`claude auth login` failed (exit {code}); nothing was changed. Run the "
                                      "command again, open the URL it prints and paste the code the page shows")
            cred = Path(tmp) / ".credentials.json"
            if not cred.is_file():
                raise Refusal("`claude auth login` finished but wrote no .credentials.json into its "
                              "CLAUDE_CONFIG_DIR. Fix: log in with a claude.ai account (not an API key) and "
                              "check the Claude Code version (ci/versions.env).")
            raw = cred.read_bytes()
            acct = read_oauth_account(Path(tmp) / ".claude.json")
            return Obtained(raw, "claude auth login", acct)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
            if os.path.exists(tmp):  # pragma: no cover - only if the removal failed
                say(f"WARNING: could not remove {tmp}; delete it by hand (it holds a login)")
