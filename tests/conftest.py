"""Shared fixtures: the repository, the real tools in bin/, and an in-process CLI runner."""
from __future__ import annotations

import shutil
from dataclasses import dataclass

import pytest

from aifactory_policy.cli import main
# The suite's machinery, registered here: test selection, and what makes it fast.
from cluster_selection import (delete_created_cluster, deselect_cluster_tests, pytest_addoption,  # noqa: F401
                               pytest_configure, pytest_terminal_summary)
from speed_plugin import (pytest_configure_node, pytest_runtest_logreport, record_module_times,  # noqa: F401
                          reuse_tool_results, sort_longest_first)

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


@pytest.fixture(scope="session")
def claude_cli() -> str:
    """The real, pinned Claude Code CLI (ci/install-claude-code); AIFACTORY_CLAUDE=<path> picks another."""
    import os
    import subprocess
    path = os.environ.get("AIFACTORY_CLAUDE")
    if not path:
        proc = subprocess.run([str(REPO / "ci" / "install-claude-code"), "--check"], capture_output=True, text=True,
                              timeout=60, check=False)
        path = proc.stdout.strip()
    if not path or not os.access(path, os.X_OK):
        pytest.fail("the real Claude Code CLI is not installed: run ci/bootstrap (it calls ci/install-claude-code)")
    return path


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


def pytest_collection_modifyitems(config, items):
    deselect_cluster_tests(config, items)
    sort_longest_first(config, items)


def pytest_sessionfinish(session):
    record_module_times(session)
    delete_created_cluster(session)
