"""Which tests run: plain `pytest` runs the offline tests only; the cluster tests (marker `cluster`,
tests/e2e) run with `-m cluster` or `--cluster`, on the kind cluster `--cluster-name` names.
conftest.py imports these hooks, which registers them.
"""
from __future__ import annotations

import os

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
