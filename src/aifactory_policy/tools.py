"""Find the repository root, the policies folder and the external tools (helm, opa)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Optional

from .findings import EvaluationError

_PACKAGE_DIR = Path(__file__).resolve().parent


def repo_root() -> Optional[Path]:
    """The checkout that holds this package (src/aifactory_policy -> repo), else a CWD ancestor."""
    override = os.environ.get("AIFACTORY_POLICY_ROOT")
    if override:  # tests and unusual installs: the checkout whose bin/ and policies/ to use
        return Path(override)
    candidates = [_PACKAGE_DIR.parent.parent, *Path.cwd().resolve().parents]
    candidates.insert(1, Path.cwd().resolve())
    for c in candidates:
        if (c / "policies").is_dir() or (c / "ci" / "bootstrap").is_file():
            return c
    return None


def policies_dir(explicit: Optional[str] = None) -> Path:
    if explicit:
        p = Path(explicit)
        if not p.is_dir():
            raise EvaluationError(f"--policies {explicit}: not a directory; pass the policies/ folder of the chart repository")
        return p
    root = repo_root()
    if root is None or not (root / "policies").is_dir():
        raise EvaluationError("cannot find the policies/ folder next to the package; "
                              "pass --policies DIR (the repository's policies/)")
    return root / "policies"


def find_tool(name: str, explicit: Optional[str] = None) -> str:
    """`explicit` path, else <repo>/bin/<name>, else PATH. Missing: EvaluationError naming the fix."""
    if explicit:
        if os.path.isfile(explicit) and os.access(explicit, os.X_OK):
            return explicit
        found = shutil.which(explicit)
        if found:
            return found
        raise EvaluationError(f"{explicit}: not an executable {name}; fix the path, or run ci/bootstrap to install bin/{name}")
    root = repo_root()
    if root is not None:
        local = root / "bin" / name
        if local.is_file() and os.access(local, os.X_OK):
            return str(local)
    found = shutil.which(name)
    if found:
        return found
    where = f"{root}/bin or PATH" if root else "PATH"
    raise EvaluationError(f"{name} not found in {where}; run ci/bootstrap (it installs the pinned {name} into bin/)")


# Helm and OPA are short-lived Go programs that spend much of a small run collecting garbage:
# with the collector off until the heap nears GOMEMLIMIT, `helm template` takes ~40% less time and
# a 1k-workload audit's `opa eval` about half the CPU. On large inputs it bought no time and grew
# the heap to the limit (a 10k-document scan: 314 MB -> 987 MB, bench/results.md), so callers
# pass `small=False` there and Go's default collector stays. A GOGC or GOMEMLIMIT the user set wins.
GO_TOOL_ENV = {"GOGC": "off", "GOMEMLIMIT": "1GiB"}
SMALL_INPUT_BYTES = 8 * 1024 * 1024


def go_tool_env(small: bool = True) -> dict:
    env = dict(os.environ)
    if small and "GOGC" not in env and "GOMEMLIMIT" not in env:
        env.update(GO_TOOL_ENV)
    return env
