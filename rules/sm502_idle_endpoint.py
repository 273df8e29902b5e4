"""SM502 idle-endpoint."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import Field

from auditor.classify import always_on_designation, always_on_exempts
from auditor.inventory import parse_time, series_window
from auditor.rulebase import Fail, MetricNeed, Rule, RuleParams, Undecided
from auditor.values import Unknown, as_number, is_known, why_unknown


def designation(res: Any, keys: list[str], false_values: list[str]) -> Any:
    """The ``key=value`` of the tag that designates it always-on, or None."""
    return always_on_designation(res.tag, keys, false_values)


class IdleEndpoint(Rule):
    """Endpoints with no invocations for the idle period are stopped, unless designated always-on.

    ## What it checks
    Live only. An endpoint that is `InService`, older than `idle_hours`, and
    whose `Invocations` (AWS/SageMaker, summed over its variants) were zero
    for the last `idle_hours` is a finding, unless it is a **critical
    production** endpoint designated always-on (the policy's exception). An
    always-on designation on an endpoint that is not classified production
    does not exempt it: the finding says the designation was seen and why
    it does not count.

    *Always-on designation*: a tag whose key is in `always_on_tags`
    (default `always-on`, `sm-audit:always-on`, `AlwaysOn`) with any value,
    an empty one included, except one in `always_on_false_values` (default
    false, no, 0, off, disabled): `always-on: "true"` and
    `sm-audit:always-on: "critical"` designate, `always-on: "false"` does
    not. The `stop-idle-endpoints` action honours the same tags.

    CloudWatch publishes no `Invocations` datapoint for a period without
    traffic, so a series the collector fetched successfully with no
    datapoints over a covered window means zero invocations. An endpoint
    whose invocation metrics were not collected at all is *unknown*, as is
    one whose series covers less than the window. Endpoints that cost
    nothing while idle are skipped: all variants serverless without
    provisioned concurrency, or every variant scaled to zero instances
    (async).

    ## Why
    An endpoint bills every instance-hour whether or not anyone calls it;
    forgotten test and demo endpoints are a common source of waste.

    ## Example
    An endpoint created 30 days ago, `InService` on two ml.m5.xlarge, with no
    invocations in the last 24 hours and no `always-on` tag.

    ## Fix
    Delete the endpoint (keep its endpoint config to recreate it), or, for a
    production endpoint that must stay up, tag it `always-on: "true"`.

    ## Remediation
    The `stop-idle-endpoints` action (`sm-audit remediate`; dry-run unless
    `--apply`) stops the endpoints these findings name; it is restorable with
    `sm-audit restore`. The finding's data carries the endpoint name, the
    idle window and the creation time for the planner.
    """

    id = "SM502"
    slug = "idle-endpoint"
    title = "Idle endpoints are stopped after the inactivity period"
    level = "warning"
    section = "Cost Optimization"
    policy = "Idle endpoints must be automatically stopped after inactivity period."
    tags = ("cost", "live")
    scope = ("live",)
    targets = ("Endpoint",)
    reads = ("EndpointConfig",)
    metrics = (MetricNeed("Invocations", "Sum", "idle_hours"),)
    remediation = "stop-idle-endpoints"

    class Params(RuleParams):
        idle_hours: int = Field(24, gt=0)
        always_on_tags: list[str] = ["always-on", "sm-audit:always-on", "AlwaysOn"]
        always_on_false_values: list[str] = ["false", "no", "0", "off", "disabled"]

    def check(self, ep, ctx):
        if ep.EndpointStatus != "InService" or not isinstance(ep.name, str):
            return
        tag = designation(ep, self.params.always_on_tags, self.params.always_on_false_values)
        why_not = ""
        prod = ctx.production(ep)
        if always_on_exempts(tag, prod):
            return  # the policy's exception: a critical production endpoint designated always-on
        if tag is not None:
            why_not = (f"; its always-on tag {tag} was seen, but the exception is for critical production endpoints "
                       + ("and this endpoint is not classified production" if prod is False else
                          f"and whether this endpoint is production cannot be told ({why_unknown(prod)})"))
        hours = self.params.idle_hours
        end = ctx.now
        start = end - timedelta(hours=hours)
        created = parse_time(ep.CreationTime)
        if created is None:
            yield Undecided(("CreationTime",), f"creation time of endpoint {ep.name} is unknown; cannot tell whether "
                                               f"it has been up for {hours} h")
            return
        if created > start:
            return  # younger than the window: not idle yet
        cfg = ctx.inv.config_of(ep)
        if self._costs_nothing_idle(ep, cfg):
            return
        series = self._series(ep, cfg, ctx)
        if isinstance(series, Unknown):
            yield Undecided(("Invocations",), f"endpoint {ep.name}: {series.reason}")
            return
        total = 0.0
        for s in series:
            covered, points = series_window(s, start, end)
            if not covered:
                yield Undecided(("Invocations",), f"invocation metrics of endpoint {ep.name} start at {s.start}; "
                                                  f"they do not cover the last {hours} h")
                return
            total += sum(v for _, v in points)
        if total > 0:
            return
        yield Fail((), f"endpoint {ep.name} has had 0 invocations in the last {hours} h (created "
                       f"{created.isoformat()}); stop it, or tag it always-on if it must stay up" + why_not
                   if not why_not else
                   f"endpoint {ep.name} has had 0 invocations in the last {hours} h (created "
                   f"{created.isoformat()}){why_not}; stop it",
                   # stop-idle-endpoints applies the same exception on fresh tags with this classification
                   data={"endpoint": ep.name, "idle_hours": hours, "creation_time": created.isoformat(),
                         "production": prod if isinstance(prod, bool) else None,
                         "endpoint_config": cfg.name if cfg is not None and not isinstance(cfg, Unknown) else None})

    def _series(self, ep, cfg, ctx) -> Any:
        """The endpoint-level series, else one per variant, else an Unknown."""
        acct, region = ep.meta.account, ep.meta.region
        s = ctx.inv.metric(ep.name, None, "Invocations", acct, region)
        if s is not None:
            return [s]
        names = [v.VariantName for v in ep.ProductionVariants or []] if isinstance(ep.ProductionVariants, list) else []
        if not names and cfg is not None and not isinstance(cfg, Unknown):
            names = [v.VariantName for _, v in cfg.variants()]
        found = [ctx.inv.metric(ep.name, n, "Invocations", acct, region) for n in names if isinstance(n, str)]
        if not names or not found or any(x is None for x in found):
            return Unknown("invocation metrics were not collected")
        return found

    @staticmethod
    def _costs_nothing_idle(ep, cfg) -> bool:
        live = ep.ProductionVariants if isinstance(ep.ProductionVariants, list) else []
        counts = [as_number(v.CurrentInstanceCount) for v in live]
        if live and all(c == 0 for c in counts) and not any(v.CurrentServerlessConfig for v in live):
            return True  # async endpoint scaled to zero
        if cfg is None or isinstance(cfg, Unknown) or not cfg.variants():
            return False
        for _, v in cfg.variants():
            sc = v.ServerlessConfig
            if not v.is_serverless or not is_known(sc):
                return False
            pc = as_number(sc.ProvisionedConcurrency) if sc is not None else None
            if pc:
                return False
        return True
