"""No credential in any output: every command x format, stdout, stderr and report files."""
import pytest

from aifactory_policy.reporters import FORMATS
from fixtures import FAKE_ACCESS, FAKE_REFRESH, fake_credentials_b64, fake_credentials_json, leaked
from helpers import MINI_CHART, REPO, mini, write


@pytest.fixture(scope="module")
def laden(tmp_path_factory):
    """Values files and manifests full of fake credentials, in every shape."""
    d = tmp_path_factory.mktemp("laden")
    write(d / "values.yaml", f"# token: {FAKE_ACCESS}\nremoteControl:\n  enabled: false\n"
                             f"note: '{FAKE_REFRESH}'\n")
    write(d / "secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n"
                             f"data:\n  credentials.json: {fake_credentials_b64()}\n"
                             f"stringData:\n  raw: '{fake_credentials_json()}'\n")
    write(d / "creds.json", fake_credentials_json())
    write(d / "broken.yaml", f"key: {FAKE_ACCESS}\nkey: again\n")  # error message quotes the file
    return d


# every format of both commands; scan to stdout, check to a report file, plus one of each other way
CASES = ([("scan", fmt, False) for fmt in sorted(FORMATS)] + [("check", fmt, True) for fmt in sorted(FORMATS)]
         + [("scan", "json", True), ("check", "text", False)])


@pytest.mark.parametrize("command, fmt, to_file", CASES)
def test_no_output_leaks(cli, reuse_tool_results, laden, tmp_path, fmt, command, to_file):
    if command == "scan":
        args = ["scan", laden]
    else:
        args = ["check", MINI_CHART, "-f", laden / "values.yaml",
                "--set", f"extraEnv[0].name=T,extraEnv[0].value={FAKE_ACCESS}",
                "--set-string", f"remoteControl.mode={FAKE_REFRESH}"]
    out_file = tmp_path / "report"
    extra = ["--output", out_file] if to_file else []
    r = cli(*mini(*args, "--format", fmt, *extra))
    assert r.code in (1, 2), r.err
    everything = r.out + r.err + (out_file.read_text() if to_file else "")
    if command == "check":  # the --set arguments are quoted as the origin of findings
        assert "[REDACTED" in everything
    assert not leaked(everything), leaked(everything)


def test_error_paths_redacted(cli, tmp_path):
    # a --set that Helm's parser refuses: the message quotes the argument
    r = cli(*mini("check", MINI_CHART, "--set", f"a[{FAKE_ACCESS}]=1"))
    assert r.code == 2 and "sk-ant-oat01-" in r.err and not leaked(r.err)
    # argparse's own usage error quotes the bad argument too
    r = cli("scan", "--format", FAKE_ACCESS, tmp_path)
    assert r.code == 2 and not leaked(r.err)


def test_internal_error_traceback_redacted(cli, monkeypatch, tmp_path):
    from aifactory_policy.commands import scan

    def boom(*a, **k):
        raise RuntimeError(f"unexpected with {FAKE_ACCESS}")
    monkeypatch.setattr(scan, "run", boom)
    r = cli("scan", tmp_path)
    assert r.code == 2 and "internal error" in r.err and not leaked(r.err)


@pytest.mark.parametrize("fmt", ["text", "sarif"])
def test_real_policies_never_echo_credentials(cli, laden, fmt):
    r = cli("scan", laden, "--format", fmt)
    assert r.code in (1, 2), r.err
    assert "AIF001" in r.out
    assert not leaked(r.out + r.err)
