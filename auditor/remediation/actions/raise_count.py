"""raise-instance-count (SM201): plan only, unless the user opts the endpoint
in by naming it with ``--endpoint``. More instances cost money every hour, so
the tool never decides that alone. A finding about an inference component's
copies raises the component's copy count (UpdateInferenceComponentRuntimeConfig),
under the same opt-in: more copies may need more instances."""

from __future__ import annotations

from typing import Any, Optional

from pydantic import Field

from .. import aws
from ..base import Action, ActionOptions, Change, Context, Record, Skip, Target, action


class Options(ActionOptions):
    min_instances: int = Field(2, ge=1)
    opted_in: list[str] = []  # endpoints the user named: only these are applied


class Before(Record):
    VariantName: str
    Instances: int


class CopiesBefore(Record):
    InferenceComponentName: str
    Copies: int


@action
class RaiseInstanceCount(Action):
    name = "raise-instance-count"
    rules = ("SM201",)
    description = "Raise a production variant's instance count to the HA minimum (opt-in per endpoint)."
    permissions = (
        "sagemaker:DescribeEndpoint",
        "application-autoscaling:DescribeScalableTargets",
        "application-autoscaling:DescribeScalingPolicies",
        "sagemaker:UpdateEndpointWeightsAndCapacities",
        "sagemaker:DescribeInferenceComponent",
        "sagemaker:UpdateInferenceComponentRuntimeConfig",
    )
    order = 30
    Options = Options
    variant_level = True

    @classmethod
    def before_model(cls, step: str):
        return CopiesBefore if step == "copies" else Before

    @classmethod
    def defaults_from_rules(cls, params: dict[str, Any]) -> dict[str, Any]:
        p = params.get("SM201")
        return {"min_instances": p.min_instances} if p is not None and hasattr(p, "min_instances") else {}

    def plan(self, ctx: Context, targets: list[Target]):
        o: Options = ctx.opts(self)
        for t in targets:
            sm = ctx.clients.sm(t.account, t.region)
            ep = aws.describe_endpoint(sm, t.endpoint)
            why = self.state_problem(ep)
            if why:
                yield Skip(self.name, t.endpoint, t.account, t.region, why)
                continue
            copies = [f for f in t.findings if f.rule == "SM201" and isinstance((f.data or {}).get("component"), str)]
            yield from self._copies(ctx, t, copies)
            if copies and len(copies) == len(t.findings):
                continue  # only the components' copies were found short, not the variants
            for r in aws.variant_rows(ep):
                v = r["VariantName"]
                if (t.variant and v != t.variant) or r["Serverless"] or r["Instances"] is None:
                    continue
                if r["Instances"] >= o.min_instances:
                    continue
                scaling = aws.variant_scaling(ctx.clients.aas(t.account, t.region), t.endpoint, v)
                why = (f"SM201: variant {v} runs on {r['Instances']} instance(s); production needs at least "
                       f"{o.min_instances}")
                st = scaling["ScalableTarget"]
                if st and st["MinCapacity"] < o.min_instances:
                    why += (f". Its autoscaling MinCapacity is {st['MinCapacity']} and may scale it back: "
                            "apply-autoscaling (SM202) raises MinCapacity to the HA minimum")
                opted = ctx.may_add_instances(t.endpoint)
                yield Change(action=self.name, kind="instances", resource=ep["EndpointArn"],
                             name=f"{t.endpoint}/{v}", account=t.account, region=t.region,
                             before={"VariantName": v, "Instances": r["Instances"]},
                             after={"VariantName": v, "Instances": o.min_instances}, why=why,
                             rules=t.rules or list(self.rules),
                             plan_only=None if opted else
                             f"plan only: more instances cost money; name the endpoint with --endpoint {t.endpoint} to apply")

    def _copies(self, ctx: Context, t: Target, findings: list):
        o: Options = ctx.opts(self)
        sm = ctx.clients.sm(t.account, t.region)
        for name in sorted({f.data["component"] for f in findings}):
            ic = aws.describe_inference_component(sm, name)
            if ic is None:
                yield Skip(self.name, f"{t.endpoint}/{name}", t.account, t.region,
                           f"inference component {name} no longer exists")
                continue
            n = _copies_of(ic)
            if n is None or n >= o.min_instances:
                continue
            opted = ctx.may_add_instances(t.endpoint)
            yield Change(action=self.name, kind="copies", resource=ic["InferenceComponentArn"],
                         name=f"{t.endpoint}/{name}", account=t.account, region=t.region,
                         before={"InferenceComponentName": name, "Copies": n},
                         after={"InferenceComponentName": name, "Copies": o.min_instances},
                         why=(f"SM201: inference component {name} runs {n} copy(ies); production needs at least "
                              f"{o.min_instances}. More copies may need more instances (managed instance scaling "
                              f"adds them)"),
                         rules=t.rules or list(self.rules),
                         plan_only=None if opted else
                         f"plan only: more copies cost money; name the endpoint with --endpoint {t.endpoint} to apply")

    def _split(self, change: Change) -> tuple[str, str]:
        ep, var = change.name.rsplit("/", 1)
        return ep, var

    def snapshot(self, ctx: Context, change: Change) -> dict[str, Any]:
        name, var = self._split(change)
        if change.kind == "copies":
            ic = aws.describe_inference_component(ctx.clients.sm(change.account, change.region), var)
            return {"InferenceComponentName": var, "Copies": _copies_of(ic) if ic else None}
        ep = aws.describe_endpoint(ctx.clients.sm(change.account, change.region), name)
        row = next((r for r in aws.variant_rows(ep or {}) if r["VariantName"] == var), None)
        return {"VariantName": var, "Instances": row["Instances"] if row else None}

    def precheck(self, ctx: Context, change: Change, current: dict[str, Any]) -> Optional[str]:
        name, _ = self._split(change)
        return self.state_problem(aws.describe_endpoint(ctx.clients.sm(change.account, change.region), name))

    def _set(self, ctx: Context, change: Change, count: int) -> None:
        name, var = self._split(change)
        sm = ctx.clients.sm(change.account, change.region)
        ep = aws.describe_endpoint(sm, name)
        weights = {r["VariantName"]: r["Weight"] for r in aws.variant_rows(ep)}
        sm.update_endpoint_weights_and_capacities(EndpointName=name, DesiredWeightsAndCapacities=[
            {"VariantName": var, "DesiredWeight": float(weights[var]), "DesiredInstanceCount": int(count)}])

    def _set_copies(self, ctx: Context, change: Change, count: int) -> None:
        ctx.clients.sm(change.account, change.region).update_inference_component_runtime_config(
            InferenceComponentName=change.before["InferenceComponentName"], DesiredRuntimeConfig={"CopyCount": count})

    def apply(self, ctx: Context, change: Change, current: dict[str, Any]) -> dict[str, Any]:
        if change.kind == "copies":
            self._set_copies(ctx, change, change.after["Copies"])
        else:
            self._set(ctx, change, change.after["Instances"])
        return change.after

    def undo(self, ctx: Context, change: Change) -> str:
        now = self.snapshot(ctx, change)
        if change.kind == "copies":
            if now["Copies"] is None:
                raise RuntimeError(f"inference component {now['InferenceComponentName']} no longer exists")
            if now["Copies"] == change.before["Copies"]:
                return "already as before"
            self._set_copies(ctx, change, change.before["Copies"])
            return f"copy count back to {change.before['Copies']}"
        if now["Instances"] is None:
            raise RuntimeError(f"{change.name} no longer exists")
        if now["Instances"] == change.before["Instances"]:
            return "already as before"
        self._set(ctx, change, change.before["Instances"])
        return f"instance count back to {change.before['Instances']}"


def _copies_of(ic: dict[str, Any]) -> Optional[int]:
    rc = ic.get("RuntimeConfig") or {}
    return rc.get("CurrentCopyCount", rc.get("DesiredCopyCount"))
