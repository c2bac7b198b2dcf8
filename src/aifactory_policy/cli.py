"""The `aifactory-policy` command line: argument parsing, dispatch, exit codes, safe output."""
from __future__ import annotations

import argparse
import functools
import sys
import traceback
from typing import Optional, Sequence

from . import __version__
from .findings import EXIT_UNEVALUATED, EvaluationError, Report
from .output import display, warn, write_report
from .redact import RedactingWriter
from .reporters import FORMATS

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

Tools (helm, opa) are taken from <repo>/bin, then PATH; ci/bootstrap installs the pinned ones."""

CHECK_EPILOG = f"""What is checked:
  - each -f values file as written (raw text, comments included: credential material) and as
    parsed YAML (AIF001-AIF007 where they apply to values);
  - the values --set, --set-string, --set-file and --set-json set, as one values document
    (AIF001-AIF007 where they apply to values), whatever the chart does with them;
  - the merged values (chart values.yaml <- -f files <- --set-json <- --set <- --set-string <-
    --set-file, as Helm merges them) against the chart's values.schema.json: AIF100 with the key,
    file and line (or flag and key) that set it;
  - the manifests `helm template` renders, reported by template file (AIF001-AIF007);
  - chart guards: a `fail "ERROR: ..."` in the templates becomes AIF101.

examples:
  aifactory-policy check                                   # charts/aifactory, default values
  aifactory-policy check -f prod.yaml --set remoteControl.enabled=true \\
      --set remoteControl.credentialsSecretName=claude-creds
  aifactory-policy check charts/aifactory -f a.yaml -f b.yaml --helm-major 4 --format json
  aifactory-policy check -f prod.yaml --format sarif --output results.sarif

{EXIT_CODES}

{FORMATS_HELP}"""

SCAN_EPILOG = f"""Folders are searched recursively for *.yaml, *.yml and *.json; a file named on the
command line is scanned whatever its extension. Multi-document YAML and JSON are read; each file
is checked as raw text (comments) and document by document. No chart, no schema (use `check`).
Symlinks leading out of a scanned folder are skipped; nothing is written next to scanned files
and nothing in them is executed.

examples:
  aifactory-policy scan values-examples/
  aifactory-policy scan rendered.yaml k8s/ --format json
  helm template my ./chart > out.yaml && aifactory-policy scan out.yaml
  pre-commit: add `- repo: <this repo>` with hook id aifactory-policy-scan

{EXIT_CODES}

{FORMATS_HELP}"""


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog):
        super().__init__(prog, max_help_position=32)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=sorted(FORMATS), default="text", help="report format (default: text)")
    p.add_argument("--output", "-o", metavar="FILE",
                   help="write the report to FILE (atomically: temp file + rename) instead of stdout")
    p.add_argument("--policies", metavar="DIR", help="policies folder (default: <repo>/policies)")
    p.add_argument("--opa", metavar="PATH", help="opa binary (default: <repo>/bin/opa, then PATH)")


@functools.lru_cache(maxsize=1)  # main() may run many times in one process (embedding, tests)
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aifactory-policy", formatter_class=_Formatter, epilog=MAIN_EPILOG,
        description="Check the AIFactory chart, values files and Kubernetes manifests for Claude Code "
                    "Remote Control credential anti-patterns (rules AIF001-AIF101).")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="{check,scan,credentials,audit,scan-image,rules}")
    sub.required = True

    check = sub.add_parser("check", formatter_class=_Formatter, epilog=CHECK_EPILOG,
                           help="render the chart with Helm and check values and manifests",
                           description="Render CHART with the real Helm (`helm template`) and check the values "
                                       "files, the merged values and the rendered manifests.")
    check.add_argument("chart", nargs="?", metavar="CHART",
                       help="chart folder (default: charts/aifactory here, else in the repository)")
    check.add_argument("-f", "--values", action="append", default=[], metavar="VALUES",
                       help="values file, repeatable; later files win (as with helm)")
    check.add_argument("--set", action="append", default=[], metavar="K=V",
                       help="set a value (a.b=c, a[0]=x, a={x,y}; typed like helm), repeatable")
    check.add_argument("--set-string", action="append", default=[], metavar="K=V",
                       help="set a value, always a string, repeatable")
    check.add_argument("--set-file", action="append", default=[], metavar="K=PATH",
                       help="set a value to a file's text, repeatable (as with helm)")
    check.add_argument("--set-json", action="append", default=[], metavar="K=JSON",
                       help="set a JSON value (a.b={\"c\":1}), repeatable (as with helm)")
    helm_group = check.add_mutually_exclusive_group()
    helm_group.add_argument("--helm", metavar="PATH", help="helm binary to use")
    helm_group.add_argument("--helm-major", type=int, choices=(3, 4),
                            help="use the pinned Helm 3 (bin/helm3) or Helm 4 (bin/helm4)")
    check.add_argument("--release-name", default="aifactory", metavar="NAME",
                       help="release name for the render (default: aifactory)")
    check.add_argument("--namespace", "-n", metavar="NS", help="namespace for the render")
    check.add_argument("--kube-version", metavar="VER",
                       help="Kubernetes version for the render (default: KUBERNETES_VERSION in ci/versions.env)")
    _common(check)

    scan = sub.add_parser("scan", formatter_class=_Formatter, epilog=SCAN_EPILOG,
                          help="check values files and manifests on disk",
                          description="Check values files and Kubernetes manifests (files or folders).")
    scan.add_argument("paths", nargs="+", metavar="PATH", help="file or folder, repeatable")
    scan.add_argument("--per-file", action="store_true",
                      help="compare files only with themselves: the cross-document rule (AIF005, one Secret "
                           "shared by two releases) looks within each file, as conftest does without "
                           "--combine (default: across every file given, so sharing between files is found)")
    _common(scan)
    from .credentials.cli import add_parser as add_credentials
    add_credentials(sub, _Formatter)
    from .audit.command import add_parser as add_audit  # audit and scan-image own their options
    from .commands.scan_image import add_parser as add_scan_image
    add_audit(sub, _Formatter, _common)
    add_scan_image(sub, _Formatter, _common)
    from .commands.rules import add_parser as add_rules
    add_rules(sub, _Formatter)
    return parser


def _dispatch(args: argparse.Namespace) -> Report:
    if args.command in ("audit", "scan-image"):
        return args.run(args)
    if args.command == "check":
        from .commands import check
        return check.run(args.chart, args.values, args.set, args.set_string, helm_path=args.helm,
                         helm_major=args.helm_major, release=args.release_name, namespace=args.namespace,
                         policies=args.policies, opa_path=args.opa, kube_version=args.kube_version,
                         set_files=args.set_file, set_jsons=args.set_json)
    from .commands import scan
    return scan.run(args.paths, policies=args.policies, opa_path=args.opa, per_file=args.per_file)


def _run(argv: Optional[Sequence[str]]) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "credentials":
        from .credentials.cli import run as run_credentials
        return run_credentials(args)
    if args.command == "rules":
        from .commands.rules import run as run_rules
        return run_rules(args)
    try:
        report = _dispatch(args)
        text = FORMATS[args.format](report)
        write_report(text, args.output)
        if args.output:
            # a one-line summary on stdout so a CI log shows the outcome
            sys.stdout.write(display(FORMATS["text"](report).rstrip("\n").splitlines()[-1] + f" (report: {args.output})\n"))
        for failure in report.failures:
            warn(f"error: {failure}")
        return report.exit_code
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
