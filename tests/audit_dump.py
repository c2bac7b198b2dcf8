"""Build the recorded cluster dumps in tests/data/audit/planted/ and tests/data/audit/broker/ (list
responses, fake tokens only).

Run `python tests/audit_dump.py` to regenerate; tests/test_audit.py and tests/test_audit_broker.py
check the committed files match. The scenarios and the findings the audit must report are listed in
PLANTED and PLANTED_BROKER below.
"""
from __future__ import annotations

import base64
import gzip
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "data" / "audit" / "planted"
OUT_BROKER = HERE / "data" / "audit" / "broker"
NOW = "2025-06-30T12:00:00Z"          # the audit runs with --now NOW
FRESH = "2025-06-20T09:00:00Z"        # 10 days before NOW
OLD = "2025-03-01T09:00:00Z"          # 121 days before NOW
EXPIRES_FUTURE = 1751371200000        # 2025-07-01T12:00:00Z in ms
EXPIRES_PAST = 1748736000000          # 2025-06-01T00:00:00Z in ms
ENDS_IN_3_DAYS = 1751544000000        # 2025-07-03T12:00:00Z in ms: a login's refreshTokenExpiresAt
ENDED_A_DAY_AGO = 1751198400000       # 2025-06-29T12:00:00Z in ms
SCOPES = ["user:inference", "user:profile", "user:sessions:claude_code"]   # what `claude auth login` gives

# (rule, target namespace/Kind/name) of every problem planted below, and nothing else.
PLANTED = sorted([
    ("AIF201", "team-d/Secret/creds-d"),                 # same refresh token as team-c/login-c
    ("AIF001", "team-e/ConfigMap/notes"),               # a token in a ConfigMap
    ("AIF001", "team-e/Secret/sh.helm.release.v1.leaky.v1"),  # values of an old revision
    ("AIF203", "team-a/RoleBinding/dev-read-secrets"),  # User alice can read claude-a
    ("AIF202", "team-g/Secret/claude-g"),               # older than 30 days
    ("AIF204", "team-h/Secret/claude-h"),               # owned by a person
    ("AIF205", "team-h/Secret/claude-h"),               # access token expired
    ("AIF006", "team-i/Deployment/rc-i"),               # replicas 2
    ("AIF206", "team-i/Secret/claude-i"),               # held by two running pods
    ("AIF002", "team-j/Pod/rc-j-old-1"),                # running pod of an old ReplicaSet, writable mount
    ("AIF007", "team-j/Pod/rc-j-old-1"),                # ... and nothing writes its refreshes back
    ("AIF206", "team-j/Secret/claude-j"),               # ... while the new pod holds the same Secret
    ("AIF003", "team-k/Deployment/rc-k"),               # ANTHROPIC_API_KEY on an RC workload
    ("AIF001", "team-k/Secret/api-key"),                # last-applied annotation carries the key
    ("AIF205", "team-l/Secret/claude-l"),               # warning: the login ends in 3 days (refreshTokenExpiresAt)
    ("AIF205", "team-q/Secret/claude-q"),               # error: the login ended a day ago
    ("AIF208", "team-r/Secret/claude-r"),               # scopes without user:sessions:claude_code
])


def tok(kind: str, tag: str) -> str:
    word = {"access": "oat01", "refresh": "ort01"}[kind]
    body = {"access": "FAKEaccessTOKEN", "refresh": "FAKErefreshTOKEN"}[kind]
    return f"sk-ant-{word}-{body}{tag}forTESTSonly0123456789"


def creds(tag: str, expires: int = EXPIRES_FUTURE, scopes=SCOPES, ends=None) -> str:
    oauth = {"accessToken": tok("access", tag), "refreshToken": tok("refresh", tag), "expiresAt": expires,
             "scopes": scopes, "subscriptionType": "max"}
    if ends is not None:
        oauth["refreshTokenExpiresAt"] = ends
    return json.dumps({"claudeAiOauth": oauth})


def b64(s: str | bytes) -> str:
    return base64.b64encode(s.encode() if isinstance(s, str) else s).decode()


def secret(ns, name, data: dict, created=FRESH, annotations=None, type_="Opaque", labels=None):
    meta = {"name": name, "namespace": ns, "creationTimestamp": created, "uid": f"uid-{ns}-{name}"}
    if annotations:
        meta["annotations"] = annotations
    if labels:
        meta["labels"] = labels
    return {"metadata": meta, "type": type_, "data": {k: b64(v) for k, v in data.items()}}


def owned(owner="svc-aifactory", rotated=FRESH, **extra):
    return {"aifactory.dev/owner": owner, "aifactory.dev/rotated-at": rotated, **extra}


def cred_secret(ns, name, tag, **kw):
    ann = kw.pop("annotations", None) or owned(f"svc-aifactory-{ns}")
    login = creds(tag, kw.pop("expires", EXPIRES_FUTURE), kw.pop("scopes", SCOPES), kw.pop("ends", None))
    return secret(ns, name, {"credentials.json": login}, annotations=ann, **kw)


RESTRICTED_POD = {"runAsNonRoot": True, "runAsUser": 65532, "runAsGroup": 65532, "fsGroup": 65532,
                  "seccompProfile": {"type": "RuntimeDefault"}}
RESTRICTED_CTR = {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}}


def pod_spec(secret_name, read_only=True, env=None, mode=256):
    c = {"name": "aifactory", "image": "ghcr.io/aifactory/agent-service:1.0.0", "securityContext": RESTRICTED_CTR,
         "volumeMounts": [{"name": "claude-state", "mountPath": "/home/nonroot/.claude"},
                          {"name": "claude-credentials", "mountPath": "/home/nonroot/.claude/.credentials.json",
                           "subPath": "credentials.json", "readOnly": read_only}]}
    if env:
        c["env"] = env
    return {"securityContext": RESTRICTED_POD, "serviceAccountName": "default", "containers": [c],
            "volumes": [{"name": "claude-state", "emptyDir": {}},
                        {"name": "claude-credentials", "secret": {
                            "secretName": secret_name, "defaultMode": mode,
                            "items": [{"key": "credentials.json", "path": "credentials.json"}]}}]}


def labels(release, chart=True):
    base = {"app.kubernetes.io/name": "aifactory", "app.kubernetes.io/instance": release}
    if chart:
        base.update({"helm.sh/chart": "aifactory-0.1.0", "app.kubernetes.io/part-of": "aifactory",
                     "app.kubernetes.io/managed-by": "Helm"})
    return base


def install(ns, release, secret_name, replicas=1, chart=True, env=None, mode="readOnly", pods=1):
    """Deployment -> ReplicaSet -> running Pod(s), as the API returns them."""
    lab = labels(release, chart)
    ann = {"aifactory.dev/remote-control": "enabled", "aifactory.dev/credentials-secret": secret_name,
           "aifactory.dev/credentials-mode": mode} if chart else {}
    tmpl = {"metadata": {"labels": lab, "annotations": ann}, "spec": pod_spec(secret_name, env=env)}
    dep = {"metadata": {"name": release, "namespace": ns, "labels": lab, "uid": f"uid-dep-{release}"},
           "spec": {"replicas": replicas, "strategy": {"type": "Recreate"},
                    "selector": {"matchLabels": lab}, "template": tmpl}}
    rs_name = f"{release}-5d9f"
    rs = {"metadata": {"name": rs_name, "namespace": ns, "labels": lab,
                       "ownerReferences": [{"kind": "Deployment", "name": release, "controller": True}]},
          "spec": {"replicas": replicas, "template": tmpl}}
    out_pods = []
    for i in range(pods):
        out_pods.append({"metadata": {"name": f"{rs_name}-{i}", "namespace": ns, "labels": lab, "annotations": ann,
                                      "ownerReferences": [{"kind": "ReplicaSet", "name": rs_name, "controller": True}]},
                         "spec": tmpl["spec"], "status": {"phase": "Running"}})
    return dep, rs, out_pods


def helm_release(ns, name, revision, config, status):
    rel = {"name": name, "namespace": ns, "version": revision, "info": {"status": status},
           "config": config, "chart": {"metadata": {"name": "leaky", "version": "0.1.0"}, "values": {"greeting": "hi"}},
           "manifest": f"---\n# Source: leaky/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  greeting: hi\n"}
    payload = base64.b64encode(gzip.compress(json.dumps(rel).encode(), mtime=0)).decode()
    s = secret(ns, f"sh.helm.release.v1.{name}.v{revision}", {}, type_="helm.sh/release.v1",
               labels={"name": name, "owner": "helm", "status": status, "version": str(revision)})
    s["data"] = {"release": b64(payload)}
    return s


def build() -> dict[str, dict]:
    deployments, replicasets, pods, secrets, configmaps = [], [], [], [], []
    roles, rolebindings, clusterroles, clusterrolebindings = [], [], [], []

    def add_install(*a, **kw):
        d, r, p = install(*a, **kw)
        deployments.append(d)
        replicasets.append(r)
        pods.extend(p)
        return d, r, p

    # two good installs: team-a (readOnly), team-b (writeBack with its narrow Role)
    add_install("team-a", "rc-a", "claude-a")
    secrets.append(cred_secret("team-a", "claude-a", "A"))
    add_install("team-b", "rc-b", "claude-b", mode="writeBack")
    secrets.append(cred_secret("team-b", "claude-b", "B"))
    wb_labels = {**labels("rc-b"), "app.kubernetes.io/component": "credentials-writeback"}
    roles.append({"metadata": {"name": "rc-b-writeback", "namespace": "team-b", "labels": wb_labels},
                  "rules": [{"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["claude-b"],
                             "verbs": ["get", "patch"]}]})
    rolebindings.append({"metadata": {"name": "rc-b-writeback", "namespace": "team-b", "labels": wb_labels},
                         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "rc-b-writeback"},
                         "subjects": [{"kind": "ServiceAccount", "name": "rc-b", "namespace": "team-b"}]})
    # shared login under two Secret names: a hand-written Deployment (no chart labels) and a chart install
    add_install("team-c", "rc-c", "login-c", chart=False)
    secrets.append(cred_secret("team-c", "login-c", "SHARED"))
    add_install("team-d", "rc-d", "creds-d")
    secrets.append(cred_secret("team-d", "creds-d", "SHARED"))
    # a token in a ConfigMap; a Helm release whose first revision stored a token in values
    configmaps.append({"metadata": {"name": "notes", "namespace": "team-e"},
                       "data": {"howto.txt": f"login with {tok('refresh', 'E')}"}})
    configmaps.append({"metadata": {"name": "kube-root-ca.crt", "namespace": "team-e"},
                       "data": {"ca.crt": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"}})
    secrets.append(helm_release("team-e", "leaky", 1, {"token": tok("access", "E")}, "superseded"))
    secrets.append(helm_release("team-e", "leaky", 2, {"greeting": "hello"}, "deployed"))
    # an over-broad RoleBinding in team-a: User alice reads every Secret there
    clusterroles.append({"metadata": {"name": "secret-reader"},
                         "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}]})
    rolebindings.append({"metadata": {"name": "dev-read-secrets", "namespace": "team-a"},
                         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "secret-reader"},
                         "subjects": [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "alice"}]})
    # a reader limited to another Secret's name: not a reader of the credentials
    roles.append({"metadata": {"name": "read-tls", "namespace": "team-a"},
                  "rules": [{"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["tls"], "verbs": ["get"]}]})
    rolebindings.append({"metadata": {"name": "read-tls", "namespace": "team-a"},
                         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "read-tls"},
                         "subjects": [{"kind": "User", "name": "bob"}]})
    # the usual cluster: admins and controllers read secrets; allowed by default
    clusterroles.append({"metadata": {"name": "cluster-admin"},
                         "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]})
    clusterrolebindings.append({"metadata": {"name": "cluster-admin"},
                                "roleRef": {"kind": "ClusterRole", "name": "cluster-admin"},
                                "subjects": [{"kind": "Group", "name": "system:masters"}]})
    clusterrolebindings.append({"metadata": {"name": "kubeadm:cluster-admins"},
                                "roleRef": {"kind": "ClusterRole", "name": "cluster-admin"},
                                "subjects": [{"kind": "Group", "name": "kubeadm:cluster-admins"}]})
    clusterroles.append({"metadata": {"name": "system:controller:namespace-controller"},
                         "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["delete", "deletecollection", "get", "list"]}]})
    clusterrolebindings.append({"metadata": {"name": "system:controller:namespace-controller"},
                                "roleRef": {"kind": "ClusterRole", "name": "system:controller:namespace-controller"},
                                "subjects": [{"kind": "ServiceAccount", "name": "namespace-controller", "namespace": "kube-system"}]})
    # expired rotation cadence (created 121 days before NOW, no rotated-at)
    add_install("team-g", "rc-g", "claude-g")
    secrets.append(cred_secret("team-g", "claude-g", "G", created=OLD,
                               annotations={"aifactory.dev/owner": "system:serviceaccount:team-g:rc-g"}))
    # a person's login whose access token expired in the Secret
    add_install("team-h", "rc-h", "claude-h")
    secrets.append(cred_secret("team-h", "claude-h", "H", expires=EXPIRES_PAST,
                               annotations=owned("alice@example.com")))
    # two running pods of one Deployment hold the same Secret
    add_install("team-i", "rc-i", "claude-i", replicas=2, pods=2)
    secrets.append(cred_secret("team-i", "claude-i", "I"))
    # a running pod of an old ReplicaSet mounts the file writable (the Deployment is fixed since)
    _, _, _ = add_install("team-j", "rc-j", "claude-j")
    secrets.append(cred_secret("team-j", "claude-j", "J"))
    old_rs = {"metadata": {"name": "rc-j-old", "namespace": "team-j", "labels": labels("rc-j"),
                           "ownerReferences": [{"kind": "Deployment", "name": "rc-j", "controller": True}]},
              "spec": {"replicas": 0}}
    replicasets.append(old_rs)
    pods.append({"metadata": {"name": "rc-j-old-1", "namespace": "team-j", "labels": labels("rc-j"),
                              "ownerReferences": [{"kind": "ReplicaSet", "name": "rc-j-old", "controller": True}]},
                 "spec": pod_spec("claude-j", read_only=False), "status": {"phase": "Running"}})
    # a finished pod is no holder and not judged
    pods.append({"metadata": {"name": "rc-j-done", "namespace": "team-j"},
                 "spec": pod_spec("claude-j", read_only=False), "status": {"phase": "Succeeded"}})
    # RC env that breaks Remote Control; the API key Secret was kubectl-applied (last-applied annotation)
    add_install("team-k", "rc-k", "claude-k",
                env=[{"name": "ANTHROPIC_API_KEY", "valueFrom": {"secretKeyRef": {"name": "api-key", "key": "key"}}}])
    secrets.append(cred_secret("team-k", "claude-k", "K"))
    applied = json.dumps({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "api-key", "namespace": "team-k"},
                          "stringData": {"key": "sk-ant-api03-FAKEapiKEYforTESTSonly0123456789"}})
    secrets.append(secret("team-k", "api-key", {"key": "sk-ant-api03-FAKEapiKEYforTESTSonly0123456789"},
                          annotations={"kubectl.kubernetes.io/last-applied-configuration": applied,
                                       **owned("svc-aifactory-team-k")}))
    # a login's end, as Claude Code stores it: within the 7-day warning, and past it
    add_install("team-l", "rc-l", "claude-l", mode="writeBack")
    secrets.append(cred_secret("team-l", "claude-l", "L", ends=ENDS_IN_3_DAYS))
    add_install("team-q", "rc-q", "claude-q", mode="writeBack")
    secrets.append(cred_secret("team-q", "claude-q", "Q", ends=ENDED_A_DAY_AGO))
    # a login without user:sessions:claude_code (Claude Code accepts it; Remote Control reported to fail)
    add_install("team-r", "rc-r", "claude-r", mode="writeBack")
    secrets.append(cred_secret("team-r", "claude-r", "R", scopes=["user:inference", "user:profile"]))
    # noise every cluster has
    secrets.append(secret("kube-system", "bootstrap-token-abcdef", {"token-id": "abcdef"}, type_="bootstrap.kubernetes.io/token"))
    secrets.append(secret("team-a", "tls", {"tls.crt": "CERT", "tls.key": "KEY"}, type_="kubernetes.io/tls"))

    namespaces = [{"metadata": {"name": n}} for n in
                  ["default", "kube-system", *sorted({o["metadata"]["namespace"] for o in deployments + configmaps})]]

    def lst(kind, items):
        return {"kind": kind + "List", "apiVersion": "v1", "metadata": {"resourceVersion": "1"}, "items": items}

    return {
        "namespaces": lst("Namespace", namespaces), "pods": lst("Pod", pods), "secrets": lst("Secret", secrets),
        "configmaps": lst("ConfigMap", configmaps), "deployments": lst("Deployment", deployments),
        "replicasets": lst("ReplicaSet", replicasets), "statefulsets": lst("StatefulSet", []),
        "daemonsets": lst("DaemonSet", []), "jobs": lst("Job", []), "cronjobs": lst("CronJob", []),
        "roles": lst("Role", roles), "rolebindings": lst("RoleBinding", rolebindings),
        "clusterroles": lst("ClusterRole", clusterroles), "clusterrolebindings": lst("ClusterRoleBinding", clusterrolebindings),
        "leases": lst("Lease", []), "horizontalpodautoscalers": lst("HorizontalPodAutoscaler", []),
    }


# ---- broker mode (docs/design.md "Broker mode") ------------------------------------------------
# Install rel-X in namespace team-X: Deployment rel-X-aifactory-credentials-broker (the only holder of
# Secret claude-X, elected by the Lease of the same name) and the agents' Deployment rel-X-aifactory,
# which receive Secret rel-X-aifactory-claude-access (the login without its refresh token).
# (rule, target) of every AIF2xx problem planted below; the manifest rules (policies/rules/*) are
# not what this dump is about.
PLANTED_BROKER = sorted([
    ("AIF205", "team-m/Secret/claude-m"),   # warning: broker down 10 min, the agents' token valid 1 more day
    ("AIF205", "team-n/Secret/claude-n"),   # error: broker down (released, nothing took over), token expired
    ("AIF205", "team-o/Secret/claude-o"),   # error: the broker's refresh was refused
    ("AIF206", "team-p/Secret/claude-p"),   # a broker-mode agent pod that mounts the Secret beside the broker
])
SECONDS_AGO_5 = "2025-06-30T11:59:55.123456Z"    # renewTime: micro-second RFC 3339, as Leases are written
MINUTES_AGO_10 = "2025-06-30T11:50:00.000001Z"
HOURS_AGO_3 = "2025-06-30T09:00:00.500000Z"
EXPIRED_AN_HOUR_AGO = 1751281200000             # 2025-06-30T11:00:00Z in ms


def rfc3339_ms(ms: int) -> str:
    import time
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms / 1000))


def access_creds(tag: str, expires: int) -> str:
    """What the broker publishes: the login without its refresh token."""
    doc = json.loads(creds(tag, expires))
    doc["claudeAiOauth"].pop("refreshToken")
    return json.dumps(doc)


def broker_install(ns: str, release: str, secret_name: str, *, holder: str, renewed: str, duration: int = 45,
                   expires: int = EXPIRES_FUTURE, login_state: bool = False, broker_replicas: int = 2,
                   agent_replicas: int = 3) -> dict[str, list]:
    """Every object of one broker install as the chart renders it and the broker leaves it."""
    full = f"{release}-aifactory"
    brk, access = f"{full}-credentials-broker", f"{full}-claude-access"
    lab = labels(release)
    out: dict[str, list] = {k: [] for k in ("deployments", "replicasets", "pods", "secrets", "roles",
                                            "rolebindings", "leases")}

    def workload(name, component, replicas, annotations, spec):
        wl = {**lab, "app.kubernetes.io/component": component}
        tmpl = {"metadata": {"labels": wl, "annotations": annotations}, "spec": spec}
        out["deployments"].append({"metadata": {"name": name, "namespace": ns, "labels": wl, "uid": f"uid-dep-{name}"},
                                   "spec": {"replicas": replicas, "strategy": {"type": "RollingUpdate"},
                                            "selector": {"matchLabels": wl}, "template": tmpl}})
        rs = f"{name}-6c8d"
        out["replicasets"].append({"metadata": {"name": rs, "namespace": ns, "labels": wl, "ownerReferences": [
            {"kind": "Deployment", "name": name, "controller": True}]}, "spec": {"replicas": replicas, "template": tmpl}})
        for i in range(replicas):
            out["pods"].append({"metadata": {"name": f"{rs}-{i}", "namespace": ns, "labels": wl,
                                             "annotations": annotations, "ownerReferences": [
                                                 {"kind": "ReplicaSet", "name": rs, "controller": True}]},
                                "spec": spec, "status": {"phase": "Running"}})

    token = {"name": "api-token", "projected": {"defaultMode": 256, "sources": [
        {"serviceAccountToken": {"path": "token", "expirationSeconds": 3600}}]}}
    scripts = {"name": "broker-scripts", "configMap": {"name": brk, "defaultMode": 292}}
    workload(brk, "credentials-broker", broker_replicas,
             {"aifactory.dev/credentials-broker": "enabled", "aifactory.dev/credentials-secret": secret_name,
              "aifactory.dev/credentials-mode": "broker"},
             {"serviceAccountName": brk, "automountServiceAccountToken": False, "securityContext": RESTRICTED_POD,
              "containers": [{"name": "broker", "image": "ghcr.io/aifactory/agent-service:1.0.0",
                              "command": ["python3", "/opt/aifactory/broker/credentials_broker.py"],
                              "args": [f"--secret={secret_name}", "--key=credentials.json", f"--access-secret={access}",
                                       f"--lease={brk}", f"--namespace={ns}", "--home=/var/lib/aifactory-broker"],
                              "securityContext": RESTRICTED_CTR,
                              "volumeMounts": [{"name": "private-home", "mountPath": "/var/lib/aifactory-broker"},
                                               {"name": "broker-scripts", "mountPath": "/opt/aifactory/broker", "readOnly": True},
                                               {"name": "api-token", "mountPath": "/var/run/secrets/aifactory/broker", "readOnly": True}]}],
              "volumes": [{"name": "private-home", "emptyDir": {"medium": "Memory"}}, scripts, token]})
    workload(full, "agent", agent_replicas,
             {"aifactory.dev/remote-control": "enabled", "aifactory.dev/credentials-secret": secret_name,
              "aifactory.dev/credentials-mode": "broker", "aifactory.dev/access-secret": access},
             {"serviceAccountName": full, "automountServiceAccountToken": False, "securityContext": RESTRICTED_POD,
              "initContainers": [{"name": "credentials-receiver", "image": "ghcr.io/aifactory/agent-service:1.0.0",
                                  "restartPolicy": "Always", "securityContext": RESTRICTED_CTR,
                                  "args": [f"--secret={access}", "--file=/run/aifactory/access/.credentials.json"],
                                  "volumeMounts": [{"name": "claude-access", "mountPath": "/run/aifactory/access"},
                                                   {"name": "broker-scripts", "mountPath": "/opt/aifactory/broker", "readOnly": True},
                                                   {"name": "api-token", "mountPath": "/var/run/secrets/aifactory/receiver", "readOnly": True}]}],
              "containers": [{"name": "agent", "image": "ghcr.io/aifactory/agent-service:1.0.0",
                              "securityContext": RESTRICTED_CTR,
                              "volumeMounts": [{"name": "claude-dir", "mountPath": "/home/nonroot/.claude"},
                                               {"name": "claude-access", "mountPath": "/run/aifactory/access", "readOnly": True}]}],
              "volumes": [{"name": "claude-dir", "emptyDir": {}}, {"name": "claude-access", "emptyDir": {"medium": "Memory"}},
                          scripts, token]})
    tag = ns.rsplit("-", 1)[-1].upper()
    source = owned(f"system:serviceaccount:{ns}:{brk}", **{"aifactory.dev/rotated-by": "aifactory-credentials-broker"})
    if login_state:
        source.update({"aifactory.dev/login-state": "refresh-refused", "aifactory.dev/login-state-at": "2025-06-30T10:00:00Z"})
    out["secrets"].append(cred_secret(ns, secret_name, tag, expires=expires, annotations=source,
                                      labels={"aifactory.dev/credentials": "claude-code", "aifactory.dev/install": release}))
    # the chart made it at install time, long ago (no AIF202), with no owner (no AIF204): not a login
    out["secrets"].append(secret(ns, access, {"credentials.json": access_creds(tag, expires)}, created=OLD,
                                 annotations={"aifactory.dev/access-only": "true",
                                              "aifactory.dev/access-expires-at": rfc3339_ms(expires),
                                              "aifactory.dev/published-at": "2025-06-30T11:30:00.250Z"}))
    for name, component, rules, sa in (
            (brk, "credentials-broker", [
                {"apiGroups": [""], "resources": ["secrets"], "resourceNames": [secret_name, access],
                 "verbs": ["get", "patch", "update"]},
                {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "resourceNames": [brk],
                 "verbs": ["get", "update"]}], brk),
            (f"{full}-credentials-receiver", "credentials-receiver", [
                {"apiGroups": [""], "resources": ["secrets"], "resourceNames": [access],
                 "verbs": ["get", "list", "watch"]}], full)):
        rl = {**lab, "app.kubernetes.io/component": component}
        out["roles"].append({"metadata": {"name": name, "namespace": ns, "labels": rl}, "rules": rules})
        out["rolebindings"].append({"metadata": {"name": name, "namespace": ns, "labels": rl},
                                    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
                                    "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": ns}]})
    spec = {"holderIdentity": holder, "renewTime": renewed, "leaseDurationSeconds": duration}
    out["leases"].append({"metadata": {"name": brk, "namespace": ns, "labels": {**lab, "app.kubernetes.io/component":
                                                                                 "credentials-broker"}}, "spec": spec})
    return out


def build_broker() -> dict[str, dict]:
    parts = [
        # healthy: two broker replicas (one holds the Lease), three agents on the access Secret
        broker_install("team-l", "rel-l", "claude-l", holder="rel-l-aifactory-credentials-broker-6c8d-0",
                       renewed=SECONDS_AGO_5),
        # down for 10 minutes; the agents' access token still works until EXPIRES_FUTURE
        broker_install("team-m", "rel-m", "claude-m", holder="rel-m-aifactory-credentials-broker-6c8d-0",
                       renewed=MINUTES_AGO_10),
        # released 3 hours ago and nothing took over; the access token expired an hour ago
        broker_install("team-n", "rel-n", "claude-n", holder="", renewed=HOURS_AGO_3, duration=1,
                       expires=EXPIRED_AN_HOUR_AGO),
        # up, but the server refused its refresh
        broker_install("team-o", "rel-o", "claude-o", holder="rel-o-aifactory-credentials-broker-6c8d-1",
                       renewed=SECONDS_AGO_5, login_state=True),
        # up; one agent pod of an earlier revision still mounts the source Secret
        broker_install("team-p", "rel-p", "claude-p", holder="rel-p-aifactory-credentials-broker-6c8d-0",
                       renewed=SECONDS_AGO_5, broker_replicas=1, agent_replicas=1),
    ]
    objects: dict[str, list] = {}
    for part in parts:
        for k, items in part.items():
            objects.setdefault(k, []).extend(items)
    old = json.loads(json.dumps(next(p for p in objects["pods"] if p["metadata"]["name"] == "rel-p-aifactory-6c8d-0")))
    old["metadata"]["name"] = "rel-p-aifactory-old-0"
    old["spec"]["volumes"].append({"name": "login", "secret": {"secretName": "claude-p", "defaultMode": 256}})
    old["spec"]["containers"][0]["volumeMounts"].append({"name": "login", "mountPath": "/etc/claude-login", "readOnly": True})
    objects["pods"].append(old)
    namespaces = [{"metadata": {"name": n}} for n in sorted({d["metadata"]["namespace"] for d in objects["deployments"]})]
    kinds = {"namespaces": "Namespace", "pods": "Pod", "secrets": "Secret", "configmaps": "ConfigMap",
             "deployments": "Deployment", "replicasets": "ReplicaSet", "statefulsets": "StatefulSet",
             "daemonsets": "DaemonSet", "jobs": "Job", "cronjobs": "CronJob", "roles": "Role",
             "rolebindings": "RoleBinding", "clusterroles": "ClusterRole", "clusterrolebindings": "ClusterRoleBinding",
             "leases": "Lease", "horizontalpodautoscalers": "HorizontalPodAutoscaler"}
    objects["namespaces"] = namespaces
    return {name: {"kind": kind + "List", "apiVersion": "v1", "metadata": {"resourceVersion": "1"},
                   "items": objects.get(name, [])} for name, kind in kinds.items()}


def render(builder=build) -> dict[str, str]:
    return {f"{name}.json": json.dumps(body, indent=1, sort_keys=True) + "\n" for name, body in builder().items()}


if __name__ == "__main__":
    for out, builder in ((OUT, build), (OUT_BROKER, build_broker)):
        out.mkdir(parents=True, exist_ok=True)
        files = render(builder)
        for fname, text in files.items():
            (out / fname).write_text(text, encoding="utf-8")
        print(f"wrote {len(files)} files to {out}", file=sys.stderr)
