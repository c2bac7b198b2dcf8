"""`credentials create-secret` (and `login`): obtain a login, store it in the install's Secret
(store.py: the checks and the apply), and report the values snippet that goes with it.
"""
from __future__ import annotations

from typing import Optional

from ..findings import Report
from .kube import Kube
from .options import StoreOptions
from .store import Target, preflight, store
from .ui import say


def values_snippet(t: Target, oauth_account: Optional[dict], mode: str = "broker") -> str:
    """The (non-secret) values that go with this Secret, oauthAccount included, as YAML."""
    import yaml
    rc = {"enabled": True, "credentialsSecretName": t.name, "credentialsSecretKey": t.key, "mode": mode}
    if oauth_account:
        rc["claudeState"] = {"oauthAccount": oauth_account}
    head = "# values for the install (not secret): helm upgrade --install ... -f this-file\n"
    return head + yaml.safe_dump({"remoteControl": rc}, sort_keys=False, default_flow_style=False)


def run(kube: Kube, source, t: Target, opts: StoreOptions, *, dry_run: bool, mode: str,
        command: str = "credentials create-secret") -> Report:
    preflight(kube, t, owner=opts.owner, owner_is_sa=opts.owner_is_sa, force=opts.force, replacing=False)
    obtained = source.obtain()
    store(kube, obtained, t, owner=opts.owner, owner_is_sa=opts.owner_is_sa, key_file=opts.key_file,
          force=opts.force, replacing=False, dry_run=dry_run)
    if not obtained.oauth_account:
        say("WARNING: no oauthAccount found (Remote Control refuses to start without it: \"Unable to determine "
            "your organization\"); pass --claude-json FILE (the `.claude.json` of this login) to print it")
    return Report(command=command, body=values_snippet(t, obtained.oauth_account, mode))
