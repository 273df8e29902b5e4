"""Suppressions: template ``Metadata`` (inSource), resource tags and the
config file (external). Suppressed findings are kept and marked; an expired
suppression stops suppressing and says so on the finding."""

from __future__ import annotations

from datetime import date
from fnmatch import fnmatchcase
from typing import Iterable, Optional

from .config import Config
from .models.findings import Finding, Location, SuppressionInfo
from .models.resources import Resource, Suppression


def _parse_date(s: Optional[str]) -> Optional[date]:
    if not s:
        return None
    try:
        return date.fromisoformat(str(s)[:10])
    except ValueError:
        return None


def _candidates(f: Finding, res: Optional[Resource], cfg: Config) -> Iterable[Suppression]:
    if res is not None:
        yield from res.meta.suppressions
    r = f.resource
    names = {x for x in (r.id, r.name, r.arn, r.key) if x} if r else set()
    for s in cfg.suppressions:
        if s.file and not (f.location.file and fnmatchcase(f.location.file, s.file)):
            continue
        if s.resource != "*" and not any(fnmatchcase(n, s.resource) for n in names):
            continue
        yield Suppression(rule=s.rule, reason=s.reason, expires=s.expires.isoformat() if s.expires else None,
                          kind="external", source=cfg.source or "config")


def check(inventories: Iterable, known: set[str]) -> list[Finding]:
    """Template ``Metadata`` skips and live ``sm-audit:skip`` tags held to the
    config file's standard: one without a reason, of the wrong shape or naming
    no known rule (ID, slug or ``*``) becomes an SM001 error finding on its
    resource (at the entry's line) and is removed, so it suppresses nothing."""
    from .engine import INPUT_RULE, INPUT_SLUG, fingerprint, locate_resource, resource_ref

    out: dict[str, Finding] = {}
    for inv in inventories:
        for res in inv.by_key.values():
            sups = res.meta.suppressions
            if not sups:
                continue
            keep = []
            for s in sups:
                problem = s.problem or (None if s.rule in known or s.rule == "*" else f"names no such rule {s.rule!r}")
                if problem is None:
                    keep.append(s)
                    continue
                if s.source.startswith("tag ") and res.meta.arn and not s.source.endswith(f" on {res.meta.arn}"):
                    continue  # inherited from the endpoint: reported there, dropped here
                what = f"tag {s.source[4:].split(' on ')[0]}" if s.source.startswith("tag ") \
                    else "sm-audit:skip comment" if res.meta.dialect == "terraform" else "Metadata skip entry"
                if s.line:
                    loc = Location(file=res.meta.file, line=s.line, column=s.column)
                else:
                    loc = locate_resource(inv, res)
                msg = (f"{what} for {s.rule if s.rule != '?' else 'a rule'} on {res.label} {problem}; "
                       "the suppression is not applied")
                f = Finding(rule=INPUT_RULE, slug=INPUT_SLUG, level="error", outcome="error", message=msg,
                            resource=resource_ref(res), location=loc,
                            fingerprint=fingerprint(INPUT_RULE, res.meta.key, f"skip|{s.rule}|{problem}"))
                out.setdefault(f.fingerprint, f)
            res.meta.suppressions = keep
    return list(out.values())


def apply(findings: list[Finding], resources: dict[str, Resource], cfg: Config, today: date) -> None:
    for f in findings:
        if f.outcome == "error" and f.rule in ("SM000", "SM001"):
            continue  # broken input or rules are never hidden
        res = resources.get(f.resource.key) if f.resource else None
        for s in _candidates(f, res, cfg):
            if s.rule not in (f.rule, f.slug, "*"):
                continue
            exp = _parse_date(s.expires)
            if s.expires and exp is None:
                f.notes.append(f"suppression from {s.source} has an unreadable expiry {s.expires!r}; not applied")
                continue
            if exp is not None and exp < today:
                f.notes.append(f"suppression from {s.source} expired on {exp.isoformat()}"
                               f" (reason was: {s.reason or 'none given'})")
                continue
            f.suppression = SuppressionInfo(kind=s.kind, reason=s.reason, expires=s.expires, source=s.source)
            break
