"""``audit``: live accounts -> one complete Inventory -> the same rules as
``scan`` -> findings, with coverage gaps that make the affected verdicts
unknown. Like ``scan.py``, but the inventory comes from boto3.

The whole run is one inventory (accounts and regions are told apart by each
resource's provenance), so ``--save-snapshot`` writes exactly what the rules
saw and ``scan snapshot.json`` gives identical findings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Optional

from .config import Config
from .inventory import Inventory
from .models.findings import ResultDocument, RunInfo
from .runner import build_ruleset, finish, run_rules, settings_for


@dataclass
class AuditOptions:
    profile: Optional[str] = None
    regions: list[str] = field(default_factory=list)
    all_regions: bool = False
    role_arns: list[str] = field(default_factory=list)
    org_role: Optional[str] = None
    max_workers: int = 8
    inner_workers: int = 8
    max_attempts: int = 8
    production: bool = False
    select: Optional[list[str]] = None
    skip: Optional[list[str]] = None  # --skip-rule: wins over select
    fail_on: str = "error"
    progress: Optional[bool] = None
    shard: Optional[tuple[int, int]] = None  # --shard K/N: this share of account x region
    session_hooks: list = field(default_factory=list)  # tests: inject faults into every session
    parts: Optional[list] = None  # live.fanout.share(): accounts and regions already resolved (remediate)
    now: Optional[datetime] = None


@dataclass
class AuditResult:
    doc: ResultDocument
    inventory: Inventory
    api_calls: int = 0
    operations: dict = field(default_factory=dict)  # "service:Operation" -> calls
    attempts: int = 0
    seconds: float = 0.0


def metric_plan(rs, now: datetime):
    """The series to fetch, from the selected rules' ``metrics`` declarations
    and their (configured) window parameters: one series per metric,
    statistic, period and variant filter, over the longest window a rule
    wants. No rule declares a metric: None, nothing is fetched."""
    from .live.metrics import MetricPlan, Series

    hours: dict[tuple, float] = {}
    for r in rs.rules:
        for need in r.metrics:
            key = (need.namespace, need.metric, need.statistic, need.period, need.variants)
            hours[key] = max(hours.get(key, 0.0), r.metric_hours(need))
    if not hours:
        return None
    return MetricPlan(now=now, series=[Series(*key, hours=h) for key, h in hours.items()])


def transform_jobs_since(rs, cfg: Config, now: datetime) -> Optional[datetime]:
    """When the collected transform jobs start: ``now`` minus the
    ``transform_window_days`` of the rule that declares it (SM503, as
    configured, even when SM503 itself is not selected); None when no
    selected rule reads transform jobs."""
    from datetime import timedelta

    from . import registry
    from .config import rule_params

    if not any("TransformJob" in r.targets or "TransformJob" in r.reads_for(k) for r in rs.rules for k in r.targets):
        return None
    declared = [cls for cls in registry.load(plugins=cfg.plugins).ordered()
                if "transform_window_days" in cls.Params.model_fields]
    if not declared:
        return None
    chosen = next((r for r in rs.rules if type(r) is declared[0]), None)
    params = chosen.params if chosen is not None else rule_params(cfg, declared[0])
    return now - timedelta(days=float(params.transform_window_days))


def audit(cfg: Config, opts: AuditOptions, today: Optional[date] = None) -> AuditResult:
    import time

    from .live.fanout import Scope, run
    from .live.session import SessionFactory

    started = time.monotonic()
    rs = build_ruleset(cfg, opts.select, skip=opts.skip)
    settings = settings_for(cfg, opts.production)
    now = (opts.now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    settings.now = now
    factory = SessionFactory(profile=opts.profile, hooks=list(opts.session_hooks), max_attempts=opts.max_attempts,
                             pool=max(10, opts.inner_workers * 2))
    scope = Scope(regions=list(opts.regions), all_regions=opts.all_regions, role_arns=list(opts.role_arns),
                  org_role=opts.org_role, shard=opts.shard)
    collected, accounts, regions = run(factory, scope, max_workers=opts.max_workers,
                                       inner_workers=opts.inner_workers, metric_plan=metric_plan(rs, now),
                                       jobs_since=transform_jobs_since(rs, cfg, now),
                                       progress=opts.progress, parts=opts.parts)
    from .credentials import check_gaps

    check_gaps(collected.gaps)
    inv = Inventory(complete=True)
    for r in sorted(collected.resources, key=lambda r: (r.kind, r.key)):
        if r.key not in inv.by_key:  # a bucket shared by several regions is collected in each
            inv.add(r)
    inv.metrics = sorted(collected.metrics, key=lambda s: (s.account or "", s.region or "", s.endpoint,
                                                           s.variant or "", s.metric))
    inv.gaps = sorted(collected.gaps, key=lambda g: (g.account or "", g.region or "", g.service, g.operation,
                                                     g.resource or "", g.error))
    inv.facts = {"now": now.isoformat(), "accounts": accounts, "regions": regions}
    fs, es = run_rules([inv], rs, settings)  # whole-region/account gaps become input-error findings there
    run_info = RunInfo(command="audit", targets=[f"{a}/{r}" for a in accounts for r in regions],
                       production=settings.production_all, resources=len(inv.by_key), accounts=accounts,
                       regions=regions, fail_on=opts.fail_on)
    run_info.api_calls = factory.counter.total
    doc = finish(run_info, rs, fs, es, dict(inv.by_key), cfg, today, gaps=list(inv.gaps))
    ops = {f"{s}:{o}": n for (s, o), n in sorted(factory.counter.calls.items())}
    return AuditResult(doc=doc, inventory=inv, api_calls=factory.counter.total, operations=ops,
                       attempts=factory.counter.attempts, seconds=time.monotonic() - started)
