from auditor.inventory import Inventory
from auditor.models.resources import Endpoint, EndpointConfig, ScalableTarget

from ..conftest import CORPUS, FIXTURES
from .helpers import evaluate_inventory, live_meta, scan_file, scan_text, summary

RULE = "SM601"
DIR = FIXTURES / "rules" / RULE


def test_bad_fixture_exact_findings():
    fs = scan_file(DIR / "bad.yaml", rule=RULE)
    assert [(f.resource.id, f.location.line, f.outcome, f.level, f.path) for f in fs] == [
        ("Config", 12, "fail", "warning", "AsyncInferenceConfig.ClientConfig.MaxConcurrentInvocationsPerInstance"),
        ("Config", 16, "fail", "warning", "AsyncInferenceConfig.OutputConfig.NotificationConfig.SuccessTopic"),
        ("Target", 29, "fail", "note", "MinCapacity"),
        ("Bare", 38, "fail", "warning", "AsyncInferenceConfig.OutputConfig.NotificationConfig"),
        ("Bare", 38, "fail", "warning", "AsyncInferenceConfig.OutputConfig.S3OutputPath"),
    ]
    assert [f.message for f in fs] == [
        "async endpoint config Config sets no ClientConfig.MaxConcurrentInvocationsPerInstance; cap the concurrent "
        "requests per instance",
        "async endpoint config Config sends success and error notifications to the same topic ${Topic}; use "
        "separate topics so failures are not mistaken for results",
        "async endpoint Endpoint variant AllTraffic scales to zero but lacks a StepScaling policy and an alarm on "
        "HasBacklogWithoutCapacity; without them it scales out from zero only after the backlog exceeds the "
        "target-tracking value",
        "async endpoint config Bare has no NotificationConfig; add a SuccessTopic and an ErrorTopic so callers "
        "learn of results and failures",
        "async endpoint config Bare sets no OutputConfig.S3OutputPath; async results need an S3 output location",
    ]


def test_good_fixture_passes():
    assert scan_file(DIR / "good.yaml", rule=RULE) == []


def test_scale_to_zero_advice_names_what_is_missing(tmp_path):
    text = (DIR / "good.yaml").read_text()
    alarm = text[text.index("  BacklogAlarm:"):text.index("  Realtime:")]
    fs = scan_text(tmp_path, text.replace(alarm, ""), rule=RULE)
    assert [(f.resource.id, f.level) for f in fs] == [("Target", "note")]
    assert "lacks an alarm on HasBacklogWithoutCapacity;" in fs[0].message
    # a minimum above zero needs neither
    assert scan_text(tmp_path, text.replace(alarm, "").replace("MinCapacity: 0", "MinCapacity: 1"), rule=RULE) == []


TEMPLATE = """\
Parameters:
  Notify: {Type: String}
  Concurrency: {Type: Number}
  Min: {Type: Number}
Conditions:
  WithTopics: !Equals [!Ref Notify, "yes"]
Resources:
  Config:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      ProductionVariants:
        - {VariantName: AllTraffic, ModelName: m, InstanceType: ml.m5.xlarge, InitialInstanceCount: 1}
      AsyncInferenceConfig:
        ClientConfig:
          MaxConcurrentInvocationsPerInstance: !Ref Concurrency
        OutputConfig:
          S3OutputPath: s3://bucket/out/
          NotificationConfig: !If
            - WithTopics
            - {SuccessTopic: arn:aws:sns:us-east-1:111111111111:ok, ErrorTopic: arn:aws:sns:us-east-1:111111111111:err}
            - !Ref AWS::NoValue
  Endpoint:
    Type: AWS::SageMaker::Endpoint
    Properties:
      EndpointName: docs
      EndpointConfigName: !GetAtt Config.EndpointConfigName
  Target:
    Type: AWS::ApplicationAutoScaling::ScalableTarget
    Properties:
      ResourceId: endpoint/docs/variant/AllTraffic
      ScalableDimension: sagemaker:variant:DesiredInstanceCount
      MinCapacity: !Ref Min
      MaxCapacity: 4
"""


def test_fn_if_and_unknown_values(tmp_path):
    fs = scan_text(tmp_path, TEMPLATE, rule=RULE)
    assert summary(fs) == [(RULE, "Config", 21, "fail"), (RULE, "Target", 32, "unknown")]  # 21: the NoValue branch
    # a concurrency from a parameter is set, whatever its value
    assert fs[0].message.endswith("[when not (parameter Notify = 'yes')]")
    assert fs[1].message == (
        "MinCapacity parameter Min has no default; if it is 0: async endpoint Endpoint variant AllTraffic may scale "
        "to zero but lacks a StepScaling policy and an alarm on HasBacklogWithoutCapacity; without them it scales "
        "out from zero only after the backlog exceeds the target-tracking value")


def test_real_time_configs_are_not_checked(tmp_path):
    text = TEMPLATE[:TEMPLATE.index("      AsyncInferenceConfig:")] + TEMPLATE[TEMPLATE.index("  Endpoint:"):]
    assert scan_text(tmp_path, text.replace("!Ref Min", "1"), rule=RULE) == []


# -- corpus ------------------------------------------------------------------------

def test_corpus_002_one_topic_for_success_and_errors():
    fs = scan_file(CORPUS / "002_aws-samples_sagemaker-custom-project-templates_endpoint-config-template.yml",
                   rule=RULE)
    assert summary(fs) == [(RULE, "EndpointConfig", 60, "fail"), (RULE, "EndpointConfig", 64, "fail")]
    assert fs[0].path == "AsyncInferenceConfig.ClientConfig.MaxConcurrentInvocationsPerInstance"
    assert fs[1].message == ("async endpoint config EndpointConfig sends success and error notifications to the same "
                             "topic ${SNSTopicError}; use separate topics so failures are not mistaken for results")


def test_corpus_022_and_039_have_no_notifications():
    fs = scan_file(CORPUS / "022_aws-samples_sample-for-autoscaling-sagemaker-endpoints-with-custom-resource_"
                            "SageMaker-Async-Endpoints.yaml", rule=RULE)
    assert summary(fs) == [(RULE, "Endpoint1Config", 155, "fail"), (RULE, "Endpoint2Config", 172, "fail"),
                           (RULE, "Endpoint3Config", 189, "fail")]
    assert {f.path for f in fs} == {"AsyncInferenceConfig.OutputConfig.NotificationConfig"}
    fs = scan_file(CORPUS / "039_aws-samples_easy-model-deployer_template.yaml", rule=RULE)
    assert summary(fs) == [(RULE, "SageMakerEndpointConfig", 101, "fail")]


# -- live ----------------------------------------------------------------------------

def test_live_async_endpoint():
    inv = Inventory(complete=True)
    inv.add(EndpointConfig(meta=live_meta("AWS::SageMaker::EndpointConfig", "cfg"), EndpointConfigName="cfg",
                           ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": "m",
                                                "InstanceType": "ml.m5.xlarge", "InitialInstanceCount": 1}],
                           AsyncInferenceConfig={"ClientConfig": {"MaxConcurrentInvocationsPerInstance": 4},
                                                 "OutputConfig": {"S3OutputPath": "s3://b/o/", "NotificationConfig": {
                                                     "SuccessTopic": "arn:aws:sns:us-east-1:111111111111:ok"}}}))
    inv.add(Endpoint(meta=live_meta("AWS::SageMaker::Endpoint", "ep"), EndpointName="ep", EndpointConfigName="cfg",
                     EndpointStatus="InService"))
    inv.add(ScalableTarget(meta=live_meta("AWS::ApplicationAutoScaling::ScalableTarget", "t",
                                          arn="arn:aws:application-autoscaling:us-east-1:111111111111:"
                                              "scalable-target/t"),
                           ServiceNamespace="sagemaker", ResourceId="endpoint/ep/variant/AllTraffic",
                           ScalableDimension="sagemaker:variant:DesiredInstanceCount", MinCapacity=0, MaxCapacity=2))
    fs = evaluate_inventory(inv, RULE)
    assert [(f.resource.id, f.path, f.level) for f in fs] == [
        ("arn:aws:application-autoscaling:us-east-1:111111111111:scalable-target/t", "MinCapacity", "note"),
        ("cfg", "AsyncInferenceConfig.OutputConfig.NotificationConfig.ErrorTopic", "warning"),
    ]
    assert fs[1].message == ("async endpoint config cfg sets no NotificationConfig.ErrorTopic; the policy wants both a "
                             "SuccessTopic and an ErrorTopic")
