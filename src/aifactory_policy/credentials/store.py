"""Storing a login in the install's Secret, shared by `create-secret`, `login` and `rotate`.

Order of checks, each refusing with exit 1 before anything is written:
  1. the login itself (validate.py);
  2. the owner convention (owner.py);
  3. the Secret, if it exists, belongs to this install and was made by this tool (else --force);
  4. no other install's Secret holds the same login (same keyed fingerprint; else --force).
Then one server-side apply of the Secret, from memory, conditional on the resourceVersion read (a
broker refreshing meanwhile makes it 409: read again, retry). `status` reads fingerprints the same way.

The family a write replaces is retired: its refresh token's broker.spent_id joins the Secret's
SPENT annotation, so the broker never presents it again, even if it comes back (a restore, a syncer),
and the write-back sidecar never writes it back.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Optional

from ..findings import EvaluationError, Refusal
from . import broker
from . import deadline
from . import fingerprint as fpmod
from . import owner as ownermod
from . import secret as sec
from .kube import Conflict, Kube
from .sources import Obtained
from .ui import say
from .validate import Login, validate


@dataclass
class Target:
    namespace: str
    install: str
    name: str
    key: str = "credentials.json"


@dataclass
class Stored:
    login: Login
    fingerprint: str
    manifest: dict
    retired: Optional[str] = None   # spent_id of the refresh token this write replaced


def refresh_token_of(secret: Optional[dict], key: str) -> Optional[str]:
    """The refresh token a Secret holds (for retiring it), whatever else is wrong with the login."""
    try:
        token = json.loads(sec.data_value(secret, key) or b"")["claudeAiOauth"]["refreshToken"]
    except (ValueError, TypeError, KeyError, UnicodeDecodeError):
        return None
    return token if isinstance(token, str) and token else None


def chart_service_account(install: str) -> str:
    """The chart's default ServiceAccount name (`aifactory.fullname` with default values)."""
    name = install if "aifactory" in install else f"{install}-aifactory"
    return name[:63].rstrip("-")


def install_service_account(kube: Kube, t: Target) -> str:
    for dep in kube.list_deployments(t.namespace, f"app.kubernetes.io/instance={t.install}"):
        sa = ((dep.get("spec") or {}).get("template") or {}).get("spec", {}).get("serviceAccountName")
        if sa:
            return sa
    return chart_service_account(t.install)


def fingerprint_key(kube: Kube, namespace: str, key_file: Optional[str], create: bool, dry_run: bool = False) -> Optional[bytes]:
    """The HMAC key: --fingerprint-key-file, else Secret aifactory-fingerprint-key (made if `create`)."""
    if key_file:
        return fpmod.key_from_file(key_file)
    existing = kube.get_secret(namespace, fpmod.KEY_SECRET)
    value = sec.data_value(existing, fpmod.KEY_KEY)
    if existing is not None:
        if value is None:
            raise EvaluationError(f"Secret {namespace}/{fpmod.KEY_SECRET} has no key `{fpmod.KEY_KEY}`; delete it "
                                  "to have a new one generated, or pass --fingerprint-key-file")
        fpmod.check_key(value, f"Secret {namespace}/{fpmod.KEY_SECRET}")
        return value
    if not create:
        return None
    key = fpmod.new_key()
    if dry_run:
        say(f"dry run: would create Secret {namespace}/{fpmod.KEY_SECRET} (32 random bytes, the fingerprint key)")
        return key
    import base64
    kube.apply_secret({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                       "metadata": {"name": fpmod.KEY_SECRET, "namespace": namespace,
                                    "labels": {sec.MANAGED_BY: sec.MANAGER}},
                       "data": {fpmod.KEY_KEY: base64.b64encode(key).decode()}})
    say(f"created Secret {namespace}/{fpmod.KEY_SECRET}: the key of the credentials fingerprints "
        "(keep it; without it fingerprints cannot be compared)")
    return key


def live_fingerprint(secret: Optional[dict], key: Optional[bytes], data_key: Optional[str] = None) -> Optional[str]:
    """HMAC of the refresh token the Secret holds now (None if unreadable or no key)."""
    if key is None or not secret:
        return None
    data = secret.get("data") or {}
    keys = [data_key] if data_key and data_key in data else list(data)
    for k in keys:
        raw = sec.data_value(secret, k)
        try:
            doc = json.loads(raw or b"")
            token = doc["claudeAiOauth"]["refreshToken"]
        except (ValueError, KeyError, TypeError):
            continue
        if isinstance(token, str) and token:
            return fpmod.fingerprint(key, token)
    return None


def check_ownership(existing: Optional[dict], t: Target, force: bool, replacing: bool) -> None:
    if existing is None:
        return
    labels = sec.labels(existing)
    where = f"Secret {t.namespace}/{t.name}"
    other = labels.get(sec.INSTALL)
    if other and other != t.install and not force:
        raise Refusal(f"{where} belongs to install {other!r}, not {t.install!r}: two installs must not share one "
                      "login. Fix: choose another --secret, or --force if that install is gone.")
    if labels.get(sec.MANAGED_BY) != sec.MANAGER and not force:
        raise Refusal(f"{where} exists and was not made by aifactory-policy (no {sec.MANAGED_BY}={sec.MANAGER} "
                      "label). Fix: --force to replace it, or choose another --secret.")
    if not replacing and other == t.install and not force:
        raise Refusal(f"{where} already holds a login for install {t.install!r}. Fix: `aifactory-policy "
                      "credentials rotate` replaces it and restarts the install; --force overwrites without restart.")


def check_reuse(kube: Kube, t: Target, fp: str, fp_key: bytes, force: bool) -> None:
    """Refuse a login whose fingerprint another install's Secret already uses (annotation or live data)."""
    for other in kube.list_secrets(t.namespace, sec.SELECTOR):
        meta = other.get("metadata") or {}
        if meta.get("name") == t.name and meta.get("namespace", t.namespace) == t.namespace:
            continue
        install = sec.labels(other).get(sec.INSTALL, "?")
        recorded = sec.annotations(other).get(sec.FINGERPRINT)
        if fpmod.same(fp, recorded) or fpmod.same(fp, live_fingerprint(other, fp_key)):
            message = (f"this login (fingerprint {fpmod.short(fp)}) is already in Secret "
                       f"{meta.get('namespace', t.namespace)}/{meta.get('name')} of install {install!r}: two holders "
                       "of one token family invalidate each other at the first refresh")
            if install == t.install or force:
                say(f"WARNING: {message}" + (" (--force)" if force else ""))
                continue
            raise Refusal(f"{message}. Fix: `aifactory-policy credentials login` for a login of this install's "
                          "own, or --force if the other install is being retired.")


def preflight(kube: Kube, t: Target, *, owner: Optional[str], owner_is_sa: bool, force: bool, replacing: bool) -> None:
    """The checks that need no login: run before an interactive `claude auth login`, not after it."""
    default_sa = None if owner else install_service_account(kube, t)
    ownermod.resolve(owner, t.namespace, default_sa, owner_is_sa)
    check_ownership(kube.get_secret(t.namespace, t.name), t, force, replacing)


def store(kube: Kube, obtained: Obtained, t: Target, *, owner: Optional[str], owner_is_sa: bool,
          key_file: Optional[str], force: bool, replacing: bool, dry_run: bool = False) -> Stored:
    """Checks 1-4 and the apply; shared by create-secret, login and rotate."""
    login = validate(obtained.raw, obtained.source)
    for w in login.warnings:
        say(f"WARNING: {obtained.source}: {w}")
    say(f"login from {obtained.source}: valid, scopes {' '.join(login.scopes)}, "
        f"access token expires {sec.rfc3339(login.expires_at)}")
    say(f"login ends: {deadline.text(login.end, time.time())}")
    default_sa = None if owner else install_service_account(kube, t)
    owner_name = ownermod.resolve(owner, t.namespace, default_sa, owner_is_sa)
    existing = kube.get_secret(t.namespace, t.name)
    check_ownership(existing, t, force, replacing)
    fp_key = fingerprint_key(kube, t.namespace, key_file, create=True, dry_run=dry_run)
    fp = fpmod.fingerprint(fp_key, login.refresh_token)
    check_reuse(kube, t, fp, fp_key, force)
    now = sec.rfc3339()
    retired = None
    for attempt in range(5):
        old = refresh_token_of(existing, t.key)
        retired = broker.spent_id(old) if old and old != login.refresh_token else None
        manifest = sec.manifest(t.name, t.namespace, t.key, login, install=t.install, owner=owner_name, fp=fp,
                                created_at=now, rotated_at=now if replacing else None,
                                spent=broker.spent_list(sec.annotations(existing), *([retired] if retired else [])),
                                resource_version=((existing or {}).get("metadata") or {}).get("resourceVersion", ""))
        if dry_run:
            say(f"dry run: would apply Secret {t.namespace}/{t.name} key {t.key!r} (owner {owner_name}, "
                f"fingerprint {fpmod.short(fp)}); nothing written")
            break
        try:
            # Server-side apply from memory; force takes data[key] back from the write-back sidecar's manager.
            kube.apply_secret(manifest, force=True if existing is None or replacing or force else False)
        except Conflict:
            if attempt == 4:
                raise
            say(f"Secret {t.namespace}/{t.name} changed while writing (a refresh by the broker or the write-back "
                "sidecar?): reading it again")
            existing = kube.get_secret(t.namespace, t.name)
            check_ownership(existing, t, force, replacing)
            continue
        say(f"applied Secret {t.namespace}/{t.name} key {t.key!r} for install {t.install!r}: owner {owner_name}, "
            f"fingerprint {fpmod.short(fp)}, expires {sec.rfc3339(login.expires_at)}"
            + (f"; the replaced family is retired (spent id {retired})" if retired else ""))
        break
    return Stored(login, fp, manifest, retired)
