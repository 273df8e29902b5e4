"""SM302 model-quality: baselined monitoring schedules and drift alarms."""

from auditor.inventory import Inventory
from auditor.models.resources import Alarm, Endpoint, MonitoringJobDefinition, MonitoringSchedule
from tests.conftest import CORPUS, FIXTURES

from .helpers import evaluate_inventory, live_meta, scan_file, scan_text, summary

DIR = FIXTURES / "rules" / "SM302"
ALARM_MSG = ("no alarm on Model Monitor results for production endpoint churn-prod (namespaces "
             "aws/sagemaker/Endpoints/data-metrics, aws/sagemaker/Endpoints/model-metrics, "
             "aws/sagemaker/Endpoints/bias-metrics, aws/sagemaker/Endpoints/explainability-metrics; metrics "
             "feature_baseline_drift_*); the policy wants drift and quality violations to raise alerts")


def test_baselined_schedules_and_drift_alarm_pass():
    assert scan_file(DIR / "good.yaml", rule="SM302") == []


def test_missing_baselines_and_alarm_fail():
    fs = scan_file(DIR / "bad.yaml", rule="SM302")
    assert summary(fs) == [
        ("SM302", "Endpoint", 6, "fail"),
        ("SM302", "DataQualitySchedule", 18, "fail"),
        ("SM302", "DataQualityDefinition", 26, "fail"),
    ]
    assert [f.path for f in fs] == ["Alarms.Quality", "MonitoringScheduleConfig.MonitoringJobDefinition.BaselineConfig",
                                    "DataQualityBaselineConfig"]
    assert fs[0].message == ALARM_MSG
    assert fs[1].message == ("schedule DataQualitySchedule of endpoint churn-prod has no baseline; the policy wants "
                             "constraints and statistics from training/validation data")
    assert fs[2].message == ("DataQuality job definition DataQualityDefinition (endpoint churn-prod): baseline has "
                             "no StatisticsResource; the policy wants ConstraintsResource and StatisticsResource")
    assert {f.level for f in fs} == {"warning"}


def test_only_production_endpoints(tmp_path):
    text = (DIR / "bad.yaml").read_text().replace("Value: prod}", "Value: dev}")
    assert scan_text(tmp_path, text, rule="SM302") == []


NO_SCHEDULE = """\
Parameters:
  Env: {Type: String}
Resources:
  Endpoint:
    Type: AWS::SageMaker::Endpoint
    Properties:
      EndpointName: churn-prod
      EndpointConfigName: churn-config
      Tags:
        - {Key: Environment, Value: prod}
"""


def test_no_schedule_at_all(tmp_path):
    fs = scan_text(tmp_path, NO_SCHEDULE, rule="SM302")
    assert [(f.path, f.location.line, f.outcome) for f in fs] == [("Alarms.Quality", 6, "fail"),
                                                                  ("ModelMonitor", 6, "fail")]
    assert fs[1].message == ("production endpoint churn-prod has no Model Monitor schedule; the policy wants quality "
                             "monitoring against a baseline")


def test_unknown_production_tag_is_unknown(tmp_path):
    fs = scan_text(tmp_path, NO_SCHEDULE.replace("Value: prod}", "Value: !Ref Env}"), rule="SM302")
    assert summary(fs) == [("SM302", "Endpoint", 9, "unknown")]
    assert fs[0].message == ("cannot tell whether endpoint churn-prod is production: tag Environment of Endpoint: "
                             "parameter Env has no default")


PARAM_DEFINITION = """\
Parameters:
  DefinitionName: {Type: String}
  MonitoredEndpoint: {Type: String}
Resources:
  Endpoint:
    Type: AWS::SageMaker::Endpoint
    Properties:
      EndpointName: churn-prod
      EndpointConfigName: churn-config
  Schedule:
    Type: AWS::SageMaker::MonitoringSchedule
    Properties:
      EndpointName: churn-prod
      MonitoringScheduleConfig:
        MonitoringJobDefinitionName: !Ref DefinitionName
        MonitoringType: DataQuality
  Drift:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Namespace: aws/sagemaker/Endpoints/data-metrics
      MetricName: feature_baseline_drift_age
      Dimensions:
        - {Name: Endpoint, Value: !Ref MonitoredEndpoint}
"""


def test_job_definition_and_alarm_from_parameters_are_unknown(tmp_path):
    fs = scan_text(tmp_path, PARAM_DEFINITION, production=True, rule="SM302")
    assert summary(fs) == [("SM302", "Endpoint", 7, "unknown"), ("SM302", "Schedule", 15, "unknown")]
    assert fs[0].message == ("cannot tell whether drift on endpoint churn-prod raises an alarm: alarm Drift may "
                             "watch endpoint churn-prod")
    assert fs[1].path == "MonitoringScheduleConfig.MonitoringJobDefinitionName"
    assert fs[1].message.startswith("cannot check the baseline of schedule Schedule (endpoint churn-prod): ")
    assert "parameter DefinitionName has no default" in fs[1].message


FN_IF_BASELINE = """\
Parameters:
  Baselined: {Type: String}
Conditions:
  HasBaseline: !Equals [!Ref Baselined, "yes"]
Resources:
  Endpoint:
    Type: AWS::SageMaker::Endpoint
    Properties:
      EndpointName: churn-prod
      EndpointConfigName: churn-config
  Schedule:
    Type: AWS::SageMaker::MonitoringSchedule
    Properties:
      EndpointName: churn-prod
      MonitoringScheduleConfig:
        MonitoringJobDefinition:
          BaselineConfig: !If
            - HasBaseline
            - ConstraintsResource: {S3Uri: s3://b/constraints.json}
              StatisticsResource: {S3Uri: s3://b/statistics.json}
            - !Ref AWS::NoValue
  Drift:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Namespace: aws/sagemaker/Endpoints/data-metrics
      MetricName: feature_baseline_drift_age
      AlarmActions: [arn:aws:sns:us-east-1:111111111111:ml-oncall]
      Dimensions:
        - {Name: Endpoint, Value: !GetAtt Endpoint.EndpointName}
"""


def test_fn_if_baseline_fails_only_in_the_branch_without_it(tmp_path):
    fs = scan_text(tmp_path, FN_IF_BASELINE, production=True, rule="SM302")
    assert summary(fs) == [("SM302", "Schedule", 21, "fail")]  # the NoValue branch
    assert fs[0].message == ("schedule Schedule of endpoint churn-prod has no baseline; the policy wants constraints "
                             "and statistics from training/validation data [when not (parameter Baselined = 'yes')]")


def _live(baseline: bool) -> Inventory:
    inv = Inventory(complete=True)
    arn = "arn:aws:sagemaker:us-east-1:111111111111:endpoint/churn-prod"
    inv.add(Endpoint(meta=live_meta("AWS::SageMaker::Endpoint", "churn-prod", arn=arn), EndpointName="churn-prod",
                     EndpointConfigName="churn-config", Tags={"Environment": "production"}))
    jd = {"JobDefinitionName": "churn-mq"}
    if baseline:
        jd["ModelQualityBaselineConfig"] = {"ConstraintsResource": {"S3Uri": "s3://b/constraints.json"}}
    inv.add(MonitoringJobDefinition(
        meta=live_meta("AWS::SageMaker::ModelQualityJobDefinition", "churn-mq",
                       arn="arn:aws:sagemaker:us-east-1:111111111111:model-quality-job-definition/churn-mq"),
        monitoring_type="ModelQuality", **jd))
    inv.add(MonitoringSchedule(
        meta=live_meta("AWS::SageMaker::MonitoringSchedule", "churn-mq-hourly",
                       arn="arn:aws:sagemaker:us-east-1:111111111111:monitoring-schedule/churn-mq-hourly"),
        MonitoringScheduleName="churn-mq-hourly", EndpointName="churn-prod", MonitoringType="ModelQuality",
        MonitoringScheduleConfig={"MonitoringJobDefinitionName": "churn-mq", "MonitoringType": "ModelQuality"}))
    inv.add(Alarm(meta=live_meta("AWS::CloudWatch::Alarm", "mq", arn="arn:aws:cloudwatch:us-east-1:111111111111:"
                                 "alarm:mq"), AlarmName="mq", Namespace="aws/sagemaker/Endpoints/model-metrics",
                  MetricName="accuracy", Statistic="Average",
                  AlarmActions=["arn:aws:sns:us-east-1:111111111111:ml-oncall"],
                  Dimensions=[{"Name": "Endpoint", "Value": "churn-prod"},
                              {"Name": "MonitoringSchedule", "Value": "churn-mq-hourly"}]))
    return inv


def test_live_model_quality_with_baseline_passes():
    assert evaluate_inventory(_live(True), "SM302") == []


def test_live_job_definition_without_baseline_fails():
    fs = evaluate_inventory(_live(False), "SM302")
    assert summary(fs) == [("SM302", "churn-mq", None, "fail")]
    assert fs[0].location.arn == "arn:aws:sagemaker:us-east-1:111111111111:model-quality-job-definition/churn-mq"
    assert fs[0].path == "ModelQualityBaselineConfig"
    assert fs[0].message == ("ModelQuality job definition churn-mq (endpoint churn-prod) has no baseline; the policy "
                             "wants constraints and statistics from training/validation data")


def test_corpus_018_production_template_alarm_alerts_nobody():
    # safe-deployment-pipeline prd: inline BaselineConfig with both files, alarm on data-metrics; the alarm has
    # no AlarmActions and nothing else refers to it (the Lambda canary rolls back on two other alarms)
    fs = scan_file(next(CORPUS.glob("018_*")), production=True, rule="SM302")
    assert [(f.resource.id, f.location.line, f.outcome, f.path) for f in fs] == [
        ("SagemakerScheduleAlarm", 294, "fail", "AlarmActions")]


def test_corpus_005_shadow_template_has_no_monitoring():
    fs = scan_file(next(CORPUS.glob("005_*")), production=True, rule="SM302")
    assert [(f.resource.id, f.location.line, f.outcome, f.path) for f in fs] == [
        ("Endpoint", 119, "fail", "Alarms.Quality"), ("Endpoint", 119, "fail", "ModelMonitor")]


# ---- revision 2: a quality alarm must alert someone ----------------------------------

GOOD_TEXT = (DIR / "good.yaml").read_text()
ACTIONS = "      AlarmActions: [arn:aws:sns:us-east-1:111111111111:ml-oncall]\n"


def test_quality_alarm_without_actions_alerts_nobody(tmp_path):
    text = GOOD_TEXT.replace(ACTIONS, "")
    assert text != GOOD_TEXT
    fs = scan_text(tmp_path, text, rule="SM302")
    assert summary(fs) == [("SM302", "DriftAlarm", 49, "fail")]
    assert fs[0].path == "AlarmActions"
    assert fs[0].message == ("alarm DriftAlarm watches the Model Monitor results of production endpoint churn-prod "
                             "but alerts nobody: it has no AlarmActions and is not one of the endpoint's rollback "
                             "alarms; the policy wants automatic alerts and rollback triggers on quality degradation")


def test_quality_alarm_that_triggers_rollback_alerts(tmp_path):
    text = GOOD_TEXT.replace(ACTIONS, "").replace(
        "      EndpointConfigName: churn-config\n",
        "      EndpointConfigName: churn-config\n"
        "      DeploymentConfig: {AutoRollbackConfiguration: {Alarms: [{AlarmName: !Ref DriftAlarm}]}}\n", 1)
    assert "AutoRollbackConfiguration" in text
    assert scan_text(tmp_path, text, rule="SM302") == []


def test_live_alarm_without_actions_fails():
    inv = _live(True)
    inv.of("Alarm")[0].AlarmActions = []
    fs = evaluate_inventory(inv, "SM302")
    assert [(f.resource.name, f.path, f.outcome) for f in fs] == [("mq", "AlarmActions", "fail")]


def test_production_config_without_endpoint_is_unknown(tmp_path):
    text = """\
    Resources:
      Config:
        Type: AWS::SageMaker::EndpointConfig
        Properties:
          Tags: [{Key: Environment, Value: prod}]
          ProductionVariants: [{VariantName: A, ModelName: m, InstanceType: ml.m5.large, InitialInstanceCount: 2}]
    """
    fs = scan_text(tmp_path, text, rule="SM302")
    assert [(f.resource.id, f.location.line, f.outcome, f.message) for f in fs] == [
        ("Config", 4, "unknown", "endpoint config Config is used by no endpoint in this template: the Model Monitor "
                                 "schedules, baselines and quality alarms of the endpoint that uses it cannot be "
                                 "checked here")]
    assert scan_text(tmp_path, text.replace("Value: prod", "Value: dev"), rule="SM302") == []
