"""Model Monitor alarms (data / model quality / bias / explainability) are
rollback triggers: endpoint-wide, so with several variants the newest one
loses its traffic to the baseline, and with one variant the endpoint returns
to the config it ran before, found in CloudTrail's event history (moto's
LookupEvents is filled in by auditor.live.moto_ext)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from auditor.live import moto_ext
from auditor.remediation.executor import execute
from auditor.remediation.journal import Journal, read
from auditor.remediation.planner import build_plan
from auditor.remediation.restore import restore

from .conftest import ACCOUNT, REGION, backend, cw, make_endpoint, sm

pytestmark = pytest.mark.live


def monitor_alarm(endpoint, kind="data", state="ALARM", name=None):
    name = name or f"{endpoint}-{kind}-drift"
    cw().put_metric_alarm(
        AlarmName=name, Namespace=f"aws/sagemaker/Endpoints/{kind}-metrics",
        MetricName="feature_baseline_drift_total_amount" if kind == "data" else "f1",
        Dimensions=[{"Name": "Endpoint", "Value": endpoint},
                    {"Name": "MonitoringSchedule", "Value": f"{endpoint}-{kind}-monitor"}],
        Statistic="Maximum", Period=3600, EvaluationPeriods=1, Threshold=0.2,
        ComparisonOperator="GreaterThanThreshold")
    cw().set_alarm_state(AlarmName=name, StateValue=state, StateReason="test")
    return name


def _configs(endpoint, *names):
    pvs = sm().describe_endpoint_config(EndpointConfigName=f"{endpoint}-config")["ProductionVariants"]
    for n in names:
        sm().create_endpoint_config(EndpointConfigName=n, ProductionVariants=pvs)


def _plan(ctx, **kw):
    return build_plan(ctx, [], run_id="t", regions=[REGION], **kw)


def test_one_variant_returns_to_the_config_before_from_cloudtrail(aws, make_ctx, tmp_path):
    make_endpoint("churn")  # CreateEndpoint churn-config
    _configs("churn", "churn-v2", "churn-v3")
    sm().update_endpoint(EndpointName="churn", EndpointConfigName="churn-v2")
    sm().update_endpoint(EndpointName="churn", EndpointConfigName="churn-v3")
    assert [e["EventName"] for e in moto_ext.trail_events(ACCOUNT, REGION)] == [
        "CreateEndpoint", "UpdateEndpoint", "UpdateEndpoint"]
    monitor_alarm("churn")

    plan = _plan(make_ctx())
    (c,) = plan.changes
    assert (c.action, c.kind, c.name) == ("rollback-variants", "config", "churn")
    assert c.before["EndpointConfigName"] == "churn-v3" and c.after == {"EndpointConfigName": "churn-v2"}
    assert ("Model Monitor alarm(s) churn-data-drift (churn-data-monitor) in ALARM (endpoint-wide); one variant: "
            "return churn from endpoint config churn-v3 to churn-v2, the config it ran before") in c.why
    assert plan.skipped == []

    j = Journal(tmp_path / "j.jsonl", "t")
    execute(plan, make_ctx(), apply=True, journal=j)
    j.close()
    assert c.status == "done"
    assert sm().describe_endpoint(EndpointName="churn")["EndpointConfigName"] == "churn-v2"

    entries, _ = read(tmp_path / "j.jsonl")
    r = Journal(tmp_path / "r.jsonl", "r", kind="restore")
    (o,) = restore(entries, make_ctx(), r)
    r.close()
    assert o.status == "restored" and o.detail == "returned to endpoint config churn-v3"
    assert sm().describe_endpoint(EndpointName="churn")["EndpointConfigName"] == "churn-v3"


def test_no_earlier_config_in_the_90_day_history_names_to_config(aws, make_ctx):
    make_endpoint("churn")
    _configs("churn", "churn-v2")
    sm().update_endpoint(EndpointName="churn", EndpointConfigName="churn-v2")
    for e in moto_ext.trail_events(ACCOUNT, REGION):  # all of it happened 100 days ago
        e["EventTime"] = datetime.now(timezone.utc) - timedelta(days=100)
    monitor_alarm("churn", kind="bias")
    plan = _plan(make_ctx())
    assert plan.changes == []
    (s,) = plan.skipped
    assert s.reason == ("Model Monitor alarm(s) churn-bias-drift (churn-bias-monitor) in ALARM (endpoint-wide), "
                        "but no earlier endpoint config of churn was found in CloudTrail's event history "
                        "(last 90 days): name one with --endpoint churn --to-config CONFIG")


def test_earlier_config_that_was_deleted_is_passed_over(aws, make_ctx):
    make_endpoint("churn")
    _configs("churn", "churn-v2")
    sm().update_endpoint(EndpointName="churn", EndpointConfigName="churn-v2")
    sm().delete_endpoint_config(EndpointConfigName="churn-config")
    monitor_alarm("churn")
    (s,) = _plan(make_ctx()).skipped
    assert "(earlier config(s) churn-config no longer exist)" in s.reason


def test_several_variants_the_newest_loses_its_traffic(aws, make_ctx):
    make_endpoint("ranker", variants=(("baseline", 2, 0.7), ("challenger", 1, 0.3)))
    models = backend()._models
    # moto stamps both models with the same second: make the challenger's model the newer one
    models["ranker-baseline-model"].creation_time = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(days=30)
    monitor_alarm("ranker", kind="model")
    (c,) = _plan(make_ctx()).changes
    assert c.kind == "weights"
    assert {v["VariantName"]: v["Weight"] for v in c.after["Variants"]} == {"baseline": 1.0, "challenger": 0.0}
    assert "challenger is the newest variant (model ranker-challenger-model created" in c.why


def test_variants_deployed_together_are_not_guessed(aws, make_ctx):
    make_endpoint("ranker", variants=(("a", 1, 0.5), ("b", 1, 0.5)))
    when = datetime.now(timezone.utc).replace(tzinfo=None)
    for m in ("ranker-a-model", "ranker-b-model"):
        backend()._models[m].creation_time = when
    monitor_alarm("ranker", kind="explainability")
    plan = _plan(make_ctx())
    assert plan.changes == [] and "deployed at the same time" in plan.skipped[0].reason


def test_a_monitor_alarm_that_is_ok_triggers_nothing(aws, make_ctx):
    make_endpoint("churn")
    monitor_alarm("churn", state="OK")
    plan = _plan(make_ctx())
    assert plan.changes == [] and plan.skipped == []
