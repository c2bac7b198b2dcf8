"""Go modules at pinned versions, through the Go module proxy into Go's own module cache (outside
the checkout): the tests' way to read material nobody here wrote (public charts, projects' examples)."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest


def download(work: Path, module_path: str, modules: list[str]) -> dict[str, Path]:
    """{"module@version": its directory} for each of `modules`, fetched in a throwaway module at
    `work`; a module the proxy does not serve fails the test, saying so."""
    subprocess.run(["go", "mod", "init", module_path], cwd=work, capture_output=True, check=True, timeout=60)
    proc = subprocess.run(["go", "mod", "download", "-json", *modules], cwd=work, capture_output=True, text=True,
                          timeout=900, env={**os.environ, "GOFLAGS": "-mod=mod"})
    decoder, text, found = json.JSONDecoder(), proc.stdout.strip(), {}
    while text:
        info, end = decoder.raw_decode(text)
        text = text[end:].lstrip()
        if info.get("Error") or not info.get("Dir"):
            pytest.fail(f"go mod download {info.get('Path')}@{info.get('Version')} failed (the Go module proxy "
                        f"must be reachable): {info.get('Error')}")
        found[f"{info['Path']}@{info['Version']}"] = Path(info["Dir"])
    assert sorted(found) == sorted(modules), (found, proc.stderr[-1500:])
    return found
