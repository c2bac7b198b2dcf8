"""Reading YAML: line numbers per dotted path, and every hostile input refused clearly."""
import re

import pytest

from aifactory_policy import yamlio
from aifactory_policy.findings import EvaluationError
from helpers import billion_laughs, write

DOC = """\
# a comment
remoteControl:
  enabled: true
  credentialsSecretName: creds
spec:
  template:
    metadata:
      annotations:
        aifactory.dev/remote-control: enabled
    spec:
      volumes:
        - name: a
        - name: creds
          secret:
            defaultMode: 420
"""


@pytest.fixture(scope="module")
def doc():
    return yamlio.load_text(DOC, "d.yaml").documents[0]


@pytest.mark.parametrize("path, line", [
    ("remoteControl", 2),
    ("remoteControl.credentialsSecretName", 4),
    ("spec.template.spec.volumes[1]", 13),
    ("spec.template.spec.volumes[1].secret.defaultMode", 15),
    ('spec.template.metadata.annotations["aifactory.dev/remote-control"]', 9),
    ("spec.template.spec.volumes[1].secret.missing", 14),   # nearest known ancestor
    ("spec.template.spec.volumes[7]", 11),
    ("nowhere.at.all", 2),                                  # document start
    (None, 2),
])
def test_line_for_path(doc, path, line):
    assert doc.line_for(path) == line


def test_multi_document_and_empty_documents():
    lf = yamlio.load_text("a: 1\n---\n---\n# only a comment\n---\nb: 2\n", "m.yaml")
    assert [d.data for d in lf.documents] == [{"a": 1}, None, None, {"b": 2}]
    assert lf.documents[3].line_for("b") == 6


def test_empty_file(tmp_path):
    assert [d.data for d in yamlio.load_file(str(write(tmp_path / "e.yaml", ""))).documents] == []


def test_json_file_with_lines(tmp_path):
    lf = yamlio.load_file(str(write(tmp_path / "x.json", '{\n  "a": {\n    "b": [1, 2]\n  }\n}\n')))
    assert lf.documents[0].data == {"a": {"b": [1, 2]}}
    assert lf.documents[0].line_for("a.b") == 3


def test_merge_keys():
    lf = yamlio.load_text("base: &b {x: 1, z: 2}\nmine:\n  <<: *b\n  z: 3\n", "m.yaml")
    assert lf.documents[0].data["mine"] == {"x": 1, "z": 3}


def test_uses_libyaml_when_present():
    if getattr(yaml_mod(), "__with_libyaml__", False):
        assert issubclass(yamlio._Loader, yaml_mod().CSafeLoader)


def yaml_mod():
    import yaml
    return yaml


# ---- hostile inputs: each is refused with the file, the line when known, and the fix ----


HOSTILE = {
    "bomb": (billion_laughs(), "YAML bomb"),
    "recursive": ("a: &a [*a, *a]\n", "levels"),
    "deep": ("[" * 3000 + "]" * 3000 + "\n", "nested"),
    "duplicate": ("a: 1\nb: 2\na: 3\n", "h.yaml:3: duplicate key 'a' (first at line 1)"),
    "tabs": ("a:\n\tb: 1\n", "h.yaml:2: YAML syntax error"),
    "syntax": ("a: [1, 2\nb: 3\n", "YAML syntax error"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_text(tmp_path, name):
    text, needle = HOSTILE[name]
    path = write(tmp_path / "h.yaml", text)
    with pytest.raises(EvaluationError) as exc:
        yamlio.load_file(str(path))
    assert needle in str(exc.value).replace(str(tmp_path) + "/", "")


def test_tabs_message_names_the_fix(tmp_path):
    with pytest.raises(EvaluationError, match="tabs"):
        yamlio.load_file(str(write(tmp_path / "t.yaml", "a:\n\tb: 1\n")))


def test_bomb_is_refused_fast(tmp_path):
    import time
    path = write(tmp_path / "b.yaml", billion_laughs())
    start = time.monotonic()
    with pytest.raises(EvaluationError):
        yamlio.load_file(str(path))
    assert time.monotonic() - start < 2


def test_moderate_aliases_are_fine():
    lf = yamlio.load_text("x: &x {a: 1}\nz: [*x, *x, *x]\n", "ok.yaml")
    assert lf.documents[0].data["z"] == [{"a": 1}] * 3


@pytest.mark.parametrize("content, needle", [
    (b"\x00\x01\x02binary\x00", "binary content"),
    (b"a: caf\xe9\n", "not valid UTF-8"),
    (b"\xff\xd8\xff\xe0 jpeg", "not valid UTF-8"),
])
def test_binary_and_non_utf8(tmp_path, content, needle):
    with pytest.raises(EvaluationError, match=needle):
        yamlio.load_file(str(write(tmp_path / "x.yaml", content)))


def test_utf8_bom_is_accepted(tmp_path):
    assert yamlio.load_file(str(write(tmp_path / "bom.yaml", b"\xef\xbb\xbfa: 1\n"))).documents[0].data == {"a": 1}


def test_huge_file(tmp_path, monkeypatch):
    monkeypatch.setattr(yamlio, "MAX_BYTES", 1000)
    with pytest.raises(EvaluationError, match="exceeds the 1000-byte limit.*AIFACTORY_POLICY_MAX_BYTES"):
        yamlio.load_file(str(write(tmp_path / "big.yaml", "a: " + "x" * 2000 + "\n")))


def test_unreadable_directory_as_file(tmp_path):
    # We run as root, so chmod 000 would not stop us reading: a directory stands in for an
    # unreadable file (open() fails the same way for every user).
    (tmp_path / "dir.yaml").mkdir()
    with pytest.raises(EvaluationError, match="is a directory"):
        yamlio.load_file(str(tmp_path / "dir.yaml"))


def test_missing_file(tmp_path):
    with pytest.raises(EvaluationError, match="cannot read"):
        yamlio.load_file(str(tmp_path / "nope.yaml"))


def test_symlink_loop(tmp_path):
    (tmp_path / "a.yaml").symlink_to(tmp_path / "b.yaml")
    (tmp_path / "b.yaml").symlink_to(tmp_path / "a.yaml")
    with pytest.raises(EvaluationError, match="cannot read"):
        yamlio.load_file(str(tmp_path / "a.yaml"))


def test_limits_count_per_document(monkeypatch):
    """A long honest multi-document file is not a bomb: the values and aliases of each document are
    counted alone (before, 200 000 values in a whole file were refused as a YAML bomb)."""
    monkeypatch.setattr(yamlio, "MAX_NODES", 100)
    doc = "a: &a [" + ", ".join(["1"] * 30) + "]\nb: [*a, *a]\n"   # 60 values through aliases
    lf = yamlio.load_text("---\n".join([doc] * 5), "m.yaml")
    assert len(lf.documents) == 5
    with pytest.raises(EvaluationError, match="more than 100 values after expanding aliases"):
        yamlio.load_text("a: &a [" + ", ".join(["1"] * 30) + "]\nb: [*a, *a, *a, *a]\n", "m.yaml")


# Plain scalars as Kubernetes tools read them (sigs.k8s.io/yaml over go-yaml v2: kubectl, Helm);
# test_reads_values_as_helm_does checks every row against the real Helm.
AS_HELM_READS = {
    "a: =": {"a": "="},
    "2024-01-01: x": {"2024-01-01": "x"},
    "a: 2024-01-01T10:00:00Z": {"a": "2024-01-01T10:00:00Z"},
    "a: !Ref x": {"a": "x"},
    "a: !!binary aGVsbG8=": {"a": "hello"},
    "a: !!set {x}": {"a": {"x": None}},
    "a: !!omap [b: 1]": {"a": [{"b": 1}]},
    "a: !!str 1": {"a": "1"},
    "a: on": {"a": True},
    "a: y": {"a": True},
    "on: 1": {"true": 1},
    "a: 0o17": {"a": 15},
    "a: 017": {"a": 15},
    "a: 0x1F": {"a": 31},
    "a: 1_000": {"a": 1000},
    "a: 1e3": {"a": 1000},
    "a: +.5": {"a": 0.5},
    "a: 190:20:30": {"a": "190:20:30"},
    "a: <<": {"a": "<<"},
    "a: !!float 1": {"a": 1},
    "a: !!python/name:os.system ''": {"a": ""},
    "a: 1e999": {"a": "1e999"},
    "1.5: x": {"1.5": "x"},
}


@pytest.mark.parametrize("text", sorted(AS_HELM_READS))
def test_reads_scalars_as_kubernetes_tools(text):
    assert yamlio.load_text(text + "\n", "k.yaml").documents[0].data == AS_HELM_READS[text]


def test_reads_values_as_helm_does(tmp_path):
    """The real Helm (bin/helm) renders every row of AS_HELM_READS, each under its own key, in one
    chart: what it reads is what we read."""
    import json
    import subprocess
    from aifactory_policy.tools import find_tool
    rows = sorted(AS_HELM_READS)
    values = "".join(f"k{i}:\n  {t}\n" for i, t in enumerate(rows))
    write(tmp_path / "c" / "Chart.yaml", "apiVersion: v2\nname: c\nversion: 0.1.0\n")
    write(tmp_path / "c" / "values.yaml", values)
    write(tmp_path / "c" / "templates" / "v.yaml", "{{ toJson .Values }}\n")
    out = subprocess.run([find_tool("helm"), "template", str(tmp_path / "c")], capture_output=True, text=True,
                         check=True).stdout
    helm = json.loads(out.split("\n", 2)[2])   # after "---" and "# Source: ..."
    ours = yamlio.load_text(values, "values.yaml").documents[0].data
    assert ours == helm


@pytest.mark.parametrize("text, needle", [
    ("a: 1\nb: !!int foo\n", "k.yaml:2: cannot read 'foo' as !!int"),
    ("a: .inf\n", "k.yaml:1: .inf is not a number JSON can hold"),
    ("~: x\n", "k.yaml:1: a null mapping key"),
    ("metadata:\n  name: {{ .Values.name }}\n", "looks like a Helm template"),
])
def test_what_kubernetes_tools_refuse_names_the_line(text, needle):
    with pytest.raises(EvaluationError, match=re.escape(needle)):
        yamlio.load_text(text, "k.yaml")
