"""Markdown summary for a pull-request comment or ``$GITHUB_STEP_SUMMARY``.

GitHub renders HTML inside Markdown, so every value from a template, tag or
account is escaped (HTML special characters as entities, Markdown table and
emphasis characters with backslashes). The output stays under GitHub's
comment limit (65,536 characters): the findings list is cut with a count of
what was left out.
"""

from __future__ import annotations

from typing import Any, Optional

from auditor.models.findings import Finding, ResultDocument
from auditor.vocabulary import LEVEL_RANK

from . import summary as S
from .visible import visible, visible_all

LIMIT = 60_000  # GitHub: 65,536 characters per comment; keep room for the tail
ICON = {"error": "🔴", "warning": "🟠", "note": "🔵", "unknown": "⚪"}
_MD = str.maketrans({c: "\\" + c for c in "\\`*_[]|#~>!"} | {"<": "&lt;", ">": "&gt;", "&": "&amp;",
                                                             "\n": " ", "\r": " "})


def esc(s: Any) -> str:
    """Text for a Markdown table cell or paragraph: no HTML, no formatting."""
    return visible(str(s)).translate(_MD)


def code(s: Any) -> str:
    """An inline code span that cannot be broken out of (backticks and pipes)."""
    text = visible(str(s)).replace("|", "¦")  # line breaks are escaped: a cell is one line
    fence = "`"
    while fence in text:
        fence += "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _kind(f: Finding) -> str:
    return "unknown" if f.outcome == "unknown" else f.level


def _finding_row(f: Finding) -> str:
    res = esc(f.resource.id) if f.resource else "—"
    return (f"| {ICON.get(_kind(f), '')} {_kind(f)} | {f.rule} | {res} | {code(f.location.short())} | "
            f"{esc(f.message)} |")


def render(doc: ResultDocument, fail_on: Optional[str] = None, baseline: Any = None,
           title: Optional[str] = None, limit: int = LIMIT, **_options) -> str:
    fail_on = fail_on or doc.run.fail_on or "error"
    doc, baseline = visible_all(doc), visible_all(baseline)  # values from templates: no control characters
    gate = S.gated(doc.findings, fail_on)
    counts = S.finding_counts(doc.findings)
    rows = S.rows(doc)
    run = doc.run
    head = [f"## {esc(title or 'sm-audit ' + run.command)}", ""]
    verdict = (f"❌ **Failed**: {len(gate)} unsuppressed finding(s) at or above `{fail_on}`" if gate
               else f"✅ **Passed**: nothing unsuppressed at or above `{fail_on}`")
    pv = S.plan_verdict(doc)
    if pv is not None:  # remediate: the verdict of the plan, as its exit code says
        verdict = ("❌ **" if pv[0] == "fail" else "✅ **") + esc(pv[1]).replace(": ", "**: ", 1)
    head.append(verdict + (" (new findings only)" if baseline is not None else ""))
    head.append("")
    scope = []
    if run.files_scanned:
        scope.append(f"{run.files_scanned} file(s)")
    if run.files_skipped:
        scope.append(f"{run.files_skipped} skipped (not templates)")
    scope.append(f"{run.resources} resource(s)")
    if run.accounts:
        scope.append("accounts " + ", ".join(esc(a) for a in run.accounts))
    if run.regions:
        scope.append("regions " + ", ".join(esc(r) for r in run.regions))
    head.append(" · ".join(scope))
    head.append("")
    if baseline is not None:
        head += [f"Compared with {', '.join(code(s) for s in baseline.sources)}: **{len(baseline.new)}** new, "
                 f"{baseline.unchanged} unchanged, **{len(baseline.fixed)}** fixed.", ""]
    head += ["| Errors | Warnings | Notes | Unknown | Suppressed | Passed checks |",
             "|---:|---:|---:|---:|---:|---:|",
             f"| {counts.get('error', 0)} | {counts.get('warning', 0)} | {counts.get('note', 0)} | "
             f"{counts.get('unknown', 0)} | {counts.get('suppressed', 0)} | "
             f"{sum(1 for r in rows if r.outcome == 'pass')} |", ""]
    by_rule = S.tally(rows, lambda r: r.rule)
    titles = {r.id: r for r in doc.rules}
    if by_rule:
        head += ["<details><summary>Checks by rule</summary>", "",
                 "| Rule | Title | fail | error | unknown | suppressed | pass |", "|---|---|---:|---:|---:|---:|---:|"]
        for rid, c in by_rule.items():
            info = titles.get(rid)
            name = f"[{rid}]({info.help_uri})" if info and info.help_uri.startswith("https://") else rid
            head.append(f"| {name} | {esc(info.title) if info else ''} | {c['fail']} | {c['error']} | "
                        f"{c['unknown']} | {c['suppressed']} | {c['pass']} |")
        head += ["", "</details>", ""]

    active = sorted((f for f in doc.findings if not f.suppression),
                    key=lambda f: (-LEVEL_RANK.get(_kind(f), 0), f.sort_key()))
    # sections: (lines before the rows, rows, lines after); rows are cut to fit the limit
    sections: list[tuple[list[str], list[str], list[str], str]] = []
    if active:
        sections.append((["### Findings" + (" (new)" if baseline is not None else ""), "",
                          "| Severity | Rule | Resource | Location | Finding |", "|---|---|---|---|---|"],
                         [_finding_row(f) for f in active], [""], "finding(s)"))
    suppressed = [f for f in doc.findings if f.suppression]
    if suppressed:
        sections.append(([f"<details><summary>{len(suppressed)} suppressed finding(s)</summary>", "",
                          "| Rule | Resource | Kind | Justification | Expires |", "|---|---|---|---|---|"],
                         [f"| {f.rule} | {esc(f.resource.id) if f.resource else '—'} | {f.suppression.kind} | "
                          f"{esc(f.suppression.reason or '(none given)')} | {esc(f.suppression.expires or '—')} |"
                          for f in suppressed], ["", "</details>", ""], "suppressed finding(s)"))
    if doc.gaps:
        sections.append(([f"**{len(doc.gaps)} coverage gap(s)**: results that needed this data are unknown.", "",
                          "| Account | Region | Call | Error | Message |", "|---|---|---|---|---|"],
                         [f"| {esc(g.account or '—')} | {esc(g.region or '—')} | "
                          f"{code(g.service + ':' + g.operation)} | {esc(g.error or '—')} | {esc(g.message)} |"
                          for g in doc.gaps], [""], "gap(s)"))
    changes = [c for c in (doc.plan or {}).get("changes") or [] if isinstance(c, dict)]
    if changes:
        rows_ = []
        for c in changes:
            ba = _before_after(c.get("before"), c.get("after"))
            rows_.append(f"| {esc(c.get('action', ''))} | {esc(c.get('name') or c.get('resource', ''))} | "
                         f"{esc(c.get('account') or '—')} / {esc(c.get('region') or '—')} | {ba} | "
                         f"{esc(c.get('status', 'planned'))} |")
        plan_section = ([f"### Remediation plan ({len(changes)} change(s))", "",
                         "| Action | Resource | Account / region | Before → after | Status |",
                         "|---|---|---|---|---|"], rows_, [""], "change(s)")
        if pv is not None:
            sections.insert(0, plan_section)  # a remediate report leads with its plan
        else:
            sections.append(plan_section)
    if baseline is not None and baseline.fixed:
        sections.append(([f"<details><summary>{len(baseline.fixed)} fixed since the baseline</summary>", "",
                          "| Rule | Resource | Finding |", "|---|---|---|"],
                         [f"| {f.rule} | {esc(f.resource.id) if f.resource else '—'} | {esc(f.message)} |"
                          for f in baseline.fixed], ["", "</details>", ""], "fixed finding(s)"))
    footer = f"<sub>{esc(doc.tool.get('name', 'sm-audit'))} {esc(doc.tool.get('version', ''))}</sub>"

    def size(lines: list[str]) -> int:
        return sum(len(x) + 1 for x in lines)

    out = list(head)
    # room for every section's frame and cut note, so later sections always appear
    budget = limit - size(head) - len(footer) - 1 - sum(size(a) + size(c) + 80 for a, _, c, _ in sections)
    for before, rows_, after, what in sections:
        out += before
        for i, line in enumerate(rows_):
            if len(line) + 1 > budget:
                out += ["", f"… and {len(rows_) - i} more {what} not shown; see the full report."]
                budget = 0
                break
            out.append(line)
            budget -= len(line) + 1
        out += after
    out.append(footer)
    return "\n".join(out) + "\n"


def _before_after(before: Any, after: Any) -> str:
    """Changed settings only, for dicts: ``Key: `1` → `2` ``."""
    if isinstance(before, dict) and isinstance(after, dict):
        keys = [k for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)
                or (k in before) != (k in after)]
        parts = [f"{esc(k)}: {code(_short(before[k], 40)) if k in before else '(not present)'} → "
                 f"{code(_short(after[k], 40)) if k in after else '(not present)'}" for k in keys[:5]]
        if len(keys) > 5:
            parts.append(f"and {len(keys) - 5} more")
        return "; ".join(parts) or "no change"
    return f"{code(_short(before))} → {code(_short(after))}"


def _short(v: Any, n: int = 80) -> str:
    import json

    s = v if isinstance(v, str) else json.dumps(v, sort_keys=True, ensure_ascii=False, default=str)
    return s if len(s) <= n else s[: n - 1] + "…"

