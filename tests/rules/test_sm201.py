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
