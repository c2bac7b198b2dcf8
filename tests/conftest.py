"""Shared fixtures: the repository, the real tools in bin/, and an in-process CLI runner."""
from __future__ import annotations

import copy
import os
import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from aifactory_policy import helm as helm_module, opa as opa_module
from aifactory_policy.audit import command as audit_command
from aifactory_policy.audit.material import Fingerprinter
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


_REAL_EVAL_QUERY, _REAL_TEMPLATE = opa_module.eval_query, helm_module.template
_TOOL_RESULTS: dict = {}


@pytest.fixture
def reuse_tool_results(monkeypatch):
    """For tests that vary only how one result is reported (output formats, destinations, which
    part of the report they read): an OPA evaluation or Helm render byte-identical to an earlier
    one in this test process returns that earlier real result instead of starting the tool again.
    A tool that could not run (timeout, missing binary) raises, and that is never reused."""
    def eval_query(payload, policies, query, opa=None, **kw):
        key = ("opa", json.dumps(payload, sort_keys=True, default=str), str(policies), query, opa,
               json.dumps(kw, sort_keys=True, default=str))
        if key not in _TOOL_RESULTS:
            _TOOL_RESULTS[key] = _REAL_EVAL_QUERY(payload, policies, query, opa, **kw)
        return copy.deepcopy(_TOOL_RESULTS[key])

    def template(*args, **kw):
        files = args[4] if len(args) > 4 else kw.get("files", [])
        key = ("helm", json.dumps([args, kw], sort_keys=True, default=str),
               tuple(hashlib.sha256(Path(f).read_bytes()).hexdigest() for f in files if Path(f).is_file()))
        if key not in _TOOL_RESULTS:   # a refusal (exit != 0) is Helm's answer too; a timeout raises
            _TOOL_RESULTS[key] = _REAL_TEMPLATE(*args, **kw)
        return _TOOL_RESULTS[key]

    monkeypatch.setattr(opa_module, "eval_query", eval_query)
    monkeypatch.setattr(helm_module, "template", template)
    # the audit keys its fingerprints per run; one fixed key makes reruns byte-identical
    monkeypatch.setattr(audit_command, "Fingerprinter", lambda: Fingerprinter(b"reuse_tool_results fixed key"))


# ---------------------------------------------------------------- cluster tests only when asked
# Plain `pytest` runs the offline tests only: the cluster tests (marker `cluster`, tests/e2e) need a
# kind cluster that takes minutes to start and 20+ minutes to build cold. They run with `-m cluster`
# (ci/test's cluster stage) or `--cluster`; every other run says loudly that it left them out.

def pytest_addoption(parser):
    group = parser.getgroup("aifactory", "AIFactory cluster tests")
    group.addoption("--cluster", action="store_true",
                    help="also run the cluster tests (marker `cluster`): builds or reuses a kind cluster")
    group.addoption("--cluster-name", default=None,
                    help="kind cluster the cluster tests use (default: $AIFACTORY_CLUSTER or `aifactory`)")


def pytest_configure(config):
    name = config.getoption("--cluster-name")
    if name:   # ci/cluster/create-cluster and tests/e2e/conftest.py read it from here
        os.environ["AIFACTORY_CLUSTER"] = name


def _cluster_requested(config) -> bool:
    return config.getoption("--cluster") or "cluster" in (config.getoption("markexpr") or "")


_left_out: list[int] = []


def _deselect_cluster_tests(config, items) -> None:
    if _cluster_requested(config):
        return
    cluster = [i for i in items if i.get_closest_marker("cluster")]
    if cluster:
        config.hook.pytest_deselected(items=cluster)
        items[:] = [i for i in items if not i.get_closest_marker("cluster")]
        _left_out.append(len(cluster))


def pytest_terminal_summary(terminalreporter, config):
    if _left_out:
        terminalreporter.write_sep("!", f"{_left_out[0]} CLUSTER TESTS NOT RUN: pass --cluster (or -m cluster) to run "
                                        "them against a kind cluster (ci/test does)", yellow=True, bold=True)


# ---------------------------------------------------------------- scheduling: longest modules first
# ci/test runs pytest-xdist with --dist loadfile --no-loadscope-reorder: each module runs on one
# worker, in the order collected. Collected alphabetically, the slow property modules came last and
# one worker ran them while the others sat idle (~1.5 s of a ~9.5 s run). So the collection is
# sorted by each module's seconds in earlier runs (pytest's cache), longest first; modules never
# timed keep their place at the end. The controller reads the cache once and hands the times to
# every worker, so all collections match even if another run rewrites the cache meanwhile.
_MODULE_SECONDS = "aifactory/module-seconds"
_timed: dict[str, float] = {}


def _module(nodeid: str) -> str:
    return nodeid.split("::")[0]


def _cached_seconds(config) -> dict:
    cache = getattr(config, "cache", None)   # absent with -p no:cacheprovider
    return cache.get(_MODULE_SECONDS, {}) if cache is not None else {}


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """pytest-xdist, controller side: the times this run sorts by."""
    node.workerinput[_MODULE_SECONDS] = _cached_seconds(node.config)


def pytest_collection_modifyitems(config, items):
    _deselect_cluster_tests(config, items)
    workerinput = getattr(config, "workerinput", None)
    seconds = workerinput.get(_MODULE_SECONDS, {}) if workerinput is not None else _cached_seconds(config)
    if seconds:
        items.sort(key=lambda item: -seconds.get(_module(item.nodeid), 0.0))   # stable: modules stay whole


def pytest_runtest_logreport(report):
    _timed[_module(report.nodeid)] = _timed.get(_module(report.nodeid), 0.0) + report.duration


def pytest_sessionfinish(session):
    # the controller (or a run without xdist) sees every report; a partial run updates its own modules
    cache = getattr(session.config, "cache", None)
    if hasattr(session.config, "workerinput") or cache is None or not _timed:
        return
    seconds = cache.get(_MODULE_SECONDS, {})
    seconds.update({module: round(value, 3) for module, value in _timed.items()})
    cache.set(_MODULE_SECONDS, seconds)
