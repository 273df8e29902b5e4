"""One self-contained HTML file for people: summary, chart, a filterable
and sortable findings table, per-finding detail from the rule's doc,
suppressed findings, coverage gaps and remediation plans.

Safety: every value from a template, a tag or an account goes through
Jinja2 autoescaping; nothing from the results is marked safe. The only
``Markup`` is our own CSS and JavaScript (files beside the template), and a
Content-Security-Policy allows exactly those two blocks (by hash) and no
network at all, so even a value that escaped escaping could not run or
load anything.
"""

from __future__ import annotations

import base64
import hashlib
import json
import textwrap
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from auditor.docs import with_doc
from auditor.models.findings import Finding, ResultDocument
from auditor.vocabulary import LEVEL_RANK, OUTCOMES

from auditor import fixes

from . import source, summary as S

TEMPLATES = Path(__file__).resolve().parent / "templates"
SEVERITY_COLORS = {"error": "#c62828", "warning": "#ef6c00", "note": "#1565c0", "unknown": "#757575"}
SERIES = ("error", "warning", "note", "unknown")
DEFAULT_OWNER_TAGS = ("owner", "team")  # .sm-audit.yaml report.owner_tags overrides
PAGE = 500  # findings rows shown before "Show all" (the same number is in report.js)


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["pretty"] = _pretty
    env.filters["blocks"] = blocks
    env.filters["sum_counter"] = lambda c: sum(c.values())
    return env


def _asset(name: str, closing: str) -> tuple[Markup, str]:
    text = (TEMPLATES / name).read_text(encoding="utf-8")
    if closing in text.lower():
        raise ValueError(f"{name} must not contain {closing}")
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()
    return Markup(text), f"'sha256-{digest}'"  # our own static asset, not data


def _pretty(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


def blocks(text: str) -> list[dict]:
    """A rule doc's Markdown as plain structure the template escapes: paragraphs
    and list items (with `code` spans) and fenced code blocks. No HTML is made
    here, so nothing needs marking safe."""
    out: list[dict] = []
    para: list[str] = []
    code: Optional[list[str]] = None

    def spans(s: str) -> list[tuple[bool, str]]:
        parts = s.split("`")
        if len(parts) % 2 == 0:  # unbalanced backticks: keep them as text
            return [(False, s)]
        return [(i % 2 == 1, p) for i, p in enumerate(parts) if p]

    def flush() -> None:
        if para:
            out.append({"kind": "p", "spans": spans(" ".join(para))})
            para.clear()

    for line in text.splitlines():
        stripped = line.strip()
        if code is not None:
            if stripped.startswith("```"):
                out.append({"kind": "pre", "text": textwrap.dedent("\n".join(code))})
                code = None
            else:
                code.append(line)
        elif stripped.startswith("```"):
            flush()
            code = []
        elif not stripped:
            flush()
        elif stripped[:2] in ("- ", "* "):
            flush()
            out.append({"kind": "li", "spans": spans(stripped[2:])})
        elif para == [] and out and out[-1]["kind"] == "li" and line.startswith("  "):
            out[-1]["spans"] = spans(_unspan(out[-1]["spans"]) + " " + stripped)
        else:
            para.append(stripped)
    if code is not None:
        out.append({"kind": "pre", "text": textwrap.dedent("\n".join(code))})
    flush()
    return out


def _unspan(spans: list[tuple[bool, str]]) -> str:
    return "".join(f"`{t}`" if c else t for c, t in spans)


def _kind(f: Finding) -> str:
    """Severity column: the level of a failure, or "unknown"."""
    return "unknown" if f.outcome == "unknown" else f.level


def _where(f: Finding) -> str:
    loc = f.location
    if loc.file:
        return loc.short()
    if loc.arn:
        return loc.arn
    return loc.short()


def _diff_rows(before: Any, after: Any) -> Optional[list[dict]]:
    if not (isinstance(before, dict) and isinstance(after, dict)):
        return None
    rows = []
    for k in sorted(set(before) | set(after)):
        b, a = before.get(k), after.get(k)
        rows.append({"key": k, "before": _pretty(b) if k in before else "(not present)",
                     "after": _pretty(a) if k in after else "(not present)",
                     "changed": b != a or (k in before) != (k in after)})
    return rows


def _chart(findings: list[Finding]) -> dict:
    """Stacked horizontal bars: active findings by rule and severity."""
    per: dict[str, Counter] = {}
    for f in findings:
        if f.suppression:
            continue
        per.setdefault(f.rule, Counter())[_kind(f)] += 1
    rules = sorted(per)
    top = max((sum(c.values()) for c in per.values()), default=0)
    label_w, bar_w, row_h = 70, 480, 24
    bars = []
    for i, rid in enumerate(rules):
        x = label_w
        segs = []
        for s in SERIES:
            n = per[rid][s]
            if not n:
                continue
            w = max(2.0, bar_w * n / top)
            segs.append({"x": round(x, 2), "w": round(w, 2), "n": n, "series": s, "color": SEVERITY_COLORS[s]})
            x += w
        bars.append({"rule": rid, "y": 8 + i * row_h, "segs": segs, "total": sum(per[rid].values()),
                     "end": round(x, 2)})
    return {"bars": bars, "width": label_w + bar_w + 60, "height": 16 + len(rules) * row_h + 28,
            "legend_y": 16 + len(rules) * row_h + 8, "label_w": label_w, "series": SERIES,
            "colors": SEVERITY_COLORS}


FINDING_COLUMNS = ("error", "warning", "note", "unknown", "suppressed")
OUTCOME_LABELS = {"pass": "pass", "fail": "fail", "unknown": "unknown", "error": "input error",
                  "suppressed": "suppressed"}


def _column(f: Finding) -> str:
    """The one column a finding counts in: its severity, unknown, or suppressed."""
    return "suppressed" if f.suppression else _kind(f)


def _fix(f: Finding, rule: Any) -> Optional[dict]:
    fix = fixes.suggest(f, rule.params if rule is not None else None, source.is_template(f.location.file))
    if fix is None:
        return None
    fmt = fixes.snippet_format(f)
    return {"title": fix.title, "format": fmt, "text": fixes.render(fix, fmt)}


def finding_table(findings: list[Finding], key) -> dict[str, Counter]:
    """Findings (not checks) per ``key(f)``, by column; every findings table and
    the chart are cut from the same findings with this one function."""
    t: dict[str, Counter] = {}
    for f in findings:
        k = key(f)
        if k is None:
            continue
        t.setdefault(k, Counter())[_column(f)] += 1
    return dict(sorted(t.items()))


def shown_columns(tables: list[dict[str, Counter]], columns: tuple) -> list[str]:
    """Columns with at least one non-zero cell (an outcome no finding has is noise)."""
    return [c for c in columns if any(cnt.get(c) for t in tables for cnt in t.values())]


def account_of(f: Finding) -> Optional[str]:
    if f.resource is not None and f.resource.account:
        return f.resource.account
    return f.location.account


def owner_of(f: Finding, keys: tuple) -> Optional[str]:
    """The first owner/team tag (``report.owner_tags``, any case) on the finding's resource."""
    tags = (f.resource.tags if f.resource is not None else None) or {}
    lower = {k.lower(): v for k, v in tags.items()}
    for k in keys:
        v = lower.get(k.lower())
        if v:
            return v
    return None


def context(doc: ResultDocument, baseline: Any = None, fail_on: Optional[str] = None,
            title: Optional[str] = None, owner_tags: Optional[list] = None) -> dict:
    fail_on = fail_on or doc.run.fail_on or "error"
    rules = {r.id: with_doc(r) for r in doc.rules}
    active = [f for f in doc.findings if not f.suppression]
    suppressed = [f for f in doc.findings if f.suppression]
    gate = S.gated(doc.findings, fail_on)
    plan = doc.plan or None
    changes = []
    if plan:
        for c in plan.get("changes") or []:
            if isinstance(c, dict):
                changes.append(dict(c, diff=_diff_rows(c.get("before"), c.get("after"))))
    findings = []
    for i, f in enumerate(sorted(active, key=lambda f: (-LEVEL_RANK.get(_kind(f), 0), f.sort_key()))):
        findings.append({"f": f, "n": i + 1, "kind": _kind(f), "where": _where(f),
                         "rank": LEVEL_RANK.get(_kind(f), 0), "rule": rules.get(f.rule),
                         "excerpt": source.excerpt(f.location.file, f.location.line),
                         "fix": _fix(f, rules.get(f.rule))})
    counts = S.finding_counts(doc.findings)
    live = doc.run.command not in ("scan",) and not doc.run.files_scanned
    keys = tuple(owner_tags or DEFAULT_OWNER_TAGS)
    by_rule = finding_table(doc.findings, lambda f: f.rule)
    by_group = finding_table(doc.findings, (lambda f: account_of(f) or "(no account)") if live
                             else (lambda f: f.location.file or "(run)"))
    by_owner = finding_table(doc.findings, lambda f: owner_of(f, keys))
    columns = shown_columns([by_rule], FINDING_COLUMNS) or ["error"]
    # checks (rule x resource) are a different unit: their own table, and not in the
    # baseline view, whose numbers are all about the new findings
    rows = [] if baseline is not None else S.rows(doc)
    check_table = S.tally(rows, lambda r: r.rule)
    check_columns = shown_columns([check_table], OUTCOMES)
    return {
        "title": title or f"sm-audit {doc.run.command} report",
        "doc": doc,
        "run": doc.run,
        "tool": doc.tool,
        "fail_on": fail_on,
        "gate": gate,
        "counts": counts,
        "total": len(doc.findings),
        "checks": len(rows),
        "passes": sum(1 for r in rows if r.outcome == "pass"),
        "findings": findings,
        "suppressed": suppressed,
        "columns": columns,
        "rule_table": by_rule,
        "group_table": by_group,
        "group_name": "Account" if live else "File",
        "owner_table": by_owner,
        "owner_keys": keys,
        "check_table": check_table,
        "check_columns": check_columns,
        "outcome_labels": OUTCOME_LABELS,
        "rules": rules,
        "chart": _chart(doc.findings),
        "gaps": doc.gaps,
        "plan": plan,
        "plan_verdict": S.plan_verdict(doc),
        "plan_first": S.plan_verdict(doc) is not None,  # a remediate report leads with its plan
        "plan_extra": {k: v for k, v in (plan or {}).items() if k not in ("changes", "skipped")},
        "changes": changes,
        "skipped": (plan or {}).get("skipped") or [],
        "baseline": baseline,
        "colors": SEVERITY_COLORS,
        "page": PAGE,
    }


def render(doc: ResultDocument, baseline: Any = None, fail_on: Optional[str] = None, title: Optional[str] = None,
           owner_tags: Optional[list] = None, **_options) -> str:
    css, css_hash = _asset("report.css", "</style")
    js, js_hash = _asset("report.js", "</script")
    csp = (f"default-src 'none'; style-src {css_hash}; script-src {js_hash}; img-src 'none'; "
           "base-uri 'none'; form-action 'none'")
    ctx = context(doc, baseline, fail_on, title, owner_tags)
    return _env().get_template("report.html.j2").render(css=css, js=js, csp=csp, **ctx)
