"""The one data model every command and reporter shares: a finding and a run's outcome."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Optional

SEVERITIES = ("error", "warning", "note")

# Exit codes are a contract with CI pipelines (README "Exit codes").
EXIT_OK = 0          # no error-severity finding
EXIT_FINDINGS = 1    # at least one error-severity finding
EXIT_UNEVALUATED = 2  # could not evaluate: unreadable input, YAML error, Helm failure, missing tool


@dataclass(frozen=True)
class Finding:
    rule: str                       # stable id, e.g. "AIF001"
    severity: str                   # one of SEVERITIES
    message: str                    # names the field and the fix; never contains a credential
    file: Optional[str] = None      # path as given by the user, or a rendered template's source
    resource: Optional[str] = None  # "Kind/namespace/name" or "Kind/name"
    path: Optional[str] = None      # dotted path inside the document, e.g. spec.template.spec.volumes[0]
    line: Optional[int] = None      # 1-based line in `file` where known
    title: Optional[str] = None     # short rule title for SARIF/JUnit
    waived_by: Optional[str] = None  # reason of the waiver that suppressed it, if any

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    waived: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. expired waivers, skipped checks
    inputs: list[str] = field(default_factory=list)  # files evaluated (values files, manifests, templates)
    documents: int = 0                               # documents sent to the policies
    failures: list[str] = field(default_factory=list)  # inputs that could not be evaluated (exit 2)
    command: str = ""                                # the subcommand, e.g. "check", "credentials status"
    # A command whose result is more than findings (the credentials verbs) gives its own human text,
    # printed by the text format in place of the findings list, and its data as top-level keys of
    # the json format (credentials status: "installs").
    body: Optional[str] = None
    # A command whose whole output is not a report of findings (`rules list`): written as is,
    # whatever the format (reporters.write).
    text: Optional[str] = None
    details: dict = field(default_factory=dict)
    # The rules evaluated (JUnit lists these): None until rulecontrol.apply sets them from the command
    # and --rules/--skip; a command lists in not_evaluated what it could not check this time (AIF100
    # without a values.schema.json).
    rules: Optional[list[str]] = None
    not_evaluated: list[str] = field(default_factory=list)
    # The findings went somewhere that keeps them (audit --publish: the cluster's PolicyReports), so
    # they do not fail the run: the exit code is 0 once delivered (cli.exit_code_of).
    delivered: bool = False

    @property
    def exit_code(self) -> int:
        if self.failures:
            return EXIT_UNEVALUATED
        return EXIT_FINDINGS if any(f.severity == "error" for f in self.findings) else EXIT_OK

    def counts(self) -> dict:
        c = {sev: sum(1 for f in self.findings if f.severity == sev) for sev in SEVERITIES}
        return {"errors": c["error"], "warnings": c["warning"], "notes": c["note"],
                "findings": len(self.findings), "waived": len(self.waived),
                "files": len(self.inputs), "documents": self.documents,
                "failures": len(self.failures), "exit_code": self.exit_code}

    def sorted_findings(self) -> list["Finding"]:
        return sorted(self.findings, key=lambda f: (f.file or "", f.line or 0, f.rule, f.path or "", f.message))


class EvaluationError(Exception):
    """Input could not be evaluated (exit 2). The message names the file and the fix."""


class Refusal(Exception):
    """The input was evaluated and refused before anything was done (exit 1): a login that fails
    validation, a personal owner, another install's Secret. The message names what and the fix."""
