"""Glue shared by every command: rules from the registry and config, rules
over inventories, suppressions, and the result document."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Iterable, Optional

from . import __version__
from .config import Config, ConfigError, check_rule_ids, rule_params
from .candidates import group_runs
from .engine import RULE_ERROR, RULE_ERROR_SLUG, evaluate, fingerprint, merge_scenarios, unaudited_findings
from .inventory import Inventory
from .models.findings import Evaluation, Finding, Location, ResultDocument, RuleInfo, RunInfo
from .models.resources import Resource
from .rulebase import RuleContext, Rule
from .settings import Settings
from . import suppress


@dataclass
class Ruleset:
    rules: list[Rule] = field(default_factory=list)
    infos: list[RuleInfo] = field(default_factory=list)
    problems: list[Finding] = field(default_factory=list)  # broken packs / rules
    known: set[str] = field(default_factory=set)  # every registered rule's ID and slug, run or not


ENGINE_RULES = [
    RuleInfo(id="SM000", slug="rule-error", title="A rule or rule pack failed", level="error",
             policy="Every check must run: a rule that fails is reported, never silently skipped.",
             tags=["engine"], scope=["static", "live"]),
    RuleInfo(id="SM001", slug="invalid-input", title="Input or suppression cannot be used", level="error",
             policy="Every deployment file given to the gate must be a readable, valid template, and every "
                    "suppression must name a known rule and give a reason.",
             tags=["engine"], scope=["static", "live"]),
]


def build_ruleset(cfg: Config, select: Optional[Iterable[str]] = None, scope: Optional[str] = None,
                  skip: Optional[Iterable[str]] = None) -> Ruleset:
    """The rules to run: enabled in the config, in ``select`` (``--rule``) if
    given, and not in ``skip`` (``--skip-rule``, which wins over ``--rule``)."""
    from . import registry

    reg = registry.load(plugins=cfg.plugins)
    check_rule_ids(cfg, set(reg.rules), {r.slug for r in reg.rules.values()})
    rs = Ruleset()
    rs.known = {c.id for c in reg.rules.values()} | {c.slug for c in reg.rules.values()} | \
        {i.id for i in ENGINE_RULES} | {i.slug for i in ENGINE_RULES}
    for p in reg.problems:
        rs.problems.append(Finding(
            rule=RULE_ERROR, slug=RULE_ERROR_SLUG, level="error", outcome="error",
            message=f"rule pack rejected: {p.source}: {p.message}",
            location=Location(), fingerprint=fingerprint(RULE_ERROR, p.source, p.message),
        ))
    wanted = {s.upper() for s in select} if select else None
    skipped = {s.upper() for s in skip} if skip else set()
    names = {c.id for c in reg.rules.values()} | {c.slug.upper() for c in reg.rules.values()}
    for option, given in (("--rule", wanted or set()), ("--skip-rule", skipped)):
        unknown = sorted(w for w in given if w not in names)
        if unknown:
            raise ConfigError(f"{option} {', '.join(unknown)}: no such rule")
    for cls in reg.ordered():
        rc = cfg.rules.get(cls.id)
        if rc is not None and not rc.enabled:
            continue
        if wanted is not None and cls.id not in wanted and cls.slug.upper() not in wanted:
            continue
        if cls.id in skipped or cls.slug.upper() in skipped:
            continue
        params = rule_params(cfg, cls)  # a ConfigError here is the user's: exit 2
        try:
            r = cls(params)
            if rc is not None and rc.level:
                r.level = rc.level  # instance override of the class default
            info = cls.info(params)
        except Exception as e:  # noqa: BLE001 - a broken rule must not break the run
            rs.problems.append(Finding(
                rule=RULE_ERROR, slug=RULE_ERROR_SLUG, level="error", outcome="error",
                message=f"rule {cls.id} ({cls.slug}) cannot be set up: {type(e).__name__}: {e}",
                location=Location(), fingerprint=fingerprint(RULE_ERROR, cls.id, "!setup"),
                data={"rule": cls.id, "slug": cls.slug},
            ))
            continue
        info.level = r.level
        rs.rules.append(r)
        rs.infos.append(info)
    return rs


def settings_for(cfg: Config, production: bool) -> Settings:
    return Settings(
        production_all=production or cfg.production.all,
        production_tag_keys=tuple(cfg.production.tag_keys),
        production_values=tuple(cfg.production.values),
    )


def _settings_at(settings: Settings, inv: Inventory) -> Settings:
    """A live inventory (or its snapshot) is judged at the time it was
    collected, so re-scanning a snapshot later gives the same findings."""
    at = inv.facts.get("now") if inv.facts else None
    if not isinstance(at, str):
        return settings
    from dataclasses import replace
    from datetime import datetime

    try:
        return replace(settings, now=datetime.fromisoformat(at))
    except ValueError:
        return settings


class _SharedContext(RuleContext):
    """Every rule asks whether a resource is production; within one
    inventory the answer is the same for all of them, so it is computed once."""

    def __init__(self, inventory: Inventory, params, settings: Settings, cache: dict) -> None:
        super().__init__(inventory, params, settings)
        self._production = cache

    def production(self, res: Resource):
        key = res.key
        if key not in self._production:
            self._production[key] = super().production(res)
        return self._production[key]


def run_rules(inventories: list[Inventory], rs: Ruleset, settings: Settings) -> tuple[list[Finding], list[Evaluation]]:
    """Rules over the scenario inventories of one source, merged."""
    caches: dict[int, tuple[Settings, dict]] = {}

    def ctx(rule: Rule, inv: Inventory) -> RuleContext:
        if id(inv) not in caches:
            caches[id(inv)] = (_settings_at(settings, inv), {})
        at, cache = caches[id(inv)]
        return _SharedContext(inv, rule.params, at, cache)

    runs = []
    for inv in inventories:
        fs, es = evaluate(inv, rs.rules, ctx)
        runs.append((inv.scenario, inv.candidate, fs, es))
    if not runs:
        return [], []
    fs, es = merge_scenarios(group_runs(runs))
    fs.extend(suppress.check(inventories, rs.known))
    if inventories[0].gaps:
        fs.extend(unaudited_findings(inventories[0].gaps))
    return fs, es


def finish(run: RunInfo, rs: Ruleset, findings: list[Finding], evaluations: list[Evaluation],
           resources: dict[str, Resource], cfg: Config, today: Optional[date] = None,
           gaps: Optional[list] = None) -> ResultDocument:
    """Suppressions, ordering and the document: same input, same bytes."""
    findings = list(rs.problems) + findings
    if cfg.source and not run.configs:
        run.configs = [cfg.source]
    suppress.apply(findings, resources, cfg, today or date.today())
    sup = {(f.rule, f.resource.key) for f in findings if f.suppression and f.resource}
    active = {(f.rule, f.resource.key) for f in findings if not f.suppression and f.resource}
    for e in evaluations:
        if (e.rule, e.resource) in sup and (e.rule, e.resource) not in active:
            e.outcome = "suppressed"
    findings.sort(key=Finding.sort_key)
    evaluations.sort(key=lambda e: (e.rule, e.resource))
    used = {f.rule for f in findings}
    infos = list(rs.infos) + [i for i in ENGINE_RULES if i.id in used]
    infos.sort(key=lambda i: i.id)
    return ResultDocument(
        tool={"name": "sm-audit", "version": __version__},
        run=run,
        rules=infos,
        findings=findings,
        evaluations=evaluations,
        gaps=gaps or [],
    )
