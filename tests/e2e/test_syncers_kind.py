"""A credentials Secret that an ExternalSecret owns, on the kind cluster: `aifactory-policy audit`
reports AIF207 through the live client, and the chart's writeBack sidecar and broker scripts,
run against the API server with ServiceAccount tokens as narrow as the chart's Roles, refuse to write
it and say why; once the owner reference is gone (what `kubectl delete externalsecret --cascade=orphan`
leaves) the sidecar writes. The ExternalSecret CRD is a minimal stand-in (group, kind and versions of
External Secrets', schema open) installed only when the cluster has none: no controller runs, the
marks on the Secret are what the controller would set (creationPolicy Owner)."""
from __future__ import annotations

import base64
import datetime as dt
import json
import subprocess
import sys
import time

import pytest

from fake_credentials import leaked
from helpers import REPO

pytestmark = pytest.mark.cluster

FILES = REPO / "charts" / "aifactory" / "files"
SECRET, KEY, ES = "claude-remote-credentials", "credentials.json", "claude-login"
CRD = "externalsecrets.external-secrets.io"
NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def login(tag: str, expires_in: dt.timedelta) -> str:
    exp = int((NOW + expires_in).timestamp() * 1000)
    return json.dumps({"claudeAiOauth": {"accessToken": f"sk-ant-oat01-FAKEaccessTOKEN{tag}forTESTS0123",
                                         "refreshToken": f"sk-ant-ort01-FAKErefreshTOKEN{tag}forTESTS0123",
                                         "expiresAt": exp, "scopes": ["user:inference", "user:profile"]}})


def stand_in_crd() -> dict:
    version = {"served": True, "storage": False,
               "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": CRD, "labels": {"app.kubernetes.io/part-of": "aifactory-e2e"}},
            "spec": {"group": "external-secrets.io", "scope": "Namespaced",
                     "names": {"plural": "externalsecrets", "singular": "externalsecret", "kind": "ExternalSecret",
                               "listKind": "ExternalSecretList", "shortNames": ["es"]},
                     "versions": [dict(version, name="v1", storage=True), dict(version, name="v1beta1")]}}


@pytest.fixture(scope="module")
def external_secret_api(cluster):
    """The ExternalSecret API: the cluster's own if External Secrets is installed, else the stand-in
    (removed afterwards)."""
    ours = cluster.kubectl("get", "crd", CRD, check=False).returncode != 0
    if ours:
        cluster.apply(stand_in_crd())
        cluster.kubectl("wait", "--for=condition=Established", f"crd/{CRD}", "--timeout=60s")
    yield
    if ours:
        cluster.kubectl("delete", "crd", CRD, "--wait=false", "--ignore-not-found", check=False)


def role(ns: str, name: str, rules: list) -> list[dict]:
    meta = {"name": name, "namespace": ns}
    return [{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta},
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": meta, "rules": rules},
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": meta,
             "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
             "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": ns}]}]


def agent(ns: str, image: str) -> dict:
    """A writeBack-mode install as the audit finds it (the chart's annotations); it only sleeps."""
    labels = {"app.kubernetes.io/name": "aifactory", "app.kubernetes.io/instance": "syncers"}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "syncers", "namespace": ns, "labels": labels},
            "spec": {"replicas": 0, "strategy": {"type": "Recreate"}, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels, "annotations": {
                         "aifactory.dev/remote-control": "enabled", "aifactory.dev/credentials-secret": SECRET,
                         "aifactory.dev/credentials-mode": "writeBack"}},
                         "spec": {"automountServiceAccountToken": False,
                                  "securityContext": {"runAsNonRoot": True, "runAsUser": 65532, "runAsGroup": 65532,
                                                      "fsGroup": 65532, "seccompProfile": {"type": "RuntimeDefault"}},
                                  "containers": [{"name": "agent", "image": image, "imagePullPolicy": "Never",
                                                  "command": ["sleep", "3600"],
                                                  "securityContext": {"allowPrivilegeEscalation": False,
                                                                      "readOnlyRootFilesystem": True,
                                                                      "capabilities": {"drop": ["ALL"]}}}]}}}}


class Api:
    """The API server URL, its CA and a ServiceAccount token, laid out as the pod's projected volume."""

    def __init__(self, cluster, ns: str, sa: str, folder):
        cfg = json.loads(cluster.kubectl("config", "view", "--raw", "--minify", "-o", "json").stdout)
        c = cfg["clusters"][0]["cluster"]
        self.server = c["server"]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "ca.crt").write_bytes(base64.b64decode(c["certificate-authority-data"]))
        self.token = folder / "token"
        self.token.write_text(cluster.kubectl("create", "token", sa, "-n", ns).stdout.strip())

    def run(self, script: str, ns: str, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(FILES / script), f"--namespace={ns}", f"--token-file={self.token}",
                               f"--api-server={self.server}", *args], capture_output=True, text=True, timeout=120)


def secret_value(cluster, ns: str) -> str:
    return base64.b64decode(cluster.get("secret", SECRET, ns)["data"][KEY]).decode()


@pytest.fixture
def owned(cluster, external_secret_api, restricted_namespace):
    """A namespace with the ExternalSecret, the credentials Secret it owns (creationPolicy Owner's
    marks), and a writeBack-mode Deployment that uses it."""
    ns = restricted_namespace("syncers")
    cluster.apply({"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
                   "metadata": {"name": ES, "namespace": ns},
                   "spec": {"refreshInterval": "1h", "secretStoreRef": {"name": "vault", "kind": "ClusterSecretStore"},
                            "target": {"name": SECRET},
                            "data": [{"secretKey": KEY, "remoteRef": {"key": "aifactory/claude"}}]}})
    uid = cluster.get("externalsecret", ES, ns)["metadata"]["uid"]
    cluster.kubectl("create", "-f", "-", input=json.dumps({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": SECRET, "namespace": ns,
                     "labels": {"reconcile.external-secrets.io/managed": "true"},
                     "annotations": {"aifactory.dev/owner": f"system:serviceaccount:{ns}:default",
                                     "reconcile.external-secrets.io/data-hash": "5ab0c2d1"},
                     "ownerReferences": [{"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret", "name": ES,
                                          "uid": uid, "controller": True, "blockOwnerDeletion": True}]},
        "data": {KEY: base64.b64encode(login("OLD", dt.timedelta(minutes=2)).encode()).decode()}}))
    cluster.apply(agent(ns, cluster.test_image))
    return ns


def test_audit_reports_aif207_and_the_sidecar_and_broker_refuse(cli, cluster, owned, tmp_path):
    ns = owned
    out = tmp_path / "audit.json"
    res = cli("audit", "--kubeconfig", cluster.kubeconfig, "-n", ns, "--format", "json", "--output", out)
    report = json.loads(out.read_text())
    got = [f for f in report["findings"] if f["rule"] == "AIF207"]
    assert [f["file"] for f in got] == [f"{ns}/Secret/{SECRET}"], json.dumps(report, indent=1)
    assert f"ExternalSecret {ns}/{ES} (creationPolicy Owner" in got[0]["message"]
    assert f"ownerReference ExternalSecret/{ES}" in got[0]["message"]
    assert res.code == 1
    # the ExternalSecret API was listed; an API the cluster does not serve is a note, not an error
    absent = next((n for n in report["notes"] if n.startswith("controllers' APIs absent")), "")
    assert not [p for p in absent.split(": ", 1)[-1].split("; ") if p.startswith("externalsecrets ")], absent
    if cluster.kubectl("get", "crd", "sealedsecrets.bitnami.com", check=False).returncode != 0:
        assert "sealedsecrets not served (Sealed Secrets is not installed" in absent, report["notes"]
    assert not [n for n in report["notes"] if n.startswith("cannot list")], report["notes"]
    assert leaked(res.out + res.err + out.read_text()) == []

    # The writeBack sidecar with the chart's Role (get, patch on the one Secret): a newer login in the file.
    cluster.apply(role(ns, "writeback", [{"apiGroups": [""], "resources": ["secrets"], "resourceNames": [SECRET],
                                          "verbs": ["get", "patch"]}]))
    api = Api(cluster, ns, "writeback", tmp_path / "writeback")
    newer = tmp_path / "claude" / ".credentials.json"
    newer.parent.mkdir()
    newer.write_text(login("NEW", dt.timedelta(hours=8)))
    args = (f"--file={newer}", f"--secret={SECRET}", f"--key={KEY}", "--once")
    run = api.run("credentials_writeback.py", ns, *args)
    assert run.returncode == 0, run.stdout + run.stderr
    assert (f"not writing the login: External Secrets owns Secret {ns}/{SECRET} (ownerReference ExternalSecret/{ES})"
            in run.stdout), run.stdout
    assert f"kubectl delete externalsecret {ES} --cascade=orphan" in run.stdout
    assert "OLD" in secret_value(cluster, ns)

    # The broker with a due login: neither a refresh (its Claude Code is a path that does not exist:
    # running it would fail the pass) nor a write to the source Secret; the agents' access Secret is published.
    cluster.apply([{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "access", "namespace": ns}, "type": "Opaque"},
                   {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "broker", "namespace": ns},
                    "spec": {}}])
    cluster.apply(role(ns, "broker", [
        {"apiGroups": [""], "resources": ["secrets"], "resourceNames": [SECRET, "access"], "verbs": ["get", "patch"]},
        {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "resourceNames": ["broker"], "verbs": ["get", "update"]}]))
    bapi = Api(cluster, ns, "broker", tmp_path / "broker")
    home = tmp_path / "broker-home"
    home.mkdir()
    run = bapi.run("credentials_broker.py", ns, f"--secret={SECRET}", f"--key={KEY}", "--access-secret=access",
                   "--lease=broker", f"--home={home}", "--identity=broker-0", f"--claude={tmp_path / 'no-claude'}",
                   "--lead-seconds=1800", "--once")
    assert run.returncode == 0, run.stdout + run.stderr
    assert (f"not writing to the source Secret and not refreshing: External Secrets owns Secret {ns}/{SECRET} "
            f"(ownerReference ExternalSecret/{ES})") in run.stdout, run.stdout
    assert "refreshing (" not in run.stdout and "OLD" in secret_value(cluster, ns)
    access = json.loads(base64.b64decode(cluster.get("secret", "access", ns)["data"][KEY]))
    assert "refreshToken" not in access["claudeAiOauth"] and "OLD" in access["claudeAiOauth"]["accessToken"]
    assert not leaked(run.stdout + run.stderr)

    # `kubectl delete externalsecret --cascade=orphan` removes the owner reference: the Secret is the sidecar's again.
    cluster.kubectl("delete", "externalsecret", ES, "-n", ns, "--cascade=orphan")
    deadline = time.monotonic() + 60
    while cluster.get("secret", SECRET, ns)["metadata"].get("ownerReferences"):
        assert time.monotonic() < deadline, "the garbage collector did not orphan the Secret within 60 s"
        time.sleep(0.5)
    cluster.kubectl("label", "secret", SECRET, "-n", ns, "reconcile.external-secrets.io/managed-")
    run = api.run("credentials_writeback.py", ns, *args)
    assert run.returncode == 0 and "wrote Secret key" in run.stdout, run.stdout + run.stderr
    assert "NEW" in secret_value(cluster, ns)
