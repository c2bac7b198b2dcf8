"""Waivers: data with a reason and an expiry. Expired ones stop waiving and are reported."""
from __future__ import annotations

import dataclasses
import datetime as dt
import fnmatch
from dataclasses import dataclass

import yaml

from ..findings import EvaluationError, Finding


@dataclass(frozen=True)
class Waiver:
    rule: str      # rule id or glob ("AIF203", "AIF2*")
    target: str    # namespace/Kind/name glob ("team-a/Secret/claude-*", "*/ClusterRoleBinding/ops")
    reason: str
    expires: dt.date

    def matches(self, f: Finding) -> bool:
        return (fnmatch.fnmatchcase(f.rule, self.rule)
                and fnmatch.fnmatchcase((f.file or "").lower(), self.target.lower()))


def load(path: str) -> list[Waiver]:
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    except OSError as exc:
        raise EvaluationError(f"--waivers {path}: cannot read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise EvaluationError(f"--waivers {path}: not YAML ({exc})") from None
    if isinstance(data, dict):
        data = data.get("waivers")
    if not isinstance(data, list):
        raise EvaluationError(f"--waivers {path}: expected a list of {{rule, target, reason, expires}} "
                              "(or a mapping with key `waivers`)")
    out = []
    for i, w in enumerate(data):
        where = f"--waivers {path}: entry {i + 1}"
        if not isinstance(w, dict):
            raise EvaluationError(f"{where}: not a mapping")
        missing = [k for k in ("rule", "target", "reason", "expires") if not w.get(k)]
        if missing:
            raise EvaluationError(f"{where}: missing {', '.join(missing)} (every waiver needs a rule, a target "
                                  "namespace/Kind/name glob, a reason and an expiry date)")
        expires = w["expires"]
        if isinstance(expires, dt.datetime):
            expires = expires.date()
        if not isinstance(expires, dt.date):
            try:
                expires = dt.date.fromisoformat(str(expires))
            except ValueError:
                raise EvaluationError(f"{where}: expires {expires!r} is not a date (YYYY-MM-DD)") from None
        out.append(Waiver(str(w["rule"]), str(w["target"]), str(w["reason"]), expires))
    return out


def apply(findings: list[Finding], waivers: list[Waiver], today: dt.date):
    """(kept, waived, notes): a waiver expiring on `today` still applies that day."""
    active = [w for w in waivers if w.expires >= today]
    notes = [f"waiver {w.rule} {w.target} expired on {w.expires.isoformat()} ({w.reason}): it no longer waives"
             for w in waivers if w.expires < today]
    kept, waived = [], []
    for f in findings:
        w = next((w for w in active if w.matches(f)), None)
        if w is None:
            kept.append(f)
        else:
            waived.append(dataclasses.replace(f, waived_by=f"{w.reason} (until {w.expires.isoformat()})"))
    for w in waivers:
        if w.expires < today and any(w.matches(f) for f in findings):
            notes.append(f"expired waiver {w.rule} {w.target} would have matched findings that are now reported")
    return kept, waived, notes
