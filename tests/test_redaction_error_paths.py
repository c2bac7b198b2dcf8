"""No credential in error paths: Helm's and argparse's messages quoting arguments, and an internal
error's traceback. (Every command x every format on laden inputs: tests/test_redaction_every_command.py.)"""
from fake_credentials import FAKE_ACCESS, leaked
from helpers import MINI_CHART, mini


def test_error_paths_redacted(cli, tmp_path):
    # a --set that Helm's parser refuses: the message names the flag and the position, not the argument
    r = cli(*mini("check", MINI_CHART, "--set", f"a[{FAKE_ACCESS}]=1"))
    assert r.code == 2 and "--set: a list index" in r.err and "sk-ant-" not in r.err and not leaked(r.err)
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
