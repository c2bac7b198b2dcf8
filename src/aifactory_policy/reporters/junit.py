"""JUnit XML: one testcase per rule x file (failures for error findings) for CI dashboards."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict

from ..findings import Report
from ..rules import RULES, title_of


def render(report: Report) -> str:
    by_case: dict[tuple, list] = defaultdict(list)
    files = list(dict.fromkeys(report.inputs + [f.file or "(no file)" for f in report.findings]))
    for f in report.findings:
        by_case[(f.file or "(no file)", f.rule)].append(f)
    rules = sorted(set(RULES) | {f.rule for f in report.findings})
    suite_name = f"aifactory-policy {report.command}".strip()
    root = ET.Element("testsuites", name="aifactory-policy")
    suite = ET.SubElement(root, "testsuite", name=suite_name)
    tests = failures = errors = 0
    for file in files:
        for rule in rules:
            tests += 1
            case = ET.SubElement(suite, "testcase", classname=file, name=f"{rule} {title_of(rule)}")
            found = by_case.get((file, rule), [])
            errs = [f for f in found if f.severity == "error"]
            if errs:
                failures += 1
                body = "\n".join(f"{f.file or ''}:{f.line or ''} {f.path or ''} {f.message}".strip() for f in errs)
                fail = ET.SubElement(case, "failure", message=errs[0].message, type=rule)
                fail.text = body
            others = [f for f in found if f.severity != "error"]
            if others:
                out = ET.SubElement(case, "system-out")
                out.text = "\n".join(f"{f.severity}: {f.message}" for f in others)
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
    suite.set("skipped", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
