"""boto3 clients and the describe calls every action shares.

Every call goes through ``Clients`` so that the run has one place to attach
botocore event hooks (tests use them to inject faults and to check each call
against the published IAM policy) and one place that knows which account the
credentials act in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable, Optional

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict

from ..live.paging import paginate
from ..live.session import new_session

NAMESPACE = "sagemaker"
DIMENSION = "sagemaker:variant:DesiredInstanceCount"
_RETRIES = Config(retries={"max_attempts": 3, "mode": "standard"})


class WrongAccount(Exception):
    pass


@dataclass
class Access:
    """How a run acts in one account: a session, and the role it assumed
    (None: the base credentials)."""

    session: boto3.Session
    role_arn: Optional[str] = None


class Clients:
    """Clients per (account, service, region).

    Without ``access`` the run acts in the base session's own account only.
    With it (``--role-arn`` / ``--org-role``: one entry per account) it acts in
    exactly those accounts, each through its own session; ``failed`` holds
    the accounts it could not reach and why (an AssumeRole refused).

    ``hooks`` are ``(event_name, handler)`` pairs registered on every client
    made (e.g. ``("before-call.sagemaker.DeleteEndpoint", fn)``).
    """

    def __init__(self, session: Optional[boto3.Session] = None,
                 hooks: Iterable[tuple[str, Callable]] = (), access: Optional[dict[str, Access]] = None,
                 failed: Optional[dict[str, str]] = None) -> None:
        self.session = session or new_session()
        self.hooks = list(hooks)
        self.access = dict(access or {})
        self.failed = dict(failed or {})
        self._clients: dict[tuple[Optional[str], str, str], Any] = {}
        self._account: Optional[str] = None

    def client(self, service: str, region: str, account: Optional[str] = None) -> Any:
        """A client of ``account``'s session (None or unknown: the base session)."""
        via = self.access.get(account) if account else None
        owner = account if via is not None and via.role_arn else None  # base-credential accounts share clients
        key = (owner, service, region)
        if key not in self._clients:
            session = via.session if owner else self.session
            c = session.client(service, region_name=region, config=_RETRIES)
            for event, handler in self.hooks:
                c.meta.events.register(event, handler)
            self._clients[key] = c
        return self._clients[key]

    def account(self, region: Optional[str] = None) -> str:
        """The account the base credentials act in."""
        if self._account is None:
            region = region or self.session.region_name or "us-east-1"
            self._account = self.client("sts", region).get_caller_identity()["Account"]
        return self._account

    def accounts(self, region: Optional[str] = None) -> list[str]:
        return sorted(self.access) if self.access else [self.account(region)]

    def role_of(self, account: str) -> Optional[str]:
        via = self.access.get(account)
        return via.role_arn if via is not None else None

    def refusal(self, account: str, region: str) -> Optional[str]:
        """Why this run cannot act in ``account`` (None: it can)."""
        if account in self.failed:
            return self.failed[account]
        via = self.access.get(account)
        if self.access and via is None:
            if not any(a.role_arn for a in self.access.values()):
                return f"the credentials act in account {', '.join(sorted(self.access))}, not {account}"
            return (f"account {account} is not one this run acts in "
                    f"({', '.join(sorted(self.access))}; --role-arn / --org-role)")
        if via is None or via.role_arn is None:
            mine = self.account(region)
            if account and account != mine:
                return f"the credentials act in account {mine}, not {account}"
        return None

    def sm(self, account: str, region: str) -> Any:
        return self.for_account("sagemaker", account, region)

    def aas(self, account: str, region: str) -> Any:
        return self.for_account("application-autoscaling", account, region)

    def cw(self, account: str, region: str) -> Any:
        return self.for_account("cloudwatch", account, region)

    def cloudtrail(self, account: str, region: str) -> Any:
        return self.for_account("cloudtrail", account, region)

    def for_account(self, service: str, account: str, region: str) -> Any:
        """A client acting in ``account``; refuses to act in any other."""
        why = self.refusal(account, region)
        if why:
            raise WrongAccount(why)
        return self.client(service, region, account)


def error_code(e: BaseException) -> str:
    if isinstance(e, ClientError):
        return e.response.get("Error", {}).get("Code", "")
    return ""


def describe_error(e: BaseException) -> str:
    if isinstance(e, ClientError):
        err = e.response.get("Error", {})
        op = getattr(e, "operation_name", "")
        return f"{op}: {err.get('Code', '')}: {err.get('Message', '')}".strip(": ")
    return f"{type(e).__name__}: {e}"


def _not_found(e: ClientError) -> bool:
    msg = e.response.get("Error", {}).get("Message", "")
    return error_code(e) in ("ValidationException", "ResourceNotFound") and (
        "Could not find" in msg or "not found" in msg.lower())


def _describe(call: Any, **kwargs: Any) -> Optional[dict[str, Any]]:
    """A Describe call's answer, or None when the resource does not exist."""
    try:
        d = call(**kwargs)
    except ClientError as e:
        if _not_found(e):
            return None
        raise
    d.pop("ResponseMetadata", None)
    return d


def describe_endpoint(sm: Any, name: str) -> Optional[dict[str, Any]]:
    return _describe(sm.describe_endpoint, EndpointName=name)


def describe_endpoint_config(sm: Any, name: str) -> Optional[dict[str, Any]]:
    return _describe(sm.describe_endpoint_config, EndpointConfigName=name)


def describe_inference_component(sm: Any, name: str) -> Optional[dict[str, Any]]:
    return _describe(sm.describe_inference_component, InferenceComponentName=name)


def describe_model(sm: Any, name: str) -> Optional[dict[str, Any]]:
    return _describe(sm.describe_model, ModelName=name)


def tags_of(sm: Any, arn: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for page in paginate(sm, "list_tags", ResourceArn=arn):
        for t in page.get("Tags", []):
            out[t["Key"]] = t["Value"]
    return dict(sorted(out.items()))


def list_endpoint_names(sm: Any) -> list[str]:
    names = []
    for page in paginate(sm, "list_endpoints"):
        names += [e["EndpointName"] for e in page.get("Endpoints", [])]
    return sorted(names)


def component_variants(sm: Any, ep: dict[str, Any]) -> set[str]:
    """Variants of the endpoint's config that name no model: they host
    inference components (instances scale through ManagedInstanceScaling,
    copies on the components' own targets)."""
    cfg = describe_endpoint_config(sm, ep["EndpointConfigName"]) if ep.get("EndpointConfigName") else None
    return {v["VariantName"] for v in (cfg or {}).get("ProductionVariants", []) or []
            if not v.get("ModelName") and not v.get("ServerlessConfig")}


def resource_id(endpoint: str, variant: str) -> str:
    return f"endpoint/{endpoint}/variant/{variant}"


def _clean(d: dict[str, Any], keep: tuple[str, ...]) -> dict[str, Any]:
    return {k: d[k] for k in keep if k in d and d[k] is not None}


class TargetRecord(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)
    ResourceId: str
    MinCapacity: int
    MaxCapacity: int


class PolicyRecord(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)
    PolicyName: str


class ScalingRecord(BaseModel):
    """``variant_scaling``'s answer as a journal holds it."""

    model_config = ConfigDict(extra="allow", strict=True)
    ResourceId: str
    ScalableTarget: Optional[TargetRecord]
    Policies: list[PolicyRecord]


TARGET_KEYS = ("ResourceId", "ScalableDimension", "MinCapacity", "MaxCapacity", "SuspendedState")
POLICY_KEYS = ("PolicyName", "PolicyType", "TargetTrackingScalingPolicyConfiguration",
               "StepScalingPolicyConfiguration")


def variant_scaling(aas: Any, endpoint: str, variant: str) -> dict[str, Any]:
    """The variant's scalable target and policies, as registered (JSON-able)."""
    rid = resource_id(endpoint, variant)
    targets = aas.describe_scalable_targets(
        ServiceNamespace=NAMESPACE, ResourceIds=[rid], ScalableDimension=DIMENSION).get("ScalableTargets", [])
    target = _clean(targets[0], TARGET_KEYS) if targets else None
    policies = []
    if target is not None:
        for page in paginate(aas, "describe_scaling_policies", ServiceNamespace=NAMESPACE, ResourceId=rid,
                             ScalableDimension=DIMENSION):
            for p in page.get("ScalingPolicies", []):
                c = _clean(p, POLICY_KEYS)
                tt = c.get("TargetTrackingScalingPolicyConfiguration")
                if tt:  # AWS adds these on read; they are not part of what one puts
                    tt.pop("Alarms", None)
                policies.append(c)
    policies.sort(key=lambda p: p["PolicyName"])
    return {"ResourceId": rid, "ScalableTarget": target, "Policies": policies}


def put_scaling(aas: Any, scaling: dict[str, Any]) -> None:
    """Register a target and put its policies exactly as ``variant_scaling`` returned them."""
    t = scaling.get("ScalableTarget")
    if not t:
        return
    kw = {"ServiceNamespace": NAMESPACE, "ResourceId": t["ResourceId"], "ScalableDimension": DIMENSION,
          "MinCapacity": t["MinCapacity"], "MaxCapacity": t["MaxCapacity"]}
    if t.get("SuspendedState"):
        kw["SuspendedState"] = t["SuspendedState"]
    aas.register_scalable_target(**kw)
    for p in scaling.get("Policies", []):
        put_policy(aas, t["ResourceId"], p)


def put_policy(aas: Any, rid: str, p: dict[str, Any]) -> None:
    kw = {"PolicyName": p["PolicyName"], "ServiceNamespace": NAMESPACE, "ResourceId": rid,
          "ScalableDimension": DIMENSION, "PolicyType": p.get("PolicyType", "TargetTrackingScaling")}
    for k in ("TargetTrackingScalingPolicyConfiguration", "StepScalingPolicyConfiguration"):
        if p.get(k):
            kw[k] = p[k]
    aas.put_scaling_policy(**kw)


def deregister(aas: Any, rid: str, policies: Iterable[str] = ()) -> None:
    """Delete the variant's policies, then deregister its target. (AWS deletes
    a target's policies with it; deleting them first keeps the result the
    same on back ends that do not.)"""
    for name in policies:
        try:
            aas.delete_scaling_policy(PolicyName=name, ServiceNamespace=NAMESPACE, ResourceId=rid,
                                      ScalableDimension=DIMENSION)
        except ClientError as e:
            if error_code(e) != "ObjectNotFoundException":
                raise
    try:
        aas.deregister_scalable_target(ServiceNamespace=NAMESPACE, ResourceId=rid, ScalableDimension=DIMENSION)
    except ClientError as e:
        if error_code(e) != "ObjectNotFoundException":
            raise


MONITOR_NAMESPACES = {f"aws/sagemaker/Endpoints/{k}-metrics" for k in ("data", "model", "bias", "explainability")}


def alarms_in_alarm(cw: Any) -> dict[str, list[dict[str, Any]]]:
    """Alarms in ALARM whose metric names an endpoint, by endpoint name:
    {endpoint: [{AlarmName, VariantName|None, Monitor|None}]} (one listing
    per region). Model Monitor alarms (namespaces
    aws/sagemaker/Endpoints/{data,model,bias,explainability}-metrics,
    dimensions Endpoint and MonitoringSchedule) are endpoint-wide: Monitor
    names their schedule (or namespace)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for page in paginate(cw, "describe_alarms", StateValue="ALARM"):
        for a in page.get("MetricAlarms", []):
            dims = {d["Name"]: d["Value"] for d in a.get("Dimensions", [])}
            namespaces = {a.get("Namespace")}
            for m in a.get("Metrics", []) or []:
                metric = (m.get("MetricStat") or {}).get("Metric") or {}
                dims.update({d["Name"]: d["Value"] for d in metric.get("Dimensions", [])})
                namespaces.add(metric.get("Namespace"))
            if dims.get("EndpointName"):
                out.setdefault(dims["EndpointName"], []).append(
                    {"AlarmName": a["AlarmName"], "VariantName": dims.get("VariantName"), "Monitor": None})
            elif dims.get("Endpoint") and namespaces & MONITOR_NAMESPACES:
                ns = sorted(namespaces & MONITOR_NAMESPACES)[0]
                out.setdefault(dims["Endpoint"], []).append(
                    {"AlarmName": a["AlarmName"], "VariantName": None,
                     "Monitor": dims.get("MonitoringSchedule") or ns})
    for v in out.values():
        v.sort(key=lambda a: a["AlarmName"])
    return out


HISTORY_DAYS = 90  # what CloudTrail's event history keeps


def endpoint_config_history(ct: Any, now: datetime) -> dict[str, list[tuple[datetime, str]]]:
    """{endpoint: [(time, endpoint config)]}, oldest first, from the region's
    successful CreateEndpoint / UpdateEndpoint calls in CloudTrail's event
    history (read-only, the last 90 days)."""
    import json

    out: dict[str, list[tuple[datetime, str]]] = {}
    for name in ("CreateEndpoint", "UpdateEndpoint"):
        kw: dict[str, Any] = {"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": name}],
                              "StartTime": now - timedelta(days=HISTORY_DAYS), "EndTime": now}
        for page in paginate(ct, "lookup_events", **kw):
            for e in page.get("Events", []):
                try:
                    detail = json.loads(e.get("CloudTrailEvent") or "{}")
                except ValueError:
                    continue
                if not isinstance(detail, dict) or detail.get("errorCode"):
                    continue  # a call that failed deployed nothing
                rp = detail.get("requestParameters") or {}
                ep, cfg = rp.get("endpointName"), rp.get("endpointConfigName")
                if isinstance(ep, str) and isinstance(cfg, str):
                    out.setdefault(ep, []).append((e["EventTime"], cfg))
    for v in out.values():
        v.sort(key=lambda x: x[0])
    return out


def previous_config(history: list[tuple[datetime, str]], current: str) -> list[str]:
    """Configs the endpoint ran before ``current`` was last deployed, newest first."""
    idx = max((i for i, (_, c) in enumerate(history) if c == current), default=None)
    if idx is None:
        return []  # the current config was deployed before the history starts
    seen: list[str] = []
    for _, c in reversed(history[:idx]):
        if c != current and c not in seen:
            seen.append(c)
    return seen


def invocations(cw: Any, endpoint: str, variants: list[str], start: datetime, end: datetime) -> float:
    """Sum of the endpoint's Invocations over [start, end] (all variants)."""
    total = 0.0
    period = 3600
    span = max(end - start, timedelta(hours=1))
    if span.total_seconds() / period > 1440:  # the API returns at most 1440 datapoints
        period = int(span.total_seconds() // 1440 // 60 + 1) * 60
    for v in variants:
        r = cw.get_metric_statistics(
            Namespace="AWS/SageMaker", MetricName="Invocations",
            Dimensions=[{"Name": "EndpointName", "Value": endpoint}, {"Name": "VariantName", "Value": v}],
            StartTime=start, EndTime=end, Period=period, Statistics=["Sum"])
        total += sum(p.get("Sum", 0.0) for p in r.get("Datapoints", []))
    return total


def variant_rows(ep: dict[str, Any]) -> list[dict[str, Any]]:
    """The endpoint's variants as {VariantName, Weight, Instances, Serverless}."""
    rows = []
    for v in ep.get("ProductionVariants", []) or []:
        rows.append({
            "VariantName": v["VariantName"],
            "Weight": float(v.get("CurrentWeight", v.get("DesiredWeight", 0.0)) or 0.0),
            "Instances": v.get("CurrentInstanceCount", v.get("DesiredInstanceCount")),
            "Serverless": bool(v.get("CurrentServerlessConfig") or v.get("DesiredServerlessConfig")),
        })
    return rows


def iso(t: Any) -> Optional[str]:
    if isinstance(t, datetime):
        return t.isoformat()
    return t
