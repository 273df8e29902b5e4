"""What the human-facing reports count: one row per rule × resource (from
``doc.evaluations``, plus findings that have no evaluation, such as an
unreadable file), with its outcome, effective severity and group (file, or
account/region for live resources)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from auditor.models.findings import Finding, ResultDocument
from auditor.vocabulary import LEVEL_RANK, OUTCOME_RANK


@dataclass
class Row:
    rule: str
    resource: str  # resource key, or the file for file-level findings
    outcome: str
    level: str
    group: str
    label: str  # what people call the resource
    findings: list[Finding] = field(default_factory=list)


def group_of_key(key: str) -> str:
    """``file`` for template resources (key ``file#LogicalId``), ``account/region`` for ARNs."""
    if key.startswith("arn:"):
        parts = key.split(":")
        if len(parts) > 4:
            return f"{parts[4] or '-'}/{parts[3] or 'global'}"
    return key.split("#", 1)[0] if "#" in key else key


def group_of_finding(f: Finding) -> str:
    if f.resource is not None:
        if f.resource.file:
            return f.resource.file
        if f.resource.account or f.resource.region:
            return f"{f.resource.account or '-'}/{f.resource.region or 'global'}"
        return group_of_key(f.resource.key)
    loc = f.location
    if loc.file:
        return loc.file
    if loc.account or loc.region:
        return f"{loc.account or '-'}/{loc.region or 'global'}"
    return "(run)"


def label_of_key(key: str) -> str:
    if key.startswith("arn:"):
        return key.rsplit("/", 1)[-1] if "/" in key else key
    return key.split("#", 1)[1] if "#" in key else key


def finding_key(f: Finding) -> tuple[str, str]:
    if f.resource:
        return f.rule, f.resource.key
    loc = f.location
    where = loc.file or loc.arn
    if not where and (loc.account or loc.region):  # e.g. a region that could not be audited
        where = f"{loc.account or '-'}/{loc.region or 'global'}"
    return f.rule, where or "(run)"


def rows(doc: ResultDocument) -> list[Row]:
    levels = {r.id: r.level for r in doc.rules}
    by_key: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in doc.findings:
        by_key[finding_key(f)].append(f)
    out: dict[tuple[str, str], Row] = {}
    for e in doc.evaluations:
        fs = by_key.get((e.rule, e.resource), [])
        label = fs[0].resource.id if fs and fs[0].resource else label_of_key(e.resource)
        group = group_of_finding(fs[0]) if fs else group_of_key(e.resource)
        out[(e.rule, e.resource)] = Row(e.rule, e.resource, e.outcome, levels.get(e.rule, "warning"), group,
                                        label, fs)
    for k, fs in by_key.items():
        if k in out:
            continue
        active = [f for f in fs if not f.suppression]
        outcome = max((f.outcome for f in active), key=lambda o: OUTCOME_RANK[o]) if active else "suppressed"
        f0 = fs[0]
        out[k] = Row(k[0], k[1], outcome, levels.get(k[0], f0.level), group_of_finding(f0),
                     f0.resource.id if f0.resource else k[1], fs)
    for row in out.values():
        active = [f for f in row.findings if not f.suppression and f.outcome in ("fail", "error")]
        if active:
            row.level = max((f.level for f in active), key=lambda lv: LEVEL_RANK[lv])
    return sorted(out.values(), key=lambda r: (r.rule, r.group, r.resource))


def tally(rs: list[Row], by) -> dict[str, Counter]:
    t: dict[str, Counter] = defaultdict(Counter)
    for r in rs:
        t[by(r)][r.outcome] += 1
    return dict(sorted(t.items()))


def finding_counts(findings: list[Finding]) -> Counter:
    """Active findings by level (fail/error), plus unknown and suppressed."""
    c: Counter = Counter()
    for f in findings:
        if f.suppression:
            c["suppressed"] += 1
        elif f.outcome == "unknown":
            c["unknown"] += 1
        else:
            c[f.level] += 1
    return c


def gated(findings: list[Finding], fail_on: str) -> list[Finding]:
    """The findings that make the exit code 1 at ``fail_on`` (same rule as auditor.exitcodes)."""
    if fail_on == "never":
        return []
    threshold = LEVEL_RANK[fail_on]
    return [f for f in findings if f.suppression is None and f.outcome in ("fail", "error")
            and LEVEL_RANK[f.level] >= threshold]



def plan_verdict(doc) -> "tuple[str, str] | None":
    """The verdict of a ``remediate`` result: about the plan (its exit code:
    1 only when a change failed), not about the findings it started from."""
    plan = doc.plan or None
    if doc.run.command != "remediate" or not isinstance(plan, dict):
        return None
    changes = [c for c in plan.get("changes") or [] if isinstance(c, dict)]
    status = [str(c.get("status", "planned")).split(":")[0] for c in changes]
    failed = status.count("failed")
    counts = ", ".join(f"{status.count(k)} {k}" for k in sorted(set(status))) or "no changes"
    if failed:
        return "fail", f"FAIL: {failed} change(s) failed ({counts})"
    if plan.get("applied"):
        return "pass", f"PASS: remediation applied ({counts})"
    return "pass", f"PASS: plan made, nothing was changed ({counts}); --apply carries it out"
