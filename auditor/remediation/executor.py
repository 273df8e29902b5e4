"""Carrying out a plan: the ONE place that decides dry-run.

For each change, when the run applies: re-describe the resource and skip it
if it no longer matches the plan's ``before``; re-check the action's
protections; write the journal line (on disk before the call); call the
action; complete the journal line. A failing call stops the run in that
account (other accounts go on), or with ``continue_on_error`` only that change.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Optional

from . import aws
from .base import Change, Context, load_actions
from .journal import Journal
from .planner import Plan

CHANGED = "skipped: changed since plan"
NOT_RUN = "not run: the run stopped at an earlier failure"
NOT_RUN_IN = "not run: an earlier change in account {account} failed"


def _norm(d: Any) -> Any:
    """Compare describe results as JSON (datetimes, int/float weights)."""
    return json.loads(json.dumps(d, sort_keys=True, default=str), parse_float=float, parse_int=float)


def preview(plan: Plan) -> Plan:
    """Each change's status as a run would leave it before acting: what the
    question shows is what runs (plan-only changes say so)."""
    for c in plan.changes:
        c.status = f"skipped: {c.plan_only}" if c.plan_only else "planned"
    return plan


def execute(plan: Plan, ctx: Context, *, apply: bool, journal: Optional[Journal] = None,
            continue_on_error: bool = False, progress: Optional[Callable[[Change], None]] = None) -> Plan:
    actions = load_actions()
    if not apply:
        return preview(plan)
    if journal is None:
        raise ValueError("applying a plan needs a journal")
    plan.applied = True
    plan.journal = str(journal.path)
    several = len({c.account for c in plan.changes}) > 1
    stopped: set[str] = set()  # accounts where a change failed
    for c in plan.changes:
        if c.account in stopped:
            c.status = NOT_RUN_IN.format(account=c.account) if several else NOT_RUN
            continue
        if c.plan_only:
            c.status = f"skipped: {c.plan_only}"
            continue
        act = actions[c.action]()
        ctx.current_action = c.action
        try:
            current = act.snapshot(ctx, c)
            if _norm(current) != _norm(c.before):
                c.status = CHANGED
            else:
                reason = act.precheck(ctx, c, current)
                if reason:
                    c.status = f"skipped: {reason}"
        except Exception as e:  # noqa: BLE001 - a describe failure is a failed change
            c.status, c.error = "failed", aws.describe_error(e)
            if not continue_on_error:
                stopped.add(c.account)
            _report(progress, c)
            continue
        if c.status != "planned":
            _report(progress, c)
            continue
        entry = journal.begin(c, current, role_arn=ctx.clients.role_of(c.account))
        try:
            act.apply(ctx, c, current)
        except Exception as e:  # noqa: BLE001 - recorded, then the run stops (or goes on)
            c.status, c.error = "failed", aws.describe_error(e)
            journal.end(entry, "failed", c.error)
            if not continue_on_error:
                stopped.add(c.account)
        else:
            journal.end(entry, "done")
            c.status = "done"
        _report(progress, c)
    ctx.current_action = None
    return plan


def _report(progress: Optional[Callable[[Change], None]], c: Change) -> None:
    if progress is not None:
        progress(c)
