"""Collection details on hand-made accounts: paging and the API-call budget,
idle windows against creation time, suppressions by tag and by config, and
the account fan-out (organization walk, all regions)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import boto3
import pytest

from .live_helpers import ACCOUNT, REGION, backdate, client, findings, make_endpoint, run_audit

pytestmark = pytest.mark.live
EP = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint"
CFG = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint-config"


def test_every_list_is_paged_and_the_call_budget_holds(aws):
    n = 105  # ListEndpoints pages at 100 (moto returns every alarm in one page)
    cw = client("cloudwatch")
    for i in range(n):
        make_endpoint(f"ep-{i:03d}", tags={"Environment": "dev"})
        cw.put_metric_alarm(AlarmName=f"ep-{i:03d}-5xx", Namespace="AWS/SageMaker", MetricName="Invocation5XXErrors",
                            Dimensions=[{"Name": "EndpointName", "Value": f"ep-{i:03d}"}], Statistic="Sum",
                            Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold")
    result = run_audit()
    inv = result.inventory
    assert len(inv.endpoints) == n and len(inv.endpoint_configs) == n and len(inv.models) == n
    assert len(inv.of("Alarm")) == n
    ops = result.operations
    assert ops["sagemaker:ListEndpoints"] == 2
    assert ops["cloudwatch:DescribeAlarms"] == 1
    assert ops["sagemaker:DescribeEndpoint"] == n
    assert ops["sagemaker:DescribeEndpointConfig"] == n
    assert ops["sagemaker:DescribeModel"] == n
    assert "sagemaker:ListTags" not in ops  # tags come in bulk
    assert ops["cloudwatch:GetMetricData"] == 1  # 2 x 105 queries < 500
    assert ops["application-autoscaling:DescribeScalableTargets"] == 1
    assert result.api_calls / n <= 4, ops
    assert {m.endpoint for m in inv.metrics if m.metric == "Invocations"} == {f"ep-{i:03d}" for i in range(n)}


def test_shared_configs_and_models_are_described_once(aws):
    sm = client("sagemaker")
    make_endpoint("blue")
    for name in ("green", "canary"):
        sm.create_endpoint(EndpointName=name, EndpointConfigName="blue-config")
    result = run_audit()
    assert result.operations["sagemaker:DescribeEndpoint"] == 3
    assert result.operations["sagemaker:DescribeEndpointConfig"] == 1
    assert result.operations["sagemaker:DescribeModel"] == 1


def test_an_endpoint_younger_than_the_idle_window_is_not_idle(aws):
    make_endpoint("fresh")  # created just now, no traffic
    make_endpoint("old-quiet")
    backdate("old-quiet", days=3)
    make_endpoint("old-busy")
    backdate("old-busy", days=3)
    client("cloudwatch").put_metric_data(Namespace="AWS/SageMaker", MetricData=[{
        "MetricName": "Invocations", "Value": 12.0, "Timestamp": datetime.now(timezone.utc) - timedelta(hours=2),
        "Dimensions": [{"Name": "EndpointName", "Value": "old-busy"}, {"Name": "VariantName", "Value": "AllTraffic"}]}])
    result = run_audit(select=["SM502"])
    assert findings(result, "SM502", "fresh") == []
    assert findings(result, "SM502", "old-busy") == []
    [f] = findings(result, "SM502", "old-quiet")
    assert f.outcome == "fail" and f.message.startswith("endpoint old-quiet has had 0 invocations in the last 24 h")
    assert f.resource.arn == f"{EP}/old-quiet" and f.location.account == ACCOUNT


def test_skip_tag_on_the_endpoint_suppresses_its_config_finding(aws):
    arn = make_endpoint("legacy", instances=1, tags={
        "Environment": "prod", "sm-audit:skip": "SM201, SM503", "sm-audit:skip-reason": "single-instance until Q3"})
    make_endpoint("other", instances=1, tags={"Environment": "prod"})
    result = run_audit(select=["SM201"])
    [f] = findings(result, "SM201", f"{CFG}/legacy-config")
    assert f.outcome == "fail"
    assert (f.suppression.kind, f.suppression.reason, f.suppression.source) == (
        "external", "single-instance until Q3", f"tag sm-audit:skip on {arn}")
    [g] = findings(result, "SM201", f"{CFG}/other-config")
    assert g.suppression is None
    outcomes = {(e.resource, e.outcome) for e in result.doc.evaluations if e.rule == "SM201"}
    assert (f"{CFG}/legacy-config", "suppressed") in outcomes
    assert (f"{CFG}/other-config", "fail") in outcomes


def test_skip_tags_without_reason_or_with_unknown_ids_are_sm001_and_not_applied(aws):
    no_reason = make_endpoint("noreason", instances=1, tags={"Environment": "prod", "sm-audit:skip": "SM201"})
    typo = make_endpoint("typo", instances=1, tags={
        "Environment": "prod", "sm-audit:skip": "SM201, SM2O1", "sm-audit:skip-reason": "pilot"})
    result = run_audit(select=["SM201"], skip=["SM202"])
    bad = sorted((f.resource.arn, f.location.arn, f.message) for f in result.doc.findings if f.rule == "SM001")
    assert bad == [
        (no_reason, no_reason, "tag sm-audit:skip for SM201 on noreason has no reason (tag sm-audit:skip-reason is "
                               "missing or empty); the suppression is not applied"),
        (typo, typo, "tag sm-audit:skip for SM2O1 on typo names no such rule 'SM2O1'; the suppression is not "
                     "applied"),
    ]  # once, on the tagged endpoint, not again on the config and model that inherit its tags
    assert "SM202" not in {r.id for r in result.doc.rules}  # --skip-rule in audits
    [f] = findings(result, "SM201", f"{CFG}/noreason-config")
    assert f.suppression is None
    [g] = findings(result, "SM201", f"{CFG}/typo-config")
    assert g.suppression is not None and g.suppression.reason == "pilot"  # the valid ID still applies


def test_config_file_suppression_by_arn_glob(aws):
    make_endpoint("batch-scorer", instances=1, tags={"Environment": "prod"})
    result = run_audit(select=["SM201"], config={"suppressions": [
        {"rule": "SM201", "resource": f"arn:aws:sagemaker:*:{ACCOUNT}:endpoint-config/batch-*",
         "reason": "batch scorer tolerates downtime"}]})
    [f] = findings(result, "SM201", f"{CFG}/batch-scorer-config")
    assert f.suppression.kind == "external" and f.suppression.reason == "batch scorer tolerates downtime"


def test_stack_tag_is_provenance(aws):
    make_endpoint("stacked", tags={"aws:cloudformation:stack-name": "ml-serving"})
    ep = run_audit(select=["SM201"]).inventory.by_key[f"{EP}/stacked"]
    assert ep.meta.stack == "ml-serving"


def test_organization_accounts_are_walked_through_the_org_role(aws):
    org = boto3.client("organizations", region_name=REGION)
    org.create_organization(FeatureSet="ALL")
    member = org.create_account(AccountName="ml-prod", Email="ml-prod@example.com")["CreateAccountStatus"]["AccountId"]
    sts = boto3.client("sts", region_name=REGION)
    c = sts.assume_role(RoleArn=f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole",
                        RoleSessionName="seed")["Credentials"]
    sm = boto3.client("sagemaker", region_name=REGION, aws_access_key_id=c["AccessKeyId"],
                      aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"])
    sm.create_model(ModelName="m", ExecutionRoleArn=f"arn:aws:iam::{member}:role/r",
                    PrimaryContainer={"Image": "763104351884.dkr.ecr.us-east-1.amazonaws.com/x:1"})
    sm.create_endpoint_config(EndpointConfigName="c", ProductionVariants=[
        {"VariantName": "AllTraffic", "ModelName": "m", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}])
    sm.create_endpoint(EndpointName="member-ep", EndpointConfigName="c")
    make_endpoint("management-ep")
    result = run_audit(org_role="OrganizationAccountAccessRole", select=["SM201"])
    assert sorted(result.doc.run.accounts) == sorted([ACCOUNT, member])
    assert sorted((e.name, e.meta.account) for e in result.inventory.endpoints) == sorted(
        [("management-ep", ACCOUNT), ("member-ep", member)])
    assert result.operations["organizations:ListAccounts"] == 1
    assert result.operations["sts:AssumeRole"] == 1  # the management account uses its own credentials


def test_all_regions_audits_every_enabled_region(aws):
    make_endpoint("east")
    make_endpoint("west", region="us-west-2")
    result = run_audit(all_regions=True, regions=[], select=["SM201"])
    regions = result.doc.run.regions
    assert {"us-east-1", "us-west-2", "eu-west-1"} <= set(regions)
    assert sorted((e.name, e.meta.region) for e in result.inventory.endpoints) == [("east", "us-east-1"),
                                                                                   ("west", "us-west-2")]
    assert result.operations["sagemaker:ListEndpoints"] == len(regions)
    assert result.doc.gaps == []
