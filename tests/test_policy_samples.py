"""conftest on every policy sample gives exactly the findings its rule folder's suite.yaml lists.

policies/rules/<name>/suite.yaml names every sample file of the folder with its expected findings
(allowed samples: none; disallowed: the exact {rule, msg} list; `combine: true` runs conftest
--combine). Samples are judged by ALL rules, so an allowed sample is clean for every policy.
policies/test.sh runs this module as its last step (the rest of that gate is opa fmt/check/test).

The real conftest (bin/conftest), batched as the gate always was: one run for every sample judged
alone (without --combine conftest judges each file on its own), one per `combine: true` sample
(--combine merges every file given), two runs at a time; each costs ~0.2 s of CPU. Runs start in
policies/, so a message naming a file reads rules/<name>/samples/...; the suites name it as from the
rule folder. conftest -p loads no data: --data claude_code.json (data.claude_code) is passed.
"""
from __future__ import annotations

import concurrent.futures
import functools
import json
import shutil
import subprocess

import pytest

from helpers import REPO, yaml_load

POLICIES = REPO / "policies"
RULES = POLICIES / "rules"


def _suites() -> dict[str, list[dict]]:
    return {d.name: yaml_load((d / "suite.yaml").read_text())["samples"]
            for d in sorted(RULES.iterdir()) if (d / "suite.yaml").is_file()}


SUITES = _suites()
RUNS = [("alone", [(n, c) for n in SUITES for c in SUITES[n] if not c.get("combine")])]
RUNS += [("combine", [(n, c)]) for n in SUITES for c in SUITES[n] if c.get("combine")]


def _conftest() -> str:
    """bin/conftest (ci/bootstrap), else PATH, as policies/test.sh finds it."""
    path = REPO / "bin" / "conftest"
    found = str(path) if path.exists() else shutil.which("conftest")
    if not found:
        pytest.fail("conftest not installed: run ci/bootstrap")
    return found


def _path(name: str, case: dict) -> str:
    return f"rules/{name}/{case['file']}"


def _run(kind: str, group: list) -> subprocess.CompletedProcess:
    cmd = [_conftest(), "test", "--all-namespaces", "--no-color", "-o", "json", "-p", ".",
           "--data", "claude_code.json"]
    if kind == "combine":
        cmd.append("--combine")
    cmd += [_path(n, c) for n, c in group]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=POLICIES)


@functools.lru_cache(maxsize=None)
def conftest_results() -> dict:
    """{run index: (CompletedProcess, {sample path: [(rule, msg)]} or None if no JSON)}, every run
    once per test process (the module's tests share it)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        done = list(pool.map(lambda r: _run(*r), RUNS))
    out = {}
    for i, ((kind, group), proc) in enumerate(zip(RUNS, done)):
        try:
            results = json.loads(proc.stdout)
        except ValueError:
            out[i] = (proc, None)
            continue
        got: dict[str, list] = {}
        for r in results:  # one result per file and policy namespace; --combine names no single file
            key = _path(*group[0]) if kind == "combine" else r.get("filename")
            got.setdefault(key, []).extend(
                (fl.get("metadata", {}).get("rule", "?"), fl["msg"]) for fl in (r.get("failures") or []))
        out[i] = (proc, got)
    return out


CASES = [(i, name, case) for i, (_, group) in enumerate(RUNS) for name, case in group]


@pytest.mark.parametrize("run,name,case", CASES, ids=[_path(n, c) for _, n, c in CASES])
def test_sample_gives_exactly_the_suites_findings(run, name, case):
    proc, got_by_file = conftest_results()[run]
    assert got_by_file is not None, f"conftest gave no JSON (exit {proc.returncode}): {proc.stderr.strip()}"
    got = sorted((rule, msg.replace(f"rules/{name}/", "")) for rule, msg in got_by_file.get(_path(name, case), []))
    want = sorted((e["rule"], e["msg"]) for e in (case.get("expected") or []))
    if case["file"].startswith("samples/allowed/"):
        assert not want, "an allowed sample must expect no findings"
    missing = [w for w in want if w not in got]
    unexpected = [g for g in got if g not in want]
    assert got == want, f"missing: {missing}\nunexpected: {unexpected}"


@pytest.mark.parametrize("run", range(len(RUNS)),
                         ids=[f"{k}:{_path(*g[0])}" if k == "combine" else f"{k}:{len(g)} samples" for k, g in RUNS])
def test_conftest_exit_code(run):
    """1 when the run has a sample expected to fail, else 0 (an error is neither)."""
    proc, _ = conftest_results()[run]
    want = 1 if any(c.get("expected") for _, c in RUNS[run][1]) else 0
    assert proc.returncode == want, proc.stderr


@pytest.mark.parametrize("name", sorted(SUITES))
def test_every_sample_is_in_the_suite(name):
    listed = {c["file"] for c in SUITES[name]}
    on_disk = {f"samples/{p.parent.name}/{p.name}" for s in ("allowed", "disallowed")
               for p in (RULES / name / "samples" / s).glob("*.yaml")}
    assert sorted(on_disk - listed) == [], "not listed in suite.yaml"
