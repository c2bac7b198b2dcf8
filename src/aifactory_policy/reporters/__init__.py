"""Reporters turn a Report into text; every one of them is passed through redact by the writer.

Each reporter module is imported when its format is written, not when the CLI starts: the four
together took ~20 ms of every run's start-up, ahead of Helm and OPA (issue 17)."""
from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Callable, Iterator

from ..findings import Report

_MODULES = {"text": "text", "json": "json", "sarif": "sarif", "junit": "junit"}


class _Formats(Mapping):
    """format name -> render(report) -> str, each module loaded on first use."""

    def __getitem__(self, name: str) -> Callable[[Report], str]:
        return importlib.import_module(f"{__name__}.{_MODULES[name]}").render

    def __iter__(self) -> Iterator[str]:
        return iter(_MODULES)

    def __len__(self) -> int:
        return len(_MODULES)


FORMATS: Mapping[str, Callable[[Report], str]] = _Formats()
