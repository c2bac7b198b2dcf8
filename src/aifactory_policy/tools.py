"""Find the policies, the chart and the external tools (helm, opa): in a checkout, or carried by
the installed package (setup.py bundles them), and say what to install when a tool is missing."""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Optional

from .findings import EvaluationError

_PACKAGE_DIR = Path(__file__).resolve().parent
# What an installed package carries (setup.py copies it at build time): policies/, charts/aifactory
# and ci/versions.env, laid out as in the repository.
BUNDLED = _PACKAGE_DIR / "bundled"


def _is_checkout(c: Path) -> bool:
    return (c / "policies" / "batch").is_dir() and (c / "charts" / "aifactory" / "Chart.yaml").is_file()


def _own_checkout() -> Optional[Path]:
    """The checkout whose src/ this package is imported from (editable install, PYTHONPATH=src)."""
    c = _PACKAGE_DIR.parent.parent
    return c if _is_checkout(c) else None


def _cwd_checkout() -> Optional[Path]:
    cwd = Path.cwd().resolve()
    return next((c for c in (cwd, *cwd.parents) if _is_checkout(c)), None)


def repo_root() -> Optional[Path]:
    """The repository checkout in use (its bin/ holds the pinned tools): AIFACTORY_POLICY_ROOT, else
    the checkout holding this package, else one the working directory is in; None for an installed
    package run elsewhere."""
    override = os.environ.get("AIFACTORY_POLICY_ROOT")
    if override:  # tests and unusual installs: the checkout whose bin/ and policies/ to use
        return Path(override)
    return _own_checkout() or _cwd_checkout()


def data_root() -> Optional[Path]:
    """Where policies/, charts/aifactory and ci/versions.env are read: AIFACTORY_POLICY_ROOT, the
    checkout holding this package, the copy an installed package carries, a checkout around the
    working directory."""
    override = os.environ.get("AIFACTORY_POLICY_ROOT")
    if override:
        return Path(override)
    own = _own_checkout()
    if own is not None:
        return own
    if (BUNDLED / "policies").is_dir():
        return BUNDLED
    return _cwd_checkout()


def policies_dir(explicit: Optional[str] = None) -> Path:
    if explicit:
        p = Path(explicit)
        if not p.is_dir():
            raise EvaluationError(f"--policies {explicit}: not a directory; pass a folder of Rego policies "
                                  "(default: the ones installed with aifactory-policy)")
        return p
    root = data_root()
    if root is None or not (root / "policies").is_dir():
        where = f"in {root}" if root is not None else "installed with the package"
        raise EvaluationError(f"cannot find the policies/ folder {where}; reinstall aifactory-policy "
                              "(pip install aifactory-policy), or pass --policies DIR")
    return root / "policies"


def pinned_versions() -> dict[str, str]:
    """The tool versions the project tests with (ci/versions.env, carried by the package too)."""
    root = data_root()
    env = root / "ci" / "versions.env" if root else None
    out: dict[str, str] = {}
    if env and env.is_file():
        for line in env.read_text(encoding="utf-8").splitlines():
            key, sep, value = line.partition("=")
            if sep and key.strip().isidentifier():
                out[key.strip()] = value.split("#", 1)[0].strip()
    return out


def install_hint(name: str) -> str:
    """What to install for `name` and which versions work; the pinned ones are those tested."""
    v = pinned_versions()
    if name == "opa":
        hint = ("install Open Policy Agent 1.0 or later (the policies are Rego v1; tested with "
                f"{v.get('OPA_VERSION', 'v1.22.2')}), a single binary: "
                "https://www.openpolicyagent.org/docs/#running-opa, and put it on PATH or pass --opa PATH")
    else:
        major = {"helm3": "Helm 3 as helm3 (or helm)", "helm4": "Helm 4 as helm4"}.get(name, "Helm 3 or 4")
        hint = (f"install {major} (tested with {v.get('HELM3_VERSION', 'v3.22.0')} and "
                f"{v.get('HELM4_VERSION', 'v4.3.1')}): https://helm.sh/docs/intro/install/, and put it on "
                "PATH or pass --helm PATH")
    root = repo_root()
    if root is not None and (root / "ci" / "bootstrap").is_file():
        hint += f"; in this repository's checkout, ci/bootstrap installs the pinned {name} into bin/"
    return hint


KUBERNETES_MISSING = ("the `kubernetes` Python client is not installed: the commands that talk to a cluster "
                      "(audit, credentials) need it; install them with pip install 'aifactory-policy[cluster]' "
                      "(or pip install kubernetes)")


def find_tool(name: str, explicit: Optional[str] = None) -> str:
    """`explicit` path, else <repo>/bin/<name>, else PATH. Missing: EvaluationError naming the fix."""
    if explicit:
        if os.path.isfile(explicit) and os.access(explicit, os.X_OK):
            return explicit
        found = shutil.which(explicit)
        if found:
            return found
        raise EvaluationError(f"{explicit}: not an executable {name}; fix the path, or {install_hint(name)}")
    root = repo_root()
    if root is not None:
        local = root / "bin" / name
        if local.is_file() and os.access(local, os.X_OK):
            return str(local)
    found = shutil.which(name)
    if found:
        return found
    where = f"{root}/bin or PATH" if root else "PATH"
    raise EvaluationError(f"{name} not found in {where}; {install_hint(name)}")


# Helm and OPA are short-lived Go programs that spend much of a small run collecting garbage:
# with the collector off until the heap nears GOMEMLIMIT, `helm template` takes ~40% less time and
# a 1k-workload audit's `opa eval` about half the CPU. On large inputs that grew the heap to the
# limit (a 10k-document scan: 314 MB -> 987 MB, bench/results.md), so callers pass `small=False`
# there: the collector runs, but only when the heap has grown 4x since the last one (GOGC=400).
# Against Go's default (100) that took a 10k-document scan from ~19 s to ~11 s of CPU, at about
# 180 MB per OPA process instead of 140 MB. A GOGC or GOMEMLIMIT the user set wins.
GO_TOOL_ENV = {"GOGC": "off", "GOMEMLIMIT": "1GiB"}
GO_TOOL_ENV_LARGE = {"GOGC": "400"}
SMALL_INPUT_BYTES = 8 * 1024 * 1024


def usable_cpus() -> int:
    """The CPUs this process may run on (a container's limit, not the host's count)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def go_tool_env(small: bool = True) -> dict:
    env = dict(os.environ)
    if "GOGC" not in env and "GOMEMLIMIT" not in env:
        env.update(GO_TOOL_ENV if small else GO_TOOL_ENV_LARGE)
    return env


# Samples, suites and admission manifests under policies/ are test data, not policy data (a rule's
# admission.yaml is the CEL ci/admission_policy.py assembles); lib/testing holds the policy tests'
# fixtures (only *_test.rego imports it). setup.py leaves the same out of the wheel.
IGNORED = ("samples", "*.md", "suite.yaml", "admission.yaml", "*_test.rego", "testing")


def policy_files(policies: Path) -> list[Path]:
    """The files `opa eval -d policies` loads (Rego and data), without what aifactory_policy.opa
    tells OPA to ignore (IGNORED: samples, tests, suites, docs), sorted."""
    import fnmatch
    out = []
    for p in sorted(policies.rglob("*")):
        rel = p.relative_to(policies)
        if (p.is_file() and p.suffix in (".rego", ".json", ".yaml", ".yml")
                and not any(fnmatch.fnmatch(part, pat) for part in rel.parts for pat in IGNORED)):
            out.append(p)
    return out


def policy_digest(policies: Path) -> str:
    """sha256 over the policy files' relative paths and bytes: the same policy set, the same digest,
    whether read from a checkout or from an installed package."""
    import hashlib
    h = hashlib.sha256()
    for p in policy_files(policies):
        h.update(p.relative_to(policies).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def version_text(version: str) -> str:
    """`aifactory-policy --version`: the package version and the policy set it evaluates."""
    from .rule_catalogue import CATALOGUE
    from .rule_ids import ranges as _ranges
    lines = [f"aifactory-policy {version}"]
    ids = sorted(CATALOGUE)
    try:
        pol = policies_dir()
    except EvaluationError:
        lines.append(f"policies: {len(ids)} rules ({_ranges(ids)}); policy files not found")
    else:
        lines.append(f"policies: {len(ids)} rules ({_ranges(ids)}), sha256:{policy_digest(pol)[:16]} "
                     f"({len(policy_files(pol))} files in {pol})")
    return "\n".join(lines) + "\n"
