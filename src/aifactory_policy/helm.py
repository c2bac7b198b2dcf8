"""Render a chart with the real Helm and classify its failures (guards, schema, other)."""
from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from typing import Optional

from .findings import EvaluationError
from .tools import data_root, find_tool, go_tool_env, install_hint

TIMEOUT = 120
FALLBACK_KUBE_VERSION = "v1.34.0"


@dataclass
class HelmResult:
    ok: bool
    stdout: str
    stderr: str
    command: list[str]


def helm_binary(explicit: Optional[str], major: Optional[int]) -> str:
    if explicit:
        return find_tool("helm", explicit)
    if major == 4:
        return find_tool("helm4")
    if major == 3:
        try:
            return find_tool("helm3")
        except EvaluationError:
            return find_tool("helm")
    return find_tool("helm")


def major(helm: str) -> Optional[int]:
    """The major version of this Helm binary (`helm version`), None when it does not say."""
    try:
        proc = subprocess.run([helm, "version", "--template", "{{.Version}}"], capture_output=True, text=True,
                              timeout=30, env=go_tool_env(), stdin=subprocess.DEVNULL, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.match(r"v?(\d+)\.", proc.stdout.strip())
    return int(m.group(1)) if m else None


def default_kube_version() -> str:
    """KUBERNETES_VERSION from ci/versions.env (the cluster the tests use), else a recent one.

    Helm built with `go install` (as ci/bootstrap does) defaults to Kubernetes v1.20, which the
    chart's kubeVersion constraint rejects; so check always passes --kube-version.
    """
    root = data_root()
    env = root / "ci" / "versions.env" if root else None
    if env and env.is_file():
        m = re.search(r"^KUBERNETES_VERSION=(\S+)", env.read_text(encoding="utf-8"), re.M)
        if m:
            return m.group(1)
    return FALLBACK_KUBE_VERSION


def template(helm: str, chart: str, release: str, namespace: Optional[str], files: list[str],
             sets: list[str], set_strings: list[str], kube_version: Optional[str] = None,
             set_files: list[str] = (), set_jsons: list[str] = ()) -> HelmResult:
    cmd = [helm, "template", release, chart, "--kube-version", kube_version or default_kube_version()]
    if namespace:
        cmd += ["--namespace", namespace]
    for f in files:
        cmd += ["-f", f]
    for s in sets:
        cmd += ["--set", s]
    for s in set_strings:
        cmd += ["--set-string", s]
    for s in set_files:
        cmd += ["--set-file", s]
    for s in set_jsons:
        cmd += ["--set-json", s]
    with tempfile.TemporaryDirectory(prefix="aifactory-helm-") as home:
        env = go_tool_env()
        # Helm's caches and config in a private temp dir: nothing written to the user's tree.
        for var, sub in (("HELM_CACHE_HOME", "cache"), ("HELM_CONFIG_HOME", "config"), ("HELM_DATA_HOME", "data")):
            env.setdefault(var, os.path.join(home, sub))
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, env=env,
                                  stdin=subprocess.DEVNULL, check=False)
        except subprocess.TimeoutExpired:
            raise EvaluationError(f"helm template timed out after {TIMEOUT} s; check the chart for loops") from None
        except OSError as exc:
            raise EvaluationError(f"cannot run {helm} ({exc.strerror}); {install_hint('helm')}") from None
    return HelmResult(proc.returncode == 0, proc.stdout, proc.stderr, cmd)


_GUARD = re.compile(r"ERROR:\s*(.*)$")


def guard_errors(stderr: str) -> list[str]:
    """Messages of chart guard lines (`fail "ERROR: ..."`), in order, without duplicates."""
    out: list[str] = []
    for line in stderr.splitlines():
        m = _GUARD.search(line)
        if m and m.group(1).strip():
            msg = m.group(1).strip()
            if msg not in out:
                out.append(msg)
    return out


@dataclass
class RenderedDoc:
    source: Optional[str]   # "aifactory/templates/deployment.yaml"
    text: str
    start_line: int         # 1-based line in the rendered stream


_SEPARATOR = re.compile(r"^---\s*(#.*)?$")
_SOURCE = re.compile(r"^#\s*Source:\s*(\S.*?)\s*$")


def split_rendered(stream: str) -> list[RenderedDoc]:
    """Split `helm template` output on `---`, keeping each document's `# Source:` template."""
    docs: list[RenderedDoc] = []
    current: list[str] = []
    start = 1
    for n, line in enumerate(stream.splitlines(), start=1):
        if _SEPARATOR.match(line):
            docs.append(_make(current, start))
            current, start = [], n + 1
        else:
            current.append(line)
    docs.append(_make(current, start))
    return [d for d in docs if d.text.strip() and any(
        l.strip() and not l.lstrip().startswith("#") for l in d.text.splitlines())]


def _make(lines: list[str], start: int) -> RenderedDoc:
    source = None
    for l in lines:
        m = _SOURCE.match(l)
        if m:
            source = m.group(1)
            break
    return RenderedDoc(source, "\n".join(lines) + "\n", start)
