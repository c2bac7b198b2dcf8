"""The package's layering (issue 23): no import circle, no import running back up a layer, no
signature wider than ci/import_graph.py's MAX_PARAMS; and the CLI's one path: every command's run
returns a Report, which cli.py filters, hands to the command's deliver, writes and turns into the
exit code."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from aifactory_policy import cli as cli_module
from aifactory_policy.commands import audit as audit_command
from aifactory_policy.findings import Finding, Report

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "ci" / "import_graph.py"


def _graph():
    spec = importlib.util.spec_from_file_location("import_graph", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_package_has_no_circle_no_upward_import_and_no_wide_signature():
    res = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "import circles: 0" in res.stdout and "upward imports: 0" in res.stdout
    assert "OPA drivers: 1 (aifactory_policy.opa)" in res.stdout


def test_a_second_opa_driver_is_found(tmp_path, monkeypatch):
    """One engine: a command that starts `opa eval` itself (imports the runner) is a second driver."""
    g = _graph()
    pkg = tmp_path / "src" / g.PACKAGE
    (pkg / "commands").mkdir(parents=True)
    for name in ("__init__.py", "commands/__init__.py", "opa_eval.py"):
        (pkg / name).write_text("")
    (pkg / "opa.py").write_text("from .opa_eval import eval_query\n")
    (pkg / "commands" / "scan_image.py").write_text("def run():\n    from ..opa_eval import eval_query\n")
    monkeypatch.setattr(g, "SRC", tmp_path / "src")
    assert g.measure()["drivers"] == ["commands.scan_image", "opa"]


def test_the_graph_sees_function_local_imports_and_reports_a_circle_and_an_upward_import(tmp_path, monkeypatch):
    """The measure itself can fail: a circle hidden in a function and an import of the CLI from
    a leaf are both found."""
    g = _graph()
    pkg = tmp_path / "src" / g.PACKAGE
    (pkg / "commands").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "commands" / "__init__.py").write_text("")
    (pkg / "cli.py").write_text("from .commands import check\n")
    (pkg / "commands" / "check.py").write_text("def run(a, b, c):\n    from ..tools import x\n")
    (pkg / "tools.py").write_text("def x(self, *args, **kw):\n    from .cli import main\n")
    (pkg / "values.py").write_text("from . import strvals\n")
    (pkg / "strvals.py").write_text("def f():\n    from .values import merge\n")
    monkeypatch.setattr(g, "SRC", tmp_path / "src")
    m = g.measure()
    assert m["cycles"] == [["cli", "commands.check", "tools"], ["strvals", "values"]]
    assert [(u["module"], u["imports"]) for u in m["upward"]] == [("tools", "cli")]
    assert m["widest"] == {"module": "commands.check", "function": "run", "params": 3}
    assert m["widths"]["tools"] == {"function": "x", "params": 2}   # self is not counted


def test_rules_returns_a_report_written_as_is_and_an_unknown_id_is_exit_2(cli):
    from aifactory_policy.commands import rules
    args = cli_module.build_parser("rules").parse_args(["rules", "list"])
    report = rules.run(args)
    assert isinstance(report, Report) and report.text == rules.list_text()
    r = cli("rules", "list")
    assert r.code == 0 and r.out == rules.list_text()
    r = cli("rules", "explain", "AIF999")
    assert r.code == 2 and r.out == "" and "unknown rule 'AIF999'" in r.err


class _Published(list):
    pass


@pytest.fixture
def audited(monkeypatch):
    """The audit's collection replaced by a fixed Report (an error and a warning), and the API
    client and publish() by recorders: what is under test is cli.py's order of steps."""
    published = _Published()

    def fake_audit(request):
        assert request.for_reports is True
        return Report(command="audit", details={"audited_at": "2025-06-30T12:00:00Z"}, findings=[
            Finding(rule="AIF201", severity="error", message="shared", resource="Secret/a/creds"),
            Finding(rule="AIF208", severity="warning", message="scope", resource="Secret/a/creds")])

    class FakeSource:
        def __init__(self, kubeconfig, context):
            self._api = object()

    def fake_publish(api, objects, namespaces, errors):
        published.extend(objects)
        return ["published"]

    monkeypatch.setattr(audit_command, "audit", fake_audit)
    monkeypatch.setattr(audit_command, "LiveSource", FakeSource)
    monkeypatch.setattr("aifactory_policy.audit.publish.publish", fake_publish)
    return published


def test_publish_gets_the_filtered_findings_exits_0_and_the_report_is_still_written(cli, audited):
    r = cli("audit", "--publish", "--skip", "AIF208")
    assert r.code == 0, r.err
    policies = [res["policy"] for obj in audited for res in obj["results"]]
    assert policies == ["AIF201"]                        # --skip applied before publishing
    assert "AIF201  shared" in r.out and "AIF208  scope" not in r.out   # the text report, as without --publish
    assert "FAILED" in r.out.splitlines()[-1]            # the report says what it found; the exit is 0


def test_the_policyreport_format_is_in_the_registry_and_only_audit_takes_it(cli, audited, tmp_path):
    from aifactory_policy.reporters import FORMATS, REGISTRY, formats_for
    assert "policyreport" in REGISTRY and "policyreport" not in FORMATS
    assert formats_for("audit") == sorted([*FORMATS, "policyreport"]) and formats_for("scan") == sorted(FORMATS)
    out = tmp_path / "reports.json"
    r = cli("audit", "--format", "policyreport", "--output", out)
    assert r.code == 1 and audited == []   # not published; the error finding fails the run
    assert r.out == f"PolicyReports of 2 finding(s) (report: {out})\n"
    assert '"kind": "List"' in out.read_text()
