"""Paths and small helpers shared by the tests (imported by conftest and test modules)."""
from __future__ import annotations

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
