"""Reporters turn a Report into text; every one of them is passed through redact by the writer.

The registry holds every format, each a module with render(report) -> str and, optionally,
summary(report) -> str (the line stdout shows when the report goes to --output; the text format's
last line otherwise). FORMATS are the formats every reporting command takes; a command may add
its own from ONLY_FOR (audit: policyreport, whose objects need the audit's uids and time).
write() is the one place a Report becomes output.

Each reporter module is imported when its format is written, not when the CLI starts: the four
together took ~20 ms of every run's start-up, ahead of Helm and OPA (issue 17)."""
from __future__ import annotations

import dataclasses
import importlib
import sys
from collections.abc import Mapping
from typing import Callable, Iterator, Optional

from ..findings import Report
from ..output import display, warn, write_report

_MODULES = {"text": "text", "json": "json", "sarif": "sarif", "junit": "junit", "policyreport": "policyreport"}
COMMON = ("text", "json", "sarif", "junit")
ONLY_FOR = {"policyreport": "audit"}   # format -> the one command that takes it


def _module(name: str):
    return importlib.import_module(f"{__name__}.{_MODULES[name]}")


class _Formats(Mapping):
    """format name -> render(report) -> str, each module loaded on first use."""

    def __init__(self, names: tuple[str, ...]):
        self._names = names

    def __getitem__(self, name: str) -> Callable[[Report], str]:
        if name not in self._names:
            raise KeyError(name)
        return _module(name).render

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


FORMATS: Mapping[str, Callable[[Report], str]] = _Formats(COMMON)
REGISTRY: Mapping[str, Callable[[Report], str]] = _Formats(tuple(_MODULES))


def formats_for(command: str) -> list[str]:
    """The --format choices of `command`: the common ones and its own."""
    return sorted({*COMMON, *(f for f, only in ONLY_FOR.items() if only == command)})


def summary_line(report: Report, fmt: str) -> str:
    """The one line stdout shows when the report is written to a file, so a CI log shows the outcome."""
    own = getattr(_module(fmt), "summary", None)
    if own is not None:
        return own(report)
    return _module("text").render(dataclasses.replace(report, body=None)).rstrip("\n").splitlines()[-1]


def write(report: Report, fmt: str = "text", output: Optional[str] = None) -> None:
    """The report in `fmt` on stdout or in `output`; its failures on stderr. A command whose output
    is not a report of findings (`rules`) gives it whole in report.text: written as is."""
    if report.text is not None:
        write_report(report.text, output)
        return
    write_report(REGISTRY[fmt](report), output)
    if output:
        sys.stdout.write(display(summary_line(report, fmt) + f" (report: {output})\n"))
    for failure in report.failures:
        warn(f"error: {failure}")
