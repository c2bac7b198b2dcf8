"""`credentials rotate`: replace the install's login, hand it to the running install, verify with `helm test`.

The hand-over depends on the mode:
- broker: nothing restarts. The broker adopts a new login in the source Secret at its next pass
  (measured: tests/test_credentials_broker.py) and publishes its access token; rotate waits until the
  access Secret carries the NEW login's access token (compared in memory, never printed).
- every other mode needs the restart: `readOnly` mounts the key with subPath (kubelet never updates
  a subPath mount), `ownedCopy` and `writeBack` copy it in an init container. In `writeBack` mode
  the old pod's sidecar sees the Secret replaced by someone else and does not write its (older)
  family back over the new one; the Deployment's Recreate strategy stops the old pod before the
  new starts.
The replaced family is retired on the Secret (store.py) in every mode.
"""
from __future__ import annotations

import json
import subprocess
import time
from typing import Optional

from ..findings import EvaluationError, Finding, Refusal, Report
from ..tools import install_hint
from . import broker
from . import fingerprint as fpmod
from . import secret as sec
from .kube import Kube
from .options import Rollout, StoreOptions
from .store import Target, fingerprint_key, live_fingerprint, preflight, store
from .ui import say
from .validate import inspect

CREDENTIALS_SECRET = "aifactory.dev/credentials-secret"
CREDENTIALS_MODE = "aifactory.dev/credentials-mode"


def template_annotations(dep: dict) -> dict:
    return (((dep.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("annotations") or {}


def workloads_using(kube: Kube, namespace: str, secret_name: str) -> list:
    """Deployments whose pod template says it mounts `secret_name` (chart annotation)."""
    return [d for d in kube.list_deployments(namespace)
            if template_annotations(d).get(CREDENTIALS_SECRET) == secret_name]


def rollout_done(dep: dict) -> tuple[bool, str]:
    """The `kubectl rollout status` conditions for a Deployment."""
    meta, spec, st = dep.get("metadata") or {}, dep.get("spec") or {}, dep.get("status") or {}
    want = spec.get("replicas", 1)
    if st.get("observedGeneration", 0) < meta.get("generation", 0):
        return False, "waiting for the controller to see the restart"
    for cond in st.get("conditions") or []:
        if cond.get("type") == "Progressing" and cond.get("reason") == "ProgressDeadlineExceeded":
            raise EvaluationError(f"Deployment {meta.get('name')} exceeded its progress deadline: "
                                  f"{cond.get('message', '')}")
    updated, total, available = st.get("updatedReplicas", 0), st.get("replicas", 0), st.get("availableReplicas", 0)
    if updated < want:
        return False, f"{updated} of {want} new pods"
    if total > updated:
        return False, f"{total - updated} old pods terminating"
    if available < updated:
        return False, f"{available} of {updated} new pods available"
    return True, "rolled out"


def wait_rollout(kube: Kube, namespace: str, name: str, timeout: float, poll: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    while True:
        dep = kube.get_deployment(namespace, name)
        if dep is None:
            raise EvaluationError(f"Deployment {namespace}/{name} disappeared during the rollout")
        done, why = rollout_done(dep)
        if done:
            say(f"deployment/{name}: rolled out")
            return
        if why != last:
            say(f"deployment/{name}: {why}")
            last = why
        if time.monotonic() >= deadline:
            raise EvaluationError(f"deployment/{name} did not finish rolling out within {timeout:.0f}s ({why}). "
                                  f"Look at `kubectl -n {namespace} describe deployment {name}` and the pod events; "
                                  "the Secret already holds the new login")
        time.sleep(poll)


def access_token_of(raw: Optional[bytes]) -> Optional[str]:
    try:
        token = json.loads(raw or b"")["claudeAiOauth"]["accessToken"]
    except (ValueError, TypeError, KeyError, UnicodeDecodeError):
        return None
    return token if isinstance(token, str) and token else None


def wait_published(kube: Kube, install: broker.Install, key: str, new_raw: bytes, timeout: float,
                   poll: float = 0.5) -> float:
    """Seconds until the broker published the new login's access token in the access Secret."""
    want = access_token_of(new_raw)
    ns, started = install.namespace, time.monotonic()
    say(f"deployment/{install.deployment} (broker mode): waiting for the broker to adopt the new login and "
        f"publish its access token in Secret {install.access} (no restart)")
    while True:
        published = kube.get_secret(ns, install.access)
        if want and access_token_of(sec.data_value(published, install.key or key)) == want:
            took = time.monotonic() - started
            say(f"the broker published the new login's access token after {took:.1f}s: the agents have it")
            return took
        if time.monotonic() - started >= timeout:
            lease = broker.lease_state(ns, install.lease, kube.get_lease(ns, install.lease), time.time())
            raise EvaluationError(
                f"the broker did not publish the new login within {timeout:.0f}s ({lease['reason']}). The Secret "
                f"already holds the new login and the old family is retired; the agents keep the access token "
                f"they hold until it expires. Look at {broker.commands(ns, install.deployment)}")
        time.sleep(poll)


def helm_test(helm: str, install: str, namespace: str, timeout: float, extra: tuple = ()) -> tuple[bool, str]:
    try:
        # no --logs: helm cannot pick a container when the probe pod has several (init + probe)
        proc = subprocess.run([helm, "test", install, "-n", namespace, "--timeout", f"{int(timeout)}s", *extra],
                              capture_output=True, text=True, timeout=timeout + 30, check=False)
    except subprocess.TimeoutExpired:
        return False, f"helm test did not finish within {timeout + 30:.0f}s"
    return proc.returncode == 0, (proc.stdout + proc.stderr).strip()


def run(kube: Kube, source, t: Target, opts: StoreOptions, rollout: Rollout,
        command: str = "credentials rotate") -> Report:
    existing = kube.get_secret(t.namespace, t.name)
    if existing is None:
        raise Refusal(f"Secret {t.namespace}/{t.name} does not exist: nothing to rotate or renew. Fix: "
                      "`aifactory-policy credentials login` (or `create-secret`) first.")
    old_key = fingerprint_key(kube, t.namespace, opts.key_file, create=False)
    old_login, _ = inspect(sec.data_value(existing, t.key))
    old_fp = live_fingerprint(existing, old_key, t.key) or sec.annotations(existing).get(sec.FINGERPRINT)
    preflight(kube, t, owner=opts.owner, owner_is_sa=opts.owner_is_sa, force=opts.force, replacing=True)
    try:
        obtained = source.obtain()
    except KeyboardInterrupt:
        say("aborted before a new login was made: nothing in the cluster was changed")
        raise
    workloads = workloads_using(kube, t.namespace, t.name)
    brokered = broker.installs(workloads, t.namespace)
    restart = [d for d in workloads if not broker.is_broker_mode(d)]
    _refuse_same_login(old_fp, obtained, old_key, opts.force)
    stored = store(kube, obtained, t, owner=opts.owner, owner_is_sa=opts.owner_is_sa, key_file=opts.key_file,
                   force=opts.force, replacing=True)
    new_fp = stored.fingerprint
    handed = [{"deployment": b.deployment, "accessSecret": b.access,
               "publishedAfterSeconds": round(wait_published(kube, b, t.key, stored.login.raw, rollout.timeout,
                                                             min(rollout.poll, 0.5)), 3)}
              for b in brokered]
    stamp = sec.rfc3339()
    for dep in restart:
        name = dep["metadata"]["name"]
        mode = template_annotations(dep).get(CREDENTIALS_MODE, "readOnly")
        say(f"restarting deployment/{name} (mode {mode}: the pod reads the Secret only at start)")
        kube.restart_deployment(t.namespace, name, stamp)
    for dep in restart:
        wait_rollout(kube, t.namespace, dep["metadata"]["name"], rollout.timeout, rollout.poll)
    if not workloads:
        say(f"no Deployment in {t.namespace} mounts Secret {t.name} (annotation {CREDENTIALS_SECRET}); nothing "
            "to restart")
    verified = "skipped (--skip-helm-test)"
    report = Report(command=command)
    if workloads and not rollout.skip_helm_test:
        if not rollout.helm:
            raise EvaluationError(f"helm not found; {install_hint('helm')}, or pass --skip-helm-test")
        say(f"running `helm test {t.install}`")
        ok, logs = helm_test(rollout.helm, t.install, t.namespace, rollout.timeout, rollout.helm_args)
        for line in logs.splitlines()[-15:]:
            say(f"  helm: {line}")
        verified = "helm test passed" if ok else "helm test FAILED"
        if not ok:
            report.findings.append(Finding(
                rule="credentials", severity="error", resource=f"Secret/{t.namespace}/{t.name}",
                message=f"`helm test {t.install}` failed after the new login was handed over (its log is on "
                        "stderr); the Secret already holds the new login"))
    elif not workloads:
        verified = "skipped (no workload uses the Secret)"
    old_exp = sec.rfc3339(old_login.expires_at) if old_login else "unknown"
    new_exp = sec.rfc3339(stored.login.expires_at)
    restarted = ["deployment/" + d["metadata"]["name"] for d in restart]
    lines = [f"{'renewed' if command.endswith('renew') else 'rotated'} Secret {t.namespace}/{t.name} "
             f"(install {t.install})",
             f"  fingerprint: {fpmod.short(old_fp)} -> {fpmod.short(new_fp)}",
             f"  expires:     {old_exp} -> {new_exp}",
             f"  old family:  " + (f"retired (spent id {stored.retired} in {broker.SPENT}): never presented again"
                                   if stored.retired else "none to retire (the Secret held no refresh token)")]
    for h in handed:
        lines.append(f"  handed over: deployment/{h['deployment']} (broker) published the new access token after "
                     f"{h['publishedAfterSeconds']:.1f}s, no restart")
    if restart or not brokered:
        lines.append(f"  restarted:   {', '.join(restarted) or 'none'}")
    lines.append(f"  verified:    {verified}")
    report.body = "\n".join(lines)
    report.details = {"renewal": {
        "install": t.install, "namespace": t.namespace, "secret": t.name, "key": t.key,
        "modes": sorted({template_annotations(d).get(CREDENTIALS_MODE, "readOnly") for d in workloads}),
        "fingerprint": {"old": fpmod.short(old_fp), "new": fpmod.short(new_fp)},
        "expiresAt": {"old": old_exp if old_login else None, "new": new_exp},
        "createdAt": sec.annotations(stored.manifest).get(sec.CREATED_AT),
        "retiredSpentId": stored.retired, "handedOver": handed, "restarted": restarted, "verified": verified}}
    return report


def _refuse_same_login(old_fp: Optional[str], obtained, old_key: Optional[bytes], force: bool) -> None:
    """Refuse to "rotate" to the very login the Secret already holds (it would change nothing)."""
    if old_key is None or not old_fp or force:
        return
    from .validate import validate
    login = validate(obtained.raw, obtained.source)
    if fpmod.same(old_fp, fpmod.fingerprint(old_key, login.refresh_token)):
        raise Refusal(f"{obtained.source}: this is the login the Secret already holds (fingerprint "
                      f"{fpmod.short(old_fp)}); rotating needs a new one. Fix: `aifactory-policy credentials rotate "
                      "--from-login` makes a fresh login.")
