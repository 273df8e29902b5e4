from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from auditor.inventory import Inventory
from auditor.models.gaps import CoverageGap
from auditor.models.resources import Endpoint, EndpointConfig, MetricSeries
from rules.sm501_right_sizing import (
    NAMED_SIZES,
    InstanceType,
    next_size_down,
    parse_instance_type,
    parse_size,
    size_name,
)

from ..conftest import CORPUS, FIXTURES
from .helpers import evaluate_inventory, live_meta, scan_file, scan_text, summary

RULE = "SM501"
DIR = FIXTURES / "rules" / RULE
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)

# -- the size parser -------------------------------------------------------------

sizes = st.one_of(st.sampled_from(sorted(NAMED_SIZES)), st.integers(2, 96).map(lambda n: f"{n}xlarge"))


@given(sizes)
def test_size_round_trips(size):
    assert size_name(parse_size(size)) == size


@given(sizes, sizes)
def test_size_order_is_numeric(a, b):
    ua, ub = parse_size(a), parse_size(b)
    order = ["nano", "micro", "small", "medium", "large", "xlarge"]

    def key(s):
        return (len(order), int(s[:-6])) if s[0].isdigit() else (order.index(s), 0)

    assert (ua < ub) == (key(a) < key(b))
    assert (ua == ub) == (a == b)


@given(st.from_regex(r"\A[a-z][a-z0-9]{0,5}\Z"), sizes)
def test_instance_type_parses_and_compares_by_size(family, size):
    t = parse_instance_type(f"ml.{family}.{size}")
    assert t is not None and t.family == family and t.size == size and t.name == f"ml.{family}.{size}"
    assert (t < parse_instance_type(f"ml.{family}.{size_name(t.units * 2)}")) if t.units * 2 >= 1 else True


@given(st.text(max_size=20))
def test_parser_never_crashes(text):
    t = parse_instance_type(text)
    assert t is None or text.strip().startswith("ml.")


def test_parser_examples():
    assert parse_size("large") == 0.5 and parse_size("xlarge") == 1.0 and parse_size("48xlarge") == 48.0
    assert parse_size("0xlarge") is None and parse_size("metal") is None and parse_size("xxlarge") is None
    assert parse_instance_type("ml.p6-b200.48xlarge") == InstanceType(48.0, "p6-b200", "48xlarge")
    assert parse_instance_type("m5.large") is None
    assert parse_instance_type("ml.g5.12xlarge").accelerated and parse_instance_type("ml.inf2.xlarge").accelerated
    assert not parse_instance_type("ml.m6g.large").accelerated and not parse_instance_type("ml.c7g.xlarge").accelerated
    assert parse_instance_type("ml.m5.4xlarge").vcpus == 16


def test_vcpus_and_memory_are_real_figures():
    """From the instance table, not a per-size rule of thumb (a medium is not a quarter of an xlarge)."""
    def spec(name):
        t = parse_instance_type(name)
        return t.vcpus, t.memory_gib

    assert spec("ml.t2.medium") == (2, 4.0) and spec("ml.t3.medium") == (2, 4.0)
    assert spec("ml.m5.large") == (2, 8.0) and spec("ml.r5.large") == (2, 16.0)
    assert spec("ml.g5.xlarge") == (4, 16.0) and spec("ml.p4d.24xlarge") == (96, 1152.0)
    assert spec("ml.zz9.large") == (None, None)
    large, start = parse_instance_type("ml.r5.large"), parse_instance_type("ml.m5.large")
    assert large.larger_than(start) and not start.larger_than(large)
    assert not parse_instance_type("ml.c5.large").larger_than(start)
    assert parse_instance_type("ml.zz9.xlarge").larger_than(start)  # not in the table: by size name


def test_the_instance_table_says_where_it_comes_from():
    import json

    from rules.sm501_right_sizing import DATA, instance_specs

    source = json.loads(DATA.read_text())["_source"]
    assert "DescribeInstanceTypes" in source["figures"] and "botocore" in source["types"]
    assert len(instance_specs()) > 250 and all(v > 0 and m > 0 for v, m in instance_specs().values())


def test_next_size_down_uses_the_family_ladder():
    assert next_size_down(parse_instance_type("ml.m5.12xlarge")).name == "ml.m5.4xlarge"  # no 8xlarge in m5
    assert next_size_down(parse_instance_type("ml.m5.xlarge")).name == "ml.m5.large"
    assert next_size_down(parse_instance_type("ml.m5.large")) is None
    assert next_size_down(parse_instance_type("ml.zz9.8xlarge")).name == "ml.zz9.4xlarge"  # unknown family: half


# -- static -----------------------------------------------------------------------

def test_bad_fixture_exact_findings():
    fs = scan_file(DIR / "bad.yaml", rule=RULE)
    assert [(f.resource.id, f.location.line, f.outcome, f.level) for f in fs] == [
        ("Config", 10, "fail", "warning"),
        ("Config", 14, "fail", "warning"),
        ("Config", 18, "fail", "note"),
        ("Config", 22, "fail", "note"),
        ("Config", 26, "fail", "warning"),
    ]
    assert [f.message for f in fs] == [
        "variant Legacy runs on ml.m4.xlarge; family ml.m4 is not in allowed_families",
        "variant Llm runs on ml.g5.48xlarge, beyond the large-model GPU size ml.g5.12xlarge; larger accelerated "
        "instances need a justification in tag sm-audit:instance-justification",
        "variant Vision runs on ml.g5.4xlarge, above the medium-model GPU size ml.g5.xlarge; use ml.g5.xlarge for "
        "medium models, or record why in tag sm-audit:instance-justification",
        "variant Tabular runs on ml.c5.2xlarge, above the start size ml.m5.large; scale up on measured performance "
        "and record why in tag sm-audit:instance-justification",
        "variant Typo: m5.large is not an ml.<family>.<size> instance type",
    ]


def test_good_fixture_passes():
    assert scan_file(DIR / "good.yaml", rule=RULE) == []


def test_params_move_the_limits(tmp_path):
    cfg = {"rules": {RULE: {"params": {"allowed_families": ["ml.m4", "ml.c5", "ml.g5", "ml.m5"],
                                       "start_size": "ml.m5.2xlarge", "gpu_medium": "ml.g5.4xlarge"}}}}
    fs = scan_file(DIR / "bad.yaml", rule=RULE, config=cfg)
    assert summary(fs) == [(RULE, "Config", 14, "fail"), (RULE, "Config", 26, "fail")]


def test_bad_param_is_a_config_error(tmp_path):
    import pytest

    from auditor.config import ConfigError

    with pytest.raises(ConfigError, match="rules.SM501.params.gpu_large"):
        scan_file(DIR / "good.yaml", rule=RULE, config={"rules": {RULE: {"params": {"gpu_large": "huge"}}}})


TEMPLATE = """\
Parameters:
  Type: {Type: String}
  Big: {Type: String}
Conditions:
  IsBig: !Equals [!Ref Big, "yes"]
Resources:
  Config:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      ProductionVariants:
        - VariantName: AllTraffic
          ModelName: m
          InstanceType: !If [IsBig, ml.g5.24xlarge, ml.g5.xlarge]
          InitialInstanceCount: 1
"""


def test_fn_if_branches(tmp_path):
    fs = scan_text(tmp_path, TEMPLATE, rule=RULE)
    assert summary(fs) == [(RULE, "Config", 13, "fail")]
    assert fs[0].message == (
        "variant AllTraffic runs on ml.g5.24xlarge, beyond the large-model GPU size ml.g5.12xlarge; larger "
        "accelerated instances need a justification in tag sm-audit:instance-justification "
        "[when parameter Big = 'yes']")


def test_unknown_instance_type(tmp_path):
    fs = scan_text(tmp_path, TEMPLATE.replace("!If [IsBig, ml.g5.24xlarge, ml.g5.xlarge]", "!Ref Type"), rule=RULE)
    assert summary(fs) == [(RULE, "Config", 13, "unknown")]
    assert fs[0].message == "instance type of variant AllTraffic is unknown (parameter Type has no default)"


def test_unknown_justification_tag(tmp_path):
    text = TEMPLATE.replace("!If [IsBig, ml.g5.24xlarge, ml.g5.xlarge]", "ml.g5.24xlarge").replace(
        "    Properties:\n", "    Properties:\n      Tags:\n        - {Key: 'sm-audit:instance-justification', "
                            "Value: !Ref Type}\n", 1)
    fs = scan_text(tmp_path, text, rule=RULE)
    assert summary(fs) == [(RULE, "Config", 15, "unknown")]
    assert fs[0].message.endswith("(cannot tell: tag sm-audit:instance-justification of Config: parameter Type has "
                                  "no default)")


def test_corpus_instance_types():
    fs = scan_file(CORPUS / "036_aws-samples_llm-apps-workshop_template.yml", rule=RULE)
    assert [(f.resource.id, f.location.line, f.level) for f in fs] == [
        ("LLMEndpointConfig", 233, "note"), ("EmbeddingEndpointConfig", 272, "warning")]
    # the variant is named after the model's declared name, a pattern over a deploy-time Fn::Sub variable
    assert fs[1].message.startswith("variant llm-apps-blog-gpt-j-6b-model-${RandomGUID} runs on ml.g5.24xlarge, beyond")
    # ml.t2.medium is an allowed family at the smallest size
    assert scan_file(CORPUS / "020_stelligent_cfn_nag_sagemaker_endpointconfig_kms_key_id_not_set.yaml",
                     rule=RULE) == []


# -- live ---------------------------------------------------------------------------

def _live(instance="ml.m5.2xlarge", cpu=None, gpu=None, created_days=30, gap=False):
    inv = Inventory(complete=True)
    inv.add(EndpointConfig(meta=live_meta("AWS::SageMaker::EndpointConfig", "cfg"), EndpointConfigName="cfg",
                           Tags={"sm-audit:instance-justification": "load tested"},
                           ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": "m",
                                                "InstanceType": instance, "InitialInstanceCount": 2}]))
    inv.add(Endpoint(meta=live_meta("AWS::SageMaker::Endpoint", "ep"), EndpointName="ep", EndpointConfigName="cfg",
                     EndpointStatus="InService", CreationTime=(NOW - timedelta(days=created_days)).isoformat()))
    start = NOW - timedelta(hours=168)
    for metric, values in (("CPUUtilization", cpu), ("GPUUtilization", gpu)):
        if values is None:
            continue
        stamps = [(start + timedelta(hours=i + 1)).isoformat() for i in range(len(values))]
        inv.metrics.append(MetricSeries(metric=metric, stat="Average", endpoint="ep", variant="AllTraffic",
                                        account="111111111111", region="us-east-1", start=start.isoformat(),
                                        end=NOW.isoformat(), timestamps=stamps, values=values))
    if gap:
        inv.gaps.append(CoverageGap(account="111111111111", region="us-east-1", service="cloudwatch",
                                    operation="GetMetricData", error="AccessDenied", kinds=["MetricSeries"]))
    return inv


def test_live_low_cpu_advises_the_next_size_down():
    fs = evaluate_inventory(_live(cpu=[30.0] * 168), RULE, now=NOW)
    assert [(f.resource.id, f.path, f.outcome, f.level) for f in fs] == [
        ("ep", "ProductionVariants[0].InstanceType", "fail", "note")]
    assert fs[0].message == ("variant AllTraffic on ml.m5.2xlarge averaged 3.8% CPU per vCPU over the last 168 h "
                             "(below 20%); consider ml.m5.xlarge")
    assert fs[0].data["suggested"] == "ml.m5.xlarge"
    assert fs[0].location.arn == "arn:aws:sagemaker:us-east-1:111111111111:endpoint/ep"


def test_live_busy_cpu_is_fine():
    assert evaluate_inventory(_live(cpu=[200.0] * 168), RULE, now=NOW) == []  # 25% of 8 vCPUs


def test_live_smallest_size_suggests_other_options():
    fs = evaluate_inventory(_live(instance="ml.m5.large", cpu=[5.0] * 168), RULE, now=NOW)
    assert [f.message for f in fs] == [
        "variant AllTraffic on ml.m5.large averaged 2.5% CPU per vCPU over the last 168 h (below 20%); ml.m5.large "
        "is the smallest ml.m5 size; consider a smaller family or serverless inference"]


def test_live_gpu_uses_gpu_utilization():
    fs = evaluate_inventory(_live(instance="ml.g5.2xlarge", cpu=[390.0] * 168, gpu=[4.0] * 168), RULE, now=NOW)
    assert [f.message for f in fs] == [
        "variant AllTraffic on ml.g5.2xlarge averaged 4.0% GPU over the last 168 h (below 20%); consider ml.g5.xlarge"]


def test_live_accelerators_are_not_sized_by_cpu():
    assert evaluate_inventory(_live(instance="ml.g5.2xlarge", cpu=[1.0] * 168), RULE, now=NOW) == []
    assert evaluate_inventory(_live(instance="ml.inf2.8xlarge", cpu=[1.0] * 168), RULE, now=NOW) == []


def test_live_without_metrics_or_full_window_says_nothing():
    assert evaluate_inventory(_live(cpu=None), RULE, now=NOW) == []
    assert evaluate_inventory(_live(cpu=[1.0] * 168, created_days=2), RULE, now=NOW) == []


def test_live_coverage_gap_is_unknown():
    fs = evaluate_inventory(_live(cpu=[1.0] * 168, gap=True), RULE, now=NOW)
    assert sorted((f.resource.id, f.outcome) for f in fs) == [("cfg", "unknown"), ("ep", "unknown")]
    assert all(f.message.endswith("AccessDenied on cloudwatch:GetMetricData") for f in fs)
