"""`credentials status`: per install, how old the token family is, when the access token expires,
its scopes, whether the keyed fingerprint still matches, and the chart's mode. Never a token.

Problems (exit 1): a Secret whose login Claude Code would refuse for Remote Control, a login past
its end (claudeAiOauth.refreshTokenExpiresAt: deadline.py), a login shared
by two installs, a fingerprint that changed without a recorded rotation, a workload whose Secret is
missing, a retired login put back (its refresh token in the Secret's own spent list), and a login
that is dead: its refresh was refused (the write-back sidecar's or the broker's
trace), its access token expired in a mode that cannot keep a refreshed one, or the access token
a broker gave the agents expired. Warnings (exit 0): a broker that is down while that token works,
a login that ends within --warn-days, a login without user:sessions:claude_code (scopes.py).
A login without a stored end is "unknown", never estimated.

Health, from what tests/test_token_lifecycle.py and test_token_holders.py measured with the real Claude Code:
- readOnly / ownedCopy: working until the stored access token is within REFRESH_MARGIN_S of its
  expiry; from then on every Claude Code task fails with 401, whatever the server does.
- writeBack: an expired stored access token alone means nothing (an idle agent refreshes on its next
  task); expired for longer than a refresh and a write-back take, with no write-back since, it is
  "expired, not written back": an idle agent, or a dead login if tasks ran (the sidecar log says).
- broker: the broker's own state decides (broker.py): its Lease, the access Secret the agents
  receive, and the source Secret's login-state. Down while the agents' token is valid is a warning
  naming when they stop working; down with that token expired, or a refused refresh, is a problem.
"""
from __future__ import annotations

import time
from typing import Optional

from ..findings import Finding, Report
from . import broker
from . import deadline
from . import fingerprint as fpmod
from . import secret as sec
from .kube import Kube
from .rotate import CREDENTIALS_MODE, CREDENTIALS_SECRET, template_annotations
from .scopes import SESSIONS, sessions_warning
from .store import fingerprint_key, live_fingerprint
from .ui import age
from .validate import inspect


def _key_of(secret: dict, preferred: str) -> str:
    data = secret.get("data") or {}
    if preferred in data or len(data) != 1:
        return preferred
    return next(iter(data))


# Claude Code refreshes an access token within about 5 minutes of its expiry (measured).
REFRESH_MARGIN_S = 300
# Past the margin, a refresh plus the sidecar's write-back take well under this (10 s interval).
WRITEBACK_GRACE_S = 900
CANNOT_KEEP_A_REFRESH = ("readOnly", "ownedCopy")


def health(row: dict, now: float, written_back_at: Optional[float]) -> tuple[str, Optional[str]]:
    """(health, problem or None) of one install's login; see the module docstring."""
    if row.get("loginState") == sec.REFRESH_REFUSED:
        return "dead", (f"DEAD: Claude Code's refresh of this login was refused at {row.get('loginStateAt') or '?'} "
                        "(recorded by the write-back sidecar): log in again for this install and run "
                        "`aifactory-policy credentials rotate`")
    left = row.get("expiresInSeconds")
    if left is None:
        return "unknown", None
    modes = {w["mode"] for w in row.get("workloads", [])}
    if not modes:
        return "not in use (no workload mounts it)", None
    if left > REFRESH_MARGIN_S:
        return "healthy", None
    stuck = sorted(modes & set(CANNOT_KEEP_A_REFRESH))
    if stuck:
        return "dead", (f"DEAD since {row['expiresAt']} (minus Claude Code's 5-minute refresh margin): mode "
                        f"{', '.join(stuck)} cannot keep a refreshed login, so every Claude Code task since fails "
                        "with 401 (measured). Log in again, run `aifactory-policy credentials rotate`, and use "
                        "remoteControl.mode=writeBack")
    if -left > WRITEBACK_GRACE_S and (written_back_at is None or written_back_at < now + left):
        return "expired, not written back", None
    return "healthy", None


def describe(secret: dict, workloads: list, fp_key: Optional[bytes], preferred_key: str, now: float,
             brokered: Optional[tuple] = None, warn_days: float = deadline.DEFAULT_WARN_DAYS) -> dict:
    meta, ann = secret.get("metadata") or {}, sec.annotations(secret)
    ns, name = meta.get("namespace", ""), meta.get("name", "")
    key = _key_of(secret, preferred_key)
    login, why = inspect(sec.data_value(secret, key))
    problems = []
    row = {"install": sec.labels(secret).get(sec.INSTALL), "namespace": ns, "secret": name, "key": key,
           "owner": ann.get(sec.OWNER), "createdAt": ann.get(sec.CREATED_AT), "rotatedAt": ann.get(sec.ROTATED_AT),
           "rotatedBy": ann.get(sec.ROTATED_BY)}
    created = sec.parse_rfc3339(ann.get(sec.CREATED_AT))
    row["familyAgeSeconds"] = int(now - created) if created else None
    if login is None:
        problems.append(f"key {key!r}: {why}")
        row.update(expiresAt=None, scopes=None, remoteControl=False)
    else:
        row.update(expiresAt=sec.rfc3339(login.expires_at), expiresInSeconds=int(login.expires_at - now),
                   scopes=list(login.scopes), remoteControl=True, subscription=login.subscription)
        row.update(login_end_fields(login.end, now))
    recorded, live = ann.get(sec.FINGERPRINT), live_fingerprint(secret, fp_key, key)
    row["fingerprint"] = fpmod.short(live or recorded)
    if fp_key is None:
        row["fingerprintMatch"] = "unknown (no fingerprint key)"
    elif not recorded:
        row["fingerprintMatch"] = "no fingerprint recorded (not made by aifactory-policy)"
    elif fpmod.same(recorded, live):
        row["fingerprintMatch"] = "match"
    elif row["rotatedBy"] == broker.ROTATED_BY:
        row["fingerprintMatch"] = f"refreshed by the credentials broker ({row['rotatedBy']} at {row['rotatedAt']})"
    elif row["rotatedBy"] and row["rotatedBy"] != sec.MANAGER:
        row["fingerprintMatch"] = f"refreshed in the pod (written back by {row['rotatedBy']} at {row['rotatedAt']})"
    else:
        row["fingerprintMatch"] = "MISMATCH: the login changed outside aifactory-policy"
        problems.append("fingerprint mismatch: the Secret was edited by hand; rotate it with "
                        "`aifactory-policy credentials rotate`")
    row["loginState"], row["loginStateAt"] = ann.get(sec.LOGIN_STATE), ann.get(sec.LOGIN_STATE_AT)
    if login is not None and broker.spent_id(login.refresh_token) in (ann.get(sec.SPENT) or "").split():
        problems.append(f"the Secret holds a retired login: its refresh token is in {sec.SPENT} (exchanged by the "
                        "broker, or replaced by a rotate/renew), so something put an old value back (a restore, a "
                        "Secret syncer). The broker refuses it; other modes would start pods on it. Find what "
                        "writes the Secret, then `aifactory-policy credentials renew`")
    row["workloads"] = [{"deployment": d["metadata"]["name"],
                         "mode": template_annotations(d).get(CREDENTIALS_MODE, "readOnly")} for d in workloads]
    if not workloads:
        row["mode"] = "not installed (no workload mounts it)"
    else:
        row["mode"] = ", ".join(sorted({w["mode"] for w in row["workloads"]}))
        if any(w["mode"] in CANNOT_KEEP_A_REFRESH for w in row["workloads"]):
            row["note"] = (f"{row['mode']}: the pod cannot keep a refreshed login; it works until the stored access "
                           "token expires, then every task fails (measured). mode=writeBack keeps it working")
    row["warnings"] = [sessions_warning(login.scopes)] if login is not None and sessions_warning(login.scopes) else []
    if brokered:
        problem = judge_broker(row, *brokered, ann, now)
    else:
        rotated_by_sidecar = row["rotatedBy"] and row["rotatedBy"] != sec.MANAGER
        row["health"], problem = health(row, now, sec.parse_rfc3339(row["rotatedAt"]) if rotated_by_sidecar else None)
    if problem:
        problems.append(problem)
    if login is not None:
        judged = deadline.judge(login.end, now, warn_days)
        row["loginEndState"] = judged.state
        if judged.warning:
            row["warnings"].append(judged.warning)
        if judged.problem and row["loginState"] != sec.REFRESH_REFUSED:   # a refusal already says "dead"
            problems.append(judged.problem)
    row["problems"] = problems
    row["live_fp"] = live
    return row


def broker_state(kube: Kube, install: broker.Install, key: str, now: float) -> tuple:
    """(install, what its objects say): the Lease and the access Secret are read, never a token."""
    ns = install.namespace
    return install, {"deployment": install.deployment, "brokers": install.brokers, "agents": install.agents,
                     "lease": broker.lease_state(ns, install.lease, kube.get_lease(ns, install.lease), now),
                     "access": broker.access_state(install.access, kube.get_secret(ns, install.access),
                                                   install.key or key, now)}


def judge_broker(row: dict, install: broker.Install, state: dict, source_annotations: dict,
                 now: float) -> Optional[str]:
    """The broker's health into the row (health, warnings); returns the problem, if any."""
    row["broker"] = state
    row["health"], problem, warning = broker.health(install, source_annotations, state["lease"], state["access"], now)
    if warning:
        row["warnings"].append(warning)
    return problem


def login_end_fields(end: deadline.LoginEnd, now: float) -> dict:
    """The JSON fields of the login's end: when, how far, from where; or why unknown."""
    if not end.known:
        return {"loginEndsAt": None, "loginEndsInSeconds": None, "loginEndSource": None,
                "loginEndUnknown": end.unknown_because}
    return {"loginEndsAt": sec.rfc3339(end.at), "loginEndsInSeconds": int(end.at - now),
            "loginEndSource": deadline.SOURCE, "loginEndUnknown": None}


def collect(kube: Kube, namespace: Optional[str], key_file: Optional[str], preferred_key: str,
            install: Optional[str] = None, now: Optional[float] = None,
            warn_days: float = deadline.DEFAULT_WARN_DAYS) -> list:
    now = time.time() if now is None else now
    secrets = kube.list_secrets(namespace, sec.SELECTOR)
    if install:
        secrets = [s for s in secrets if sec.labels(s).get(sec.INSTALL) == install]
    deployments = kube.list_deployments(namespace)
    keys: dict = {}
    rows = []
    for s in secrets:
        ns = (s.get("metadata") or {}).get("namespace") or namespace or "default"
        if ns not in keys:
            keys[ns] = fingerprint_key(kube, ns, key_file, create=False)
        users = [d for d in deployments if (d.get("metadata") or {}).get("namespace", ns) == ns
                 and template_annotations(d).get(CREDENTIALS_SECRET) == s["metadata"]["name"]]
        brokers = broker.installs(users, ns)
        brokered = broker_state(kube, brokers[0], preferred_key, now) if brokers else None
        rows.append(describe(s, users, keys[ns], preferred_key, now, brokered, warn_days))
    seen: dict = {}
    for row in rows:
        if row["live_fp"]:
            seen.setdefault(row["live_fp"], []).append(row)
    for same in seen.values():
        if len({r["install"] for r in same}) > 1:
            for r in same:
                others = ", ".join(f"{o['namespace']}/{o['secret']}" for o in same if o is not r)
                r["problems"].append(f"the same login is in {others}: two holders of one token family")
    names = {(r["namespace"], r["secret"]) for r in rows}
    unmanaged: dict = {}  # (namespace, Secret) -> the workloads using it: one row per Secret
    for d in deployments:
        ann = template_annotations(d)
        ns = (d.get("metadata") or {}).get("namespace") or namespace
        ref = ann.get(CREDENTIALS_SECRET)
        if ref and (ns, ref) not in names and (install is None or
                                              (d["metadata"].get("labels") or {}).get("app.kubernetes.io/instance") == install):
            unmanaged.setdefault((ns, ref), []).append(d)
    for (ns, ref), users in unmanaged.items():
        existing = kube.get_secret(ns, ref)
        workloads = [{"deployment": d["metadata"]["name"],
                      "mode": template_annotations(d).get(CREDENTIALS_MODE, "readOnly")} for d in users]
        row = {"install": (users[0]["metadata"].get("labels") or {}).get("app.kubernetes.io/instance"), "namespace": ns,
               "secret": ref, "mode": ", ".join(sorted({w["mode"] for w in workloads})), "workloads": workloads,
               "problems": [f"Secret {ns}/{ref} is missing" if existing is None else
                            f"Secret {ns}/{ref} was not made by aifactory-policy (no {sec.SELECTOR} label): "
                            "no owner, age or fingerprint recorded; recreate it with `credentials rotate --force`"],
               "warnings": [], "live_fp": None}
        brokers = broker.installs(users, ns)
        if brokers:  # the agents run on what the broker published, whatever happened to the Secret
            problem = judge_broker(row, *broker_state(kube, brokers[0], preferred_key, now), sec.annotations(existing),
                                   now)
            row["problems"] += [problem] if problem else []
        rows.append(row)
    return rows


def render_text(rows: list) -> str:
    if not rows:
        return "no credentials Secrets (label aifactory.dev/credentials=claude-code) and no workload using one\n"
    lines = []
    for r in rows:
        lines.append(f"install {r.get('install') or '?'} (namespace {r['namespace']})")
        lines.append(f"  secret:        {r['secret']}" + (f" key {r['key']}" if r.get("key") else ""))
        if "owner" in r:
            lines.append(f"  owner:         {r.get('owner') or 'not recorded'}")
            fam = (f"created {r['createdAt']} ({age(r['familyAgeSeconds'])} ago)" if r.get("familyAgeSeconds")
                   is not None else "created-at not recorded")
            if r.get("rotatedAt"):
                fam += f"; last rotated {r['rotatedAt']} by {r.get('rotatedBy') or '?'}"
            lines.append(f"  token family:  {fam}")
            if r.get("expiresAt"):
                left = r["expiresInSeconds"]
                when = f"in {age(left)}" if left > 0 else f"EXPIRED {age(left)} ago " + (
                    "(the broker refreshes it ahead of its expiry: see its health below)" if r.get("broker") else
                    "(Claude Code refreshes it on use; only writeBack keeps the new pair)")
                lines.append(f"  access token:  expires {r['expiresAt']} ({when})")
                lines.append(f"  login ends:    {login_end_text(r)}")
                lines.append(f"  scopes:        {' '.join(r['scopes'])} (full-scope: Remote Control accepts it"
                             + ("" if SESSIONS in r["scopes"] else f"; no {SESSIONS}: see the warning") + ")")
            lines.append(f"  fingerprint:   {r.get('fingerprint')}: {r.get('fingerprintMatch')}")
        lines.append(f"  mode:          {r['mode']}" + "".join(f"  deployment/{w['deployment']}" for w in r.get("workloads", [])))
        if r.get("broker"):
            lines += broker_lines(r)
        if r.get("health"):
            lines.append(f"  health:        {r['health']}" + (
                " (an idle agent, or a dead login if tasks ran since: see the write-back sidecar's log)"
                if r["health"] == "expired, not written back" else ""))
        if r.get("note"):
            lines.append(f"  note:          {r['note']}")
        for p in r["problems"]:
            lines.append(f"  PROBLEM:       {p}")
        for w in r.get("warnings", []):
            lines.append(f"  WARNING:       {w}")
    return "\n".join(lines) + "\n"


def login_end_text(r: dict) -> str:
    if r.get("loginEndsAt") is None:
        return f"unknown ({r.get('loginEndUnknown')})"
    left = r["loginEndsInSeconds"]
    when = deadline.until(left) if left > 0 else f"ENDED {deadline.ago(-left)}"
    return f"{r['loginEndsAt']} ({when}; {r['loginEndSource']})"


def broker_lines(r: dict) -> list:
    """The broker's state: its Lease, the agents' access token, the source Secret's login-state."""
    b, lease, acc = r["broker"], r["broker"]["lease"], r["broker"]["access"]
    state = (f"up ({lease['reason']})" if lease["up"] else
             f"DOWN{broker.since(lease)} ({lease['reason']})")
    lines = [f"  broker:        deployment/{b['deployment']} {state}"]
    if not acc["found"]:
        token = f"Secret {acc['secret']} does not exist"
    elif acc.get("accessExpiresAt") is None:
        token = f"nothing published yet in Secret {acc['secret']}"
    else:
        left = acc["accessExpiresInSeconds"]
        when = f"(in {age(left)})" if left > 0 else f"(EXPIRED {age(left)} ago)"
        published = f", published {acc['publishedAt']}" if acc.get("publishedAt") else ""
        token = f"expires {acc['accessExpiresAt']} {when}{published} in Secret {acc['secret']}"
    lines.append(f"  agents' token: {token}")
    if r.get("loginState"):
        lines.append(f"  login state:   {r['loginState']} at {r.get('loginStateAt') or '?'}")
    return lines


def run(kube: Kube, namespace: Optional[str], key_file: Optional[str], preferred_key: str,
        install: Optional[str] = None, warn_days: float = deadline.DEFAULT_WARN_DAYS) -> Report:
    """The rows as the report's "installs" (json) and its text; every problem is an error finding
    (exit 1), every warning (a broker down while the agents' token still works) a warning finding."""
    rows = collect(kube, namespace, key_file, preferred_key, install, warn_days=warn_days)
    for r in rows:
        r.pop("live_fp", None)
    findings = [Finding(rule="credentials", severity=severity, message=m, title="Credentials status problem",
                        resource=f"Secret/{r['namespace']}/{r['secret']}")
                for r in rows for severity, key in (("error", "problems"), ("warning", "warnings"))
                for m in r.get(key, [])]
    return Report(command="credentials status", findings=findings, body=render_text(rows),
                  details={"installs": rows})
