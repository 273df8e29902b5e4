"""Suppressions: template ``Metadata`` (inSource), resource tags and the
config file (external). Suppressed findings are kept and marked; an expired
suppression stops suppressing and says so on the finding."""

from __future__ import annotations

from datetime import date
from fnmatch import fnmatchcase
from typing import Iterable, Optional

from .config import Config
from .models.findings import Finding, SuppressionInfo
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
