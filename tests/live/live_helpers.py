"""Helpers for live-audit tests: run an audit against the loopback server,
inject faults into every boto3 session the audit creates, seed endpoints."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable, Optional

import boto3
from botocore.exceptions import ClientError, EndpointConnectionError

from auditor.audit import AuditOptions, AuditResult, audit
from auditor.config import parse

ACCOUNT = "123456789012"
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/SageMakerExecutionRole"
DLC = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1.0-cpu-py310"


def run_audit(config: Optional[dict] = None, hooks: Optional[list] = None, regions: Optional[list] = None,
              **kw: Any) -> AuditResult:
    cfg = parse(config or {}, "test-config")
    opts = AuditOptions(regions=regions or [REGION], session_hooks=hooks or [], max_attempts=2, progress=False,
                        **kw)
    return audit(cfg, opts)


def fail_call(service: str, operation: str, code: str = "AccessDenied", status: int = 403,
              region: Optional[str] = None, message: str = "User is not authorized") -> Callable:
    """A session hook: ``service:operation`` (optionally in one region)
    answers with an AWS error instead of reaching the server."""
    def hook(session: Any) -> None:
        def before_call(model: Any = None, context: Any = None, **_: Any) -> None:
            if model.service_model.service_name != service or model.name != operation:
                return
            if region and context and context.get("client_region") != region:
                return
            raise ClientError({"Error": {"Code": code, "Message": message},
                               "ResponseMetadata": {"HTTPStatusCode": status, "RetryAttempts": 7}}, operation)

        session.events.register("before-call", before_call)
    return hook


def unreachable(region: str) -> Callable:
    """Every call to ``region`` fails as if the endpoint could not be reached."""
    def hook(session: Any) -> None:
        def before_call(model: Any = None, **kw: Any) -> None:
            if session.region_name == region:
                raise EndpointConnectionError(endpoint_url=f"https://api.sagemaker.{region}.amazonaws.com")

        session.events.register("before-call", before_call)
    return hook


def client(service: str, region: str = REGION) -> Any:
    return boto3.client(service, region_name=region)


def make_endpoint(name: str, instances: int = 1, tags: Optional[dict] = None, region: str = REGION,
                  image: str = DLC, instance_type: str = "ml.m5.large") -> str:
    sm = client("sagemaker", region)
    tag_list = [{"Key": k, "Value": v} for k, v in (tags or {}).items()]
    sm.create_model(ModelName=f"{name}-model", ExecutionRoleArn=ROLE,
                    PrimaryContainer={"Image": image,
                                      "ModelDataUrl": f"s3://artifacts-{ACCOUNT}/models/{name}/v1.0.0/model.tar.gz"})
    sm.create_endpoint_config(EndpointConfigName=f"{name}-config", ProductionVariants=[
        {"VariantName": "AllTraffic", "ModelName": f"{name}-model", "InstanceType": instance_type,
         "InitialInstanceCount": instances}])
    kw = {"Tags": tag_list} if tag_list else {}
    return sm.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config", **kw)["EndpointArn"]


def make_component_endpoint(name: str, components: dict[str, int], region: str = REGION) -> None:
    """A production endpoint whose variant hosts inference components
    (no model on the variant, managed instance scaling 2-4): component name
    -> copy count. Needs the ``aws`` fixture (moto_ext)."""
    sm = client("sagemaker", region)
    sm.create_endpoint_config(EndpointConfigName=f"{name}-config", ExecutionRoleArn=ROLE, ProductionVariants=[
        {"VariantName": "AllTraffic", "InstanceType": "ml.m5.large", "InitialInstanceCount": 2,
         "ManagedInstanceScaling": {"Status": "ENABLED", "MinInstanceCount": 2, "MaxInstanceCount": 4}}])
    sm.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config",
                       Tags=[{"Key": "Environment", "Value": "prod"}])
    for component, copies in components.items():
        sm.create_model(ModelName=f"{component}-model", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": DLC})
        sm.create_inference_component(
            InferenceComponentName=component, EndpointName=name, VariantName="AllTraffic", RuntimeConfig={
                "CopyCount": copies}, Specification={"ModelName": f"{component}-model", "ComputeResourceRequirements": {
                    "NumberOfCpuCoresRequired": 1, "MinMemoryRequiredInMb": 1024}})


def backdate(name: str, days: float, region: str = REGION, account: str = ACCOUNT) -> None:
    """moto creates endpoints 'now'; the server runs in this process, so its
    backend objects can be aged (the API cannot do it)."""
    from datetime import timedelta

    from moto.sagemaker.models import sagemaker_backends

    ep = sagemaker_backends[account][region].endpoints[name]
    # moto keeps naive UTC datetimes (its utcnow); mixing in aware ones breaks its sorting
    ep.creation_time = ep.last_modified_time = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(days=days)


def findings(result: AuditResult, rule: Optional[str] = None, resource: Optional[str] = None,
             outcome: Optional[str] = None) -> list:
    out = []
    for f in result.doc.findings:
        if rule and f.rule != rule:
            continue
        if resource and (f.resource is None or resource not in (f.resource.id, f.resource.arn, f.resource.name)):
            continue
        if outcome and f.outcome != outcome:
            continue
        out.append(f)
    return out
