import json
from datetime import datetime, timedelta, timezone

from auditor.inventory import Inventory
from auditor.loaders.snapshot import load_snapshot
from auditor.models.gaps import CoverageGap
from auditor.models.resources import Endpoint, EndpointConfig, MetricSeries

from ..conftest import CORPUS, FIXTURES
from .helpers import evaluate_inventory, live_meta, scan_file

RULE = "SM502"
DIR = FIXTURES / "rules" / RULE
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)
ARN = "arn:aws:sagemaker:us-east-1:111111111111:endpoint/"


def _snapshot(name):
    f = DIR / name
    [inv], problems = load_snapshot(str(f), json.loads(f.read_text()))
    assert problems == []
    return inv


def test_bad_fixture_exact_findings():
    fs = evaluate_inventory(_snapshot("bad.json"), RULE, now=NOW)
    assert [(f.resource.id, f.location.arn, f.outcome, f.level) for f in fs] == [
        ("forgotten-demo", ARN + "forgotten-demo", "fail", "warning"),
        ("silent", ARN + "silent", "fail", "warning"),
    ]
    assert fs[0].message == ("endpoint forgotten-demo has had 0 invocations in the last 24 h (created "
                             "2026-10-13T12:00:00+00:00); stop it, or tag it always-on if it must stay up")
    assert fs[0].data == {"endpoint": "forgotten-demo", "idle_hours": 24, "creation_time": "2026-10-13T12:00:00+00:00",
                          "endpoint_config": "forgotten-demo-cfg", "production": False}
    assert fs[0].remediation == "stop-idle-endpoints"


def test_good_fixture_passes():
    # busy, always-on (both designations), younger than the window, serverless, not InService
    assert evaluate_inventory(_snapshot("good.json"), RULE, now=NOW) == []


def test_traffic_before_the_window_does_not_count():
    # forgotten-demo's last invocations were 60 h into a 168 h series: idle for a 24 h window,
    # busy for a 120 h one
    cfg = {"rules": {RULE: {"params": {"idle_hours": 120}}}}
    fs = evaluate_inventory(_snapshot("bad.json"), RULE, now=NOW, config=cfg)
    assert [f.resource.id for f in fs] == ["silent"]


def test_always_on_designation():
    prod = {"Environment": "prod"}
    for tags in ({"always-on": "true"}, {"sm-audit:always-on": "critical"}, {"AlwaysOn": ""}):
        assert evaluate_inventory(_live(tags={**prod, **tags}), RULE, now=NOW) == [], tags
    for tags in ({"always-on": "false"}, {"always-on": " No "}, {"always_on": "true"}):
        assert len(evaluate_inventory(_live(tags={**prod, **tags}), RULE, now=NOW)) == 1, tags


def test_always_on_exempts_only_production_endpoints():
    fs = evaluate_inventory(_live(tags={"always-on": "true", "Environment": "dev"}), RULE, now=NOW)
    assert [(f.resource.id, f.outcome) for f in fs] == [("ep", "fail")]
    assert fs[0].message == ("endpoint ep has had 0 invocations in the last 24 h (created 2026-11-17T12:00:00+00:00); "
                             "its always-on tag always-on=true was seen, but the exception is for critical production "
                             "endpoints and this endpoint is not classified production; stop it")


def test_always_on_tag_format_is_configurable():
    cfg = {"rules": {RULE: {"params": {"always_on_tags": ["Criticality"], "always_on_false_values": ["tier-3"]}}}}
    prod = {"Environment": "prod"}
    assert evaluate_inventory(_live(tags={**prod, "Criticality": "tier-1"}), RULE, now=NOW, config=cfg) == []
    assert len(evaluate_inventory(_live(tags={**prod, "Criticality": "tier-3"}), RULE, now=NOW, config=cfg)) == 1
    # the default keys no longer count
    assert len(evaluate_inventory(_live(tags={**prod, "always-on": "true"}), RULE, now=NOW, config=cfg)) == 1


def _live(tags=None, series="empty", created=None, gap=False, count=1, start=None):
    inv = Inventory(complete=True)
    inv.add(EndpointConfig(meta=live_meta("AWS::SageMaker::EndpointConfig", "cfg"), EndpointConfigName="cfg",
                           ProductionVariants=[{"VariantName": "A", "ModelName": "m", "InstanceType": "ml.m5.large",
                                                "InitialInstanceCount": 1},
                                               {"VariantName": "B", "ModelName": "m", "InstanceType": "ml.m5.large",
                                                "InitialInstanceCount": 1}]))
    inv.add(Endpoint(meta=live_meta("AWS::SageMaker::Endpoint", "ep"), EndpointName="ep", EndpointConfigName="cfg",
                     EndpointStatus="InService", Tags=tags or {},
                     CreationTime=created if created is not None else (NOW - timedelta(days=5)).isoformat(),
                     ProductionVariants=[{"VariantName": "A", "CurrentInstanceCount": count},
                                         {"VariantName": "B", "CurrentInstanceCount": count}]))
    begin = start or (NOW - timedelta(hours=24))
    if series == "empty":
        for v in ("A", "B"):
            inv.metrics.append(MetricSeries(metric="Invocations", endpoint="ep", variant=v, account="111111111111",
                                            region="us-east-1", start=begin.isoformat(), end=NOW.isoformat()))
    elif series == "one-variant":
        inv.metrics.append(MetricSeries(metric="Invocations", endpoint="ep", variant="A", account="111111111111",
                                        region="us-east-1", start=begin.isoformat(), end=NOW.isoformat()))
    elif series == "busy-b":
        for v, vals in (("A", []), ("B", [3.0])):
            inv.metrics.append(MetricSeries(metric="Invocations", endpoint="ep", variant=v, account="111111111111",
                                            region="us-east-1", start=begin.isoformat(), end=NOW.isoformat(),
                                            timestamps=[(NOW - timedelta(hours=2)).isoformat()] * len(vals),
                                            values=vals))
    if gap:
        inv.gaps.append(CoverageGap(account="111111111111", region="us-east-1", service="cloudwatch",
                                    operation="GetMetricData", error="Throttling", kinds=["Endpoint"]))
    return inv


def test_all_variants_are_summed():
    assert len(evaluate_inventory(_live(), RULE, now=NOW)) == 1
    assert evaluate_inventory(_live(series="busy-b"), RULE, now=NOW) == []


def test_metrics_not_collected_is_unknown():
    for series in (None, "one-variant"):
        fs = evaluate_inventory(_live(series=series), RULE, now=NOW)
        assert [(f.outcome, f.message) for f in fs] == [
            ("unknown", "endpoint ep: invocation metrics were not collected")]


def test_series_shorter_than_the_window_is_unknown():
    fs = evaluate_inventory(_live(start=NOW - timedelta(hours=6)), RULE, now=NOW)
    assert [(f.outcome, f.message) for f in fs] == [
        ("unknown", "invocation metrics of endpoint ep start at 2026-11-22T06:00:00+00:00; they do not cover the "
                    "last 24 h")]


def test_creation_time_decides_the_age():
    assert evaluate_inventory(_live(created=(NOW - timedelta(hours=23)).isoformat()), RULE, now=NOW) == []
    assert len(evaluate_inventory(_live(created=(NOW - timedelta(hours=25)).isoformat()), RULE, now=NOW)) == 1
    fs = evaluate_inventory(_live(created=""), RULE, now=NOW)
    assert [(f.outcome, f.path) for f in fs] == [("unknown", "CreationTime")]


def test_scaled_to_zero_costs_nothing():
    assert evaluate_inventory(_live(count=0), RULE, now=NOW) == []


def test_coverage_gap_is_unknown():
    fs = evaluate_inventory(_live(gap=True), RULE, now=NOW)
    assert [(f.outcome, f.message) for f in fs] == [
        ("unknown", "cannot verify SM502 for ep: Throttling on cloudwatch:GetMetricData")]


def test_static_templates_are_not_judged():
    # live-only: a template says nothing about invocations
    assert scan_file(CORPUS / "001_aws-samples_sagemaker-custom-project-templates_endpoint-config-template.yml",
                     rule=RULE) == []
