"""Shared fixtures: the repository, the real tools in bin/, and an in-process CLI runner."""
from __future__ import annotations

import shutil
from dataclasses import dataclass

import pytest

from aifactory_policy.cli import main

from helpers import REPO


def tool(name: str) -> str:
    path = REPO / "bin" / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if not found:
        pytest.fail(f"{name} not installed: run ci/bootstrap (the test command does)")
    return found


@pytest.fixture(scope="session")
def opa_bin() -> str:
    return tool("opa")


@pytest.fixture(scope="session")
def helm_bin() -> str:
    return tool("helm")


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys, opa_bin):
    """Run `aifactory-policy ARGS` in-process; returns exit code, stdout, stderr."""
    def run(*args: str) -> Result:
        capsys.readouterr()
        code = main([str(a) for a in args])
        cap = capsys.readouterr()
        return Result(code, cap.out, cap.err)
    return run


@pytest.fixture(autouse=True)
def _no_stray_root(monkeypatch):
    """Tools and policies come from this checkout unless a test says otherwise."""
    monkeypatch.delenv("AIFACTORY_POLICY_ROOT", raising=False)
