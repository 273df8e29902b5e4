"""The demo account: an in-process moto server on loopback, seeded with a
small realistic set of SageMaker deployments (good and bad), reached through
AWS_ENDPOINT_URL exactly as AWS would be. ``audit --sandbox`` and
``remediate --sandbox`` use it; nothing here touches a real account.

    server, env = start_sandbox()      # env: the variables to run boto3 against it
    ...
    server.stop()

or ``with sandbox_env() as info: ...`` which also sets (and restores) the
process environment."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator, Optional

from .server import LocalServer

ACCOUNT = "123456789012"  # moto's default account
REGION = "us-east-1"
DLC = "763104351884.dkr.ecr.us-east-1.amazonaws.com"
ARTIFACTS = "sm-audit-demo-artifacts"
SCRATCH = "sm-audit-demo-scratch"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/SageMakerExecutionRole"
ENV_KEYS = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
            "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_PROFILE", "MOTO_ACCOUNT_ID", "SM_AUDIT_STATE_DIR")


@dataclass
class SandboxInfo:
    url: str
    account: str = ACCOUNT
    region: str = REGION
    state_dir: Optional[str] = None  # journals of this sandbox (never the user's real state directory)
    running: bool = False  # a `sm-audit sandbox` that outlives this command


def sandbox_environment(url: str, state_dir: Optional[str] = None) -> dict[str, str]:
    env = {"AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "sandbox", "AWS_SECRET_ACCESS_KEY": "sandbox",
           "AWS_SESSION_TOKEN": "sandbox", "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION}
    if state_dir:
        env["SM_AUDIT_STATE_DIR"] = state_dir
    return env


def start_sandbox(now: Optional[datetime] = None, port: Optional[int] = None) -> tuple[LocalServer, dict[str, str]]:
    """Start and seed the demo server; returns it and the environment that
    points boto3 at it (fake credentials, region, AWS_ENDPOINT_URL)."""
    from . import moto_ext

    moto_ext.install()
    server = LocalServer(port=port).start()
    env = sandbox_environment(server.url)
    try:
        seed(server.url, now=now)
    except Exception:
        server.stop()
        raise
    return server, env


# -- a sandbox that serves until stopped (``sm-audit sandbox``) -------------

def registry_file() -> Path:
    """Where a running ``sm-audit sandbox`` says where it is (a runtime file,
    removed when it stops)."""
    base = os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()
    return Path(base) / f"sm-audit-sandbox-{os.getuid() if hasattr(os, 'getuid') else 0}.json"


def register(info: SandboxInfo) -> Path:
    p = registry_file()
    p.write_text(json.dumps({"url": info.url, "pid": os.getpid(), "state_dir": info.state_dir}), encoding="utf-8")
    return p


def running() -> Optional[SandboxInfo]:
    """The ``sm-audit sandbox`` serving now, if its process lives and its port answers."""
    import socket
    from urllib.parse import urlsplit

    p = registry_file()
    try:
        d = json.loads(p.read_text(encoding="utf-8"))
        url, state, pid = str(d["url"]), d.get("state_dir"), int(d["pid"])
        os.kill(pid, 0)  # raises when the process is gone
        u = urlsplit(url)
        socket.create_connection((u.hostname, u.port), timeout=5).close()
    except (OSError, ValueError, KeyError, TypeError):
        return None  # none, or it stopped without cleaning up
    return SandboxInfo(url=url, state_dir=state if isinstance(state, str) else None, running=True)


@contextlib.contextmanager
def sandbox_env(now: Optional[datetime] = None, require_running: bool = False) -> Iterator[SandboxInfo]:
    """Run the body against the demo account: the running ``sm-audit
    sandbox`` if there is one (its state persists between commands), else a
    throw-away one discarded afterwards with its journals. The environment
    is put back afterwards."""
    saved = {k: os.environ.get(k) for k in ENV_KEYS}
    live = running()
    if live is None and require_running:
        raise SandboxNotRunning("no sandbox is running: start `sm-audit sandbox` in another terminal first")
    server = None
    scratch = None
    if live is not None:
        info, env = live, sandbox_environment(live.url, live.state_dir)
    else:
        server, env = start_sandbox(now)
        scratch = tempfile.TemporaryDirectory(prefix="sm-audit-sandbox-")
        info = SandboxInfo(url=server.url, state_dir=scratch.name)
        env["SM_AUDIT_STATE_DIR"] = scratch.name
    try:
        os.environ.pop("AWS_PROFILE", None)
        os.environ.pop("MOTO_ACCOUNT_ID", None)
        os.environ.update(env)
        yield info
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        if server is not None:
            server.stop()
        if scratch is not None:
            scratch.cleanup()


class SandboxNotRunning(Exception):
    pass


def _clients(url: str) -> dict:
    from .session import new_session

    s = new_session(aws_access_key_id="sandbox", aws_secret_access_key="sandbox", region_name=REGION)
    names = ("sagemaker", "s3", "ec2", "iam", "kms", "cloudwatch", "logs", "application-autoscaling",
             "cloudtrail")
    return {n: s.client(n, endpoint_url=url) for n in names}


def seed(url: str, now: Optional[datetime] = None) -> None:
    """Four endpoints: a compliant production one, a non-compliant production
    one, an idle development one created weeks ago, and an idle always-on
    one; plus their buckets, network, alarms, autoscaling and metrics."""
    now = now or datetime.now(timezone.utc)
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)  # a naive time is UTC (moto's convention)
    c = _clients(url)
    s3, ec2, iam, kms, cw = c["s3"], c["ec2"], c["iam"], c["kms"], c["cloudwatch"]

    key = kms.create_key(Description="sm-audit demo: SageMaker data")["KeyMetadata"]["Arn"]
    # artifact bucket: versioned, SSE-KMS; scratch bucket: neither versioned nor KMS
    for b in (ARTIFACTS, SCRATCH, "sm-audit-demo-trail"):
        s3.create_bucket(Bucket=b)
    s3.put_bucket_versioning(Bucket=ARTIFACTS, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(Bucket=ARTIFACTS, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}}]})

    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24", AvailabilityZone=f"{REGION}{az}")
               ["Subnet"]["SubnetId"] for i, az in enumerate("ab")]
    sg = ec2.create_security_group(GroupName="sagemaker-endpoints", Description="endpoints", VpcId=vpc)["GroupId"]
    ec2.create_vpc_endpoint(VpcId=vpc, ServiceName=f"com.amazonaws.{REGION}.sagemaker.runtime",
                            VpcEndpointType="Interface", SubnetIds=subnets, SecurityGroupIds=[sg])

    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"Service": "sagemaker.amazonaws.com"}}]}
    iam.create_role(RoleName="SageMakerExecutionRole", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName="SageMakerExecutionRole", PolicyName="read-artifacts", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"],
                                                 "Resource": f"arn:aws:s3:::{ARTIFACTS}/*"}]}))
    iam.create_policy(PolicyName="invoke-any-endpoint", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sagemaker:InvokeEndpoint",
                                                 "Resource": "*"}]}))
    iam.create_policy(PolicyName="invoke-fraud-detector", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sagemaker:InvokeEndpoint",
                                                 "Resource": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/fraud-detector-prod"}]}))
    c["cloudtrail"].create_trail(Name="org-audit", S3BucketName="sm-audit-demo-trail", IsMultiRegionTrail=True)
    c["cloudtrail"].start_logging(Name="org-audit")

    _good_prod(c, key, subnets, sg)
    _bad_prod(c)
    _idle(c, "churn-dev", {"Environment": "dev", "Team": "growth"})
    _idle(c, "search-ranker-staging", {"Environment": "staging", "always-on": "true"})
    _backdate(url, {"fraud-detector-prod": 60, "recommender-prod": 40, "churn-dev": 21,
                    "search-ranker-staging": 30}, now)
    # hourly invocations and CPU (% summed over vCPUs): the fraud detector is
    # busy, the recommender's 8 vCPUs are mostly idle
    _traffic(cw, now, {"fraud-detector-prod": (1200.0, 95.0), "recommender-prod": (300.0, 35.0)})


def _tags(d: dict) -> list[dict]:
    return [{"Key": k, "Value": v} for k, v in d.items()]


def _good_prod(c: dict, key: str, subnets: list[str], sg: str) -> None:
    sm, cw = c["sagemaker"], c["cloudwatch"]
    name, tags = "fraud-detector-prod", {"Environment": "prod", "Team": "risk"}
    image = f"{DLC}/pytorch-inference:2.1.0-cpu-py310-ubuntu20.04-sagemaker"
    artifact = f"s3://{ARTIFACTS}/models/fraud-detector/v3.1.0/model.tar.gz"
    sm.create_model_package_group(ModelPackageGroupName="fraud-detector",
                                  ModelPackageGroupDescription="fraud scoring models")
    package = sm.create_model_package(
        ModelPackageGroupName="fraud-detector", ModelApprovalStatus="Approved",
        InferenceSpecification={"Containers": [{"Image": image, "ModelDataUrl": artifact}],
                                "SupportedContentTypes": ["application/json"],
                                "SupportedResponseMIMETypes": ["application/json"]},
        ModelMetrics={"ModelQuality": {"Statistics": {
            "ContentType": "application/json",
            "S3Uri": f"s3://{ARTIFACTS}/models/fraud-detector/v3.1.0/evaluation.json"}}})["ModelPackageArn"]
    sm.create_model(ModelName="fraud-detector-v3", ExecutionRoleArn=ROLE_ARN, EnableNetworkIsolation=True,
                    PrimaryContainer={"ModelPackageName": package, "Image": image, "ModelDataUrl": artifact},
                    VpcConfig={"Subnets": subnets, "SecurityGroupIds": [sg]}, Tags=_tags(tags))
    sm.create_endpoint_config(
        EndpointConfigName="fraud-detector-prod-v3", KmsKeyId=key, Tags=_tags(tags),
        ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": "fraud-detector-v3",
                             "InstanceType": "ml.m5.large", "InitialInstanceCount": 2, "InitialVariantWeight": 1.0}],
        DataCaptureConfig={"EnableCapture": True, "InitialSamplingPercentage": 20, "KmsKeyId": key,
                           "DestinationS3Uri": f"s3://{ARTIFACTS}/data-capture/fraud-detector/",
                           "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}]})
    dims = [{"Name": "EndpointName", "Value": name}, {"Name": "VariantName", "Value": "AllTraffic"}]
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:ml-oncall"
    for alarm, metric, stat, ext, threshold in (
            ("fraud-detector-prod-latency-p50", "ModelLatency", None, "p50", 50000),
            ("fraud-detector-prod-latency-p95", "ModelLatency", None, "p95", 150000),
            ("fraud-detector-prod-latency-p99", "ModelLatency", None, "p99", 300000),
            ("fraud-detector-prod-5xx", "Invocation5XXErrors", "Sum", None, 5),
            ("fraud-detector-prod-4xx", "Invocation4XXErrors", "Sum", None, 50),
            ("fraud-detector-prod-model-errors", "ModelError", "Sum", None, 5)):
        kw = {"ExtendedStatistic": ext} if ext else {"Statistic": stat}
        cw.put_metric_alarm(AlarmName=alarm, Namespace="AWS/SageMaker", MetricName=metric, Dimensions=dims,
                            Period=60, EvaluationPeriods=5, Threshold=threshold,
                            ComparisonOperator="GreaterThanThreshold", AlarmActions=[topic], **kw)
    cw.put_metric_alarm(AlarmName="fraud-detector-prod-drift", Namespace="aws/sagemaker/Endpoints/data-metrics",
                        MetricName="feature_baseline_drift_amount",
                        Dimensions=[{"Name": "Endpoint", "Value": name},
                                    {"Name": "MonitoringSchedule", "Value": "fraud-detector-data-quality"}],
                        Statistic="Maximum", Period=3600, EvaluationPeriods=1, Threshold=0.2,
                        ComparisonOperator="GreaterThanThreshold", AlarmActions=[topic])
    sm.create_endpoint(EndpointName=name, EndpointConfigName="fraud-detector-prod-v3", Tags=_tags(tags),
                       DeploymentConfig={
                           "BlueGreenUpdatePolicy": {
                               "TrafficRoutingConfiguration": {"Type": "CANARY", "WaitIntervalInSeconds": 600,
                                                               "CanarySize": {"Type": "CAPACITY_PERCENT",
                                                                              "Value": 10}},
                               "TerminationWaitInSeconds": 600},
                           # rollback on Model Monitor results too (SM203, seed 004)
                           "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "fraud-detector-prod-5xx"},
                                                                    {"AlarmName": "fraud-detector-prod-latency-p99"},
                                                                    {"AlarmName": "fraud-detector-prod-drift"}]}})
    aas = c["application-autoscaling"]
    rid = f"endpoint/{name}/variant/AllTraffic"
    aas.register_scalable_target(ServiceNamespace="sagemaker", ResourceId=rid,
                                 ScalableDimension="sagemaker:variant:DesiredInstanceCount", MinCapacity=2,
                                 MaxCapacity=4)
    aas.put_scaling_policy(PolicyName="fraud-detector-invocations", ServiceNamespace="sagemaker", ResourceId=rid,
                           ScalableDimension="sagemaker:variant:DesiredInstanceCount",
                           PolicyType="TargetTrackingScaling",
                           TargetTrackingScalingPolicyConfiguration={
                               "TargetValue": 70.0, "ScaleInCooldown": 300, "ScaleOutCooldown": 60,
                               "PredefinedMetricSpecification": {
                                   "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"}})
    cw.put_dashboard(DashboardName="ml-endpoints", DashboardBody=json.dumps({"widgets": [{
        "type": "metric", "properties": {"title": "fraud-detector-prod", "region": REGION, "metrics": [
            ["AWS/SageMaker", "Invocations", "EndpointName", name, "VariantName", "AllTraffic"],
            ["AWS/SageMaker", "ModelLatency", "EndpointName", name, "VariantName", "AllTraffic",
             {"stat": "p99"}]]}}]}))
    c["logs"].create_log_group(logGroupName=f"/aws/sagemaker/Endpoints/{name}")
    for kind in ("DataQuality", "ModelQuality", "ModelBias", "ModelExplainability"):
        _schedule(sm, name, kind, key, subnets, sg)


def _schedule(sm, name: str, kind: str, key: str, subnets: list[str], sg: str) -> None:
    slug = "".join("-" + ch.lower() if ch.isupper() else ch for ch in kind).lstrip("-")
    sm.create_monitoring_schedule(
        MonitoringScheduleName=f"fraud-detector-{slug}",
        MonitoringScheduleConfig={
            "MonitoringType": kind,
            "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
            "MonitoringJobDefinition": {
                "BaselineConfig": {
                    "ConstraintsResource": {"S3Uri": f"s3://{ARTIFACTS}/baselines/fraud-detector/{slug}/constraints.json"},
                    "StatisticsResource": {"S3Uri": f"s3://{ARTIFACTS}/baselines/fraud-detector/{slug}/statistics.json"}},
                "MonitoringInputs": [{"EndpointInput": {"EndpointName": name,
                                                        "LocalPath": "/opt/ml/processing/input"}}],
                "MonitoringOutputConfig": {"KmsKeyId": key, "MonitoringOutputs": [{"S3Output": {
                    "S3Uri": f"s3://{ARTIFACTS}/monitoring/fraud-detector/", "LocalPath": "/opt/ml/processing/output"}}]},
                "MonitoringResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large",
                                                          "VolumeSizeInGB": 20, "VolumeKmsKeyId": key}},
                "NetworkConfig": {"EnableNetworkIsolation": True, "EnableInterContainerTrafficEncryption": True,
                                  "VpcConfig": {"Subnets": subnets, "SecurityGroupIds": [sg]}},
                "MonitoringAppSpecification": {"ImageUri": f"156813124566.dkr.ecr.{REGION}.amazonaws.com/"
                                                           "sagemaker-model-monitor-analyzer"},
                "RoleArn": ROLE_ARN}})


def _bad_prod(c: dict) -> None:
    """Production on one instance, a :latest image from a private registry,
    an unversioned artifact path in an unversioned bucket, no autoscaling,
    no KMS key, no alarms or logs."""
    sm = c["sagemaker"]
    tags = {"Environment": "prod", "Team": "personalisation",
            "sm-audit:skip": "batch-for-offline", "sm-audit:skip-reason": "traffic is interactive; reviewed 2026-10"}
    sm.create_model(ModelName="recommender", ExecutionRoleArn=ROLE_ARN,
                    PrimaryContainer={"Image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/recommender:latest",
                                      "ModelDataUrl": f"s3://{SCRATCH}/recommender/model.tar.gz"})
    sm.create_endpoint_config(EndpointConfigName="recommender-prod", ProductionVariants=[
        {"VariantName": "AllTraffic", "ModelName": "recommender", "InstanceType": "ml.c5.2xlarge",
         "InitialInstanceCount": 1}])
    sm.create_endpoint(EndpointName="recommender-prod", EndpointConfigName="recommender-prod", Tags=_tags(tags))


def _idle(c: dict, name: str, tags: dict) -> None:
    sm = c["sagemaker"]
    sm.create_model(ModelName=f"{name}-model", ExecutionRoleArn=ROLE_ARN,
                    PrimaryContainer={"Image": f"{DLC}/xgboost-inference:1.7-1-cpu-py3",
                                      "ModelDataUrl": f"s3://{ARTIFACTS}/models/{name}/v1.0.0/model.tar.gz"},
                    Tags=_tags(tags))
    sm.create_endpoint_config(EndpointConfigName=f"{name}-config", Tags=_tags(tags), ProductionVariants=[
        {"VariantName": "AllTraffic", "ModelName": f"{name}-model", "InstanceType": "ml.m5.large",
         "InitialInstanceCount": 1}])
    sm.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config", Tags=_tags(tags))


def _backdate(url: str, days: dict[str, int], now: datetime) -> None:
    """Endpoints that have existed for weeks (the server is in this process:
    moto's backend objects are changed directly; the API cannot do it)."""
    from moto.sagemaker.models import sagemaker_backends

    backend = sagemaker_backends[ACCOUNT][REGION]
    for name, d in days.items():
        # moto keeps naive UTC datetimes; an aware one would break its sorting
        when = (now - timedelta(days=d)).astimezone(timezone.utc).replace(tzinfo=None)
        ep = backend.endpoints[name]
        ep.creation_time = ep.last_modified_time = when
        cfg = backend.endpoint_configs.get(ep.endpoint_config_name)
        if cfg is not None:
            cfg.creation_time = when


def _traffic(cw, now: datetime, hourly: dict[str, tuple[float, float]]) -> None:
    """Hourly invocations for the last 48 hours (the idle ones get none:
    CloudWatch has no datapoints for an endpoint nobody calls)."""
    for name, (per_hour, cpu) in hourly.items():
        data = []
        for h in range(1, 49):
            t = (now - timedelta(hours=h)).replace(minute=30, second=0, microsecond=0)
            data.append({"MetricName": "Invocations", "Timestamp": t, "Value": per_hour * (1 + (h % 5) / 10),
                         "Unit": "None", "Dimensions": [{"Name": "EndpointName", "Value": name},
                                                         {"Name": "VariantName", "Value": "AllTraffic"}]})
            data.append({"MetricName": "CPUUtilization", "Timestamp": t, "Value": cpu + h % 7,
                         "Unit": "Percent", "Dimensions": [{"Name": "EndpointName", "Value": name},
                                                            {"Name": "VariantName", "Value": "AllTraffic"}]})
        for i in range(0, len(data), 20):
            batch = data[i:i + 20]
            for ns, metric in (("AWS/SageMaker", "Invocations"), ("/aws/sagemaker/Endpoints", "CPUUtilization")):
                items = [d for d in batch if d["MetricName"] == metric]
                if items:
                    cw.put_metric_data(Namespace=ns, MetricData=items)
