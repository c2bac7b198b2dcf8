"""The chart on a real kubelet with the real Claude Code CLI (issue "Real cluster", behaviours 1-9).

Every namespace enforces the restricted Pod Security Standard. In-pod assertions go through
pytest-testinfra's kubectl backend, API objects through the `kubernetes` client, the cluster is
pytest-kind's (tests/e2e/conftest.py). Owner and mode are what kubelet was measured to produce
(docs/facts.md); a change in kubelet's behaviour fails these tests.
"""
from __future__ import annotations

import json
import subprocess
import time

import pytest

from chart_release import (CHART, CREDENTIALS_PATH, SECRET, Release, create_secret_like_the_seed, fake_login,
                           node_exec, pod_uid, secret_content)

pytestmark = pytest.mark.cluster

LOCAL_PRECONDITION_ERRORS = (
    "requires a full-scope login token", "requires claude.ai subscription", "Unable to determine your organization",
    "requires feature-flag evaluation", "Workspace not trusted", "did not start", "Enable Remote Control?",
    "not logged in", "Not logged in")


@pytest.fixture
def release(cluster, restricted_namespace, test_image):
    def make(helm: str = "helm3", secret: str | None = fake_login()) -> Release:
        ns = restricted_namespace("rc")
        if secret is not None:
            create_secret_like_the_seed(cluster, ns, secret)
        return Release(cluster=cluster, namespace=ns, helm=helm, image=test_image)
    return make


@pytest.fixture(scope="session")
def derived_image(cluster, test_image, tmp_path_factory):
    """Factory: a variant of the test image with extra files and/or ENV, made
    with `docker commit` (no registry) and loaded into the kind node."""
    import io
    import tarfile

    def make(name: str, files: dict[str, str] | None = None, env: dict[str, str] | None = None) -> str:
        tag = f"aifactory/agent-test-{name}:e2e"
        container = subprocess.run(["docker", "create", test_image], capture_output=True, text=True,
                                   check=True, timeout=60).stdout.strip()
        try:
            if files:
                buf = io.BytesIO()
                with tarfile.open(fileobj=buf, mode="w") as tar:
                    dirs = sorted({str(p) for f in files for p in __import__("pathlib").PurePosixPath(f).parents if str(p) != "/"})
                    for d in dirs:
                        info = tarfile.TarInfo(d.lstrip("/"))
                        info.type, info.mode, info.uid, info.gid = tarfile.DIRTYPE, 0o755, 65532, 65532
                        tar.addfile(info)
                    for path, content in files.items():
                        data = content.encode()
                        info = tarfile.TarInfo(path.lstrip("/"))
                        info.size, info.mode, info.uid, info.gid = len(data), 0o600, 65532, 65532
                        tar.addfile(info, io.BytesIO(data))
                subprocess.run(["docker", "cp", "-", f"{container}:/"], input=buf.getvalue(), check=True,
                               capture_output=True, timeout=60)
            changes = [arg for k, v in (env or {}).items() for arg in ("--change", f"ENV {k}={v}")]
            subprocess.run(["docker", "commit", *changes, container, tag], check=True, capture_output=True, timeout=120)
        finally:
            subprocess.run(["docker", "rm", "-f", container], capture_output=True, timeout=60)
        subprocess.run([str(CHART.parents[1] / "bin" / "kind"), "load", "docker-image", tag, "--name", cluster.name],
                       check=True, capture_output=True, timeout=300)
        return tag
    return make


def other_uid_can_read(cluster, namespace: str, pod: str, volume_dir: str, file: str) -> bool:
    """Reads the very file kubelet made, on the node, as uid/gid 1000 with no supplementary group."""
    path = f"/var/lib/kubelet/pods/{pod_uid(cluster, namespace, pod)}/volumes/{volume_dir}/{file}"
    node_exec(cluster, "test", "-e", path)
    return node_exec(cluster, "setpriv", "--reuid=1000", "--regid=1000", "--clear-groups", "cat", path,
                     check=False).returncode == 0


# 1 and 8 -------------------------------------------------------------------------------------
def test_read_only_mode_file_is_a_single_file_secret_mount_0440_root_fsgroup(cluster, release):
    rel = release()
    rel.remote_control("readOnly")
    host = rel.host()
    f = host.file(CREDENTIALS_PATH)
    # measured: defaultMode 0400 + fsGroup 65532 -> 0440 root:65532 (kubernetes #57923)
    assert (f.uid, f.gid, f.mode) == (0, 65532, 0o440)
    assert host.run("id -u").stdout.strip() == "65532"
    assert f.content_string == secret_content(cluster, rel.namespace)  # readable by the pod user, same bytes
    write = host.run(f"sh -c ': >> {CREDENTIALS_PATH}'")
    assert write.rc != 0 and ("Read-only file system" in write.stderr or "Permission denied" in write.stderr)
    mounts = [l for l in host.file("/proc/self/mountinfo").content_string.splitlines() if f" {CREDENTIALS_PATH} " in l]
    assert len(mounts) == 1, mounts
    assert mounts[0].split()[5].split(",")[0] == "ro", mounts[0]   # field 6 of mountinfo: the mount options
    # a single file, not a directory of projected keys: ~/.claude holds only Claude Code's own state
    assert not host.file("/home/nonroot/.claude/credentials.json").exists
    claude_dir = host.file("/home/nonroot/.claude")   # the emptyDir: root, group fsGroup, setgid (docs/facts.md)
    assert (claude_dir.user, claude_dir.gid) == ("root", 65532)
    assert not other_uid_can_read(cluster, rel.namespace, rel.pod(), "kubernetes.io~secret/credentials", "credentials.json")
    # 8: the seed's troubleshooting command, against the release (the real name is a dot file)
    ls = cluster.kubectl("exec", "-n", rel.namespace, "deploy/aifactory", "-c", "agent", "--",
                         "ls", "-la", "/home/nonroot/.claude/").stdout
    line = next(l for l in ls.splitlines() if l.endswith(".credentials.json"))
    assert line.startswith("-r--r-----") and " root " in line, ls


# 2 -------------------------------------------------------------------------------------------
def test_owned_copy_mode_file_is_pod_user_owned_0400(cluster, release):
    rel = release()
    rel.remote_control("ownedCopy")
    host = rel.host()
    f = host.file(CREDENTIALS_PATH)
    assert (f.uid, f.gid, f.mode) == (65532, 65532, 0o400)   # the init container's own uid:gid
    assert f.content_string == secret_content(cluster, rel.namespace)
    assert host.run(f"sh -c ': >> {CREDENTIALS_PATH}'").rc != 0
    assert sum(f" {CREDENTIALS_PATH} " in l for l in host.file("/proc/self/mountinfo").content_string.splitlines()) == 1
    assert not other_uid_can_read(cluster, rel.namespace, rel.pod(), "kubernetes.io~empty-dir/claude-dir", ".credentials.json")
    ls = cluster.kubectl("exec", "-n", rel.namespace, "deploy/aifactory", "-c", "agent", "--",
                         "ls", "-la", "/home/nonroot/.claude/").stdout
    assert any(l.startswith("-r--------") and l.endswith(".credentials.json") for l in ls.splitlines()), ls


# 3 -------------------------------------------------------------------------------------------
def test_claude_code_accepts_the_mount_only_with_the_scrubbed_environment(cluster, release):
    rel = release()
    cluster.kubectl("create", "secret", "generic", "inference-token", "-n", rel.namespace,
                    "--from-literal=token=sk-ant-oat01-E2E-FAKE-INFERENCE-ONLY-000000")
    rel.remote_control("readOnly", "--set", "agent.oauthToken.existingSecret=inference-token",
                       "--set", "agent.extraEnv[0].name=ANTHROPIC_AUTH_TOKEN",
                       "--set", "agent.extraEnv[0].valueFrom.secretKeyRef.name=inference-token",
                       "--set", "agent.extraEnv[0].valueFrom.secretKeyRef.key=token")
    host = rel.host()
    env = host.run("env").stdout
    assert "CLAUDE_CODE_OAUTH_TOKEN=" in env and "ANTHROPIC_AUTH_TOKEN=" in env
    scrubbed = json.loads(host.run("env -u CLAUDE_CODE_OAUTH_TOKEN -u ANTHROPIC_AUTH_TOKEN claude auth status").stdout)
    assert (scrubbed["loggedIn"], scrubbed["authMethod"]) == (True, "claude.ai")
    unscrubbed = json.loads(host.run("claude auth status").stdout)
    assert unscrubbed["authMethod"] == "oauth_token"  # the env var shadows the file: the scrub matters
    rc = host.run('env -u CLAUDE_CODE_OAUTH_TOKEN -u ANTHROPIC_AUTH_TOKEN timeout 60 claude remote-control '
                  '--name "AIFactory: spec-1" </dev/null')
    output = rc.stdout + rc.stderr
    assert rc.rc != 0
    assert not any(e in output for e in LOCAL_PRECONDITION_ERRORS), output
    # the only failure left is the network (no route/DNS to api.anthropic.com from the kind pod)
    assert any(n in output for n in ("ENOTFOUND", "EAI_AGAIN", "getaddrinfo", "Unable to connect",
                                     "ECONNREFUSED", "ETIMEDOUT", "unreachable")), output


# 4 -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("helm", ["helm3", "helm4"])
def test_off_has_no_volume_mount_or_file_and_upgrades_converge(cluster, release, helm):
    rel = release(helm=helm)
    rel.upgrade()
    assert_off(cluster, rel)
    rel.remote_control("readOnly")
    assert rel.host().file(CREDENTIALS_PATH).exists
    rel.upgrade("--set", "remoteControl.enabled=false")
    assert_off(cluster, rel)
    assert cluster.kubectl("get", "configmap", "aifactory-claude-state", "-n", rel.namespace, check=False).returncode != 0
    rel.remote_control("ownedCopy")
    assert rel.host().file(CREDENTIALS_PATH).mode == 0o400


def assert_off(cluster, rel: Release) -> None:
    spec = cluster.get("deployment", "aifactory", rel.namespace)["spec"]["template"]["spec"]
    assert [v["name"] for v in spec["volumes"]] == ["home", "tmp"]
    assert all(".claude" not in m["mountPath"] for c in spec["containers"] for m in c["volumeMounts"])
    host = rel.host()
    assert not host.file(CREDENTIALS_PATH).exists
    assert not any(".claude" in l for l in host.file("/proc/self/mountinfo").content_string.splitlines())


# 5 -------------------------------------------------------------------------------------------
def test_missing_secret_or_key_fails_helm_early_with_the_charts_message(cluster, release):
    rel = release(secret=None)
    result = rel.remote_control("readOnly", wait=False, check=False)
    assert result.returncode != 0
    assert f"ERROR: remoteControl.credentialsSecretName={SECRET}: Secret {rel.namespace}/{SECRET} does not exist" in result.stderr
    assert "kubectl create secret generic" in result.stderr
    create_secret_like_the_seed(cluster, rel.namespace, fake_login(), key="login.json")
    result = rel.remote_control("readOnly", wait=False, check=False)
    assert f'has no key "credentials.json" (keys: login.json)' in result.stderr
    create_secret_like_the_seed(cluster, rel.namespace, fake_login(scopes=("user:inference",)))
    result = rel.remote_control("readOnly", wait=False, check=False)
    assert "Remote Control needs a full-scope login" in result.stderr


def test_the_same_manifest_without_helm_leaves_a_failed_mount_event(cluster, release):
    rel = release(secret=None)
    rendered = subprocess.run(
        [str(CHART.parents[1] / "bin" / "helm3"), "template", "aifactory", str(CHART), "-n", rel.namespace,
         *rel.image_args(), "--set", "remoteControl.enabled=true", "--set", f"remoteControl.credentialsSecretName={SECRET}", "--set", "remoteControl.mode=readOnly",
         "--set", "tests.enabled=false"], capture_output=True, text=True, timeout=60, check=True).stdout
    cluster.kubectl("apply", "-n", rel.namespace, "-f", "-", input=rendered)
    deadline = time.monotonic() + 90
    events = ""
    while time.monotonic() < deadline:
        events = cluster.kubectl("get", "events", "-n", rel.namespace, "-o", "json").stdout
        if any(e["reason"] == "FailedMount" for e in json.loads(events)["items"]):
            break
        time.sleep(2)
    failed = [e["message"] for e in json.loads(events)["items"] if e["reason"] == "FailedMount"]
    assert failed and f'secret "{SECRET}" not found' in failed[0], events


# 6 -------------------------------------------------------------------------------------------
def test_rotation_needs_a_restart_because_subpath_mounts_never_update(cluster, release, test_image):
    from e2e_helpers import restricted_pod
    rel = release()
    rel.remote_control("readOnly")
    old = secret_content(cluster, rel.namespace)
    # a control pod with the same Secret mounted as a directory: it DOES see updates
    cluster.apply(restricted_pod("control", test_image, securityContext={"fsGroup": 65532},
                                 container={"volumeMounts": [{"name": "s", "mountPath": "/s", "readOnly": True}]},
                                 volumes=[{"name": "s", "secret": {"secretName": SECRET, "defaultMode": 0o400}}]),
                  namespace=rel.namespace)
    cluster.wait_pod_running(rel.namespace, "control")
    new = fake_login("ROTATED")
    create_secret_like_the_seed(cluster, rel.namespace, new)
    pod = rel.pod()
    # kubelet refreshes Secret volumes when it syncs a pod: every minute by default, or at once when
    # the pod object changes. Poking both pods' annotations makes both sync now, so the test waits
    # seconds, not a minute, and the subPath file is shown unchanged after a sync, not before one.
    deadline, poke = time.monotonic() + 180, 0
    while True:
        poke += 1
        for name in ("control", pod):
            cluster.kubectl("annotate", "--overwrite", "pod", name, "-n", rel.namespace, f"aifactory.dev/test-sync={poke}")
        time.sleep(2)
        if cluster.exec(rel.namespace, "control", "cat", "/s/credentials.json").stdout == new:
            break
        assert time.monotonic() < deadline, "the directory mount never saw the new Secret"
    assert cluster.exec(rel.namespace, pod, "cat", CREDENTIALS_PATH, container="agent").stdout == old
    cluster.kubectl("rollout", "restart", "deployment/aifactory", "-n", rel.namespace)
    cluster.kubectl("rollout", "status", "deployment/aifactory", "-n", rel.namespace, "--timeout=180s", timeout=200)
    new_pod = rel.pod()
    assert new_pod != pod
    assert cluster.exec(rel.namespace, new_pod, "cat", CREDENTIALS_PATH, container="agent").stdout == new


# 7 and 9 -------------------------------------------------------------------------------------
def test_helm_test_passes_on_a_good_install(release):
    rel = release()
    rel.remote_control("readOnly")
    result = rel.test()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok: /home/nonroot/.claude/.credentials.json is a 440 mount owned by 0:65532" in result.stdout
    assert "claude auth status of a copy without the refresh token: claude.ai, loggedIn" in result.stdout


def test_helm_test_fails_and_says_why_when_the_file_is_unreadable(release):
    rel = release()
    rel.remote_control("readOnly", "--set", "podSecurityContext.fsGroup=null")
    result = rel.test()
    assert result.returncode != 0
    assert "FAIL: /home/nonroot/.claude/.credentials.json is not readable by uid 65532 (mode 400, owner 0:0)" in result.stdout


def test_helm_test_fails_on_an_api_key_leaking_in_from_the_image(cluster, release, derived_image):
    image = derived_image("apikey", env={"ANTHROPIC_API_KEY": "sk-ant-api03-E2E-FAKE-LEAK-000000000000"})
    rel = release()
    rel.image = image
    rel.remote_control("readOnly")
    result = rel.test()
    assert result.returncode != 0
    assert "FAIL: ANTHROPIC_API_KEY is set in the agent's environment" in result.stdout
    assert "sk-ant-api03-E2E" not in result.stdout + result.stderr


def test_helm_test_detects_credentials_baked_into_the_image(cluster, release, derived_image):
    image = derived_image("baked", files={CREDENTIALS_PATH: fake_login("BAKED")})
    rel = release()
    rel.image = image
    rel.upgrade()  # Remote Control off: nothing should be at that path
    result = rel.test()
    assert result.returncode != 0
    assert f"FAIL: {CREDENTIALS_PATH} is in the image (credentials baked into the image)" in result.stdout
    assert "E2E-FAKE" not in result.stdout
