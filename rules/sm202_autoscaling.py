"""SM202 autoscaling."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from auditor.inventory import SAGEMAKER_DIMENSION
from auditor.rulebase import Fail, Rule, RuleParams, Undecided, require, unused_config_unknown
from auditor.values import Unknown, as_number, display, is_known, why_unknown
from auditor.values import prop as _get

TT = ("TargetTrackingScalingPolicyConfiguration",)




def _num(v: Any) -> Any:
    n = as_number(v)
    return int(n) if n is not None and n == int(n) else n


def production_of(endpoint, config, ctx) -> Any:
    """An endpoint is production when it or its config is (True/False/Unknown)."""
    prod = ctx.production(endpoint)
    if prod is True or config is None or isinstance(config, Unknown):
        return prod
    other = ctx.production(config)
    if other is True:
        return True
    return prod if isinstance(prod, Unknown) else other


class Autoscaling(Rule):
    """Every production endpoint variant autoscales within the policy's bounds.

    ## What it checks
    For each instance-based variant of a production endpoint (endpoint ->
    endpoint config -> production variants; serverless variants are skipped):

    * an Application Auto Scaling scalable target exists with `ServiceNamespace:
      sagemaker`, `ResourceId: endpoint/<endpoint>/variant/<variant>` (written
      literally, with `Fn::Sub` or `Fn::Join`) and `ScalableDimension:
      sagemaker:variant:DesiredInstanceCount`;
    * `MinCapacity >= min_capacity` (1), `MaxCapacity <= max_capacity` (4) and
      `MaxCapacity > MinCapacity`;
    * `MinCapacity` is not below `ha_min_instances` (2, SM201's
      `min_instances`): the autoscaling policy's Min=1 and the high-availability
      policy's two instances conflict, and the finding says so (set it to 0 to
      drop this check; keep it equal to SM201's `min_instances` if you change
      that);
    * a `TargetTrackingScaling` policy attached to the target (by
      `ScalingTargetId` or by the same ResourceId and dimension) tracks one of
      `allowed_metrics` (predefined `SageMakerVariantInvocationsPerInstance`,
      or customized `CPUUtilization` / `GPUUtilization`) at `target_value`
      (70), with `ScaleOutCooldown` = 60 s and `ScaleInCooldown` = 300 s.

    Asynchronous endpoints may scale to zero: their minimum is
    `async_min_capacity` (0) and the high-availability conflict is not raised.
    In a template (the deployment unit) a production variant without a
    scalable target fails; a target whose ResourceId cannot be tied to any
    endpoint, or a capacity from a parameter without a default, gives
    *unknown*.

    ## Why
    Autoscaling absorbs load peaks without over-provisioning; the cooldowns
    scale out quickly and scale in cautiously.

    ## Example
    ```yaml
    Target:
      Type: AWS::ApplicationAutoScaling::ScalableTarget
      Properties:
        ResourceId: !Sub endpoint/${Endpoint.EndpointName}/variant/AllTraffic
        ScalableDimension: sagemaker:variant:DesiredInstanceCount
        ServiceNamespace: sagemaker
        MinCapacity: 2
        MaxCapacity: 10        # SM202: at most 4
    ```

    ## Fix
    Add a scalable target per variant with `MinCapacity: 2`, `MaxCapacity: 4`
    and a target-tracking policy on `SageMakerVariantInvocationsPerInstance`
    (or CPU/GPU utilisation) at 70 with cooldowns 60/300.

    ## Remediation
    `sm-audit remediate --rule SM202` plans `apply-autoscaling`: it registers
    or updates the scalable target and puts the target-tracking policy with
    the configured values (findings carry the endpoint, variant and current
    settings).
    """

    id = "SM202"
    slug = "autoscaling"
    title = "Production endpoints autoscale within policy bounds"
    level = "error"
    section = "Endpoint Configuration"
    policy = "Autoscaling must be configured for all production endpoints."
    tags = ("availability", "production", "autoscaling")
    targets = ("Endpoint", "EndpointConfig")
    # a config is judged on its own only when no endpoint uses it (then the endpoint carries the verdict)
    reads = {"Endpoint": ("EndpointConfig", "ScalableTarget", "ScalingPolicy"), "EndpointConfig": ("Endpoint",)}
    remediation = "apply-autoscaling"

    class Params(RuleParams):
        # negative bounds would silently disable the checks
        min_capacity: int = Field(1, ge=0)
        max_capacity: int = Field(4, ge=1)
        target_value: float = Field(70, gt=0)
        allowed_metrics: list[str] = ["SageMakerVariantInvocationsPerInstance", "CPUUtilization", "GPUUtilization"]
        scale_out_cooldown: int = Field(60, ge=0)
        scale_in_cooldown: int = Field(300, ge=0)
        ha_min_instances: int = Field(2, ge=0)  # SM201 min_instances; 0 turns the conflict check off
        async_min_capacity: int = Field(0, ge=0)

    def check(self, res, ctx):
        if res.kind == "EndpointConfig":
            if ctx.inv.unused_config(res):
                go, undecided = ctx.production_gate(res)
                if undecided or go:
                    yield undecided or unused_config_unknown(res, "the scalable targets and scaling policies")
            return
        config = ctx.inv.config_of(res)
        go, undecided = ctx.production_gate(res, prod=production_of(res, config, ctx))
        if undecided:
            yield undecided
        if not go:
            return
        if config is None or isinstance(config, Unknown):
            why = why_unknown(config) if config is not None else "it is not in the inventory"
            yield Undecided(("EndpointConfigName",), f"cannot check autoscaling of endpoint {res.label}: endpoint "
                                                     f"config {display(res.EndpointConfigName)} unknown ({why})")
            return
        if (undecided := require(config.ProductionVariants, ("ProductionVariants",), f"variants of {config.label}",
                                 resource=config)):
            yield undecided
            return
        is_async = config.AsyncInferenceConfig is not None
        for path, v in config.variants():
            if v.is_serverless:
                continue
            yield from self._variant(res, config, path, v, is_async, ctx)

    def _variant(self, ep, config, path, v, is_async, ctx):
        name = v.VariantName
        ep_name = ep.shown_name
        base = {"endpoint": ep_name, "variant": display(name)}
        if isinstance(name, Unknown):
            yield Undecided(path + ("VariantName",), f"variant name cannot be determined ({why_unknown(name)}), so "
                                                     f"its scalable target cannot be found", resource=config)
            return
        targets = [t for t in ctx.inv.scalable_targets_for(ep, name)
                   if not (is_known(t.ScalableDimension) and t.ScalableDimension != SAGEMAKER_DIMENSION)]
        if not targets:
            maybe = [t for t in ctx.inv.unresolved_targets_for(ep, name)
                     if not (is_known(t.ScalableDimension) and t.ScalableDimension != SAGEMAKER_DIMENSION)]
            if maybe:
                yield Undecided(path, f"variant {display(name)} of endpoint {ep.label}: cannot tell whether scalable "
                                      f"target {', '.join(t.label for t in maybe)} scales it (ResourceId "
                                      f"{display(maybe[0].ResourceId)})", resource=config)
                return
            yield Fail(path, f"variant {display(name)} of endpoint {ep.label} has no scalable target "
                             f"(endpoint/{ep_name}/variant/{display(name)}, {SAGEMAKER_DIMENSION}); "
                             f"production endpoints must autoscale", resource=config,
                       data={**base, "resource_id": f"endpoint/{ep_name}/variant/{display(name)}",
                             "min_capacity": None, "max_capacity": None, "target_value": None,
                             "scale_out_cooldown": None, "scale_in_cooldown": None, "metric": None,
                             "wanted": self._wanted(is_async)})
            return
        for t in targets:
            yield from self._target(t, base, is_async, ctx)

    def _wanted(self, is_async: bool) -> dict:
        p = self.params
        lo = p.async_min_capacity if is_async else max(p.min_capacity, p.ha_min_instances)
        return {"min_capacity": lo, "max_capacity": p.max_capacity, "target_value": p.target_value,
                "metric": p.allowed_metrics[0] if p.allowed_metrics else None,
                "scale_out_cooldown": p.scale_out_cooldown, "scale_in_cooldown": p.scale_in_cooldown}

    def _facts(self, t, pol, base: dict, is_async: bool) -> dict:
        cfg = pol.TargetTrackingScalingPolicyConfiguration if pol is not None else None
        return {**base, "resource_id": f"endpoint/{base['endpoint']}/variant/{base['variant']}",
                "min_capacity": _num(t.MinCapacity), "max_capacity": _num(t.MaxCapacity),
                "target_value": as_number(_get(cfg, "TargetValue")), "metric": self._metric(cfg)[0],
                "scale_out_cooldown": _num(_get(cfg, "ScaleOutCooldown")),
                "scale_in_cooldown": _num(_get(cfg, "ScaleInCooldown")), "wanted": self._wanted(is_async)}

    def _target(self, t, base, is_async, ctx):
        p = self.params
        policies = ctx.inv.policies_for(t)
        tracking = [x for x in policies if not (is_known(x.PolicyType) and x.PolicyType != "TargetTrackingScaling")]
        data = self._facts(t, tracking[0] if tracking else None, base, is_async)
        label = t.meta.logical_id or (t.ResourceId if isinstance(t.ResourceId, str) else t.label)
        where = f"scalable target {label} (variant {base['variant']})"
        lo = p.async_min_capacity if is_async else p.min_capacity
        mn, mx = t.MinCapacity, t.MaxCapacity
        nmin, nmax = as_number(mn), as_number(mx)
        if not is_known(mn) or nmin is None:
            yield Undecided(("MinCapacity",), f"{where}: MinCapacity cannot be determined ({why_unknown(mn)})",
                            resource=t)
        elif nmin < lo:
            yield Fail(("MinCapacity",), f"{where} has MinCapacity {_num(mn)}; the policy wants at least {lo}",
                       resource=t, data=data)
        elif not is_async and nmin < p.ha_min_instances:
            yield Fail(("MinCapacity",), f"{where} has MinCapacity {_num(mn)}: autoscaling may scale the variant "
                                         f"below the {p.ha_min_instances} instances the high-availability policy "
                                         f"(SM201) requires; the autoscaling policy's Min={p.min_capacity} conflicts "
                                         f"with it, so set MinCapacity to at least {p.ha_min_instances}",
                       resource=t, data=data)
        if not is_known(mx) or nmax is None:
            yield Undecided(("MaxCapacity",), f"{where}: MaxCapacity cannot be determined ({why_unknown(mx)})",
                            resource=t)
        else:
            bad = []
            if nmax > p.max_capacity:
                bad.append(f"the policy wants at most {p.max_capacity}")
            if nmin is not None and nmax <= nmin:
                bad.append(f"it must be greater than MinCapacity {_num(mn)}")
            if bad:
                yield Fail(("MaxCapacity",), f"{where} has MaxCapacity {_num(mx)}; " + " and ".join(bad),
                           resource=t, data=data)
        if not tracking:
            loose = [x for x in ctx.inv.of("ScalingPolicy")
                     if x.meta.file == t.meta.file and not is_known(x.ScalingTargetId if x.ScalingTargetId is not None
                                                                    else x.ResourceId)]
            if policies:
                yield Fail((), f"{where} has only {', '.join(sorted({display(x.PolicyType) for x in policies}))} "
                               f"policies; the policy wants a TargetTrackingScaling policy", resource=t, data=data)
            elif loose and not ctx.inv.complete:
                yield Undecided((), f"{where}: cannot tell whether scaling policy "
                                    f"{', '.join(x.label for x in loose)} is attached to it", resource=t)
            else:
                yield Fail((), f"{where} has no target-tracking scaling policy; the policy wants one at "
                               f"{_num(p.target_value)} on {' / '.join(p.allowed_metrics)}", resource=t, data=data)
            return
        for pol in tracking:
            yield from self._policy(pol, self._facts(t, pol, base, is_async), where)

    @staticmethod
    def _metric(cfg) -> tuple[Any, tuple]:
        """(metric name or Unknown or None, property path)."""
        pre = _get(cfg, "PredefinedMetricSpecification")
        if pre is not None:
            return (_get(pre, "PredefinedMetricType") if is_known(pre) else pre,
                    TT + ("PredefinedMetricSpecification", "PredefinedMetricType"))
        cust = _get(cfg, "CustomizedMetricSpecification")
        if cust is None:
            return None, TT + ("PredefinedMetricSpecification",)
        if not is_known(cust):
            return cust, TT + ("CustomizedMetricSpecification",)
        name = _get(cust, "MetricName")
        if name is None and isinstance(_get(cust, "Metrics"), list):
            for m in _get(cust, "Metrics"):
                if _get(m, "ReturnData") in (None, True, "true"):
                    name = _get(_get(_get(m, "MetricStat"), "Metric"), "MetricName") or name
        return name, TT + ("CustomizedMetricSpecification", "MetricName")

    def _policy(self, pol, data, where):
        p = self.params
        cfg = pol.TargetTrackingScalingPolicyConfiguration
        what = f"scaling policy {pol.label} of {where}"
        if cfg is None or not is_known(cfg):
            if cfg is None:
                yield Fail((), f"{what} has no TargetTrackingScalingPolicyConfiguration", resource=pol, data=data)
            else:
                yield Undecided(TT, f"{what}: configuration cannot be determined ({why_unknown(cfg)})", resource=pol)
            return
        tv = cfg.TargetValue
        if not is_known(tv) or as_number(tv) is None:
            yield Undecided(TT + ("TargetValue",), f"{what}: TargetValue cannot be determined ({why_unknown(tv)})",
                            resource=pol)
        elif as_number(tv) != float(p.target_value):
            yield Fail(TT + ("TargetValue",), f"{what} tracks TargetValue {_num(tv)}; the policy wants "
                                              f"{_num(p.target_value)}", resource=pol, data=data)
        metric, mpath = self._metric(cfg)
        if metric is None:
            yield Fail(mpath, f"{what} names no metric; the policy wants one of {', '.join(p.allowed_metrics)}",
                       resource=pol, data=data)
        elif not is_known(metric):
            yield Undecided(mpath, f"{what}: metric cannot be determined ({why_unknown(metric)})", resource=pol)
        elif metric not in p.allowed_metrics:
            yield Fail(mpath, f"{what} scales on {metric}; the policy wants one of {', '.join(p.allowed_metrics)}",
                       resource=pol, data=data)
        for key, want, word in (("ScaleOutCooldown", p.scale_out_cooldown, "scale-out"),
                                ("ScaleInCooldown", p.scale_in_cooldown, "scale-in")):
            v = getattr(cfg, key)
            if v is None:
                yield Fail(TT + (key,), f"{what} sets no {key} (the service default applies); the policy wants a "
                                        f"{word} cooldown of {want} s", resource=pol, data=data)
            elif not is_known(v) or as_number(v) is None:
                yield Undecided(TT + (key,), f"{what}: {key} cannot be determined ({why_unknown(v)})", resource=pol)
            elif as_number(v) != want:
                yield Fail(TT + (key,), f"{what} has {key} {_num(v)} s; the policy wants {want} s",
                           resource=pol, data=data)
