"""Findings over the finite choices of one template (see
``loaders/candidates.py``), merged into one verdict per finding:

* every candidate fails: fail, naming the candidates;
* no candidate fails or is unknown: pass (no finding);
* otherwise: unknown, naming the candidates that fail (or cannot be told),
  because which one is deployed decides it and the template does not say.

A finding is "the same" across candidates when rule, resource and property
path agree: its message may differ (an image URI from a region mapping), so
messages are grouped by candidate in the merged one.
"""

from __future__ import annotations

from typing import Any, Optional

from .models.findings import Evaluation, Finding

MAX_SHOWN = 3  # distinct messages quoted in one merged finding


def _key(f: Finding) -> tuple:
    return (f.rule, f.resource.key if f.resource else "", f.path, f.message if f.outcome == "error" else "")


def _relevant(subset: list[Any], everyone: list[Any]) -> list[int]:
    """The dimensions that set ``subset`` apart from the other candidates:
    changing one of them alone can leave the subset."""
    rows = {tuple(vals for _, vals in c.choices) for c in everyone}
    inside = {tuple(vals for _, vals in c.choices) for c in subset}
    n = len(everyone[0].choices)
    keep = [d for d in range(n)
            if any(r[:d] + (v,) + r[d + 1:] in rows and r[:d] + (v,) + r[d + 1:] not in inside
                   for r in inside for v in {x[d] for x in rows})]
    return keep or list(range(n))


def _names(subset: list[Any], everyone: list[Any], limit: int = 0) -> str:
    """The candidates of ``subset`` by the dimensions that matter:
    ``parameter Count is 1`` rather than every combination with Count 1;
    past ``limit`` values just their number."""
    labels = [label for label, _ in everyone[0].choices]
    keep = _relevant(subset, everyone)
    combos = list(dict.fromkeys(tuple(c.choices[d][1] for d in keep) for c in subset))
    if limit and len(combos) > limit:
        return f"the other {len(combos)} candidates"
    if len(keep) == 1:
        return f"{labels[keep[0]]} is " + " or ".join(v for (vals,) in combos for v in vals)
    return "; ".join(" and ".join(f"{labels[d]} is {' or '.join(vals)}" for d, vals in zip(keep, combo))
                     for combo in combos)


def _hint(subset: list[Any], everyone: list[Any]) -> str:
    flags = ["--region" if everyone[0].choices[d][0] == "AWS::Region"
             else f"--parameter {everyone[0].choices[d][0].split()[-1]}=..." for d in _relevant(subset, everyone)]
    return "the template leaves it open; " + " or ".join(flags) + " decides"


def _quote(groups: list[tuple[str, list[Any]]], everyone: list[Any]) -> str:
    """One message, or each message with the candidates it holds for."""
    if len(groups) == 1:
        return groups[0][0]
    shown = [f"when {_names(cands, everyone)}: {msg}" for msg, cands in groups[:MAX_SHOWN]]
    more = len(groups) - MAX_SHOWN
    return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")


def merge_candidates(runs: list[tuple[Any, list[Finding], list[Evaluation]]]
                     ) -> tuple[list[Finding], list[Evaluation]]:
    """``runs``: (candidate, findings, evaluations) of one condition scenario."""
    if len(runs) == 1:
        return runs[0][1], runs[0][2]
    everyone = [c for c, _, _ in runs]
    per: dict[tuple, dict[int, list[Finding]]] = {}
    for i, (_, fs, _) in enumerate(runs):
        for f in fs:
            per.setdefault(_key(f), {}).setdefault(i, []).append(f)
    out: list[Finding] = []
    for by_cand in per.values():
        out.append(_merge_one(by_cand, everyone))
    return out, _evaluations(runs)


def _merge_one(by_cand: dict[int, list[Finding]], everyone: list[Any]) -> Finding:
    first = by_cand[min(by_cand)][0]
    if first.outcome == "error":
        return first
    failing = [i for i, fs in by_cand.items() if any(f.outcome == "fail" for f in fs)]
    doubtful = [i for i in by_cand if i not in failing]
    groups: dict[str, list[Any]] = {}
    for i in sorted(by_cand):
        f = next((f for f in by_cand[i] if f.outcome == "fail"), by_cand[i][0])
        groups.setdefault(f.message, []).append(everyone[i])
    fail_groups = [(m, cs) for m, cs in groups.items() if any(everyone.index(c) in failing for c in cs)]
    if len(failing) == len(everyone):
        f = next(f for f in by_cand[min(failing)] if f.outcome == "fail")
        if len(fail_groups) > 1:  # the choice changes what fails, not whether: say so per candidate
            f.message = f"{_quote(fail_groups, everyone)} (every candidate fails)"
        return f
    if failing:
        f = next(f for f in by_cand[min(failing)] if f.outcome == "fail")
        rest = [c for i, c in enumerate(everyone) if i not in failing and i not in doubtful]
        f.outcome, f.level, f.remediation = "unknown", "note", None
        bad = [everyone[i] for i in sorted(failing)]
        said = f"fails only when {_names(bad, everyone)}"
        if doubtful:  # neither fails nor passes there
            said += f", cannot be told when {_names([everyone[i] for i in sorted(doubtful)], everyone, MAX_SHOWN)}"
        if rest:
            others = _names(rest, everyone, MAX_SHOWN)
            said += f", not for {others}" if others.startswith("the other ") else f", not when {others}"
        f.message = f"{said} ({_hint(bad, everyone)}): {_quote(fail_groups, everyone)}"
        return f
    # unknown in some or all candidates, failing in none
    f = by_cand[min(doubtful)][0]
    if len(groups) > 1:
        f.message = _quote(list(groups.items()), everyone)
    if len(by_cand) < len(everyone):
        f.message += f" (when {_names([everyone[i] for i in sorted(by_cand)], everyone)})"
    return f


def _evaluations(runs: list[tuple[Any, list[Finding], list[Evaluation]]]) -> list[Evaluation]:
    outcomes: dict[tuple, list[str]] = {}
    notes: dict[tuple, Optional[str]] = {}
    for _, _, es in runs:
        for e in es:
            outcomes.setdefault((e.rule, e.resource), []).append(e.outcome)
            notes[(e.rule, e.resource)] = notes.get((e.rule, e.resource)) or e.note
    return [Evaluation(rule=rule, resource=res, outcome=_overall(seen, len(runs)), note=notes.get((rule, res)))
            for (rule, res), seen in outcomes.items()]


def _overall(seen: list[str], n: int) -> str:
    if "error" in seen:
        return "error"
    if seen.count("fail") == n:
        return "fail"
    if "fail" in seen or "unknown" in seen:
        return "unknown"
    return seen[0] if seen else "pass"


def group_runs(runs: list[tuple[Optional[str], Any, list, list]]) -> list[tuple[Optional[str], list, list]]:
    """(scenario label, candidate, findings, evaluations) -> one run per
    condition scenario, its candidates merged."""
    by_label: dict[Optional[str], list] = {}
    for label, cand, fs, es in runs:
        by_label.setdefault(label, []).append((cand, fs, es))
    return [(label, *merge_candidates(group)) for label, group in by_label.items()]
