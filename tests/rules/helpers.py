"""Helpers for rule tests: scan a template text, or evaluate a hand-built
(live-shaped) inventory, and pick out one rule's findings."""

from __future__ import annotations

import textwrap
from datetime import date, datetime
from pathlib import Path
from typing import Any, Optional

from auditor.config import Config, parse
from auditor.inventory import Inventory
from auditor.models.findings import Finding
from auditor.models.resources import Meta
from auditor.runner import build_ruleset, finish, run_rules, settings_for
from auditor.scan import scan

TODAY = date(2026, 11, 22)


def scan_text(tmp_path: Path, text: str, name: str = "template.yaml", production: bool = False,
              config: Optional[dict] = None, rule: Optional[str] = None) -> list[Finding]:
    """Scan one template written from ``text``; findings of ``rule`` only if given."""
    f = tmp_path / name
    f.write_text(textwrap.dedent(text))
    cfg = parse(config or {}, "test-config")
    doc = scan([str(f)], cfg, production=production, select=[rule] if rule else None, today=TODAY)
    return [x for x in doc.findings if rule is None or x.rule == rule]


def scan_file(path: Path, production: bool = False, config: Optional[dict] = None,
              rule: Optional[str] = None) -> list[Finding]:
    cfg = parse(config or {}, "test-config")
    doc = scan([str(path)], cfg, production=production, select=[rule] if rule else None, today=TODAY)
    return [x for x in doc.findings if rule is None or x.rule == rule]


def live_meta(kind_type: str, name: str, account: str = "111111111111", region: str = "us-east-1",
              arn: Optional[str] = None) -> Meta:
    """Provenance of a live resource (for hand-built inventories)."""
    arn = arn or f"arn:aws:sagemaker:{region}:{account}:{kind_type.split('::')[-1].lower()}/{name}"
    return Meta(key=arn, type=kind_type, arn=arn, account=account, region=region)


def evaluate_inventory(inv: Inventory, rule: str, production: bool = False,
                       config: Optional[dict] = None, now: Optional[datetime] = None) -> list[Finding]:
    """Run one rule over an inventory the way ``audit`` does; ``now`` fixes
    the run's clock (metric windows, resource ages)."""
    cfg = parse(config or {}, "test-config")
    rs = build_ruleset(cfg, [rule])
    settings = settings_for(cfg, production)
    if now is not None:
        settings.now = now
    fs, es = run_rules([inv], rs, settings)
    doc = finish_doc(rs, fs, es, inv, cfg)
    return [f for f in doc.findings if f.rule == rule]


def finish_doc(rs, fs, es, inv: Inventory, cfg: Config):
    from auditor.models.findings import RunInfo

    return finish(RunInfo(command="audit"), rs, fs, es, dict(inv.by_key), cfg, TODAY)


def only(findings: list[Finding], outcome: str = "fail") -> list[Finding]:
    return [f for f in findings if f.outcome == outcome]


def summary(findings: list[Finding]) -> list[tuple[Any, ...]]:
    """(rule, resource id, line, outcome) for compact exact assertions."""
    return [(f.rule, f.resource.id if f.resource else None, f.location.line, f.outcome) for f in findings]
