"""`check` with the real Helm on a miniature chart: schema, guards, render, Helm failures."""
import json

import pytest

from helpers import MINI_CHART, mini, write


def check(cli, *args):
    return cli(*mini("check", MINI_CHART, *args))


def test_clean_chart_passes(cli):
    r = check(cli)
    assert r.code == 0, r.err
    assert "passed" in r.out


def test_rendered_finding_reports_template_file(cli):
    r = check(cli, "--set", "strategy=RollingUpdate", "--format", "json")
    assert r.code == 0  # a warning only
    [f] = json.loads(r.out)["findings"]
    assert f["rule"] == "AIF006" and f["severity"] == "warning"
    assert f["file"].endswith("tests/data/chart/templates/deployment.yaml")
    assert f["resource"] == "Deployment/default/aifactory-mini"


def test_rendered_error_exit_1(cli):
    r = check(cli, "--set", "replicaCount=2", "--format", "json")
    assert r.code == 1
    assert [f["rule"] for f in json.loads(r.out)["findings"]] == ["AIF006"]


def test_schema_violation_is_finding_not_failure(cli, tmp_path):
    vf = write(tmp_path / "v.yaml", "# comment\nremoteControl:\n  enabled: true\n  mode: sometimes\n")
    r = check(cli, "-f", vf, "--format", "json")
    assert r.code == 1, r.err
    found = json.loads(r.out)["findings"]
    aif100 = [f for f in found if f["rule"] == "AIF100"]
    assert len(aif100) == 1, "Helm's own schema error must not duplicate Python's"
    assert aif100[0]["file"] == str(vf) and aif100[0]["line"] == 4 and aif100[0]["path"] == "remoteControl.mode"


def test_guard_errors_become_aif101(cli, tmp_path):
    vf = write(tmp_path / "v.yaml", "remoteControl:\n  enabled: true\nreplicaCount: 2\n")
    r = check(cli, "-f", vf, "--format", "json")
    assert r.code == 1, r.err
    found = json.loads(r.out)["findings"]
    assert [f["rule"] for f in found] == ["AIF101", "AIF101"]
    by_path = {f["path"]: f for f in found}
    assert by_path["replicaCount"]["line"] == 3 and by_path["replicaCount"]["file"] == str(vf)
    assert by_path["remoteControl.credentialsSecretName"]["message"].startswith("ERROR: remoteControl.credentialsSecretName")


def test_values_file_checked_as_text_and_yaml(cli, tmp_path):
    vf = write(tmp_path / "v.yaml", "# old: sk-ant-oat01-FAKEcommented\nremoteControl:\n  enabled: false\n")
    r = check(cli, "-f", vf, "--format", "json")
    assert r.code == 1
    [f] = json.loads(r.out)["findings"]
    assert (f["rule"], f["file"], f["line"]) == ("AIF001", str(vf), 1)
    assert "FAKEcommented" not in r.out


@pytest.mark.parametrize("major", ["3", "4"])
def test_both_helm_majors(cli, major):
    r = check(cli, "--helm-major", major, "--set", "replicaCount=2")
    assert r.code == 1, r.err


def test_other_helm_failure_is_exit_2(cli, tmp_path):
    chart = tmp_path / "broken"
    write(chart / "Chart.yaml", "apiVersion: v2\nname: broken\nversion: 0.1.0\n")
    write(chart / "templates" / "x.yaml", "{{ .Values.a.b.c }\n")
    r = cli(*mini("check", chart))
    assert r.code == 2
    assert "helm template" in r.err and "broken" in r.err


def test_invalid_values_schema_is_exit_2_every_time(cli, tmp_path):
    """The metaschema check is remembered per schema text: the valid chart checked earlier in this
    process does not vouch for a broken copy, nor one broken copy for another."""
    assert check(cli).code == 0
    for n, broken in enumerate(['{"type": 5}', '{"properties": []}']):
        chart = tmp_path / f"c{n}"
        for f in MINI_CHART.rglob("*"):
            if f.is_file():
                write(chart / f.relative_to(MINI_CHART), f.read_bytes())
        write(chart / "values.schema.json", broken)
        r = cli(*mini("check", chart))
        assert r.code == 2 and "values.schema.json: not a valid JSON Schema" in r.err and "fix the chart" in r.err


def test_not_a_chart(cli, tmp_path):
    r = cli(*mini("check", tmp_path))
    assert r.code == 2 and "no Chart.yaml" in r.err


@pytest.mark.parametrize("bad, needle", [
    ("dup", "duplicate key 'a'"),
    ("dir", "is a directory"),
    ("missing", "cannot read"),
])
def test_unreadable_values_file_exit_2(cli, tmp_path, bad, needle):
    path = tmp_path / "v.yaml"
    if bad == "dup":
        write(path, "a: 1\na: 2\n")
    elif bad == "dir":
        path.mkdir()
    r = check(cli, "-f", path)
    assert r.code == 2 and needle in r.err and str(path) in r.err


def test_bad_set_syntax_exit_2(cli):
    r = check(cli, "--set", "a[x]=1")
    assert r.code == 2 and "--set" in r.err


def test_missing_helm_says_what_to_install(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("AIFACTORY_POLICY_ROOT", str(tmp_path))  # a checkout without bin/
    monkeypatch.setenv("PATH", str(tmp_path))
    r = check(cli)
    assert r.code == 2
    assert "helm not found" in r.err and "install Helm 3 or 4" in r.err and "--helm PATH" in r.err
    assert "ci/bootstrap" not in r.err   # a consumer has no script of this repository
