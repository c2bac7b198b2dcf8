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
