"""stop-idle-endpoints (SM502). SageMaker has no stopped state: stopping is
deleting the endpoint after the journal holds everything needed to recreate
it (config name, tags, autoscaling). The endpoint config and the model are
never deleted. Production endpoints designated always-on (SM502's exception,
one definition in ``auditor.classify``), endpoints younger than the idle
window and endpoints not InService are never touched; idleness and the
always-on tag are re-read right before acting."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Optional

from pydantic import Field

from ...classify import always_on_designation, always_on_exempts
from .. import aws
from ..base import Action, ActionOptions, Change, Context, Record, Skip, Target, action

DELETED = "(deleted; endpoint config and model kept)"


class Options(ActionOptions):
    idle_hours: float = Field(24.0, gt=0)
    # SM502's designation (its always_on_tags and always_on_false_values are copied in)
    always_on_tags: list[str] = ["always-on", "sm-audit:always-on", "AlwaysOn"]
    always_on_false_values: list[str] = ["false", "no", "0", "off", "disabled"]
    wait_delay: int = Field(30, ge=0)  # seconds between DescribeEndpoint polls when recreating
    wait_attempts: int = Field(120, ge=1)


def _parse_time(v: Any) -> Optional[datetime]:
    if isinstance(v, datetime):
        return v if v.tzinfo else v.replace(tzinfo=timezone.utc)
    if isinstance(v, str):
        try:
            t = datetime.fromisoformat(v.replace("Z", "+00:00"))
        except ValueError:
            return None
        return t if t.tzinfo else t.replace(tzinfo=timezone.utc)
    return None


class VariantRecord(Record):
    VariantName: str
    Scaling: aws.ScalingRecord


class Before(Record):
    EndpointName: str
    EndpointConfigName: str
    Tags: dict[str, str] = {}
    Variants: list[VariantRecord] = []
    Production: Optional[bool] = None  # SM502's classification in the audit (None: not known)


@action
class StopIdleEndpoints(Action):
    name = "stop-idle-endpoints"
    rules = ("SM502",)
    description = "Delete idle endpoints after journaling how to recreate them (config and model are kept)."
    permissions = (
        "sagemaker:DescribeEndpoint",
        "sagemaker:ListTags",
        "cloudwatch:GetMetricStatistics",
        "application-autoscaling:DescribeScalableTargets",
        "application-autoscaling:DescribeScalingPolicies",
        "application-autoscaling:DeleteScalingPolicy",
        "application-autoscaling:DeregisterScalableTarget",
        "sagemaker:DeleteEndpoint",
        # restore
        "sagemaker:DescribeEndpointConfig",
        "sagemaker:CreateEndpoint",
        "sagemaker:AddTags",
        "application-autoscaling:RegisterScalableTarget",
        "application-autoscaling:PutScalingPolicy",
    )
    order = 90
    exclusive = True
    Options = Options

    @classmethod
    def before_model(cls, step: str):
        return Before

    @classmethod
    def defaults_from_rules(cls, params: dict[str, Any]) -> dict[str, Any]:
        p = params.get("SM502")
        out: dict[str, Any] = {}
        if p is None:
            return out
        for c in ("idle_hours", "window_hours", "hours"):
            if hasattr(p, c):
                out["idle_hours"] = float(getattr(p, c))
                break
        for c in ("always_on_tags", "always_on_false_values"):
            if hasattr(p, c):
                out[c] = list(getattr(p, c))
        return out

    # -- what protects an endpoint ------------------------------------
    def protection(self, ctx: Context, state: dict[str, Any]) -> Optional[str]:
        o: Options = ctx.opts(self)
        why = self.state_problem(state)
        if why:
            return why
        tag = always_on_designation(state["Tags"].get, o.always_on_tags, o.always_on_false_values)
        if always_on_exempts(tag, state.get("Production")):
            return f"always-on: tag {tag} on a production endpoint (SM502's exception)"
        if tag is not None and state.get("Production") is None:
            # SM502 reports it, but a deletion needs the exception to surely not apply
            return f"always-on: tag {tag}, and whether the endpoint is production is not known"
        created = _parse_time(state.get("CreationTime"))
        if created is None:
            return "creation time unknown: cannot tell it is older than the idle window"
        age = ctx.now - created
        if age < timedelta(hours=o.idle_hours):
            return (f"created {age.total_seconds() / 3600:.1f} h ago, younger than the "
                    f"{o.idle_hours:g} h idle window")
        return None

    def _idle(self, ctx: Context, account: str, region: str, state: dict[str, Any]) -> Optional[str]:
        o: Options = ctx.opts(self)
        cw = ctx.clients.cw(account, region)
        variants = [v["VariantName"] for v in state.get("Variants", [])]
        n = aws.invocations(cw, state["EndpointName"], variants, ctx.now - timedelta(hours=o.idle_hours), ctx.now)
        if n > 0:
            return f"{n:g} invocation(s) in the last {o.idle_hours:g} h: not idle"
        return None

    def _state(self, ctx: Context, account: str, region: str, name: str) -> dict[str, Any]:
        sm = ctx.clients.sm(account, region)
        ep = aws.describe_endpoint(sm, name)
        if ep is None:
            return {"EndpointName": name, "EndpointStatus": None}
        aas = ctx.clients.aas(account, region)
        return {
            "EndpointName": ep["EndpointName"],
            "EndpointArn": ep["EndpointArn"],
            "EndpointConfigName": ep["EndpointConfigName"],
            "EndpointStatus": ep["EndpointStatus"],
            "CreationTime": aws.iso(ep.get("CreationTime")),
            "Tags": aws.tags_of(sm, ep["EndpointArn"]),
            "Variants": [{"VariantName": r["VariantName"],
                          "Scaling": aws.variant_scaling(aas, name, r["VariantName"])}
                         for r in aws.variant_rows(ep)],
        }

    # -- the four steps -----------------------------------------------
    def plan(self, ctx: Context, targets: list[Target]):
        o: Options = ctx.opts(self)
        for t in targets:
            state = self._state(ctx, t.account, t.region, t.endpoint)
            state["Production"] = next((f.data["production"] for f in t.findings if f.rule == "SM502"
                                        and isinstance((f.data or {}).get("production"), bool)), None)
            reason = self.protection(ctx, state) or self._idle(ctx, t.account, t.region, state)
            if reason:
                yield Skip(self.name, t.endpoint, t.account, t.region, reason)
                continue
            scaled = [v["VariantName"] for v in state["Variants"] if v["Scaling"]["ScalableTarget"]]
            tagged = always_on_designation(state["Tags"].get, o.always_on_tags, o.always_on_false_values)
            why = (f"SM502: no invocations in the last {o.idle_hours:g} h and "
                   + (f"its always-on tag {tagged} does not exempt a non-production endpoint; " if tagged else
                      "no always-on tag; ")
                   + f"deleting the endpoint stops its instances. Endpoint config "
                   f"{state['EndpointConfigName']} and its models are kept; tags"
                   + (f" and autoscaling of {', '.join(scaled)}" if scaled else "")
                   + " are journaled so `sm-audit restore` recreates it")
            yield Change(action=self.name, kind="delete-endpoint", resource=state["EndpointArn"],
                         name=t.endpoint, account=t.account, region=t.region, before=state,
                         after={"EndpointStatus": DELETED,
                                "Variants": [{"VariantName": v["VariantName"],
                                              "Scaling": {**v["Scaling"], "ScalableTarget": None, "Policies": []}}
                                             for v in state["Variants"]]},
                         why=why, rules=t.rules or list(self.rules))

    def snapshot(self, ctx: Context, change: Change) -> dict[str, Any]:
        # the classification is the audit's, not live state: carried as planned
        return {**self._state(ctx, change.account, change.region, change.name),
                "Production": change.before.get("Production")}

    def precheck(self, ctx: Context, change: Change, current: dict[str, Any]) -> Optional[str]:
        return self.protection(ctx, current) or self._idle(ctx, change.account, change.region, current)

    def apply(self, ctx: Context, change: Change, current: dict[str, Any]) -> dict[str, Any]:
        aas = ctx.clients.aas(change.account, change.region)
        # AWS asks that a variant's scalable target go before its endpoint
        for v in current["Variants"]:
            if v["Scaling"]["ScalableTarget"]:
                aws.deregister(aas, v["Scaling"]["ResourceId"], [p["PolicyName"] for p in v["Scaling"]["Policies"]])
        ctx.clients.sm(change.account, change.region).delete_endpoint(EndpointName=change.name)
        return change.after

    def undo(self, ctx: Context, change: Change) -> str:
        o: Options = ctx.opts(self)
        before = change.before
        sm = ctx.clients.sm(change.account, change.region)
        aas = ctx.clients.aas(change.account, change.region)
        name = before["EndpointName"]
        done = []
        ep = aws.describe_endpoint(sm, name)
        if ep is None:
            cfg = before["EndpointConfigName"]
            if aws.describe_endpoint_config(sm, cfg) is None:
                raise RuntimeError(f"cannot recreate {name}: its endpoint config {cfg} no longer exists")
            tags = [{"Key": k, "Value": v} for k, v in before.get("Tags", {}).items()
                    if not k.startswith("aws:")]  # aws:* tags are AWS-owned and cannot be set
            kw: dict[str, Any] = {"EndpointName": name, "EndpointConfigName": cfg}
            if tags:
                kw["Tags"] = tags
            sm.create_endpoint(**kw)
            done.append(f"recreated {name} on endpoint config {cfg} with {len(tags)} tag(s)")
            # a scalable target can only be registered on an InService endpoint
            sm.get_waiter("endpoint_in_service").wait(
                EndpointName=name, WaiterConfig={"Delay": o.wait_delay, "MaxAttempts": o.wait_attempts})
        elif ep["EndpointConfigName"] != before["EndpointConfigName"]:
            done.append(f"{name} exists on endpoint config {ep['EndpointConfigName']} "
                        f"(was {before['EndpointConfigName']}); left as it is")
        for v in before.get("Variants", []):
            want = v["Scaling"]
            if want["ScalableTarget"] and aws.variant_scaling(aas, name, v["VariantName"]) != want:
                aws.put_scaling(aas, want)
                done.append(f"autoscaling of {v['VariantName']} registered again")
        return "; ".join(done) or "already as before"
