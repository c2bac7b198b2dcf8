"""SARIF 2.1.0 for GitHub code scanning (upload-sarif)."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Optional
from urllib.parse import quote

from .. import __version__
from ..findings import Finding, Report
from ..output import displayable
from ..rules import RULES, help_of, readme_of, title_of

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"error": "error", "warning": "warning", "note": "note"}


def artifact_uri(file: Optional[str]) -> Optional[str]:
    """A URI relative to the working directory (the repository root in CI), or None."""
    if not file or file.startswith("-"):
        return None
    p = Path(file)
    if p.is_absolute():
        try:
            p = p.resolve().relative_to(Path.cwd().resolve())
        except ValueError:
            return _file_uri(p.resolve())
    rel = os.path.normpath(str(p)).replace(os.sep, "/")
    if rel.startswith("../"):
        return _file_uri(Path(file).resolve())
    return quote(os.fsencode(rel), safe="/")   # the name's bytes, undecodable ones too (caf%E9.yaml)


def _file_uri(p: Path) -> str:
    return "file://" + quote(os.fsencode(str(p)), safe="/")


def _rule(rule_id: str) -> dict:
    readme = readme_of(rule_id)
    text = help_of(rule_id)
    entry = {
        "id": rule_id,
        "name": "".join(w[:1].upper() + w[1:] for w in title_of(rule_id).replace("-", " ").split()),
        "shortDescription": {"text": title_of(rule_id)},
        "fullDescription": {"text": text},
        "help": {"text": text + (f" See {readme}." if readme else ""),
                 "markdown": text + (f"\n\nSee [{readme}]({readme})." if readme else "")},
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["security", "kubernetes", "claude-code"]},
    }
    return entry


def _result(f: Finding, index: dict, fallback_uri: Optional[str]) -> dict:
    text = f.message
    if f.file and artifact_uri(f.file) is None:
        text += f" (set by {f.file})"
    if f.resource:
        text += f" [{f.resource}]"
    res = {"ruleId": f.rule, "ruleIndex": index[f.rule], "level": LEVELS.get(f.severity, "error"),
           "message": {"text": text}}
    uri = artifact_uri(f.file) or fallback_uri
    if uri:
        loc: dict = {"physicalLocation": {"artifactLocation": {"uri": uri}}}
        if f.line and f.line >= 1 and artifact_uri(f.file):
            loc["physicalLocation"]["region"] = {"startLine": int(f.line)}
        if f.path:
            loc["logicalLocations"] = [{"fullyQualifiedName": f.path, "kind": "member"}]
        res["locations"] = [loc]
    digest = hashlib.sha256("|".join([f.rule, f.file or "", f.resource or "", f.path or "", f.message])
                            .encode("utf-8", "surrogateescape")).hexdigest()
    res["partialFingerprints"] = {"aifactoryFinding/v1": digest}
    return res


def render(report: Report, fallback_file: Optional[str] = None) -> str:
    fallback_uri = artifact_uri(fallback_file) or (artifact_uri(report.inputs[0]) if report.inputs else None)
    ids = sorted(set(RULES) | {f.rule for f in report.findings})
    index = {r: i for i, r in enumerate(ids)}
    run = {
        "tool": {"driver": {"name": "aifactory-policy", "version": __version__,
                            "semanticVersion": __version__,
                            "informationUri": "https://github.com/aifactory/aifactory-chart",
                            "rules": [_rule(r) for r in ids]}},
        "results": [_result(f, index, fallback_uri) for f in report.sorted_findings()],
        "invocations": [{"executionSuccessful": not report.failures,
                         "toolExecutionNotifications": [
                             {"level": "error", "message": {"text": e}} for e in report.failures]}],
    }
    return json.dumps(displayable({"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}), indent=2, ensure_ascii=False) + "\n"
