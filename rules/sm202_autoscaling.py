"""SM202 autoscaling."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from pydantic import Field

from auditor.inventory import COMPONENT_DIMENSION, SAGEMAKER_DIMENSION, alarm_dimension_values, names_resource
from auditor.rulebase import Fail, Note, Rule, RuleParams, Undecided, require, unused_config_unknown
from auditor.values import Unknown, as_number, display, is_known, same, why_unknown
from auditor.values import prop as _get

TT = ("TargetTrackingScalingPolicyConfiguration",)
CMS = TT + ("CustomizedMetricSpecification",)
# where SageMaker publishes a variant's and a component's metrics
VARIANT_NAMESPACES = ("AWS/SageMaker", "/aws/sagemaker/Endpoints")
COMPONENT_NAMESPACES = ("AWS/SageMaker", "/aws/sagemaker/InferenceComponents")
FROM_ZERO_METRIC = "HasBacklogWithoutCapacity"


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


@dataclass
class Scaled:
    """What one scalable target scales: a variant's instances or an
    inference component's copies, and what the policy wants of it."""

    what: str  # "variant Blue" | "inference component chat"
    kind: str  # "variant" | "component": the words of the HA-conflict message
    unit: str  # "instances" | "copies"
    owner: Any  # the Endpoint (variant) or the InferenceComponent: what a customized metric must name
    dimension: str  # the metric dimension naming the owner
    variant: Any  # the variant name a VariantName dimension must name (None: components)
    namespaces: tuple
    base: dict  # finding data
    resource_id: str
    lo: int
    hi: int
    ha: int  # SM201's minimum the floor must not undercut (0: not checked)
    metrics: list
    scale_to_zero: bool  # async: may scale to zero, then HasBacklogWithoutCapacity scales it out


class Autoscaling(Rule):
    """Every production endpoint variant and inference component autoscales within the policy's bounds.

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

    A customized metric counts only when it is this endpoint's: namespace
    `AWS/SageMaker` or `/aws/sagemaker/Endpoints`, an `EndpointName`
    dimension naming this endpoint and, when it has a `VariantName`
    dimension, this variant (for metric math: every metric it reads). A
    `CPUUtilization` of `AWS/EC2` or of another endpoint scales on someone
    else's load.

    **Asynchronous endpoints** may scale to zero: their minimum is
    `async_min_capacity` (0) and the high-availability conflict is not
    raised. They may also track `async_metrics`
    (`ApproximateBacklogSizePerInstance`, customized, namespace
    `AWS/SageMaker`, dimension `EndpointName` = this endpoint); its target is
    a queue length, so it is judged against `async_target_value` only when
    you set one. A target with `MinCapacity: 0` must also have a
    `StepScaling` policy that a CloudWatch alarm on `HasBacklogWithoutCapacity`
    of this endpoint triggers (`AlarmActions` naming the policy): a
    per-instance metric has no value at zero instances, so target tracking
    alone never scales the endpoint out of zero.

    **Inference components** (`AWS::SageMaker::InferenceComponent`): a
    variant that names no model hosts components. Its instances scale
    through `ManagedInstanceScaling` (`Status: ENABLED`, `MinInstanceCount
    >= min_capacity`, `MaxInstanceCount <= max_capacity` and greater than
    the minimum); no variant scalable target is demanded of it. Each
    component's copies scale on a scalable target
    `inference-component/<component name>` with dimension
    `sagemaker:inference-component:DesiredCopyCount`, `MinCapacity >=
    ic_min_copies` (1, and not below `ha_min_instances`), `MaxCapacity <=
    ic_max_copies` (4) and greater than the minimum, and a target-tracking
    policy on one of `ic_allowed_metrics`
    (`SageMakerInferenceComponentInvocationsPerCopy`,
    `SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution`)
    with the cooldowns; a customized metric must name the component
    (`InferenceComponentName`). Its target (invocations or requests per copy)
    is judged against `ic_target_value` only when you set one. Adapter
    components run on their base component's copies and are not checked.

    In a template (the deployment unit) a production variant or component
    without a scalable target fails; a target whose ResourceId cannot be
    tied to any endpoint or component, a capacity from a parameter without a
    default, or a component-hosting variant whose components are not in the
    template gives *unknown*.

    ## Why
    Autoscaling absorbs load peaks without over-provisioning; the cooldowns
    scale out quickly and scale in cautiously. A policy that tracks another
    resource's metric, or an endpoint that can scale to zero with nothing to
    bring it back, does neither.

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
    CopyTarget:
      Type: AWS::ApplicationAutoScaling::ScalableTarget
      Properties:
        ResourceId: !Sub inference-component/${Component.InferenceComponentName}
        ScalableDimension: sagemaker:inference-component:DesiredCopyCount
        ServiceNamespace: sagemaker
        MinCapacity: 2
        MaxCapacity: 4
    ```

    ## Fix
    Add a scalable target per variant with `MinCapacity: 2`, `MaxCapacity: 4`
    and a target-tracking policy on `SageMakerVariantInvocationsPerInstance`
    (or this endpoint's CPU/GPU utilisation) at 70 with cooldowns 60/300.
    For inference components enable `ManagedInstanceScaling` on the variant
    and give each component a copy-count target and a target-tracking policy
    on `SageMakerInferenceComponentInvocationsPerCopy`. For an asynchronous
    endpoint that scales to zero add a `StepScaling` policy and an alarm on
    `HasBacklogWithoutCapacity` (`AlarmActions: [!Ref StepPolicy]`).

    ## Remediation
    `sm-audit remediate --rule SM202` plans `apply-autoscaling`: it registers
    or updates a variant's scalable target and puts the target-tracking
    policy with the configured values (findings carry the endpoint, variant
    and current settings). It leaves variants that host inference components
    alone: their instances scale through `ManagedInstanceScaling` and their
    copies through the components' own targets, which it does not write.
    """

    id = "SM202"
    slug = "autoscaling"
    title = "Production endpoints autoscale within policy bounds"
    level = "error"
    section = "Endpoint Configuration"
    policy = "Autoscaling must be configured for all production endpoints."
    tags = ("availability", "production", "autoscaling")
    targets = ("Endpoint", "EndpointConfig", "InferenceComponent")
    # a config is judged on its own only when no endpoint uses it (then the endpoint carries the verdict)
    reads = {"Endpoint": ("EndpointConfig", "ScalableTarget", "ScalingPolicy", "Alarm", "InferenceComponent"),
             "EndpointConfig": ("Endpoint",),
             "InferenceComponent": ("Endpoint", "EndpointConfig", "ScalableTarget", "ScalingPolicy")}
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
        async_metrics: list[str] = ["ApproximateBacklogSizePerInstance"]
        async_target_value: Optional[float] = Field(None, gt=0)  # a queue length: no default
        ic_min_copies: int = Field(1, ge=0)
        ic_max_copies: int = Field(4, ge=1)
        ic_allowed_metrics: list[str] = ["SageMakerInferenceComponentInvocationsPerCopy",
                                         "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution"]
        ic_target_value: Optional[float] = Field(None, gt=0)  # requests per copy: no default

    def check(self, res, ctx):
        if res.kind == "InferenceComponent":
            yield from self._component(res, ctx)
            return
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
            if v.ModelName is None:  # it hosts inference components
                yield from self._component_variant(res, config, path, v, ctx)
                continue
            yield from self._variant(res, config, path, v, is_async, ctx)

    # -- variants --------------------------------------------------------
    def _variant(self, ep, config, path, v, is_async, ctx):
        p = self.params
        name = v.VariantName
        ep_name = ep.shown_name
        if isinstance(name, Unknown):
            yield Undecided(path + ("VariantName",), f"variant name cannot be determined ({why_unknown(name)}), so "
                                                     f"its scalable target cannot be found", resource=config)
            return
        s = Scaled(what=f"variant {display(name)}", kind="variant", unit="instances", owner=ep,
                   dimension="EndpointName", variant=ctx.inv.deref(name, ep), namespaces=VARIANT_NAMESPACES,
                   base={"endpoint": ep_name, "variant": display(name)},
                   resource_id=f"endpoint/{ep_name}/variant/{display(name)}",
                   lo=p.async_min_capacity if is_async else p.min_capacity, hi=p.max_capacity,
                   ha=0 if is_async else p.ha_min_instances,
                   metrics=p.allowed_metrics + (p.async_metrics if is_async else []), scale_to_zero=is_async)
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
                             f"({s.resource_id}, {SAGEMAKER_DIMENSION}); production endpoints must autoscale",
                       resource=config, data=self._facts(None, None, s))
            return
        for t in targets:
            yield from self._target(t, s, ctx)

    def _component_variant(self, ep, config, path, v, ctx):
        """A variant hosting inference components: its instances scale through
        ManagedInstanceScaling, its components' copies on their own targets."""
        p = self.params
        vname = display(v.VariantName)
        what = f"variant {vname} of endpoint {ep.label} hosts inference components (it names no model)"
        mis, at = v.ManagedInstanceScaling, path + ("ManagedInstanceScaling",)
        data = {"endpoint": ep.shown_name, "variant": vname, "check": "managed-instance-scaling"}
        status = _get(mis, "Status")
        if mis is not None and not is_known(mis):
            yield Undecided(at, f"{what}: ManagedInstanceScaling cannot be determined ({why_unknown(mis)})",
                            resource=config)
        elif status is not None and not is_known(status):
            yield Undecided(at + ("Status",), f"{what}: ManagedInstanceScaling Status cannot be determined "
                                              f"({why_unknown(status)})", resource=config)
        elif status != "ENABLED":
            state = "is not set" if mis is None else f"has Status {display(status)}" if status else "sets no Status"
            yield Fail(path if mis is None else at + (("Status",) if status is not None else ()),
                       f"{what}: its instances scale only through ManagedInstanceScaling, which {state}; the policy "
                       f"wants it ENABLED with MinInstanceCount >= {p.min_capacity} and MaxInstanceCount <= "
                       f"{p.max_capacity} (a variant scalable target does not apply to it)",
                       resource=config, data=data)
        else:
            yield from self._bounds(_get(mis, "MinInstanceCount"), _get(mis, "MaxInstanceCount"),
                                    f"variant {vname} (ManagedInstanceScaling)", p.min_capacity, p.max_capacity,
                                    (at + ("MinInstanceCount",), at + ("MaxInstanceCount",)), config, data)
        comps = [c for c in ctx.inv.components_on(ep)
                 if c.VariantName is None or not is_known(c.VariantName) or same(c.VariantName, v.VariantName)]
        if not comps and not ctx.inv.complete:
            yield Undecided(path, f"{what}, and none of them is in this {config.meta.source_noun}: how their copies "
                                  f"scale cannot be checked here", resource=config)

    # -- inference components ---------------------------------------------
    def _component(self, ic, ctx):
        p = self.params
        go, undecided = ctx.production_gate(ic)
        if undecided:
            yield undecided
        if not go:
            return
        spec = ic.Specification
        if is_known(spec) and _get(spec, "BaseInferenceComponentName") is not None:
            yield Note(("Specification", "BaseInferenceComponentName"),
                       f"inference component {ic.label} is an adapter: it runs on its base component's copies")
            return
        shown = ic.shown_name
        s = Scaled(what=f"inference component {shown}", kind="component", unit="copies", owner=ic,
                   dimension="InferenceComponentName", variant=None, namespaces=COMPONENT_NAMESPACES,
                   base={"component": shown}, resource_id=f"inference-component/{shown}",
                   lo=p.ic_min_copies, hi=p.ic_max_copies, ha=p.ha_min_instances, metrics=p.ic_allowed_metrics,
                   scale_to_zero=False)
        sure, maybe = ctx.inv.component_targets(ic)
        if sure:
            for t in sure:
                yield from self._target(t, s, ctx)
            return
        path = ("RuntimeConfig",) if ic.RuntimeConfig is not None else ()
        if maybe:
            yield Undecided(path, f"inference component {ic.label}: cannot tell whether scalable target "
                                  f"{', '.join(t.label for t in maybe)} scales its copies (ResourceId "
                                  f"{display(maybe[0].ResourceId)})")
            return
        yield Fail(path, f"inference component {ic.label} has no scalable target ({s.resource_id}, "
                         f"{COMPONENT_DIMENSION}); production components must autoscale their copies",
                   data=self._facts(None, None, s))

    # -- one scalable target ---------------------------------------------
    def _wanted(self, s: Scaled) -> dict:
        p = self.params
        return {"min_capacity": max(s.lo, s.ha), "max_capacity": s.hi, "target_value": self._target_value(s, None),
                "metric": s.metrics[0] if s.metrics else None,
                "scale_out_cooldown": p.scale_out_cooldown, "scale_in_cooldown": p.scale_in_cooldown}

    def _target_value(self, s: Scaled, metric: Any) -> Optional[float]:
        """The target the policy wants for a metric (None: any)."""
        p = self.params
        if s.kind == "component":
            return p.ic_target_value
        return p.async_target_value if metric in p.async_metrics else p.target_value

    def _facts(self, t, pol, s: Scaled) -> dict:
        cfg = pol.TargetTrackingScalingPolicyConfiguration if pol is not None else None
        return {**s.base, "resource_id": s.resource_id,
                "min_capacity": _num(t.MinCapacity) if t is not None else None,
                "max_capacity": _num(t.MaxCapacity) if t is not None else None,
                "target_value": as_number(_get(cfg, "TargetValue")), "metric": self._metric(cfg)[0],
                "scale_out_cooldown": _num(_get(cfg, "ScaleOutCooldown")),
                "scale_in_cooldown": _num(_get(cfg, "ScaleInCooldown")), "wanted": self._wanted(s)}

    def _bounds(self, mn, mx, where, lo, hi, paths, res, data, ha: int = 0, s: Optional[Scaled] = None):
        """Min/Max of a scalable target (or of managed instance scaling)."""
        p = self.params
        nmin, nmax = as_number(mn), as_number(mx)
        name_min, name_max = paths[0][-1], paths[1][-1]
        if not is_known(mn) or nmin is None:
            yield Undecided(paths[0], f"{where}: {name_min} cannot be determined "
                                      f"({why_unknown(mn) if mn is not None else 'not set'})", resource=res)
        elif nmin < lo:
            yield Fail(paths[0], f"{where} has {name_min} {_num(mn)}; the policy wants at least {lo}",
                       resource=res, data=data)
        elif ha and nmin < ha:
            yield Fail(paths[0], f"{where} has {name_min} {_num(mn)}: autoscaling may scale the {s.kind} below the "
                                 f"{ha} {s.unit} the high-availability policy (SM201) requires; the autoscaling "
                                 f"policy's Min={lo} conflicts with "
                                 f"it, so set {name_min} to at least {ha}", resource=res, data=data)
        if mx is None and name_max == "MaxInstanceCount":
            yield Fail(paths[1], f"{where} sets no {name_max}; the policy wants at most {hi}", resource=res,
                       data=data)
        elif not is_known(mx) or nmax is None:
            yield Undecided(paths[1], f"{where}: {name_max} cannot be determined "
                                      f"({why_unknown(mx) if mx is not None else 'not set'})", resource=res)
        else:
            bad = []
            if nmax > hi:
                bad.append(f"the policy wants at most {hi}")
            if nmin is not None and nmax <= nmin:
                bad.append(f"it must be greater than {name_min} {_num(mn)}")
            if bad:
                yield Fail(paths[1], f"{where} has {name_max} {_num(mx)}; " + " and ".join(bad),
                           resource=res, data=data)

    def _target(self, t, s: Scaled, ctx):
        p = self.params
        policies = ctx.inv.policies_for(t)
        tracking = [x for x in policies if not (is_known(x.PolicyType) and x.PolicyType != "TargetTrackingScaling")]
        data = self._facts(t, tracking[0] if tracking else None, s)
        label = t.meta.logical_id or (t.ResourceId if isinstance(t.ResourceId, str) else t.label)
        where = f"scalable target {label} ({s.what})"
        yield from self._bounds(t.MinCapacity, t.MaxCapacity, where, s.lo, s.hi, (("MinCapacity",), ("MaxCapacity",)),
                                t, data, ha=s.ha, s=s)
        if s.scale_to_zero and is_known(t.MinCapacity) and as_number(t.MinCapacity) == 0:
            yield from self._from_zero(t, policies, s, where, data, ctx)
        if not tracking:
            loose = [x for x in ctx.inv.of("ScalingPolicy")
                     if x.meta.file == t.meta.file and not is_known(x.ScalingTargetId if x.ScalingTargetId is not None
                                                                    else x.ResourceId)]
            tv = self._target_value(s, None)
            if policies:
                yield Fail((), f"{where} has only {', '.join(sorted({display(x.PolicyType) for x in policies}))} "
                               f"policies; the policy wants a TargetTrackingScaling policy", resource=t, data=data)
            elif loose and not ctx.inv.complete:
                yield Undecided((), f"{where}: cannot tell whether scaling policy "
                                    f"{', '.join(x.label for x in loose)} is attached to it", resource=t)
            else:
                at = f" at {_num(tv)}" if tv is not None else ""
                yield Fail((), f"{where} has no target-tracking scaling policy; the policy wants one{at} on "
                               f"{' / '.join(s.metrics)}", resource=t, data=data)
            return
        for pol in tracking:
            yield from self._policy(pol, self._facts(t, pol, s), where, s, ctx)

    def _from_zero(self, t, policies, s: Scaled, where: str, data: dict, ctx):
        """An async target at MinCapacity 0 needs a step-scaling policy that a
        HasBacklogWithoutCapacity alarm of this endpoint triggers."""
        unsure = []
        for pol in policies:
            if is_known(pol.PolicyType) and pol.PolicyType != "StepScaling":
                continue
            sure, maybe = ctx.inv.alarms_triggering(pol)
            for a, certain in [(a, True) for a in sure] + [(a, False) for a in maybe]:
                ok = self._backlog_alarm(a, s.owner, ctx)
                if ok is True and certain and pol.PolicyType == "StepScaling":
                    return
                if ok is not False:
                    unsure.append(f"alarm {a.label} and policy {pol.label}")
        ep = s.owner.shown_name
        if unsure:
            yield Undecided(("MinCapacity",), f"{where} may scale to zero; cannot tell whether "
                                              f"{', '.join(unsure)} scale it out of zero on {FROM_ZERO_METRIC} of "
                                              f"endpoint {ep}", resource=t)
            return
        yield Fail(("MinCapacity",), f"{where} may scale to zero (MinCapacity 0), but no StepScaling policy "
                                     f"triggered by an alarm on {FROM_ZERO_METRIC} of endpoint {ep} scales it out "
                                     f"again: requests would wait in the queue with no instance to serve them",
                   resource=t, data={**data, "check": "scale-from-zero"})

    @staticmethod
    def _backlog_alarm(alarm, endpoint, ctx) -> Optional[bool]:
        """Does the alarm watch this endpoint's HasBacklogWithoutCapacity? (None: cannot tell)"""
        names = [alarm.MetricName] + [_get(_get(_get(m, "MetricStat"), "Metric"), "MetricName")
                                      for m in (alarm.Metrics if isinstance(alarm.Metrics, list) else [])]
        if FROM_ZERO_METRIC not in names:
            return None if any(n is not None and not is_known(n) for n in names) else False
        found = [names_resource(ctx.inv.deref(v, alarm), endpoint)
                 for v in alarm_dimension_values(alarm, ("EndpointName",))]
        if True in found:
            return True
        return None if None in found or not is_known(alarm.Dimensions) else False

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
            return cust, CMS
        name = _get(cust, "MetricName")
        if name is None and isinstance(_get(cust, "Metrics"), list):
            for m in _get(cust, "Metrics"):
                if _get(m, "ReturnData") in (None, True, "true"):
                    name = _get(_get(_get(m, "MetricStat"), "Metric"), "MetricName") or name
        return name, CMS + ("MetricName",)

    def _owned(self, cust, s: Scaled, ctx) -> tuple[Optional[bool], tuple, str]:
        """Is a customized metric this endpoint's (variant) or component's?
        (True | False | None for cannot tell, the path, what is wrong)."""
        if _get(cust, "MetricName") is not None or not isinstance(_get(cust, "Metrics"), list):
            reads = [(CMS, cust)]
        else:
            reads = [(CMS + ("Metrics", i, "MetricStat", "Metric"), _get(_get(m, "MetricStat"), "Metric"))
                     for i, m in enumerate(_get(cust, "Metrics")) if _get(m, "MetricStat") is not None]
        unsure = None
        for path, m in reads:
            ns, dims = _get(m, "Namespace"), _get(m, "Dimensions")
            blur = next((x for x in (m, ns, dims) if not is_known(x)), None)
            if blur is not None:
                unsure = unsure or (path, f"cannot be determined ({why_unknown(blur)})")
                continue
            if ns not in s.namespaces:
                return False, path + ("Namespace",), f"is published in namespace {display(ns)}, not in " \
                                                     f"{' or '.join(s.namespaces)}"
            values = {d.get("Name"): d.get("Value") for d in dims if isinstance(d, dict)} if isinstance(
                dims, list) else {}
            if s.dimension not in values:
                return False, path + ("Dimensions",), f"has no {s.dimension} dimension"
            named = names_resource(ctx.inv.deref(values[s.dimension], s.owner), s.owner)
            if named is False:
                return False, path + ("Dimensions",), f"has {s.dimension} {display(values[s.dimension])}"
            if named is None:
                unsure = unsure or (path + ("Dimensions",), f"names {s.dimension} {display(values[s.dimension])}, "
                                                            f"which cannot be told apart from it")
            if s.variant is not None and "VariantName" in values:
                var = ctx.inv.deref(values["VariantName"], s.owner)
                if is_known(var) and is_known(s.variant) and not same(var, s.variant):
                    return False, path + ("Dimensions",), f"has VariantName {display(var)}"
        if unsure:
            return None, unsure[0], unsure[1]
        return True, CMS, ""

    def _policy(self, pol, data, where, s: Scaled, ctx):
        p = self.params
        cfg = pol.TargetTrackingScalingPolicyConfiguration
        what = f"scaling policy {pol.label} of {where}"
        if cfg is None or not is_known(cfg):
            if cfg is None:
                yield Fail((), f"{what} has no TargetTrackingScalingPolicyConfiguration", resource=pol, data=data)
            else:
                yield Undecided(TT, f"{what}: configuration cannot be determined ({why_unknown(cfg)})", resource=pol)
            return
        metric, mpath = self._metric(cfg)
        want = self._target_value(s, metric)
        tv = cfg.TargetValue
        if want is None:
            pass  # the policy sets no number for this metric's target
        elif not is_known(tv) or as_number(tv) is None:
            yield Undecided(TT + ("TargetValue",), f"{what}: TargetValue cannot be determined ({why_unknown(tv)})",
                            resource=pol)
        elif as_number(tv) != float(want):
            yield Fail(TT + ("TargetValue",), f"{what} tracks TargetValue {_num(tv)}; the policy wants "
                                              f"{_num(want)}", resource=pol, data=data)
        if metric is None:
            yield Fail(mpath, f"{what} names no metric; the policy wants one of {', '.join(s.metrics)}",
                       resource=pol, data=data)
        elif not is_known(metric):
            yield Undecided(mpath, f"{what}: metric cannot be determined ({why_unknown(metric)})", resource=pol)
        elif metric not in s.metrics:
            yield Fail(mpath, f"{what} scales on {metric}; the policy wants one of {', '.join(s.metrics)}",
                       resource=pol, data=data)
        elif cfg.CustomizedMetricSpecification is not None:
            owned, path, why = self._owned(cfg.CustomizedMetricSpecification, s, ctx)
            owner = f"{'endpoint ' + s.owner.shown_name if s.kind == 'variant' else s.what}"
            if owned is False:
                yield Fail(path, f"{what} scales on a customized {metric} that {why}; a customized metric "
                                 f"counts only when its {s.dimension} dimension names {owner}", resource=pol,
                           data=data)
            elif owned is None:
                yield Undecided(path, f"{what}: whether its customized {metric} is {owner}'s {why}",
                                resource=pol)
        for key, want_s, word in (("ScaleOutCooldown", p.scale_out_cooldown, "scale-out"),
                                  ("ScaleInCooldown", p.scale_in_cooldown, "scale-in")):
            v = getattr(cfg, key)
            if v is None:
                yield Fail(TT + (key,), f"{what} sets no {key} (the service default applies); the policy wants a "
                                        f"{word} cooldown of {want_s} s", resource=pol, data=data)
            elif not is_known(v) or as_number(v) is None:
                yield Undecided(TT + (key,), f"{what}: {key} cannot be determined ({why_unknown(v)})", resource=pol)
            elif as_number(v) != want_s:
                yield Fail(TT + (key,), f"{what} has {key} {_num(v)} s; the policy wants {want_s} s",
                           resource=pol, data=data)
