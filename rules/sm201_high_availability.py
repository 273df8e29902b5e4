"""SM201 high-availability."""

from __future__ import annotations

from pydantic import Field

from auditor.rulebase import Fail, Note, Rule, RuleParams, Undecided, require
from auditor.values import Unknown, as_number, display, is_known, prop, why_unknown, zone_of


class HighAvailability(Rule):
    """Production endpoints run on at least two instances (or model copies), across Availability Zones.

    ## What it checks
    Every instance-based production variant of an endpoint config has at
    least `min_instances` instances: `InitialInstanceCount` (live: the
    variant's current instance count); with `ManagedInstanceScaling` enabled
    (`Status: ENABLED`) its `MinInstanceCount`, the floor SageMaker may scale
    the variant down to. An inference component
    (`AWS::SageMaker::InferenceComponent`) on a production endpoint runs at
    least `min_instances` copies (`RuntimeConfig.CopyCount`; live: the
    current copy count). An adapter component (`BaseInferenceComponentName`)
    shares its base component's copies and is not counted.

    Multi-AZ: when the model a variant or component serves has `VpcConfig`,
    its subnets span at least `min_azs` Availability Zones. The zones come
    from the inventory's subnets (`AWS::EC2::Subnet` `AvailabilityZone` in
    the template; live: DescribeSubnets); a subnet that is not in the
    template or inventory, or whose zone cannot be told, makes the result
    *unknown* unless the known subnets already span enough zones. Subnets in
    `!Select [0, !GetAZs ""]` and `!Select [1, !GetAZs ""]` are in two
    distinct zones, whichever they are; a named zone beside such a pick may
    be the same zone (unknown). A model
    **without** `VpcConfig` runs in SageMaker's own network, which places the
    instances across zones itself: SM201 says nothing about it (SM401
    reports the missing VPC).

    Exempt, with a note on the evaluation saying why: serverless variants
    (no instances), shadow variants (`ShadowProductionVariants`: they serve
    no caller), and variants of asynchronous endpoints whose autoscaling may
    scale to zero (`MinCapacity: 0`): their queue absorbs an instance loss.

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
    Set `InitialInstanceCount: 2` (or more; with managed instance scaling,
    `MinInstanceCount: 2`), give inference components `CopyCount: 2`, and
    when the model runs in a VPC give it subnets in two or more Availability
    Zones.

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
    targets = ("EndpointConfig", "InferenceComponent")
    reads = ("Model", "Subnet", "Endpoint", "EndpointConfig", "ScalableTarget", "InferenceComponent")
    remediation = "raise-instance-count"

    class Params(RuleParams):
        # a count below 1 would make every configuration pass: disable the rule instead
        min_instances: int = Field(2, ge=1)
        min_azs: int = Field(2, ge=1)

    def check(self, res, ctx):
        go, undecided = ctx.production_gate(res)
        if undecided:
            yield undecided
        if not go:
            return
        if res.kind == "InferenceComponent":
            yield from self._component(res, ctx)
            return
        is_async = res.AsyncInferenceConfig is not None
        for path, v in res.variants():
            vname = display(v.VariantName)
            if v.is_serverless:
                yield Note(path, f"variant {vname} is serverless: it has no instances to count")
                continue
            if is_async:
                zero = self._scales_to_zero(res, v, ctx)
                if zero:
                    yield Note(path, f"variant {vname} of asynchronous endpoint config {res.label} may scale to "
                                     f"zero ({zero}): its queue absorbs an instance loss")
                    continue
            managed = v.managed_min()
            field = ("ManagedInstanceScaling", "MinInstanceCount") if managed is not None else (
                "InitialInstanceCount",)
            count = managed if managed is not None else v.InitialInstanceCount
            if managed is None:
                live = [e.live_variant(v.VariantName) for e in ctx.inv.endpoints_using(res)]
                live = [x for x in live if x is not None and x.CurrentInstanceCount is not None]
                if live:
                    count = min(x.CurrentInstanceCount for x in live)
            if not is_known(count):
                yield Undecided(path + field, f"variant {vname}: instance count unknown ({why_unknown(count)})")
                continue
            n = as_number(count)
            if n is not None and n < self.params.min_instances:
                how = f"may scale down to {int(n)} instance(s) (ManagedInstanceScaling MinInstanceCount)" \
                    if managed is not None else f"runs on {int(n)} instance(s)"
                yield Fail(path + field, f"variant {vname} {how}; production needs at least "
                                         f"{self.params.min_instances}",
                           data={"variant": vname, "current": int(n), "wanted": self.params.min_instances})
        for path, v in res.shadow_variants(decides=False):
            yield Note(path, f"shadow variant {display(v.VariantName)} serves no caller: high availability does "
                             "not apply")
        yield from self._zones(res, ctx)

    @staticmethod
    def _scales_to_zero(config, variant, ctx) -> str:
        """Which scalable target lets an async variant scale to zero ('' if none)."""
        for ep in ctx.inv.endpoints_using(config):
            for t in ctx.inv.scalable_targets_for(ep, variant.VariantName):
                if is_known(t.MinCapacity) and as_number(t.MinCapacity) == 0:
                    label = t.meta.logical_id or display(t.ResourceId)
                    return f"scalable target {label} has MinCapacity 0"
        return ""

    def _component(self, ic, ctx):
        spec = ic.Specification
        if is_known(spec) and prop(spec, "BaseInferenceComponentName") is not None:
            yield Note(("Specification", "BaseInferenceComponentName"),
                       f"inference component {ic.label} is an adapter: it runs on its base component's copies")
            return
        copies = ic.copies()
        # name the field the count came from (a live component reports its current count)
        path = ("RuntimeConfig", "CurrentCopyCount" if prop(ic.RuntimeConfig, "CurrentCopyCount") is not None
                else "CopyCount")
        if copies is None:
            yield Undecided(("RuntimeConfig",), f"inference component {ic.label} sets no RuntimeConfig.CopyCount; "
                                                f"cannot tell how many copies it runs")
        elif not is_known(copies) or as_number(copies) is None:
            yield Undecided(path, f"inference component {ic.label}: copy count unknown ({why_unknown(copies)})")
        elif as_number(copies) < self.params.min_instances:
            n = int(as_number(copies))
            yield Fail(path, f"inference component {ic.label} runs {n} copy(ies); production needs at least "
                             f"{self.params.min_instances}",
                       data={"component": display(ic.name), "current": n, "wanted": self.params.min_instances,
                             # raise-instance-count finds the component through its endpoint
                             "endpoint": _endpoint_name(ic, ctx)})
        model = ctx.inv.component_model(ic)
        if isinstance(model, Unknown):
            yield Undecided(("Specification", "ModelName"), f"inference component {ic.label}: cannot check the "
                                                            f"Availability Zones of its model: {why_unknown(model)}")
        elif model is not None:
            yield from self._model_zones(model, ctx)

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
            return  # SageMaker's own network spreads the instances; SM401 owns the VPC requirement
        subnets = vpc.Subnets if is_known(vpc) else vpc
        if (undecided := require(subnets, ("VpcConfig", "Subnets"), f"subnets of model {model.label}",
                                 resource=model)):
            yield undecided
            return
        zones, unknown = set(), []
        for s in subnets if isinstance(subnets, list) else []:
            sub = ctx.inv.find("Subnet", s, model)
            zone = None
            if sub is not None and not isinstance(sub, Unknown):
                zone = sub.AvailabilityZone if sub.AvailabilityZone is not None else sub.AvailabilityZoneId
            if zone_of(zone) is not None:
                zones.add(zone_of(zone))
            else:
                why = why_unknown(zone) if zone is not None else (
                    "not in the inventory" if sub is None else why_unknown(sub) if isinstance(sub, Unknown)
                    else "no AvailabilityZone")
                unknown.append(f"{display(s)} ({why})")
        # a named zone may be one of the GetAZs picks: only each kind alone is surely distinct
        named = {z for z in zones if isinstance(z, str)}
        picks: dict[str, set] = {}
        for z in zones - named:
            picks.setdefault(z.key, set()).add(z)
        distinct = max([len(named)] + [len(p) for p in picks.values()])
        if distinct >= want:
            return
        found = f"{len(zones)} Availability Zone(s)" + (f" ({', '.join(sorted(map(display, zones)))})"
                                                         if zones else "")
        overlap = distinct < len(zones)  # how many of them are distinct cannot be told
        if unknown and not zones:
            yield Undecided(("VpcConfig", "Subnets"), f"model {model.label}: the Availability Zone of no subnet "
                                                      f"is known: {', '.join(unknown)}", resource=model)
        elif unknown or (overlap and len(zones) >= want):
            why = [f"zone unknown for subnet(s) {', '.join(unknown)}"] if unknown else []
            why += [f"they may be as few as {distinct} distinct zone(s) (a named zone may be the one Fn::GetAZs "
                    f"picks)"] if overlap else []
            yield Undecided(("VpcConfig", "Subnets"), f"model {model.label}: subnets span {found} as far as known; "
                                                      f"{'; '.join(why)}", resource=model)
        else:
            yield Fail(("VpcConfig", "Subnets"), f"model {model.label} runs in subnets spanning {found}; "
                                                 f"production needs at least {want}", resource=model,
                       data={"check": "multi-az", "model": display(model.name), "zones": sorted(map(display, zones)),
                             "wanted": want})


def _endpoint_name(ic, ctx):
    ep = ctx.inv.endpoint_of_component(ic)
    name = getattr(ep, "name", None)
    return name if isinstance(name, str) else None
