"""Faults never crash the audit and never pass silently: each becomes a
coverage gap naming the kinds of data (and resources) it hides; the verdicts
of rules that read those kinds are unknown, everything else is judged as usual.

Faults are injected with botocore ``before-call`` handlers registered on
every session the audit creates (the call never reaches the server and
raises what AWS would send after retries); the rest is the real loopback
server."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from auditor.exitcodes import for_findings

from .live_helpers import ACCOUNT, REGION, fail_call, findings, make_endpoint, run_audit, unreachable

pytestmark = pytest.mark.live
EP = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint"
CFG = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint-config"


def _gaps(result, operation):
    return [g for g in result.doc.gaps if g.operation == operation]


def test_access_denied_on_alarms_makes_alarm_rules_unknown_only(sandbox_account):
    result = run_audit(hooks=[fail_call("cloudwatch", "DescribeAlarms")])
    [gap] = _gaps(result, "DescribeAlarms")
    assert (gap.account, gap.region, gap.service, gap.error, gap.resource) == (
        ACCOUNT, REGION, "cloudwatch", "AccessDenied", None)
    assert gap.kinds == ["Alarm"]
    assert gap.message == "User is not authorized"
    sm301 = findings(result, "SM301", "recommender-prod")
    assert [f.outcome for f in sm301] == ["unknown"]
    assert sm301[0].message == ("cannot verify SM301 for recommender-prod: AccessDenied on cloudwatch:DescribeAlarms "
                                "(User is not authorized)")
    # a rule that needs no alarm is judged as usual
    [ha] = findings(result, "SM201", f"{CFG}/recommender-prod")
    assert ha.outcome == "fail"
    assert for_findings(result.doc.findings, "error") == 1


def test_throttling_on_metrics_makes_idle_verdict_unknown_not_a_pass(sandbox_account):
    result = run_audit(hooks=[fail_call("cloudwatch", "GetMetricData", code="ThrottlingException", status=400,
                                        message="Rate exceeded")])
    gaps = _gaps(result, "GetMetricData")
    assert {g.resource for g in gaps} == {f"{EP}/fraud-detector-prod", f"{EP}/recommender-prod",
                                          f"{EP}/churn-dev", f"{EP}/search-ranker-staging"}
    assert all(g.kinds == ["MetricSeries"] and g.error == "ThrottlingException" for g in gaps)
    assert "still throttled after 7 retries" in gaps[0].message
    [idle] = findings(result, "SM502", "churn-dev")
    assert idle.outcome == "unknown"
    assert result.inventory.metrics == []


def test_unreachable_region_is_one_gap_and_an_error_the_rest_completes(sandbox_account, tmp_path):
    from auditor.config import parse
    from auditor.loaders.snapshot import dump_snapshot
    from auditor.scan import scan

    make_endpoint("eu-endpoint", region="eu-west-1")
    result = run_audit(regions=[REGION, "eu-west-1"], hooks=[unreachable("eu-west-1")])
    snap = tmp_path / "snap.json"
    snap.write_text(dump_snapshot(result.inventory))
    rescanned = scan([str(snap)], parse({}, "test-config"))
    assert sorted((f.fingerprint, f.outcome, f.message) for f in rescanned.findings) == sorted(
        (f.fingerprint, f.outcome, f.message) for f in result.doc.findings)  # the SM001 error too
    [gap] = [g for g in result.doc.gaps if g.region == "eu-west-1"]
    assert (gap.operation, gap.error, gap.kinds, gap.resource) == ("ListEndpoints", "EndpointConnectionError", [], None)
    [err] = findings(result, "SM001")
    assert err.outcome == "error" and err.location.region == "eu-west-1"
    assert err.message.startswith(f"region eu-west-1 of account {ACCOUNT} could not be audited: "
                                  "EndpointConnectionError on sagemaker:ListEndpoints")
    assert not [r for r in result.inventory.all() if r.meta.region == "eu-west-1"]
    assert findings(result, "SM201", f"{CFG}/recommender-prod", "fail")  # us-east-1 audited in full
    assert result.doc.run.regions == ["eu-west-1", REGION]


def test_unsupported_monitoring_api_makes_monitoring_rules_unknown(sandbox_account):
    result = run_audit(hooks=[fail_call("sagemaker", "ListMonitoringSchedules", code="UnknownOperationException",
                                        status=400, message="")])
    [gap] = _gaps(result, "ListMonitoringSchedules")
    assert gap.kinds == ["MonitoringSchedule", "MonitoringJobDefinition"] and gap.error == "UnknownOperationException"
    assert gap.message == "the API is not supported here"
    assert {f.outcome for f in findings(result, "SM203", "recommender-prod")} == {"unknown"}
    assert result.inventory.of("MonitoringSchedule") == []


def test_model_access_denied_leaves_dependent_verdicts_unknown(sandbox_account):
    result = run_audit(hooks=[fail_call("sagemaker", "DescribeModel")])
    gaps = _gaps(result, "DescribeModel")
    assert {g.resource for g in gaps} >= {"recommender", f"{CFG}/recommender-prod", f"{EP}/recommender-prod"}
    # the config's instance count is known, but SM201 also needs the model's subnets
    [ha] = findings(result, "SM201", f"{CFG}/recommender-prod")
    assert ha.outcome == "unknown"
    assert result.inventory.models == []


def test_endpoint_describe_denied_keeps_the_endpoint_with_unknown_verdicts(sandbox_account):
    def only_churn(session):
        def before_call(model=None, params=None, **_):
            if model.name == "DescribeEndpoint" and params.get("EndpointName") == "churn-dev":
                raise ClientError({"Error": {"Code": "AccessDenied", "Message": "explicit deny"}}, model.name)
        session.events.register("before-parameter-build", before_call)  # sees the API parameters

    result = run_audit(hooks=[only_churn])
    ep = result.inventory.by_key[f"{EP}/churn-dev"]
    assert ep.EndpointStatus == "InService" and ep.EndpointConfigName is None  # what the listing said
    assert {f.outcome for f in findings(result, resource="churn-dev") if f.rule.startswith("SM5")} <= {"unknown"}
    [idle] = findings(result, "SM502", "churn-dev")
    assert idle.outcome == "unknown"
    assert findings(result, "SM502", "fraud-detector-prod") == []


def test_a_collector_bug_is_a_gap_not_a_traceback(sandbox_account, monkeypatch):
    from auditor.live.collect import RegionCollector

    def boom(self):
        raise RuntimeError("unexpected shape")

    monkeypatch.setattr(RegionCollector, "collect_alarms", boom)
    result = run_audit()
    [gap] = _gaps(result, "collect")
    assert (gap.error, gap.region, gap.kinds) == ("RuntimeError", REGION, [])
    [err] = findings(result, "SM001")
    assert "could not be audited: RuntimeError on sm-audit:collect" in err.message
    assert for_findings(result.doc.findings, "error") == 1


def test_tags_fall_back_to_list_tags_when_the_tagging_api_is_denied(sandbox_account):
    result = run_audit(hooks=[fail_call("resourcegroupstaggingapi", "GetResources")])
    assert result.operations["sagemaker:ListTags"] == 12  # 4 endpoints, 4 configs, 4 models
    ep = result.inventory.by_key[f"{EP}/fraud-detector-prod"]
    assert ep.Tags == {"Environment": "prod", "Team": "risk"}
    assert _gaps(result, "GetResources") == [] and _gaps(result, "ListTags") == []


def test_tags_unreadable_everywhere_make_every_verdict_on_the_resource_unknown(sandbox_account):
    result = run_audit(hooks=[fail_call("resourcegroupstaggingapi", "GetResources"),
                              fail_call("sagemaker", "ListTags")])
    assert {g.resource for g in _gaps(result, "ListTags")} >= {f"{EP}/recommender-prod"}
    assert {f.outcome for f in findings(result, resource="recommender-prod")} == {"unknown"}
    # production cannot be told without tags: no false failure, no false pass
    assert findings(result, "SM201", f"{CFG}/recommender-prod")[0].outcome == "unknown"


def test_one_account_denied_the_other_audited(aws):
    import boto3

    sts = boto3.client("sts", region_name=REGION)
    creds = sts.assume_role(RoleArn="arn:aws:iam::111111111111:role/audit", RoleSessionName="seed")["Credentials"]
    sm = boto3.client("sagemaker", region_name=REGION, aws_access_key_id=creds["AccessKeyId"],
                      aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])
    sm.create_model(ModelName="m", ExecutionRoleArn="arn:aws:iam::111111111111:role/r",
                    PrimaryContainer={"Image": "763104351884.dkr.ecr.us-east-1.amazonaws.com/x:1"})
    sm.create_endpoint_config(EndpointConfigName="c", ProductionVariants=[
        {"VariantName": "AllTraffic", "ModelName": "m", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}])
    sm.create_endpoint(EndpointName="other-account-ep", EndpointConfigName="c")

    def deny_second(session):
        def before_call(model=None, params=None, **_):
            if model.name == "AssumeRole" and "222222222222" in params.get("RoleArn", ""):
                raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not trusted"}}, "AssumeRole")
        session.events.register("before-parameter-build", before_call)  # sees the API parameters

    result = run_audit(role_arns=["arn:aws:iam::111111111111:role/audit", "arn:aws:iam::222222222222:role/audit"],
                       hooks=[deny_second])
    assert [e.meta.account for e in result.inventory.endpoints] == ["111111111111"]
    [gap] = _gaps(result, "AssumeRole")
    assert (gap.account, gap.error) == ("222222222222", "AccessDenied")
    assert "cannot assume arn:aws:iam::222222222222:role/audit" in gap.message
    [err] = findings(result, "SM001")
    assert err.message.startswith("account 222222222222 could not be audited: AccessDenied on sts:AssumeRole")
    assert result.doc.run.accounts == ["111111111111", "222222222222"]


def test_cloudtrail_denied_leaves_only_the_trail_verdict_unknown(sandbox_account):
    # SM402 judges IAM statements and the account's trail; a CloudTrail failure
    # must not hide a real over-broad invoke grant (regression)
    result = run_audit(hooks=[fail_call("cloudtrail", "DescribeTrails")])
    [gap] = _gaps(result, "DescribeTrails")
    assert gap.kinds == ["Trail"]
    sm402 = [f for f in result.doc.findings if f.rule == "SM402"]
    grants = [f for f in sm402 if f.resource and f.resource.type.startswith("AWS::IAM::")]
    assert grants and all(f.outcome == "fail" for f in grants)
    trail = [f for f in sm402 if "CloudTrail" in f.message or "cloudtrail" in f.message]
    assert trail and all(f.outcome == "unknown" for f in trail)
