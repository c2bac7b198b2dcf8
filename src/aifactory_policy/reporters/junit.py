"""JUnit XML for CI dashboards (Jenkins, GitLab artifacts:reports:junit): one testcase per evaluated
rule x file, a failure for error findings, skipped when every finding of the case was waived.

Only the rules the command evaluated are listed (report.rules: the command's rules less --skip and
outside --rules); the document follows the Jenkins xUnit plugin's junit-10.xsd, which GitLab reads too
(tests/test_report_validators.py validates it)."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict

from ..findings import Report
from ..rules import RULES, title_of

NO_FILE = "(no file)"


def render(report: Report) -> str:
    by_case: dict[tuple, list] = defaultdict(list)
    waived: dict[tuple, list] = defaultdict(list)
    files = list(dict.fromkeys(report.inputs + [f.file or NO_FILE for f in report.findings + report.waived]))
    for f in report.findings:
        by_case[(f.file or NO_FILE, f.rule)].append(f)
    for f in report.waived:
        waived[(f.file or NO_FILE, f.rule)].append(f)
    evaluated = report.rules if report.rules is not None else sorted(RULES)
    rules = sorted(set(evaluated) | {f.rule for f in report.findings})
    suite_name = f"aifactory-policy {report.command}".strip()
    root = ET.Element("testsuites", name="aifactory-policy")
    suite = ET.SubElement(root, "testsuite", name=suite_name)
    tests = failures = errors = skipped = 0
    for file in files:
        for rule in rules:
            found = by_case.get((file, rule), [])
            excused = waived.get((file, rule), [])
            tests += 1
            case = ET.SubElement(suite, "testcase", classname=file, name=f"{rule} {title_of(rule)}")
            errs = [f for f in found if f.severity == "error"]
            if errs:
                failures += 1
                body = "\n".join(f"{f.file or ''}:{f.line or ''} {f.path or ''} {f.message}".strip() for f in errs)
                fail = ET.SubElement(case, "failure", message=errs[0].message, type=rule)
                fail.text = body
            elif excused and not found:
                skipped += 1
                ET.SubElement(case, "skipped", message=f"waived: {excused[0].waived_by}", type="waiver")
            others = [f for f in found if f.severity != "error"]
            lines = [f"{f.severity}: {f.message}" for f in others] + [f"waived: {f.message} ({f.waived_by})"
                                                                      for f in excused]
            if lines:
                out = ET.SubElement(case, "system-out")
                out.text = "\n".join(lines)
    for i, e in enumerate(report.failures):
        tests += 1
        errors += 1
        case = ET.SubElement(suite, "testcase", classname="evaluation", name=f"input {i + 1}")
        err = ET.SubElement(case, "error", message=e, type="EvaluationError")
        err.text = e
    for el in (root, suite):
        el.set("tests", str(tests))
        el.set("failures", str(failures))
        el.set("errors", str(errors))
    suite.set("skipped", str(skipped))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
