"""Remediation tests run against the same loopback moto server as the live
tests (imported, not copied), through AWS_ENDPOINT_URL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import boto3
import pytest

from tests.live.conftest import (  # noqa: F401 - shared fixtures
    _moto_server, aws, moto_server, sandbox_account, sandbox_audit)

from auditor.models.findings import Finding, Location, ResourceRef
from auditor.remediation.aws import Clients
from auditor.remediation.base import Context
from auditor.remediation.planner import build_options

REGION = "us-east-1"
ACCOUNT = "123456789012"
IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1-cpu-py310"


def sm():
    return boto3.client("sagemaker", region_name=REGION)


def aas():
    return boto3.client("application-autoscaling", region_name=REGION)


def cw():
    return boto3.client("cloudwatch", region_name=REGION)


def make_endpoint(name, variants=(("AllTraffic", 1, 1.0),), tags=None, config=None):
    """Model(s), an endpoint config and an endpoint; variants: (name, count, weight)."""
    c = sm()
    pvs = []
    for vname, count, weight in variants:
        model = f"{name}-{vname}-model"
        c.create_model(ModelName=model, ExecutionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/sm",
                       PrimaryContainer={"Image": IMAGE, "ModelDataUrl": f"s3://b/models/{model}/v1.0.0/m.tar.gz"})
        pvs.append({"VariantName": vname, "ModelName": model, "InstanceType": "ml.m5.large",
                    "InitialInstanceCount": count, "InitialVariantWeight": weight})
    config = config or f"{name}-config"
    c.create_endpoint_config(EndpointConfigName=config, ProductionVariants=pvs)
    tag_list = [{"Key": k, "Value": v} for k, v in (tags or {"Environment": "prod"}).items()]
    c.create_endpoint(EndpointName=name, EndpointConfigName=config, Tags=tag_list)
    return c.describe_endpoint(EndpointName=name)["EndpointArn"]


def backend():
    from moto.backends import get_backend

    return get_backend("sagemaker")[ACCOUNT][REGION]


def age_endpoint(name, hours):
    """Move an endpoint's creation time back (moto creates them 'now')."""
    ep = backend().endpoints[name]
    # moto keeps naive UTC datetimes
    ep.creation_time = ep.last_modified_time = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(hours=hours)


def live_finding(rule, endpoint, remediation, arn=None, kind="Endpoint", data=None, config=None):
    """A live finding shaped as the engine emits them (resource + ARN location)."""
    name = config if kind == "EndpointConfig" else endpoint
    arn = arn or f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:{'endpoint-config' if kind == 'EndpointConfig' else 'endpoint'}/{name}"
    return Finding(rule=rule, slug=rule.lower(), level="error", message=f"{rule} test finding",
                   resource=ResourceRef(key=arn, id=name, type=f"AWS::SageMaker::{kind}", name=name, arn=arn,
                                        account=ACCOUNT, region=REGION),
                   location=Location(arn=arn, account=ACCOUNT, region=REGION),
                   remediation=remediation, data=data or {})


class Recorder:
    """botocore before-call hook: every API call with the action making it."""

    def __init__(self):
        self.calls = []
        self.ctx = None

    def __call__(self, model, **kw):
        who = self.ctx.current_action if self.ctx else None
        self.calls.append((who, model.service_model.service_name, model.name))


@pytest.fixture
def make_ctx():
    def _make(hooks=(), overrides=None, now=None, record=None):
        hooks = list(hooks)
        if record is not None:
            hooks.append(("before-call", record))
        clients = Clients(boto3.Session(region_name=REGION), hooks=hooks)
        opts = build_options(None, overrides or {"stop-idle-endpoints": {"wait_delay": 1}})
        ctx = Context(clients=clients, now=now or datetime.now(timezone.utc), options=opts)
        if record is not None:
            record.ctx = ctx
        return ctx
    return _make


def account_state():
    """Everything remediation could change, as describe calls see it."""
    s, a, c = sm(), aas(), cw()
    out = {"endpoints": {}, "configs": sorted(x["EndpointConfigName"] for x in s.list_endpoint_configs()["EndpointConfigs"]),
           "models": sorted(x["ModelName"] for x in s.list_models()["Models"])}
    for e in s.list_endpoints()["Endpoints"]:
        d = s.describe_endpoint(EndpointName=e["EndpointName"])
        d.pop("ResponseMetadata", None)
        d["Tags"] = s.list_tags(ResourceArn=d["EndpointArn"])["Tags"]
        out["endpoints"][e["EndpointName"]] = d
    targets = a.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    for t in targets:
        t.pop("CreationTime", None)
        t.pop("ScalableTargetARN", None)  # a re-registered target gets a new ARN
    out["targets"] = sorted(targets, key=lambda t: t["ResourceId"])
    out["policies"] = sorted((p["PolicyName"], p["ResourceId"], str(p.get("TargetTrackingScalingPolicyConfiguration")))
                             for p in a.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"])
    out["alarms"] = sorted((x["AlarmName"], x["StateValue"]) for x in c.describe_alarms()["MetricAlarms"])
    return out


def alarm(endpoint, variant, name=None, state="ALARM"):
    dims = [{"Name": "EndpointName", "Value": endpoint}]
    if variant:
        dims.append({"Name": "VariantName", "Value": variant})
    name = name or f"{endpoint}-{variant}-5xx"
    cw().put_metric_alarm(AlarmName=name, Namespace="AWS/SageMaker", MetricName="Invocation5XXErrors",
                          Dimensions=dims, Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1,
                          ComparisonOperator="GreaterThanThreshold")
    cw().set_alarm_state(AlarmName=name, StateValue=state, StateReason="test")
    return name


def invocations(endpoint, variant, value, hours_ago=2):
    t = datetime.now(timezone.utc) - timedelta(hours=hours_ago)
    cw().put_metric_data(Namespace="AWS/SageMaker", MetricData=[{
        "MetricName": "Invocations", "Timestamp": t, "Value": value, "Unit": "None",
        "Dimensions": [{"Name": "EndpointName", "Value": endpoint}, {"Name": "VariantName", "Value": variant}]}])


def scaling(endpoint, variant, min_c, max_c, policy=None):
    rid = f"endpoint/{endpoint}/variant/{variant}"
    aas().register_scalable_target(ServiceNamespace="sagemaker", ResourceId=rid,
                                   ScalableDimension="sagemaker:variant:DesiredInstanceCount",
                                   MinCapacity=min_c, MaxCapacity=max_c)
    if policy:
        aas().put_scaling_policy(PolicyName=policy.pop("name", "existing"), ServiceNamespace="sagemaker",
                                 ResourceId=rid, ScalableDimension="sagemaker:variant:DesiredInstanceCount",
                                 PolicyType="TargetTrackingScaling", TargetTrackingScalingPolicyConfiguration=policy)
    return rid
