"""The owner convention: a credentials Secret belongs to a Kubernetes service account, never a person.

`aifactory.dev/owner` holds the service account's Kubernetes user name,
`system:serviceaccount:<namespace>:<name>` (the form RBAC and audit logs use). Accepted input:
- `system:serviceaccount:<namespace>:<name>` (both DNS-1123 labels);
- a bare `<name>` only together with --owner-is-service-account (the operator states it is a
  service account of the install's namespace);
anything else is refused: an email address, a name with spaces or capitals, a bare word.
Default: the install's own service account (from its workload, else the chart's default name).
"""
from __future__ import annotations

import re
from typing import Optional

from ..findings import Refusal

SA_PREFIX = "system:serviceaccount:"
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
FIX = ("pass --owner system:serviceaccount:<namespace>:<name> (the install's service account), or a bare "
       "service-account name with --owner-is-service-account")


def resolve(owner: Optional[str], namespace: str, default_sa: Optional[str], is_service_account: bool = False) -> str:
    """The `system:serviceaccount:NS:NAME` to record, or Refusal."""
    if owner is None or owner == "":
        if not default_sa:
            raise Refusal(f"--owner: cannot tell the install's service account. Fix: {FIX}.")
        owner, is_service_account = default_sa, True
    if "@" in owner or any(c.isspace() for c in owner):
        raise Refusal(f"--owner {owner!r} looks like a person (an email address or a personal name); a "
                      f"credentials Secret is owned by the service account that runs the install. Fix: {FIX}.")
    if owner.startswith(SA_PREFIX):
        parts = owner[len(SA_PREFIX):].split(":")
        if len(parts) != 2 or not _LABEL.match(parts[0]) or not _SUBDOMAIN.match(parts[1]):
            raise Refusal(f"--owner {owner!r} is not system:serviceaccount:<namespace>:<name> with DNS-1123 "
                          f"names. Fix: {FIX}.")
        return owner
    if not is_service_account:
        raise Refusal(f"--owner {owner!r} is not in the form system:serviceaccount:<namespace>:<name> and may "
                      f"be a person's name. Fix: {FIX}.")
    if not _SUBDOMAIN.match(owner):
        raise Refusal(f"--owner {owner!r} is not a valid service-account name (lower-case DNS-1123). Fix: {FIX}.")
    return f"{SA_PREFIX}{namespace}:{owner}"
