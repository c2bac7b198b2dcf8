"""What the real Helm reads from values files: `helm template` of a throwaway chart whose one template
renders `toJson .Values` into a ConfigMap, for many values files in few Helm runs.

Every case file's top-level keys start with its own prefix (`k17`, `k17_anchor`), so one run with
every file as `-f` gives each file's values apart. A file Helm refuses stops the run
(`failed to parse FILE: ...`): it is recorded as refused and the run is repeated without it. Files
go in groups of GROUP (a failed run re-reads only its group), two groups at a time: ~350 small
cases cost Helm ~1.5 s.
"""
from __future__ import annotations

import base64
import json
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from aifactory_policy.tools import go_tool_env

REPO = Path(__file__).resolve().parent.parent
HELMS = {"helm3": REPO / "bin" / "helm3", "helm4": REPO / "bin" / "helm4"}

_TEMPLATE = """apiVersion: v1
kind: ConfigMap
metadata:
  name: values
data:
  values: {{ toJson .Values | b64enc | quote }}
"""
_VALUES = re.compile(r'^\s*values: "([A-Za-z0-9+/=]*)"\s*$', re.M)
_REFUSED = re.compile(r"failed to parse (.+?): ")


@dataclass
class Read:
    ok: Optional[bool]          # None: not asked
    value: Any = None          # the file's top-level keys as Helm got them (ok)
    message: str = ""          # Helm's error (not ok)


def make_chart(folder: Path) -> Path:
    """A chart with no values.yaml whose one template shows the values Helm got."""
    (folder / "templates").mkdir(parents=True, exist_ok=True)
    (folder / "Chart.yaml").write_text("apiVersion: v2\nname: show-values\nversion: 0.1.0\n")
    (folder / "templates" / "values.yaml").write_text(_TEMPLATE)
    return folder


def _run(helm: str, chart: Path, files: list[Path]) -> subprocess.CompletedProcess:
    cmd = [str(HELMS[helm]), "template", "t", str(chart)]
    for f in files:
        cmd += ["-f", str(f)]
    return subprocess.run(cmd, capture_output=True, timeout=60, env=go_tool_env())


def _own(values: dict, prefix: str) -> dict:
    return {k: v for k, v in values.items() if k == prefix or k.startswith(prefix + "_")}


def _read_serially(helm: str, chart: Path, files: dict[Path, str]) -> dict[Path, Read]:
    out: dict[Path, Read] = {}
    pending = list(files)
    while pending:
        proc = _run(helm, chart, pending)
        stderr = proc.stderr.decode("utf-8", "replace")
        if proc.returncode == 0:
            m = _VALUES.search(proc.stdout.decode("utf-8", "replace"))
            assert m, proc.stdout[-2000:]
            values = json.loads(base64.b64decode(m.group(1)))
            out.update({f: Read(True, _own(values, files[f])) for f in pending})
            return out
        m = _REFUSED.search(stderr)
        bad = Path(m.group(1)) if m else None
        if bad not in pending:   # a failure that names no file: each file alone
            if len(pending) == 1:
                out[pending[0]] = Read(False, message=stderr.strip())
                return out
            for f in pending:
                out.update(_read_serially(helm, chart, {f: files[f]}))
            return out
        out[bad] = Read(False, message=stderr.strip())
        pending.remove(bad)
    return out


GROUP = 16


def helm_reads(helm: str, chart: Path, files: dict[Path, str], threads: int = 2) -> dict[Path, Read]:
    """{file: what Helm read from it}; `files` maps each values file to its key prefix."""
    items = list(files.items())
    groups = [dict(items[i:i + GROUP]) for i in range(0, len(items), GROUP)]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        results = list(pool.map(lambda group: _read_serially(helm, chart, group), groups))
    merged: dict[Path, Read] = {}
    for r in results:
        merged.update(r)
    return merged


def helm_version(helm: str) -> Optional[str]:
    proc = subprocess.run([str(HELMS[helm]), "version", "--short"], capture_output=True, text=True, timeout=30,
                          env=go_tool_env())
    return proc.stdout.strip() or None
