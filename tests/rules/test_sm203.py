from auditor.inventory import Inventory
from auditor.models.resources import Alarm, Endpoint, EndpointConfig, MonitoringSchedule

from tests.conftest import CORPUS, FIXTURES

from .helpers import evaluate_inventory, live_meta, scan_file, scan_text, summary

GOOD = FIXTURES / "rules" / "SM203" / "good.yaml"
BAD = FIXTURES / "rules" / "SM203" / "bad.yaml"
ROLLBACK_WANT = "the policy wants AutoRollbackConfiguration.Alarms on Model Monitor / quality alarms"


def test_good_monitoring_and_rollback_pass():
    assert scan_file(GOOD, rule="SM203") == []


def test_bad_exact_findings():
    fs = scan_file(BAD, rule="SM203")
    assert summary(fs) == [
        ("SM203", "NoCaptureConfig", 11, "fail"),
        ("SM203", "SwitchConfig", 20, "fail"),
        ("SM203", "ChurnEndpoint", 26, "fail"),
        ("SM203", "ChurnEndpoint", 33, "unknown"),
        ("SM203", "FraudEndpoint", 36, "fail"),
        ("SM203", "FraudEndpoint", 36, "fail"),
    ]
    assert [f.level for f in fs] == ["warning", "warning", "warning", "note", "error", "warning"]
    m = [f.message for f in fs]
    assert m[0] == ("endpoint config NoCaptureConfig of endpoint ChurnEndpoint has no DataCaptureConfig; Model "
                    "Monitor needs data capture enabled")
    # Fn::If: only the capture-off branch fails
    assert m[1] == ("endpoint config SwitchConfig of endpoint FraudEndpoint disables data capture; Model Monitor "
                    "needs EnableCapture true [when not (parameter Capture = 'on')]")
    assert m[2] == ("endpoint ChurnEndpoint has monitoring schedules for DataQuality; the policy wants Model Monitor "
                    "schedules for ModelQuality, ModelBias, ModelExplainability")
    assert m[3] == ("cannot tell whether rollback alarm churn-drift of endpoint ChurnEndpoint exists: Alarm "
                    "'churn-drift' is not defined in this template")
    assert m[4] == f"endpoint FraudEndpoint has no DeploymentConfig; {ROLLBACK_WANT}"
    assert m[5] == ("endpoint FraudEndpoint has no monitoring schedule; the policy wants Model Monitor schedules for "
                    "DataQuality, ModelQuality, ModelBias, ModelExplainability")


def test_required_monitors_param():
    cfg = {"rules": {"SM203": {"params": {"required_monitors": ["DataQuality"]}}}}
    fs = scan_file(BAD, rule="SM203", config=cfg)
    assert [(f.resource.id, f.path) for f in fs if f.path == "MonitoringSchedules"] == [
        ("FraudEndpoint", "MonitoringSchedules")]


def test_schedule_for_unknown_endpoint_makes_it_unknown(tmp_path):
    text = """\
    Parameters:
      Target: {Type: String}
      JobName: {Type: String}
    Resources:
      Config:
        Type: AWS::SageMaker::EndpointConfig
        Properties:
          ProductionVariants: [{VariantName: A, ModelName: m, InstanceType: ml.m5.large, InitialInstanceCount: 2}]
          DataCaptureConfig: {EnableCapture: true, InitialSamplingPercentage: 5, DestinationS3Uri: s3://c/x,
                              CaptureOptions: [{CaptureMode: Input}]}
      Endpoint:
        Type: AWS::SageMaker::Endpoint
        Properties:
          EndpointConfigName: !GetAtt Config.EndpointConfigName
          DeploymentConfig: {AutoRollbackConfiguration: {Alarms: [{AlarmName: !Ref Alarm}]}}
      Alarm:
        Type: AWS::CloudWatch::Alarm
        Properties: {MetricName: x, Namespace: aws/sagemaker/Endpoints/data-metrics, Threshold: 1,
                     Dimensions: [{Name: Endpoint, Value: !GetAtt Endpoint.EndpointName}],
                     ComparisonOperator: GreaterThanThreshold, EvaluationPeriods: 1, Period: 60, Statistic: Sum}
      Schedule:
        Type: AWS::SageMaker::MonitoringSchedule
        Properties:
          EndpointName: !Ref Target
          MonitoringScheduleConfig:
            MonitoringJobDefinitionName: !Ref JobName
            MonitoringType: ModelQuality
            ScheduleConfig: {ScheduleExpression: cron(0 * ? * * *)}
    """
    fs = scan_text(tmp_path, text, rule="SM203")
    assert summary(fs) == [("SM203", "Endpoint", 13, "unknown")]
    assert fs[0].message == ("endpoint Endpoint has no monitoring schedule; DataQuality, ModelQuality, ModelBias, "
                             "ModelExplainability may be covered by Schedule (endpoint cannot be told)")


def test_corpus_018_one_data_quality_schedule_and_no_rollback():
    fs = scan_file(CORPUS / "018_aws-samples_amazon-sagemaker-safe-deployment-pipeline_deploy-model-prd.yml",
                   rule="SM203")
    assert summary(fs) == [("SM203", "Endpoint", 117, "fail"), ("SM203", "Endpoint", 117, "fail")]
    assert [f.message for f in fs] == [
        f"endpoint Endpoint has no DeploymentConfig; {ROLLBACK_WANT}",
        "endpoint Endpoint has monitoring schedules for DataQuality; the policy wants Model Monitor schedules for "
        "ModelQuality, ModelBias, ModelExplainability",
    ]


def _live(alarms: list, schedules: dict) -> Inventory:
    inv = Inventory(complete=True)
    inv.add(EndpointConfig(meta=live_meta("AWS::SageMaker::EndpointConfig", "churn-cfg"), EndpointConfigName="churn-cfg",
                           ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": "churn"}],
                           DataCaptureConfig={"EnableCapture": True, "DestinationS3Uri": "s3://c/churn"}))
    inv.add(Endpoint(meta=live_meta("AWS::SageMaker::Endpoint", "churn"), EndpointName="churn",
                     EndpointConfigName="churn-cfg",
                     DeploymentConfig={"AutoRollbackConfiguration": {"Alarms": [{"AlarmName": a} for a in alarms]}}))
    inv.add(Alarm(meta=live_meta("AWS::CloudWatch::Alarm", "churn-drift",
                                 arn="arn:aws:cloudwatch:us-east-1:111111111111:alarm:churn-drift"),
                  AlarmName="churn-drift", Namespace="aws/sagemaker/Endpoints/model-metrics",
                  MetricName="f1", Dimensions=[{"Name": "Endpoint", "Value": "churn"},
                                               {"Name": "MonitoringSchedule", "Value": "mq"}]))
    for name, (mtype, status) in schedules.items():
        inv.add(MonitoringSchedule(meta=live_meta("AWS::SageMaker::MonitoringSchedule", name),
                                   MonitoringScheduleName=name, EndpointName="churn", MonitoringType=mtype,
                                   MonitoringScheduleStatus=status))
    return inv


ALL4 = {"dq": ("DataQuality", "Scheduled"), "mq": ("ModelQuality", "Scheduled"),
        "bias": ("ModelBias", "Scheduled"), "explain": ("ModelExplainability", "Scheduled")}


def test_live_monitoring_and_rollback():
    assert evaluate_inventory(_live(["churn-drift"], ALL4), "SM203") == []
    fs = evaluate_inventory(_live(["churn-drift", "gone"], {**ALL4, "bias": ("ModelBias", "Stopped")}), "SM203")
    assert [(f.path, f.outcome, f.message) for f in fs] == [
        ("DeploymentConfig.AutoRollbackConfiguration.Alarms[1].AlarmName", "fail",
         "rollback alarm gone of endpoint churn does not exist; automatic rollback can never trigger"),
        ("MonitoringSchedules", "fail",
         "endpoint churn has monitoring schedules for DataQuality, ModelExplainability, ModelQuality (inactive: bias "
         "(Stopped)); the policy wants Model Monitor schedules for ModelBias"),
    ]
    fs = evaluate_inventory(_live([], ALL4), "SM203")
    assert [(f.outcome, f.message) for f in fs] == [
        ("fail", f"endpoint churn lists no rollback alarms; {ROLLBACK_WANT}")]


def test_configured_severity_applies_to_every_finding():
    fs = scan_file(BAD, rule="SM203", config={"rules": {"SM203": {"severity": "note"}}})
    assert {f.level for f in fs if f.outcome == "fail"} == {"note"}


# ---- revision 2: Model Monitor rollback alarm, serverless, config without endpoint -----

SHAPES_BAD = FIXTURES / "rules" / "SM203" / "shapes-bad.yaml"
MONITORS_ONLY = {"rules": {"SM203": {"params": {"required_monitors": []}}}}


def test_shapes_bad_exact_findings():
    fs = scan_file(SHAPES_BAD, rule="SM203", config=MONITORS_ONLY)
    assert [(f.resource.id, f.location.line, f.outcome, f.path) for f in fs] == [
        ("Endpoint", 18, "fail", "DeploymentConfig.AutoRollbackConfiguration.Alarms"),
        ("ServerlessConfig", 45, "fail", "ProductionVariants[0].ServerlessConfig"),
        ("ServerlessEndpoint", 48, "fail", "DeploymentConfig.AutoRollbackConfiguration.Alarms"),
        ("LonelyConfig", 53, "fail", "DataCaptureConfig"),
        ("LonelyConfig", 53, "unknown", "EndpointConfigName"),
    ]
    m = [f.message for f in fs]
    assert m[0] == ("no rollback alarm of endpoint Endpoint (ErrorAlarm, OtherEndpointDrift) watches its Model "
                    "Monitor results (namespaces aws/sagemaker/Endpoints/data-metrics, "
                    "aws/sagemaker/Endpoints/model-metrics, aws/sagemaker/Endpoints/bias-metrics, "
                    "aws/sagemaker/Endpoints/explainability-metrics, dimension Endpoint = churn); the policy wants "
                    "rollback on Model Monitor alarm triggers")
    assert m[1] == ("variant AllTraffic of endpoint config ServerlessConfig of endpoint ServerlessEndpoint is "
                    "serverless: serverless inference cannot capture data, so Model Monitor cannot run on endpoint "
                    "ServerlessEndpoint; the policy wants Model Monitor (suppress with a reason if serverless is "
                    "deliberate)")
    assert [f.level for f in fs] == ["error", "warning", "error", "warning", "note"]
    assert m[3] == "endpoint config LonelyConfig has no DataCaptureConfig; Model Monitor needs data capture enabled"
    assert m[4] == ("endpoint config LonelyConfig is used by no endpoint in this template: the rollback alarms of "
                    "the endpoint that uses it cannot be checked here")


def test_model_monitor_alarm_among_rollback_alarms_passes(tmp_path):
    text = SHAPES_BAD.read_text().replace("Value: fraud}", "Value: !GetAtt Endpoint.EndpointName}")
    fs = scan_file(_write(tmp_path, text), rule="SM203", config=MONITORS_ONLY)
    assert "Endpoint" not in [f.resource.id for f in fs]


def test_model_monitor_alarm_by_metric_math_passes(tmp_path):
    text = SHAPES_BAD.read_text().replace(
        "      Namespace: aws/sagemaker/Endpoints/data-metrics\n      MetricName: feature_baseline_drift_age\n"
        "      Dimensions: [{Name: Endpoint, Value: fraud}, {Name: MonitoringSchedule, Value: fraud-dq}]\n"
        "      Statistic: Maximum\n      Period: 3600\n",
        "      Metrics:\n        - Id: drift\n          MetricStat:\n            Metric:\n"
        "              Namespace: aws/sagemaker/Endpoints/model-metrics\n              MetricName: f1\n"
        "              Dimensions: [{Name: Endpoint, Value: churn}]\n            Period: 3600\n"
        "            Stat: Minimum\n")
    assert "Metrics:" in text
    fs = scan_file(_write(tmp_path, text), rule="SM203", config=MONITORS_ONLY)
    assert "Endpoint" not in [f.resource.id for f in fs]


def test_unknown_endpoint_dimension_is_unknown(tmp_path):
    text = "Parameters:\n  Watched: {Type: String}\n" + SHAPES_BAD.read_text().replace(
        "Value: fraud}", "Value: !Ref Watched}")
    fs = scan_file(_write(tmp_path, text), rule="SM203", config=MONITORS_ONLY)
    f = next(f for f in fs if f.resource.id == "Endpoint")
    assert (f.outcome, f.message) == ("unknown", "cannot tell whether rollback alarm OtherEndpointDrift of endpoint "
                                                 "Endpoint watches its Model Monitor results (namespace or Endpoint "
                                                 "dimension unknown)")


def test_live_rollback_on_error_alarm_only_fails():
    inv = _live(["churn-5xx"], ALL4)
    inv.add(Alarm(meta=live_meta("AWS::CloudWatch::Alarm", "churn-5xx",
                                 arn="arn:aws:cloudwatch:us-east-1:111111111111:alarm:churn-5xx"),
                  AlarmName="churn-5xx", Namespace="AWS/SageMaker", MetricName="Invocation5XXErrors",
                  Dimensions=[{"Name": "EndpointName", "Value": "churn"}]))
    fs = evaluate_inventory(inv, "SM203")
    assert [(f.outcome, f.path) for f in fs] == [("fail", "DeploymentConfig.AutoRollbackConfiguration.Alarms")]
    assert fs[0].message.startswith("no rollback alarm of endpoint churn (churn-5xx) watches its Model Monitor")


def _write(tmp_path, text):
    p = tmp_path / "t.yaml"
    p.write_text(text)
    return p
