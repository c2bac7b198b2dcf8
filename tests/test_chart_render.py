"""What the chart renders, with real Helm v3 and v4: the exact credentials mount per mode, nothing
when Remote Control is off, restricted Pod Security, every guard's message, and manifests valid
against the Kubernetes OpenAPI schemas of the versions the chart supports (kubeVersion >= 1.30),
offline and strict (unknown fields fail), with the schemas the kubernetes-validate package ships.
One module, so the schema tests read the very renders the other tests made (one Helm run each)."""
from __future__ import annotations

import functools
import subprocess

import pytest

from aifactory_policy.tools import go_tool_env
from chart_render import CHART, CREDENTIALS_PATH, EXAMPLES, HELMS, render, render_error, render_result

RC = ["--set", "remoteControl.enabled=true", "--set", "remoteControl.credentialsSecretName=claude-remote-credentials",
      "--set", "remoteControl.mode=readOnly"]   # the product document's mount (the default is broker)
# RC alone renders readOnly (one Helm run less per major); a later --set wins
MODE_ARGS = {"readOnly": [], "ownedCopy": ["--set", "remoteControl.mode=ownedCopy"],
             "writeBack": ["--set", "remoteControl.mode=writeBack"], "broker": ["--set", "remoteControl.mode=broker"]}


@pytest.fixture(params=sorted(HELMS))
def helm(request):
    return request.param


def test_off_renders_no_credentials_volume_mount_or_annotation(helm):
    out = render(helm)
    spec = out.pod_spec
    assert [v["name"] for v in spec["volumes"]] == ["home", "tmp"]
    assert "initContainers" not in spec
    for c in spec["containers"]:
        assert all(".claude" not in m["mountPath"] for m in c["volumeMounts"])
    assert "annotations" not in out.deployment["spec"]["template"]["metadata"]
    assert "ConfigMap" not in out.kinds() and "Role" not in out.kinds()


def test_read_only_mode_mounts_exactly_one_key_subpath_read_only_0400(helm):
    out = render(helm, *RC)
    mount = next(m for m in out.container("agent")["volumeMounts"] if m["mountPath"] == CREDENTIALS_PATH)
    assert mount == {"name": "credentials", "mountPath": CREDENTIALS_PATH, "subPath": "credentials.json", "readOnly": True}
    assert out.volume("credentials") == {"name": "credentials", "secret": {
        "secretName": "claude-remote-credentials", "defaultMode": 0o400,
        "items": [{"key": "credentials.json", "path": "credentials.json"}]}}
    # Claude Code keeps state in ~/.claude: a pod-user-writable emptyDir under the file mount.
    assert {"name": "claude-dir", "mountPath": "/home/nonroot/.claude"} in out.container("agent")["volumeMounts"]
    assert "emptyDir" in out.volume("claude-dir")
    assert out.deployment["spec"]["replicas"] == 1
    assert out.deployment["spec"]["strategy"] == {"type": "Recreate"}
    annotations = out.deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["aifactory.dev/remote-control"] == "enabled"
    assert annotations["aifactory.dev/credentials-secret"] == "claude-remote-credentials"
    assert annotations["aifactory.dev/credentials-mode"] == "readOnly"


def test_custom_secret_key_is_projected_to_the_fixed_file_name(helm):
    out = render(helm, *RC, "--set", "remoteControl.credentialsSecretKey=login.json")
    assert out.volume("credentials")["secret"]["items"] == [{"key": "login.json", "path": "credentials.json"}]


def test_owned_copy_mode_gives_the_agent_a_pod_user_0400_copy_and_no_secret_volume(helm):
    out = render(helm, *RC, *MODE_ARGS["ownedCopy"])
    agent_mounts = out.container("agent")["volumeMounts"]
    assert {"name": "claude-dir", "mountPath": CREDENTIALS_PATH, "subPath": ".credentials.json",
            "readOnly": True} in agent_mounts
    assert all(m["name"] != "credentials-secret" for m in agent_mounts)
    init = out.container("prepare-home")
    assert {"name": "credentials-secret", "mountPath": "/run/aifactory/credentials-secret", "readOnly": True} in init["volumeMounts"]
    assert "chmod 0400 /home/nonroot/.claude/.credentials.json.new" in init["args"][0]
    assert out.volume("claude-dir")["emptyDir"]["medium"] == "Memory"
    assert init["securityContext"]["allowPrivilegeEscalation"] is False


def test_write_back_mode_adds_a_sidecar_limited_to_one_secret(helm):
    out = render(helm, *RC, *MODE_ARGS["writeBack"])
    names = [c["name"] for c in out.pod_spec["containers"]]
    assert names == ["agent", "credentials-writeback"]
    assert "chmod 0600" in out.container("prepare-home")["args"][0]
    assert all(m["mountPath"] != CREDENTIALS_PATH for m in out.container("agent")["volumeMounts"])
    role = out.one("Role")
    assert role["rules"] == [{"apiGroups": [""], "resources": ["secrets"],
                              "resourceNames": ["claude-remote-credentials"], "verbs": ["get", "patch"]}]
    # Only the sidecar gets an API token; the pod-wide automount stays off.
    assert out.pod_spec["automountServiceAccountToken"] is False
    assert all(m["name"] != "writeback-token" for m in out.container("agent")["volumeMounts"])


@pytest.mark.parametrize("mode", sorted(MODE_ARGS))
def test_every_container_meets_restricted_pod_security(helm, mode):
    out = render(helm, *RC, *MODE_ARGS[mode])
    pods = [d["spec"]["template"]["spec"] for d in out.docs if d["kind"] == "Deployment"]
    assert len(pods) == (2 if mode == "broker" else 1)   # the broker's pod too
    for spec in pods:
        psc = spec["securityContext"]
        assert psc["runAsNonRoot"] is True and psc["runAsUser"] == 65532 and psc["fsGroup"] == 65532
        assert psc["seccompProfile"] == {"type": "RuntimeDefault"}
        assert spec["automountServiceAccountToken"] is False
        for c in spec["containers"] + spec.get("initContainers", []):
            sc = c["securityContext"]
            assert sc["allowPrivilegeEscalation"] is False, c["name"]
            assert sc["capabilities"]["drop"] == ["ALL"], c["name"]
            assert sc["readOnlyRootFilesystem"] is True, c["name"]


def test_probe_pod_is_a_helm_test_hook_with_the_agents_mounts(helm):
    out = render(helm, *RC)
    probe = out.one("Pod", "-credentials-probe")
    assert probe["metadata"]["annotations"]["helm.sh/hook"] == "test"
    assert probe["spec"]["containers"][0]["volumeMounts"] == out.container("agent")["volumeMounts"]
    script = probe["spec"]["containers"][0]["args"][0]
    # Claude Code runs only on a copy without the refresh token (what that does: test_helm_test_probe.py)
    assert 'HOME="$PH" env -u CLAUDE_CODE_OAUTH_TOKEN -u ANTHROPIC_AUTH_TOKEN -u CLAUDE_CONFIG_DIR claude auth status' in script
    assert "\"refreshToken\":null" in script and script.count(" claude auth status 2>") == 1
    assert "/proc/self/mountinfo" in script
    assert "expected '440 0'" in script  # kubelet's 0400 + fsGroup result, asserted in tests/e2e


def lint(helm: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(HELMS[helm]), "lint", "--strict", str(CHART), *args],
                          capture_output=True, text=True, timeout=60, env=go_tool_env())


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_every_values_example_passes_strict_lint(helm, example):
    """Lint alone would not show a guard's refusal (next test). That every example renders is asserted
    by test_rendered_manifests_match_the_kubernetes_openapi_schema (Helm 4) and by `check` of every
    example in test_real_chart_and_policies.py (Helm 3)."""
    result = lint(helm, "-f", str(example))
    assert result.returncode == 0, result.stdout + result.stderr


def test_strict_lint_does_not_catch_the_guards(helm):
    """Measured: `helm lint --strict` logs a template's `fail` at INFO level on stderr (Helm 3.22.0:
    "[INFO] Fail:", 4.3.1: level=INFO msg="funcMap fail"), reports "0 chart(s) failed" and exits 0,
    so lint is no gate for these values; `helm template`/`upgrade` and `check` are."""
    result = lint(helm, "--set", "remoteControl.enabled=true")
    assert result.returncode == 0 and "0 chart(s) failed" in result.stdout
    assert "INFO" in result.stderr and NO_SECRET_NAME.split(". Create")[0] in result.stderr


# Every guard at once: the chart collects all problems in one refusal (one render per Helm).
ALL_GUARDS = RC + [
    "--set", "replicaCount=2", "--set", "strategy.type=RollingUpdate",
    "--set", "agent.extraEnv[0].name=ANTHROPIC_API_KEY", "--set", "agent.extraEnv[0].value=x",
    "--set", "agent.extraEnv[1].name=CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "--set-string", "agent.extraEnv[1].value=1",
    "--set", "agent.extraEnv[2].name=CLAUDE_CODE_OAUTH_TOKEN", "--set", "agent.extraEnv[2].value=x",
    "--set", "agent.extraEnv[3].name=X", "--set", "agent.extraEnv[3].value=pre-sk-ant-oat01-FAKEFAKEFAKE",
    "--set", "agent.extraEnv[4].name=CLAUDE_CODE_USE_VERTEX", "--set-string", "agent.extraEnv[4].value=1",
    "--set", "agent.extraEnv[5].name=ANTHROPIC_BASE_URL", "--set", "agent.extraEnv[5].value=https://proxy.example.invalid",
    "--set", "agent.extraEnv[6].name=CLAUDE_CODE_OAUTH_REFRESH_TOKEN", "--set", "agent.extraEnv[6].valueFrom.secretKeyRef.name=s",
    "--set", "agent.extraEnv[6].valueFrom.secretKeyRef.key=k",
    "--set", "agent.extraEnv[7].name=ANTHROPIC_BASE_URL", "--set", "agent.extraEnv[7].value=https://api.anthropic.com",
    "--set", "agent.extraEnv[8].name=DO_NOT_TRACK", "--set-string", "agent.extraEnv[8].value=1",
    "--set", "podAnnotations.note=sk-ant-ort01-FAKEFAKEFAKEFAKE",
    # base64 of a credentials JSON: refused even with Remote Control off (the release record keeps it)
    "--set-string", "global.login=eyJjbGF1ZGVBaU9hdXRoIjp7fX0=",
]
GUARDS = [
    "ERROR: replicaCount=2 with remoteControl.mode=readOnly. Set replicaCount=1, or remoteControl.mode=broker",
    "ERROR: strategy.type=RollingUpdate with remoteControl.mode=readOnly. Remove strategy.type or set it to Recreate",
    "ERROR: agent.extraEnv[0] sets ANTHROPIC_API_KEY, which stops Remote Control",
    "ERROR: agent.extraEnv[1] sets CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC, which stops Remote Control",
    "ERROR: agent.extraEnv[2] sets CLAUDE_CODE_OAUTH_TOKEN as a literal value.",
    'ERROR: agent.extraEnv[4] sets CLAUDE_CODE_USE_VERTEX, which stops Remote Control: Claude Code refuses to start it '
    '("Remote Control is only available when using Claude via api.anthropic.com. CLAUDE_CODE_USE_VERTEX is set")',
    "ERROR: agent.extraEnv[5] sets ANTHROPIC_BASE_URL to something other than https://api.anthropic.com",
    "ERROR: agent.extraEnv[6] sets CLAUDE_CODE_OAUTH_REFRESH_TOKEN: a refresh token in the environment is a second holder",
    'ERROR: values key "agent.extraEnv[3].value" holds Claude/Anthropic credential material.',
    'ERROR: values key "podAnnotations.note" holds Claude/Anthropic credential material.',
    'ERROR: values key "global.login" holds Claude/Anthropic credential material.',
]
NO_SECRET_NAME = ("ERROR: remoteControl.credentialsSecretName is required when remoteControl.enabled=true. Create the "
                  "Secret first: kubectl create secret generic claude-remote-credentials --from-file=credentials.json="
                  "<path to the install's .credentials.json> -n aifactory")


@pytest.mark.parametrize("message", GUARDS, ids=lambda m: m.split(" ", 2)[1])
def test_guard_refuses_with_a_message_naming_the_value_and_the_fix(helm, message):
    err = render_error(helm, *ALL_GUARDS)
    assert message in err
    assert "sk-ant-ort01-FAKE" not in err and "sk-ant-oat01-FAKE" not in err, "a guard must never echo the credential"


BROKER = ["--set", "remoteControl.enabled=true", "--set", "remoteControl.credentialsSecretName=c",
          "--set", "remoteControl.mode=broker"]


def test_broker_mode_allows_many_agent_pods_and_a_rolling_update(helm):
    docs = render(helm, *BROKER, "--set", "replicaCount=4", "--set", "strategy.type=RollingUpdate")
    agent = next(d for d in docs.docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "t-aifactory")
    assert agent["spec"]["replicas"] == 4 and agent["spec"]["strategy"] == {"type": "RollingUpdate"}


@pytest.mark.parametrize("args, message", [
    (["--set", "remoteControl.broker.leaseSeconds=20", "--set", "remoteControl.broker.claudeTimeoutSeconds=20"],
     "ERROR: remoteControl.broker.leaseSeconds=20 must exceed remoteControl.broker.claudeTimeoutSeconds=20 by 5 s"),
    (["--set", "serviceAccount.create=false"],
     "ERROR: remoteControl.mode=broker binds the agents' receiver Role to their ServiceAccount"),
], ids=["lease-shorter-than-a-refresh", "shared-default-serviceaccount"])
def test_broker_guards(helm, args, message):
    err = render_error(helm, *BROKER, *args)
    assert message in err and err.count("ERROR:") == 1, err


def test_guard_reports_every_problem_at_once_and_nothing_else(helm):
    assert render_error(helm, *ALL_GUARDS).count("ERROR:") == len(GUARDS)


def test_enabled_without_a_secret_name_is_refused_with_the_create_command(helm):
    err = render_error(helm, "--set", "remoteControl.enabled=true")
    assert NO_SECRET_NAME in err and err.count("ERROR:") == 1


def test_material_is_refused_with_remote_control_off(helm):
    err = render_error(helm, "--set", "podAnnotations.note=sk-ant-ort01-FAKEFAKEFAKEFAKE")
    assert 'values key "podAnnotations.note" holds' in err and "FAKEFAKE" not in err


# Every schema violation at once: Helm lists them all (one render per Helm).
SCHEMA_VIOLATIONS = ["--set", "remoteControl.credentialsSecretKeys=x", "--set", "remoteControl.mode=readWrite",
                     "--set", "remoteControl.credentialsSecretName=Not_A_Name",
                     "--set", "podSecurityContext.runAsNonRoot=false", "--set", "replicaCount=one"]


@pytest.mark.parametrize("fragment", ["credentialsSecretKeys", "/remoteControl/mode", "/remoteControl/credentialsSecretName",
                                      "/podSecurityContext/runAsNonRoot", "/replicaCount"])
def test_schema_rejects_unknown_keys_wrong_types_and_patterns(helm, fragment):
    err = render_error(helm, *SCHEMA_VIOLATIONS)
    assert "schema" in err and fragment in err


def test_secret_name_is_checked_against_the_cluster_only_when_one_is_reachable(helm):
    # helm template cannot see a cluster: lookup is empty, so no "does not exist" error here.
    result = render_result(helm, *RC)
    assert result.returncode == 0 and "does not exist" not in result.stderr


@functools.lru_cache(maxsize=None)
def kubernetes_validate():
    """Imported on first use: every xdist worker collects this module, one runs these tests."""
    import kubernetes_validate
    import kubernetes_validate.utils
    # validate() reads and parses the schema and the multi-megabyte _definitions.json of the version
    # on every call; the files never change during a run, so parse each once (read-only use).
    kubernetes_validate.utils.schema_contents = functools.lru_cache(maxsize=None)(
        kubernetes_validate.utils.schema_contents)
    return kubernetes_validate


SUPPORTED = ["1.30.0", "1.32.0", "1.34.0", "1.37.0"]
SCENARIOS = {**{e.name: ["-f", str(e)] for e in EXAMPLES}, **{mode: RC + args for mode, args in MODE_ARGS.items()}}


@pytest.mark.parametrize("version", SUPPORTED)
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_rendered_manifests_match_the_kubernetes_openapi_schema(scenario, version):
    rendered = render("helm4", *SCENARIOS[scenario]).docs
    assert rendered
    validator = kubernetes_validate()
    for doc in rendered:
        try:
            validator.validate(doc, version, strict=True)
        except validator.ValidationError as exc:
            pytest.fail(f"{doc['kind']}/{doc['metadata']['name']} invalid for Kubernetes {version}: {exc.message} at {list(exc.path)}")


EGRESS = ["-f", str(CHART / "ci" / "egress-proxy-values.yaml")]


def test_host_aliases_and_extra_ca_reach_every_pod_and_every_claude_container(helm):
    out = render(helm, *EGRESS)
    pods = [out.pod_spec] + [d["spec"] for d in out.docs if d["kind"] == "Pod"]
    assert len(pods) == 3   # the agent, the credentials probe, the image probe
    for spec in pods:
        assert spec["hostAliases"] == [{"ip": "10.0.0.10", "hostnames": ["egress-proxy.internal"]}]
    ca_env = {"name": "NODE_EXTRA_CA_CERTS", "value": "/etc/aifactory/extra-ca/ca.crt"}
    ca_mount = {"name": "extra-ca-certs", "mountPath": "/etc/aifactory/extra-ca", "readOnly": True}
    probe = out.one("Pod", "-credentials-probe")["spec"]["containers"][0]
    for container in (out.container("agent"), probe):   # the two that run Claude Code
        assert ca_env in container["env"] and ca_mount in container["volumeMounts"]
    sidecar = out.container("credentials-writeback")    # talks to the Kubernetes API only
    assert "NODE_EXTRA_CA_CERTS" not in str(sidecar)
    assert out.volume("extra-ca-certs")["configMap"] == {
        "name": "corporate-egress-ca", "defaultMode": 0o444, "items": [{"key": "ca.crt", "path": "ca.crt"}]}


def test_no_host_aliases_or_ca_unless_asked(helm):
    out = render(helm, *RC)
    assert "hostAliases" not in out.pod_spec
    assert "NODE_EXTRA_CA_CERTS" not in str(out.docs) and "extra-ca-certs" not in str(out.docs)


def test_no_selector_of_the_chart_matches_another_workloads_pods(helm):
    """The agents' selector (name + instance, immutable) must not match the broker's pods: the portal
    Service, the NetworkPolicy and `kubectl exec deploy/<release>` select by it."""
    out = render(helm, *BROKER, "--set", "networkPolicy.enabled=true")
    pods = {d["metadata"]["name"]: d["spec"]["template"]["metadata"]["labels"] for d in out.docs if d["kind"] == "Deployment"}
    selectors = {f"{d['kind']}/{d['metadata']['name']}": (d["spec"]["selector"].get("matchLabels", d["spec"]["selector"])
                                                         if d["kind"] != "NetworkPolicy" else d["spec"]["podSelector"]["matchLabels"])
                 for d in out.docs if d["kind"] in ("Deployment", "Service", "NetworkPolicy") and d["spec"].get("selector") or d["kind"] == "NetworkPolicy"}
    assert len(pods) == 2 and len(selectors) >= 4
    for owner, selector in selectors.items():
        matched = [name for name, labels in pods.items() if selector.items() <= labels.items()]
        assert len(matched) == 1, (owner, selector, matched)
