"""SM202's revision 2 shapes written in Terraform (aws_appautoscaling_target
and _policy, aws_cloudwatch_metric_alarm): the same rule as for templates,
findings at the .tf attribute."""

from __future__ import annotations

from tests.conftest import FIXTURES

from .helpers import scan_tf

DIR = FIXTURES / "terraform" / "SM202"


def _findings(name: str):
    doc = scan_tf(DIR / name, rule="SM202")
    return [(f.resource.id, f.location.line, f.outcome, f.path) for f in doc.findings if f.rule == "SM202"], doc


def test_async_backlog_step_scaling_and_endpoint_metric_math_pass():
    found, _ = _findings("shapes-good")
    # the provider has no inference-component resource: the components' copy scaling is unknown, never a pass
    assert found == [("aws_sagemaker_endpoint_configuration.ic", 95, "unknown", "production_variants[0]")]


def test_scale_to_zero_without_step_scaling_component_variant_and_foreign_metric_fail():
    found, doc = _findings("shapes-bad")
    assert found == [
        ("aws_appautoscaling_target.async", 35, "fail", "min_capacity"),
        ("aws_sagemaker_endpoint_configuration.ic", 64, "unknown", "production_variants[0]"),
        ("aws_sagemaker_endpoint_configuration.ic", 64, "fail", "production_variants[0]"),
        ("aws_appautoscaling_policy.cpu", 118, "fail",
         "target_tracking_scaling_policy_configuration[0].customized_metric_specification[0].metrics[0]"
         ".metric_stat[0].metric[0].dimensions"),
    ]
    assert doc.findings[-1].message == (
        "scaling policy aws_appautoscaling_policy.cpu of scalable target aws_appautoscaling_target.cpu (variant "
        "Blue) scales on a customized CPUUtilization that has EndpointName async-ep; a customized metric counts "
        "only when its EndpointName dimension names endpoint cpu-prod")


def test_step_adjustments_and_metric_math_stay_lists():
    from auditor.loaders.terraform.mapping import convert

    kind, _, props, pm = convert("aws_appautoscaling_policy", {
        "name": "p", "step_scaling_policy_configuration": [{"step_adjustment": [
            {"metric_interval_lower_bound": 0, "scaling_adjustment": 1},
            {"metric_interval_lower_bound": 5, "scaling_adjustment": 2}]}]}, ("resource",), None)
    assert kind == "ScalingPolicy"
    assert props["StepScalingPolicyConfiguration"]["StepAdjustments"] == [
        {"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}, {"MetricIntervalLowerBound": 5, "ScalingAdjustment": 2}]
    assert pm[("StepScalingPolicyConfiguration", "StepAdjustments", 1)] == (
        "resource", "step_scaling_policy_configuration", 0, "step_adjustment", 1)
