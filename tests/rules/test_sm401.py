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


# -- revision 2: everything that serves or monitors ---------------------------

def test_every_serving_and_monitoring_shape_in_a_vpc_passes():
    assert scan_file(DIR / "shapes-good.yaml", rule="SM401") == []


def test_shapes_outside_a_vpc_fail_at_their_property():
    fs = [f for f in scan_file(DIR / "shapes-bad.yaml", rule="SM401") if f.outcome == "fail"]
    assert [(f.resource.id, f.location.line, f.path) for f in fs] == [
        ("ShadowModel", 14, "VpcConfig"),
        ("ServerlessConfig", 35, "ProductionVariants[0].ServerlessConfig"),
        ("InlineComponent", 52, "Specification.Container"),
        ("ComponentModel", 59, "VpcConfig"),
        ("DriftJob", 73, "NetworkConfig"),
        ("QualityJob", 98, "NetworkConfig.EnableInterContainerTrafficEncryption"),
        ("QualityJob", 99, "NetworkConfig.EnableNetworkIsolation"),
        ("QualityJob", 102, "NetworkConfig.VpcConfig.SecurityGroupIds"),
        ("InlineSchedule", 109, "MonitoringScheduleConfig.MonitoringJobDefinition.NetworkConfig"),
    ]
    msgs = {(f.resource.id, f.path): f.message for f in fs}
    assert msgs[("ShadowModel", "VpcConfig")] == f"model ShadowModel {NO_VPC}"
    # serverless: said once, on the variant, as what the mode cannot do; not again on its model
    assert msgs[("ServerlessConfig", "ProductionVariants[0].ServerlessConfig")] == (
        "variant AllTraffic of endpoint config ServerlessConfig is serverless, and serverless endpoints cannot run in "
        "a VPC: model ServerlessModel is served outside one; the policy wants models in a VPC (serve it from "
        "instance-based variants with VpcConfig, or suppress SM401 here with the reason)")
    assert "ServerlessModel" not in {f.resource.id for f in fs}
    assert msgs[("InlineComponent", "Specification.Container")] == (
        "inference component InlineComponent runs its container inline on endpoint config HostConfig, which has no "
        "VpcConfig; the policy wants it in a VPC with subnets and security groups (set VpcConfig on the endpoint "
        "config)")
    assert "ModelComponent" not in {f.resource.id for f in fs}  # its model carries the verdict
    assert msgs[("DriftJob", "NetworkConfig")] == (
        "monitoring job definition DriftJob has no NetworkConfig; the policy wants monitoring jobs in a VPC (subnets "
        "and security groups) with network isolation and inter-container traffic encryption")
    assert msgs[("QualityJob", "NetworkConfig.EnableNetworkIsolation")] == (
        "EnableNetworkIsolation of monitoring job definition QualityJob is False; the policy wants monitoring jobs to "
        "enable network isolation (true)")
    assert msgs[("QualityJob", "NetworkConfig.EnableInterContainerTrafficEncryption")] == (
        "EnableInterContainerTrafficEncryption of monitoring job definition QualityJob is not set; the policy wants "
        "monitoring jobs to enable inter-container traffic encryption (true)")
    assert msgs[("InlineSchedule", "MonitoringScheduleConfig.MonitoringJobDefinition.NetworkConfig")].startswith(
        "the monitoring job of schedule InlineSchedule has no NetworkConfig;")


def test_monitoring_isolation_and_encryption_are_parameters():
    cfg = {"rules": {"SM401": {"params": {"monitoring_network_isolation": False,
                                          "monitoring_traffic_encryption": False}}}}
    fs = [f for f in scan_file(DIR / "shapes-bad.yaml", config=cfg, rule="SM401") if f.resource.id == "QualityJob"]
    assert [f.path for f in fs] == ["NetworkConfig.VpcConfig.SecurityGroupIds"]


def test_inline_component_on_an_endpoint_outside_the_template_is_unknown(tmp_path):
    fs = scan_text(tmp_path, """\
        Resources:
          Component:
            Type: AWS::SageMaker::InferenceComponent
            Properties:
              EndpointName: shared-llm-host
              Specification:
                Container: {Image: 763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.29.0-lmi11.0.0-cu124}
        """, rule="SM401")
    assert summary(fs) == [("SM401", "Component", 7, "unknown")]
    assert fs[0].message == ("inference component Component runs its container inline, in the VPC of its endpoint's "
                             "config, which cannot be checked: Endpoint 'shared-llm-host' is not defined in this "
                             "template")


def test_terraform_serverless_variant_and_monitoring_job(tmp_path):
    from tests.terraform.helpers import scan_tf, write_module

    d = write_module(tmp_path / "tf", {"main.tf": """\
        resource "aws_sagemaker_model" "m" {
          name               = "churn"
          execution_role_arn = "arn:aws:iam::111111111111:role/churn"
          primary_container {
            image = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1.0-cpu-py310"
          }
        }
        resource "aws_sagemaker_endpoint_configuration" "c" {
          name = "churn"
          production_variants {
            variant_name = "AllTraffic"
            model_name   = aws_sagemaker_model.m.name
            serverless_config {
              max_concurrency   = 5
              memory_size_in_mb = 2048
            }
          }
        }
        resource "aws_sagemaker_data_quality_job_definition" "drift" {
          name     = "churn-drift"
          role_arn = "arn:aws:iam::111111111111:role/monitor"
          network_config {
            enable_network_isolation = true
            vpc_config {
              subnets            = ["subnet-0123456789abcdef0"]
              security_group_ids = ["sg-0123456789abcdef0"]
            }
          }
        }
        """})
    fs = [f for f in scan_tf(d, rule="SM401").findings if f.rule == "SM401"]
    assert [(f.resource.id, f.path, f.location.line, f.outcome) for f in fs] == [
        ("aws_sagemaker_endpoint_configuration.c", "production_variants[0].serverless_config[0]", 13, "fail"),
        ("aws_sagemaker_data_quality_job_definition.drift",
         "network_config[0].enable_inter_container_traffic_encryption", 22, "fail"),
    ]
