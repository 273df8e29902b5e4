from .helpers import scan_text, summary

BAD = """\
Resources:
  Config:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      Tags:
        - {Key: Environment, Value: prod}
      ProductionVariants:
        - VariantName: AllTraffic
          ModelName: m
          InstanceType: ml.m5.large
          InitialInstanceCount: 1
  M:
    Type: AWS::SageMaker::Model
    Properties:
      ModelName: m
      VpcConfig:
        SecurityGroupIds: [sg-1]
        Subnets: [!Ref SubnetA, !Ref SubnetB]
  SubnetA:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: vpc-1, CidrBlock: 10.0.0.0/24, AvailabilityZone: us-east-1a}
  SubnetB:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: vpc-1, CidrBlock: 10.0.1.0/24, AvailabilityZone: us-east-1b}
"""


def test_single_instance_production_variant_fails(tmp_path):
    fs = scan_text(tmp_path, BAD, rule="SM201")
    assert summary(fs) == [("SM201", "Config", 11, "fail")]
    assert fs[0].path == "ProductionVariants[0].InitialInstanceCount"
    assert fs[0].message == "variant AllTraffic runs on 1 instance(s); production needs at least 2"


def test_non_production_is_not_checked(tmp_path):
    assert scan_text(tmp_path, BAD.replace("prod}", "dev}"), rule="SM201") == []


def test_unknown_count_is_unknown_not_pass(tmp_path):
    text = BAD.replace("InitialInstanceCount: 1", "InitialInstanceCount: !Ref Count")
    text = "Parameters:\n  Count: {Type: Number}\n" + text
    fs = scan_text(tmp_path, text, rule="SM201")
    assert summary(fs) == [("SM201", "Config", 13, "unknown")]
    assert "parameter Count has no default" in fs[0].message


# ---- multi-AZ ---------------------------------------------------------------

from auditor.inventory import Inventory  # noqa: E402
from auditor.models.resources import EndpointConfig, Model, Subnet  # noqa: E402

from tests.conftest import FIXTURES  # noqa: E402

from .helpers import evaluate_inventory, live_meta, scan_file  # noqa: E402

GOOD_AZ = FIXTURES / "rules" / "SM201" / "good.yaml"
BAD_AZ = FIXTURES / "rules" / "SM201" / "bad.yaml"


def test_two_instances_in_two_zones_pass():
    assert scan_file(GOOD_AZ, rule="SM201") == []


def test_multi_az_exact_findings():
    fs = scan_file(BAD_AZ, rule="SM201")
    assert summary(fs) == [
        ("SM201", "NoVpcModel", 23, "fail"),
        ("SM201", "OneZoneModel", 31, "fail"),
        ("SM201", "UnknownZoneModel", 38, "unknown"),
        ("SM201", "Config", 55, "fail"),
    ]
    m = [f.message for f in fs]
    assert m[0] == ("model NoVpcModel has no VpcConfig: cannot verify multi-AZ placement without VpcConfig subnets; "
                    "production needs subnets in at least 2 Availability Zones")
    # Fn::If: the spread-out branch passes, the single-zone branch fails
    assert m[1] == ("model OneZoneModel runs in subnets spanning 1 Availability Zone(s) (us-east-1a); production "
                    "needs at least 2 [when not (parameter Spread = 'yes')]")
    assert m[2] == ("model UnknownZoneModel: subnets span 1 Availability Zone(s) (us-east-1a) as far as known; zone "
                    "unknown for subnet(s) subnet-0123456789abcdef0 (Subnet 'subnet-0123456789abcdef0' is not "
                    "defined in this template), ${SubnetAny} (Fn::Select over a list that Fn::GetAZs is evaluated "
                    "at deploy time)")
    assert m[3] == "variant Canary runs on 1 instance(s); production needs at least 2"


def test_min_azs_param(tmp_path):
    cfg = {"rules": {"SM201": {"params": {"min_azs": 3}}}}
    fs = scan_file(GOOD_AZ, rule="SM201", config=cfg)
    assert [(f.resource.id, f.outcome) for f in fs] == [("Model", "fail")]
    assert fs[0].message == ("model Model runs in subnets spanning 2 Availability Zone(s) (us-east-1a, us-east-1b); "
                             "production needs at least 3")


def _live(subnets: dict, model_subnets: list) -> Inventory:
    inv = Inventory(complete=True)
    for sid, az in subnets.items():
        inv.add(Subnet(meta=live_meta("AWS::EC2::Subnet", sid, arn=f"arn:aws:ec2:us-east-1:111111111111:subnet/{sid}"),
                       SubnetId=sid, AvailabilityZone=az))
    inv.add(Model(meta=live_meta("AWS::SageMaker::Model", "churn"), ModelName="churn",
                  VpcConfig={"SecurityGroupIds": ["sg-1"], "Subnets": model_subnets}))
    inv.add(EndpointConfig(meta=live_meta("AWS::SageMaker::EndpointConfig", "churn-cfg"), EndpointConfigName="churn-cfg",
                           Tags={"Environment": "prod"},
                           ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": "churn",
                                                "InstanceType": "ml.m5.large", "InitialInstanceCount": 2}]))
    return inv


def test_live_subnets():
    assert evaluate_inventory(_live({"subnet-a": "us-east-1a", "subnet-b": "us-east-1b"},
                                    ["subnet-a", "subnet-b"]), "SM201") == []
    fs = evaluate_inventory(_live({"subnet-a": "us-east-1a", "subnet-b": "us-east-1a"},
                                  ["subnet-a", "subnet-b"]), "SM201")
    assert [(f.resource.name, f.outcome, f.message) for f in fs] == [
        ("churn", "fail", "model churn runs in subnets spanning 1 Availability Zone(s) (us-east-1a); production "
                          "needs at least 2")]
    fs = evaluate_inventory(_live({"subnet-a": "us-east-1a"}, ["subnet-a", "subnet-gone"]), "SM201")
    assert [(f.resource.name, f.outcome, f.message) for f in fs] == [
        ("churn", "unknown", "model churn: subnets span 1 Availability Zone(s) (us-east-1a) as far as known; zone "
                             "unknown for subnet(s) subnet-gone (not in the inventory)")]
