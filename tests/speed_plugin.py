"""What makes the offline suite fast, kept out of conftest.py so its fixtures read as fixtures:
- `reuse_tool_results`: a test that only varies how one result is reported reuses a byte-identical
  earlier OPA evaluation or Helm render of the same process;
- scheduling: test modules run longest first, from their times in earlier runs (pytest's cache).
conftest.py imports this module's fixtures and hooks, which registers them.
"""
from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

import pytest

from aifactory_policy import helm as helm_module, opa as opa_module
from aifactory_policy.commands import audit as audit_command
from aifactory_policy.audit.material import Fingerprinter

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


def sort_longest_first(config, items):
    workerinput = getattr(config, "workerinput", None)
    seconds = workerinput.get(_MODULE_SECONDS, {}) if workerinput is not None else _cached_seconds(config)
    if seconds:
        items.sort(key=lambda item: -seconds.get(_module(item.nodeid), 0.0))   # stable: modules stay whole


def pytest_runtest_logreport(report):
    _timed[_module(report.nodeid)] = _timed.get(_module(report.nodeid), 0.0) + report.duration


def record_module_times(session):
    # the controller (or a run without xdist) sees every report; a partial run updates its own modules
    cache = getattr(session.config, "cache", None)
    if hasattr(session.config, "workerinput") or cache is None or not _timed:
        return
    seconds = cache.get(_MODULE_SECONDS, {})
    seconds.update({module: round(value, 3) for module, value in _timed.items()})
    cache.set(_MODULE_SECONDS, seconds)
