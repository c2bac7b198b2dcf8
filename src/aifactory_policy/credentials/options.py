"""The options create-secret, rotate and renew share, as two requests the command builds once:
who owns the stored login (StoreOptions) and how a new login reaches the running pods (Rollout)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class StoreOptions:
    owner: Optional[str] = None      # --owner
    owner_is_sa: bool = False        # --owner-is-service-account
    key_file: Optional[str] = None   # --fingerprint-key-file
    force: bool = False              # --force


@dataclass(frozen=True)
class Rollout:
    timeout: float = 300.0           # --timeout: each rollout, the broker's hand-over, `helm test`
    helm: Optional[str] = None       # the helm binary for `helm test` (None with --skip-helm-test)
    skip_helm_test: bool = False     # --skip-helm-test
    helm_args: tuple = ()            # --kubeconfig/--kube-context for helm, as the command got them
    poll: float = 2.0                # seconds between the rollout's checks
