"""Outcomes of the credentials commands besides success (exit codes are a contract: cli.EXIT_CODES)."""
from __future__ import annotations

from ..findings import EXIT_FINDINGS, EvaluationError  # noqa: F401 - EvaluationError: exit 2

EXIT_REFUSED = EXIT_FINDINGS  # 1: the input was read and refused (validation, ownership, reuse)


class Refusal(Exception):
    """The credentials or the request were evaluated and refused (exit 1). Names what and the fix."""
