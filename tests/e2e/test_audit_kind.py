"""`aifactory-policy audit` against the kind cluster: seeded with two good installs, two installs
sharing one login under different Secret names, a ConfigMap with a token, a Helm release whose
history holds a token (a throwaway chart: the AIFactory chart's guard refuses tokens in values),
an over-broad RoleBinding and a Secret past the rotation cadence (fixed clock). The audit, through
the live client, must report exactly these and nothing else."""
from __future__ import annotations

import base64
import datetime as dt
import json
import subprocess
import uuid

import pytest

from helpers import REPO
from fake_credentials import leaked

pytestmark = pytest.mark.cluster

RUN = uuid.uuid4().hex[:6]
NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
RFC = "%Y-%m-%dT%H:%M:%SZ"


def creds(tag: str) -> str:
    exp = int((NOW + dt.timedelta(days=1)).timestamp() * 1000)
    return json.dumps({"claudeAiOauth": {"accessToken": f"sk-ant-oat01-FAKEaccessTOKEN{tag}forTESTS0123",
                                         "refreshToken": f"sk-ant-ort01-FAKErefreshTOKEN{tag}forTESTS0123",
                                         "expiresAt": exp,
                                         "scopes": ["user:inference", "user:profile", "user:sessions:claude_code"]}})


def secret(ns, name, tag, **annotations):
    ann = {"aifactory.dev/owner": f"system:serviceaccount:{ns}:default",
           "aifactory.dev/rotated-at": (NOW - dt.timedelta(days=1)).strftime(RFC), **annotations}
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": ns, "annotations": ann},
            "data": {"credentials.json": base64.b64encode(creds(tag).encode()).decode()}}


def deployment(ns, name, secret_name, image, chart_labels=True):
    labels = {"app.kubernetes.io/name": "aifactory", "app.kubernetes.io/instance": name}
    if chart_labels:
        labels.update({"app.kubernetes.io/part-of": "aifactory", "helm.sh/chart": "aifactory-0.1.0"})
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": ns, "labels": labels},
            "spec": {"replicas": 1, "strategy": {"type": "Recreate"},
                     "selector": {"matchLabels": {"app.kubernetes.io/instance": name}},
                     "template": {"metadata": {"labels": labels, "annotations": {
                         "aifactory.dev/remote-control": "enabled", "aifactory.dev/credentials-secret": secret_name,
                         "aifactory.dev/credentials-mode": "readOnly"} if chart_labels else {}},
                         "spec": {"securityContext": {"runAsNonRoot": True, "runAsUser": 65532, "runAsGroup": 65532,
                                                      "fsGroup": 65532, "seccompProfile": {"type": "RuntimeDefault"}},
                                  "automountServiceAccountToken": False,
                                  "containers": [{"name": "agent", "image": image, "imagePullPolicy": "Never",
                                                  "command": ["sleep", "3600"],
                                                  "securityContext": {"allowPrivilegeEscalation": False,
                                                                      "readOnlyRootFilesystem": True,
                                                                      "capabilities": {"drop": ["ALL"]}},
                                                  "volumeMounts": [
                                                      {"name": "state", "mountPath": "/home/nonroot/.claude"},
                                                      {"name": "creds", "mountPath": "/home/nonroot/.claude/.credentials.json",
                                                       "subPath": "credentials.json", "readOnly": True}]}],
                                  "volumes": [{"name": "state", "emptyDir": {}},
                                              {"name": "creds", "secret": {"secretName": secret_name, "defaultMode": 288,
                                                                           "items": [{"key": "credentials.json",
                                                                                      "path": "credentials.json"}]}}]}}}}


def create(cluster, *objs):
    """kubectl create (not apply): no last-applied annotation copying Secret data into metadata."""
    cluster.kubectl("create", "-f", "-", input="\n---\n".join(json.dumps(o) for o in objs))


@pytest.fixture(scope="module")
def seeded(cluster, tmp_path_factory):
    names = {k: f"audit-{k}-{RUN}" for k in ("a", "b", "c", "d", "e", "f", "g", "h")}
    image = cluster.test_image
    for ns in names.values():
        cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    a, b, c, d, e, f, g, h = (names[k] for k in "abcdefgh")
    create(cluster, secret(a, "claude-a", "A"), deployment(a, "rc-a", "claude-a", image))          # good
    create(cluster, secret(b, "claude-b", "B"), deployment(b, "rc-b", "claude-b", image, False))   # good, hand-written
    create(cluster, secret(c, "login-c", "SHARED"), deployment(c, "rc-c", "login-c", image))      # shared login
    create(cluster, secret(d, "creds-d", "SHARED"), deployment(d, "rc-d", "creds-d", image))
    create(cluster, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "notes", "namespace": e},
                     "data": {"howto.txt": "refresh with sk-ant-ort01-FAKErefreshTOKENinCONFIGMAP0123"}})
    # a release whose first revision stored a token in values; the upgrade "removed" it
    chart = tmp_path_factory.mktemp("chart") / "leaky"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: leaky\nversion: 0.1.0\n")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leaky\ndata:\n  greeting: hi\n")
    helm = [str(REPO / "bin" / "helm"), "--kubeconfig", str(cluster.kubeconfig), "-n", f]
    subprocess.run([*helm, "install", "leaky", str(chart), "--set", "token=sk-ant-oat01-FAKEaccessTOKENinVALUES0123"],
                   check=True, capture_output=True, timeout=120)
    subprocess.run([*helm, "upgrade", "leaky", str(chart), "--reset-values"], check=True, capture_output=True, timeout=120)
    # an over-broad RoleBinding next to an otherwise good install
    create(cluster, secret(g, "claude-g", "G"), deployment(g, "rc-g", "claude-g", image),
           {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": {"name": "read-secrets", "namespace": g},
            "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}]},
           {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": "dev-read-secrets", "namespace": g},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "read-secrets"},
            "subjects": [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "alice"}]})
    # past the rotation cadence: the login was made 90 days before the fixed clock
    old = secret(h, "claude-h", "H")
    old["metadata"]["annotations"] = {"aifactory.dev/owner": f"system:serviceaccount:{h}:default",
                                      "aifactory.dev/created-at": (NOW - dt.timedelta(days=90)).strftime(RFC)}
    create(cluster, old, deployment(h, "rc-h", "claude-h", image))
    yield names
    for ns in names.values():
        cluster.kubectl("delete", "namespace", ns, "--wait=false", "--ignore-not-found", check=False)


def test_audit_finds_exactly_the_planted_problems(cli, cluster, seeded, tmp_path):
    out = tmp_path / "audit.json"
    ns_args = [x for ns in seeded.values() for x in ("-n", ns)]
    # Cluster tests run in parallel on one cluster: test_policyreport_kind installs the chart's audit
    # CronJob, whose ClusterRole reads every Secret by design (docs/audit.md). An audit run by
    # another identity reports that ServiceAccount under AIF203 unless it is allowed, as a platform
    # team would allow it; seen in a fresh-clone run when the two tests overlapped.
    res = cli("audit", "--kubeconfig", cluster.kubeconfig, *ns_args, "--now", NOW.strftime(RFC),
              "--allow-subject", "ServiceAccount:*:*-audit-cronjob", "--format", "json", "--output", out)
    assert out.exists(), f"audit wrote no report (exit {res.code}):\n{res.err}"
    report = json.loads(out.read_text())
    n = seeded
    shared = max(f"{n['c']}/Secret/login-c", f"{n['d']}/Secret/creds-d")
    want = sorted([
        ("AIF201", shared),
        ("AIF001", f"{n['e']}/ConfigMap/notes"),
        ("AIF001", f"{n['f']}/Secret/sh.helm.release.v1.leaky.v1"),
        ("AIF203", f"{n['g']}/RoleBinding/dev-read-secrets"),
        ("AIF202", f"{n['h']}/Secret/claude-h"),
    ])
    got = sorted((f["rule"], f["file"]) for f in report["findings"])
    assert got == want, json.dumps(report["findings"], indent=1)
    assert res.code == 1
    assert leaked(res.out + res.err + out.read_text()) == []
    assert "rc-b" in res.err and "credentials mount" in res.err   # the hand-written install is found
    assert not [x for x in report["notes"] if x.startswith("cannot list")]


def test_audit_is_read_only_and_reports_what_rbac_hides(cli, cluster, seeded, tmp_path):
    """An identity that may list pods but not secrets: the audit runs, says what it could not see."""
    ns = seeded["a"]
    sa = "audit-limited"
    cluster.kubectl("create", "serviceaccount", sa, "-n", ns)
    create(cluster, {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                     "metadata": {"name": sa, "namespace": ns},
                     "rules": [{"apiGroups": ["", "apps"], "resources": ["pods", "deployments", "replicasets"],
                                "verbs": ["get", "list"]}]},
           {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": sa, "namespace": ns},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": sa},
            "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": ns}]})
    token = cluster.kubectl("create", "token", sa, "-n", ns).stdout.strip()
    cfg = json.loads(cluster.kubectl("config", "view", "--raw", "--minify", "-o", "json").stdout)
    cfg["users"][0]["user"] = {"token": token}
    kc = tmp_path / "limited.kubeconfig"
    kc.write_text(json.dumps(cfg))
    out = tmp_path / "limited.json"
    res = cli("audit", "--kubeconfig", kc, "-n", ns, "--format", "json", "--output", out)
    report = json.loads(out.read_text())
    hidden = {x.split(" ")[2] for x in report["notes"] if x.startswith("cannot list")}
    assert {"secrets", "configmaps", "roles", "rolebindings", "clusterroles", "clusterrolebindings"} <= hidden
    assert res.code == 0, res.err
