"""Every command x every format on inputs full of tokens: nothing prints a secret part (stdout,
stderr, report files). And the CLI is safe on an untrusted repository: it runs nothing from it,
follows no symlink out of it, and writes nothing into it (tree snapshot before/after)."""
from __future__ import annotations

import hashlib
import json
import os

import pytest

from aifactory_policy.reporters import FORMATS
from fake_credentials import FAKE_ACCESS, FAKE_REFRESH, fake_credentials_b64, fake_credentials_json, leaked
from helpers import DATA, REPO, write
from image_builder import docker_save, layer_tar

TOKEN_PARTS = ("FAKEaccessTOKEN", "FAKErefreshTOKEN", "FAKEapiKEY")


@pytest.fixture(scope="module")
def laden(tmp_path_factory):
    d = tmp_path_factory.mktemp("laden")
    write(d / "repo" / "values.yaml", f"# {FAKE_ACCESS}\nremoteControl:\n  enabled: false\nnote: '{FAKE_REFRESH}'\n"
                                      f"blob: {fake_credentials_b64()}\nblock: |\n  {fake_credentials_json()}\n")
    write(d / "repo" / "secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: c\n"
                                      f"data:\n  credentials.json: {fake_credentials_b64()}\n")
    write(d / "repo" / "bad.yaml", f"k: {FAKE_ACCESS}\nk: {FAKE_REFRESH}\n")   # error path quotes the file
    write(d / "repo" / "creds.json", fake_credentials_json())
    write(d / "repo" / "both.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: both\n"
                                    f"stringData:\n  raw: '{fake_credentials_json()}'\n")
    docker_save(d / "image.tar", [layer_tar({"home/nonroot/.claude/.credentials.json": fake_credentials_json().encode(),
                                             "app/env.sh": f"T={FAKE_REFRESH}\n".encode()})])
    return d


def commands(d):
    return {
        "scan": ["scan", d / "repo"],
        # --set values are quoted as the origin of findings: a guard, a schema error and a finding
        "check": ["check", REPO / "charts" / "aifactory", "-f", d / "repo" / "values.yaml",
                  "--set", f"podAnnotations.t={FAKE_ACCESS}", "--set-string", f"remoteControl.mode={FAKE_REFRESH}",
                  "--set", f"agent.extraEnv[0].name=T,agent.extraEnv[0].value={FAKE_ACCESS}"],
        "audit": ["audit", "--from-dump", DATA / "audit" / "planted", "--now", "2025-06-30T12:00:00Z"],
        "scan-image": ["scan-image", d / "image.tar"],
    }


@pytest.mark.parametrize("to_file", [False, True], ids=["stdout", "output-file"])
@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("command", ["scan", "check", "audit", "scan-image"])
def test_no_command_or_format_prints_a_token(cli, reuse_tool_results, laden, tmp_path, command, fmt, to_file):
    out_file = tmp_path / f"report.{fmt}"
    args = commands(laden)[command] + ["--format", fmt] + (["--output", out_file] if to_file else [])
    r = cli(*args)
    assert r.code in (1, 2), r.err
    everything = r.out + r.err + (out_file.read_text() if to_file else "")
    assert "AIF" in everything
    assert not [p for p in TOKEN_PARTS if p in everything] and not leaked(everything), everything[:2000]


def snapshot(root) -> dict[str, str]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            digest = ""
            if os.path.isfile(p) and not os.path.islink(p):
                with open(p, "rb") as fh:
                    digest = hashlib.sha256(fh.read()).hexdigest()
            out[os.path.relpath(p, root)] = f"{st.st_mode:o} {st.st_size} {digest} {st.st_mtime_ns}"
    return out


def test_untrusted_repository_is_only_read(cli, tmp_path):
    repo = tmp_path / "repo"
    outside = write(tmp_path / "outside" / "secret.yaml", f"token: {FAKE_ACCESS}\n")
    marker = tmp_path / "executed"
    # a chart whose plugin and post-renderer would leave a marker if anything ran them
    chart = repo / "chart"
    write(chart / "Chart.yaml", "apiVersion: v2\nname: evil\nversion: 0.1.0\n")
    write(chart / "values.yaml", "a: 1\n")
    write(chart / "templates" / "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")
    write(chart / "plugins" / "evil" / "plugin.yaml",
          f"name: evil\nversion: 0.1.0\ncommand: touch {marker}\nhooks:\n  install: touch {marker}\n")
    write(chart / "templates" / "NOTES.txt", "hello\n")
    hook = write(repo / ".git" / "hooks" / "post-checkout", f"#!/bin/sh\ntouch {marker}\n")
    hook.chmod(0o755)
    write(repo / "values.yaml", f"x: !!python/object/apply:os.system ['touch {marker}']\n")
    write(repo / "run.yaml", f"y: !!python/name:os.system ''\n")
    (repo / "link.yaml").symlink_to(outside)
    (repo / "linkdir").symlink_to(outside.parent, target_is_directory=True)
    before = snapshot(repo)
    cwd = os.getcwd()
    os.chdir(repo)           # a CLI run from inside the untrusted checkout
    try:
        scanned = cli("scan", repo, "--format", "json")
        checked = cli("check", chart, "-f", repo / "values.yaml", "--format", "sarif")
    finally:
        os.chdir(cwd)
    assert scanned.code == 0, scanned.err                        # python tags are read as text, as kubectl does
    assert "AIF001" not in {f["rule"] for f in json.loads(scanned.out)["findings"]}  # the token outside was never read
    assert "symlink leads outside" in scanned.out
    assert checked.code in (0, 1), checked.err
    assert not marker.exists()
    assert snapshot(repo) == before
