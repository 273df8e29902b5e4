from auditor.inventory import Inventory
from auditor.models.resources import Model, ModelPackage
from rules.sm101_container_image import aws_accounts, aws_registries

from tests.conftest import FIXTURES

from .helpers import evaluate_inventory, live_meta, scan_file, scan_text, summary

GOOD = FIXTURES / "rules" / "SM101" / "good.yaml"
BAD = FIXTURES / "rules" / "SM101" / "bad.yaml"
POLICY_WANT = "the policy wants an AWS SageMaker or Deep Learning Containers registry or one in allowed_registries"


def test_registry_data_holds_the_sdk_accounts():
    regs = aws_registries()
    assert "763104351884" in regs["us-east-1"]  # Deep Learning Containers
    assert "683313688378" in regs["us-east-1"]  # SageMaker frameworks (sklearn, xgboost)
    assert "382416733822" in regs["us-east-1"]  # built-in algorithms
    assert "727897471807" in regs["cn-north-1"]
    assert "111111111111" not in aws_accounts()


def test_good_images_pass():
    assert scan_file(GOOD, rule="SM101") == []


def test_bad_images_exact_findings():
    fs = scan_file(BAD, rule="SM101")
    assert summary(fs) == [
        ("SM101", "HubModel", 15, "fail"),
        ("SM101", "OwnModel", 20, "fail"),
        ("SM101", "OwnModel", 21, "fail"),
        ("SM101", "OwnModel", 22, "unknown"),
        ("SM101", "BranchModel", 30, "fail"),
        ("SM101", "Package", 44, "fail"),
    ]
    msgs = [f.message for f in fs]
    assert msgs[0] == (f"image nginx comes from registry docker.io; {POLICY_WANT}; has no tag (it means latest); "
                       "pin a version tag or a @sha256 digest")
    assert msgs[1] == ("image ${AWS::AccountId}.dkr.ecr.${AWS::Region}.amazonaws.com/churn:1.4.2 comes from this "
                       f"account's own ECR registry; {POLICY_WANT} (or allow_own_account)")
    assert msgs[2] == ("image 763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:latest uses the "
                       "mutable tag :latest; pin a version tag or a @sha256 digest")
    assert msgs[3] == "image cannot be determined (parameter ImageUri has no default)"
    # Fn::If over an undecidable condition: only the untagged branch fails, and says when
    assert msgs[4] == ("image 763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference has no tag (it means "
                       "latest); pin a version tag or a @sha256 digest [when not (parameter UseCanary = 'yes')]")
    assert fs[5].path == "InferenceSpecification.Containers[0].Image"
    assert msgs[5] == f"model package Package container 0: image ghcr.io/acme/churn:2.0.0 comes from registry ghcr.io; {POLICY_WANT}"


def test_allowed_registries_and_own_account_params():
    cfg = {"rules": {"SM101": {"params": {"allowed_registries": ["ghcr.io/acme"], "allow_own_account": True}}}}
    fs = scan_file(BAD, rule="SM101", config=cfg)
    assert [(f.resource.id, f.location.line) for f in fs] == [
        ("HubModel", 15), ("OwnModel", 21), ("OwnModel", 22), ("BranchModel", 30)]


def test_unknown_account_and_symbolic_tag_are_unknown(tmp_path):
    text = """\
    Parameters:
      Acct: {Type: String}
      Tag: {Type: String}
    Resources:
      M:
        Type: AWS::SageMaker::Model
        Properties:
          Containers:
            - Image: !Sub ${Acct}.dkr.ecr.us-east-1.amazonaws.com/churn:1.0.0
            - Image: !Sub 763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:${Tag}
    """
    fs = scan_text(tmp_path, text, rule="SM101")
    assert summary(fs) == [("SM101", "M", 9, "unknown"), ("SM101", "M", 10, "unknown")]
    assert fs[0].message == ("image ${Acct}.dkr.ecr.us-east-1.amazonaws.com/churn:1.0.0: cannot tell whether it comes "
                             "from an allowed registry (ECR account parameter Acct has no default)")
    assert fs[1].message == ("image 763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:${Tag}: tag cannot "
                             "be determined (parameter Tag has no default)")


def test_package_not_in_template_is_unknown(tmp_path):
    text = """\
    Resources:
      M:
        Type: AWS::SageMaker::Model
        Properties:
          PrimaryContainer:
            ModelPackageName: arn:aws:sagemaker:us-east-1:111111111111:model-package/churn/3
    """
    fs = scan_text(tmp_path, text, rule="SM101")
    assert summary(fs) == [("SM101", "M", 6, "unknown")]
    assert fs[0].message.startswith("cannot check the images of model package "
                                    "arn:aws:sagemaker:us-east-1:111111111111:model-package/churn/3: ")


def test_live_model_and_package():
    inv = Inventory(complete=True)
    pkg_arn = "arn:aws:sagemaker:us-east-1:111111111111:model-package/churn/3"
    inv.add(ModelPackage(meta=live_meta("AWS::SageMaker::ModelPackage", "churn/3", arn=pkg_arn),
                         ModelPackageArn=pkg_arn, ModelPackageGroupName="churn",
                         InferenceSpecification={"Containers": [
                             {"Image": "246618743249.dkr.ecr.us-west-2.amazonaws.com/sagemaker-xgboost:1.7-1"}]}))
    inv.add(Model(meta=live_meta("AWS::SageMaker::Model", "from-pkg"), ModelName="from-pkg",
                  PrimaryContainer={"ModelPackageName": pkg_arn}))
    inv.add(Model(meta=live_meta("AWS::SageMaker::Model", "own"), ModelName="own",
                  PrimaryContainer={"Image": "111111111111.dkr.ecr.us-east-1.amazonaws.com/churn:latest"}))
    fs = evaluate_inventory(inv, "SM101")
    assert [(f.resource.name, f.outcome) for f in fs] == [("own", "fail")]
    assert fs[0].location.arn == "arn:aws:sagemaker:us-east-1:111111111111:model/own"
    assert fs[0].message == ("image 111111111111.dkr.ecr.us-east-1.amazonaws.com/churn:latest comes from registry "
                             f"111111111111.dkr.ecr.us-east-1.amazonaws.com; {POLICY_WANT}; uses the mutable tag "
                             ":latest; pin a version tag or a @sha256 digest")


COMPONENTS = """\
Resources:
  Config:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      ProductionVariants:
        - {VariantName: AllTraffic, InstanceType: ml.g5.12xlarge, InitialInstanceCount: 2}
  Host:
    Type: AWS::SageMaker::Endpoint
    Properties:
      EndpointConfigName: !GetAtt Config.EndpointConfigName
  Unpinned:
    Type: AWS::SageMaker::InferenceComponent
    Properties:
      EndpointName: !GetAtt Host.EndpointName
      VariantName: AllTraffic
      Specification:
        Container:
          Image: 763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:latest
        ComputeResourceRequirements: {MinMemoryRequiredInMb: 4096}
  Pinned:
    Type: AWS::SageMaker::InferenceComponent
    Properties:
      EndpointName: !GetAtt Host.EndpointName
      VariantName: AllTraffic
      Specification:
        Container:
          Image: 763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.29.0-lmi11.0.0-cu124
        ComputeResourceRequirements: {MinMemoryRequiredInMb: 4096}
  FromModel:
    Type: AWS::SageMaker::InferenceComponent
    Properties:
      EndpointName: !GetAtt Host.EndpointName
      VariantName: AllTraffic
      Specification:
        ModelName: some-model
        ComputeResourceRequirements: {MinMemoryRequiredInMb: 1024}
  Adapter:
    Type: AWS::SageMaker::InferenceComponent
    Properties:
      EndpointName: !GetAtt Host.EndpointName
      Specification:
        BaseInferenceComponentName: !GetAtt Pinned.InferenceComponentName
        Container:
          ArtifactUrl: s3://llm-artifacts/adapters/support/v1.0.0/adapter.tar.gz
"""


def test_inline_inference_component_images_are_judged(tmp_path):
    fs = scan_text(tmp_path, COMPONENTS, rule="SM101")
    # a component that names a model, or adapts a base component (its container holds only the
    # adapter's weights), is judged through that model or base, not here
    assert summary(fs) == [("SM101", "Unpinned", 18, "fail")]
    assert fs[0].path == "Specification.Container.Image"
    assert fs[0].message == ("image 763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:latest uses the "
                             "mutable tag :latest; pin a version tag or a @sha256 digest")
