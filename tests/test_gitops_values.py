"""The chart's values where GitOps users keep them (issue 24 part 2): a Flux HelmRelease, an Argo CD
Application / ApplicationSet, a kustomization's helmCharts, a helmfile release. `check -f FILE` and
`scan` render this chart with the real Helm and report at the GitOps file's lines."""
from __future__ import annotations

import json
import textwrap

import pytest

from helpers import REPO

CHART = str(REPO / "charts" / "aifactory")

RC_ON = {"remoteControl": {"enabled": True, "credentialsSecretName": "claude-creds"}}

# The three bad values of the issue, each as the values of one GitOps object. A marker comment on a
# line names it: the finding must be reported at that line of the GitOps file.
FLUX = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: agents
  namespace: ai
spec:
  interval: 10m
  chart:
    spec:
      chart: aifactory
      sourceRef:
        kind: HelmRepository
        name: aifactory
  values:
{values}
"""

ARGO_STRING = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: agents
spec:
  project: default
  destination:
    namespace: ai
    server: https://kubernetes.default.svc
  source:
    repoURL: https://github.com/example/gitops
    path: charts/aifactory
    targetRevision: main
    helm:
      values: |
{values}
"""

APPSET_OBJECT = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: agents
spec:
  generators:
    - list:
        elements:
          - cluster: prod
  template:
    metadata:
      name: 'agents-{{{{cluster}}}}'
    spec:
      project: default
      destination:
        namespace: ai
        server: https://kubernetes.default.svc
      sources:
        - repoURL: oci://registry.example.com/charts
          chart: aifactory
          targetRevision: 0.1.0
          helm:
            valuesObject:
{values}
"""

KUSTOMIZE = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
helmCharts:
  - name: other-chart
    repo: https://charts.example.com
  - name: aifactory
    repo: https://charts.example.com
    releaseName: agents
    valuesInline:
{values}
"""

HELMFILE = """\
releases:
  - name: agents
    namespace: ai
    chart: ./charts/aifactory
    values:
      - {values_first}
"""

BAD = {
    # the guard: replicaCount > 1 with a mode that shares one login
    "guard": ("AIF101", """\
replicaCount: 3  # <-
remoteControl:
  enabled: true
  credentialsSecretName: claude-creds
  mode: readOnly
"""),
    # a provider switch beside Remote Control
    "provider": ("AIF101", """\
remoteControl:
  enabled: true
  credentialsSecretName: claude-creds
agent:
  extraEnv:  # <-
    - name: CLAUDE_CODE_USE_VERTEX
      value: "1"
"""),
    # a key the schema does not know
    "unknown": ("AIF100", """\
replicaCountt: 2  # <-
"""),
}

GOOD = """\
remoteControl:
  enabled: true
  credentialsSecretName: claude-creds
"""


def indent(values: str, n: int) -> str:
    return textwrap.indent(values, " " * n)


def helmfile(values: str) -> str:
    body = indent(values, 8).lstrip()
    return HELMFILE.format(values_first=body)


SOURCES = {
    "flux": ("helmrelease.yaml", lambda v: FLUX.format(values=indent(v, 4))),
    "argo-values-string": ("application.yaml", lambda v: ARGO_STRING.format(values=indent(v, 8))),
    "applicationset-valuesObject": ("applicationset.yaml", lambda v: APPSET_OBJECT.format(values=indent(v, 14))),
    "kustomize": ("kustomization.yaml", lambda v: KUSTOMIZE.format(values=indent(v, 6))),
    "helmfile": ("helmfile.yaml", helmfile),
}


def marker_line(text: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if line.rstrip().endswith("# <-"))


def report(r) -> dict:
    assert r.code in (0, 1), r.err
    return json.loads(r.out)


@pytest.mark.parametrize("bad", sorted(BAD))
@pytest.mark.parametrize("source", sorted(SOURCES))
def test_check_catches_bad_values_at_the_gitops_line(cli, tmp_path, source, bad):
    name, make = SOURCES[source]
    rule, values = BAD[bad]
    text = make(values)
    f = tmp_path / name
    f.write_text(text)
    out = report(cli("check", CHART, "-f", f, "--format", "json"))
    # one finding, at the GitOps file's line (Helm's own copy of an unknown key, which names no
    # file, is not reported again)
    assert [(x["rule"], x["file"], x["line"]) for x in out["findings"]] == [(rule, str(f), marker_line(text))]
    assert any("checked as values of the chart" in n for n in out["notes"])


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_check_passes_good_values(cli, tmp_path, source):
    name, make = SOURCES[source]
    f = tmp_path / name
    f.write_text(make(GOOD))
    r = cli("check", CHART, "-f", f, "--format", "json")
    assert r.code == 0, r.out
    out = json.loads(r.out)
    assert out["findings"] == []
    # the values reached the render: as many documents as the same values in a values file (with
    # Remote Control on the chart renders more manifests than with its defaults)
    plain = tmp_path / "values.yaml"
    plain.write_text(GOOD)
    same = json.loads(cli("check", CHART, "-f", plain, "--format", "json").out)["summary"]["documents"]
    default = json.loads(cli("check", CHART, "--format", "json").out)["summary"]["documents"]
    assert out["summary"]["documents"] == same > default


def test_argo_parameters_are_set_values_at_their_line(cli, tmp_path):
    text = APPSET_OBJECT.format(values=indent(GOOD, 14)) + textwrap.indent(textwrap.dedent("""\
        parameters:
          - name: replicaCount  # <-
            value: "3"
          - name: remoteControl.mode
            value: readOnly
        """), " " * 12)
    f = tmp_path / "appset.yaml"
    f.write_text(text)
    out = report(cli("check", CHART, "-f", f, "--format", "json"))
    assert [(x["rule"], x["line"]) for x in out["findings"]] == [("AIF101", marker_line(text))]


def test_helmfile_set_and_values_file(cli, tmp_path):
    (tmp_path / "agents-values.yaml").write_text("remoteControl:\n  mode: readOnly\nbogus: 1\n")
    text = helmfile(GOOD) + textwrap.indent(textwrap.dedent("""\
          - agents-values.yaml
          - env/{{ .Environment.Name }}.yaml.gotmpl
        set:
          - name: replicaCount  # <-
            value: 3
        """), "    ")
    f = tmp_path / "helmfile.yaml"
    f.write_text(text)
    out = report(cli("check", CHART, "-f", f, "--format", "json"))
    got = {(x["rule"], x["file"], x["line"]) for x in out["findings"] if x["line"]}
    assert ("AIF100", str(tmp_path / "agents-values.yaml"), 3) in got          # the values file's own line
    # the schema stops the render before the guard: the set value is checked once the file is fixed
    (tmp_path / "agents-values.yaml").write_text("remoteControl:\n  mode: readOnly\n")
    out = report(cli("check", CHART, "-f", f, "--format", "json"))
    assert [(x["rule"], x["file"], x["line"]) for x in out["findings"]] == [("AIF101", str(f), marker_line(text))]
    assert any(n for n in out["notes"] if "gotmpl" in n and "checked without" in n)


def test_flux_values_from_resolved_and_unresolved(cli, tmp_path):
    hr = FLUX.format(values=indent(GOOD, 4)) + textwrap.dedent("""\
          valuesFrom:
            - kind: ConfigMap
              name: agents-values
            - kind: Secret
              name: agents-secret-values
              optional: true
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: agents-values
          namespace: ai
        data:
          values.yaml: |
            replicaCount: 3  # <-
            remoteControl:
              mode: readOnly
        """)
    f = tmp_path / "release.yaml"
    f.write_text(hr)
    out = report(cli("check", CHART, "-f", f, "--format", "json"))
    assert [(x["rule"], x["line"]) for x in out["findings"]] == [("AIF101", marker_line(hr))]
    unresolved = [n for n in out["notes"] if "checked without" in n]
    assert len(unresolved) == 1 and "Secret/agents-secret-values" in unresolved[0] and "(optional)" in unresolved[0]


def test_flux_values_from_another_file_points_at_its_line(cli, tmp_path):
    """A ConfigMap in another file given: the finding is at the key's line in that file; a Secret's
    base64 data has no lines: at the valuesFrom item."""
    import base64
    hr = FLUX.format(values=indent(GOOD, 4)) + "  valuesFrom:\n    - kind: ConfigMap\n      name: v\n"
    cm = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: v\n  namespace: ai\ndata:\n"
          "  values.yaml: |\n    replicaCount: 3  # <-\n    remoteControl:\n      mode: readOnly\n")
    (tmp_path / "hr.yaml").write_text(hr)
    (tmp_path / "cm.yaml").write_text(cm)
    out = report(cli("check", CHART, "-f", tmp_path / "hr.yaml", "-f", tmp_path / "cm.yaml", "--format", "json"))
    assert [(x["rule"], x["file"], x["line"]) for x in out["findings"]] == \
        [("AIF101", str(tmp_path / "cm.yaml"), marker_line(cm))]
    out = report(cli("scan", tmp_path, "--format", "json"))
    assert [(x["rule"], x["file"], x["line"]) for x in out["findings"]] == \
        [("AIF101", str(tmp_path / "cm.yaml"), marker_line(cm))]

    hr = FLUX.format(values=indent(GOOD, 4)) + "  valuesFrom:\n    - kind: Secret  # <-\n      name: v\n"
    data = base64.b64encode(b"replicaCount: 3\nremoteControl:\n  mode: readOnly\n").decode()
    (tmp_path / "hr.yaml").write_text(hr)
    (tmp_path / "cm.yaml").write_text(
        f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: v\ndata:\n  values.yaml: {data}\n")
    out = report(cli("scan", tmp_path, "--format", "json"))
    assert [(x["rule"], x["file"], x["line"]) for x in out["findings"]] == \
        [("AIF101", str(tmp_path / "hr.yaml"), marker_line(hr))]


def test_one_render_per_release(cli, tmp_path):
    """Two HelmReleases of the chart in one file, and an Argo `sources` list with another chart
    beside this one: each release of this chart is checked on its own."""
    good = FLUX.format(values=indent(GOOD, 4))
    bad = FLUX.replace("name: agents", "name: agents-2").format(values=indent(BAD["guard"][1], 4))
    text = good + "---\n" + bad
    f = tmp_path / "hrs.yaml"
    f.write_text(text)
    out = report(cli("check", CHART, "-f", f, "--format", "json"))
    assert [(x["rule"], x["line"]) for x in out["findings"]] == [("AIF101", marker_line(text))]
    assert sum("checked as values of the chart" in n for n in out["notes"]) == 2

    app = ARGO_STRING.split("  source:")[0] + textwrap.dedent("""\
          sources:
            - repoURL: https://charts.example.com
              chart: podinfo
              helm:
                valuesObject: {replicaCount: 3, unknownToUs: 1}
            - repoURL: https://charts.example.com
              chart: aifactory
              helm:
                valuesObject:
                  bogus: 1  # <-
        """).replace("\n", "\n  ").replace("sources:", "  sources:", 1)
    f = tmp_path / "app.yaml"
    f.write_text(app)
    out = report(cli("check", CHART, "-f", f, "--format", "json"))
    assert [(x["rule"], x["line"]) for x in out["findings"]] == [("AIF100", marker_line(app))]


def test_check_refuses_objects_of_another_chart(cli, tmp_path):
    f = tmp_path / "hr.yaml"
    f.write_text(FLUX.replace("chart: aifactory", "chart: podinfo").format(values=indent(BAD["guard"][1], 4)))
    r = cli("check", CHART, "-f", f)
    assert r.code == 2
    assert str(f) in r.err and "aifactory" in r.err and "pass a values file" in r.err


def test_scan_checks_gitops_values_and_passes_other_charts(cli, tmp_path):
    bad = SOURCES["argo-values-string"][1](BAD["provider"][1])
    (tmp_path / "app.yaml").write_text(bad)
    (tmp_path / "other.yaml").write_text(
        FLUX.replace("chart: aifactory", "chart: podinfo").format(values=indent(BAD["guard"][1], 4)))
    out = report(cli("scan", tmp_path, "--format", "json"))
    assert [(x["rule"], x["file"], x["line"]) for x in out["findings"]] == \
        [("AIF101", str(tmp_path / "app.yaml"), marker_line(bad))]


def test_scan_without_such_objects_runs_no_helm(cli, tmp_path, monkeypatch):
    from aifactory_policy import helm

    def no_helm(*a, **k):
        raise AssertionError("helm was run")
    monkeypatch.setattr(helm, "template", no_helm)
    (tmp_path / "other.yaml").write_text(
        FLUX.replace("chart: aifactory", "chart: podinfo").format(values=indent(BAD["guard"][1], 4)))
    (tmp_path / "values.yaml").write_text(BAD["guard"][1])
    r = cli("scan", tmp_path, "--format", "json")
    assert r.code == 0, r.out
    assert not any("checked as values" in n for n in json.loads(r.out)["notes"])


def test_pre_commit_hook_files_pattern_takes_gitops_files():
    """The hook runs `scan` on staged YAML: a HelmRelease, kustomization.yaml or helmfile.yaml is
    YAML to pre-commit's identify, so the hook checks their values with no new flag."""
    import yaml
    from identify import identify
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    hook = next(h for h in hooks if h["id"] == "aifactory-policy-scan")
    assert "scan" in hook["entry"] and "files" not in hook
    for name in ("helmrelease.yaml", "kustomization.yaml", "helmfile.yaml", "application.yml"):
        assert set(hook["types_or"]) & identify.tags_from_filename(name), name


def test_applicationset_generator_templates_are_left_out(cli, tmp_path):
    """`{{ ... }}` in an ApplicationSet's values is filled in per generated Application: not judged
    as text (replicaCount '{{replicas}}' is not a schema error), and listed as not checked."""
    text = APPSET_OBJECT.format(values=indent(GOOD + "replicaCount: '{{{{replicas}}}}'\n".format(), 14))
    text = text.replace("          helm:\n", "          helm:\n            releaseName: 'agents-{{cluster}}'\n")
    assert "releaseName: 'agents-{{cluster}}'" in text
    f = tmp_path / "appset.yaml"
    f.write_text(text)
    r = cli("check", CHART, "-f", f, "--format", "json")
    out = report(r)
    assert r.code == 0 and out["findings"] == [], out["findings"]
    assert any("replicaCount: templated by the ApplicationSet's generators" in n for n in out["notes"])


def test_scan_lists_the_chart_rules_when_it_checks_gitops_values(cli, tmp_path):
    (tmp_path / "app.yaml").write_text(SOURCES["flux"][1](GOOD))
    out = report(cli("scan", tmp_path, "--format", "json"))
    assert {"AIF100", "AIF101"} <= set(out["rules"])
    (tmp_path / "app.yaml").write_text(BAD["guard"][1])
    out = report(cli("scan", tmp_path, "--format", "json"))
    assert "AIF101" not in out["rules"]


def test_scan_without_helm_says_which_release_and_what_to_install(cli, tmp_path, monkeypatch):
    from aifactory_policy import helm
    from aifactory_policy.findings import EvaluationError
    real = helm.find_tool

    def no_helm(name, explicit=None):
        if name.startswith("helm"):
            raise EvaluationError(f"{name} not found in PATH; install Helm")
        return real(name, explicit)
    monkeypatch.setattr(helm, "find_tool", no_helm)
    (tmp_path / "hr.yaml").write_text(SOURCES["flux"][1](GOOD))
    r = cli("scan", tmp_path)
    assert r.code == 2
    assert "HelmRelease agents" in r.out + r.err and "helm not found" in r.out + r.err


def test_flux_chart_ref_to_an_oci_repository_of_the_chart(cli, tmp_path):
    """helm-controller v2's spec.chartRef: the OCIRepository in the same files says which chart."""
    hr = FLUX.replace("""  chart:
    spec:
      chart: aifactory
      sourceRef:
        kind: HelmRepository
        name: aifactory
""", """  chartRef:
    kind: OCIRepository
    name: agents-chart
""").format(values=indent(BAD["guard"][1], 4))
    oci = ("---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\nmetadata:\n  name: agents-chart\n"
           "spec:\n  interval: 10m\n  url: oci://registry.example.com/charts/{name}\n")
    f = tmp_path / "hr.yaml"
    f.write_text(hr + oci.format(name="aifactory"))
    out = report(cli("scan", tmp_path, "--format", "json"))
    assert [(x["rule"], x["line"]) for x in out["findings"]] == [("AIF101", marker_line(hr))]
    f.write_text(hr + oci.format(name="podinfo"))   # another chart: the values are not this chart's
    out = report(cli("scan", tmp_path, "--format", "json"))
    assert out["findings"] == []


def test_argo_path_of_plain_manifests_is_no_chart():
    """`path: apps/aifactory` without `helm:` is a folder of manifests (the syncers sample): no
    release; `charts/aifactory`, or any `.../aifactory` with `helm:`, is the chart."""
    from aifactory_policy import gitops_values

    def releases(source: str) -> list:
        text = ARGO_STRING.split("  source:")[0] + source
        return gitops_values.find([("app.yaml", text)])
    assert releases("  source:\n    repoURL: r\n    path: apps/aifactory\n") == []
    assert len(releases("  source:\n    repoURL: r\n    path: charts/aifactory\n")) == 1
    assert len(releases("  source:\n    repoURL: r\n    path: apps/aifactory\n    helm: {releaseName: a}\n")) == 1
    assert releases("  source:\n    repoURL: r\n    path: charts/other\n    helm: {releaseName: a}\n") == []


@pytest.mark.parametrize("major", (3, 4))
def test_both_helm_majors(cli, tmp_path, major):
    text = SOURCES["flux"][1](BAD["guard"][1])
    f = tmp_path / "hr.yaml"
    f.write_text(text)
    out = report(cli("check", CHART, "-f", f, "--helm-major", major, "--format", "json"))
    assert [(x["rule"], x["line"]) for x in out["findings"]] == [("AIF101", marker_line(text))]


def test_scan_reports_a_token_in_gitops_values_once(cli, tmp_path):
    """A token under spec.values: the scan's AIF001 on the object, not a second one for the value;
    the chart's own refusal of credential material (AIF101) is added."""
    token = "sk-ant-oat01-" + "A" * 95 + "-" + "A" * 8
    values = f"agent:\n  extraEnv:\n    - name: CLAUDE_CODE_OAUTH_TOKEN\n      value: {token}  # <-\n"
    text = SOURCES["flux"][1](values)
    (tmp_path / "hr.yaml").write_text(text)
    r = cli("scan", tmp_path, "--format", "json")
    out = report(r)
    assert [(x["rule"], x["line"]) for x in out["findings"] if x["rule"] == "AIF001"] == [("AIF001", marker_line(text))]
    assert any(x["rule"] == "AIF101" for x in out["findings"])
    assert token not in r.out and token not in r.err
