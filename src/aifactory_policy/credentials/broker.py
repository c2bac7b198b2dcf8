"""Broker mode (docs/design.md, "Broker mode"): where a broker install keeps its state, and what
that state says about the broker's health. Never a token: only names, times and annotations.

One Deployment F-credentials-broker holds the login (the source Secret S, which it updates through
the API), its replicas elect the one refresher with Lease F-credentials-broker, and it publishes an
access-token-only login in Secret F-claude-access, which every agent pod receives. When the broker
is down the agents keep working until the access token they hold expires; from then on every task
fails, because an agent has no refresh token to get another.

`credentials status` judges the state here (health); the audit passes the same facts to AIF205 in
policies/audit/audit.rego, which judges them the same way.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Iterable, Optional

from . import secret as sec
from .ui import age

MODE = "broker"
BROKER = "aifactory.dev/credentials-broker"           # "enabled" on the broker's pod template
ACCESS_SECRET = "aifactory.dev/access-secret"         # on the agents' pod template: F-claude-access
ACCESS_ONLY = "aifactory.dev/access-only"             # "true" on the access Secret (the chart's)
ACCESS_EXPIRES_AT = "aifactory.dev/access-expires-at"  # the broker's copies: files/credentials_broker.py
PUBLISHED_AT = "aifactory.dev/published-at"
ROTATED_BY = "aifactory-credentials-broker"           # the broker's field manager, in rotated-by
CREDENTIALS_SECRET = "aifactory.dev/credentials-secret"
CREDENTIALS_MODE = "aifactory.dev/credentials-mode"
BROKER_SUFFIX, ACCESS_SUFFIX = "-credentials-broker", "-claude-access"
# The broker's record of refresh tokens never to present again (files/credentials_broker.py: SPENT,
# spent_id, KEEP_SPENT): 16 hex of SHA-256 each, space-separated, newest last. `rotate` and `renew`
# add the family they replace, so neither the broker nor the write-back sidecar brings it back.
SPENT = sec.SPENT
KEEP_SPENT = 8


def spent_id(refresh_token: str) -> str:
    """The broker's one-way name of a refresh token (tests check it is the chart script's)."""
    import hashlib
    return hashlib.sha256(refresh_token.encode()).hexdigest()[:16]


def spent_list(annotations: dict, *more: str) -> str:
    """The SPENT annotation with `more` appended (each once, newest last, at most KEEP_SPENT)."""
    ids = [i for i in (annotations.get(SPENT) or "").split() if i not in more] + [m for m in more if m]
    return " ".join(ids[-KEEP_SPENT:])


def template_annotations(obj: dict) -> dict:
    spec = obj.get("spec") or {}
    template = spec.get("template") or {}
    return (template.get("metadata") or {}).get("annotations") or {}


def is_broker_mode(obj: dict) -> bool:
    return template_annotations(obj).get(CREDENTIALS_MODE) == MODE


def is_broker(obj: dict) -> bool:
    """The broker workload itself (the agents carry the mode but not this annotation)."""
    return is_broker_mode(obj) and template_annotations(obj).get(BROKER) == "enabled"


def _arg(obj: dict, flag: str) -> Optional[str]:
    """`--flag=value` of the broker's container, as the chart passes it."""
    pod = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
    for c in pod.get("containers") or []:
        for a in (c.get("args") or []) if isinstance(c, dict) else []:
            if isinstance(a, str) and a.startswith(f"--{flag}="):
                return a.split("=", 1)[1]
    return None


def _chart_name(fullname: str, suffix: str) -> str:
    """What the chart names `F<suffix>` (printf | trunc 63 | trimSuffix "-")."""
    return (fullname + suffix)[:63].rstrip("-")


def _meta(obj: dict) -> dict:
    return obj.get("metadata") or {}


@dataclass
class Install:
    namespace: str
    secret: str                   # S, the source Secret
    release: Optional[str]
    lease: str                    # the Lease, named like the broker Deployment
    access: str                   # the access Secret
    brokers: list = field(default_factory=list)   # the broker workloads' names
    agents: list = field(default_factory=list)    # the agent workloads' names
    key: Optional[str] = None                     # the key of S and of the access Secret (the broker's --key)

    @property
    def deployment(self) -> str:
        return self.brokers[0] if self.brokers else self.lease


def installs(workloads: Iterable[dict], default_namespace: str = "") -> list[Install]:
    """One Install per (namespace, S) that broker-mode workloads use. Names come from the broker's
    own arguments and the agents' annotations; without a broker workload, from the agent's name
    (the agent Deployment is F, so its broker would be F-credentials-broker)."""
    groups: dict = {}
    for w in workloads:
        ann = template_annotations(w)
        if not is_broker_mode(w) or not ann.get(CREDENTIALS_SECRET):
            continue
        key = (_meta(w).get("namespace") or default_namespace, ann[CREDENTIALS_SECRET])
        groups.setdefault(key, []).append(w)
    out = []
    for (ns, secret), members in sorted(groups.items()):
        brokers = sorted((w for w in members if is_broker(w)), key=lambda w: _meta(w).get("name", ""))
        agents = sorted((w for w in members if not is_broker(w)), key=lambda w: _meta(w).get("name", ""))
        first = brokers[0] if brokers else None
        fullname = _meta(agents[0]).get("name", "") if agents else _meta(first).get("name", "")
        if not agents and fullname.endswith(BROKER_SUFFIX):
            fullname = fullname[:-len(BROKER_SUFFIX)]
        lease = (first and (_arg(first, "lease") or _meta(first).get("name"))) or _chart_name(fullname, BROKER_SUFFIX)
        access = next((template_annotations(a)[ACCESS_SECRET] for a in agents
                       if template_annotations(a).get(ACCESS_SECRET)), None) \
            or (first and _arg(first, "access-secret")) or _chart_name(fullname, ACCESS_SUFFIX)
        release = next((_meta(w)["labels"]["app.kubernetes.io/instance"] for w in members
                        if (_meta(w).get("labels") or {}).get("app.kubernetes.io/instance")), None)
        out.append(Install(ns, secret, release, lease, access, [_meta(w).get("name") for w in brokers],
                           [_meta(w).get("name") for w in agents], first and _arg(first, "key")))
    return out


def lease_state(namespace: str, name: str, lease: Optional[dict], now: float) -> dict:
    """Is a broker alive? Up while a holder renews: renewTime + leaseDurationSeconds not yet past.
    `downSince` is the last renewal, the broker's last sign of life (a release stamps it too)."""
    row = {"lease": name, "holder": None, "renewTime": None, "leaseDurationSeconds": None,
           "up": False, "downSince": None}
    if lease is None:
        row["reason"] = f"Lease {namespace}/{name} does not exist"
        return row
    spec = lease.get("spec") or {}
    holder, renew, duration = spec.get("holderIdentity") or "", spec.get("renewTime"), spec.get("leaseDurationSeconds")
    row.update(holder=holder or None, renewTime=renew, leaseDurationSeconds=duration)
    renewed = sec.parse_rfc3339(renew)
    if not holder:
        row["downSince"] = renew if renewed is not None else None
        row["reason"] = (f"no replica holds Lease {name}" +
                         (f" (released {renew}, and no standby took it)" if renewed is not None
                          else " (no broker ever held it)"))
        return row
    if renewed is None or not isinstance(duration, int) or isinstance(duration, bool) or duration <= 0:
        row["reason"] = f"Lease {name} is held by {holder} but has no renewTime and leaseDurationSeconds"
        return row
    if renewed + duration < now:
        row["downSince"] = renew
        row["reason"] = (f"Lease {name} held by {holder}, not renewed within its {duration}s: lapsed "
                         f"{age(now - renewed - duration)} ago")
        return row
    row.update(up=True, reason=f"Lease {name} held by {holder}, renewed {renew}")
    return row


def access_state(name: str, secret: Optional[dict], key: str, now: float) -> dict:
    """When the agents' access token expires and when the broker last published it: the broker's
    annotations, else the `expiresAt` of the published login (read for that field only)."""
    row = {"secret": name, "found": secret is not None, "accessExpiresAt": None, "accessExpiresInSeconds": None,
           "publishedAt": None}
    if secret is None:
        return row
    ann = sec.annotations(secret)
    expires = sec.parse_rfc3339(ann.get(ACCESS_EXPIRES_AT))
    if expires is None:
        expires = _published_expiry(sec.data_value(secret, key))
    row["publishedAt"] = ann.get(PUBLISHED_AT)
    if expires is not None:
        row.update(accessExpiresAt=sec.rfc3339(expires), accessExpiresInSeconds=int(expires - now))
    return row


def _published_expiry(raw: Optional[bytes]) -> Optional[float]:
    try:
        value = json.loads(raw or b"")["claudeAiOauth"]["expiresAt"]
    except (ValueError, TypeError, KeyError, UnicodeDecodeError):
        return None
    return value / 1000.0 if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def since(lease: dict) -> str:
    return f" since {lease['downSince']}" if lease.get("downSince") else ""


def commands(namespace: str, deployment: str) -> str:
    return (f"`kubectl -n {namespace} rollout status deploy/{deployment}`, "
            f"`kubectl -n {namespace} logs deploy/{deployment}`")


def health(install: Install, source_annotations: dict, lease: dict, access: dict,
           now: float) -> tuple[str, Optional[str], Optional[str]]:
    """(health, problem or None, warning or None) of a broker install; see the module docstring."""
    ns, dep = install.namespace, install.deployment
    left = access.get("accessExpiresInSeconds")
    until = access.get("accessExpiresAt")
    agents_ok = left is not None and left > 0
    if source_annotations.get(sec.LOGIN_STATE) == sec.REFRESH_REFUSED:
        then = (f"the agents keep working until {until} (in {age(left)}), when the access token they hold "
                "expires; then every task fails" if agents_ok else
                f"the agents' access token expired {until or '(none was published)'}, so every task fails")
        return "dead", (f"DEAD: the credentials broker's refresh of this login was refused at "
                        f"{source_annotations.get(sec.LOGIN_STATE_AT) or '?'} (recorded by the broker): {then}. "
                        "Log in again for this install and run `aifactory-policy credentials rotate` (the broker "
                        "picks the new login up by itself)"), None
    down = "" if lease["up"] else f"the broker is down{since(lease)} ({lease['reason']})"
    if not agents_ok:
        why = down or (f"the broker holds its Lease ({lease.get('holder')}) but published no newer token: it "
                       "cannot refresh; read its log")
        token = (f"the agents' access token (Secret {ns}/{install.access}) expired {until}" if until else
                 f"no access token is published in Secret {ns}/{install.access}")
        return "dead", (f"DEAD: {token} and {why}: every Claude Code task of the agents fails. Bring the broker "
                        f"back ({commands(ns, dep)}); if its log says the login is refused or spent, log in again "
                        "and run `aifactory-policy credentials rotate`"), None
    if down:
        return f"broker down (agents work until {until})", None, (
            f"BROKER DOWN: {down}. The agents keep working until {until} (in {age(left)}), when the access "
            f"token they hold expires; then every task fails. Bring the broker back before then: "
            f"{commands(ns, dep)}")
    return "healthy", None, None
