from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from auditor.inventory import Inventory
from auditor.models.resources import Endpoint, EndpointConfig, MetricSeries
from rules.sm503_batch_for_offline import bulk_pattern

from ..conftest import FIXTURES
from .helpers import evaluate_inventory, live_meta, scan_file, scan_text, summary

RULE = "SM503"
DIR = FIXTURES / "rules" / RULE
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)


def test_bad_fixture_exact_findings():
    fs = scan_file(DIR / "bad.yaml", rule=RULE)
    assert summary(fs) == [(RULE, "MonthlyChurn", 16, "fail"), (RULE, "DocScoring", 30, "fail")]
    assert [f.message for f in fs] == [
        "endpoint MonthlyChurn is declared an offline workload (its tag workload=batch) but is a real-time "
        "endpoint; the policy wants batch transform for non-real-time workloads",
        "endpoint DocScoring is declared an offline workload (its endpoint config's tag workload=Offline) but is a "
        "real-time endpoint; the policy wants batch transform for non-real-time workloads",
    ]
    assert {f.level for f in fs} == {"note"}


def test_good_fixture_passes():
    assert scan_file(DIR / "good.yaml", rule=RULE) == []


TEMPLATE = """\
Parameters:
  Workload: {Type: String}
  Kind: {Type: String}
Conditions:
  Nightly: !Equals [!Ref Kind, nightly]
Resources:
  Config:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      ProductionVariants:
        - {VariantName: AllTraffic, ModelName: m, InstanceType: ml.m5.large, InitialInstanceCount: 1}
  Endpoint:
    Type: AWS::SageMaker::Endpoint
    Properties:
      EndpointConfigName: !GetAtt Config.EndpointConfigName
      Tags:
        - Key: workload
          Value: !If [Nightly, batch, realtime]
"""


def test_fn_if_tag(tmp_path):
    fs = scan_text(tmp_path, TEMPLATE, rule=RULE)
    assert summary(fs) == [(RULE, "Endpoint", 18, "fail")]
    assert fs[0].message.endswith("[when parameter Kind = 'nightly']")


def test_unknown_tag_value(tmp_path):
    fs = scan_text(tmp_path, TEMPLATE.replace("!If [Nightly, batch, realtime]", "!Ref Workload"), rule=RULE)
    assert summary(fs) == [(RULE, "Endpoint", 18, "unknown")]
    assert fs[0].message == ("cannot tell whether endpoint Endpoint is an offline workload: tag workload of Endpoint: "
                             "parameter Workload has no default")


def test_config_outside_the_template(tmp_path):
    text = TEMPLATE.replace("!GetAtt Config.EndpointConfigName", "shared-config").replace(
        "!If [Nightly, batch, realtime]", "batch")
    fs = scan_text(tmp_path, text, rule=RULE)
    assert summary(fs) == [(RULE, "Endpoint", 15, "unknown")]
    assert fs[0].message == ("endpoint Endpoint is declared an offline workload; cannot tell whether it is real-time: "
                             "EndpointConfig 'shared-config' is not defined in this template")


def test_tag_key_and_values_are_parameters(tmp_path):
    cfg = {"rules": {RULE: {"params": {"workload_tag": "mode", "workload_values": ["nightly"]}}}}
    text = TEMPLATE.replace("Key: workload", "Key: mode").replace("!If [Nightly, batch, realtime]", "nightly")
    assert summary(scan_text(tmp_path, text, rule=RULE, config=cfg)) == [(RULE, "Endpoint", 18, "fail")]
    assert scan_text(tmp_path, text, rule=RULE) == []


# -- the traffic heuristic ---------------------------------------------------------------

def _hours(bursts, n=168):
    slots = [0.0] * n
    for h, v in bursts.items():
        slots[h] = v
    return slots


ARGS = dict(max_active_ratio=0.1, max_bursts=7, min_burst_share=0.9, min_invocations=100)


def test_daily_batch_fits():
    facts = bulk_pattern(_hours({24 * d + 2: 5000 for d in range(7)}), **ARGS)
    assert facts == {"active_ratio": 0.0417, "bursts": 7, "burst_share": 1.0, "invocations": 35000, "periods": 168}


def test_trickle_and_busy_traffic_do_not_fit():
    # sparse interactive calls: 15 single requests in 15 separate hours -> share of top 7 bursts is 7/15
    assert bulk_pattern(_hours({h * 11: 10 for h in range(15)}), **ARGS) is None
    # busy all day
    assert bulk_pattern([50.0] * 168, **ARGS) is None
    # too few invocations to be a bulk workload, and nothing at all
    assert bulk_pattern(_hours({3: 40}), **ARGS) is None
    assert bulk_pattern([0.0] * 168, **ARGS) is None


@given(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=200))
def test_facts_are_consistent(slots):
    facts = bulk_pattern(slots, **ARGS)
    if facts is not None:
        assert facts["active_ratio"] <= 0.1 and facts["burst_share"] >= 0.9 and facts["invocations"] >= 100
        assert 1 <= facts["bursts"] <= sum(1 for x in slots if x > 0)


# -- live ----------------------------------------------------------------------------

def _live(values, async_=False, created_days=30):
    inv = Inventory(complete=True)
    extra = {"AsyncInferenceConfig": {"OutputConfig": {"S3OutputPath": "s3://b/o/"}}} if async_ else {}
    inv.add(EndpointConfig(meta=live_meta("AWS::SageMaker::EndpointConfig", "cfg"), EndpointConfigName="cfg",
                           ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": "m",
                                                "InstanceType": "ml.m5.xlarge", "InitialInstanceCount": 1}], **extra))
    inv.add(Endpoint(meta=live_meta("AWS::SageMaker::Endpoint", "ep"), EndpointName="ep", EndpointConfigName="cfg",
                     EndpointStatus="InService", CreationTime=(NOW - timedelta(days=created_days)).isoformat()))
    start = NOW - timedelta(hours=168)
    hours = sorted(values)
    inv.metrics.append(MetricSeries(metric="Invocations", endpoint="ep", variant="AllTraffic", account="111111111111",
                                    region="us-east-1", start=start.isoformat(), end=NOW.isoformat(),
                                    timestamps=[(start + timedelta(hours=h, minutes=1)).isoformat() for h in hours],
                                    values=[float(values[h]) for h in hours]))
    return inv


NIGHTLY = {24 * d + 2: 4000 for d in range(7)} | {24 * d + 3: 1000 for d in range(7)}


def test_live_nightly_bursts_recommend_batch():
    fs = evaluate_inventory(_live(NIGHTLY), RULE, now=NOW)
    assert [(f.resource.id, f.outcome, f.level) for f in fs] == [("ep", "fail", "note")]
    assert fs[0].message == ("endpoint ep served 35000 invocations in 7 burst(s) over the last 168 h, busy in 8% of "
                             "the periods; a periodic bulk workload is cheaper as batch transform")
    assert fs[0].data["bursts"] == 7 and fs[0].data["active_ratio"] == 0.0833


def test_live_interactive_async_or_young_endpoints_are_not_flagged():
    assert evaluate_inventory(_live({h: 30 for h in range(0, 168, 2)}), RULE, now=NOW) == []
    assert evaluate_inventory(_live(NIGHTLY, async_=True), RULE, now=NOW) == []
    assert evaluate_inventory(_live(NIGHTLY, created_days=3), RULE, now=NOW) == []


def test_corpus_has_no_declared_offline_endpoints():
    # none of the 32 real templates tags an endpoint as a batch/offline workload: no false positives
    from ..conftest import CORPUS

    assert scan_file(CORPUS, rule=RULE, production=True) == []
