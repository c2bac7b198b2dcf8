"""Which tests run: plain `pytest` runs the offline tests only; the cluster tests (marker `cluster`,
tests/e2e) run with `-m cluster` or `--cluster`, on the kind cluster `--cluster-name` names. A
cluster that this run had to create is deleted at the end unless `--keep-cluster` (ci/test keeps it:
the next run reuses it in seconds); a cluster that was already up is reused and always kept.
conftest.py imports these hooks, which registers them.
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# Plain `pytest` runs the offline tests only: the cluster tests (marker `cluster`, tests/e2e) need a
# kind cluster that takes minutes to start and 20+ minutes to build cold. They run with `-m cluster`
# (ci/test's cluster stage) or `--cluster`; every other run says loudly that it left them out.

def pytest_addoption(parser):
    group = parser.getgroup("aifactory", "AIFactory cluster tests")
    group.addoption("--cluster", action="store_true",
                    help="also run the cluster tests (marker `cluster`): builds or reuses a kind cluster")
    group.addoption("--cluster-name", default=None,
                    help="kind cluster the cluster tests use (default: $AIFACTORY_CLUSTER or `aifactory`)")
    group.addoption("--keep-cluster", action="store_true",
                    help="keep a cluster this run created (one that was already up is always kept)")


def _cluster_name() -> str:
    return os.environ.get("AIFACTORY_CLUSTER", "aifactory")


def _cluster_exists() -> bool:
    kind = REPO / "bin" / "kind"
    if not kind.exists():
        return False
    proc = subprocess.run([str(kind), "get", "clusters"], capture_output=True, text=True, timeout=60, check=False)
    return _cluster_name() in proc.stdout.split()


_existed_before: list[bool] = []


def pytest_configure(config):
    name = config.getoption("--cluster-name")
    if name:   # ci/cluster/create-cluster and tests/e2e/conftest.py read it from here
        os.environ["AIFACTORY_CLUSTER"] = name
    if _cluster_requested(config) and not hasattr(config, "workerinput"):   # the controller decides
        _existed_before.append(_cluster_exists())


def delete_created_cluster(session) -> None:
    """At the end of the run (controller only): delete the cluster this run created, unless asked
    to keep it."""
    config = session.config
    if hasattr(config, "workerinput") or not _existed_before or _existed_before[0]:
        return
    if config.getoption("--keep-cluster") or not _cluster_exists():
        return
    subprocess.run([str(REPO / "ci" / "cluster" / "delete-cluster")], capture_output=True, timeout=300, check=False,
                   env={**os.environ, "AIFACTORY_CLUSTER": _cluster_name()})


def _cluster_requested(config) -> bool:
    return config.getoption("--cluster") or "cluster" in (config.getoption("markexpr") or "")


_left_out: list[int] = []


def deselect_cluster_tests(config, items) -> None:
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
