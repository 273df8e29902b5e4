"""Live collection of inference components (ListInferenceComponents,
DescribeInferenceComponent: moto has neither, auditor.live.moto_ext adds
them to the loopback server) and of the batch transform jobs created in
SM503's window (ListTransformJobs with CreationTimeAfter, DescribeTransformJob):
their models are collected with them, faults hide exactly their kind, and a
snapshot keeps them."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from .live_helpers import ACCOUNT, DLC, REGION, ROLE, client, fail_call, findings, make_endpoint, run_audit

pytestmark = pytest.mark.live
ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}"


def make_component_endpoint(name: str, copies: int = 1, tags: dict | None = None, components: int = 1) -> None:
    """An endpoint whose variant names no model: the models live on its components."""
    sm = client("sagemaker")
    sm.create_model(ModelName=f"{name}-model", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": DLC})
    sm.create_endpoint_config(EndpointConfigName=f"{name}-config", ProductionVariants=[
        {"VariantName": "AllTraffic", "InstanceType": "ml.m5.large", "InitialInstanceCount": 2}])
    sm.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config",
                       Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()])
    for i in range(components):
        sm.create_inference_component(
            InferenceComponentName=f"{name}-ic{i}", EndpointName=name, VariantName="AllTraffic",
            Specification={"ModelName": f"{name}-model", "ComputeResourceRequirements": {"MinMemoryRequiredInMb": 1024}},
            RuntimeConfig={"CopyCount": copies})


def make_job(name: str, model: str, days_ago: float = 0, kms: bool = True) -> None:
    client("sagemaker").create_transform_job(
        TransformJobName=name, ModelName=model,
        TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://in/batch"}}},
        TransformOutput={"S3OutputPath": "s3://out/batch", **({"KmsKeyId": "alias/batch"} if kms else {})},
        TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1,
                            **({"VolumeKmsKeyId": "alias/batch"} if kms else {})})
    if days_ago:
        from moto.sagemaker.models import sagemaker_backends

        job = sagemaker_backends[ACCOUNT][REGION].transform_jobs[name]
        # moto keeps naive UTC datetimes; the server runs in this process
        job.creation_time = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(days=days_ago)


def _hook(event: str, operation: str, fn):
    def hook(session):
        session.events.register(f"{event}.sagemaker.{operation}", fn)
    return hook


@pytest.fixture
def account(aws):
    make_component_endpoint("llm-prod", copies=1, tags={"Environment": "prod"})
    make_endpoint("scoring", tags={"workload": "batch"})
    client("sagemaker").create_model(ModelName="batch-only", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": DLC})
    make_job("nightly-score", "scoring-model")
    make_job("backfill", "batch-only", days_ago=3)
    make_job("last-quarter", "batch-only", days_ago=40)
    return aws


def test_components_and_recent_jobs_are_collected_with_their_models(account):
    result = run_audit()
    inv = result.inventory
    [ic] = inv.of("InferenceComponent")
    assert (ic.meta.arn, ic.EndpointName, ic.VariantName) == (f"{ARN}:inference-component/llm-prod-ic0", "llm-prod",
                                                              "AllTraffic")
    assert ic.Specification.ModelName == "llm-prod-model"
    assert (ic.RuntimeConfig.DesiredCopyCount, ic.RuntimeConfig.CurrentCopyCount, ic.copies()) == (1, 1, 1)
    jobs = {j.name: j for j in inv.of("TransformJob")}
    assert sorted(jobs) == ["backfill", "nightly-score"]  # last-quarter is older than 30 days
    assert jobs["backfill"].ModelName == "batch-only"
    assert jobs["backfill"].TransformOutput.KmsKeyId == "alias/batch"
    assert jobs["backfill"].TransformResources.VolumeKmsKeyId == "alias/batch"
    assert {m.name for m in inv.models} == {"llm-prod-model", "scoring-model", "batch-only"}
    ops = result.operations
    assert (ops["sagemaker:ListInferenceComponents"], ops["sagemaker:DescribeInferenceComponent"]) == (1, 1)
    assert (ops["sagemaker:ListTransformJobs"], ops["sagemaker:DescribeTransformJob"]) == (1, 2)
    assert ops["sagemaker:DescribeModel"] == 3
    # the component of a production endpoint is judged (SM201: one copy)
    assert [f.outcome for f in findings(result, "SM201", ic.meta.arn)] == ["fail"]
    # SM503 names the batch job that already runs the declared-offline endpoint's model
    [note] = findings(result, "SM503", "scoring")
    assert note.message == (
        "endpoint scoring is declared an offline workload (its tag workload=batch) but is a real-time endpoint; the "
        "policy wants batch transform for non-real-time workloads; its model already ran as batch transform job "
        "nightly-score in the last 30 days")
    assert sorted((e.resource, e.outcome) for e in result.doc.evaluations
                  if e.rule == "SM503" and ":transform-job/" in e.resource) == [
        (f"{ARN}:transform-job/backfill", "pass"), (f"{ARN}:transform-job/nightly-score", "pass")]
    assert result.doc.gaps == []


def test_the_window_is_sm503s_parameter_and_jobs_are_listed_only_for_rules_that_read_them(account):
    wide = run_audit({"rules": {"SM503": {"params": {"transform_window_days": 60}}}}, select=["SM503"])
    assert sorted(j.name for j in wide.inventory.of("TransformJob")) == ["backfill", "last-quarter", "nightly-score"]
    narrow = run_audit(select=["SM301"])
    assert "sagemaker:ListTransformJobs" not in narrow.operations
    assert narrow.inventory.of("TransformJob") == []


def test_components_are_paged_through_the_bounded_paginator(aws):
    make_component_endpoint("llm-prod", components=3)

    def small_pages(params, **_):
        params["MaxResults"] = 2

    result = run_audit(hooks=[_hook("provide-client-params", "ListInferenceComponents", small_pages)])
    assert sorted(x.name for x in result.inventory.of("InferenceComponent")) == [
        "llm-prod-ic0", "llm-prod-ic1", "llm-prod-ic2"]
    assert result.operations["sagemaker:ListInferenceComponents"] == 2

    def same_token(parsed, **_):
        parsed["NextToken"] = "0"  # the first page, again and again

    looping = run_audit(hooks=[_hook("after-call", "ListInferenceComponents", same_token)])
    [gap] = [g for g in looping.doc.gaps if g.operation == "ListInferenceComponents"]
    assert (gap.kinds, gap.resource, gap.error) == (["InferenceComponent"], None, "EndlessPagination")
    assert looping.inventory.of("InferenceComponent") == []


def test_denied_list_inference_components_makes_exactly_the_rules_reading_components_unknown(account):
    result = run_audit(hooks=[fail_call("sagemaker", "ListInferenceComponents")])
    [gap] = [g for g in result.doc.gaps if g.operation == "ListInferenceComponents"]
    assert (gap.kinds, gap.resource, gap.error) == (["InferenceComponent"], None, "AccessDenied")
    assert result.inventory.of("InferenceComponent") == []
    # SM201 reads inference components: every verdict of it in the region is unknown
    sm201 = findings(result, "SM201", f"{ARN}:endpoint-config/llm-prod-config")
    assert [f.outcome for f in sm201] == ["unknown"]
    assert sm201[0].message == ("cannot verify SM201 for llm-prod-config: AccessDenied on "
                                "sagemaker:ListInferenceComponents (User is not authorized)")
    # rules that do not read them are judged as usual
    assert [f.outcome for f in findings(result, "SM503", "scoring")] == ["fail"]
    from auditor import registry

    reading = {c.id for c in registry.load().rules.values() if any("InferenceComponent" in c.reads_for(k)
                                                                    for k in c.targets)}
    hidden = {f.rule for f in result.doc.findings if "ListInferenceComponents" in f.message}
    assert "SM201" in hidden and hidden <= reading


def test_denied_describe_inference_component_keeps_the_listing_and_its_verdicts_unknown(account):
    result = run_audit(hooks=[fail_call("sagemaker", "DescribeInferenceComponent")])
    gaps = [g for g in result.doc.gaps if g.operation == "DescribeInferenceComponent"]
    assert sorted(g.resource for g in gaps) == [f"{ARN}:endpoint/llm-prod", f"{ARN}:inference-component/llm-prod-ic0"]
    assert {tuple(g.kinds) for g in gaps} == {("InferenceComponent",)}
    [ic] = result.inventory.of("InferenceComponent")
    assert (ic.EndpointName, ic.Specification) == ("llm-prod", None)  # what the listing said
    assert [f.outcome for f in findings(result, "SM201", ic.meta.arn)] == ["unknown"]


def test_denied_list_transform_jobs_makes_sm503_unknown_not_sm201(account):
    result = run_audit(hooks=[fail_call("sagemaker", "ListTransformJobs")])
    [gap] = [g for g in result.doc.gaps if g.operation == "ListTransformJobs"]
    assert (gap.kinds, gap.resource) == (["TransformJob"], None)
    [sm503] = findings(result, "SM503", "scoring")
    assert (sm503.outcome, sm503.message) == (
        "unknown", "cannot verify SM503 for scoring: AccessDenied on sagemaker:ListTransformJobs (User is not authorized)")
    assert [f.outcome for f in findings(result, "SM201", f"{ARN}:inference-component/llm-prod-ic0")] == ["fail"]
    assert {m.name for m in result.inventory.models} == {"llm-prod-model", "scoring-model"}


def test_a_deleted_model_of_a_transform_job_is_a_gap_on_the_job(aws):
    client("sagemaker").create_model(ModelName="gone", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": DLC})
    make_job("nightly", "gone")
    client("sagemaker").delete_model(ModelName="gone")
    result = run_audit()
    gaps = [g for g in result.doc.gaps if g.operation == "DescribeModel"]
    assert sorted(g.resource for g in gaps) == [f"{ARN}:transform-job/nightly", "gone"]
    assert {g.message for g in gaps} == {
        "model gone of transform job nightly no longer exists: Could not find model "
        f"'{ARN}:model/gone'."}
    assert result.inventory.models == [] and [j.name for j in result.inventory.of("TransformJob")] == ["nightly"]


def test_a_region_with_only_batch_jobs_is_collected(aws):
    client("sagemaker").create_model(ModelName="batch-only", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": DLC})
    make_job("nightly", "batch-only")
    result = run_audit()
    assert [j.name for j in result.inventory.of("TransformJob")] == ["nightly"]
    assert [m.name for m in result.inventory.models] == ["batch-only"]


def test_snapshot_keeps_components_and_jobs(account, tmp_path):
    from auditor.config import parse
    from auditor.loaders.snapshot import dump_snapshot
    from auditor.scan import scan

    result = run_audit()
    snap = tmp_path / "snap.json"
    snap.write_text(dump_snapshot(result.inventory))
    kinds = [r["kind"] for r in json.loads(snap.read_text())["resources"]]
    assert (kinds.count("InferenceComponent"), kinds.count("TransformJob")) == (1, 2)
    rescanned = scan([str(snap)], parse({}, "test-config"))
    assert sorted((f.fingerprint, f.outcome, f.message) for f in rescanned.findings) == sorted(
        (f.fingerprint, f.outcome, f.message) for f in result.doc.findings)


def test_transform_jobs_and_monitoring_jobs_are_judged_by_sm401_and_sm403(aws):
    sm = client("sagemaker")
    make_endpoint("fraud", tags={"Environment": "prod"})
    make_job("fraud-nightly", "fraud-model", kms=False)
    make_job("fraud-backfill", "fraud-model")
    sm.create_model(ModelName="gone", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": DLC})
    make_job("old-model", "gone", kms=False)
    sm.delete_model(ModelName="gone")
    sm.create_data_quality_job_definition(
        JobDefinitionName="fraud-drift", RoleArn=ROLE,
        DataQualityAppSpecification={"ImageUri": "156813124566.dkr.ecr.us-east-1.amazonaws.com/model-monitor"},
        DataQualityJobInput={"EndpointInput": {"EndpointName": "fraud", "LocalPath": "/opt/ml/processing/in"}},
        DataQualityJobOutputConfig={"MonitoringOutputs": [{"S3Output": {"S3Uri": "s3://b/o", "LocalPath": "/o"}}]},
        JobResources={"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 20,
                                        "VolumeKmsKeyId": "alias/monitor"}},
        NetworkConfig={"EnableNetworkIsolation": True, "EnableInterContainerTrafficEncryption": True})
    sm.create_monitoring_schedule(MonitoringScheduleName="fraud-drift", MonitoringScheduleConfig={
        "MonitoringType": "DataQuality", "MonitoringJobDefinitionName": "fraud-drift",
        "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"}})
    result = run_audit(select=["SM401", "SM403"])
    job = f"{ARN}:transform-job"

    def verdicts(rule, resource):
        return [(f.path, f.outcome, f.message) for f in findings(result, rule, resource)]

    assert verdicts("SM403", f"{job}/fraud-nightly") == [
        ("TransformOutput.KmsKeyId", "fail", "transform job fraud-nightly is production but sets no "
         "TransformOutput.KmsKeyId; the batch transform results need a customer managed KMS key"),
        ("TransformResources.VolumeKmsKeyId", "fail", "transform job fraud-nightly is production but sets no "
         "TransformResources.VolumeKmsKeyId; the ML storage volumes of the batch transform instances need a customer "
         "managed KMS key")]
    assert verdicts("SM403", f"{job}/fraud-backfill") == []
    # a job runs in its model's VPC: the model carries the verdict, once
    assert verdicts("SM401", f"{job}/fraud-nightly") == []
    assert [f.path for f in findings(result, "SM401", "fraud-model")] == ["VpcConfig"]
    gone = (  # the model was deleted after its job ran
"ValidationException on sagemaker:DescribeModel (model gone of transform job old-model no longer exists: "
            f"Could not find model '{ARN}:model/gone'.)")
    assert verdicts("SM401", f"{job}/old-model") == [
        ("", "unknown", f"cannot verify SM401 for old-model: {gone}")]
    assert verdicts("SM403", f"{job}/old-model") == [
        ("", "unknown", f"cannot verify SM403 for old-model: {gone}")]
    drift = f"{ARN}:data-quality-job-definition/fraud-drift"
    assert verdicts("SM401", drift) == [
        ("NetworkConfig.VpcConfig", "fail", "monitoring job definition fraud-drift has no NetworkConfig.VpcConfig; the "
         "policy wants monitoring jobs in a VPC with subnets and security groups")]
    assert verdicts("SM403", drift) == [
        ("DataQualityJobOutputConfig.KmsKeyId", "fail", "monitoring job definition fraud-drift is production but sets "
         "no DataQualityJobOutputConfig.KmsKeyId; the monitoring reports need a customer managed KMS key")]


def test_an_inline_inference_component_is_judged_on_its_endpoint_configs_vpc(aws):
    sm = client("sagemaker")
    for name, vpc in (("open", None), ("private", {"Subnets": ["subnet-1"], "SecurityGroupIds": ["sg-1"]})):
        sm.create_endpoint_config(EndpointConfigName=f"{name}-config", **({"VpcConfig": vpc} if vpc else {}),
                                  ProductionVariants=[{"VariantName": "AllTraffic", "InstanceType": "ml.m5.large",
                                                       "InitialInstanceCount": 2}])
        sm.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config")
        sm.create_inference_component(
            InferenceComponentName=f"{name}-llm", EndpointName=name, VariantName="AllTraffic",
            Specification={"Container": {"Image": DLC}, "ComputeResourceRequirements": {"MinMemoryRequiredInMb": 1024}},
            RuntimeConfig={"CopyCount": 1})
    result = run_audit(select=["SM401"])
    [fail] = findings(result, "SM401", f"{ARN}:inference-component/open-llm")
    assert (fail.path, fail.outcome, fail.message) == (
        "Specification.Container", "fail", "inference component open-llm runs its container inline on endpoint config "
        "open-config, which has no VpcConfig; the policy wants it in a VPC with subnets and security groups (set "
        "VpcConfig on the endpoint config)")
    assert findings(result, "SM401", f"{ARN}:inference-component/private-llm") == []


def test_shadow_models_and_serverless_variants_live(aws):
    sm = client("sagemaker")
    for name in ("live-model", "shadow-model", "serverless-model"):
        sm.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": DLC},
                        **({"VpcConfig": {"Subnets": ["subnet-1"], "SecurityGroupIds": ["sg-1"]}}
                           if name == "live-model" else {}))
    sm.create_endpoint_config(
        EndpointConfigName="shadowed",
        ProductionVariants=[{"VariantName": "live", "ModelName": "live-model", "InstanceType": "ml.m5.large",
                             "InitialInstanceCount": 2}],
        ShadowProductionVariants=[{"VariantName": "shadow", "ModelName": "shadow-model",
                                   "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}])
    sm.create_endpoint(EndpointName="shadowed", EndpointConfigName="shadowed")
    sm.create_endpoint_config(EndpointConfigName="burst", ProductionVariants=[
        {"VariantName": "AllTraffic", "ModelName": "serverless-model",
         "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 5}}])
    sm.create_endpoint(EndpointName="burst", EndpointConfigName="burst")
    result = run_audit(select=["SM401"])
    [shadow] = findings(result, "SM401", "shadow-model")
    assert (shadow.path, shadow.outcome) == ("VpcConfig", "fail")
    [burst] = findings(result, "SM401", f"{ARN}:endpoint-config/burst")
    assert (burst.path, burst.outcome, burst.message) == (
        "ProductionVariants[0].ServerlessConfig", "fail",
        "variant AllTraffic of endpoint config burst is serverless, and serverless endpoints cannot run in a VPC: "
        "model serverless-model is served outside one; the policy wants models in a VPC (serve it from "
        "instance-based variants with VpcConfig, or suppress SM401 here with the reason)")
    assert findings(result, "SM401", "serverless-model") == []


def test_an_inline_components_artifact_bucket_is_collected_and_judged(aws):
    client("s3").create_bucket(Bucket="llm-artifacts")
    sm = client("sagemaker")
    sm.create_endpoint_config(EndpointConfigName="llm-config", KmsKeyId="alias/llm", ProductionVariants=[
        {"VariantName": "AllTraffic", "InstanceType": "ml.m5.large", "InitialInstanceCount": 2}])
    sm.create_endpoint(EndpointName="llm", EndpointConfigName="llm-config",
                       Tags=[{"Key": "Environment", "Value": "prod"}])
    sm.create_inference_component(
        InferenceComponentName="llm-inline", EndpointName="llm", VariantName="AllTraffic",
        Specification={"Container": {"Image": DLC, "ArtifactUrl": "s3://llm-artifacts/models/llm/v1.0.0/m.tar.gz"},
                       "ComputeResourceRequirements": {"MinMemoryRequiredInMb": 1024}},
        RuntimeConfig={"CopyCount": 2})
    result = run_audit(select=["SM403"])
    assert [b.name for b in result.inventory.of("Bucket")] == ["llm-artifacts"]
    [f] = findings(result, "SM403", "llm-artifacts")
    assert (f.outcome, f.message) == (
        "fail", "artifact bucket llm-artifacts (inference component llm-inline) encrypts with SSE-S3 (AES256); "
                "production artifacts need SSE-KMS with a customer managed KMS key (KMSMasterKeyID)")


def test_an_inline_inference_components_image_is_judged_by_sm101(aws):
    sm = client("sagemaker")
    sm.create_endpoint_config(EndpointConfigName="llm-config", ProductionVariants=[
        {"VariantName": "AllTraffic", "InstanceType": "ml.m5.large", "InitialInstanceCount": 2}])
    sm.create_endpoint(EndpointName="llm", EndpointConfigName="llm-config")
    for name, image in (("unpinned", "ghcr.io/acme/llm:latest"), ("pinned", DLC)):
        sm.create_inference_component(
            InferenceComponentName=name, EndpointName="llm", VariantName="AllTraffic",
            Specification={"Container": {"Image": image}, "ComputeResourceRequirements": {"MinMemoryRequiredInMb": 1024}},
            RuntimeConfig={"CopyCount": 1})
    result = run_audit(select=["SM101"])
    [fail] = findings(result, "SM101", f"{ARN}:inference-component/unpinned")
    assert (fail.path, fail.outcome, fail.message) == (
        "Specification.Container.DeployedImage.SpecifiedImage", "fail",
        "image ghcr.io/acme/llm:latest comes from registry ghcr.io; the policy wants an AWS SageMaker or Deep "
        "Learning Containers registry or one in allowed_registries; uses the mutable tag :latest; pin a version tag "
        "or a @sha256 digest")
    assert findings(result, "SM101", f"{ARN}:inference-component/pinned") == []
