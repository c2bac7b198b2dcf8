"""The CHART argument of `check`, as Helm takes it: a chart folder, a packaged chart (.tgz), or a
reference Helm pulls (oci://registry/repo/chart, an https:// URL of a .tgz).

A packaged or pulled chart is unpacked into a temporary folder, so its values.yaml and
values.schema.json are read as a folder's are; Helm renders the archive itself. Findings name
the chart as the user gave it (`aifactory-0.1.0.tgz/templates/deployment.yaml`).
"""
from __future__ import annotations

import os
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from .findings import EvaluationError
from .tools import go_tool_env

PULL_TIMEOUT = 300
# Helm refuses charts that decompress to more than 100 MiB (--max-chart-size's default in Helm 4
# and 3.17+); the same bound here keeps an archive from filling the disk.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024


@dataclass
class Chart:
    folder: str   # where Chart.yaml, values.yaml and values.schema.json are read
    render: str   # what `helm template` is given
    label: str    # how reports name it


def is_remote(chart: str) -> bool:
    return "://" in chart


def is_archive(chart: str) -> bool:
    return chart.endswith((".tgz", ".tar.gz")) and os.path.isfile(chart)


def pull(helm: str, ref: str, version: Optional[str], plain_http: bool, dest: str) -> str:
    """`helm pull REF` into dest, with the user's Helm configuration (registry logins, repositories)."""
    os.makedirs(dest, exist_ok=True)
    cmd = [helm, "pull", ref, "--destination", dest]
    if version:
        cmd += ["--version", version]
    if plain_http:
        cmd.append("--plain-http")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=PULL_TIMEOUT, env=go_tool_env(),
                              stdin=subprocess.DEVNULL, check=False)
    except subprocess.TimeoutExpired:
        raise EvaluationError(f"helm pull {ref} timed out after {PULL_TIMEOUT} s; check the registry") from None
    if proc.returncode != 0:
        detail = proc.stderr.strip() or "exit status without output"
        hint = "" if plain_http or not ref.startswith("oci://") else \
            "; a registry serving plain HTTP needs --plain-http"
        raise EvaluationError(f"helm pull {ref} failed: {detail}\n  check the reference, --version and your "
                              f"`helm registry login`{hint}; reproduce with: {' '.join(cmd)}")
    archives = sorted(Path(dest).glob("*.tgz"))
    if len(archives) != 1:
        raise EvaluationError(f"helm pull {ref} left {len(archives)} archives, expected one")
    return str(archives[0])


def unpack(archive: str, dest: str, label: str) -> str:
    """The chart folder inside a packaged chart (its one top-level folder holding Chart.yaml)."""
    try:
        with tarfile.open(archive, "r:*") as tar:
            members = tar.getmembers()
            if sum(m.size for m in members if m.isfile()) > MAX_UNPACKED_BYTES:
                raise EvaluationError(f"{label}: unpacks to more than {MAX_UNPACKED_BYTES} bytes; not a chart Helm "
                                      "would load")
            safe = [m for m in members if (m.isfile() or m.isdir()) and not os.path.isabs(m.name)
                    and ".." not in Path(m.name).parts]
            if hasattr(tarfile, "data_filter"):
                tar.extractall(dest, members=safe, filter="data")
            else:  # Python without extraction filters: regular files and folders only, names checked above
                tar.extractall(dest, members=safe)  # noqa: S202
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise EvaluationError(f"{label}: not a readable chart archive ({exc}); pass a chart folder, a .tgz "
                              "from `helm package`, or an oci:// reference") from None
    tops = [p for p in Path(dest).iterdir() if (p / "Chart.yaml").is_file()]
    if len(tops) != 1:
        raise EvaluationError(f"{label}: no chart inside (expected one folder with Chart.yaml, as `helm package` "
                              "makes)")
    return str(tops[0])


def materialize(chart: str, tmp: str, helm: str, version: Optional[str] = None, plain_http: bool = False) -> Chart:
    """A packaged or remote chart made readable in tmp; a folder is returned as it is."""
    if is_remote(chart):
        archive = pull(helm, chart, version, plain_http, os.path.join(tmp, "pulled"))
        label = chart + (f":{version}" if version and chart.startswith("oci://") and ":" not in
                         chart.split("/")[-1] else "")
        return Chart(unpack(archive, os.path.join(tmp, "chart"), label), archive, label)
    if version or plain_http:
        raise EvaluationError("--version and --plain-http apply to a chart Helm pulls (oci://, https://), "
                              f"not to {chart}")
    if is_archive(chart):
        return Chart(unpack(chart, os.path.join(tmp, "chart"), chart), chart, chart)
    return Chart(chart, chart, chart)
