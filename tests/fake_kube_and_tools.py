"""Offline stand-ins for what the credentials commands talk to: an in-memory Kubernetes API and fake
`claude` and `security` executables. The fake logins themselves are in fake_credentials.py."""
from __future__ import annotations

import copy
import json
import os
import stat
import textwrap
from pathlib import Path
from typing import Optional

NS = "agents"


class FakeKube:
    """Implements credentials.kube.Kube in memory. Server-side apply: replaces labels/annotations/data it
    is given (enough for these tests); records every call. Deployments roll out after `rollout_polls` gets."""

    def __init__(self):
        self.secrets: dict = {}
        self.deployments: dict = {}
        self.leases: dict = {}
        self.calls: list = []
        self.rollout_polls = 1
        self.never_roll_out = False
        self._polls: dict = {}
        self._rv = 0
        self.before_apply = None   # callable(fake): runs once, before the next apply_secret

    # -- helpers for tests
    def add_secret(self, namespace, name, data: dict, labels=None, annotations=None):
        import base64
        self._rv += 1
        self.secrets[(namespace, name)] = {
            "metadata": {"name": name, "namespace": namespace, "labels": dict(labels or {}),
                         "annotations": dict(annotations or {}), "resourceVersion": str(self._rv)},
            "data": {k: base64.b64encode(v if isinstance(v, bytes) else json.dumps(v).encode()).decode()
                     for k, v in data.items()}}

    def add_deployment(self, namespace, name, secret, mode="writeBack", install="aifactory", sa="aifactory-sa",
                       annotations=None, replicas=1):
        self.deployments[(namespace, name)] = {
            "metadata": {"name": name, "namespace": namespace, "generation": 1,
                         "labels": {"app.kubernetes.io/instance": install}},
            "spec": {"replicas": replicas, "template": {
                "metadata": {"annotations": {"aifactory.dev/remote-control": "enabled",
                                             "aifactory.dev/credentials-secret": secret,
                                             "aifactory.dev/credentials-mode": mode, **(annotations or {})}},
                "spec": {"serviceAccountName": sa}}},
            "status": {"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "availableReplicas": 1}}

    def add_lease(self, namespace, name, holder=None, renew_time=None, duration=45):
        """A coordination.k8s.io/v1 Lease as the broker leaves it (the chart creates it with an empty spec)."""
        spec = {k: v for k, v in (("holderIdentity", holder), ("renewTime", renew_time),
                                  ("leaseDurationSeconds", duration if renew_time else None)) if v is not None}
        self.leases[(namespace, name)] = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                                          "metadata": {"name": name, "namespace": namespace}, "spec": spec}

    def secret_json(self, namespace, name) -> Optional[dict]:
        import base64
        s = self.secrets.get((namespace, name))
        if not s:
            return None
        return {k: base64.b64decode(v) for k, v in s["data"].items()}

    # -- the Kube interface
    def get_secret(self, namespace, name):
        self.calls.append(("get_secret", namespace, name))
        s = self.secrets.get((namespace, name))
        return copy.deepcopy(s) if s else None

    def apply_secret(self, manifest, force=False):
        meta = manifest["metadata"]
        self.calls.append(("apply_secret", meta["namespace"], meta["name"], force))
        if self.before_apply:            # a concurrent writer (the broker's refresh) just before this apply
            hook, self.before_apply = self.before_apply, None
            hook(self)
        cur = self.secrets.get((meta["namespace"], meta["name"]), {"metadata": {}})
        want = meta.get("resourceVersion")
        if want and want != cur["metadata"].get("resourceVersion"):
            from aifactory_policy.credentials.kube import Conflict
            raise Conflict(f"Kubernetes API: apply Secret {meta['namespace']}/{meta['name']}: HTTP 409 the object "
                           "has been modified")
        self._rv += 1
        new = copy.deepcopy(manifest)
        new["metadata"]["annotations"] = {**(cur["metadata"].get("annotations") or {}),
                                          **(meta.get("annotations") or {})}
        new["metadata"]["resourceVersion"] = str(self._rv)
        self.secrets[(meta["namespace"], meta["name"])] = new
        return copy.deepcopy(new)

    def list_secrets(self, namespace, selector):
        self.calls.append(("list_secrets", namespace, selector))
        k, _, v = selector.partition("=")
        return [copy.deepcopy(s) for (ns, _), s in sorted(self.secrets.items())
                if (namespace is None or ns == namespace) and (s["metadata"].get("labels") or {}).get(k) == v]

    def list_deployments(self, namespace, selector=""):
        self.calls.append(("list_deployments", namespace, selector))
        out = []
        for (ns, _), d in sorted(self.deployments.items()):
            if namespace is not None and ns != namespace:
                continue
            if selector:
                k, _, v = selector.partition("=")
                if d["metadata"]["labels"].get(k) != v:
                    continue
            out.append(copy.deepcopy(d))
        return out

    def get_deployment(self, namespace, name):
        d = self.deployments.get((namespace, name))
        if d is None:
            return None
        n = self._polls.get((namespace, name), 0) + 1
        self._polls[(namespace, name)] = n
        if not self.never_roll_out and n >= self.rollout_polls:
            st = d["status"]
            st.update(observedGeneration=d["metadata"]["generation"], updatedReplicas=1, replicas=1,
                      availableReplicas=1)
        return copy.deepcopy(d)

    def get_lease(self, namespace, name):
        self.calls.append(("get_lease", namespace, name))
        lease = self.leases.get((namespace, name))
        return copy.deepcopy(lease) if lease else None

    def restart_deployment(self, namespace, name, stamp):
        self.calls.append(("restart_deployment", namespace, name, stamp))
        d = self.deployments[(namespace, name)]
        d["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"] = stamp
        d["metadata"]["generation"] += 1
        d["status"].update(updatedReplicas=0, replicas=1, availableReplicas=0)
        self._polls[(namespace, name)] = 0
        return copy.deepcopy(d)


def executable(path: Path, script: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(script).lstrip(), encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def fake_claude(bindir: Path, credentials: Optional[dict], account: Optional[dict], record: Path,
                exit_code: int = 0) -> Path:
    """A `claude` that, for `auth login`, writes the given files into $CLAUDE_CONFIG_DIR and records the
    directory and the auth variables it saw (names only) into `record`."""
    import sys
    cred = json.dumps(credentials) if credentials is not None else ""
    state = json.dumps({"oauthAccount": account, "hasCompletedOnboarding": True}) if account else "{}"
    return executable(bindir / "claude", f"""
        #!{sys.executable}
        import json, os, sys
        assert sys.argv[1:3] == ["auth", "login"], sys.argv
        d = os.environ["CLAUDE_CONFIG_DIR"]
        seen = [v for v in ("CLAUDE_CODE_OAUTH_TOKEN", "ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN") if v in os.environ]
        json.dump({{"dir": d, "env": seen, "mode": oct(os.stat(d).st_mode & 0o777)}}, open({str(record)!r}, "w"))
        cred = {cred!r}
        if cred:
            open(os.path.join(d, ".credentials.json"), "w").write(cred)
        open(os.path.join(d, ".claude.json"), "w").write({state!r})
        print("Login successful.")
        sys.exit({exit_code})
    """)


def fake_security(bindir: Path, payload: Optional[str], record: Path) -> Path:
    """A macOS `security` that answers `find-generic-password -s "Claude Code-credentials" -w`."""
    import sys
    return executable(bindir / "security", f"""
        #!{sys.executable}
        import json, sys
        json.dump(sys.argv[1:], open({str(record)!r}, "w"))
        payload = {payload!r}
        if payload is None or sys.argv[1:] != ["find-generic-password", "-s", "Claude Code-credentials", "-w"]:
            sys.stderr.write("security: SecKeychainSearchCopyNext: The specified item could not be found in the keychain.\\n")
            sys.exit(44)
        print(payload)
    """)


def prepend_path(monkeypatch, bindir: Path) -> None:
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
