"""Manifests this project did not write: kube-score's test data (the Go module
github.com/zegl/kube-score at KUBE_SCORE_VERSION, from the Go module proxy into Go's module cache;
nothing is committed). 178 files, 441 documents of ordinary workloads, none touching Claude
credentials:
- scanned as they are, they give no finding and no failure: AIF004/AIF007 stay scoped to what holds
  the credentials, nothing is mistaken for credential material, every document is read;
- with the Remote Control annotation added to every pod template, the rules apply to them: the ones
  that miss the restricted Pod Security Standard get AIF004.
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from helpers import REPO, yaml_docs

VERSION = next(line.split("=", 1)[1].split()[0] for line in (REPO / "ci" / "versions.env").read_text().splitlines()
               if line.startswith("KUBE_SCORE_VERSION="))


@pytest.fixture(scope="module")
def peer_files(tmp_path_factory) -> list[Path]:
    work = tmp_path_factory.mktemp("gomod")
    subprocess.run(["go", "mod", "init", "peer.local/manifests"], cwd=work, capture_output=True, check=True, timeout=60)
    proc = subprocess.run(["go", "mod", "download", "-json", f"github.com/zegl/kube-score@{VERSION}"], cwd=work,
                          capture_output=True, text=True, timeout=300, env={**os.environ, "GOFLAGS": "-mod=mod"})
    if proc.returncode != 0:
        pytest.fail(f"go mod download github.com/zegl/kube-score@{VERSION} failed (the Go module proxy must be "
                    f"reachable):\n{proc.stdout[-1500:]}{proc.stderr[-1500:]}")
    root = Path(json.loads(proc.stdout)["Dir"])
    files = sorted(p for p in root.rglob("*") if "testdata" in p.parts and p.suffix in (".yaml", ".yml"))
    assert len(files) > 100, f"kube-score {VERSION} has {len(files)} testdata manifests: the layout changed"
    return files


def scan(cli, paths) -> dict:
    result = cli("scan", *paths, "--format", "json")
    assert result.code in (0, 1), result.err
    return json.loads(result.out)


def test_ordinary_manifests_give_no_finding_and_no_failure(cli, peer_files):
    report = scan(cli, peer_files)
    assert report["summary"]["files"] == len(peer_files) and report["summary"]["documents"] > 400
    assert report["failures"] == [] and report["findings"] == [], report["findings"][:5]


def test_the_same_workloads_with_remote_control_on_are_judged(cli, peer_files, tmp_path):
    marked = 0
    for i, path in enumerate(peer_files):
        docs = yaml_docs(path.read_text(errors="replace"))
        out = []
        for doc in docs:
            template = (doc.get("spec") or {}).get("template") if isinstance(doc, dict) else None
            if doc.get("kind") in ("Deployment", "StatefulSet", "DaemonSet") and isinstance(template, dict):
                template.setdefault("metadata", {}).setdefault("annotations", {})["aifactory.dev/remote-control"] = "enabled"
                marked += 1
            out.append(doc)
        (tmp_path / f"{i:03d}-{path.name}").write_text(yaml.safe_dump_all(out))
    report = scan(cli, sorted(tmp_path.iterdir()))
    judged = {f["file"] for f in report["findings"] if f["rule"] == "AIF004"}
    print(f"{marked} workloads marked; AIF004 on {len(judged)} files")
    assert marked > 50 and len(judged) > 20, (marked, len(judged))
    assert report["failures"] == []
