"""Paths and small helpers shared by the tests (imported by conftest and test modules)."""
from __future__ import annotations

import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
MINI_CHART = DATA / "chart"
MINI_POLICIES = DATA / "policies"


def mini(*args: str) -> list[str]:
    """Common options pointing a command at the test policies."""
    return [*args, "--policies", str(MINI_POLICIES)]


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def billion_laughs(levels: int = 9, width: int = 9) -> str:
    """A YAML bomb: `levels` anchors, each a list of `width` aliases of the previous one."""
    out = ['a: &a ["lol"' + ', "lol"' * (width - 1) + "]"]
    prev = "a"
    for n in "bcdefghijk"[:levels - 1]:
        out.append(f"{n}: &{n} [" + ", ".join([f"*{prev}"] * width) + "]")
        prev = n
    return "\n".join(out) + "\n"


def wait_for(predicate, timeout: float = 10.0, step: float = 0.05) -> bool:
    """Polls `predicate` every `step` seconds until it is true (True) or `timeout` passes (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False
