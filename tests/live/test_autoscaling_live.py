"""SM202's revision 2 shapes on the loopback account: an asynchronous
endpoint scaling on its backlog and out of zero, customized metrics that are
or are not the endpoint's, and inference-component copy targets (moto_ext
teaches moto their scalable dimension)."""

from __future__ import annotations

import pytest

from .live_helpers import ACCOUNT, DLC, REGION, ROLE, client, findings, make_endpoint, run_audit

pytestmark = pytest.mark.live
TT = "TargetTrackingScalingPolicyConfiguration"


def _async_endpoint(name: str) -> str:
    sm = client("sagemaker")
    sm.create_model(ModelName=f"{name}-model", ExecutionRoleArn=ROLE, PrimaryContainer={
        "Image": DLC, "ModelDataUrl": f"s3://artifacts-{ACCOUNT}/models/{name}/v1.0.0/model.tar.gz"})
    sm.create_endpoint_config(EndpointConfigName=f"{name}-config", AsyncInferenceConfig={
        "OutputConfig": {"S3OutputPath": f"s3://artifacts-{ACCOUNT}/async/"}}, ProductionVariants=[
        {"VariantName": "AllTraffic", "ModelName": f"{name}-model", "InstanceType": "ml.m5.large",
         "InitialInstanceCount": 1}])
    sm.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config",
                       Tags=[{"Key": "Environment", "Value": "prod"}])
    rid = f"endpoint/{name}/variant/AllTraffic"
    aas = client("application-autoscaling")
    aas.register_scalable_target(ServiceNamespace="sagemaker", ResourceId=rid, MinCapacity=0, MaxCapacity=2,
                                 ScalableDimension="sagemaker:variant:DesiredInstanceCount")
    return rid


def _backlog_policy(rid: str, endpoint_dimension: str) -> None:
    client("application-autoscaling").put_scaling_policy(
        PolicyName="backlog", ServiceNamespace="sagemaker", ResourceId=rid, PolicyType="TargetTrackingScaling",
        ScalableDimension="sagemaker:variant:DesiredInstanceCount", TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 5.0, "ScaleOutCooldown": 60, "ScaleInCooldown": 300, "CustomizedMetricSpecification": {
                "MetricName": "ApproximateBacklogSizePerInstance", "Namespace": "AWS/SageMaker",
                "Statistic": "Average", "Dimensions": [{"Name": "EndpointName", "Value": endpoint_dimension}]}})


def _from_zero(rid: str, endpoint: str) -> None:
    arn = client("application-autoscaling").put_scaling_policy(
        PolicyName="from-zero", ServiceNamespace="sagemaker", ResourceId=rid, PolicyType="StepScaling",
        ScalableDimension="sagemaker:variant:DesiredInstanceCount", StepScalingPolicyConfiguration={
            "AdjustmentType": "ChangeInCapacity", "MetricAggregationType": "Average", "Cooldown": 300,
            "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}]})["PolicyARN"]
    client("cloudwatch").put_metric_alarm(
        AlarmName=f"{endpoint}-backlog-without-capacity", Namespace="AWS/SageMaker",
        MetricName="HasBacklogWithoutCapacity", Dimensions=[{"Name": "EndpointName", "Value": endpoint}],
        Statistic="Average", Period=60, EvaluationPeriods=2, Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold", AlarmActions=[arn])


def test_async_endpoint_scales_on_its_backlog_and_out_of_zero(aws):
    good = _async_endpoint("queue-good")
    _backlog_policy(good, "queue-good")
    _from_zero(good, "queue-good")
    bad = _async_endpoint("queue-bad")
    _backlog_policy(bad, "queue-good")  # another endpoint's backlog, and nothing scales it out of zero
    result = run_audit(select=["SM202"])
    got = sorted((f.resource.type.rsplit("::", 1)[1], f.path, f.outcome, f.message)
                 for f in findings(result, "SM202"))
    assert got == [
        ("ScalableTarget", "MinCapacity", "fail",
         f"scalable target {bad} (variant AllTraffic) may scale to zero (MinCapacity 0), but no StepScaling policy "
         f"triggered by an alarm on HasBacklogWithoutCapacity of endpoint queue-bad scales it out again: requests "
         f"would wait in the queue with no instance to serve them"),
        ("ScalingPolicy", f"{TT}.CustomizedMetricSpecification.Dimensions", "fail",
         f"scaling policy backlog of scalable target {bad} (variant AllTraffic) scales on a customized "
         f"ApproximateBacklogSizePerInstance that has EndpointName queue-good; a customized metric counts only when "
         f"its EndpointName dimension names endpoint queue-bad"),
    ]
    passed = {e.resource for e in result.doc.evaluations if e.rule == "SM202" and e.outcome == "pass"}
    assert f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/queue-good" in passed


def test_copy_count_targets_register_and_are_collected(aws):
    """moto refuses the inference-component dimension without moto_ext."""
    make_endpoint("chat-host", tags={"Environment": "prod"})  # collection starts from the endpoints
    aas = client("application-autoscaling")
    aas.register_scalable_target(ServiceNamespace="sagemaker", ResourceId="inference-component/chat", MinCapacity=2,
                                 MaxCapacity=4, ScalableDimension="sagemaker:inference-component:DesiredCopyCount")
    inv = run_audit(select=["SM202"]).inventory
    [t] = inv.of("ScalableTarget")
    assert (t.ResourceId, t.ScalableDimension, t.MinCapacity) == (
        "inference-component/chat", "sagemaker:inference-component:DesiredCopyCount", 2)


def test_inference_components_scale_copies_and_the_variant_needs_no_target(aws):
    from .live_helpers import make_component_endpoint

    make_component_endpoint("chat-ep", {"chat": 2, "bare": 2})
    aas = client("application-autoscaling")
    aas.register_scalable_target(ServiceNamespace="sagemaker", ResourceId="inference-component/chat", MinCapacity=2,
                                 MaxCapacity=4, ScalableDimension="sagemaker:inference-component:DesiredCopyCount")
    aas.put_scaling_policy(
        PolicyName="copies", ServiceNamespace="sagemaker", ResourceId="inference-component/chat",
        ScalableDimension="sagemaker:inference-component:DesiredCopyCount", PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 5.0, "ScaleOutCooldown": 60, "ScaleInCooldown": 300, "PredefinedMetricSpecification": {
                "PredefinedMetricType": "SageMakerInferenceComponentInvocationsPerCopy"}})
    result = run_audit(select=["SM202"])
    got = [(f.resource.name, f.outcome, f.message) for f in findings(result, "SM202")]
    assert got == [("bare", "fail", "inference component bare has no scalable target (inference-component/bare, "
                                    "sagemaker:inference-component:DesiredCopyCount); production components must "
                                    "autoscale their copies")]
    passed = {e.resource.rsplit(":", 1)[1] for e in result.doc.evaluations if e.rule == "SM202" and e.outcome == "pass"}
    assert {"endpoint/chat-ep", "inference-component/chat"} <= passed
