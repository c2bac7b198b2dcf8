"""Reporters turn a Report into text; every one of them is passed through redact by the writer."""
from __future__ import annotations

from typing import Callable

from ..findings import Report
from . import json as json_reporter
from . import junit, sarif, text

FORMATS: dict[str, Callable[[Report], str]] = {
    "text": text.render,
    "json": json_reporter.render,
    "sarif": sarif.render,
    "junit": junit.render,
}
