"""Undo what a journal records, newest first, journaling the undo itself.

``done`` entries are undone, each in its account through the role the
change was made with; a failure stops only that account's older entries.
An entry with no completion (the run died between the journal line and
the end of the call) is reported as "unknown state: verify" and so is a
``failed`` one (a multi-call change may have half-happened); for both the
action describes the resource and puts back only what differs from
``before``, which is what every ``undo`` does anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from . import aws
from .base import Context, load_actions
from .journal import Entry, Journal, JournalError


@dataclass
class Outcome:
    entry: Entry
    status: str  # restored | unchanged | failed | not run
    note: str = ""  # what was found before acting (e.g. unknown state)
    detail: str = ""

    def public(self) -> dict:
        r = self.entry.record
        out = {"id": self.entry.id, "action": r["action"], "resource": r["name"], "account": r["account"],
               "region": r["region"], "journal_status": self.entry.status, "status": self.status,
               "note": self.note, "detail": self.detail}
        if r.get("role_arn"):
            out["role_arn"] = r["role_arn"]
        return out


def pending_note(e: Entry) -> str:
    if e.status == "done":
        return ""
    if e.status == "pending":
        return "unknown state: verify (the run stopped before this change completed)"
    return f"failed when applied ({e.error or 'no detail'}): verify"


def restore(entries: list[Entry], ctx: Context, journal: Journal, *, continue_on_error: bool = False,
            progress: Optional[Callable[[Outcome], None]] = None) -> list[Outcome]:
    actions = load_actions()
    for e in entries:
        if e.record.get("kind") == "restore":
            raise JournalError(f"{e.id}: this is a restore journal; restore undoes remediation journals")
        if e.record["action"] not in actions:
            raise JournalError(f"{e.id}: unknown action {e.record['action']!r}")
    out: list[Outcome] = []
    stopped: set[str] = set()  # accounts where an undo failed: their older entries wait; other accounts go on
    for e in sorted(entries, key=lambda x: (x.record.get("run_id", ""), x.seq), reverse=True):
        o = Outcome(e, "not run", pending_note(e))
        out.append(o)
        if e.record["account"] in stopped:
            continue
        act = actions[e.record["action"]]()
        change = e.change()
        ctx.current_action = act.name
        undo = change.model_copy(update={"after": change.before, "why": f"restore {e.id}: {change.why}"})
        entry_id = None
        try:
            current = act.snapshot(ctx, change)
            undo = undo.model_copy(update={"before": current})
            entry_id = journal.begin(undo, current, undoes=e.id, source_status=e.status,
                                     role_arn=ctx.clients.role_of(change.account))
            o.detail = act.undo(ctx, change)
        except Exception as ex:  # noqa: BLE001 - recorded; the run stops unless asked to go on
            o.status, o.detail = "failed", aws.describe_error(ex)
            if entry_id:
                journal.end(entry_id, "failed", o.detail)
            if not continue_on_error:
                stopped.add(e.record["account"])
        else:
            journal.end(entry_id, "done")
            o.status = "unchanged" if o.detail == "already as before" else "restored"
        if progress:
            progress(o)
    ctx.current_action = None
    return out
