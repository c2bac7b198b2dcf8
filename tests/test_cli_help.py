"""--help teaches (examples, exit codes, formats); --version; the pre-commit hook definition."""
import re

import pytest
import yaml

from aifactory_policy import __version__
from helpers import REPO


@pytest.mark.parametrize("args", [["--help"], ["check", "--help"], ["scan", "--help"]])
def test_help_teaches(cli, args):
    r = cli(*args)
    assert r.code == 0
    for needle in ("examples:", "exit codes:", "0  no error-severity finding", "2  could not evaluate",
                   "sarif", "junit", "json", "aifactory-policy "):
        assert needle in r.out, needle


def test_check_help_lists_every_option(cli):
    out = cli("check", "--help").out
    for opt in ("-f VALUES", "--set K=V", "--set-string K=V", "--helm PATH", "--helm-major", "--format",
                "--output FILE", "--policies DIR", "--kube-version"):
        assert opt in out, opt


def test_version_names_the_policy_set(cli):
    """The rule ranges name exactly the catalogue's rules (read back, not formatted the same way)."""
    from aifactory_policy.rule_catalogue import CATALOGUE
    from aifactory_policy.rule_ids import expand
    from aifactory_policy.tools import policy_digest
    r = cli("--version")
    first, policies = r.out.splitlines()
    assert r.code == 0 and first == f"aifactory-policy {__version__}"
    m = re.fullmatch(r"policies: (\d+) rules \(([A-Z0-9, -]+)\), sha256:([0-9a-f]{16}) \(\d+ files in (.+)\)", policies)
    assert m, policies
    assert int(m[1]) == len(CATALOGUE) and expand(m[2]) == set(CATALOGUE)
    assert m[3] == policy_digest(REPO / "policies")[:16] and m[4] == str(REPO / "policies")


def test_help_texts_name_every_manifest_rule(cli):
    """check's and audit's help name the manifest rules as one range from the catalogue."""
    from aifactory_policy.rule_catalogue import CATALOGUE
    from aifactory_policy.rule_ids import expand
    manifest = {rid for rid, e in CATALOGUE.items() if e["folder"]}
    for command, pattern in (("check", r"template file \((AIF[A-Z0-9, -]+)\)"), ("audit", r"\n  (AIF[A-Z0-9, -]+?)  the manifest rules")):
        out = cli(command, "--help").out
        m = re.search(pattern, out)
        assert m and expand(m[1]) == manifest, (command, m and m[1])


def test_pre_commit_hook():
    [hook] = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "aifactory-policy-scan"
    assert hook["language"] == "python"
    assert hook["entry"] == "aifactory-policy scan --skip-chart-templates"
    assert set(hook.get("types_or", hook.get("types", []))) == {"yaml", "json"}


def _parse(parser, argv):
    """(exit code or None, what argparse printed, the namespace) for argv."""
    import contextlib
    import io
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            ns = vars(parser.parse_args(argv))
            code = None
        except SystemExit as exc:
            ns, code = None, exc.code
    return code, out.getvalue(), err.getvalue(), ns


ARGV_SAMPLES = [["--help"], ["--bogus"], [], ["chek"], ["--version"], ["--hel", "scan"], ["-h", "audit"],
                ["--vers", "check"]] + [
    argv for command in ("check", "scan", "credentials", "audit", "scan-image", "rules") for argv in (
        [command, "--help"], [command, "--bogus"], [command], [command, "--format", "sarif", "x"],
        ["--help", command], [command, "--output"])]


@pytest.mark.parametrize("argv", ARGV_SAMPLES, ids=" ".join)
def test_one_command_parser_reads_argv_as_the_whole_parser(argv, capsys):
    """The CLI builds only the named command's parser (start-up time); for any argument list it
    must parse, refuse and help exactly as the parser of every command does."""
    from aifactory_policy import cli
    whole = _parse(cli.build_parser(), argv)
    assert _parse(cli.build_parser(cli.command_named(argv)), argv) == whole
