"""Waivers: data with a reason and an expiry. Expired ones stop waiving and are reported.

The format and the matching are rulecontrol's (one file serves CI and audits: the `waivers:` key of a
.aifactory-policy.yaml is accepted here as it is); this module reads `--waivers FILE`."""
from __future__ import annotations

import datetime as dt

import yaml

from ..findings import EvaluationError, Finding
from ..rulecontrol import Waiver, apply_waivers, parse_waivers

__all__ = ["Waiver", "load", "apply"]


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
    return parse_waivers(data, f"--waivers {path}")


def apply(findings: list[Finding], waivers: list[Waiver], today: dt.date):
    """(kept, waived, notes): a waiver expiring on `today` still applies that day."""
    kept, waived, expired = apply_waivers(findings, waivers, today)
    notes = [f"waiver {w.rule} {w.target} expired on {w.expires.isoformat()} ({w.reason}): it no longer waives"
             for w in expired]
    for w in expired:
        if any(w.matches(f) for f in findings):
            notes.append(f"expired waiver {w.rule} {w.target} would have matched findings that are now reported")
    return kept, waived, notes
