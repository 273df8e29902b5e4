"""The live audit over the sandbox's realistic account (auditor.live.sandbox:
a compliant production endpoint, a non-compliant one, an idle dev endpoint
and an idle always-on one) on the loopback moto server.

moto 5.2 gaps filled for these tests by the ``aws`` fixture (auditor.live.
moto_ext): DeploymentConfig kept (returned as LastDeploymentConfig, as AWS
does), EnableNetworkIsolation kept, monitoring schedules implemented, SSE-S3
as the default bucket encryption, variant weights defaulted to 1.0. The
endpoints' creation times are back-dated through moto's in-process backend."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from auditor.inventory import parse_time
from auditor.loaders.snapshot import dump_snapshot
from auditor.scan import scan

from .live_helpers import ACCOUNT, REGION, findings, run_audit

pytestmark = pytest.mark.live
CFG_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint-config"
EP_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint"


def _evaluation(result, rule, key):
    return [e.outcome for e in result.doc.evaluations if e.rule == rule and e.resource == key]


def test_non_compliant_production_endpoint_fails_high_availability(sandbox_audit):
    result = sandbox_audit
    [f] = findings(result, "SM201", f"{CFG_ARN}/recommender-prod", "fail")
    assert f.message == "variant AllTraffic runs on 1 instance(s); production needs at least 2"
    assert f.path == "ProductionVariants[0].InitialInstanceCount"
    assert (f.location.arn, f.location.account, f.location.region) == (f"{CFG_ARN}/recommender-prod", ACCOUNT, REGION)
    assert f.level == "error"


def test_compliant_production_endpoint_passes_availability_and_autoscaling(sandbox_audit):
    result = sandbox_audit
    key = f"{CFG_ARN}/fraud-detector-prod-v3"
    assert _evaluation(result, "SM201", key) == ["pass"]
    assert _evaluation(result, "SM202", f"{EP_ARN}/fraud-detector-prod") == ["pass"]
    assert not [f for f in result.doc.findings if f.resource and "fraud-detector" in f.resource.id
                and f.outcome != "pass" and f.rule in ("SM201", "SM202", "SM203", "SM301", "SM502")]


def test_idle_endpoint_found_and_always_on_endpoint_spared(sandbox_audit):
    result = sandbox_audit
    [f] = findings(result, "SM502", "churn-dev")
    assert f.outcome == "fail"
    assert f.message.startswith("endpoint churn-dev has had 0 invocations in the last 24 h (created ")
    assert f.resource.arn == f"{EP_ARN}/churn-dev"
    # tagged always-on, but staging: the seed's exception is for critical production endpoints (POLICIES rev. 2)
    [f] = findings(result, "SM502", "search-ranker-staging")
    assert f.outcome == "fail"
    assert "its always-on tag always-on=true was seen, but the exception is for critical production endpoints and " \
           "this endpoint is not classified production; stop it" in f.message
    assert _evaluation(result, "SM502", f"{EP_ARN}/fraud-detector-prod") == ["pass"]  # has traffic


def test_live_resources_use_the_api_names(sandbox_audit):
    inv = sandbox_audit.inventory
    ep = inv.by_key[f"{EP_ARN}/fraud-detector-prod"]
    assert ep.DeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.Type == "CANARY"
    assert ep.DeploymentConfig.AutoRollbackConfiguration.Alarms == [
        {"AlarmName": "fraud-detector-prod-5xx"}, {"AlarmName": "fraud-detector-prod-latency-p99"},
        {"AlarmName": "fraud-detector-prod-drift"}]
    assert ep.Tags == {"Environment": "prod", "Team": "risk"}
    assert (ep.meta.account, ep.meta.region, ep.meta.arn) == (ACCOUNT, REGION, f"{EP_ARN}/fraud-detector-prod")
    assert ep.EndpointStatus == "InService"
    assert isinstance(ep.CreationTime, str) and datetime.fromisoformat(ep.CreationTime).tzinfo is not None
    assert ep.live_variant("AllTraffic").CurrentInstanceCount == 2
    model = inv.by_key[f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model/fraud-detector-v3"]
    assert model.EnableNetworkIsolation is True
    assert len(model.VpcConfig.Subnets) == 2
    bucket = inv.by_key["arn:aws:s3:::sm-audit-demo-artifacts"]
    assert bucket.VersioningConfiguration.Status == "Enabled"
    [rule] = bucket.BucketEncryption.ServerSideEncryptionConfiguration
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    scratch = inv.by_key["arn:aws:s3:::sm-audit-demo-scratch"]
    assert scratch.VersioningConfiguration is None  # never enabled
    assert {s.AvailabilityZone for s in inv.of("Subnet")} == {"us-east-1a", "us-east-1b"}
    [target] = inv.of("ScalableTarget")
    assert (target.ResourceId, target.MinCapacity, target.MaxCapacity) == (
        "endpoint/fraud-detector-prod/variant/AllTraffic", 2, 4)
    [policy] = inv.of("ScalingPolicy")
    assert policy.TargetTrackingScalingPolicyConfiguration.TargetValue == 70.0
    assert sorted(s.MonitoringType for s in inv.of("MonitoringSchedule")) == [
        "DataQuality", "ModelBias", "ModelExplainability", "ModelQuality"]
    assert [g.LogGroupName for g in inv.of("LogGroup")] == ["/aws/sagemaker/Endpoints/fraud-detector-prod"]
    assert [d.DashboardName for d in inv.of("Dashboard")] == ["ml-endpoints"]
    assert sorted(p.PolicyName for p in inv.of("IamPolicy")) == ["invoke-any-endpoint", "invoke-fraud-detector"]
    [trail] = inv.of("Trail")
    assert (trail.TrailName, trail.IsLogging, trail.IsMultiRegionTrail, trail.meta.region) == (
        "org-audit", True, True, None)
    rec = inv.by_key[f"{EP_ARN}/recommender-prod"]
    assert [(s.rule, s.reason, s.kind, s.source) for s in rec.meta.suppressions] == [
        ("batch-for-offline", "traffic is interactive; reviewed 2026-10", "external",
         f"tag sm-audit:skip on {EP_ARN}/recommender-prod")]


def test_metrics_per_variant_over_the_rule_window(sandbox_audit):
    # SM502 wants 24 h of Invocations, SM503 168 h: one series over the longer window
    result = sandbox_audit
    inv = result.inventory
    idle = inv.metric("churn-dev", "AllTraffic", "Invocations", ACCOUNT, REGION)
    assert idle is not None and idle.values == [] and idle.stat == "Sum" and idle.period == 3600
    now = parse_time(inv.facts["now"])
    assert (now - parse_time(idle.start)).total_seconds() == pytest.approx(168 * 3600, abs=60)
    busy = inv.metric("fraud-detector-prod", "AllTraffic", "Invocations", ACCOUNT, REGION)
    assert len(busy.values) == 48 and min(busy.values) >= 1200  # the sandbox seeds 48 hours
    cpu = inv.metric("fraud-detector-prod", "AllTraffic", "CPUUtilization", ACCOUNT, REGION)
    assert cpu.namespace == "/aws/sagemaker/Endpoints" and cpu.stat == "Average" and len(cpu.values) == 48
    assert inv.metric("fraud-detector-prod", "AllTraffic", "GPUUtilization") is None  # ml.m5: no GPU query
    assert result.operations["cloudwatch:GetMetricData"] == 1  # every query in one call


def test_metric_window_follows_rule_parameters(sandbox_account):
    result = run_audit(config={"rules": {"SM503": {"enabled": False}, "SM501": {"enabled": False},
                                         "SM502": {"params": {"idle_hours": 36}}}})
    inv = result.inventory
    idle = inv.metric("churn-dev", "AllTraffic", "Invocations", ACCOUNT, REGION)
    assert (parse_time(idle.end) - parse_time(idle.start)).total_seconds() == 36 * 3600
    assert inv.metric("fraud-detector-prod", "AllTraffic", "CPUUtilization") is None  # SM501 off: not fetched
    [f] = findings(result, "SM502", "churn-dev")
    assert "0 invocations in the last 36 h" in f.message


def test_snapshot_rescanned_offline_gives_identical_findings(sandbox_audit, tmp_path):
    from auditor.config import parse

    result = sandbox_audit
    snap = tmp_path / "snapshot.json"
    snap.write_text(dump_snapshot(result.inventory))
    doc = scan([str(snap)], parse({}, "test-config"))

    def key(f):
        return (f.fingerprint, f.rule, f.level, f.outcome, f.message, f.path,
                f.suppression.reason if f.suppression else None)

    assert sorted(map(key, doc.findings)) == sorted(map(key, result.doc.findings))
    assert len(doc.findings) > 20


def test_cli_audit_json_snapshot_and_exit_codes(sandbox_account, tmp_path, capsys):
    from auditor.cli import main

    snap, out = tmp_path / "snap.json", tmp_path / "audit.json"
    with pytest.raises(SystemExit) as e:
        main(["audit", "--region", REGION, "-f", "json", "-o", str(out), "--save-snapshot", str(snap)])
    assert e.value.code == 1  # SM201 and others fail at error level
    audited = json.loads(out.read_text())
    assert audited["run"]["command"] == "audit" and audited["run"]["accounts"] == [ACCOUNT]
    with pytest.raises(SystemExit) as e:
        main(["scan", str(snap), "-f", "json", "-o", str(tmp_path / "scan.json")])
    assert e.value.code == 1
    scanned = json.loads((tmp_path / "scan.json").read_text())
    assert [f["fingerprint"] for f in scanned["findings"]] == [f["fingerprint"] for f in audited["findings"]]
    with pytest.raises(SystemExit) as e:
        main(["audit", "--region", REGION, "--fail-on", "never", "-f", "json"])
    assert e.value.code == 0
    with pytest.raises(SystemExit) as e:
        main(["audit", "--role-arn", "arn:aws:iam::111111111111:role/x", "--org-role", "x"])
    assert e.value.code == 2


def test_cli_unknown_profile_is_a_usage_error(capsys):
    from auditor.cli import main

    with pytest.raises(SystemExit) as e:
        main(["audit", "--profile", "no-such-profile-xyz", "--region", REGION])
    assert e.value.code == 2
    assert "no-such-profile-xyz" in capsys.readouterr().err


def test_cli_audit_sandbox_is_a_self_contained_demo(clean_backends, capsys, monkeypatch):
    """`audit --sandbox` starts its own seeded server and puts the environment back."""
    import os

    from auditor.cli import main

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with pytest.raises(SystemExit) as e:
        main(["audit", "--sandbox", "-f", "json"])
    out, err = capsys.readouterr()
    assert e.value.code == 1
    assert "sandbox: demo account 123456789012 in us-east-1 on http://127.0.0.1:" in err
    doc = json.loads(out)
    # search-ranker-staging is tagged always-on, but it is no production endpoint
    assert {f["resource"]["id"] for f in doc["findings"] if f["rule"] == "SM502"} == {"churn-dev", "search-ranker-staging"}
    assert doc["run"]["api_calls"] > 20
    assert "AWS_ENDPOINT_URL" not in os.environ


def test_progress_line_only_on_a_terminal(capsys):
    from auditor.live.fanout import Progress

    quiet = Progress(2, enabled=False)
    quiet.step("111111111111/us-east-1")
    quiet.close()
    assert capsys.readouterr().err == ""
    shown = Progress(2, enabled=True)
    shown.step("111111111111/us-east-1")
    assert "audit 1/2 111111111111/us-east-1" in capsys.readouterr().err
