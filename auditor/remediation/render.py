"""Text rendering of plans and restore outcomes: before -> after for every
changed property, and why."""

from __future__ import annotations

import json
from typing import Any, Iterable

from .base import Change
from .planner import Plan
from .restore import Outcome

NAME_KEYS = ("VariantName", "PolicyName", "Key", "Name", "ResourceId")
MISSING = "(none)"


def flatten(v: Any, prefix: str = "") -> dict[str, Any]:
    """{"a.b[name].c": leaf}; list items are keyed by their name when they have one."""
    out: dict[str, Any] = {}
    if isinstance(v, dict):
        if not v and prefix:
            out[prefix] = {}
        for k in sorted(v):
            out.update(flatten(v[k], f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(v, list) and v and all(isinstance(i, dict) for i in v):
        for i, item in enumerate(v):
            key = next((str(item[k]) for k in NAME_KEYS if k in item), str(i))
            rest = {k: x for k, x in item.items() if str(x) != key}
            out.update(flatten(rest, f"{prefix}[{key}]") or {f"{prefix}[{key}]": item})
    else:
        out[prefix] = v
    return out


def _fmt(v: Any) -> str:
    if v is None:
        return MISSING
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (dict, list)):
        return json.dumps(v, sort_keys=True)
    return str(v)


def _segments(k: str) -> list[str]:
    """Prefixes of a flattened key at '.' and '[' boundaries, shortest first."""
    out = []
    for i, ch in enumerate(k):
        if ch in ".[" and i:
            out.append(k[:i])
    return out + [k]


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Changed properties only (a property ``after`` does not mention is left
    as it is); a structure that is new is shown once, as a whole."""
    b, a = flatten(before), flatten(after)
    rows: list[tuple[str, str, str]] = []
    groups: dict[str, dict[str, Any]] = {}
    for k in sorted(a):
        if b.get(k) == a[k] and k in b:
            continue
        if k not in b:
            new = next((p for p in _segments(k) if not any(x == p or x.startswith(p + ".") or
                                                          x.startswith(p + "[") for x in b)), None)
            parent = next((p for p in _segments(k) if p in b and b[p] in (None, [], {})), None)
            root = new if new and new != k else parent
            if root and root != k:
                groups.setdefault(root, {})[k[len(root):].lstrip(".")] = a[k]
                continue
        rows.append((k, _fmt(b.get(k)), _fmt(a[k])))
    for root, items in groups.items():
        rows.append((root, _fmt(b.get(root)), ", ".join(f"{k}={_fmt(v)}" for k, v in sorted(items.items()))))
    return sorted(rows)


def change_lines(i: int, c: Change) -> list[str]:
    lines = [f"[{i}] {c.action}  {c.name}  ({c.account} {c.region})  {c.status}"]
    lines.append(f"    why: {c.why}")
    for k, b, a in diff(c.before, c.after):
        lines.append(f"    {k}: {b} -> {a}")
    if c.error:
        lines.append(f"    error: {c.error}")
    return lines


def plan_text(plan: Plan, findings: int = 0, pending: bool = False) -> str:
    head = "Remediation plan" if not plan.applied else "Remediation run"
    mode = ("applied" if plan.applied else "to be applied" if pending
            else "dry run: nothing was changed; --apply to carry it out")
    out = [f"{head} {plan.run_id} ({mode})"]
    if findings:
        out.append(f"from {findings} live finding(s) with a remediation")
    if not plan.changes:
        out.append("No changes: everything the actions can fix already matches the policy.")
    for i, c in enumerate(plan.changes, 1):
        out += change_lines(i, c)
    if plan.skipped:
        out.append("Not touched:")
        for s in plan.skipped:
            where = " ".join(x for x in (s.account, s.region) if x)  # an account-wide skip has no region
            out.append(f"  - {s.action}  {s.name}  ({where}): {s.reason}")
    if plan.journal:
        out.append(f"Journal: {plan.journal}  (undo with: sm-audit restore --journal {plan.journal})")
    counts: dict[str, int] = {}
    for c in plan.changes:
        counts[c.status.split(":")[0]] = counts.get(c.status.split(":")[0], 0) + 1
    if counts:
        out.append("Summary: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
    return _lines(out)


def preview_text(plan: Plan) -> str:
    """The plan as it will run, shown before the question."""
    text = plan_text(plan, pending=True)
    shown = [c for c in plan.changes if c.plan_only]
    if shown:
        text += (f"{len(plan.actionable)} change(s) will be applied; {len(shown)} shown above as "
                 "'skipped: plan only' will not run.\n")
    return text


def restore_text(outcomes: Iterable[Outcome], journal: str) -> str:
    out = [f"Restore (journal of this run: {journal})"]
    for o in outcomes:
        r = o.entry.record
        out.append(f"[{o.entry.id}] {r['action']}  {r['name']}  ({r['account']} {r['region']})  {o.status}")
        if o.note:
            out.append(f"    {o.note}")
        if o.detail:
            out.append(f"    {o.detail}")
    return _lines(out)


def _lines(out: list[str]) -> str:
    """Names and values from the account reach a terminal: no control characters of theirs."""
    from reports.visible import visible

    return "".join(visible(line) + "\n" for line in out)
