"""The chart as users get it: `helm package` (real Helm), then what is inside the .tgz.

Artifact Hub and `helm show readme` show the packaged README: a relative link to the repository's
docs would be dead there, so every relative link must resolve inside the package. Chart.yaml
carries what Artifact Hub reads."""
from __future__ import annotations

import re
import subprocess
import tarfile

import pytest
import yaml

from helpers import REPO

CHART = REPO / "charts" / "aifactory"


@pytest.fixture(scope="module")
def package(helm_bin, tmp_path_factory):
    out = tmp_path_factory.mktemp("package")
    subprocess.run([helm_bin, "package", str(CHART), "-d", str(out)], check=True, capture_output=True, timeout=60)
    tgz = next(out.glob("aifactory-*.tgz"))
    with tarfile.open(tgz) as tar:
        return {m.name: (tar.extractfile(m).read() if m.isfile() else b"") for m in tar.getmembers()}


def test_readme_links_resolve_inside_the_package(package):
    readme = package["aifactory/README.md"].decode()
    links = re.findall(r"\]\(([^)#\s]+)", readme)
    assert links, "the README has no links at all: the pattern is wrong"
    for target in links:
        if "://" in target:
            continue
        assert f"aifactory/{target.lstrip('./')}" in package, f"README links to {target}, which the package lacks"


def test_chart_yaml_has_what_artifact_hub_reads(package):
    chart = yaml.safe_load(package["aifactory/Chart.yaml"])
    assert chart["sources"] and chart["maintainers"] and chart["home"]
    annotations = chart["annotations"]
    assert annotations["artifacthub.io/license"] == "Apache-2.0"
    changes = yaml.safe_load(annotations["artifacthub.io/changes"])
    assert changes and all({"kind", "description"} <= set(c) for c in changes)
    images = yaml.safe_load(annotations["artifacthub.io/images"])
    assert {i["name"] for i in images} >= {"agent-service"}
    assert "ci/" not in "".join(package), "chart-testing values must not ship (.helmignore)"
