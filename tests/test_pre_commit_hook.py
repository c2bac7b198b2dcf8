"""The published pre-commit hook as a user runs it: `pre-commit try-repo <checkout>
aifactory-policy-scan --all-files` in a throwaway repository holding a Helm chart (`helm create`) and
one bad values file. pre-commit builds the hook's own venv from this checkout; the user has only
helm and opa on PATH (a `language: python` hook cannot install the opa binary). Its own module, so
xdist runs it beside tests/test_install_anywhere.py's venv build."""
from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import pytest

from helpers import REPO, write
from test_install_anywhere import BIN, TOKEN_VALUES, run


# A Flux HelmRelease of this chart whose values the chart's guard refuses (line 12: replicaCount 3
# with a shared readOnly login): the hook judges them as values of the chart (docs/gitops-values.md)
HELMRELEASE = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: agents
spec:
  interval: 10m
  chart:
    spec:
      chart: aifactory
      sourceRef: {kind: HelmRepository, name: aifactory}
  values:
    replicaCount: 3
    remoteControl: {enabled: true, credentialsSecretName: claude-creds, mode: readOnly}
"""


@pytest.fixture
def hook_user_env(tmp_path) -> dict:
    """A user's environment: helm, opa and git on PATH; nothing of this checkout."""
    tools = tmp_path / "tools"
    tools.mkdir()
    for name in ("helm", "opa"):
        (tools / name).symlink_to(BIN / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIFACTORY_", "PYTHON"))}
    env["PATH"] = os.pathsep.join([str(tools), "/usr/bin", "/bin"])
    return env


@pytest.fixture
def throwaway_repo(tmp_path, hook_user_env) -> Path:
    """A git repository with a Helm chart (`helm create`) and one bad values file, committed."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", "-c", "init.defaultBranch=main"]
    assert run([*git, "init", "-q"], repo, hook_user_env).returncode == 0
    assert run(["helm", "create", "mychart"], repo, hook_user_env).returncode == 0
    write(repo / "deploy" / "values-prod.yaml", TOKEN_VALUES)
    write(repo / "deploy" / "helmrelease.yaml", HELMRELEASE)
    assert run([*git, "add", "."], repo, hook_user_env).returncode == 0
    assert run([*git, "commit", "-qm", "init"], repo, hook_user_env).returncode == 0
    return repo


def test_pre_commit_hook_reports_the_values_file_not_the_templates(throwaway_repo, hook_user_env, tmp_path):
    """`pre-commit try-repo <checkout> aifactory-policy-scan --all-files`: pre-commit builds the
    hook's own venv from this checkout (tracked files, with their uncommitted changes); opa is on PATH."""
    pre_commit = shutil.which("pre-commit", path=str(Path(sys.executable).parent))
    assert pre_commit, "pre-commit is not installed in the test venv: run ci/bootstrap (pyproject's test extra)"
    env = {**hook_user_env, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "PIP_NO_COMPILE": "1",
           "PIP_CONSTRAINT": str(REPO / "ci" / "constraints.txt")}
    r = run([pre_commit, "try-repo", REPO, "aifactory-policy-scan", "--all-files"], throwaway_repo, env)
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    assert "deploy/values-prod.yaml" in out and "AIF001" in out, out
    assert "templates/" not in out and "looks like a Helm template" not in out, out
    # the HelmRelease's values, rendered with the chart the hook's package carries
    assert "deploy/helmrelease.yaml" in out and "AIF101" in out and "replicaCount=3" in out, out
    assert re.search(r"^\s+12\s+error\s+AIF101\s+ERROR: replicaCount=3", out, re.M), out
    assert "FAILED: 2 error(s)" in out and "sk-ant-oat01-AAAA" not in out, out


