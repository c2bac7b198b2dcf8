"""--help teaches (examples, exit codes, formats); --version; the pre-commit hook definition."""
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
    from aifactory_policy.tools import policy_digest
    r = cli("--version")
    first, policies = r.out.splitlines()
    assert r.code == 0 and first == f"aifactory-policy {__version__}"
    assert "AIF001-AIF009" in policies and f"sha256:{policy_digest(REPO / 'policies')[:16]}" in policies
    assert str(REPO / "policies") in policies


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
