"""One `opa eval` process: the query's value over an input, or an EvaluationError that says what
to fix. The engine (opa.py) decides what each process is given."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any, Optional

from .findings import EvaluationError
from .tools import IGNORED, SMALL_INPUT_BYTES, find_tool, go_tool_env, install_hint

TIMEOUT = 300


class JSONText(str):
    """An input already serialised (the engine measures batches as JSON before it sends them)."""


def eval_query(payload: Any, policies: Path, query: str, opa: Optional[str] = None, *,
               ignore: tuple[str, ...] = (), timeout: int = TIMEOUT, what: str = "documents",
               small: Optional[bool] = None) -> Any:
    """The value of `query` over `payload` from ONE `opa eval` process; EvaluationError when OPA
    cannot run, fails, or leaves the query undefined (InputEvaluationError when the policies
    compiled and evaluating this input failed)."""
    binary = opa or find_tool("opa")
    cmd = [binary, "eval", "--format", "json", "--stdin-input", "-d", str(policies)]
    for pattern in IGNORED + ignore:
        cmd += ["--ignore", pattern]
    cmd.append(query)
    text = str(payload) if isinstance(payload, JSONText) else json.dumps(payload, default=str)
    env = go_tool_env(small=len(text) < SMALL_INPUT_BYTES if small is None else small)
    try:
        proc = subprocess.run(cmd, input=text, capture_output=True, text=True, timeout=timeout, check=False, env=env)
    except subprocess.TimeoutExpired:
        raise EvaluationError(f"opa eval timed out after {timeout} s over {what}") from None
    except OSError as exc:
        raise EvaluationError(f"cannot run {binary} ({exc.strerror}); {install_hint('opa')}") from None
    if proc.returncode != 0:
        detail = _opa_error(proc.stdout, proc.stderr)
        if _runtime_error(proc.stdout):   # the policies compiled; evaluating some input failed
            raise InputEvaluationError(f"opa eval failed over {what}: {detail}", detail)
        raise EvaluationError(f"opa eval failed over {policies}: {detail}; fix the policies (opa check {policies})")
    try:
        results = json.loads(proc.stdout).get("result") or []
    except (ValueError, AttributeError):
        raise EvaluationError(f"opa eval printed non-JSON output: {proc.stdout[:200]!r}") from None
    if not results:
        raise EvaluationError(f"{query} is undefined in {policies}; pass the repository's policies/ folder, which "
                              "holds packages batch (check, scan, audit), audit (audit) and image (scan-image)")
    return results[0]["expressions"][0]["value"]


class InputEvaluationError(EvaluationError):
    """The policies compiled but evaluating the input failed (e.g. a conflict on a repeated name):
    scan evaluates the files one by one to name the input that causes it."""

    def __init__(self, message: str, detail: str):
        super().__init__(message)
        self.detail = detail


def _runtime_error(stdout: str) -> bool:
    try:
        errs = json.loads(stdout).get("errors") or []
    except (ValueError, AttributeError):
        return False
    return bool(errs) and all(str(e.get("code", "")).startswith("eval_") for e in errs if isinstance(e, dict))


def _opa_error(stdout: str, stderr: str) -> str:
    try:
        errs = json.loads(stdout).get("errors") or []
        return "; ".join(f"{e.get('location', {}).get('file', '')}:{e.get('location', {}).get('row', '')}: "
                         f"{e.get('message')}" for e in errs)[:2000] or stderr.strip()[:2000]
    except (ValueError, AttributeError):
        return (stderr.strip() or stdout.strip())[:2000]
