"""SM401 network-isolation: VPC config, network isolation, SageMaker Runtime PrivateLink."""

from auditor.inventory import Inventory
from auditor.models.resources import Model, Subnet, VpcEndpoint
from tests.conftest import CORPUS, FIXTURES

from .helpers import evaluate_inventory, live_meta, scan_file, scan_text, summary

DIR = FIXTURES / "rules" / "SM401"
ISOLATE = {"rules": {"SM401": {"params": {"require_network_isolation": True}}}}
NO_VPC = "has no VpcConfig; the policy wants models deployed in a VPC with subnets and security groups"


def test_private_model_passes():
    assert scan_file(DIR / "good.yaml", rule="SM401") == []
    assert scan_file(DIR / "good.yaml", config=ISOLATE, rule="SM401") == []


def test_missing_vpc_config_and_security_groups_fail():
    fs = scan_file(DIR / "bad.yaml", rule="SM401")
    assert summary(fs) == [("SM401", "PublicModel", 6, "fail"), ("SM401", "NoGroupsModel", 18, "fail")]
    assert [f.path for f in fs] == ["VpcConfig", "VpcConfig.SecurityGroupIds"]
    assert fs[0].message == f"model PublicModel {NO_VPC}"
    assert fs[1].message == ("model NoGroupsModel has a VpcConfig without security groups; the policy wants both "
                             "subnets and security groups")
    assert {f.level for f in fs} == {"error"}


def test_checkov_network_isolation_failed_example():
    path = next(CORPUS.glob("014_*"))
    fs = scan_file(path, rule="SM401")  # isolation not asked for: only the missing VPC
    assert [(f.resource.id, f.location.line, f.path) for f in fs] == [
        ("SageMakerModelFail1", 27, "VpcConfig"), ("SageMakerModelFail2", 38, "VpcConfig")]
    fs = scan_file(path, config=ISOLATE, rule="SM401")
    assert [(f.resource.id, f.location.line, f.path, f.outcome) for f in fs] == [
        ("SageMakerModelFail1", 27, "VpcConfig", "fail"),
        ("SageMakerModelFail1", 34, "EnableNetworkIsolation", "fail"),
        ("SageMakerModelFail2", 38, "EnableNetworkIsolation", "fail"),
        ("SageMakerModelFail2", 38, "VpcConfig", "fail"),
    ]
    assert fs[1].message == ("EnableNetworkIsolation of model SageMakerModelFail1 is False; the configuration "
                             "requires network isolation (true)")
    assert fs[2].message == ("EnableNetworkIsolation of model SageMakerModelFail2 is not set; the configuration "
                             "requires network isolation (true)")


def test_checkov_network_isolation_passed_example():
    fs = scan_file(next(CORPUS.glob("015_*")), config=ISOLATE, rule="SM401")
    # isolation is on; the model still has no VPC
    assert [(f.resource.id, f.location.line, f.path, f.message) for f in fs] == [
        ("SageMakerModelPass", 27, "VpcConfig", f"model SageMakerModelPass {NO_VPC}")]


def test_runtime_endpoint_not_in_template_is_unknown():
    fs = scan_file(next(CORPUS.glob("016_*")), rule="SM401")
    assert summary(fs) == [("SM401", "MySageMakerModel", 16, "unknown"), ("SM401", "MySageMakerModel2", 41, "unknown")]
    assert fs[0].message == ("no SageMaker Runtime interface endpoint for the VPC of model MySageMakerModel in this "
                             "template; the VPC may have one (`sm-audit audit` checks it)")


def test_unknown_isolation_flag(tmp_path):
    text = (DIR / "good.yaml").read_text().replace("EnableNetworkIsolation: true",
                                                   "EnableNetworkIsolation: !Ref Isolate")
    text = text.replace("Resources:", "Parameters:\n  Isolate: {Type: String}\nResources:", 1)
    fs = scan_text(tmp_path, text, config=ISOLATE, rule="SM401")
    assert summary(fs) == [("SM401", "Model", 33, "unknown")]
    assert fs[0].message == ("cannot tell whether model Model has network isolation: parameter Isolate has no "
                             "default")


def test_fn_if_vpc_config(tmp_path):
    text = """\
    Parameters:
      Private: {Type: String}
      Subnets: {Type: "List<AWS::EC2::Subnet::Id>"}
      Groups: {Type: "List<AWS::EC2::SecurityGroup::Id>"}
    Conditions:
      UseVpc: !Equals [!Ref Private, "true"]
    Resources:
      Model:
        Type: AWS::SageMaker::Model
        Properties:
          ExecutionRoleArn: arn:aws:iam::111111111111:role/m
          PrimaryContainer: {Image: 683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1}
          VpcConfig: !If
            - UseVpc
            - {Subnets: !Ref Subnets, SecurityGroupIds: !Ref Groups}
            - !Ref AWS::NoValue
    """
    fs = scan_text(tmp_path, text, rule="SM401")
    assert [(f.location.line, f.outcome, f.path, f.message) for f in fs] == [
        (15, "unknown", "VpcConfig.Subnets",
         "no SageMaker Runtime interface endpoint for the VPC of model Model in this template; the VPC may have one "
         "(`sm-audit audit` checks it) [when parameter Private = 'true']"),
        (16, "fail", "VpcConfig", f"model Model {NO_VPC} [when not (parameter Private = 'true')]"),
    ]


def _live(with_endpoint: bool, service: str = "com.amazonaws.us-east-1.sagemaker.runtime") -> Inventory:
    inv = Inventory(complete=True)
    acct = "111111111111"
    inv.add(Model(meta=live_meta("AWS::SageMaker::Model", "churn"), ModelName="churn",
                  ExecutionRoleArn=f"arn:aws:iam::{acct}:role/m",
                  VpcConfig={"Subnets": ["subnet-a", "subnet-b"], "SecurityGroupIds": ["sg-1"]}))
    for s, az in (("subnet-a", "us-east-1a"), ("subnet-b", "us-east-1b")):
        inv.add(Subnet(meta=live_meta("AWS::EC2::Subnet", s, arn=f"arn:aws:ec2:us-east-1:{acct}:subnet/{s}"),
                       SubnetId=s, VpcId="vpc-1", AvailabilityZone=az))
    inv.add(VpcEndpoint(meta=live_meta("AWS::EC2::VPCEndpoint", "vpce-s3",
                                       arn=f"arn:aws:ec2:us-east-1:{acct}:vpc-endpoint/vpce-s3"),
                        VpcEndpointId="vpce-s3", VpcId="vpc-1", ServiceName="com.amazonaws.us-east-1.s3"))
    if with_endpoint:
        inv.add(VpcEndpoint(meta=live_meta("AWS::EC2::VPCEndpoint", "vpce-rt",
                                           arn=f"arn:aws:ec2:us-east-1:{acct}:vpc-endpoint/vpce-rt"),
                            VpcEndpointId="vpce-rt", VpcId="vpc-1", ServiceName=service,
                            VpcEndpointType="Interface"))
    return inv


def test_live_runtime_endpoint_in_the_models_vpc_passes():
    assert evaluate_inventory(_live(True), "SM401") == []


def test_live_missing_runtime_endpoint_is_a_warning():
    fs = evaluate_inventory(_live(False), "SM401")
    assert summary(fs) == [("SM401", "churn", None, "fail")]
    assert fs[0].level == "warning"
    assert fs[0].location.arn == "arn:aws:sagemaker:us-east-1:111111111111:model/churn"
    assert fs[0].message == ("VPC vpc-1 of model churn has no interface endpoint for com.amazonaws.<region>."
                             "sagemaker.runtime; the policy wants private (PrivateLink) access to the SageMaker "
                             "Runtime")


def test_live_runtime_endpoint_in_another_vpc_fails():
    inv = _live(True)
    inv.of("VpcEndpoint")[1].VpcId = "vpc-2"
    fs = evaluate_inventory(inv, "SM401")
    assert [(f.outcome, f.level) for f in fs] == [("fail", "warning")]
