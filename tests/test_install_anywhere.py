"""The tool where its users work, run as they run it, outside this checkout: `pip install <checkout>`
into a fresh venv, then `aifactory-policy` from another directory with only helm and opa on PATH;
`helm plugin install <checkout>` with Helm 3 and Helm 4 (the pre-commit hook: tests/test_pre_commit_hook.py). Real pip, pre-commit, helm and opa throughout.

One fresh venv per run (module scope; every test here is in this file so xdist keeps them on one
worker); pip's cache makes repeats cheap. The plugin runs that venv's CLI (AIFACTORY_POLICY_CLI):
its own first-run venv would be the same `pip install <checkout>` again.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from helpers import REPO, wait_for, write

BIN = REPO / "bin"
TOKEN_VALUES = ("auth:\n  token: sk-ant-oat01-" + "A" * 60 + "\n")   # a fake login, never a real one


def run(cmd, cwd: Path, env: dict, stdin: str | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, input=stdin, capture_output=True, text=True,
                          timeout=timeout, check=False)


@pytest.fixture(scope="module")
def tools_only(tmp_path_factory) -> Path:
    """A folder holding only helm and opa (as a user's PATH would), from bin/."""
    folder = tmp_path_factory.mktemp("tools")
    for name in ("helm", "opa"):
        (folder / name).symlink_to(BIN / name)
    return folder


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    """A fresh venv with `pip install <checkout>` (versions from ci/constraints.txt)."""
    where = tmp_path_factory.mktemp("user") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True, timeout=120)
    # PIP_NO_COMPILE: what the CLI does is the same without the .pyc files (with the kubernetes
    # client, before it became the `cluster` extra, compiling was a third of the install's CPU).
    env = {**os.environ, "PIP_CONSTRAINT": str(REPO / "ci" / "constraints.txt"), "PIP_DISABLE_PIP_VERSION_CHECK": "1",
           "PIP_NO_COMPILE": "1"}
    proc = run([where / "bin" / "python", "-m", "pip", "install", "--quiet", REPO], cwd=where.parent, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return where


@pytest.fixture
def user_env(tools_only, venv) -> dict:
    """A user's environment: the venv's scripts, helm and opa; nothing of this checkout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIFACTORY_", "PYTHON"))}
    env["PATH"] = os.pathsep.join([str(venv / "bin"), str(tools_only), "/usr/bin", "/bin"])
    return env


def site_package(venv: Path) -> Path:
    return next((venv / "lib").glob("python3*/site-packages/aifactory_policy"))


def test_the_package_carries_the_policies_and_the_chart(venv, user_env, tmp_path):
    from aifactory_policy.tools import policy_digest, policy_files
    bundled = site_package(venv) / "bundled"
    assert (bundled / "charts" / "aifactory" / "Chart.yaml").is_file()
    assert not list(bundled.rglob("*_test.rego")) and not list(bundled.rglob("samples"))
    # the same policy files as the checkout's, byte for byte
    assert [p.relative_to(bundled / "policies") for p in policy_files(bundled / "policies")] == \
        [p.relative_to(REPO / "policies") for p in policy_files(REPO / "policies")]
    r = run(["aifactory-policy", "--version"], tmp_path, user_env)
    assert r.returncode == 0, r.stderr
    assert f"sha256:{policy_digest(REPO / 'policies')[:16]}" in r.stdout
    assert str(bundled / "policies") in r.stdout


def test_check_and_scan_run_from_any_directory(user_env, tmp_path):
    write(tmp_path / "prod.yaml", TOKEN_VALUES)
    r = run(["aifactory-policy", "check"], tmp_path, user_env)    # the chart the package carries
    assert (r.returncode, r.stderr) == (0, ""), r.stdout
    r = run(["aifactory-policy", "check", "-f", "prod.yaml", "--format", "json"], tmp_path, user_env)
    assert r.returncode == 1, r.stderr
    assert {("AIF001", "prod.yaml")} <= {(f["rule"], f["file"]) for f in json.loads(r.stdout)["findings"]}
    r = run(["aifactory-policy", "scan", "prod.yaml"], tmp_path, user_env)
    assert r.returncode == 1 and "AIF001" in r.stdout and "sk-ant-oat01-AAAA" not in r.stdout + r.stderr


def test_scan_reads_standard_input(user_env, tmp_path):
    rendered = run(["helm", "template", "x", REPO / "charts" / "aifactory"], tmp_path, user_env)
    assert rendered.returncode == 0, rendered.stderr
    r = run(["aifactory-policy", "scan", "-"], tmp_path, user_env, stdin=rendered.stdout)
    assert r.returncode == 0 and "passed" in r.stdout, r.stdout + r.stderr
    r = run(["aifactory-policy", "scan", "-", "--format", "json"], tmp_path, user_env, stdin=TOKEN_VALUES)
    assert r.returncode == 1, r.stderr
    assert [(f["rule"], f["file"], f["line"]) for f in json.loads(r.stdout)["findings"]] == [("AIF001", "<stdin>", 2)]


def test_check_takes_a_packaged_chart(user_env, tmp_path):
    r = run(["helm", "package", REPO / "charts" / "aifactory", "-d", tmp_path], tmp_path, user_env)
    assert r.returncode == 0, r.stderr
    [tgz] = tmp_path.glob("aifactory-*.tgz")
    r = run(["aifactory-policy", "check", tgz.name], tmp_path, user_env)
    assert (r.returncode, r.stderr) == (0, ""), r.stdout
    r = run(["aifactory-policy", "check", tgz.name, "--set", "remoteControl.enabled=true", "--format", "json"],
            tmp_path, user_env)
    assert r.returncode == 1 and [f["rule"] for f in json.loads(r.stdout)["findings"]] == ["AIF101"], r.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_check_pulls_an_oci_chart(user_env, tmp_path):
    """helm push to a local registry (distribution's, built by `ci/bootstrap --cluster`), then check
    oci://… --version … --plain-http, as with helm."""
    if not (BIN / "registry").exists():
        pytest.skip("bin/registry is built by `ci/bootstrap --cluster`; the OCI case needs it")
    port = free_port()
    config = write(tmp_path / "config.yml", json.dumps({
        "version": 0.1, "log": {"level": "warn"}, "storage": {"filesystem": {"rootdirectory": str(tmp_path / "data")}},
        "http": {"addr": f"127.0.0.1:{port}"}}))
    with open(tmp_path / "registry.log", "w") as log:
        proc = subprocess.Popen([str(BIN / "registry"), "serve", str(config)], stdout=log, stderr=subprocess.STDOUT)
    try:
        def up() -> bool:
            try:
                return urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=2).status == 200
            except OSError:
                return False
        assert wait_for(up, timeout=30, step=0.2), (tmp_path / "registry.log").read_text()
        env = {**user_env, "HELM_CONFIG_HOME": str(tmp_path / "helm-config"), "HELM_CACHE_HOME": str(tmp_path / "hc")}
        assert run(["helm", "package", REPO / "charts" / "aifactory", "-d", tmp_path], tmp_path, env).returncode == 0
        [tgz] = tmp_path.glob("aifactory-*.tgz")
        version = tgz.name[len("aifactory-"):-len(".tgz")]
        pushed = run(["helm", "push", tgz, f"oci://127.0.0.1:{port}/charts", "--plain-http"], tmp_path, env)
        assert pushed.returncode == 0, pushed.stderr
        tgz.unlink()
        ref = f"oci://127.0.0.1:{port}/charts/aifactory"
        r = run(["aifactory-policy", "check", ref, "--version", version, "--plain-http", "--format", "json"],
                tmp_path, env)
        assert r.returncode == 0, r.stdout + r.stderr
        assert json.loads(r.stdout)["summary"]["files"] > 1, r.stdout   # values.yaml and the rendered templates
        r = run(["aifactory-policy", "check", ref, "--version", "9.9.9", "--plain-http"], tmp_path, env)
        assert r.returncode == 2 and "helm pull" in r.stderr, r.stderr
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_a_missing_tool_says_what_to_install(venv, tmp_path):
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path)}
    write(tmp_path / "a.yaml", "a: 1\n")
    r = run(["aifactory-policy", "scan", "a.yaml"], tmp_path, env)
    assert r.returncode == 2
    assert "install Open Policy Agent 1.0 or later" in r.stderr and "tested with v1." in r.stderr, r.stderr
    r = run(["aifactory-policy", "check"], tmp_path, env)
    assert r.returncode == 2 and "install Helm 3 or 4" in r.stderr, r.stderr
    assert "ci/bootstrap" not in r.stderr


def test_plain_install_has_no_kubernetes_client_and_says_how_to_add_it(venv, user_env, tmp_path):
    """`pip install <checkout>` is what CI pipelines and the pre-commit hook need (check, scan); the
    commands that talk to a cluster name the `cluster` extra instead of failing on an import."""
    assert not list((venv / "lib").glob("python3*/site-packages/kubernetes"))
    env = {**user_env, "HOME": str(tmp_path), "KUBECONFIG": str(tmp_path / "none")}
    for args in (["audit", "--all-namespaces"], ["credentials", "status", "-A"]):
        r = run(["aifactory-policy", *args], tmp_path, env)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert "pip install 'aifactory-policy[cluster]'" in r.stderr and "Traceback" not in r.stderr, r.stderr


@pytest.mark.parametrize("helm", ["helm3", "helm4"])
def test_helm_plugin(helm, venv, user_env, tmp_path):
    """`helm plugin install <checkout>` then `helm aifactory check/scan`, Helm's dirs in tmp."""
    binary = BIN / helm
    env = {**user_env, "HELM_DATA_HOME": str(tmp_path / "data"), "HELM_CONFIG_HOME": str(tmp_path / "config"),
           "HELM_CACHE_HOME": str(tmp_path / "cache"), "XDG_CACHE_HOME": str(tmp_path / "xdg-cache"),
           "AIFACTORY_POLICY_CLI": str(venv / "bin" / "aifactory-policy")}
    r = run([binary, "plugin", "install", REPO], tmp_path, env)
    assert r.returncode == 0 and "Installed plugin: aifactory" in r.stdout + r.stderr, r.stdout + r.stderr
    assert "aifactory" in run([binary, "plugin", "list"], tmp_path, env).stdout
    write(tmp_path / "prod.yaml", TOKEN_VALUES)
    r = run([binary, "aifactory", "check", "-f", "prod.yaml", "--format", "json"], tmp_path, env)
    assert r.returncode == 1, r.stderr
    assert ("AIF001", "prod.yaml") in {(f["rule"], f["file"]) for f in json.loads(r.stdout)["findings"]}
    r = run([binary, "aifactory", "check"], tmp_path, env)          # rendered by the Helm running the plugin
    assert r.returncode == 0, r.stdout + r.stderr
    r = run([binary, "aifactory", "scan", "prod.yaml"], tmp_path, env)
    assert r.returncode == 1 and "AIF001" in r.stdout, r.stdout + r.stderr
    assert not (tmp_path / "xdg-cache" / "aifactory-policy").exists()   # AIFACTORY_POLICY_CLI: no venv made
