"""`scan` over files and folders: exit codes, symlinks, missing tools. Hostile files (bombs, binary,
bad encodings, YAML errors) beside good ones are the catalogue in test_hostile_inputs.py."""
import json
import os

import pytest

from fake_credentials import FAKE_ACCESS
from helpers import mini, write

MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: agent
  namespace: ai
spec:
  replicas: 3
"""


def scan(cli, *args):
    return cli(*mini("scan", *args))


def test_clean_folder_exit_0(cli, tmp_path):
    write(tmp_path / "a.yaml", "remoteControl:\n  enabled: false\n")
    write(tmp_path / "sub" / "b.json", '{"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "x"}}')
    write(tmp_path / "notes.txt", f"ignored: {FAKE_ACCESS}")
    r = scan(cli, tmp_path, "--format", "json")
    assert r.code == 0, r.err
    summary = json.loads(r.out)["summary"]
    assert summary["files"] == 2 and summary["documents"] == 4


def test_findings_exit_1_with_line_and_resource(cli, tmp_path):
    path = write(tmp_path / "m.yaml", "---\n" + MANIFEST)
    r = scan(cli, path, "--format", "json")
    assert r.code == 1
    [f] = json.loads(r.out)["findings"]
    assert (f["rule"], f["line"], f["resource"], f["path"]) == ("AIF006", 8, "Deployment/ai/agent", "spec.replicas")


def test_multi_document_lines(cli, tmp_path):
    path = write(tmp_path / "m.yaml", "a: 1\n---\n" + MANIFEST + "---\nx: [1, 2]\n")
    [f] = json.loads(scan(cli, path, "--format", "json").out)["findings"]
    assert f["line"] == 9


def test_cross_document_finding(cli, tmp_path):
    for n in "ab":
        write(tmp_path / f"{n}.yaml", "remoteControl:\n  credentialsSecretName: shared\n")
    r = scan(cli, tmp_path, "--format", "json")
    assert r.code == 1
    [f] = json.loads(r.out)["findings"]
    assert f["rule"] == "AIF005" and f["file"].endswith("a.yaml") and "b.yaml" in f["message"]


def test_one_opa_process_for_many_files(cli, tmp_path, monkeypatch):
    import subprocess
    calls = []
    real = subprocess.run

    def counting(cmd, *a, **kw):
        calls.append(cmd[0])
        return real(cmd, *a, **kw)

    monkeypatch.setattr(subprocess, "run", counting)
    for i in range(30):
        write(tmp_path / f"f{i}.yaml", MANIFEST)
    r = scan(cli, tmp_path)
    assert r.code == 1
    assert len(calls) == 1


def test_empty_documents_are_fine(cli, tmp_path):
    write(tmp_path / "e.yaml", "---\n---\n# nothing\n")
    write(tmp_path / "empty.yml", "")
    assert scan(cli, tmp_path).code == 0


def test_huge_file(cli, tmp_path, monkeypatch):
    from aifactory_policy import yamlio
    monkeypatch.setattr(yamlio, "MAX_BYTES", 100)
    write(tmp_path / "big.yaml", "a: " + "x" * 200)
    r = scan(cli, tmp_path)
    assert r.code == 2 and "byte limit" in r.err


def test_missing_path_exit_2(cli, tmp_path):
    r = scan(cli, tmp_path / "nope")
    assert r.code == 2 and "nope" in r.err


def test_unreadable_named_file_exit_2(cli, tmp_path):
    # root reads chmod-000 files, so a FIFO named on the command line stands for "unreadable":
    # it must be refused without ever being opened (opening would block).
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    r = scan(cli, fifo)
    assert r.code == 2 and "not a regular file" in r.err


def test_symlinks_never_leave_the_tree(cli, tmp_path):
    outside = write(tmp_path / "outside" / "secret.yaml", f"token: {FAKE_ACCESS}\n")
    tree = tmp_path / "tree"
    write(tree / "ok.yaml", "a: 1\n")
    (tree / "link.yaml").symlink_to(outside)
    (tree / "linkdir").symlink_to(outside.parent, target_is_directory=True)
    (tree / "loop1.yaml").symlink_to(tree / "loop2.yaml")
    (tree / "loop2.yaml").symlink_to(tree / "loop1.yaml")
    (tree / "inside.yaml").symlink_to(tree / "ok.yaml")
    r = scan(cli, tree, "--format", "json")
    assert r.code == 0, r.out + r.err
    report = json.loads(r.out)
    assert report["summary"]["files"] == 1
    notes = " ".join(report["notes"])
    assert "link.yaml" in notes and "loop1.yaml" in notes and "linkdir" in notes


def test_scan_writes_nothing_next_to_files(cli, tmp_path):
    write(tmp_path / "a.yaml", MANIFEST)
    before = sorted(os.listdir(tmp_path))
    scan(cli, tmp_path, "--format", "sarif")
    assert sorted(os.listdir(tmp_path)) == before


def test_missing_opa_says_what_to_install(cli, tmp_path, monkeypatch):
    write(tmp_path / "a.yaml", "a: 1\n")
    monkeypatch.setenv("AIFACTORY_POLICY_ROOT", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    r = scan(cli, tmp_path)
    assert r.code == 2
    assert "opa not found" in r.err and "Open Policy Agent 1.0 or later" in r.err and "--opa PATH" in r.err
    assert "ci/bootstrap" not in r.err   # a consumer has no script of this repository


def test_missing_policies_dir(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("AIFACTORY_POLICY_ROOT", str(tmp_path))
    r = cli("scan", tmp_path)
    assert r.code == 2 and "--policies" in r.err


def test_broken_policies_exit_2(cli, tmp_path):
    pol = write(tmp_path / "pol" / "batch.rego", "package batch\nfindings contains x if {\n")
    write(tmp_path / "a.yaml", "a: 1\n")
    r = cli("scan", tmp_path / "a.yaml", "--policies", pol.parent)
    assert r.code == 2 and "opa eval failed" in r.err


def test_usage_error_exit_2(cli):
    assert cli("scan").code == 2
    assert cli("frobnicate").code == 2


@pytest.mark.parametrize("path, line", [("line 3", 3), ("lines[0]", 1), ("aifactoryRawText.lines[4]", 5),
                                        ("spec.x", None), (None, None)])
def test_raw_text_paths_to_lines(path, line):
    from aifactory_policy.documents import raw_line
    assert raw_line(path) == line
