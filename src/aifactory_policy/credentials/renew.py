"""`credentials renew`: the monthly ceremony. A login (token family) ends about 30 days after
`claude auth login` whatever refreshes happen (reported; Claude Code 2.1.330 itself stores
`refreshTokenExpiresAt` = login + 30 days when the server names no end, measured), so before then:

1. resolve the install from its release: the Deployments labelled app.kubernetes.io/instance=R
   that carry the chart's aifactory.dev/credentials-secret annotation name the Secret, the mode
   and (the broker's --key, or the Secret volume's item) the key. Nothing is asked that the
   cluster already knows; all of this, and the owner and ownership checks, BEFORE the login;
2. the real `claude auth login` in a throwaway CLAUDE_CONFIG_DIR (sources.ClaudeLogin behind
   login_relay: URL on stderr, the code read from the terminal, so no browser is needed here): a
   new family that only the install will hold;
3. `rotate`'s write and hand-over (rotate.run): the Secret written (conditional, the replaced family
   retired in the broker's spent list), then the broker adopts it (broker mode, no restart) or the
   workload rolls (other modes), then `helm test`.
A login that fails, is refused or aborted changes nothing in the cluster: every write is after it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..findings import Refusal, Report
from . import broker
from .kube import Kube
from .options import Rollout, StoreOptions
from .rotate import CREDENTIALS_MODE, CREDENTIALS_SECRET, template_annotations
from .store import Target
from .ui import say

RELEASE_LABEL = "app.kubernetes.io/instance"


@dataclass
class Resolved:
    target: Target
    modes: list
    deployments: list


def _volume_key(dep: dict, secret: str) -> Optional[str]:
    """The key a pod mounts from `secret` (the chart's credentials volume has one item)."""
    pod = ((dep.get("spec") or {}).get("template") or {}).get("spec") or {}
    for v in pod.get("volumes") or []:
        src = v.get("secret") if isinstance(v, dict) else None
        if isinstance(src, dict) and src.get("secretName") == secret:
            items = src.get("items") or []
            if items and isinstance(items[0], dict) and items[0].get("key"):
                return items[0]["key"]
    return None


def resolve(kube: Kube, namespace: str, install: str, secret: Optional[str] = None,
            key: Optional[str] = None) -> Resolved:
    """The install's Secret, key and mode from its Deployments; Refusal when the release names none
    or several, or not the --secret given."""
    deps = [d for d in kube.list_deployments(namespace, f"{RELEASE_LABEL}={install}")
            if template_annotations(d).get(CREDENTIALS_SECRET)]
    if not deps:
        raise Refusal(f"no Deployment of release {install!r} in namespace {namespace} uses a Claude Code login "
                      f"(pod template annotation {CREDENTIALS_SECRET}, label {RELEASE_LABEL}={install}). Fix: -n with "
                      f"the release's namespace; for an install without a login yet, `aifactory-policy credentials "
                      f"login --install {install} -n {namespace}`")
    names = sorted({template_annotations(d)[CREDENTIALS_SECRET] for d in deps})
    if secret and secret not in names:
        raise Refusal(f"--secret {secret}: release {install!r} uses Secret {', '.join(names)}, not {secret}. Fix: "
                      "leave --secret out (renew finds it)")
    if not secret and len(names) > 1:
        raise Refusal(f"release {install!r} uses several credentials Secrets ({', '.join(names)}). Fix: --secret NAME")
    name = secret or names[0]
    users = [d for d in deps if template_annotations(d)[CREDENTIALS_SECRET] == name]
    brokered = broker.installs(users, namespace)
    found = (brokered[0].key if brokered else None) or next(
        (k for k in (_volume_key(d, name) for d in users) if k), None)
    if key and found and key != found:
        raise Refusal(f"--key {key}: release {install!r} reads key {found!r} of Secret {name}. Fix: leave --key out")
    modes = sorted({template_annotations(d).get(CREDENTIALS_MODE, "readOnly") for d in users})
    return Resolved(Target(namespace=namespace, install=install, name=name, key=key or found or "credentials.json"),
                    modes, [d["metadata"]["name"] for d in users])


def run(kube: Kube, namespace: str, install: str, opts: StoreOptions, rollout: Rollout, *, secret: Optional[str],
        key: Optional[str], claude: Optional[str], login_timeout: float = 900.0, source=None) -> Report:
    """`source` replaces the real login in tests of the write path only."""
    from . import rotate
    from .sources import ClaudeLogin
    found = resolve(kube, namespace, install, secret, key)
    t = found.target
    how = ("the broker adopts it, no restart" if found.modes == [broker.MODE] else
           f"then {', '.join('deployment/' + d for d in found.deployments)} roll"
           + (" (the broker adopts it at once)" if broker.MODE in found.modes else ""))
    say(f"renewing install {install}: Secret {t.namespace}/{t.name} key {t.key!r}, mode {', '.join(found.modes)}; "
        f"a new login is made first, then stored ({how})")
    login = source or ClaudeLogin(claude=claude, timeout=login_timeout, install=install)
    return rotate.run(kube, login, t, opts, rollout, command="credentials renew")
