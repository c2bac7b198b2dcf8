"""SARIF 2.1.0 for GitHub code scanning (upload-sarif)."""
from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Optional
from urllib.parse import quote

from .. import __version__
from ..findings import Finding, Report
from ..output import displayable
from ..rules import CATALOGUE, RULES, title_of

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"error": "error", "warning": "warning", "note": "note"}
HOME = "https://github.com/aifactory/aifactory-chart"
DOCS = HOME + "/blob/main/"
# GitHub code scanning ranks security alerts by properties.security-severity (CVSS-like, 0.1-10):
# over 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium. A readable credential is critical; the rest of
# the error rules high; warnings medium.
CRITICAL = {"AIF001", "AIF201", "AIF301", "AIF302", "AIF303"}
SECURITY_SEVERITY = {"error": "8.0", "warning": "5.0", "note": "2.0"}
# Where a rule without its own README is documented (a page of the repository, absolute)
_DOC_OF = {"AIF100": "charts/aifactory/README.md", "AIF101": "charts/aifactory/README.md",
           "AIF102": "docs/rule-control.md"}
_SMALL_WORDS = {"a", "an", "the"}


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


def help_uri(rule_id: str) -> str:
    """An absolute URL to the rule's documentation: it works where the SARIF is read, not only here."""
    entry = CATALOGUE.get(rule_id) or {}
    page = entry.get("readme") or _DOC_OF.get(rule_id)
    if page is None:
        source = str(entry.get("source") or "")
        page = "docs/audit.md" if source.startswith("policies/audit/") else "policies/README.md"
    return DOCS + page


def rule_name(rule_id: str) -> str:
    """The rule's title as an identifier (PascalCase, letters and digits, no run of capitals):
    "Values do not match values.schema.json" -> "ValuesDoNotMatchValuesSchemaJson"."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", title_of(rule_id)) if w and w.lower() not in _SMALL_WORDS]
    name = "".join(w[:1].upper() + w[1:].lower() for w in words)
    return name if name[:1].isalpha() else "Rule" + name


def security_severity(rule_id: str) -> str:
    if rule_id in CRITICAL:
        return "9.5"
    return SECURITY_SEVERITY.get(str((CATALOGUE.get(rule_id) or {}).get("severity")), "8.0")


def _rule(rule_id: str) -> dict:
    entry = CATALOGUE.get(rule_id) or {}
    title = title_of(rule_id)
    description = str(entry.get("description") or title)
    rationale = str(entry.get("rationale") or "")
    remediation = str(entry.get("remediation") or "")
    uri = help_uri(rule_id)
    text = " ".join(x for x in (description, rationale and f"Why: {rationale}",
                                remediation and f"Fix: {remediation}", f"Documentation: {uri}") if x)
    markdown = "\n\n".join(x for x in (description, rationale and f"**Why.** {rationale}",
                                        remediation and f"**Fix.** {remediation}",
                                        f"[{rule_id} documentation]({uri})") if x)
    severity = str(entry.get("severity") or "error")
    return {
        "id": rule_id,
        "name": rule_name(rule_id),
        "shortDescription": {"text": title},
        "fullDescription": {"text": description},
        "helpUri": uri,
        "help": {"text": text, "markdown": markdown},
        "defaultConfiguration": {"level": LEVELS.get(severity, "error")},
        "properties": {"tags": ["security", "kubernetes", "claude-code"],
                       "security-severity": security_severity(rule_id),
                       "precision": "high", "problem.severity": LEVELS.get(severity, "error")},
    }


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
    ids = sorted(set(report.rules if report.rules is not None else RULES) | {f.rule for f in report.findings})
    index = {r: i for i, r in enumerate(ids)}
    run = {
        "tool": {"driver": {"name": "aifactory-policy", "version": __version__,
                            "semanticVersion": __version__,
                            "informationUri": HOME,
                            "rules": [_rule(r) for r in ids]}},
        "results": [_result(f, index, fallback_uri) for f in report.sorted_findings()],
        "invocations": [{"executionSuccessful": not report.failures,
                         "toolExecutionNotifications": [
                             {"level": "error", "message": {"text": e}} for e in report.failures]}],
    }
    return json.dumps(displayable({"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}), indent=2, ensure_ascii=False) + "\n"
