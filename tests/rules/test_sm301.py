"""SM301 observability: latency/error alarms, invocation logs, dashboards."""

from auditor.inventory import Inventory
from auditor.models.resources import Alarm, Dashboard, Endpoint, LogGroup
from tests.conftest import FIXTURES

from .helpers import evaluate_inventory, live_meta, scan_file, scan_text, summary

DIR = FIXTURES / "rules" / "SM301"


def test_complete_observability_passes():
    assert scan_file(DIR / "good.yaml", rule="SM301") == []


def test_each_missing_piece_is_its_own_finding():
    fs = scan_file(DIR / "bad.yaml", rule="SM301")
    assert summary(fs) == [
        ("SM301", "Endpoint", 6, "fail"),
        ("SM301", "Endpoint", 6, "fail"),
        ("SM301", "Endpoint", 6, "fail"),
        ("SM301", "Endpoint", 6, "fail"),
        ("SM301", "Endpoint", 6, "unknown"),
    ]
    assert [f.path for f in fs] == ["Alarms.Errors", "Alarms.Latency", "Alarms.Throughput", "Dashboard",
                                    "InvocationLogs"]
    assert fs[2].message == ("endpoint churn-prod has no alarm or dashboard widget on Invocations / "
                             "InvocationsPerInstance; the policy wants throughput watched")
    fs = fs[:2] + fs[3:]
    assert fs[0].level == "warning"
    assert fs[0].message == ("endpoint churn-prod has no error-rate alarm; the policy wants an alarm on "
                             "Invocation4XXErrors or Invocation5XXErrors or ModelError")
    assert fs[1].message == ("endpoint churn-prod has no ModelLatency/OverheadLatency alarm at p50, p95, p99 "
                             "(an Average alarm is not a percentile); the policy wants latency alarms at p50, p95, p99")
    assert fs[2].message == ("no CloudWatch dashboard shows endpoint churn-prod; the policy wants a dashboard for "
                             "real-time monitoring")
    assert fs[3].message.startswith("cannot tell from a template whether endpoint churn-prod has invocation logs")


def test_percentiles_are_a_parameter(tmp_path):
    good = (DIR / "good.yaml").read_text()
    cfg = {"rules": {"SM301": {"params": {"latency_percentiles": ["p50", "p99.9"]}}}}
    fs = scan_text(tmp_path, good, config=cfg, rule="SM301")
    assert [(f.path, f.message) for f in fs] == [
        ("Alarms.Latency", "endpoint churn-prod has no ModelLatency/OverheadLatency alarm at p99.9; the policy "
                           "wants latency alarms at p50, p99.9")]


def test_all_error_metrics_when_asked(tmp_path):
    good = (DIR / "good.yaml").read_text()
    cfg = {"rules": {"SM301": {"params": {"require_all_error_metrics": True}}}}
    fs = scan_text(tmp_path, good, config=cfg, rule="SM301")
    assert [(f.path, f.outcome, f.message) for f in fs] == [
        ("Alarms.Errors", "fail", "endpoint churn-prod has no alarm on Invocation4XXErrors, ModelError; the policy "
                                  "wants alarms on each of Invocation4XXErrors, Invocation5XXErrors, ModelError")]


UNKNOWN_DIMENSION = """\
Parameters:
  WatchedEndpoint: {Type: String}
Resources:
  Endpoint:
    Type: AWS::SageMaker::Endpoint
    Properties:
      EndpointName: churn-prod
      EndpointConfigName: churn-config
  Latency:
    Type: AWS::CloudWatch::Alarm
    Properties:
      MetricName: ModelLatency
      ExtendedStatistic: p99
      Dimensions:
        - {Name: EndpointName, Value: !Ref WatchedEndpoint}
"""


def test_alarm_on_an_unknown_endpoint_is_unknown(tmp_path):
    fs = scan_text(tmp_path, UNKNOWN_DIMENSION, rule="SM301")
    got = [(f.path, f.outcome, f.location.line) for f in fs]
    assert got == [("Alarms.Errors", "fail", 6), ("Alarms.Latency", "fail", 6), ("Alarms.Throughput", "fail", 6),
                   ("Dashboard", "fail", 6), ("InvocationLogs", "unknown", 6)]
    # p99 might be covered by the parameterised alarm; p50 and p95 are missing for sure
    assert fs[1].message.startswith("endpoint churn-prod has no ModelLatency/OverheadLatency alarm at p50, p95;")
    only_p99 = {"rules": {"SM301": {"params": {"latency_percentiles": ["p99"], "require_dashboard": False,
                                               "require_throughput": False,
                                               "require_invocation_logs": False,
                                               "error_metrics": ["ModelLatency"]}}}}
    fs = scan_text(tmp_path, UNKNOWN_DIMENSION, config=only_p99, rule="SM301")
    assert [(f.path, f.outcome) for f in fs] == [("Alarms.Errors", "unknown"), ("Alarms.Latency", "unknown")]
    assert fs[1].message == ("cannot tell whether endpoint churn-prod has ModelLatency/OverheadLatency alarms at "
                             "p99: alarm Latency watches endpoint ${WatchedEndpoint}, which may or may not be "
                             "churn-prod")


IF_STATISTIC = """\
Parameters:
  Detail: {Type: String}
Conditions:
  Detailed: !Equals [!Ref Detail, "high"]
Resources:
  Endpoint:
    Type: AWS::SageMaker::Endpoint
    Properties:
      EndpointName: churn-prod
      EndpointConfigName: churn-config
  Latency:
    Type: AWS::CloudWatch::Alarm
    Properties:
      MetricName: ModelLatency
      ExtendedStatistic: !If [Detailed, p99, p95]
      Dimensions:
        - {Name: EndpointName, Value: churn-prod}
"""


def test_fn_if_statistic_reports_each_branch(tmp_path):
    cfg = {"rules": {"SM301": {"params": {"latency_percentiles": ["p99"], "require_dashboard": False,
                                          "require_invocation_logs": False, "error_metrics": ["ModelLatency"],
                                          "require_throughput": False}}}}
    fs = scan_text(tmp_path, IF_STATISTIC, config=cfg, rule="SM301")
    assert summary(fs) == [("SM301", "Endpoint", 8, "fail")]
    assert fs[0].path == "Alarms.Latency"
    assert fs[0].message == ("endpoint churn-prod has no ModelLatency/OverheadLatency alarm at p99; the policy "
                             "wants latency alarms at p99 [when not (parameter Detail = 'high')]")


def test_dashboard_body_from_sub_with_parameter_name(tmp_path):
    text = """\
    Parameters:
      Name: {Type: String}
    Resources:
      Endpoint:
        Type: AWS::SageMaker::Endpoint
        Properties:
          EndpointName: !Sub ${Name}-ep
          EndpointConfigName: c
      Board:
        Type: AWS::CloudWatch::Dashboard
        Properties:
          DashboardBody: !Sub '{"metrics": [["AWS/SageMaker", "Invocations", "EndpointName", "${Name}-ep"]]}'
      Other:
        Type: AWS::CloudWatch::Dashboard
        Properties:
          DashboardBody: '{"metrics": [["AWS/SageMaker", "Invocations", "EndpointName", "literal"]]}'
    """
    cfg = {"rules": {"SM301": {"params": {"latency_percentiles": [], "error_metrics": ["ModelLatency"]}}}}
    fs = scan_text(tmp_path, text, config=cfg, rule="SM301")
    # the dashboard shows it, and its Invocations widget is the throughput
    assert [f.path for f in fs] == ["Alarms.Errors", "InvocationLogs"]
    fs = scan_text(tmp_path, text.replace('"${Name}-ep"]]}', '"x"]]}'), config=cfg, rule="SM301")
    assert [(f.path, f.outcome) for f in fs] == [("Alarms.Errors", "fail"), ("Alarms.Throughput", "unknown"),
                                                 ("Dashboard", "unknown"), ("InvocationLogs", "unknown")]
    assert fs[1].message.startswith("cannot tell whether the throughput (Invocations / InvocationsPerInstance) of "
                                    "endpoint ")
    assert "is watched: dashboard Board may show it" in fs[1].message
    assert fs[2].message.startswith("cannot tell whether dashboard ")


def _live(with_logs: bool) -> Inventory:
    inv = Inventory(complete=True)
    ep = "arn:aws:sagemaker:us-east-1:111111111111:endpoint/churn-prod"
    inv.add(Endpoint(meta=live_meta("AWS::SageMaker::Endpoint", "churn-prod", arn=ep), EndpointName="churn-prod",
                     EndpointConfigName="churn-config"))
    for i, stat in enumerate(["p50", "p95", "p99"]):
        arn = f"arn:aws:cloudwatch:us-east-1:111111111111:alarm:lat-{stat}"
        inv.add(Alarm(meta=live_meta("AWS::CloudWatch::Alarm", f"lat-{stat}", arn=arn), AlarmName=f"lat-{stat}",
                      MetricName="ModelLatency", Namespace="AWS/SageMaker", ExtendedStatistic=stat,
                      Dimensions=[{"Name": "EndpointName", "Value": "churn-prod"},
                                  {"Name": "VariantName", "Value": "AllTraffic"}]))
    inv.add(Alarm(meta=live_meta("AWS::CloudWatch::Alarm", "err", arn="arn:aws:cloudwatch:us-east-1:111111111111:"
                                 "alarm:err"), AlarmName="err", MetricName="ModelError", Statistic="Sum",
                  Dimensions=[{"Name": "EndpointName", "Value": "churn-prod"}]))
    inv.add(Dashboard(meta=live_meta("AWS::CloudWatch::Dashboard", "ops", arn="arn:aws:cloudwatch::111111111111:"
                                     "dashboard/ops"), DashboardName="ops",
                      DashboardBody='{"widgets":[{"properties":{"metrics":[["AWS/SageMaker","Invocations",'
                                    '"EndpointName","churn-prod"]]}}]}'))
    if with_logs:
        name = "/aws/sagemaker/Endpoints/churn-prod"
        inv.add(LogGroup(meta=live_meta("AWS::Logs::LogGroup", name, arn=f"arn:aws:logs:us-east-1:111111111111:"
                                        f"log-group:{name}"), LogGroupName=name))
    return inv


def test_live_endpoint_with_everything_passes():
    assert evaluate_inventory(_live(True), "SM301") == []


def test_live_missing_log_group_fails():
    fs = evaluate_inventory(_live(False), "SM301")
    assert summary(fs) == [("SM301", "churn-prod", None, "fail")]
    assert fs[0].location.arn == "arn:aws:sagemaker:us-east-1:111111111111:endpoint/churn-prod"
    assert fs[0].path == "InvocationLogs"
    assert fs[0].message == ("endpoint churn-prod has no log group /aws/sagemaker/Endpoints/churn-prod; the "
                             "policy wants CloudWatch Logs for endpoint invocations")


def test_corpus_004_alarm_exists_only_in_production_stage():
    from tests.conftest import CORPUS

    path = next(CORPUS.glob("004_*"))
    fs = scan_file(path, production=True, rule="SM301")
    assert [(f.resource.id, f.location.line, f.outcome, f.path) for f in fs] == [
        ("Endpoint", 159, "fail", "Alarms.Errors"),
        ("Endpoint", 159, "fail", "Alarms.Latency"),
        ("Endpoint", 159, "fail", "Alarms.Throughput"),
        ("Endpoint", 159, "fail", "Dashboard"),
        ("Endpoint", 159, "unknown", "InvocationLogs"),
    ]
    # the 5XX alarm has Condition IsProduction: missing only in the other stage
    assert fs[0].message.endswith("[when not (parameter StageName = 'prod')]")


# ---- revision 2: throughput ------------------------------------------------------------

def test_throughput_by_alarm_instead_of_dashboard_widget(tmp_path):
    good = (DIR / "good.yaml").read_text()
    widget = ('          ["AWS/SageMaker", "Invocations", "EndpointName", "${Endpoint.EndpointName}", '
              '"VariantName", "AllTraffic"]\n')
    assert widget in good
    no_widget = good.replace(widget, "").replace('"AllTraffic"],\n', '"AllTraffic"]\n')
    fs = scan_text(tmp_path, no_widget, rule="SM301")
    assert [(f.resource.id, f.path, f.outcome) for f in fs] == [("Endpoint", "Alarms.Throughput", "fail")]
    alarm = """
  Throughput:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Namespace: AWS/SageMaker
      MetricName: InvocationsPerInstance
      Statistic: Sum
      Period: 300
      EvaluationPeriods: 1
      Threshold: 1
      ComparisonOperator: LessThanThreshold
      Dimensions:
        - {Name: EndpointName, Value: !GetAtt Endpoint.EndpointName}
        - {Name: VariantName, Value: AllTraffic}
"""
    assert scan_text(tmp_path, no_widget.rstrip("\n") + "\n" + alarm, rule="SM301") == []


def test_config_without_endpoint_is_unknown(tmp_path):
    text = """\
    Resources:
      Config:
        Type: AWS::SageMaker::EndpointConfig
        Properties:
          ProductionVariants: [{VariantName: A, ModelName: m, InstanceType: ml.m5.large, InitialInstanceCount: 2}]
    """
    fs = scan_text(tmp_path, text, rule="SM301")
    assert [(f.resource.id, f.outcome, f.message) for f in fs] == [
        ("Config", "unknown", "endpoint config Config is used by no endpoint in this template: the alarms, "
                              "invocation logs and dashboard of the endpoint that uses it cannot be checked here")]
