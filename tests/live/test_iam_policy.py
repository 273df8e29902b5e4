"""The published read-only policy (iam/audit-readonly.json) allows every
AWS call the collector makes: recorded from real audits (a botocore
``before-call`` counter in every session) and found statically in the
collector's source."""

from __future__ import annotations

import json
import re
from fnmatch import fnmatchcase
from pathlib import Path

import boto3
import pytest

from auditor.live.sandbox import seed

from .collector_calls import collector_methods, collector_operations
from .live_helpers import ACCOUNT, REGION, fail_call, run_audit

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "iam" / "audit-readonly.json"
# boto3 service name -> IAM service prefix
PREFIX = {"resourcegroupstaggingapi": "tag"}
# operations whose IAM action is named differently
ACTION = {("s3", "GetBucketEncryption"): "s3:GetEncryptionConfiguration"}


def iam_action(service: str, operation: str) -> str:
    return ACTION.get((service, operation), f"{PREFIX.get(service, service)}:{operation}")


def allowed() -> list[str]:
    doc = json.loads(POLICY.read_text())
    out = []
    for st in doc["Statement"]:
        assert st["Effect"] == "Allow"
        out += st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
    return out


def is_allowed(action: str, actions: list[str]) -> bool:
    return any(fnmatchcase(action.lower(), a.lower()) for a in actions)


def test_policy_is_read_only():
    writes = re.compile(r":(Create|Delete|Put|Update|Start|Stop|Register|Deregister|Tag|Untag|Set|Invoke)")
    for a in allowed():
        assert "*" not in a, f"{a}: no wildcards in a least-privilege policy"
        if a != "sts:AssumeRole":
            assert not writes.search(a), f"{a} is not read-only"


@pytest.mark.live
def test_every_call_of_real_audits_is_allowed(aws):
    seed(aws.url)
    sm = boto3.client("sagemaker", region_name=REGION)
    # a schedule that names a job definition (the sandbox's define theirs inline)
    sm.create_data_quality_job_definition(
        JobDefinitionName="churn-dq",
        DataQualityAppSpecification={"ImageUri": "156813124566.dkr.ecr.us-east-1.amazonaws.com/model-monitor"},
        DataQualityJobInput={"EndpointInput": {"EndpointName": "churn-dev", "LocalPath": "/opt/ml/processing/in"}},
        DataQualityJobOutputConfig={"MonitoringOutputs": [{"S3Output": {"S3Uri": "s3://b/o", "LocalPath": "/o"}}]},
        JobResources={"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 20}},
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/SageMakerExecutionRole")
    sm.create_monitoring_schedule(MonitoringScheduleName="churn-dq", MonitoringScheduleConfig={
        "MonitoringType": "DataQuality", "MonitoringJobDefinitionName": "churn-dq",
        "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"}})
    boto3.client("organizations", region_name=REGION).create_organization(FeatureSet="ALL")
    boto3.client("organizations", region_name=REGION).create_account(AccountName="m", Email="m@example.com")
    runs = [
        run_audit(),
        run_audit(hooks=[fail_call("resourcegroupstaggingapi", "GetResources")]),  # ListTags fallback
        run_audit(org_role="OrganizationAccountAccessRole", select=["SM201"]),
        run_audit(all_regions=True, regions=[], select=["SM201"]),
    ]
    ops = set()
    for r in runs:
        ops |= {tuple(k.split(":")) for k in r.operations}
    assert ("sagemaker", "DescribeDataQualityJobDefinition") in ops
    assert ("sagemaker", "ListTags") in ops and ("organizations", "ListAccounts") in ops
    actions = allowed()
    missing = sorted(iam_action(s, o) for s, o in ops if not is_allowed(iam_action(s, o), actions))
    assert missing == []


def test_every_call_in_the_collector_source_is_allowed():
    calls = collector_methods()
    assert ("cloudwatch", "get_metric_data") in calls and ("sts", "assume_role") in calls
    assert ("iam", "get_account_authorization_details") in calls and ("ec2", "describe_regions") in calls
    assert len(calls) >= 28
    actions = allowed()
    missing = sorted(iam_action(svc, op) for svc, op in collector_operations()
                     if not is_allowed(iam_action(svc, op), actions))
    assert missing == []


def test_the_policy_grants_nothing_the_collector_does_not_call():
    used = {iam_action(svc, op).lower() for svc, op in collector_operations()}
    assert sorted(a for a in allowed() if a.lower() not in used) == []
