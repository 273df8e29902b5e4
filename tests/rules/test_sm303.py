"""SM303 ab-testing: gradual traffic shifting on production endpoints."""

from auditor.inventory import Inventory
from auditor.models.resources import Endpoint, EndpointConfig
from tests.conftest import CORPUS, FIXTURES

from .helpers import evaluate_inventory, live_meta, scan_file, scan_text, summary

DIR = FIXTURES / "rules" / "SM303"
RAMP = "the policy wants a gradual shift 10% → 50% → 100%"


def test_canary_linear_and_weighted_variants_pass():
    assert scan_file(DIR / "good.yaml", rule="SM303") == []


def test_coarse_or_missing_ramps_fail():
    fs = scan_file(DIR / "bad.yaml", rule="SM303")
    assert summary(fs) == [
        ("SM303", "BigCanary", 23, "fail"),
        ("SM303", "ABConfig", 39, "fail"),
        ("SM303", "AllAtOnce", 54, "fail"),
        ("SM303", "NegativeConfig", 64, "fail"),
    ]
    assert [f.message for f in fs] == [
        "the first canary of endpoint churn-canary is 50% of capacity; the ramp's first step is 10% "
        "(10% → 50% → 100%)",
        f"endpoint churn-ab: its smallest variant ModelB gets 30% of traffic, more than the ramp's first step 10%; "
        f"{RAMP}",
        f"endpoint churn-once shifts traffic all at once: blue/green routing is ALL_AT_ONCE and a single production "
        f"variant; {RAMP}",
        "variant New of endpoint churn-negative has a negative weight -0.1; weights must be non-negative",
    ]
    assert fs[0].path == "DeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.CanarySize.Value"
    assert {f.level for f in fs} == {"warning"}
    assert {f.remediation for f in fs} == {"rollback-variants"}
    # what the remediation planner reads
    assert fs[1].data == {"endpoint": "churn-ab", "variants": ["ModelA", "ModelB"], "weights": [0.7, 0.3]}
    assert fs[2].data == {"endpoint": "churn-once", "variants": ["AllTraffic"], "weights": [1.0]}


def test_seed_000_ramp_passes_and_ramp_is_a_parameter(tmp_path):
    text = (DIR / "bad.yaml").read_text()
    cfg = {"rules": {"SM303": {"params": {"ramp": [50, 100]}}}}
    fs = scan_text(tmp_path, text, config=cfg, rule="SM303")
    assert [f.resource.id for f in fs] == ["AllAtOnce", "NegativeConfig"]  # 50% canary and 30% share now fit
    seed000 = (DIR / "good.yaml").read_text()
    fs = scan_text(tmp_path, seed000, config={"rules": {"SM303": {"params": {"ramp": [5, 25, 50, 100]}}}},
                   rule="SM303")
    assert [(f.resource.id, f.message) for f in fs] == [
        ("Canary", "the first canary of endpoint churn-canary is 10% of capacity; the ramp's first step is 5% "
                   "(5% → 25% → 50% → 100%)")]


def test_non_production_is_not_checked(tmp_path):
    text = (DIR / "bad.yaml").read_text().replace("Value: prod}", "Value: test}")
    assert scan_text(tmp_path, text, rule="SM303") == []


ENDPOINT = """\
Parameters:
  CanaryPercent: {Type: Number}
  Count: {Type: Number}
Resources:
  Config:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      ProductionVariants:
        - {VariantName: AllTraffic, ModelName: m, InstanceType: ml.m5.large, InitialInstanceCount: COUNT}
  Endpoint:
    Type: AWS::SageMaker::Endpoint
    Properties:
      EndpointConfigName: !GetAtt Config.EndpointConfigName
      DeploymentConfig:
        BlueGreenUpdatePolicy:
          TrafficRoutingConfiguration:
            Type: CANARY
            CanarySize: {Type: SIZE_TYPE, Value: SIZE}
            WaitIntervalInSeconds: 300
"""


def _endpoint(count="4", size_type="CAPACITY_PERCENT", size="10"):
    return ENDPOINT.replace("COUNT", count).replace("SIZE_TYPE", size_type).replace("SIZE", size)


def test_canary_size_from_parameter_is_unknown(tmp_path):
    fs = scan_text(tmp_path, _endpoint(size="!Ref CanaryPercent"), production=True, rule="SM303")
    assert summary(fs) == [("SM303", "Endpoint", 18, "unknown")]
    assert fs[0].message == ("cannot tell the canary size of endpoint ${Endpoint.EndpointName}: parameter "
                             "CanaryPercent has no default")


def test_instance_count_canary(tmp_path):
    assert scan_text(tmp_path, _endpoint(count="10", size_type="INSTANCE_COUNT", size="1"), production=True,
                     rule="SM303") == []
    fs = scan_text(tmp_path, _endpoint(count="4", size_type="INSTANCE_COUNT", size="1"), production=True,
                   rule="SM303")
    assert [(f.outcome, f.message) for f in fs] == [
        ("fail", "the first canary of endpoint ${Endpoint.EndpointName} is 1 of 4 instances (25%); the ramp's "
                 "first step is 10% (10% → 50% → 100%)")]
    fs = scan_text(tmp_path, _endpoint(count="!Ref Count", size_type="INSTANCE_COUNT", size="1"), production=True,
                   rule="SM303")
    assert [(f.outcome, f.location.line, f.message) for f in fs] == [
        ("unknown", 18, "the canary of endpoint ${Endpoint.EndpointName} is 1 instance(s), but the endpoint's "
                        "instance count is unknown")]


def test_unknown_weight_is_unknown(tmp_path):
    text = """\
    Parameters:
      NewWeight: {Type: Number}
    Resources:
      Config:
        Type: AWS::SageMaker::EndpointConfig
        Properties:
          ProductionVariants:
            - {VariantName: Old, ModelName: a, InstanceType: ml.m5.large, InitialInstanceCount: 2}
            - {VariantName: New, ModelName: b, InstanceType: ml.m5.large, InitialInstanceCount: 2,
               InitialVariantWeight: !Ref NewWeight}
      Endpoint:
        Type: AWS::SageMaker::Endpoint
        Properties:
          EndpointName: churn
          EndpointConfigName: !GetAtt Config.EndpointConfigName
    """
    fs = scan_text(tmp_path, text, production=True, rule="SM303")
    assert summary(fs) == [("SM303", "Config", 10, "unknown")]
    assert fs[0].message == ("cannot tell how endpoint churn splits traffic: the weight of variant New is unknown "
                             "(parameter NewWeight has no default)")


def test_weights_summing_to_zero(tmp_path):
    text = """\
    Resources:
      Config:
        Type: AWS::SageMaker::EndpointConfig
        Properties:
          ProductionVariants:
            - {VariantName: A, ModelName: a, InstanceType: ml.m5.large, InitialInstanceCount: 2, InitialVariantWeight: 0}
            - {VariantName: B, ModelName: b, InstanceType: ml.m5.large, InitialInstanceCount: 2, InitialVariantWeight: 0}
      Endpoint:
        Type: AWS::SageMaker::Endpoint
        Properties:
          EndpointName: churn
          EndpointConfigName: !GetAtt Config.EndpointConfigName
    """
    fs = scan_text(tmp_path, text, production=True, rule="SM303")
    assert summary(fs) == [("SM303", "Config", 6, "fail")]
    assert fs[0].message == ("the variant weights of endpoint churn sum to 0; at least one must be above zero to "
                             "receive traffic")


def test_corpus_004_fn_if_deployment_config():
    # DeploymentConfig: !If [PerformLinearDeployment, LINEAR 33%, !If [PerformCanaryDeployment, CANARY 10%, NoValue]]
    # StageName has no default: when it is prod, DeploymentStrategy (AllowedValues CANARY, LINEAR, ALL_AT_ONCE;
    # its default CANARY binds nothing) decides: LINEAR 33% and ALL_AT_ONCE fail, the 10% canary passes;
    # otherwise there is no DeploymentConfig and one variant
    fs = scan_file(next(CORPUS.glob("004_*")), production=True, rule="SM303")
    assert summary(fs) == [("SM303", "Endpoint", 171, "unknown"), ("SM303", "Endpoint", 193, "fail"),
                           ("SM303", "Endpoint", 193, "unknown")]
    assert fs[0].message.startswith("fails only when parameter DeploymentStrategy is LINEAR, not when parameter "
                                    "DeploymentStrategy is CANARY or ALL_AT_ONCE")
    assert fs[1].message == ("endpoint ${SageMakerProjectName}-${StageName} shifts traffic all at once: no CANARY "
                             f"or LINEAR blue/green traffic routing and a single production variant; {RAMP} "
                             "[when not (parameter StageName = 'prod')]")


def test_corpus_018_single_variant_fails():
    fs = scan_file(next(CORPUS.glob("018_*")), production=True, rule="SM303")
    assert summary(fs) == [("SM303", "Endpoint", 117, "fail")]
    assert fs[0].data == {"endpoint": "${ModelName}-prd-${TrainJobId}", "variants": ["${ModelVariant}-${ModelName}"],
                          "weights": [1.0]}


def _live(weights: list[float]) -> Inventory:
    inv = Inventory(complete=True)
    cfg_arn = "arn:aws:sagemaker:us-east-1:111111111111:endpoint-config/churn-ab"
    inv.add(EndpointConfig(meta=live_meta("AWS::SageMaker::EndpointConfig", "churn-ab", arn=cfg_arn),
                           EndpointConfigName="churn-ab",
                           ProductionVariants=[{"VariantName": "Old", "ModelName": "a", "InitialVariantWeight": 1,
                                                "InitialInstanceCount": 2, "InstanceType": "ml.m5.large"},
                                               {"VariantName": "New", "ModelName": "b", "InitialVariantWeight": 1,
                                                "InitialInstanceCount": 2, "InstanceType": "ml.m5.large"}]))
    arn = "arn:aws:sagemaker:us-east-1:111111111111:endpoint/churn"
    inv.add(Endpoint(meta=live_meta("AWS::SageMaker::Endpoint", "churn", arn=arn), EndpointName="churn",
                     EndpointConfigName="churn-ab", Tags={"Environment": "prod"},
                     ProductionVariants=[{"VariantName": n, "CurrentWeight": w, "CurrentInstanceCount": 2}
                                         for n, w in zip(["Old", "New"], weights)]))
    return inv


def test_live_current_weights_decide():
    assert evaluate_inventory(_live([0.9, 0.1]), "SM303") == []
    fs = evaluate_inventory(_live([0.5, 0.5]), "SM303")  # the config says 1:1 too, but live state wins
    assert summary(fs) == [("SM303", "churn", None, "fail")]
    assert fs[0].path == "ProductionVariants[0].CurrentWeight"
    assert fs[0].message == ("endpoint churn: its smallest variant Old gets 50% of traffic, more than the ramp's "
                             f"first step 10%; {RAMP}")
    assert fs[0].data == {"endpoint": "churn", "variants": ["Old", "New"], "weights": [0.5, 0.5]}


def test_live_weight_not_reported_is_unknown():
    inv = _live([0.9, 0.1])
    inv.endpoints[0].ProductionVariants[1].CurrentWeight = None
    fs = evaluate_inventory(inv, "SM303")
    assert [(f.outcome, f.path, f.message) for f in fs] == [
        ("unknown", "ProductionVariants[1].CurrentWeight",
         "cannot tell how endpoint churn splits traffic: the weight of variant New is unknown (not reported)")]


def test_ramp_must_be_increasing_percentages(tmp_path):
    import pytest

    from auditor.config import ConfigError

    for bad in ([], [50, 10], [0, 100], [10, 150]):
        with pytest.raises(ConfigError, match="rules.SM303.params.ramp"):
            scan_text(tmp_path, (DIR / "good.yaml").read_text(), rule="SM303",
                      config={"rules": {"SM303": {"params": {"ramp": bad}}}})


# ---- revision 2: rolling updates, linear steps, waits, shadows ---------------------

SHAPES = (DIR / "shapes.yaml").read_text()
BG = "BlueGreenUpdatePolicy:\n          TrafficRoutingConfiguration:\n            "


def _rollout(tmp_path, rollout: str):
    return scan_text(tmp_path, SHAPES.replace("ROLLOUT", rollout), rule="SM303")


def _one(fs):
    return [(f.resource.id, f.location.line, f.path, f.message) for f in fs]


def test_rolling_update_in_small_batches_with_waits_passes(tmp_path):
    rolling = ("RollingUpdatePolicy:\n          MaximumBatchSize: {Type: CAPACITY_PERCENT, Value: 10}\n"
               "          WaitIntervalInSeconds: 600\n          MaximumExecutionTimeoutInSeconds: 3600")
    assert _rollout(tmp_path, rolling) == []
    by_count = rolling.replace("{Type: CAPACITY_PERCENT, Value: 10}", "{Type: INSTANCE_COUNT, Value: 1}")
    assert _rollout(tmp_path, by_count) == []  # 1 of 10 instances


def test_rolling_update_big_batch_or_short_wait_fails(tmp_path):
    rolling = ("RollingUpdatePolicy:\n          MaximumBatchSize: {Type: INSTANCE_COUNT, Value: 5}\n"
               "          WaitIntervalInSeconds: 600")
    assert _one(_rollout(tmp_path, rolling)) == [
        ("Endpoint", 19, "DeploymentConfig.RollingUpdatePolicy.MaximumBatchSize.Value",
         "the first rolling batch of endpoint churn is 5 of 10 instances (50%); the ramp's first step is 10% "
         "(10% → 50% → 100%)")]
    short = rolling.replace("Value: 5}", "Value: 1}").replace("600", "60")
    assert _one(_rollout(tmp_path, short)) == [
        ("Endpoint", 20, "DeploymentConfig.RollingUpdatePolicy.WaitIntervalInSeconds",
         "rolling update of endpoint churn waits 60 s between steps; the policy wants at least 300 s to compare "
         "the variants' metrics")]


def test_linear_steps_and_waits(tmp_path):
    linear = BG + "Type: LINEAR\n            LinearStepSize: {Type: CAPACITY_PERCENT, Value: 10}\n" \
                  "            WaitIntervalInSeconds: 300"
    assert _rollout(tmp_path, linear) == []
    big = linear.replace("Value: 10}", "Value: 25}")
    assert _one(_rollout(tmp_path, big)) == [
        ("Endpoint", 21, "DeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.LinearStepSize.Value",
         "the first linear step of endpoint churn is 25% of capacity; the ramp's first step is 10% "
         "(10% → 50% → 100%)")]


def test_canary_without_a_real_wait_fails(tmp_path):
    canary = BG + "Type: CANARY\n            CanarySize: {Type: CAPACITY_PERCENT, Value: 10}\n" \
                  "            WaitIntervalInSeconds: 0"
    assert _one(_rollout(tmp_path, canary)) == [
        ("Endpoint", 22, "DeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.WaitIntervalInSeconds",
         "CANARY routing of endpoint churn waits 0 s between steps; the policy wants at least 300 s to compare the "
         "variants' metrics")]
    cfg = {"rules": {"SM303": {"params": {"min_wait_seconds": 0}}}}
    assert scan_text(tmp_path, SHAPES.replace("ROLLOUT", canary), rule="SM303", config=cfg) == []


def test_shadow_variant_neither_satisfies_nor_breaks(tmp_path):
    # a weighted shadow next to one production variant is no A/B split
    fs = _rollout(tmp_path, BG + "Type: ALL_AT_ONCE")
    assert _one(fs) == [
        ("Endpoint", 17, "DeploymentConfig",
         f"endpoint churn shifts traffic all at once: blue/green routing is ALL_AT_ONCE and a single production "
         f"variant; {RAMP}")]


def test_config_without_endpoint(tmp_path):
    text = SHAPES[:SHAPES.index("  Endpoint:")]
    fs = scan_text(tmp_path, text, rule="SM303")
    assert _one(fs) == [
        ("Config", 7, "ProductionVariants",
         "endpoint config Config is used by no endpoint in this template and has a single production variant: "
         "whether the endpoint that uses it shifts traffic gradually (its DeploymentConfig) cannot be checked "
         "here")]
    assert [f.outcome for f in fs] == ["unknown"]
    two = text.replace("InitialInstanceCount: 10}",
                       "InitialInstanceCount: 10, InitialVariantWeight: 9}\n"
                       "        - {VariantName: New, ModelName: m2, InstanceType: ml.m5.large, "
                       "InitialInstanceCount: 1, InitialVariantWeight: 1}")
    assert scan_text(tmp_path, two, rule="SM303") == []  # the config's own 10% split decides
