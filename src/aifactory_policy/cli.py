"""The `aifactory-policy` command line: the subcommands' registry, exit codes, safe output.

Every subcommand is a module of aifactory_policy.commands with the same two entry points,
add_parser(sub, formatter) and run(args) -> Report. The main path (_run): parse; read
--config/--rules/--skip; run the command; apply the rule control to its Report; hand the Report to
the command's deliver(report, args) when it has one (audit --publish); write it in the --format
asked for (reporters.write); the exit code from the Report (exit_code_of), or from the Refusal or
EvaluationError that stopped it.
"""
from __future__ import annotations

import argparse
import functools
import importlib
import sys
import traceback
from typing import Optional, Sequence

from . import __version__
from .commands import EXIT_CODES, FORMATS_HELP
from .findings import EXIT_FINDINGS, EXIT_OK, EXIT_UNEVALUATED, EvaluationError, Refusal, Report
from .output import warn
from .redact import RedactingWriter
from . import rulecontrol
from .reporters import write

# subcommand -> its module in aifactory_policy.commands, in the order --help lists them
COMMANDS = {"check": "check", "scan": "scan", "credentials": "credentials", "audit": "audit",
            "scan-image": "scan_image", "rules": "rules"}

MAIN_EPILOG = f"""commands:
  check   render the chart with Helm and check values files, merged values and manifests
  scan    check values files and Kubernetes manifests on disk (files or folders)
  credentials  make, store, rotate and inspect the install's Claude Code login (its own --help)
  audit   audit a live cluster's installs and credentials, read-only (its own --help)
  scan-image  find Claude credentials baked into a saved image, deleted layers included
  rules   list the rules, or explain one (`rules list`, `rules explain AIF002`)

examples:
  aifactory-policy check -f my-values.yaml
  aifactory-policy check charts/aifactory -f prod.yaml --set remoteControl.enabled=true --format sarif --output aifactory.sarif
  aifactory-policy scan deploy/ values/prod.yaml --format junit --output policy-junit.xml

{EXIT_CODES}

{FORMATS_HELP}

helm (3 or 4) and opa (1.0 or later) are taken from PATH (in a checkout of the repository, from its bin/
first); the policies and the chart come with the package."""


class _Version(argparse.Action):
    """--version: the package version and the policy set, read when asked (not on every run)."""

    def __call__(self, parser, namespace, values, option_string=None):
        from .tools import version_text
        sys.stdout.write(version_text(__version__))
        parser.exit()


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog):
        super().__init__(prog, max_help_position=32)


def command_module(command: str):
    """Looked up when the command runs: tests replace a module's `run`."""
    return importlib.import_module(f"{__package__}.commands.{COMMANDS[command]}")


@functools.lru_cache(maxsize=None)  # main() may run many times in one process (embedding, tests)
def build_parser(only: Optional[str] = None) -> argparse.ArgumentParser:
    """The whole parser, or with `only` the one command's: the same usage, options and help for it,
    without importing the other commands' modules first (they cost ~50 ms before `check` could
    start Helm)."""
    parser = argparse.ArgumentParser(
        prog="aifactory-policy", formatter_class=_Formatter, epilog=MAIN_EPILOG,
        description="Check the AIFactory chart, values files and Kubernetes manifests for Claude Code "
                    "Remote Control credential anti-patterns (the rules: aifactory-policy rules list).")
    parser.add_argument("--version", action=_Version, nargs=0,
                        help="print the version and the policy set (rule ids, digest, folder), then exit")
    sub = parser.add_subparsers(dest="command", metavar="{" + ",".join(COMMANDS) + "}")
    sub.required = True
    for command in ([only] if only else COMMANDS):
        command_module(command).add_parser(sub, _Formatter)
    return parser


def command_named(argv: Sequence[str]) -> Optional[str]:
    """The command of an argument list when it is a known one (the main parser's own options,
    --help and --version, take no value, so it is the first argument not starting with -); None
    when the main parser's help is asked for first (it lists every command)."""
    for a in argv:
        if not a.startswith("-"):
            return a if a in COMMANDS else None
        if a == "-h" or (len(a) > 2 and "--help".startswith(a)):   # argparse takes --hel for --help
            return None
    return None


def exit_code_of(report: Report) -> int:
    """The one place a run's outcome becomes its exit code (README "Exit codes")."""
    if report.delivered:   # audit --publish: the findings are in the cluster's PolicyReports
        return EXIT_OK
    return report.exit_code


def _run(argv: Optional[Sequence[str]]) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(command_named(argv)).parse_args(argv)
    try:
        # --config/--rules/--skip (rulecontrol.add_options): read before the command runs, so a bad
        # config file stops it at once
        control = rulecontrol.from_args(args) if hasattr(args, "skip") else None
        module = command_module(args.command)
        report = module.run(args)
        if control is not None:
            report = rulecontrol.apply(report, control)
        deliver = getattr(module, "deliver", None)
        if deliver is not None:
            report = deliver(report, args)
        write(report, getattr(args, "format", "text"), getattr(args, "output", None))
        return exit_code_of(report)
    except Refusal as exc:
        warn(f"refused: {exc}")
        return EXIT_FINDINGS
    except EvaluationError as exc:
        warn(f"error: {exc}")
        return EXIT_UNEVALUATED


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point. Every stdout/stderr byte is redacted; any failure is exit 2 with the reason."""
    real_out, real_err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = RedactingWriter(real_out), RedactingWriter(real_err)
    try:
        return _run(argv)
    except SystemExit as exc:  # argparse: --help/--version (0) and usage errors (2)
        return exc.code if isinstance(exc.code, int) else EXIT_UNEVALUATED
    except KeyboardInterrupt:
        warn("interrupted")
        return 130
    except Exception:  # noqa: BLE001 - last resort: never a raw (unredacted) traceback
        warn("internal error (please report it):\n" + traceback.format_exc())
        return EXIT_UNEVALUATED
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            sys.stdout, sys.stderr = real_out, real_err


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
