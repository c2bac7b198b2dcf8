"""scan-image on images made by the real Docker (cluster stage: needs dockerd, no registry):
one image with credentials baked in, one that deletes them in a later layer (docker commit),
both `docker save`d. The deleted file is still in the image and must still be reported."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from fake_credentials import fake_credentials_json, leaked

pytestmark = pytest.mark.cluster

CACHE = Path(os.environ.get("AIFACTORY_CACHE", Path.home() / ".cache" / "aifactory-chart"))
BASE = CACHE / "images" / "busybox.tag"


def docker(*args: str, timeout: int = 300) -> str:
    proc = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, check=False)
    assert proc.returncode == 0, f"docker {' '.join(args)}: {proc.stderr}"
    return proc.stdout.strip()


@pytest.fixture(scope="module")
def base_image() -> str:
    if not shutil.which("docker"):
        pytest.fail("docker is missing: ci/cluster/docker-up installs and starts it")
    tag = BASE.read_text().strip() if BASE.exists() else "aifactory/busybox:1.35.0"
    docker("image", "inspect", tag)
    return tag


@pytest.fixture(scope="module")
def images(base_image, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("img")
    run = uuid.uuid4().hex[:8]
    baked, deleted = f"aifactory-e2e/baked:{run}", f"aifactory-e2e/deleted:{run}"
    claude = tmp / "root" / "tmp" / ".claude"
    claude.mkdir(parents=True)
    (claude / ".credentials.json").write_text(fake_credentials_json())
    c1, c2 = f"scan-{run}-1", f"scan-{run}-2"
    try:
        docker("create", "--name", c1, base_image, "true")
        docker("cp", str(claude.parent), f"{c1}:/")       # a layer with the file, no env, no build args
        docker("commit", c1, baked)
        docker("run", "--name", c2, baked, "/bin/busybox", "rm", "-rf", "/tmp/.claude")   # a later layer deletes it
        docker("commit", c2, deleted)
        docker("save", "-o", str(tmp / "baked.tar"), baked)
        docker("save", "-o", str(tmp / "deleted.tar"), deleted)
        yield tmp / "baked.tar", tmp / "deleted.tar"
    finally:
        subprocess.run(["docker", "rm", "-f", c1, c2], capture_output=True, timeout=60, check=False)
        subprocess.run(["docker", "rmi", "-f", deleted, baked], capture_output=True, timeout=60, check=False)


def scan(cli, tmp_path, tar):
    out = tmp_path / "r.json"
    res = cli("scan-image", tar, "--format", "json", "--output", out)
    return res, json.loads(out.read_text())


def test_baked_credentials_found(cli, tmp_path, images):
    res, report = scan(cli, tmp_path, images[0])
    assert res.code == 1
    [f] = [f for f in report["findings"] if f["rule"] == "AIF301"]
    assert f["path"] == "/tmp/.claude/.credentials.json" and "whiteout" not in f["message"]
    assert leaked(res.out + res.err + json.dumps(report)) == []


def test_deleted_in_later_layer_still_found(cli, tmp_path, images):
    res, report = scan(cli, tmp_path, images[1])
    assert res.code == 1
    [f] = [f for f in report["findings"] if f["rule"] == "AIF301"]
    assert f["path"] == "/tmp/.claude/.credentials.json"
    assert "deleted by a later layer's whiteout, but still in the image" in f["message"]
