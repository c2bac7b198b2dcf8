"""The hostile-input catalogue (docs/hostile-inputs.md): each input, the command that meets it, the
exit code and the message: no traceback, and the message names the file. The catalogue runs the
CLI in-process (its main() is the whole program: argument parsing, redaction, exit codes); the
YAML bombs run it in a child process, whose peak memory is measured with wait4, and so does one
case, to show `python -m aifactory_policy` behaves the same."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from fake_credentials import FAKE_ACCESS
from helpers import DUPLICATE_VOLUMES, REPO, billion_laughs, write

MANIFEST = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\ndata:\n  a: b\n"
# beside a hostile file: its one finding (AIF001, a token in a ConfigMap) shows it was still evaluated
GOOD_WITH_FINDING = f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\ndata:\n  a: {FAKE_ACCESS}\n"
RSS_LIMIT_KB = 300 * 1024       # a YAML bomb expanded would need gigabytes


@dataclass
class Case:
    name: str
    make: Callable[[Path], list[str]]   # builds the input under tmp, returns the CLI arguments
    code: int
    needle: str                         # expected in stderr (or stdout for notes)
    names: str | None = "bad"           # the file name the message must mention
    env: dict | None = None
    others_read: bool = True            # a folder scan still reads the good file beside it
    read: bool = False                  # the file is read as kubectl/helm read it (both files evaluated)


def _scan_file(name: str, content: str | bytes):
    def make(tmp: Path) -> list[str]:
        write(tmp / "tree" / name, content)
        write(tmp / "tree" / "good.yaml", GOOD_WITH_FINDING)   # the other files are still checked
        return ["scan", str(tmp / "tree"), "--format", "json"]
    return make


def _empty_documents(tmp: Path) -> list[str]:
    write(tmp / "tree" / "bad.yaml", "---\n---\n# nothing\n---\n" + MANIFEST)
    return ["scan", str(tmp / "tree"), "--format", "json"]


def _fifo(tmp: Path) -> list[str]:
    (tmp / "tree").mkdir()
    os.mkfifo(tmp / "tree" / "bad.yaml")
    return ["scan", str(tmp / "tree")]


def _dir_named_yaml(tmp: Path) -> list[str]:
    (tmp / "bad.yaml").mkdir()
    return ["check", "-f", str(tmp / "bad.yaml")]


def _dangling_named(tmp: Path) -> list[str]:
    (tmp / "bad.yaml").symlink_to(tmp / "missing-target.yaml")
    return ["scan", str(tmp / "bad.yaml")]


def _dangling_in_tree(tmp: Path) -> list[str]:
    write(tmp / "tree" / "good.yaml", MANIFEST)
    (tmp / "tree" / "bad.yaml").symlink_to(tmp / "missing-target.yaml")
    return ["scan", str(tmp / "tree"), "--format", "json"]


def _symlink_loop(tmp: Path) -> list[str]:
    write(tmp / "tree" / "good.yaml", MANIFEST)
    (tmp / "tree" / "bad.yaml").symlink_to(tmp / "tree" / "bad2.yaml")
    (tmp / "tree" / "bad2.yaml").symlink_to(tmp / "tree" / "bad.yaml")
    (tmp / "tree" / "sub").mkdir()
    (tmp / "tree" / "sub" / "up").symlink_to(tmp / "tree", target_is_directory=True)  # directory loop
    return ["scan", str(tmp / "tree"), "--format", "json"]


def _broken_chart(tmp: Path) -> list[str]:
    chart = tmp / "bad"
    write(chart / "Chart.yaml", "apiVersion: v2\nname: bad\nversion: 0.1.0\n")
    write(chart / "values.yaml", "a: 1\n")
    write(chart / "templates" / "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.a \n")
    return ["check", str(chart)]


def _no_helm(tmp: Path) -> list[str]:
    write(tmp / "policies" / "batch" / "batch.rego", "package batch\n\nfindings := set()\n")
    return ["check", str(REPO / "charts" / "aifactory"), "--policies", str(tmp / "policies")]


def _python_tag(tmp: Path) -> list[str]:
    """A tagged sequence is read as the plain list it is (the tag is ignored, nothing constructed)."""
    marker = tmp / "pwned"
    write(tmp / "tree" / "bad.yaml", f"a: !!python/object/apply:os.system ['touch {marker}']\n")
    return ["scan", str(tmp / "tree")]


# kubectl get -o yaml: one List document; its second item holds the token (reported as items[1])
LIST = f"""\
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: ConfigMap
    metadata:
      name: first
    data:
      a: b
  - apiVersion: v1
    kind: ConfigMap
    metadata:
      name: second
    data:
      a: {FAKE_ACCESS}
"""


def _list_kind(tmp: Path) -> list[str]:
    write(tmp / "tree" / "bad.yaml", LIST)
    return ["scan", str(tmp / "tree"), "--format", "json"]


def _alias_bytes_bomb(tmp: Path) -> list[str]:
    """Few values, many bytes: a 64 KiB string through 1000 aliases is 64 MB expanded."""
    big = "x" * 65536
    write(tmp / "tree" / "bad.yaml", f"a: &a {big}\nb: [" + ", ".join(["*a"] * 1000) + "]\n")
    write(tmp / "tree" / "good.yaml", GOOD_WITH_FINDING)
    return ["scan", str(tmp / "tree"), "--format", "json"]


CASES = [
    Case("billion-laughs", _scan_file("bad.yaml", billion_laughs()), 2, "a YAML bomb"),
    Case("recursive-alias", _scan_file("bad.yaml", "a: &a [*a, *a]\n"), 2, "nested deeper than"),
    Case("deep-nesting", _scan_file("bad.yaml", "[" * 5000 + "]" * 5000 + "\n"), 2, "nested"),
    # the limit is per document: the file is read (it counts as scanned), its one document refused
    # (test_multi_document_scale: the other documents of such a file are still evaluated)
    Case("huge-document", _scan_file("bad.yaml", "a: " + "x" * 5000 + "\n"), 2, "byte limit for one document",
         env={"AIFACTORY_POLICY_MAX_BYTES": "4096"}, others_read=False),
    Case("binary", _scan_file("bad.yaml", b"\x7fELF\x02\x01\x01\x00\x00\x00binary"), 2, "binary content"),
    Case("non-utf8", _scan_file("bad.yaml", b"a: caf\xe9\n"), 2, "not valid UTF-8"),
    Case("duplicate-keys", _scan_file("bad.yaml", "a: 1\nb: 2\na: 3\n"), 2, "duplicate key 'a' (first at line 1)"),
    Case("tabs", _scan_file("bad.yaml", "a:\n\tb: 1\n"), 2, "YAML forbids tabs"),
    Case("syntax-error", _scan_file("bad.yaml", "a: [1, 2\nb: 3\n"), 2, "YAML syntax error"),
    Case("empty-document", _empty_documents, 0, "", names=None),
    Case("fifo", _fifo, 2, "not a regular file (device, FIFO or socket)"),
    Case("directory-named-x.yaml", _dir_named_yaml, 2, "is a directory, not a file"),
    Case("dangling-symlink-named", _dangling_named, 2, "cannot read"),
    Case("dangling-symlink-in-tree", _dangling_in_tree, 0, "symlink leads outside"),
    Case("symlink-loops", _symlink_loop, 0, "(or loops); skipped"),
    Case("python-object-tag", _python_tag, 0, "", names=None),
    Case("python-name-tag", _scan_file("bad.yaml", "a: !!python/name:os.system ''\n"), 1, "AIF001", names=None, read=True),
    Case("equals-value", _scan_file("bad.yaml", "a: =\nb: [=, x]\n"), 1, "AIF001", names=None, read=True),
    Case("date-keys", _scan_file("bad.yaml", "2024-01-01: x\nb: 2024-01-01T10:00:00Z\n"), 1, "AIF001", names=None, read=True),
    Case("unusual-tags", _scan_file("bad.yaml", "a: !Ref x\nb: !!binary aGVsbG8=\nc: !!set {x}\nd: !!omap [e: 1]\n"),
         1, "AIF001", names=None, read=True),
    Case("tag-value-mismatch", _scan_file("bad.yaml", "a: 1\nb: !!int foo\n"), 2, "bad.yaml:2: cannot read 'foo' as !!int"),
    Case("infinity", _scan_file("bad.yaml", "a: .inf\n"), 2, "bad.yaml:1: .inf is not a number JSON can hold"),
    # issue 24: what Helm refuses in a values file (tests/test_yaml_like_helm.py measures the rest)
    Case("timestamp-tag", _scan_file("bad.yaml", "rotatedAt: !!timestamp last-tuesday\n"), 2,
         "bad.yaml:1: cannot read 'last-tuesday' as !!timestamp"),
    Case("text-after-separator", _scan_file("bad.yaml", "a: 1\n--- {b: 2}\n"), 2,
         "bad.yaml:2: a line starting with --- followed by '{b: 2}'"),
    Case("yaml-directive", _scan_file("bad.yaml", "%YAML 1.1\n---\na: 1\n"), 2, "bad.yaml:1: a %YAML or %TAG directive"),
    Case("helm-template-file", _scan_file("bad.yaml", "metadata:\n  name: {{ .Values.name }}\n"), 2,
         "looks like a Helm template"),
    Case("duplicate-volume-names", _scan_file("bad.yaml", DUPLICATE_VOLUMES), 2, "bad.yaml: the policies cannot evaluate it"),
    Case("alias-bytes-bomb", _alias_bytes_bomb, 2, "bytes through aliases (a YAML bomb?)"),
    Case("list-kind", _list_kind, 1, "items[1].data.a", names=None),
    Case("broken-chart-template", _broken_chart, 2, "helm template"),
    Case("helm-missing", _no_helm, 2, "helm not found", names=None,
         env={"PATH": "/nonexistent", "AIFACTORY_POLICY_ROOT": "{tmp}"}),
    Case("bad-size-setting", _scan_file("bad.yaml", MANIFEST), 2, "AIFACTORY_POLICY_MAX_BYTES='lots'",
         names=None, env={"AIFACTORY_POLICY_MAX_BYTES": "lots"}, others_read=False),
]


def run_cli(args: list[str], env_extra: dict | None, tmp: Path) -> tuple[int, str, str]:
    """The CLI as a child process (python -m aifactory_policy), from tmp."""
    env = {k: v for k, v in os.environ.items() if k != "AIFACTORY_POLICY_ROOT"}
    env["PYTHONPATH"] = str(REPO / "src")
    for k, v in (env_extra or {}).items():
        env[k] = v.replace("{tmp}", str(tmp))
    proc = subprocess.Popen([sys.executable, "-m", "aifactory_policy", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env, cwd=tmp, text=True)
    try:
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    return proc.returncode, out, err


def assert_outcome(case: Case, args: list[str], code: int, out: str, err: str) -> None:
    assert code == case.code, f"exit {code}\nstdout: {out}\nstderr: {err}"
    assert "Traceback" not in err and "internal error" not in err, err
    assert case.needle in err + out, f"{case.needle!r} not in:\n{err}\n{out}"
    if case.names:
        assert case.names in (err if case.code == 2 else err + out), err
    assert "fix the policies" not in err + out, err
    if case.read:   # the hostile file was read as kubectl would: both files evaluated, nothing failed
        report = json.loads(out)
        assert (report["summary"]["files"], report["summary"]["failures"]) == (2, 0), out
        assert [f["rule"] for f in report["findings"]] == ["AIF001"], out
    if "--format" in args and case.code == 2 and case.others_read:
        report = json.loads(out)   # the good file was read and evaluated; only the hostile one failed
        assert (report["summary"]["files"], report["summary"]["failures"]) == (1, 1), out
        assert [f["rule"] for f in report["findings"]] == ["AIF001"], out


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_input(case: Case, tmp_path, cli, monkeypatch):
    args = case.make(tmp_path)
    monkeypatch.chdir(tmp_path)
    for k, v in (case.env or {}).items():
        monkeypatch.setenv(k, v.replace("{tmp}", str(tmp_path)))
    r = cli(*args)
    assert_outcome(case, args, r.code, r.out, r.err)


def test_child_process_gives_the_same_outcome(tmp_path):
    case = next(c for c in CASES if c.name == "syntax-error")
    args = case.make(tmp_path)
    assert_outcome(case, args, *run_cli(args, case.env, tmp_path))


def test_nothing_from_a_python_tag_is_executed(tmp_path, cli):
    cli(*_python_tag(tmp_path))
    assert not (tmp_path / "pwned").exists()


def _peak_rss_kb(args: list[str], cwd: Path) -> tuple[int, int]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    env.pop("AIFACTORY_POLICY_ROOT", None)
    proc = subprocess.Popen([sys.executable, "-m", "aifactory_policy", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env=env, cwd=cwd)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_maxrss


BOMBS = {"laughs-10x10.yaml": billion_laughs(10, 10), "recursive.yaml": "a: &a [*a, *a]\n",
         "deep-100k.yaml": "[" * 100000 + "]" * 100000,
         # 1 MiB through 5000 aliases: 5 GB expanded, of few values (the node count never trips)
         "bytes-5g.yaml": "a: &a " + "x" * 2 ** 20 + "\nb: [" + ", ".join(["*a"] * 5000) + "]\n"}


def test_bombs_keep_memory_bounded(tmp_path):
    """One child process reads every bomb: its peak RSS bounds each of them, and each is refused."""
    for name, text in BOMBS.items():
        write(tmp_path / name, text)
    out = tmp_path / "report.json"
    code, rss = _peak_rss_kb(["scan", *BOMBS, "--format", "json", "--output", str(out)], tmp_path)
    assert code == 2
    assert rss < RSS_LIMIT_KB, f"peak RSS {rss} KB"
    failures = json.loads(out.read_text())["failures"]   # "FILE:LINE: reason" each
    assert sorted(f.split(":", 1)[0] for f in failures) == sorted(BOMBS), failures


def test_list_items_are_documents_of_their_own(tmp_path, cli):
    """Each item of a List is evaluated alone; its finding says which item, at the item's line."""
    r = cli(*_list_kind(tmp_path))
    (finding,) = json.loads(r.out)["findings"]
    assert (finding["rule"], finding["path"], finding["line"], finding["resource"]) == \
        ("AIF001", "items[1].data.a", 15, "ConfigMap/second")


LATIN1_NAME = b"caf\xe9.yaml"


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "junit"])
def test_non_utf8_file_name_in_every_format(tmp_path, cli, fmt):
    """A Latin-1 file name is scanned and printed (\\xe9) in every format, to stdout and to --output
    (itself a non-UTF-8 name); SARIF's URI holds the name's own bytes (%E9)."""
    tree = tmp_path / "tree"
    tree.mkdir()
    with open(os.path.join(os.fsencode(tree), LATIN1_NAME), "w", encoding="utf-8") as fh:
        fh.write(GOOD_WITH_FINDING)
    out = cli("scan", tree, "--format", fmt)
    assert out.code == 1 and "Traceback" not in out.err and "internal error" not in out.err, out.err
    shown = "caf%E9.yaml" if fmt == "sarif" else "caf\\\\xe9.yaml" if fmt == "json" else "caf\\xe9.yaml"
    assert shown in out.out, out.out
    target = os.fsdecode(os.path.join(os.fsencode(tmp_path), b"report\xff." + fmt.encode()))
    written = cli("scan", tree, "--format", fmt, "--output", target)
    assert written.code == 1 and "Traceback" not in written.err, written.err
    text = Path(target).read_text(encoding="utf-8")
    if fmt == "json":
        assert json.loads(text)["findings"][0]["file"].endswith("caf\\xe9.yaml")
    if fmt == "sarif":
        assert "caf%E9.yaml" in text
    assert "report\\xff" in written.out


def test_catalogue_is_documented():
    doc = (REPO / "docs" / "hostile-inputs.md").read_text(encoding="utf-8")
    missing = [c.name for c in CASES if f"`{c.name}`" not in doc]
    assert not missing, f"add these rows to docs/hostile-inputs.md: {missing}"


def test_token_in_a_hostile_file_is_not_echoed(tmp_path, cli):
    write(tmp_path / "tree" / "bad.yaml", f"a: {FAKE_ACCESS}\na: {FAKE_ACCESS}\n")
    r = cli("scan", tmp_path / "tree")
    assert r.code == 2 and "duplicate key" in r.err
    assert "FAKEaccessTOKEN" not in r.out + r.err
