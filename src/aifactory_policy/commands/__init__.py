"""Subcommands. Every module here has the same two entry points:

  add_parser(sub, formatter)   registers the subcommand: its options, --help text and examples;
  run(args) -> Report          runs it and returns the Report, which cli.py writes in the --format
                               asked for (reporters.write), redacted, and turns into the exit code;
  deliver(report, args) -> Report   optional: hands the Report on after --config/--rules/--skip
                               applied, before it is written (audit --publish).

cli.COMMANDS lists them; adding a subcommand is a module here and one entry there.

The work itself lives beside them: documents, values, helm and opa for check and scan; audit/ for
audit; image.py for scan-image's layer reader; credentials/ for the credentials verbs.
"""
from __future__ import annotations

import argparse

from ..reporters import formats_for

EXIT_CODES = """exit codes:
  0  no error-severity finding
  1  at least one error-severity finding (a schema violation, AIF100, is a finding)
  2  could not evaluate: unreadable file, YAML syntax error, Helm failure, missing tool;
     the reason, the file or key, and the fix are printed on stderr"""

FORMATS_HELP = """formats (--format):
  text   findings grouped by file, then a summary line (default)
  json   {"findings": [{rule, severity, message, file, resource, path, line, ...}], "summary": {...}}
  sarif  SARIF 2.1.0 for GitHub code scanning (github/codeql-action/upload-sarif)
  junit  JUnit XML, one testcase per rule x file, failures for errors
Credentials are never printed: tokens (sk-ant-...) and base64 blobs that hold them are redacted
in every output, report file and error message."""


def add_report_options(p: argparse.ArgumentParser, command: str = "") -> None:
    """--format and --output: every report is written by cli.py through the reporter registry;
    `command` adds the formats only it takes (reporters.ONLY_FOR: audit's policyreport)."""
    p.add_argument("--format", choices=formats_for(command), default="text", help="report format (default: text)")
    p.add_argument("--output", "-o", metavar="FILE",
                   help="write the report to FILE (atomically: temp file + rename) instead of stdout")


def add_policy_options(p: argparse.ArgumentParser) -> None:
    """--policies and --opa, for the commands that evaluate the Rego policies."""
    p.add_argument("--policies", metavar="DIR", help="policies folder (default: <repo>/policies)")
    p.add_argument("--opa", metavar="PATH", help="opa binary (default: <repo>/bin/opa, then PATH)")


def add_common(p: argparse.ArgumentParser, command: str = "") -> None:
    """The options of the commands that evaluate policies and report findings."""
    from ..rulecontrol import add_options
    add_options(p)
    add_report_options(p, command)
    add_policy_options(p)
