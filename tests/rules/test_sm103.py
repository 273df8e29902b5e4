from auditor.inventory import Inventory
from auditor.models.resources import Model, ModelPackage

from tests.conftest import FIXTURES

from .helpers import evaluate_inventory, live_meta, scan_file, scan_text, summary

GOOD = FIXTURES / "rules" / "SM103" / "good.yaml"
BAD = FIXTURES / "rules" / "SM103" / "bad.yaml"


def test_approved_package_with_metrics_passes():
    assert scan_file(GOOD, rule="SM103") == []


def test_bad_registry_exact_findings():
    fs = scan_file(BAD, rule="SM103")
    assert summary(fs) == [
        ("SM103", "PendingPackage", 13, "fail"),
        ("SM103", "PendingPackage", 15, "fail"),
        ("SM103", "RawModel", 24, "fail"),
        ("SM103", "ParamModel", 36, "unknown"),
    ]
    m = [f.message for f in fs]
    assert m[0] == ("model package PendingPackage used by model PendingModel carries no ModelMetrics; the policy "
                    "wants training/evaluation metrics in the registry")
    # Fn::If: only the PendingManualApproval branch fails
    assert m[1] == ("model package PendingPackage used by model PendingModel is PendingManualApproval; the policy "
                    "wants Approved [when not (parameter Approval = 'yes')]")
    assert m[2] == ("model RawModel is not created from a registered model package (no container has "
                    "ModelPackageName); the policy wants its metadata in a model registry")
    assert m[3] == ("cannot check approval and metrics of model package ${PackageArn}: cannot tell which "
                    "ModelPackage: parameter PackageArn has no default")


CUSTOM = """\
Parameters:
  RegistryId: {Type: String}
Resources:
  Tagged:
    Type: AWS::SageMaker::Model
    Properties:
      Tags: [{Key: model-registry-id, Value: churn#v1.2.0}]
      PrimaryContainer: {Image: 763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1.0-cpu-py310}
  Untagged:
    Type: AWS::SageMaker::Model
    Properties:
      PrimaryContainer: {Image: 763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1.0-cpu-py310}
  ParamTagged:
    Type: AWS::SageMaker::Model
    Properties:
      Tags: [{Key: model-registry-id, Value: !Ref RegistryId}]
      PrimaryContainer: {Image: 763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1.0-cpu-py310}
"""


def test_custom_registry_needs_the_registry_tag(tmp_path):
    cfg = {"rules": {"SM103": {"params": {"custom_registry": "ml-model-registry"}}}}
    fs = scan_text(tmp_path, CUSTOM, rule="SM103", config=cfg)
    assert summary(fs) == [("SM103", "Untagged", 12, "fail"), ("SM103", "ParamTagged", 16, "unknown")]
    assert fs[0].message == ("model Untagged is not created from a model package and has no model-registry-id tag "
                             "naming its entry in the custom registry ml-model-registry")
    assert fs[1].message == "tag model-registry-id of ParamTagged cannot be determined (parameter RegistryId has no default)"
    # without a declared custom registry the tag does not count
    assert [f.resource.id for f in scan_text(tmp_path, CUSTOM, rule="SM103")] == ["Tagged", "Untagged", "ParamTagged"]


def test_live_packages():
    inv = Inventory(complete=True)
    ok_arn = "arn:aws:sagemaker:us-east-1:111111111111:model-package/churn/3"
    bad_arn = "arn:aws:sagemaker:us-east-1:111111111111:model-package/churn/4"
    inv.add(ModelPackage(meta=live_meta("AWS::SageMaker::ModelPackage", "churn/3", arn=ok_arn), ModelPackageArn=ok_arn,
                         ModelApprovalStatus="Approved",
                         ModelMetrics={"ModelQuality": {"Statistics": {"S3Uri": "s3://a/m.json"}}}))
    inv.add(ModelPackage(meta=live_meta("AWS::SageMaker::ModelPackage", "churn/4", arn=bad_arn), ModelPackageArn=bad_arn,
                         ModelApprovalStatus="Rejected", ModelMetrics={}))
    for name, arn in (("m3", ok_arn), ("m4", bad_arn), ("m5", ok_arn.replace("/3", "/5"))):
        inv.add(Model(meta=live_meta("AWS::SageMaker::Model", name), ModelName=name,
                      PrimaryContainer={"ModelPackageName": arn}))
    fs = evaluate_inventory(inv, "SM103")
    assert sorted((f.resource.arn, f.path, f.outcome) for f in fs) == [
        (bad_arn, "ModelApprovalStatus", "fail"),
        (bad_arn, "ModelMetrics", "fail"),
        ("arn:aws:sagemaker:us-east-1:111111111111:model/m5", "PrimaryContainer.ModelPackageName", "unknown"),
    ]
    msg = {f.path: f.message for f in fs}
    assert msg["ModelApprovalStatus"] == f"model package {bad_arn} used by model m4 is Rejected; the policy wants Approved"
    assert msg["PrimaryContainer.ModelPackageName"] == (
        "cannot check approval and metrics of model package " + ok_arn.replace("/3", "/5") + ": it is not in the inventory")
