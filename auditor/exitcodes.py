"""Named exit codes, and the one place that maps outcomes and errors to them."""

from __future__ import annotations

from enum import IntEnum
from typing import Iterable


class Exit(IntEnum):
    OK = 0  # nothing at or above the --fail-on threshold
    FINDINGS = 1  # findings at or above it (invalid input files count: they are error findings)
    USAGE = 2  # bad command line or configuration
    INTERNAL = 3  # a bug in sm-audit


from .vocabulary import LEVEL_RANK


def for_findings(findings: Iterable, fail_on: str) -> Exit:
    """Unsuppressed fail/error findings at or above ``fail_on``; unknown
    results never fail the gate (they are reported, not hidden)."""
    if fail_on == "never":
        return Exit.OK
    threshold = LEVEL_RANK[fail_on]
    for f in findings:
        if f.suppression is None and f.outcome in ("fail", "error") and LEVEL_RANK[f.level] >= threshold:
            return Exit.FINDINGS
    return Exit.OK


def for_exception(exc: BaseException) -> Exit:
    from .config import ConfigError
    from .credentials import message

    if isinstance(exc, ConfigError) or message(exc) is not None:
        return Exit.USAGE
    return Exit.INTERNAL
