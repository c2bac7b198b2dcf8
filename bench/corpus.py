"""Deterministic benchmark inputs: a scan corpus of realistic documents with planted findings, and
recorded cluster dumps (the audit's `--from-dump` format) of N workloads.

    .venv/bin/python bench/corpus.py scan DIR 10000        # 10k documents under DIR
    .venv/bin/python bench/corpus.py dump DIR 10000        # a dump of 10k workloads under DIR
    .venv/bin/python bench/corpus.py file FILE 50          # one multi-document file of ~50 MB

Every token is fake (bodies start with FAKE). The same (kind, size, seed) always gives the same
bytes, so runs are comparable across commits.
"""
from __future__ import annotations

import base64
import json
import os
import random
import sys
from dataclasses import dataclass, field

SEED = 6
DOCS_PER_FILE = 10          # manifests are multi-document files of this many documents
PLANT_EVERY = 50            # one document in 50 carries credential material


def fake_token(rng: random.Random, family: str = "oat01") -> str:
    body = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") for _ in range(40))
    return f"sk-ant-{family}-FAKEbench{body}"


def fake_login(rng: random.Random) -> str:
    return json.dumps({"claudeAiOauth": {"accessToken": fake_token(rng, "oat01"),
                                         "refreshToken": fake_token(rng, "ort01"),
                                         "expiresAt": 1751371200000, "scopes": ["user:inference"]}})


def b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


def _labels(app: str) -> str:
    return (f"    app.kubernetes.io/name: {app}\n    app.kubernetes.io/instance: {app}\n"
            f"    app.kubernetes.io/part-of: shop\n    team: team-{int(app[4:]) % 7}\n")


def deployment(rng: random.Random, i: int, planted: bool) -> str:
    app = f"svc-{i:06d}"
    env_extra = (f"            - name: CLAUDE_TOKEN\n              value: {fake_token(rng)}\n" if planted else "")
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {app}
  namespace: ns-{i % 97}
  labels:
{_labels(app)}  annotations:
    deployment.kubernetes.io/revision: "{rng.randint(1, 40)}"
spec:
  replicas: {rng.choice([1, 2, 3])}
  selector:
    matchLabels:
      app.kubernetes.io/name: {app}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {app}
    spec:
      serviceAccountName: {app}
      securityContext:
        runAsNonRoot: true
        runAsUser: 65532
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: app
          image: registry.example.com/shop/{app}:1.{rng.randint(0, 99)}.{rng.randint(0, 9)}
          args: ["--port=8080", "--log-level=info"]
          ports:
            - containerPort: 8080
              name: http
          env:
            - name: LOG_FORMAT
              value: json
            - name: DB_HOST
              value: db-{i % 13}.ns-{i % 97}.svc
{env_extra}          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
            limits: {{memory: 256Mi}}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: [ALL]
          volumeMounts:
            - name: config
              mountPath: /etc/{app}
              readOnly: true
      volumes:
        - name: config
          configMap:
            name: {app}-config
"""


def configmap(rng: random.Random, i: int, planted: bool) -> str:
    app = f"svc-{i:06d}"
    note = f"    login with {fake_token(rng, 'ort01')}\n" if planted else "    see the runbook\n"
    return f"""\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {app}-config
  namespace: ns-{i % 97}
  labels:
{_labels(app)}data:
  LOG_LEVEL: info
  FEATURE_FLAGS: "search,checkout,recommendations"
  app.properties: |
    server.port=8080
    cache.ttl={rng.randint(10, 600)}
  README: |
{note}"""


def secret(rng: random.Random, i: int, planted: bool) -> str:
    app = f"svc-{i:06d}"
    value = fake_login(rng) if planted else f"postgres://user:pw{rng.randint(0, 10**6)}@db/{app}"
    return f"""\
apiVersion: v1
kind: Secret
metadata:
  name: {app}-secret
  namespace: ns-{i % 97}
type: Opaque
data:
  DATABASE_URL: {b64(value)}
  TLS_HINT: {b64('not a credential, just some bytes ' + str(i))}
"""


def values(rng: random.Random, i: int, planted: bool) -> str:
    comment = f"# old token: {fake_token(rng)}\n" if planted else "# values for one tenant\n"
    return f"""{comment}replicaCount: 1
image:
  repository: registry.example.com/shop/svc-{i:06d}
  tag: "1.{rng.randint(0, 99)}.0"
remoteControl:
  enabled: {str(i % 3 == 0).lower()}
  credentialsSecretName: claude-{i:06d}
  mode: readOnly
resources:
  requests: {{cpu: 100m, memory: 128Mi}}
podAnnotations:
  team: team-{i % 7}
nodeSelector:
  kubernetes.io/os: linux
"""


KINDS = (deployment, configmap, secret)


@dataclass
class Corpus:
    root: str
    documents: int = 0
    files: list[str] = field(default_factory=list)
    planted: int = 0            # documents carrying credential material


def make_scan_corpus(root: str, n_docs: int, seed: int = SEED) -> Corpus:
    """n_docs documents: 1 in 4 a single-document values file, the rest multi-document manifest
    files of DOCS_PER_FILE Deployments/ConfigMaps/Secrets, spread over nested folders."""
    rng = random.Random(seed * 1_000_003 + n_docs)
    corpus = Corpus(root)
    i = 0
    batch: list[str] = []

    def path_for(n: int, ext: str) -> str:
        d = os.path.join(root, f"team-{n % 16:02d}", f"app-{(n // 16) % 64:02d}")
        os.makedirs(d, exist_ok=True)
        return os.path.join(d, f"f{n:06d}{ext}")

    def flush() -> None:
        if batch:
            p = path_for(i, ".yaml")
            with open(p, "w", encoding="utf-8") as fh:
                fh.write("---\n".join(batch))
            corpus.files.append(p)
            batch.clear()

    while i < n_docs:
        planted = i % PLANT_EVERY == PLANT_EVERY - 1
        corpus.planted += planted
        if i % 4 == 3:
            p = path_for(i, "-values.yaml")
            with open(p, "w", encoding="utf-8") as fh:
                fh.write(values(rng, i, planted))
            corpus.files.append(p)
        else:
            batch.append(KINDS[i % 3](rng, i, planted))
            if len(batch) == DOCS_PER_FILE:
                flush()
        i += 1
        corpus.documents += 1
    flush()
    return corpus


def make_large_file(path: str, megabytes: int, seed: int = SEED) -> Corpus:
    """One multi-document manifest file of about `megabytes` MB (a CRD bundle, `kubectl get -o yaml`
    of a namespace): the scan corpus's Deployments, ConfigMaps and Secrets one after another, one
    in PLANT_EVERY carrying credential material."""
    rng = random.Random(seed * 7919 + megabytes)
    corpus = Corpus(os.path.dirname(path))
    target = megabytes * 1024 * 1024
    size = 0
    i = 0
    with open(path, "w", encoding="utf-8") as fh:
        while size < target:
            planted = i % PLANT_EVERY == PLANT_EVERY - 1
            doc = ("---\n" if i else "") + KINDS[i % 3](rng, i, planted)
            fh.write(doc)
            size += len(doc.encode())
            corpus.planted += planted
            corpus.documents += 1
            i += 1
    corpus.files.append(path)
    return corpus


# ---- cluster dumps ------------------------------------------------------------------------------

def _install(ns: str, name: str, secret_name: str, replicas: int, writable: bool):
    lab = {"app.kubernetes.io/name": "aifactory", "app.kubernetes.io/instance": name,
           "helm.sh/chart": "aifactory-0.1.0", "app.kubernetes.io/part-of": "aifactory",
           "app.kubernetes.io/managed-by": "Helm"}
    ann = {"aifactory.dev/remote-control": "enabled", "aifactory.dev/credentials-secret": secret_name,
           "aifactory.dev/credentials-mode": "readOnly"}
    spec = {"securityContext": {"runAsNonRoot": True, "runAsUser": 65532, "runAsGroup": 65532, "fsGroup": 65532,
                                "seccompProfile": {"type": "RuntimeDefault"}},
            "serviceAccountName": "default",
            "containers": [{"name": "aifactory", "image": "ghcr.io/aifactory/agent-service:1.0.0",
                            "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                                "capabilities": {"drop": ["ALL"]}},
                            "volumeMounts": [{"name": "claude-state", "mountPath": "/home/nonroot/.claude"},
                                             {"name": "claude-credentials",
                                              "mountPath": "/home/nonroot/.claude/.credentials.json",
                                              "subPath": "credentials.json", "readOnly": not writable}]}],
            "volumes": [{"name": "claude-state", "emptyDir": {}},
                        {"name": "claude-credentials", "secret": {
                            "secretName": secret_name, "defaultMode": 256,
                            "items": [{"key": "credentials.json", "path": "credentials.json"}]}}]}
    tmpl = {"metadata": {"labels": lab, "annotations": ann}, "spec": spec}
    dep = {"metadata": {"name": name, "namespace": ns, "labels": lab, "uid": f"uid-{ns}-{name}"},
           "spec": {"replicas": replicas, "strategy": {"type": "Recreate"}, "selector": {"matchLabels": lab},
                    "template": tmpl}}
    rs_name = f"{name}-5d9f"
    rs = {"metadata": {"name": rs_name, "namespace": ns, "labels": lab,
                       "ownerReferences": [{"kind": "Deployment", "name": name, "controller": True}]},
          "spec": {"replicas": replicas, "template": tmpl}}
    pod = {"metadata": {"name": f"{rs_name}-0", "namespace": ns, "labels": lab, "annotations": ann,
                        "ownerReferences": [{"kind": "ReplicaSet", "name": rs_name, "controller": True}]},
           "spec": spec, "status": {"phase": "Running"}}
    return dep, rs, pod


def _plain_workload(ns: str, name: str):
    lab = {"app": name}
    spec = {"securityContext": {"runAsNonRoot": True, "runAsUser": 1000, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{"name": "app", "image": f"registry.example.com/{name}:1",
                            "env": [{"name": "LOG_LEVEL", "value": "info"}],
                            "securityContext": {"allowPrivilegeEscalation": False,
                                                "capabilities": {"drop": ["ALL"]}}}]}
    dep = {"metadata": {"name": name, "namespace": ns, "labels": lab, "uid": f"uid-{ns}-{name}"},
           "spec": {"replicas": 2, "selector": {"matchLabels": lab}, "template": {"metadata": {"labels": lab},
                                                                             "spec": spec}}}
    rs_name = f"{name}-7c4b"
    rs = {"metadata": {"name": rs_name, "namespace": ns, "labels": lab,
                       "ownerReferences": [{"kind": "Deployment", "name": name, "controller": True}]},
          "spec": {"replicas": 2, "template": {"metadata": {"labels": lab}, "spec": spec}}}
    pod = {"metadata": {"name": f"{rs_name}-0", "namespace": ns, "labels": lab,
                        "ownerReferences": [{"kind": "ReplicaSet", "name": rs_name, "controller": True}]},
           "spec": spec, "status": {"phase": "Running"}}
    return dep, rs, pod


def make_dump(root: str, n_workloads: int, seed: int = SEED) -> dict:
    """n_workloads Deployments (each with its ReplicaSet and a running Pod) in n/20 namespaces; one
    in 10 is an AIFactory install with its credentials Secret, the rest ordinary apps with a
    ConfigMap each. Planted: every 25th install mounts the file writable (AIF002/AIF007), every
    50th install's Secret is shared with the previous one (AIF201), every 100th ConfigMap holds a
    token (AIF001)."""
    rng = random.Random(seed * 7 + n_workloads)
    os.makedirs(root, exist_ok=True)
    lists: dict[str, list] = {k: [] for k in ("deployments", "replicasets", "pods", "secrets", "configmaps")}
    namespaces = set()
    installs = 0
    login = None
    for i in range(n_workloads):
        ns = f"ns-{i // 20:05d}"
        namespaces.add(ns)
        if i % 10 == 0:
            installs += 1
            name = f"rc-{i:06d}"
            secret_name = f"claude-{i:06d}"
            dep, rs, pod = _install(ns, name, secret_name, 1, writable=installs % 25 == 0)
            if installs % 50 != 0 or login is None:
                login = fake_login(rng)
            lists["secrets"].append({"metadata": {"name": secret_name, "namespace": ns,
                                                  "creationTimestamp": "2025-06-20T09:00:00Z",
                                                  "annotations": {"aifactory.dev/owner": f"svc-{ns}",
                                                                  "aifactory.dev/rotated-at": "2025-06-20T09:00:00Z"}},
                                     "type": "Opaque", "data": {"credentials.json": b64(login)}})
        else:
            name = f"app-{i:06d}"
            dep, rs, pod = _plain_workload(ns, name)
            body = f"login with {fake_token(rng, 'ort01')}" if i % 100 == 1 else "server.port=8080\n"
            lists["configmaps"].append({"metadata": {"name": f"{name}-config", "namespace": ns},
                                        "data": {"app.properties": body}})
        lists["deployments"].append(dep)
        lists["replicasets"].append(rs)
        lists["pods"].append(pod)
    bodies = {name: {"kind": "List", "apiVersion": "v1", "metadata": {"resourceVersion": "1"}, "items": items}
              for name, items in lists.items()}
    bodies["namespaces"] = {"kind": "NamespaceList", "apiVersion": "v1",
                            "items": [{"metadata": {"name": n}} for n in sorted(namespaces)]}
    for empty in ("statefulsets", "daemonsets", "jobs", "cronjobs", "roles", "rolebindings", "clusterroles",
                  "clusterrolebindings", "serviceaccounts"):
        bodies[empty] = {"kind": "List", "apiVersion": "v1", "items": []}
    for name, body in bodies.items():
        with open(os.path.join(root, f"{name}.json"), "w", encoding="utf-8") as fh:
            json.dump(body, fh)
    return {"workloads": n_workloads, "installs": installs}


if __name__ == "__main__":
    kind, where, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if kind == "scan":
        c = make_scan_corpus(where, size)
        print(f"{c.documents} documents in {len(c.files)} files ({c.planted} planted) under {where}")
    elif kind == "file":
        c = make_large_file(where, size)
        print(f"{c.documents} documents ({c.planted} planted) in {where}")
    else:
        print(make_dump(where, size))
