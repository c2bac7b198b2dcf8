"""`aifactory-policy scan-image`: docker-save and OCI images built in Python, deleted layers included."""
from __future__ import annotations

import json
import tracemalloc

import pytest

from fake_credentials import fake_credentials_json, leaked, FAKE_REFRESH
from image_builder import docker_save, layer_tar, oci_layout, sha
from aifactory_policy.commands import scan_image

CREDS = "home/nonroot/.claude/.credentials.json"
STATE = "home/nonroot/.claude.json"
BASE = layer_tar({"etc/passwd": b"nonroot:x:65532:65532::/home/nonroot:/bin/sh\n"})
BAKED = layer_tar({CREDS: fake_credentials_json().encode(),
                   STATE: json.dumps({"oauthAccount": {"accountUuid": "fake"}}).encode()})
DELETED = layer_tar({CREDS: None, STATE: None})
TOKEN_IN_SCRIPT = layer_tar({"app/run.sh": f"export CLAUDE_CODE_REFRESH={FAKE_REFRESH}\n".encode()})


def scan(cli, tmp_path, target):
    out = tmp_path / "r.json"
    res = cli("scan-image", target, "--format", "json", "--output", out)
    return res, json.loads(out.read_text()) if out.exists() else None


def test_clean_image(cli, tmp_path):
    res, report = scan(cli, tmp_path, docker_save(tmp_path / "clean.tar", [BASE]))
    assert res.code == 0 and report["findings"] == [] and report["summary"]["documents"] == 1


def test_docker_save_baked_then_deleted(cli, tmp_path):
    res, report = scan(cli, tmp_path, docker_save(tmp_path / "img.tar", [BASE, BAKED, DELETED]))
    assert res.code == 1
    got = sorted((f["rule"], f["path"], f["resource"]) for f in report["findings"])
    assert got == [("AIF301", f"/{CREDS}", f"layer {sha(BAKED)}/layer.tar"),
                   ("AIF302", f"/{STATE}", f"layer {sha(BAKED)}/layer.tar")]
    assert all("deleted by a later layer's whiteout, but still in the image" in f["message"]
               for f in report["findings"])
    assert leaked(res.out + res.err + json.dumps(report)) == []


@pytest.mark.parametrize("packed", [False, True])
def test_oci_layout(cli, tmp_path, packed):
    target = oci_layout(tmp_path / ("oci.tar" if packed else "oci"), [BASE, BAKED, TOKEN_IN_SCRIPT], packed=packed)
    res, report = scan(cli, tmp_path, target)
    assert res.code == 1
    got = sorted((f["rule"], f["path"]) for f in report["findings"])
    assert got == [("AIF301", f"/{CREDS}"), ("AIF302", f"/{STATE}"), ("AIF303", "/app/run.sh")]
    assert all(f["resource"].startswith("layer sha256:") for f in report["findings"])
    assert not any("whiteout" in f["message"] for f in report["findings"])


def test_opaque_whiteout(tmp_path):
    opaque = layer_tar({"home/nonroot/.claude/.wh..wh..opq": b""})
    report = scan_image.scan_images([str(docker_save(tmp_path / "o.tar", [BAKED, opaque]))])
    f = next(f for f in report.findings if f.rule == "AIF301")
    assert "whiteout" in f.message


def test_memory_stays_flat(tmp_path):
    """A layer twice the size of the memory bound: the scan streams it (measured peak: 7 MiB for
    both a 24 MiB and a 64 MiB layer)."""
    big = layer_tar({CREDS: fake_credentials_json().encode()}, big={"opt/model.bin": 32 * 1024 * 1024})
    target = docker_save(tmp_path / "big.tar", [BASE, big])
    del big
    tracemalloc.start()
    report = scan_image.scan_images([str(target)])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    target.unlink()   # pytest keeps recent runs' tmp dirs, which may be in memory (tmpfs)
    assert [f.rule for f in report.findings] == ["AIF301"]
    assert peak < 16 * 1024 * 1024, f"peak {peak} bytes"


def test_not_an_image(cli, tmp_path):
    (tmp_path / "x.tar").write_bytes(b"not a tar")
    assert cli("scan-image", tmp_path / "x.tar").code == 2
    assert cli("scan-image", tmp_path).code == 2
