"""rollback-variants (SM303 / SM203): when a variant's alarms are in ALARM
(or the user names the endpoint and variant), shift its traffic to zero and
give its weight back to the baseline variant; or, when the user names the
earlier endpoint config (``--to-config``), return the endpoint to it.

Model Monitor alarms (data, model quality, bias, explainability) are
endpoint-wide triggers: with several variants the newest one (latest model)
loses its traffic to the baseline; with one variant the endpoint returns to
the endpoint config it ran before, found read-only in CloudTrail's event
history; when none is found the plan says so and names --to-config."""

from __future__ import annotations

from typing import Any, Optional

from .. import aws
from ..base import Action, ActionOptions, Change, Context, Record, Skip, Target, action


class Options(ActionOptions):
    baseline: Optional[str] = None  # variant that takes the traffic back
    to_config: Optional[str] = None  # earlier endpoint config to return to (named endpoints only)


def _weights(ep: dict[str, Any]) -> dict[str, Any]:
    return {"EndpointConfigName": ep["EndpointConfigName"], "EndpointStatus": ep["EndpointStatus"],
            "Variants": [{"VariantName": r["VariantName"], "Weight": r["Weight"]} for r in aws.variant_rows(ep)]}


def send_weights(sm: Any, name: str, ep: dict[str, Any], weights: dict[str, float]) -> None:
    """UpdateEndpointWeightsAndCapacities with each variant's current count
    sent along (omitting it would drop the count on some back ends)."""
    rows = {r["VariantName"]: r for r in aws.variant_rows(ep)}
    desired = []
    for v, w in weights.items():
        item: dict[str, Any] = {"VariantName": v, "DesiredWeight": float(w)}
        if rows[v]["Instances"] is not None and not rows[v]["Serverless"]:
            item["DesiredInstanceCount"] = int(rows[v]["Instances"])
        desired.append(item)
    sm.update_endpoint_weights_and_capacities(EndpointName=name, DesiredWeightsAndCapacities=desired)


class ConfigBefore(Record):
    EndpointConfigName: str


class WeightRecord(Record):
    VariantName: str
    Weight: float


class WeightsBefore(ConfigBefore):
    Variants: list[WeightRecord]


@action
class RollbackVariants(Action):
    name = "rollback-variants"
    rules = ("SM303", "SM203")
    description = "Shift traffic off a variant whose alarms fire, back to the baseline variant."
    permissions = (
        "sagemaker:ListEndpoints",
        "sagemaker:DescribeEndpoint",
        "sagemaker:DescribeEndpointConfig",
        "cloudwatch:DescribeAlarms",
        "sagemaker:DescribeModel",  # which variant is newest (Model Monitor alarms are endpoint-wide)
        "cloudtrail:LookupEvents",  # the endpoint config a one-variant endpoint ran before
        "sagemaker:UpdateEndpointWeightsAndCapacities",
        "sagemaker:UpdateEndpoint",
    )
    order = 10
    scan_all = True  # a variant in ALARM is itself the trigger, finding or not
    Options = Options

    @classmethod
    def before_model(cls, step: str):
        return ConfigBefore if step == "config" else WeightsBefore

    def plan(self, ctx: Context, targets: list[Target]):
        o: Options = ctx.opts(self)
        for t in targets:
            key = ("alarms", t.account, t.region)
            if key not in ctx.memo:
                ctx.memo[key] = aws.alarms_in_alarm(ctx.clients.cw(t.account, t.region))
            alarms = ctx.memo[key].get(t.endpoint, [])
            if not alarms and not t.named:
                if t.findings:  # say why a finding that names this action leads to no change
                    yield Skip(self.name, t.endpoint, t.account, t.region,
                               f"{', '.join(t.rules)}: no alarm of this endpoint is in ALARM, nothing to roll back "
                               "(--endpoint with --variant or --to-config rolls back on request)")
                continue  # nothing fires on it and nobody named it
            sm = ctx.clients.sm(t.account, t.region)
            ep = aws.describe_endpoint(sm, t.endpoint)
            if ep is None:
                if t.named:
                    yield Skip(self.name, t.endpoint, t.account, t.region, "endpoint does not exist")
                continue
            if t.named and o.to_config:
                yield from self._to_config(ctx, t, ep, o.to_config)
                continue
            rows = aws.variant_rows(ep)
            names = [r["VariantName"] for r in rows]
            if t.named and t.variant:
                if t.variant not in names:
                    yield Skip(self.name, t.endpoint, t.account, t.region,
                               f"no variant {t.variant}; it has {', '.join(names)}")
                    continue
                bad = {t.variant: "named on the command line"}
            else:
                bad = {}
                for a in alarms:
                    if a["VariantName"] in names:
                        bad.setdefault(a["VariantName"], f"alarm {a['AlarmName']} is in ALARM")
                monitor = [a for a in alarms if a["Monitor"]]
                if monitor and not bad:
                    why = self.state_problem(ep)
                    if why:
                        yield Skip(self.name, t.endpoint, t.account, t.region, why)
                        continue
                    fired = ", ".join(f"{a['AlarmName']} ({a['Monitor']})" for a in monitor)
                    trigger = f"Model Monitor alarm(s) {fired} in ALARM (endpoint-wide)"
                    if len(rows) < 2:
                        yield from self._previous_config(ctx, t, ep, trigger)
                        continue
                    newest = yield from self._newest(ctx, t, ep, rows, trigger)
                    if newest is None:
                        continue
                    bad = {newest[0]: f"{trigger}; {newest[0]} is the newest variant ({newest[1]})"}
                unnamed = [a["AlarmName"] for a in alarms if not a["VariantName"] and not a["Monitor"]]
                if unnamed and not bad:
                    yield Skip(self.name, t.endpoint, t.account, t.region,
                               f"alarm(s) {', '.join(unnamed)} in ALARM name no variant: name the variant "
                               "with --endpoint/--variant, or the earlier config with --to-config")
                if not bad:
                    continue
            why = self.state_problem(ep)
            if why:
                yield Skip(self.name, t.endpoint, t.account, t.region, why)
                continue
            if len(rows) < 2:
                if t.named and t.variant:
                    yield Skip(self.name, t.endpoint, t.account, t.region,
                               f"{', '.join(bad.values())} but the endpoint has one variant: nothing to shift "
                               "traffic to; return to the earlier config with --endpoint and --to-config")
                else:  # one variant: the endpoint returns to the config it ran before
                    yield from self._previous_config(ctx, t, ep, "; ".join(bad.values()))
                continue
            healthy = [r for r in rows if r["VariantName"] not in bad]
            if o.baseline:
                base = next((r for r in healthy if r["VariantName"] == o.baseline), None)
                if base is None:
                    yield Skip(self.name, t.endpoint, t.account, t.region,
                               f"baseline {o.baseline} is not a healthy variant of this endpoint")
                    continue
            elif healthy:
                base = max(healthy, key=lambda r: (r["Weight"], -names.index(r["VariantName"])))
            else:
                yield Skip(self.name, t.endpoint, t.account, t.region, "every variant is in ALARM: no baseline")
                continue
            moved = sum(r["Weight"] for r in rows if r["VariantName"] in bad)
            if moved == 0:
                continue  # already rolled back
            before = _weights(ep)
            after = {"Variants": [{"VariantName": r["VariantName"],
                                   "Weight": 0.0 if r["VariantName"] in bad else
                                   r["Weight"] + moved if r is base else r["Weight"]} for r in rows]}
            why = "; ".join(f"{v}: {reason}" for v, reason in sorted(bad.items()))
            yield Change(action=self.name, kind="weights", resource=ep["EndpointArn"], name=t.endpoint,
                         account=t.account, region=t.region, before=before, after=after,
                         rules=t.rules or list(self.rules),
                         why=f"{why}; shift its traffic ({moved:g}) to baseline {base['VariantName']}. "
                             "To return to an earlier endpoint config instead, use --to-config")

    def _newest(self, ctx: Context, t: Target, ep: dict[str, Any], rows: list[dict[str, Any]], trigger: str):
        """(variant, why) of the variant deployed last: the latest model, or
        when models tie, none (a Skip says so). A generator returning its answer."""
        sm = ctx.clients.sm(t.account, t.region)
        cfg = aws.describe_endpoint_config(sm, ep["EndpointConfigName"]) or {}
        models = {v["VariantName"]: v.get("ModelName") for v in cfg.get("ProductionVariants", [])}
        created = {}
        for r in rows:
            m = models.get(r["VariantName"])
            d = aws.describe_model(sm, m) if m else None
            if d and d.get("CreationTime"):
                created[r["VariantName"]] = (d["CreationTime"], m)
        if len(created) < len(rows):
            yield Skip(self.name, t.endpoint, t.account, t.region,
                       f"{trigger}, but the models of its variants cannot all be described: cannot tell the "
                       "newest variant; name it with --endpoint/--variant")
            return None
        ranked = sorted(created.items(), key=lambda kv: kv[1][0], reverse=True)
        if ranked[0][1][0] == ranked[1][1][0]:
            yield Skip(self.name, t.endpoint, t.account, t.region,
                       f"{trigger}, but variants {ranked[0][0]} and {ranked[1][0]} were deployed at the same time: "
                       "name the one to roll back with --endpoint/--variant")
            return None
        v, (when, model) = ranked[0]
        return v, f"model {model} created {aws.iso(when)}"

    def _previous_config(self, ctx: Context, t: Target, ep: dict[str, Any], trigger: str):
        """One variant: back to the endpoint config it ran before, found in
        CloudTrail's event history (CreateEndpoint / UpdateEndpoint, 90 days)."""
        key = ("config-history", t.account, t.region)
        if key not in ctx.memo:
            ctx.memo[key] = aws.endpoint_config_history(ctx.clients.cloudtrail(t.account, t.region), ctx.now)
        sm = ctx.clients.sm(t.account, t.region)
        current = ep["EndpointConfigName"]
        gone = []
        for cfg in aws.previous_config(ctx.memo[key].get(t.endpoint, []), current):
            if aws.describe_endpoint_config(sm, cfg) is None:
                gone.append(cfg)
                continue
            yield Change(action=self.name, kind="config", resource=ep["EndpointArn"], name=t.endpoint,
                         account=t.account, region=t.region,
                         before={"EndpointConfigName": current, "EndpointStatus": ep["EndpointStatus"]},
                         after={"EndpointConfigName": cfg}, rules=t.rules or list(self.rules),
                         why=f"{trigger}; one variant: return {t.endpoint} from endpoint config {current} to {cfg}, "
                             "the config it ran before (CloudTrail event history); UpdateEndpoint swaps the "
                             "fleet without downtime. Another config: --endpoint with --to-config")
            return
        note = f" (earlier config(s) {', '.join(gone)} no longer exist)" if gone else ""
        yield Skip(self.name, t.endpoint, t.account, t.region,
                   f"{trigger}, but no earlier endpoint config of {t.endpoint} was found in CloudTrail's event "
                   f"history (last {aws.HISTORY_DAYS} days){note}: name one with --endpoint {t.endpoint} "
                   "--to-config CONFIG")

    def _to_config(self, ctx: Context, t: Target, ep: dict[str, Any], cfg: str):
        sm = ctx.clients.sm(t.account, t.region)
        if ep["EndpointConfigName"] == cfg:
            return
        if aws.describe_endpoint_config(sm, cfg) is None:
            yield Skip(self.name, t.endpoint, t.account, t.region, f"endpoint config {cfg} does not exist")
            return
        why = self.state_problem(ep)
        if why:
            yield Skip(self.name, t.endpoint, t.account, t.region, why)
            return
        yield Change(action=self.name, kind="config", resource=ep["EndpointArn"], name=t.endpoint,
                     account=t.account, region=t.region,
                     before={"EndpointConfigName": ep["EndpointConfigName"], "EndpointStatus": ep["EndpointStatus"]},
                     after={"EndpointConfigName": cfg},
                     rules=t.rules or list(self.rules),
                     why=f"return {t.endpoint} from endpoint config {ep['EndpointConfigName']} to the earlier {cfg} "
                         "(UpdateEndpoint; SageMaker swaps the fleet without downtime)")

    def snapshot(self, ctx: Context, change: Change) -> dict[str, Any]:
        ep = aws.describe_endpoint(ctx.clients.sm(change.account, change.region), change.name)
        if ep is None:
            return {"EndpointStatus": None}
        if change.kind == "config":
            return {"EndpointConfigName": ep["EndpointConfigName"], "EndpointStatus": ep["EndpointStatus"]}
        return _weights(ep)

    def apply(self, ctx: Context, change: Change, current: dict[str, Any]) -> dict[str, Any]:
        sm = ctx.clients.sm(change.account, change.region)
        if change.kind == "config":
            sm.update_endpoint(EndpointName=change.name, EndpointConfigName=change.after["EndpointConfigName"],
                               RetainAllVariantProperties=False)
            return change.after
        ep = aws.describe_endpoint(sm, change.name)
        send_weights(sm, change.name, ep, {v["VariantName"]: v["Weight"] for v in change.after["Variants"]})
        return change.after

    def undo(self, ctx: Context, change: Change) -> str:
        sm = ctx.clients.sm(change.account, change.region)
        ep = aws.describe_endpoint(sm, change.name)
        if ep is None:
            raise RuntimeError(f"endpoint {change.name} no longer exists")
        if change.kind == "config":
            was = change.before["EndpointConfigName"]
            if ep["EndpointConfigName"] == was:
                return "already as before"
            sm.update_endpoint(EndpointName=change.name, EndpointConfigName=was, RetainAllVariantProperties=False)
            return f"returned to endpoint config {was}"
        if ep["EndpointConfigName"] != change.before["EndpointConfigName"]:
            raise RuntimeError(f"endpoint {change.name} now runs endpoint config {ep['EndpointConfigName']}, "
                               f"not {change.before['EndpointConfigName']}: weights not restored")
        want = {v["VariantName"]: v["Weight"] for v in change.before["Variants"]}
        have = {v["VariantName"]: v["Weight"] for v in _weights(ep)["Variants"]}
        if have == want:
            return "already as before"
        send_weights(sm, change.name, ep, want)
        return "weights put back: " + ", ".join(f"{k} {v:g}" for k, v in want.items())
