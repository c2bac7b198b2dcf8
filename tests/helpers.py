"""Paths and small helpers shared by the tests (imported by conftest and test modules)."""
from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
# libyaml: the pure-Python loader made reading renders and suites a visible part of the suite's time
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def yaml_load(text: str):
    return yaml.load(text, Loader=YAML_LOADER)


def yaml_docs(text: str) -> list:
    """The non-empty documents of a multi-document YAML stream."""
    return [d for d in yaml.load_all(text, Loader=YAML_LOADER) if d]


@functools.lru_cache(maxsize=None)
def ci_module(name: str, root: Path = REPO):
    """ci/<name>.py of the checkout at root, as a module: the generators' own functions (what they
    read from the rule folders) instead of a copy in the tests. Each generator imports its ci/
    siblings (generated_files, rule_data, admission_policy), so ci/ goes on sys.path: this
    checkout's for good (as for the generators run as scripts); another root's only while its
    module loads, with its siblings, so that no later import finds that copy instead of this one."""
    import importlib.util
    import sys
    ci = str(root / "ci")
    siblings = {p.stem for p in (root / "ci").glob("*.py")}
    own = root == REPO
    saved_path = list(sys.path)
    saved = {} if own else {k: sys.modules.pop(k) for k in siblings if k in sys.modules}
    if ci not in sys.path:
        sys.path.insert(0, ci)
    try:
        spec = importlib.util.spec_from_file_location(f"ci_{name}", root / "ci" / f"{name}.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    finally:
        if not own:
            sys.path[:] = saved_path
            for k in siblings:
                sys.modules.pop(k, None)
            sys.modules.update(saved)
    return mod
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


def billion_laughs(levels: int = 9, width: int = 9, key_prefix: str = "") -> str:
    """A YAML bomb: `levels` anchors, each a list of `width` aliases of the previous one; each
    top-level key is `key_prefix` and the anchor's letter."""
    out = [f'{key_prefix}a: &a ["lol"' + ', "lol"' * (width - 1) + "]"]
    prev = "a"
    for n in "bcdefghijk"[:levels - 1]:
        out.append(f"{key_prefix}{n}: &{n} [" + ", ".join([f"*{prev}"] * width) + "]")
        prev = n
    return "\n".join(out) + "\n"


def property_settings(max_examples: int):
    """Hypothesis settings of the property tests, which run real Helm or OPA in every example: few
    examples, no deadline, and no shrinking (a failure prints its example at once instead of
    re-running the tools for minutes). Property tests import hypothesis inside the test (and
    pyproject.toml does not load its pytest plugin): every xdist worker collects every test module,
    and the import costs ~0.18 CPU-s in each process that never runs a property."""
    from hypothesis import HealthCheck, Phase, settings
    return settings(max_examples=max_examples, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                    phases=[Phase.explicit, Phase.reuse, Phase.generate])


def wait_for(predicate, timeout: float = 10.0, step: float = 0.05) -> bool:
    """Polls `predicate` every `step` seconds until it is true (True) or `timeout` passes (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


def run_cli_in(folder: Path, *args) -> tuple[int, str, str]:
    """`aifactory-policy ARGS` in-process from `folder`: (exit code, stdout, stderr). For module-scoped
    fixtures; a single test uses the `cli` fixture."""
    from aifactory_policy.cli import main
    out, err, before = io.StringIO(), io.StringIO(), os.getcwd()
    os.chdir(folder)  # contextlib.chdir needs Python 3.11; the package supports 3.10
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([str(a) for a in args])
    finally:
        os.chdir(before)
    return code, out.getvalue(), err.getvalue()



@functools.lru_cache(maxsize=None)
def sample_findings() -> dict[str, frozenset]:
    """{path under policies/: {(rule, message)}} from ONE `scan --per-file` of every rule and admission
    sample, run from policies/ (each file judged alone, like conftest without --combine). Shared by
    the suite and admission tests: one OPA evaluation per test process instead of one per folder."""
    policies = REPO / "policies"
    files = sorted(str(p.relative_to(policies)) for pattern in ("rules/*/samples/*/*.yaml", "admission/samples/*/*.yaml")
                   for p in policies.glob(pattern))
    code, out, err = run_cli_in(policies, "scan", "--per-file", *files, "--format", "json")
    assert code in (0, 1), err
    found: dict[str, set] = {f: set() for f in files}
    for f in json.loads(out)["findings"]:
        found[f["file"]].add((f["rule"], f["message"]))
    return {f: frozenset(v) for f, v in found.items()}


# OPA cannot evaluate this one (two volumes named creds): an input error, not a finding
DUPLICATE_VOLUMES = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: x
spec:
  template:
    spec:
      containers:
        - name: c
          image: busybox
          volumeMounts:
            - name: creds
              mountPath: /home/node/.claude/.credentials.json
      volumes:
        - name: creds
          secret:
            secretName: s1
        - name: creds
          secret:
            secretName: s2
"""
