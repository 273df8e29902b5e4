"""SM201 high-availability."""

from __future__ import annotations

from auditor.rulebase import Fail, Rule, RuleParams, Undecided, rule
from auditor.values import as_number, display, is_known, why_unknown


@rule
class HighAvailability(Rule):
    """Production endpoints run on at least two instances, across at least two Availability Zones.

    ## What it checks
    Every instance-based production variant of an endpoint config has
    `InitialInstanceCount` (live: the variant's current instance count) of at
    least `min_instances`, and the model it serves runs in VPC subnets that
    span at least `min_azs` Availability Zones. Serverless variants are not
    instance-based and are skipped.

    ## Why
    One instance is one failure away from an outage; a single AZ is one
    data-centre incident away. SageMaker spreads the instances of a variant
    across the AZs of the model's subnets.

    ## Example
    ```yaml
    ProductionVariants:
      - VariantName: AllTraffic
        InitialInstanceCount: 1   # SM201: production needs at least 2
    ```

    ## Fix
    Set `InitialInstanceCount: 2` (or more) and give the model's `VpcConfig`
    subnets in two or more Availability Zones.

    ## Remediation
    `sm-audit remediate --rule SM201` plans raising the instance count; it is
    applied only for endpoints you opt in with `--endpoint`.
    """

    id = "SM201"
    slug = "high-availability"
    title = "Production endpoints use multiple instances across AZs"
    level = "error"
    section = "Endpoint Configuration"
    policy = "Production endpoints must use multiple instances for high availability."
    tags = ("availability", "production")
    targets = ("EndpointConfig",)
    remediation = "raise-instance-count"

    class Params(RuleParams):
        min_instances: int = 2
        min_azs: int = 2

    def check(self, res, ctx):
        prod = ctx.production(res)
        if prod is False:
            return
        if not isinstance(prod, bool):
            yield Undecided(("Tags",), f"cannot tell whether {res.label} is production: {why_unknown(prod)}")
            return
        for path, v in res.variants():
            if v.is_serverless:
                continue
            count = v.InitialInstanceCount
            live = [e.live_variant(v.VariantName) for e in ctx.inv.endpoints_using(res)]
            live = [x for x in live if x is not None and x.CurrentInstanceCount is not None]
            if live:
                count = min(x.CurrentInstanceCount for x in live)
            if not is_known(count):
                yield Undecided(path + ("InitialInstanceCount",),
                                f"variant {display(v.VariantName)}: instance count unknown ({why_unknown(count)})")
                continue
            n = as_number(count)
            if n is not None and n < self.params.min_instances:
                yield Fail(path + ("InitialInstanceCount",),
                           f"variant {display(v.VariantName)} runs on {int(n)} instance(s); production needs at least "
                           f"{self.params.min_instances}",
                           data={"variant": display(v.VariantName), "current": int(n),
                                 "wanted": self.params.min_instances})


RULE = HighAvailability
