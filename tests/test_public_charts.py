"""Public Helm charts this project did not write (issue 13, class 5: findings that mean something
outside this chart). Eleven charts of eight projects, at the versions pinned in ci/versions.env
(PUBLIC_CHARTS), come from the Go modules that carry them, through the Go module proxy into Go's
module cache; nothing is committed. None of them touches Claude credentials:
- `check` renders each with its default values and gives no finding and no failure: AIF004 and
  AIF007 stay scoped to what holds the credentials, nothing is mistaken for credential material;
- with the Remote Control annotation on their pod templates the rules do apply to their workloads.
"""
from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
import yaml

import go_modules
from helpers import REPO


def pinned() -> list[tuple[str, str]]:
    """[(module@version, chart folder in the module)] from ci/versions.env."""
    line = next(line for line in (REPO / "ci" / "versions.env").read_text().splitlines()
                if line.startswith("PUBLIC_CHARTS="))
    return [tuple(item.split(":", 1)) for item in shlex.split(line.split("=", 1)[1])[0].split()]


CHARTS = pinned()


@pytest.fixture(scope="module")
def module_dirs(tmp_path_factory) -> dict[str, Path]:
    return go_modules.download(tmp_path_factory.mktemp("gomod"), "public.local/charts",
                               sorted({module for module, _ in CHARTS}))


def chart_id(entry) -> str:
    module, folder = entry
    return f"{module.split('/')[-1]}:{folder.rstrip('/').split('/')[-1]}"


@pytest.mark.parametrize("entry", CHARTS, ids=chart_id)
def test_public_chart_gives_no_finding(cli, module_dirs, entry):
    module, folder = entry
    chart = module_dirs[module] / folder
    assert (chart / "Chart.yaml").is_file(), f"{module} has no chart at {folder}: the layout changed"
    r = cli("check", chart, "--format", "json")
    assert r.code == 0, r.err
    report = json.loads(r.out)
    assert report["summary"]["documents"] > 2 and report["failures"] == [], report["summary"]
    assert report["findings"] == [], [(f["rule"], f["message"][:120]) for f in report["findings"][:5]]


def test_with_remote_control_on_their_workloads_are_judged(cli, module_dirs, tmp_path):
    """The same charts' rendered workloads with the Remote Control annotation added: now they are in
    scope, so the ones missing the restricted Pod Security Standard get AIF004 (some do), and no
    rule but AIF004 and AIF006 fires: the rules are scoped, not switched off."""
    from aifactory_policy import helm
    marked = []
    for module, folder in CHARTS:
        result = helm.template(helm.helm_binary(None, None), str(module_dirs[module] / folder), "x", None, [], [], [],
                               None, [], [])
        assert result.ok, result.stderr[-500:]
        for doc in yaml.load_all(result.stdout, Loader=yaml.CSafeLoader):   # CRDs: megabytes of YAML
            if not isinstance(doc, dict):
                continue
            template = (doc.get("spec") or {}).get("template")
            if doc.get("kind") in ("Deployment", "DaemonSet", "StatefulSet") and isinstance(template, dict):
                meta = template["metadata"] = template.get("metadata") or {}
                meta["annotations"] = {**(meta.get("annotations") or {}), "aifactory.dev/remote-control": "enabled"}
                marked.append(doc)
    assert len(marked) >= 10
    path = tmp_path / "marked.yaml"
    path.write_text(yaml.safe_dump_all(marked))
    r = cli("scan", path, "--format", "json")
    report = json.loads(r.out)
    assert report["failures"] == [], report["failures"]
    flagged = {f["resource"] for f in report["findings"] if f["rule"] == "AIF004"}
    assert flagged, "no rendered workload of eleven public charts missed restricted Pod Security?"
    assert {f["rule"] for f in report["findings"]} - {"AIF004", "AIF006"} == set(), \
        sorted({(f["rule"], f["message"][:100]) for f in report["findings"]})
