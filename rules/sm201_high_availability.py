"""SM201 high-availability."""

from __future__ import annotations

from auditor.rulebase import Fail, Rule, RuleParams, Undecided, rule
from auditor.values import Unknown, as_number, display, is_known, why_unknown


@rule
class HighAvailability(Rule):
    """Production endpoints run on at least two instances, across at least two Availability Zones.

    ## What it checks
    Every instance-based production variant of an endpoint config has
    `InitialInstanceCount` (live: the variant's current instance count) of at
    least `min_instances`, and the model it serves runs in VPC subnets that
    span at least `min_azs` Availability Zones. Serverless variants are not
    instance-based and are skipped.

    The zones come from the inventory's subnets (`AWS::EC2::Subnet`
    `AvailabilityZone` in the template; live: DescribeSubnets). A subnet that
    is not in the template or inventory, or whose zone cannot be told (e.g.
    `!Select [0, !GetAZs ""]`), makes the result *unknown* unless the known
    subnets already span enough zones. A model without `VpcConfig` fails:
    SageMaker then places the instances in its own network with no
    Availability Zone guarantee you can verify or control, so multi-AZ
    placement cannot be shown, and a production policy that asks for it is
    not met.

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
        go, undecided = ctx.production_gate(res)
        if undecided:
            yield undecided
        if not go:
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
        yield from self._zones(res, ctx)

    def _zones(self, res, ctx):
        """Multi-AZ: the subnets of each served model span >= min_azs zones."""
        seen: set[str] = set()
        for path, v in res.variants():
            if v.is_serverless or v.ModelName is None:
                continue
            model = ctx.inv.model_of(v, res)
            if model is None or isinstance(model, Unknown):
                why = why_unknown(model) if model is not None else "it is not in the inventory"
                yield Undecided(path + ("ModelName",), f"variant {display(v.VariantName)}: cannot check the "
                                                       f"Availability Zones of model {display(v.ModelName)}: {why}")
                continue
            if model.key in seen:
                continue
            seen.add(model.key)
            yield from self._model_zones(model, ctx)

    def _model_zones(self, model, ctx):
        want = self.params.min_azs
        vpc = model.VpcConfig
        if vpc is None:
            yield Fail(("VpcConfig",), f"model {model.label} has no VpcConfig: cannot verify multi-AZ placement "
                                       f"without VpcConfig subnets; production needs subnets in at least {want} "
                                       f"Availability Zones", resource=model, data={"check": "multi-az", "model": display(model.name)})
            return
        subnets = vpc.Subnets if is_known(vpc) else vpc
        if not is_known(subnets):
            yield Undecided(("VpcConfig", "Subnets"), f"subnets of model {model.label} cannot be determined "
                                                      f"({why_unknown(subnets)})", resource=model)
            return
        zones, unknown = set(), []
        for s in subnets if isinstance(subnets, list) else []:
            sub = ctx.inv.find("Subnet", s, model)
            zone = None
            if sub is not None and not isinstance(sub, Unknown):
                zone = sub.AvailabilityZone if sub.AvailabilityZone is not None else sub.AvailabilityZoneId
            if isinstance(zone, str):
                zones.add(zone)
            else:
                why = why_unknown(zone) if zone is not None else (
                    "not in the inventory" if sub is None else why_unknown(sub) if isinstance(sub, Unknown)
                    else "no AvailabilityZone")
                unknown.append(f"{display(s)} ({why})")
        if len(zones) >= want:
            return
        found = f"{len(zones)} Availability Zone(s)" + (f" ({', '.join(sorted(zones))})" if zones else "")
        if unknown:
            yield Undecided(("VpcConfig", "Subnets"), f"model {model.label}: subnets span {found} as far as known; "
                                                      f"zone unknown for subnet(s) {', '.join(unknown)}",
                            resource=model)
        else:
            yield Fail(("VpcConfig", "Subnets"), f"model {model.label} runs in subnets spanning {found}; "
                                                 f"production needs at least {want}", resource=model,
                       data={"check": "multi-az", "model": display(model.name), "zones": sorted(zones), "wanted": want})


RULE = HighAvailability
