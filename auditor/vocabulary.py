"""The words every part of the tool shares: finding levels, outcomes, and
the order in which they rank (one definition; engine, exit codes, config,
CLI and reports all read it from here)."""

from __future__ import annotations

from typing import Literal

Level = Literal["error", "warning", "note"]
LEVELS: tuple[str, ...] = ("error", "warning", "note")  # most severe first
LEVEL_RANK = {"note": 1, "warning": 2, "error": 3}
FailOn = Literal["error", "warning", "note", "never"]
FAIL_ON: tuple[str, ...] = LEVELS + ("never",)  # --fail-on thresholds

# A finding's outcome (error: the input or a rule broke) ...
FindingOutcome = Literal["fail", "unknown", "error"]
# ... and an evaluation's (one rule over one resource)
EvaluationOutcome = Literal["pass", "fail", "unknown", "error", "suppressed"]
OUTCOMES: tuple[str, ...] = ("fail", "error", "unknown", "suppressed", "pass")  # how reports list them
# the worse of two outcomes on one rule and resource wins
OUTCOME_RANK = {"pass": 0, "suppressed": 1, "unknown": 2, "fail": 3, "error": 4}
