"""Example objects nobody here wrote, of the projects whose kinds the rules read (issue 24 part 3):
Flux helm-controller (HelmRelease samples and testdata), Argo CD (ApplicationSet examples, the
operator manual's Application, AppProject and ConfigMap samples), Argo Rollouts (examples and e2e
objects) and Knative Serving (install manifests and test objects), from their own Go modules at the
versions pinned in ci/versions.env (OUTSIDE_EXAMPLES), through the Go module proxy into Go's module
cache; nothing is committed. None of them touches Claude credentials:
- `scan --format json` of each project's plain YAML gives no finding, and no failure but the ones
  listed in NOT_KUBERNETES_YAML (upstream files a Kubernetes client cannot read either);
- the Helm charts among them (files under a Chart.yaml are templates, not YAML) give no finding
  with `check`;
- with the Remote Control annotation on their Rollouts' and Knative Services' pod templates the
  rules do apply to those kinds.
Not taken: Argo CD's test/e2e/testdata (mostly Helm charts, ksonnet and jsonnet apps of its e2e
suite, not example objects) and the charts whose dependencies come from a chart repository
(prometheus-operator in the ApplicationSet examples: `helm dependency build` needs the network).
"""
from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
import yaml

import go_modules
from helpers import REPO, yaml_docs


def pinned() -> dict[str, tuple[str, list[str]]]:
    """{project: (module@version, [folders in the module])} from ci/versions.env."""
    line = next(line for line in (REPO / "ci" / "versions.env").read_text().splitlines()
                if line.startswith("OUTSIDE_EXAMPLES="))
    out = {}
    for item in shlex.split(line.split("=", 1)[1])[0].split():
        name, rest = item.split("=", 1)
        module, folders = rest.split(":", 1)
        out[name] = (module, folders.split(","))
    return out


PROJECTS = pinned()

# Upstream files that are not Kubernetes YAML (a YAML or Kubernetes client refuses them as well):
# the scan must name each with its line, and nothing else may fail. path in the module: (line, why)
NOT_KUBERNETES_YAML = {
    "examples/traffic-management/rollout-linkerd.yaml": (
        101, "`linkerd.io/inject: {{args.linkerd-enabled}}` is a flow mapping used as a key, not a string"),
    "test/e2e/expectedfailures/analysis-run-failfast.yaml": (
        19, "a list item indented less than its siblings: the e2e suite expects applying it to fail"),
}


@pytest.fixture(scope="module")
def module_dirs(tmp_path_factory) -> dict[str, Path]:
    return go_modules.download(tmp_path_factory.mktemp("gomod"), "outside.local/examples",
                               sorted({module for module, _ in PROJECTS.values()}))


def in_chart(path: Path, root: Path) -> Path | None:
    """The Helm chart folder a file belongs to (a Chart.yaml above it, inside root), or None."""
    for parent in path.parents:
        if parent == root.parent:
            return None
        if (parent / "Chart.yaml").is_file():
            return parent
    return None


def material(root: Path, folders: list[str]) -> tuple[list[Path], list[Path]]:
    """(plain YAML files, chart folders) under the folders of one module."""
    files, charts = [], set()
    for folder in folders:
        base = root / folder
        assert base.is_dir(), f"{root.name} has no {folder}: the layout changed"
        for p in sorted(base.rglob("*")):
            if p.suffix not in (".yaml", ".yml") or not p.is_file():
                continue
            chart = in_chart(p, base)
            if chart is not None:
                charts.add(chart)
            else:
                files.append(p)
    return files, sorted(charts)


def needs_repository(chart: Path) -> bool:
    """Dependencies (Chart.yaml, or requirements.yaml of a v1-style chart) that are not vendored."""
    deps = [d for name in ("Chart.yaml", "requirements.yaml") if (chart / name).is_file()
            for d in ((yaml.safe_load((chart / name).read_text()) or {}).get("dependencies") or [])]
    return bool(deps) and not (chart / "charts").is_dir()


@pytest.mark.parametrize("project", sorted(PROJECTS))
def test_their_examples_give_no_finding(cli, module_dirs, project, capsys):
    module, folders = PROJECTS[project]
    root = module_dirs[module]
    files, charts = material(root, folders)
    r = cli("scan", *files, "--format", "json")
    report = json.loads(r.out)
    expected = {str(root / rel): line for rel, (line, _) in NOT_KUBERNETES_YAML.items() if (root / rel) in files}
    failed = {f.split(":", 1)[0]: f for f in report["failures"]}
    assert sorted(failed) == sorted(expected), report["failures"]
    for path, line in expected.items():
        assert failed[path].startswith(f"{path}:{line}: "), failed[path]
    assert r.code == (2 if expected else 0), r.err[-800:]
    assert report["findings"] == [], [(f["rule"], f["file"], f["message"][:160]) for f in report["findings"][:5]]
    summary = report["summary"]
    assert summary["files"] == len(files) - len(expected) and summary["documents"] > 60, summary

    checked, skipped = [], [c.name for c in charts if needs_repository(c)]
    for chart in charts:
        if needs_repository(chart):
            continue
        c = cli("check", chart, "--format", "json")
        assert c.code == 0, (chart, c.err[-800:])
        assert json.loads(c.out)["findings"] == [], chart
        checked.append(chart.name)
    with capsys.disabled():
        print(f"\n{project} ({module}, {', '.join(folders)}): {len(files)} files, {summary['documents']} documents, "
              f"{len(report['findings'])} findings, {len(expected)} not Kubernetes YAML; charts checked: "
              f"{len(checked)} ({', '.join(checked) or 'none'}), 0 findings; not checked (dependencies from a chart "
              f"repository): {len(skipped)}")


# Where each kind keeps its pod template, as the rules read it.
MARKED_KINDS = {("argoproj.io", "Rollout"): ("spec", "template"),
                ("serving.knative.dev", "Service"): ("spec", "template"),
                ("serving.knative.dev", "Configuration"): ("spec", "template")}


def test_with_remote_control_on_rollouts_and_knative_services_are_judged(cli, module_dirs, tmp_path):
    """Their Rollouts and Knative Services with the Remote Control annotation: now in scope, so
    those missing the restricted Pod Security Standard get AIF004 on their template's path."""
    marked: dict[str, int] = {}
    for project in ("argo-rollouts", "knative"):
        module, folders = PROJECTS[project]
        files, _ = material(module_dirs[module], folders)
        for i, path in enumerate(files):
            if path.relative_to(module_dirs[module]).as_posix() in NOT_KUBERNETES_YAML:
                continue
            out, hit = [], False
            for doc in yaml_docs(path.read_text(errors="replace")):
                if not isinstance(doc, dict):
                    continue
                key = (str(doc.get("apiVersion", "")).split("/")[0], doc.get("kind"))
                template = (doc.get("spec") or {}).get("template") if key in MARKED_KINDS else None
                if isinstance(template, dict):
                    meta = template["metadata"] = template.get("metadata") or {}
                    meta["annotations"] = {**(meta.get("annotations") or {}), "aifactory.dev/remote-control": "enabled"}
                    marked[key[1]] = marked.get(key[1], 0) + 1
                    hit = True
                out.append(doc)
            if hit:
                (tmp_path / f"{project}-{i:03d}-{path.name}").write_text(yaml.safe_dump_all(out))
    report = json.loads(cli("scan", *sorted(tmp_path.iterdir()), "--format", "json").out)
    assert report["failures"] == [], report["failures"]
    kinds = {f["resource"].split("/")[0] for f in report["findings"] if f["rule"] == "AIF004"}
    print(f"marked {marked}; AIF004 on kinds {sorted(kinds)}")
    assert marked.get("Rollout", 0) > 10 and marked.get("Service", 0) > 5, marked
    assert {"Rollout", "Service"} <= kinds, kinds
    assert {f["rule"] for f in report["findings"]} - {"AIF004", "AIF006"} == set(), \
        sorted({(f["rule"], f["message"][:100]) for f in report["findings"]})
