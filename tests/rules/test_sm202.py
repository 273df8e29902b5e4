from auditor.inventory import Inventory
from auditor.models.resources import Endpoint, EndpointConfig, ScalableTarget, ScalingPolicy

from tests.conftest import CORPUS, FIXTURES

from .helpers import evaluate_inventory, live_meta, scan_file, scan_text, summary

GOOD = FIXTURES / "rules" / "SM202" / "good.yaml"
BAD = FIXTURES / "rules" / "SM202" / "bad.yaml"
METRICS = "SageMakerVariantInvocationsPerInstance, CPUUtilization, GPUUtilization"


def test_good_autoscaling_passes():
    assert scan_file(GOOD, rule="SM202") == []


def test_not_production_is_not_checked():
    assert scan_file(BAD, rule="SM202", config={"production": {"values": ["live"]}}) == []


def test_bad_autoscaling_exact_findings():
    fs = scan_file(BAD, rule="SM202")
    assert summary(fs) == [
        ("SM202", "Config", 24, "fail"),
        ("SM202", "BlueTarget", 40, "fail"),
        ("SM202", "BlueTarget", 41, "fail"),
        ("SM202", "BluePolicy", 50, "fail"),
        ("SM202", "BluePolicy", 50, "fail"),
        ("SM202", "BluePolicy", 51, "fail"),
        ("SM202", "GreenTarget", 66, "fail"),
        ("SM202", "GreenPolicy", 76, "fail"),
        ("SM202", "GreenPolicy", 78, "fail"),
    ]
    m = [f.message for f in fs]
    assert m[0] == ("variant Spare of endpoint Endpoint has no scalable target (endpoint/churn-prod/variant/Spare, "
                    "sagemaker:variant:DesiredInstanceCount); production endpoints must autoscale")
    assert m[1] == ("scalable target BlueTarget (variant Blue) has MinCapacity 1: autoscaling may scale the variant "
                    "below the 2 instances the high-availability policy (SM201) requires; the autoscaling policy's "
                    "Min=1 conflicts with it, so set MinCapacity to at least 2")
    # Fn::If: only the burst branch exceeds the maximum
    assert m[2] == ("scalable target BlueTarget (variant Blue) has MaxCapacity 10; the policy wants at most 4 "
                    "[when parameter Burst = 'yes']")
    assert m[3] == ("scaling policy BluePolicy of scalable target BlueTarget (variant Blue) sets no ScaleInCooldown "
                    "(the service default applies); the policy wants a scale-in cooldown of 300 s")
    assert m[4] == ("scaling policy BluePolicy of scalable target BlueTarget (variant Blue) sets no ScaleOutCooldown "
                    "(the service default applies); the policy wants a scale-out cooldown of 60 s")
    assert m[5] == ("scaling policy BluePolicy of scalable target BlueTarget (variant Blue) tracks TargetValue 50; "
                    "the policy wants 70")
    assert m[6] == "scalable target GreenTarget (variant Green) has MaxCapacity 3; it must be greater than MinCapacity 3"
    assert m[7] == ("scaling policy GreenPolicy of scalable target GreenTarget (variant Green) has ScaleInCooldown "
                    "600 s; the policy wants 300 s")
    assert m[8] == ("scaling policy GreenPolicy of scalable target GreenTarget (variant Green) scales on "
                    f"MemoryUtilization; the policy wants one of {METRICS}")
    # the remediation planner's facts
    assert fs[1].data == {
        "endpoint": "churn-prod", "variant": "Blue", "resource_id": "endpoint/churn-prod/variant/Blue",
        "min_capacity": 1, "max_capacity": 10, "target_value": 50.0, "metric": "CPUUtilization",
        "scale_out_cooldown": None, "scale_in_cooldown": None,
        "wanted": {"min_capacity": 2, "max_capacity": 4, "target_value": 70,
                   "metric": "SageMakerVariantInvocationsPerInstance", "scale_out_cooldown": 60,
                   "scale_in_cooldown": 300}}
    assert fs[0].remediation == "apply-autoscaling"


def test_ha_conflict_check_can_be_turned_off():
    cfg = {"rules": {"SM202": {"params": {"ha_min_instances": 0}}}}
    assert "BlueTarget" not in [f.resource.id for f in scan_file(BAD, rule="SM202", config=cfg) if f.path == "MinCapacity"]


UNRESOLVED = """\
Parameters:
  TargetResource: {Type: String}
  Name: {Type: String}
Resources:
  Config:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      ProductionVariants:
        - {VariantName: AllTraffic, ModelName: m, InstanceType: ml.m5.large, InitialInstanceCount: 2}
  Endpoint:
    Type: AWS::SageMaker::Endpoint
    Properties:
      EndpointName: !Ref Name
      EndpointConfigName: !GetAtt Config.EndpointConfigName
  Target:
    Type: AWS::ApplicationAutoScaling::ScalableTarget
    Properties:
      ServiceNamespace: sagemaker
      ResourceId: RESOURCE_ID
      ScalableDimension: sagemaker:variant:DesiredInstanceCount
      MinCapacity: 2
      MaxCapacity: 4
"""


def test_target_that_cannot_be_tied_is_unknown(tmp_path):
    for rid in ("!Ref TargetResource", "endpoint/churn/variant/AllTraffic"):
        fs = scan_text(tmp_path, UNRESOLVED.replace("RESOURCE_ID", rid), rule="SM202", production=True)
        assert summary(fs) == [("SM202", "Config", 9, "unknown")], rid
        assert fs[0].message.startswith("variant AllTraffic of endpoint Endpoint: cannot tell whether scalable "
                                        "target Target scales it")


def test_sub_with_endpoint_name_parameter_links(tmp_path):
    text = UNRESOLVED.replace("RESOURCE_ID", "!Sub endpoint/${Name}/variant/AllTraffic")
    fs = scan_text(tmp_path, text, rule="SM202", production=True)
    assert summary(fs) == [("SM202", "Target", 17, "fail")]
    assert fs[0].message == ("scalable target Target (variant AllTraffic) has no target-tracking scaling policy; "
                             f"the policy wants one at 70 on {METRICS.replace(', ', ' / ')}")


def test_corpus_018_safe_deployment_pipeline():
    fs = scan_file(CORPUS / "018_aws-samples_amazon-sagemaker-safe-deployment-pipeline_deploy-model-prd.yml",
                   rule="SM202", production=True)
    assert summary(fs) == [
        ("SM202", "AutoScaling", 352, "fail"),
        ("SM202", "AutoScalingPolicy", 369, "fail"),
        ("SM202", "AutoScalingPolicy", 370, "fail"),
    ]
    assert [f.message for f in fs] == [
        "scalable target AutoScaling (variant ${ModelVariant}-${ModelName}) has MaxCapacity 10; the policy wants at most 4",
        "scaling policy AutoScalingPolicy of scalable target AutoScaling (variant ${ModelVariant}-${ModelName}) tracks "
        "TargetValue 750; the policy wants 70",
        "scaling policy AutoScalingPolicy of scalable target AutoScaling (variant ${ModelVariant}-${ModelName}) has "
        "ScaleInCooldown 60 s; the policy wants 300 s",
    ]


def test_corpus_041_join_over_config_name_links_and_unknown_capacities():
    fs = scan_file(CORPUS / "041_aws-samples_amazon-sagemaker-fraud-detection_SageMakerCloudFormation.json",
                   rule="SM202", production=True)
    assert [(f.resource.id, f.path, f.outcome) for f in fs] == [
        ("AutoScalingTargetSagemaker", "MaxCapacity", "unknown"),
        ("AutoScalingTargetSagemaker", "MinCapacity", "unknown"),
        ("AutoScalingPolicy", "TargetTrackingScalingPolicyConfiguration.ScaleInCooldown", "fail"),
        ("AutoScalingPolicy", "TargetTrackingScalingPolicyConfiguration.ScaleOutCooldown", "fail"),
        ("AutoScalingPolicy", "TargetTrackingScalingPolicyConfiguration.TargetValue", "fail"),
    ]
    assert fs[0].message == ("scalable target AutoScalingTargetSagemaker (variant Initial): MaxCapacity cannot be "
                             "determined (parameter MaxInstance has no default)")
    assert fs[4].message == ("scaling policy AutoScalingPolicy of scalable target AutoScalingTargetSagemaker (variant "
                             "Initial) tracks TargetValue 100; the policy wants 70")


def _live(min_cap=2, max_cap=4, cooldown_in=300, with_target=True) -> Inventory:
    inv = Inventory(complete=True)
    inv.add(EndpointConfig(meta=live_meta("AWS::SageMaker::EndpointConfig", "churn-cfg"),
                           EndpointConfigName="churn-cfg",
                           ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": "churn",
                                                "InstanceType": "ml.m5.large", "InitialInstanceCount": 2}]))
    inv.add(Endpoint(meta=live_meta("AWS::SageMaker::Endpoint", "churn"), EndpointName="churn",
                     EndpointConfigName="churn-cfg", Tags={"Environment": "prod"}))
    rid = "endpoint/churn/variant/AllTraffic"
    if with_target:
        tarn = "arn:aws:application-autoscaling:us-east-1:111111111111:scalable-target/abc"
        inv.add(ScalableTarget(meta=live_meta("AWS::ApplicationAutoScaling::ScalableTarget", rid, arn=tarn),
                               ServiceNamespace="sagemaker", ResourceId=rid, MinCapacity=min_cap, MaxCapacity=max_cap,
                               ScalableDimension="sagemaker:variant:DesiredInstanceCount"))
        parn = "arn:aws:autoscaling:us-east-1:111111111111:scalingPolicy:abc:resource/sagemaker/" + rid + ":policyName/p"
        inv.add(ScalingPolicy(meta=live_meta("AWS::ApplicationAutoScaling::ScalingPolicy", "p", arn=parn),
                              PolicyName="p", PolicyType="TargetTrackingScaling", ServiceNamespace="sagemaker",
                              ResourceId=rid, ScalableDimension="sagemaker:variant:DesiredInstanceCount",
                              TargetTrackingScalingPolicyConfiguration={
                                  "TargetValue": 70.0, "ScaleOutCooldown": 60, "ScaleInCooldown": cooldown_in,
                                  "PredefinedMetricSpecification": {
                                      "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"}}))
    return inv


def test_live_autoscaling():
    assert evaluate_inventory(_live(), "SM202") == []
    fs = evaluate_inventory(_live(max_cap=8, cooldown_in=120), "SM202")
    assert [(f.path, f.outcome) for f in fs] == [
        ("MaxCapacity", "fail"), ("TargetTrackingScalingPolicyConfiguration.ScaleInCooldown", "fail")]
    assert fs[1].message == ("scaling policy p of scalable target endpoint/churn/variant/AllTraffic (variant "
                             "AllTraffic) has ScaleInCooldown 120 s; the policy wants 300 s")
    fs = evaluate_inventory(_live(with_target=False), "SM202")
    assert [(f.resource.name, f.outcome) for f in fs] == [("churn-cfg", "fail")]
    assert fs[0].message == ("variant AllTraffic of endpoint churn has no scalable target "
                             "(endpoint/churn/variant/AllTraffic, sagemaker:variant:DesiredInstanceCount); production "
                             "endpoints must autoscale")
    assert fs[0].data["endpoint"] == "churn" and fs[0].data["variant"] == "AllTraffic"


def test_production_config_without_endpoint_is_unknown(tmp_path):
    from .helpers import scan_text

    text = """\
    Resources:
      Config:
        Type: AWS::SageMaker::EndpointConfig
        Properties:
          Tags: [{Key: Environment, Value: prod}]
          ProductionVariants: [{VariantName: A, ModelName: m, InstanceType: ml.m5.large, InitialInstanceCount: 2}]
    """
    fs = scan_text(tmp_path, text, rule="SM202")
    assert [(f.resource.id, f.outcome, f.path, f.message) for f in fs] == [
        ("Config", "unknown", "EndpointConfigName",
         "endpoint config Config is used by no endpoint in this template: the scalable targets and scaling policies "
         "of the endpoint that uses it cannot be checked here")]


SHAPES_GOOD = FIXTURES / "rules" / "SM202" / "shapes-good.yaml"
SHAPES_BAD = FIXTURES / "rules" / "SM202" / "shapes-bad.yaml"
IC_METRICS = ("SageMakerInferenceComponentInvocationsPerCopy, "
              "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution")


def test_revision2_shapes_pass():
    """Components scale copies on their own targets (no variant target is
    demanded of the component-hosting variant), an async endpoint scales on
    its backlog and out of zero, a customized CPU metric is this endpoint's."""
    from auditor.config import parse
    from auditor.scan import scan

    from .helpers import TODAY

    doc = scan([str(SHAPES_GOOD)], parse({}, "test-config"), select=["SM202"], today=TODAY)
    assert doc.findings == []
    notes = {e.resource.rsplit("#", 1)[1]: e.note for e in doc.evaluations if e.note}
    assert notes == {"Adapter": "inference component Adapter is an adapter: it runs on its base component's copies"}
    assert {e.resource.rsplit("#", 1)[1] for e in doc.evaluations} >= {"Component", "IcEndpoint", "AsyncEndpoint",
                                                                        "CpuEndpoint"}


def test_revision2_shapes_fail_exactly():
    fs = scan_file(SHAPES_BAD, rule="SM202")
    assert [(f.resource.id, f.location.line, f.outcome, f.path) for f in fs] == [
        ("IcConfig", 14, "fail", "ProductionVariants[0]"),
        ("Unscaled", 29, "fail", "RuntimeConfig"),
        ("CopyTarget", 44, "fail", "MinCapacity"),
        ("CopyTarget", 45, "fail", "MaxCapacity"),
        ("CopyPolicy", 57, "fail", "TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification"
                                   ".PredefinedMetricType"),
        ("AsyncTarget", 77, "fail", "MinCapacity"),
        ("BacklogPolicy", 93, "fail", "TargetTrackingScalingPolicyConfiguration.CustomizedMetricSpecification"
                                      ".Dimensions"),
        ("BluePolicy", 126, "fail", "TargetTrackingScalingPolicyConfiguration.CustomizedMetricSpecification"
                                    ".Namespace"),
        ("GreenPolicy", 151, "fail", "TargetTrackingScalingPolicyConfiguration.CustomizedMetricSpecification"
                                     ".Dimensions"),
    ]
    m = [f.message for f in fs]
    assert m[0] == ("variant AllTraffic of endpoint IcEndpoint hosts inference components (it names no model): its "
                    "instances scale only through ManagedInstanceScaling, which is not set; the policy wants it "
                    "ENABLED with MinInstanceCount >= 1 and MaxInstanceCount <= 4 (a variant scalable target does "
                    "not apply to it)")
    assert m[1] == ("inference component Unscaled has no scalable target (inference-component/chat-small, "
                    "sagemaker:inference-component:DesiredCopyCount); production components must autoscale their "
                    "copies")
    assert m[2] == ("scalable target CopyTarget (inference component chat-large) has MinCapacity 1: autoscaling may "
                    "scale the component below the 2 copies the high-availability policy (SM201) requires; the "
                    "autoscaling policy's Min=1 conflicts with it, so set MinCapacity to at least 2")
    assert m[3] == "scalable target CopyTarget (inference component chat-large) has MaxCapacity 8; the policy wants at most 4"
    assert m[4] == ("scaling policy CopyPolicy of scalable target CopyTarget (inference component chat-large) scales "
                    f"on SageMakerVariantInvocationsPerInstance; the policy wants one of {IC_METRICS}")
    assert m[5] == ("scalable target AsyncTarget (variant AllTraffic) may scale to zero (MinCapacity 0), but no "
                    "StepScaling policy triggered by an alarm on HasBacklogWithoutCapacity of endpoint async-ep "
                    "scales it out again: requests would wait in the queue with no instance to serve them")
    assert m[6] == ("scaling policy BacklogPolicy of scalable target AsyncTarget (variant AllTraffic) scales on a "
                    "customized ApproximateBacklogSizePerInstance that has EndpointName other-async-ep; a customized "
                    "metric counts only when its EndpointName dimension names endpoint async-ep")
    assert m[7] == ("scaling policy BluePolicy of scalable target BlueTarget (variant Blue) scales on a customized "
                    "CPUUtilization that is published in namespace AWS/EC2, not in AWS/SageMaker or "
                    "/aws/sagemaker/Endpoints; a customized metric counts only when its EndpointName dimension "
                    "names endpoint cpu-prod")
    assert m[8].endswith("scales on a customized CPUUtilization that has VariantName Blue; a customized metric counts "
                         "only when its EndpointName dimension names endpoint cpu-prod")
    # component findings carry no endpoint: apply-autoscaling writes variant targets only
    assert fs[1].data["component"] == "chat-small" and "endpoint" not in fs[1].data
    assert fs[1].data["wanted"]["min_capacity"] == 2 and fs[1].data["wanted"]["max_capacity"] == 4


def test_copy_target_from_parameter_or_unknown_id_is_unknown(tmp_path):
    text = SHAPES_GOOD.read_text().replace(
        "ResourceId: !Sub inference-component/${Component.InferenceComponentName}", "ResourceId: !Ref CopyId")
    text = "Parameters:\n  CopyId: {Type: String}\n" + text
    fs = scan_text(tmp_path, text, rule="SM202")
    assert [(f.resource.id, f.outcome, f.message) for f in fs] == [
        ("Component", "unknown", "inference component Component: cannot tell whether scalable target CopyTarget "
                                 "scales its copies (ResourceId ${CopyId})")]


def test_component_variant_without_components_in_the_template_is_unknown(tmp_path):
    text = SHAPES_GOOD.read_text().replace("EndpointName: !GetAtt IcEndpoint.EndpointName",
                                           "EndpointName: elsewhere")
    fs = [f for f in scan_text(tmp_path, text, rule="SM202") if f.resource.id == "IcConfig"]
    assert [(f.outcome, f.path, f.message) for f in fs] == [
        ("unknown", "ProductionVariants[0]",
         "variant AllTraffic of endpoint IcEndpoint hosts inference components (it names no model), and none of "
         "them is in this template: how their copies scale cannot be checked here")]


def test_managed_instance_scaling_bounds(tmp_path):
    text = SHAPES_GOOD.read_text().replace("{Status: ENABLED, MinInstanceCount: 2, MaxInstanceCount: 4}",
                                           "{Status: ENABLED, MinInstanceCount: 2, MaxInstanceCount: 2}")
    fs = scan_text(tmp_path, text, rule="SM202")
    assert [(f.resource.id, f.location.line, f.path, f.message) for f in fs] == [
        ("IcConfig", 16, "ProductionVariants[0].ManagedInstanceScaling.MaxInstanceCount",
         "variant AllTraffic (ManagedInstanceScaling) has MaxInstanceCount 2; it must be greater than "
         "MinInstanceCount 2")]
    text = SHAPES_GOOD.read_text().replace("{Status: ENABLED, MinInstanceCount: 2, MaxInstanceCount: 4}",
                                           "{Status: DISABLED}")
    fs = scan_text(tmp_path, text, rule="SM202")
    assert [(f.path, f.outcome) for f in fs] == [("ProductionVariants[0].ManagedInstanceScaling.Status", "fail")]
    assert "which has Status DISABLED;" in fs[0].message


def test_scale_from_zero_alarm_must_be_this_endpoints(tmp_path):
    text = SHAPES_GOOD.read_text().replace("Dimensions: [{Name: EndpointName, Value: async-ep}]",
                                           "Dimensions: [{Name: EndpointName, Value: other-ep}]")
    fs = scan_text(tmp_path, text, rule="SM202")
    assert [(f.resource.id, f.path, f.outcome) for f in fs] == [("AsyncTarget", "MinCapacity", "fail")]
    # a parameter cannot hold the ARN of a policy the same stack creates
    text = SHAPES_GOOD.read_text().replace("AlarmActions: [!Ref FromZeroPolicy]", "AlarmActions: [!Ref Topic]")
    text = "Parameters:\n  Topic: {Type: String}\n" + text
    fs = scan_text(tmp_path, text, rule="SM202")
    assert [(f.resource.id, f.path, f.outcome) for f in fs] == [("AsyncTarget", "MinCapacity", "fail")]
    text = SHAPES_GOOD.read_text().replace("AlarmActions: [!Ref FromZeroPolicy]",
                                           "AlarmActions: !Split [',', !Ref Topics]")
    text = "Parameters:\n  Topics: {Type: String}\n" + text
    fs = scan_text(tmp_path, text, rule="SM202")
    assert [(f.resource.id, f.path, f.outcome) for f in fs] == [("AsyncTarget", "MinCapacity", "unknown")]
    assert fs[0].message == ("scalable target AsyncTarget (variant AllTraffic) may scale to zero; cannot tell whether "
                             "alarm FromZeroAlarm and policy FromZeroPolicy scale it out of zero on "
                             "HasBacklogWithoutCapacity of endpoint async-ep")


def test_backlog_metric_only_on_async_endpoints(tmp_path):
    text = SHAPES_GOOD.read_text().replace(
        "MetricName: CPUUtilization\n          Namespace: /aws/sagemaker/Endpoints",
        "MetricName: ApproximateBacklogSizePerInstance\n          Namespace: AWS/SageMaker")
    fs = scan_text(tmp_path, text, rule="SM202")
    assert [(f.resource.id, f.outcome) for f in fs] == [("CpuPolicy", "fail")]
    assert fs[0].message == ("scaling policy CpuPolicy of scalable target CpuTarget (variant Blue) scales on "
                             f"ApproximateBacklogSizePerInstance; the policy wants one of {METRICS}")
