"""apply-autoscaling (SM202): register the variant's scalable target and a
target-tracking policy with the policy's numbers. Never lowers a MinCapacity
below SM201's HA minimum."""

from __future__ import annotations

from typing import Any, Optional

from pydantic import Field, model_validator

from .. import aws
from ..base import Action, ActionOptions, Change, Context, Skip, Target, action

PREDEFINED = {"SageMakerVariantInvocationsPerInstance"}
ENDPOINT_METRICS = {"CPUUtilization", "GPUUtilization", "MemoryUtilization", "GPUMemoryUtilization"}


class Options(ActionOptions):
    min_capacity: int = Field(1, ge=0)
    max_capacity: int = Field(4, ge=1)
    target_value: float = Field(70.0, gt=0)
    metric: str = "SageMakerVariantInvocationsPerInstance"
    allowed_metrics: list[str] = ["SageMakerVariantInvocationsPerInstance", "CPUUtilization", "GPUUtilization"]
    scale_out_cooldown: int = Field(60, ge=0)
    scale_in_cooldown: int = Field(300, ge=0)
    ha_min: int = Field(2, ge=0)  # SM201's min_instances: MinCapacity never goes below it
    policy_name: str = "sm-audit-target-tracking"

    @model_validator(mode="after")
    def _coherent(self) -> "Options":
        if self.max_capacity <= max(self.min_capacity, self.ha_min):
            raise ValueError(f"max_capacity {self.max_capacity} must exceed the minimum "
                             f"{max(self.min_capacity, self.ha_min)} (min_capacity, or SM201's HA minimum)")
        if self.metric not in self.allowed_metrics:
            raise ValueError(f"metric {self.metric} is not one of allowed_metrics")
        if self.metric not in PREDEFINED | ENDPOINT_METRICS:
            raise ValueError(f"metric {self.metric}: use {sorted(PREDEFINED | ENDPOINT_METRICS)}")
        return self


def metric_name(cfg: dict[str, Any]) -> Optional[str]:
    pre = cfg.get("PredefinedMetricSpecification") or {}
    if pre.get("PredefinedMetricType"):
        return pre["PredefinedMetricType"]
    cust = cfg.get("CustomizedMetricSpecification") or {}
    return cust.get("MetricName")


def metric_spec(metric: str, endpoint: str, variant: str) -> dict[str, Any]:
    if metric in PREDEFINED:
        return {"PredefinedMetricSpecification": {"PredefinedMetricType": metric}}
    # utilisation metrics are published per variant in this namespace (percent)
    return {"CustomizedMetricSpecification": {
        "MetricName": metric, "Namespace": "/aws/sagemaker/Endpoints",
        "Dimensions": [{"Name": "EndpointName", "Value": endpoint}, {"Name": "VariantName", "Value": variant}],
        "Statistic": "Average", "Unit": "Percent"}}


def _compliant(cfg: dict[str, Any], o: Options) -> bool:
    return (metric_name(cfg) in o.allowed_metrics
            and float(cfg.get("TargetValue", -1)) == float(o.target_value)
            and cfg.get("ScaleOutCooldown") == o.scale_out_cooldown
            and cfg.get("ScaleInCooldown") == o.scale_in_cooldown)


def desired(scaling: dict[str, Any], o: Options, endpoint: str, variant: str, instances: Optional[int] = None,
            may_add: bool = True) -> tuple[dict, list[str]]:
    """The scaling the policy wants, keeping whatever already complies.

    A MinCapacity above the variant's running ``instances`` makes Application
    Auto Scaling add instances at once: without ``may_add`` (the endpoint
    named with --endpoint) MinCapacity stays at what runs now, and the HA gap
    is left to SM201."""
    t = scaling.get("ScalableTarget")
    want_min = max(o.min_capacity, o.ha_min)
    cur_min = t.get("MinCapacity") if t else None
    cur_max = t.get("MaxCapacity") if t else None
    new_min = want_min if cur_min is None else max(want_min, min(cur_min, o.max_capacity - 1))
    reasons = []
    floor = max(instances or 0, cur_min or 0, 1)
    held = not may_add and instances is not None and new_min > floor
    if held:
        new_min = floor
    new_max = cur_max if cur_max is not None and new_min < cur_max <= o.max_capacity else o.max_capacity
    if t is None:
        reasons.append("no scalable target is registered")
    else:
        if new_min != cur_min:
            reasons.append(f"MinCapacity {cur_min} -> {new_min} (policy min {o.min_capacity}, "
                           f"HA minimum {o.ha_min}, below max {o.max_capacity})")
        if new_max != cur_max:
            reasons.append(f"MaxCapacity {cur_max} -> {new_max} (policy max {o.max_capacity}, above MinCapacity)")
    if held:
        reasons.append(f"MinCapacity {new_min}, the instances running now, not the HA minimum {want_min}: "
                       f"a higher MinCapacity adds instances (cost). The HA gap (SM201) remains; name the "
                       f"endpoint with --endpoint {endpoint} to raise it")
    target = {"ResourceId": scaling["ResourceId"], "ScalableDimension": aws.DIMENSION,
              "MinCapacity": new_min, "MaxCapacity": new_max}
    if t and t.get("SuspendedState"):
        target["SuspendedState"] = t["SuspendedState"]

    tracking = [p for p in scaling.get("Policies", []) if p.get("PolicyType") == "TargetTrackingScaling"]
    policies = list(scaling.get("Policies", []))
    if not any(_compliant(p.get("TargetTrackingScalingPolicyConfiguration") or {}, o) for p in tracking):
        if tracking:  # correct the existing policy in place rather than add a competing one
            old = tracking[0]
            cfg = dict(old.get("TargetTrackingScalingPolicyConfiguration") or {})
            name = old["PolicyName"]
            if metric_name(cfg) not in o.allowed_metrics:
                cfg.pop("PredefinedMetricSpecification", None)
                cfg.pop("CustomizedMetricSpecification", None)
                cfg.update(metric_spec(o.metric, endpoint, variant))
            reasons.append(f"target-tracking policy {name} is {_describe(old)}; "
                           f"the policy wants {_want(o, metric_name(cfg))}")
        else:
            cfg = metric_spec(o.metric, endpoint, variant)
            name = o.policy_name
            reasons.append(f"no target-tracking policy; the policy wants {_want(o, o.metric)}")
        cfg.update({"TargetValue": float(o.target_value), "ScaleOutCooldown": o.scale_out_cooldown,
                    "ScaleInCooldown": o.scale_in_cooldown})
        new = {"PolicyName": name, "PolicyType": "TargetTrackingScaling",
               "TargetTrackingScalingPolicyConfiguration": cfg}
        policies = [p for p in policies if p["PolicyName"] != name] + [new]
    policies.sort(key=lambda p: p["PolicyName"])
    return {"ResourceId": scaling["ResourceId"], "ScalableTarget": target, "Policies": policies}, reasons


def _describe(p: dict[str, Any]) -> str:
    c = p.get("TargetTrackingScalingPolicyConfiguration") or {}
    return (f"{metric_name(c)} at {c.get('TargetValue')}, cooldowns out {c.get('ScaleOutCooldown')} s / "
            f"in {c.get('ScaleInCooldown')} s")


def _want(o: Options, metric: Optional[str]) -> str:
    return (f"{metric} at {o.target_value:g}, cooldowns out {o.scale_out_cooldown} s / in {o.scale_in_cooldown} s")


@action
class ApplyAutoscaling(Action):
    name = "apply-autoscaling"
    rules = ("SM202",)
    description = "Register each production variant's scalable target and target-tracking policy."
    permissions = (
        "sagemaker:DescribeEndpoint",
        "application-autoscaling:DescribeScalableTargets",
        "application-autoscaling:DescribeScalingPolicies",
        "application-autoscaling:RegisterScalableTarget",
        "application-autoscaling:PutScalingPolicy",
        "application-autoscaling:DeleteScalingPolicy",
        "application-autoscaling:DeregisterScalableTarget",
        # AWS checks these on the caller when it registers a SageMaker variant
        # and creates the target-tracking alarms (not called by sm-audit itself)
        "sagemaker:DescribeEndpointConfig",
        "sagemaker:UpdateEndpointWeightsAndCapacities",
        "cloudwatch:PutMetricAlarm",
        "cloudwatch:DescribeAlarms",
        "cloudwatch:DeleteAlarms",
        "iam:CreateServiceLinkedRole",
    )
    order = 20
    Options = Options
    variant_level = True

    @classmethod
    def before_model(cls, step: str):
        return aws.ScalingRecord

    @classmethod
    def defaults_from_rules(cls, params: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        p202, p201 = params.get("SM202"), params.get("SM201")
        names = {"min_capacity": ("min_capacity", "min"), "max_capacity": ("max_capacity", "max"),
                 "target_value": ("target_value", "target"), "allowed_metrics": ("allowed_metrics", "metrics"),
                 "scale_out_cooldown": ("scale_out_cooldown",), "scale_in_cooldown": ("scale_in_cooldown",)}
        for opt, candidates in names.items():
            for c in candidates:
                if p202 is not None and hasattr(p202, c):
                    out[opt] = getattr(p202, c)
                    break
        if p201 is not None and hasattr(p201, "min_instances"):
            out["ha_min"] = p201.min_instances
        elif p202 is not None and getattr(p202, "ha_min_instances", None):
            out["ha_min"] = p202.ha_min_instances
        if "allowed_metrics" in out and out["allowed_metrics"]:
            allowed = list(out["allowed_metrics"])
            out["metric"] = Options().metric if Options().metric in allowed else allowed[0]
        return out

    def plan(self, ctx: Context, targets: list[Target]):
        o: Options = ctx.opts(self)
        for t in targets:
            sm = ctx.clients.sm(t.account, t.region)
            ep = aws.describe_endpoint(sm, t.endpoint)
            why = self.state_problem(ep)
            if why:
                yield Skip(self.name, t.endpoint, t.account, t.region, why)
                continue
            aas = ctx.clients.aas(t.account, t.region)
            hosting = aws.component_variants(sm, ep)
            for row in aws.variant_rows(ep):
                v = row["VariantName"]
                if t.variant and v != t.variant:
                    continue
                if row["Serverless"]:
                    continue  # serverless variants scale on concurrency, not instances
                if v in hosting:
                    yield Skip(self.name, f"{t.endpoint}/{v}", t.account, t.region,
                               "the variant hosts inference components: its instances scale through "
                               "ManagedInstanceScaling and its copies on each component's own scalable target "
                               "(inference-component/<name>), which this action does not write; a variant "
                               "scalable target does not apply to it")
                    continue
                before = aws.variant_scaling(aas, t.endpoint, v)
                after, reasons = desired(before, o, t.endpoint, v, instances=row["Instances"],
                                         may_add=ctx.may_add_instances(t.endpoint))
                if after == before:
                    continue
                yield Change(action=self.name, kind="scaling", resource=ep["EndpointArn"],
                             name=f"{t.endpoint}/{v}", account=t.account, region=t.region,
                             before=before, after=after, rules=t.rules or list(self.rules),
                             why=f"SM202: variant {v}: " + "; ".join(reasons))

    def _variant(self, change: Change) -> tuple[str, str]:
        ep, var = change.name.rsplit("/", 1)
        return ep, var

    def snapshot(self, ctx: Context, change: Change) -> dict[str, Any]:
        ep, var = self._variant(change)
        return aws.variant_scaling(ctx.clients.aas(change.account, change.region), ep, var)

    def precheck(self, ctx: Context, change: Change, current: dict[str, Any]) -> Optional[str]:
        ep, _ = self._variant(change)
        return self.state_problem(aws.describe_endpoint(ctx.clients.sm(change.account, change.region), ep))

    def apply(self, ctx: Context, change: Change, current: dict[str, Any]) -> dict[str, Any]:
        aas = ctx.clients.aas(change.account, change.region)
        after = change.after
        if after["ScalableTarget"] != current.get("ScalableTarget"):
            aws.put_scaling(aas, {"ScalableTarget": after["ScalableTarget"], "Policies": []})
        have = {p["PolicyName"]: p for p in current.get("Policies", [])}
        for p in after["Policies"]:
            if have.get(p["PolicyName"]) != p:
                aws.put_policy(aas, after["ResourceId"], p)
        return after

    def undo(self, ctx: Context, change: Change) -> str:
        aas = ctx.clients.aas(change.account, change.region)
        before = change.before
        now = self.snapshot(ctx, change)
        if now == before:
            return "already as before"
        rid = before["ResourceId"]
        if before.get("ScalableTarget") is None:
            aws.deregister(aas, rid, [p["PolicyName"] for p in now.get("Policies", [])])
            return f"deregistered the scalable target {rid} sm-audit added"
        done = []
        if now.get("ScalableTarget") != before["ScalableTarget"]:
            aws.put_scaling(aas, {"ScalableTarget": before["ScalableTarget"], "Policies": []})
            t = before["ScalableTarget"]
            done.append(f"MinCapacity {t['MinCapacity']}, MaxCapacity {t['MaxCapacity']}")
        was = {p["PolicyName"]: p for p in before.get("Policies", [])}
        cur = {p["PolicyName"]: p for p in now.get("Policies", [])}
        for name in sorted(set(cur) - set(was)):
            aas.delete_scaling_policy(PolicyName=name, ServiceNamespace=aws.NAMESPACE, ResourceId=rid,
                                      ScalableDimension=aws.DIMENSION)
            done.append(f"deleted policy {name}")
        for name, p in sorted(was.items()):
            if cur.get(name) != p:
                aws.put_policy(aas, rid, p)
                done.append(f"put back policy {name}")
        return "restored " + "; ".join(done)
