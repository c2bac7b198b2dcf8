"""Issue 24 part 4 through the real CLI and the real policies: the environment a Remote Control
workload gets from ConfigMaps and Secrets of the same scan (envFrom, valueFrom.configMapKeyRef) and
from a settings.json mounted under ~/.claude is judged like its own env (AIF003); two installs on
one login are found when one manifest leaves its namespace implicit (AIF005)."""
import json

import yaml

from helpers import REPO, write, yaml_docs

RULES = REPO / "policies" / "rules"


def scan(cli, *paths) -> dict:
    r = cli("scan", *paths, "--format", "json")
    assert r.code in (0, 1), r.err
    return json.loads(r.out)


def test_a_holder_without_namespace_shares_the_login_of_another_file(cli, tmp_path):
    """The two installs in two files (kubectl apply -n aifactory -f b.yaml puts beta beside alpha)."""
    alpha, beta = yaml_docs((RULES / "shared_credentials/samples/disallowed/implicit-namespace-beside-explicit.yaml")
                            .read_text())
    assert "namespace" not in beta["metadata"] and alpha["metadata"]["namespace"] == "aifactory"
    a = write(tmp_path / "a.yaml", yaml.safe_dump(alpha))
    b = write(tmp_path / "b.yaml", yaml.safe_dump(beta))
    [f] = [f for f in scan(cli, a, b)["findings"] if f["rule"] == "AIF005"]
    assert "Secret aifactory/claude-remote-credentials" in f["message"]
    assert "Deployment beta, namespace not set in " + str(b) in f["message"], f["message"]
    # In another namespace it is another Secret: no finding.
    beta["metadata"]["namespace"] = "other"
    write(b, yaml.safe_dump(beta))
    assert [f for f in scan(cli, a, b)["findings"] if f["rule"] == "AIF005"] == []


def split(sample: str, tmp_path):
    """The sample's documents, one file each (the workload first): the join crosses files."""
    docs = yaml_docs((RULES / "remote_control_env/samples" / sample).read_text())
    return [write(tmp_path / f"{i}-{d['kind'].lower()}.yaml", yaml.safe_dump(d)) for i, d in enumerate(docs)]


def test_environment_from_configmaps_and_secrets_of_the_scan_is_judged(cli, tmp_path):
    files = split("disallowed/envfrom-configmap-and-secret.yaml", tmp_path)
    found = [f for f in scan(cli, *files)["findings"] if f["rule"] == "AIF003"]
    said = sorted((f["path"], f["message"].split(" on a Remote Control")[0].split(") ")[-1]) for f in found)
    assert said == sorted([
        ("spec.template.spec.containers[0].envFrom[0]", "sets ANTHROPIC_BASE_URL to something other than https://api.anthropic.com"),
        ("spec.template.spec.containers[0].envFrom[0]", "sets CLAUDE_CODE_USE_BEDROCK"),
        ("spec.template.spec.containers[0].envFrom[1]", "sets ANTHROPIC_API_KEY"),
    ]), said
    for f in found:   # reported on the workload, naming the ConfigMap's or Secret's file
        assert f["file"] == str(files[0]) and f["line"], f
        assert str(files[1]) in f["message"] or str(files[2]) in f["message"], f["message"]
    # The workload alone: the keys are not in the scan, nothing to judge.
    assert [f for f in scan(cli, files[0])["findings"] if f["rule"] == "AIF003"] == []


def test_settings_json_mounted_under_claude_is_judged(cli, tmp_path):
    files = split("disallowed/settings-json-env-provider-switch.yaml", tmp_path)
    [f] = [f for f in scan(cli, *files)["findings"] if f["rule"] == "AIF003"]
    assert f["path"] == "spec.template.spec.containers[0].volumeMounts[2]" and f["file"] == str(files[0])
    assert "env.CLAUDE_CODE_USE_VERTEX of the settings.json it mounts" in f["message"]
    allowed = split("allowed/envfrom-and-settings-harmless.yaml", tmp_path / "allowed")
    assert scan(cli, *allowed)["findings"] == []


def test_a_scan_in_batches_keeps_the_configmaps_that_can_set_a_variable(cli, tmp_path, monkeypatch):
    """Past one batch the cross-document rules see only what the batches keep: the ConfigMaps with a
    key that ends a watched name are kept (and found), the filler ConfigMaps are not needed."""
    from aifactory_policy import opa
    monkeypatch.setattr(opa, "BATCH_DOCUMENTS", 2)
    files = split("disallowed/envfrom-configmap-and-secret.yaml", tmp_path)
    filler = write(tmp_path / "filler.yaml", "".join(
        f"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: f{i}, namespace: aifactory}}\ndata: {{k: v}}\n"
        for i in range(20)))
    batched = sorted(f["message"] for f in scan(cli, filler, *files)["findings"] if f["rule"] == "AIF003")
    monkeypatch.setattr(opa, "BATCH_DOCUMENTS", 10_000)
    whole = sorted(f["message"] for f in scan(cli, filler, *files)["findings"] if f["rule"] == "AIF003")
    assert len(whole) == 3 and batched == whole, (batched, whole)
