"""Findings + live state -> a plan of concrete changes.

The planner only decides *which endpoints* each action looks at (from the
findings' resources, the user's ``--endpoint`` names, and for actions that
react to live state, every endpoint in scope). What to change is re-derived by
each action from describe calls, so the plan is computed from current state,
not from the details a rule happened to put in a finding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Optional

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError

from ..live.paging import EndlessPagination
from . import aws
from .base import Action, ActionOptions, Change, Context, Skip, Target, load_actions

if TYPE_CHECKING:  # pragma: no cover
    from ..inventory import Inventory
    from ..models.findings import Finding

PLANNER_PERMISSIONS = ("sagemaker:ListEndpoints", "sagemaker:DescribeEndpoint")
# what one account's or endpoint's calls may raise; it is reported there and planning goes on
CALL_ERRORS = (ClientError, BotoCoreError, EndlessPagination)


class OptionsError(Exception):
    pass


@dataclass
class Plan:
    run_id: str
    changes: list[Change] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    applied: bool = False
    journal: Optional[str] = None

    @property
    def actionable(self) -> list[Change]:
        return [c for c in self.changes if not c.plan_only]

    def document(self) -> dict[str, Any]:
        d: dict[str, Any] = {"run_id": self.run_id, "applied": self.applied,
                             "changes": [c.public() for c in self.changes],
                             "skipped": [s.public() for s in self.skipped]}
        if self.journal:
            d["journal"] = self.journal
        return d


def build_options(cfg: Any = None, overrides: Optional[dict[str, dict[str, Any]]] = None) -> dict[str, ActionOptions]:
    """Each action's options: its schema's defaults, then the configured params
    of the rules it remediates, then ``--set action.key=value`` overrides."""
    actions = load_actions()
    overrides = overrides or {}
    for name in overrides:
        if name not in actions:
            raise OptionsError(f"--set {name}.*: no remediation action {name!r} (have: {', '.join(sorted(actions))})")
    params = _rule_params(cfg)
    out: dict[str, ActionOptions] = {}
    for name, cls in actions.items():
        values = {**cls.defaults_from_rules(params), **overrides.get(name, {})}
        try:
            out[name] = cls.Options.model_validate(values)
        except ValidationError as e:
            err = e.errors()[0]
            where = ".".join(str(x) for x in err["loc"])
            what = "unknown option" if err["type"] == "extra_forbidden" else err["msg"]
            raise OptionsError(f"options of {name}{'.' + where if where else ''}: {what}") from None
    return out


def _rule_params(cfg: Any) -> dict[str, Any]:
    if cfg is None:
        return {}
    from .. import registry
    from ..config import rule_params

    reg = registry.load(plugins=getattr(cfg, "plugins", True))
    out = {}
    for rid in {r for a in load_actions().values() for r in a.rules}:
        if rid in reg.rules:
            out[rid] = rule_params(cfg, reg.rules[rid])
    return out


class Scope:
    """Which endpoints exist, per account and region: from the live inventory
    when there is one, else from ListEndpoints/DescribeEndpoint."""

    def __init__(self, ctx: Context, inventory: Optional["Inventory"] = None) -> None:
        self.ctx = ctx
        self.inventory = inventory
        self._names: dict[tuple[str, str], list[str]] = {}
        self._configs: dict[tuple[str, str], dict[str, str]] = {}

    def names(self, account: str, region: str) -> list[str]:
        key = (account, region)
        if key not in self._names:
            inv = self._inv_endpoints(account, region)
            if inv is not None:
                self._names[key] = sorted(e.EndpointName for e in inv)
            else:
                self._names[key] = aws.list_endpoint_names(self.ctx.clients.sm(account, region))
        return self._names[key]

    def _inv_endpoints(self, account: str, region: str) -> Optional[list[Any]]:
        inv = self.inventory
        if inv is None or not inv.complete:
            return None
        eps = [e for e in inv.endpoints if e.meta.account == account and e.meta.region == region
               and isinstance(e.EndpointName, str)]
        return eps if eps or any(r.meta.account == account and r.meta.region == region for r in inv.all()) else None

    def config_of(self, account: str, region: str) -> dict[str, str]:
        """endpoint name -> endpoint config name."""
        key = (account, region)
        if key not in self._configs:
            inv = self._inv_endpoints(account, region)
            if inv is not None:
                self._configs[key] = {e.EndpointName: e.EndpointConfigName for e in inv}
            else:
                sm = self.ctx.clients.sm(account, region)
                m = {}
                for n in self.names(account, region):
                    d = aws.describe_endpoint(sm, n)
                    if d:
                        m[n] = d["EndpointConfigName"]
                self._configs[key] = m
        return self._configs[key]

    def resolve(self, account: str, region: str, name: str) -> Optional[str]:
        """An endpoint name as it exists (ARNs carry names lower-cased)."""
        names = self.names(account, region)
        if name in names:
            return name
        low = [n for n in names if n.lower() == name.lower()]
        return low[0] if len(low) == 1 else None


def _arn_resource(arn: Optional[str]) -> tuple[Optional[str], Optional[str]]:
    if not arn or not arn.startswith("arn:"):
        return None, None
    parts = arn.split(":", 5)
    if len(parts) < 6 or "/" not in parts[5]:
        return None, None
    kind, name = parts[5].split("/", 1)
    return kind, name


def _where(f: "Finding") -> tuple[Optional[str], Optional[str]]:
    res = f.resource
    return (f.location.account or (res.account if res else None),
            f.location.region or (res.region if res else None))


def endpoints_of(f: "Finding", scope: Scope) -> tuple[Optional[str], Optional[str], list[str], Optional[str]]:
    """(account, region, endpoint names, variant) a live finding is about."""
    res = f.resource
    account = f.location.account or (res.account if res else None)
    region = f.location.region or (res.region if res else None)
    if not account or not region:
        return None, None, [], None
    data = f.data or {}
    variant = data.get("variant") if isinstance(data.get("variant"), str) else None
    if isinstance(data.get("endpoint"), str):
        found = scope.resolve(account, region, data["endpoint"])
        return account, region, [found] if found else [], variant
    rtype = (res.type if res else "") or ""
    kind, arn_name = _arn_resource((res.arn if res else None) or f.location.arn)
    name = res.name if res and isinstance(res.name, str) and res.name else arn_name
    if rtype.endswith("::Endpoint") or kind == "endpoint":
        found = scope.resolve(account, region, name) if name else None
        return account, region, [found] if found else [], variant
    if rtype.endswith("::EndpointConfig") or kind == "endpoint-config":
        configs = scope.config_of(account, region)
        names = [e for e, c in configs.items() if name and c.lower() == name.lower()]
        return account, region, sorted(names), variant
    if (rtype.endswith("::Model") or kind == "model") and scope.inventory is not None and res is not None:
        model = scope.inventory.by_key.get(res.key)
        if model is not None:
            inv = scope.inventory
            eps = {e.EndpointName for c in inv.configs_using(model) for e in inv.endpoints_using(c)
                   if isinstance(e.EndpointName, str)}
            return account, region, sorted(eps), variant
    if rtype.endswith("::ScalableTarget") or rtype.endswith("::ScalingPolicy"):
        rid = data.get("resource_id") or name or ""
        parts = str(rid).split("/")
        if len(parts) == 4 and parts[0] == "endpoint":
            found = scope.resolve(account, region, parts[1])
            return account, region, [found] if found else [], variant or parts[3]
    return account, region, [], variant


def _wanted(rules: Optional[Iterable[str]], cls: type[Action], finding: Optional["Finding"] = None) -> bool:
    if not rules:
        return True
    sel = {r.upper() for r in rules}
    if finding is not None:
        return finding.rule.upper() in sel or finding.slug.upper() in sel or cls.name.upper() in sel
    return bool(sel & set(cls.rules)) or cls.name.upper() in sel


def check_rules(selected: Iterable[str], cfg: Any = None) -> None:
    """--rule values must name a remediated rule (ID or slug) or an action."""
    actions = load_actions()
    known = {a.upper() for a in actions} | {r for a in actions.values() for r in a.rules}
    try:
        from .. import registry

        for rid, cls in registry.load(plugins=getattr(cfg, "plugins", True)).rules.items():
            if rid in known:
                known.add(cls.slug.upper())
    except Exception:  # noqa: BLE001 - a broken pack only loses slug look-ups here
        pass
    bad = [r for r in selected if r.upper() not in known]
    if bad:
        raise OptionsError(f"--rule {', '.join(bad)}: not a remediated rule or action "
                           f"(remediated: {', '.join(sorted(known))})")


def build_plan(ctx: Context, findings: Iterable["Finding"], *, run_id: str,
               inventory: Optional["Inventory"] = None, rules: Optional[list[str]] = None,
               endpoints: Optional[list[str]] = None, variant: Optional[str] = None,
               regions: Optional[list[str]] = None,
               pairs: Optional[list[tuple[str, str]]] = None) -> Plan:
    """``pairs``: the (account, region)s in scope [default: ``regions`` in
    every account the clients act in]; findings add theirs."""
    actions = load_actions()
    plan = Plan(run_id=run_id)
    scope = Scope(ctx, inventory)
    only = set(endpoints or [])
    targets: dict[str, dict[tuple, Target]] = {name: {} for name in actions}

    def add(action: str, account: str, region: str, ep: str, var: Optional[str], f=None, named=False) -> None:
        if only and ep not in only:
            return
        t = targets[action].setdefault((account, region, ep, var), Target(account, region, ep, var))
        if f is not None:
            t.findings.append(f)
        t.named = t.named or named

    ctx.current_action = "planner"
    seen_scopes: set[tuple[str, str]] = set()
    for f in findings:
        if f.outcome != "fail" or f.suppression is not None:
            continue
        names = [f.remediation] if f.remediation in actions else [a.name for a in actions.values() if f.rule in a.rules]
        for name in names:
            cls = actions[name]
            if not _wanted(rules, cls, f):
                continue
            account, region = _where(f)
            if account is None or region is None:
                continue  # a static finding: nothing live to change
            why = ctx.clients.refusal(account, region)
            if why:
                plan.skipped.append(Skip(name, (f.resource.id if f.resource else "?"), account, region, why))
                continue
            try:
                account, region, eps, var = endpoints_of(f, scope)
            except CALL_ERRORS as e:
                plan.skipped.append(Skip(name, (f.resource.id if f.resource else "?"), account, region,
                                         f"cannot plan: {aws.describe_error(e)}"))
                continue
            seen_scopes.add((account, region))
            if not eps:
                plan.skipped.append(Skip(name, (f.resource.id if f.resource else "?"), account, region,
                                         f"{f.rule}: no live endpoint found for this finding"))
            for ep in eps:
                add(name, account, region, ep, var, f)

    if pairs is None:
        pairs = [(a, r) for r in regions or [] for a in ctx.clients.accounts(r)]
    seen_scopes.update(pairs)
    for name, cls in actions.items():
        if not getattr(cls, "scan_all", False) or not _wanted(rules, cls):
            continue
        for account, region in sorted(seen_scopes):
            try:
                names = scope.names(account, region)
            except CALL_ERRORS as e:
                plan.skipped.append(Skip(name, "*", account, region, f"cannot list endpoints: {aws.describe_error(e)}"))
                continue
            for ep in names:
                add(name, account, region, ep, None)  # alarm scan
            for ep in sorted(only):
                found = scope.resolve(account, region, ep)
                if found:
                    add(name, account, region, found, variant, named=True)

    for name, cls in actions.items():
        ts = [targets[name][k] for k in sorted(targets[name], key=lambda k: tuple(str(x) for x in k))]
        # a named variant replaces the alarm scan of the same endpoint
        named_eps = {(t.account, t.region, t.endpoint) for t in ts if t.variant and t.named}
        ts = [t for t in ts if t.variant or (t.account, t.region, t.endpoint) not in named_eps]
        if not ts:
            continue
        act = cls()
        for t in ts:
            ctx.current_action = "planner"
            why = ctx.clients.refusal(t.account, t.region)
            if why:
                plan.skipped.append(Skip(name, t.endpoint, t.account, t.region, why))
                continue
            ctx.current_action = name
            try:
                items = list(act.plan(ctx, [t]))
            except Exception as e:  # noqa: BLE001 - one resource's failure does not hide the others
                if not isinstance(e, CALL_ERRORS):
                    raise
                items = [Skip(name, t.endpoint, t.account, t.region, f"cannot plan: {aws.describe_error(e)}")]
            for item in items:
                (plan.changes if isinstance(item, Change) else plan.skipped).append(item)
    ctx.current_action = None
    _dedupe(plan)
    _drop_conflicts(plan, actions)
    plan.changes.sort(key=lambda c: (c.account, c.region, c.name.split("/")[0], actions[c.action].order, c.name))
    plan.skipped.sort(key=lambda s: (s.account, s.region, s.name, s.action, s.reason))
    return plan


def _dedupe(plan: Plan) -> None:
    """Two findings that lead to the same change make one change."""
    seen: dict[str, Change] = {}
    for c in plan.changes:
        if c.id in seen:
            seen[c.id].rules = sorted(set(seen[c.id].rules) | set(c.rules))
        else:
            seen[c.id] = c
    plan.changes = list(seen.values())
    plan.skipped = list({(s.action, s.name, s.account, s.region, s.reason): s for s in plan.skipped}.values())


def _drop_conflicts(plan: Plan, actions: dict[str, type[Action]]) -> None:
    """An endpoint about to be deleted gets no other change."""
    gone = {(c.account, c.region, c.name) for c in plan.changes if actions[c.action].exclusive}
    keep = []
    for c in plan.changes:
        ep = (c.account, c.region, c.name.split("/")[0])
        if ep in gone and not actions[c.action].exclusive:
            plan.skipped.append(Skip(c.action, c.name, c.account, c.region,
                                     "the endpoint is planned to be stopped; no other change is made to it"))
            continue
        keep.append(c)
    plan.changes = keep
