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
    # NoVpcModel (line 23) has no VpcConfig: SageMaker places it across zones itself (revision 2)
    assert summary(fs) == [
        ("SM201", "OneZoneModel", 31, "fail"),
        ("SM201", "UnknownZoneModel", 38, "unknown"),
        ("SM201", "Config", 55, "fail"),
    ]
    m = [""] + [f.message for f in fs]
    # Fn::If: the spread-out branch passes, the single-zone branch fails
    assert m[1] == ("model OneZoneModel runs in subnets spanning 1 Availability Zone(s) (us-east-1a); production "
                    "needs at least 2 [when not (parameter Spread = 'yes')]")
    # SubnetAny's zone is GetAZs[0]: maybe us-east-1a, maybe not
    assert m[2] == ("model UnknownZoneModel: subnets span 2 Availability Zone(s) (GetAZs[0], us-east-1a) as far as "
                    "known; zone unknown for subnet(s) subnet-0123456789abcdef0 (Subnet 'subnet-0123456789abcdef0' is "
                    "not defined in this template); they may be as few as 1 distinct zone(s) (a named zone may be "
                    "the one Fn::GetAZs picks)")
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


# ---- revision 2 shapes: managed scaling, inference components, exemptions ----------

SHAPES_BAD = FIXTURES / "rules" / "SM201" / "shapes-bad.yaml"
SHAPES_GOOD = FIXTURES / "rules" / "SM201" / "shapes-good.yaml"


def test_shapes_bad_managed_floor_and_component_copies():
    fs = scan_file(SHAPES_BAD, rule="SM201")
    # the 1-instance ml.p4d shadow is exempt; the model has no VpcConfig (nothing to say)
    assert summary(fs) == [("SM201", "IcConfig", 12, "fail"), ("SM201", "Component", 32, "fail")]
    assert fs[1].path == "RuntimeConfig.CopyCount"
    assert fs[1].message == "inference component Component runs 1 copy(ies); production needs at least 2"
    assert fs[0].path == "ProductionVariants[0].ManagedInstanceScaling.MinInstanceCount"
    assert fs[0].message == ("variant AllTraffic may scale down to 1 instance(s) (ManagedInstanceScaling "
                             "MinInstanceCount); production needs at least 2")


def test_shapes_good_pass_with_notes():
    from auditor.config import parse
    from auditor.scan import scan

    doc = scan([str(SHAPES_GOOD)], parse({}, "t"), select=["SM201"])
    assert [f for f in doc.findings if f.rule == "SM201"] == []
    notes = {e.resource.split("#")[-1]: e.note for e in doc.evaluations if e.rule == "SM201"}
    assert notes["IcConfig"] == "shadow variant Shadow serves no caller: high availability does not apply"
    assert notes["ServerlessConfig"] == "variant AllTraffic is serverless: it has no instances to count"
    assert notes["AsyncConfig"] == ("variant AllTraffic of asynchronous endpoint config AsyncConfig may scale to "
                                    "zero (scalable target AsyncTarget has MinCapacity 0): its queue absorbs an "
                                    "instance loss")
    assert notes["Adapter"] == "inference component Adapter is an adapter: it runs on its base component's copies"
    assert notes["Component"] is None


def test_async_without_scale_to_zero_is_counted(tmp_path):
    text = SHAPES_GOOD.read_text().replace("MinCapacity: 0", "MinCapacity: 1")
    fs = scan_text(tmp_path, text, rule="SM201")
    assert [(f.resource.id, f.outcome, f.message) for f in fs] == [
        ("AsyncConfig", "fail", "variant AllTraffic runs on 1 instance(s); production needs at least 2")]


def _live_ic(copies: int) -> Inventory:
    from auditor.models.resources import Endpoint, InferenceComponent

    inv = Inventory(complete=True)
    inv.add(EndpointConfig(meta=live_meta("AWS::SageMaker::EndpointConfig", "llm-cfg"), EndpointConfigName="llm-cfg",
                           Tags={"Environment": "prod"},
                           ProductionVariants=[{"VariantName": "AllTraffic", "InstanceType": "ml.g5.2xlarge",
                                                "InitialInstanceCount": 2}]))
    inv.add(Endpoint(meta=live_meta("AWS::SageMaker::Endpoint", "llm"), EndpointName="llm",
                     EndpointConfigName="llm-cfg"))
    inv.add(InferenceComponent(meta=live_meta("AWS::SageMaker::InferenceComponent", "llm-ic"),
                               InferenceComponentName="llm-ic", EndpointName="llm", VariantName="AllTraffic",
                               Specification={"Container": {"Image": "x"}},
                               RuntimeConfig={"DesiredCopyCount": copies, "CurrentCopyCount": copies}))
    return inv


def test_live_component_copies():
    assert evaluate_inventory(_live_ic(2), "SM201") == []
    fs = evaluate_inventory(_live_ic(1), "SM201")
    assert [(f.resource.name, f.path, f.message) for f in fs] == [
        ("llm-ic", "RuntimeConfig.CurrentCopyCount",
         "inference component llm-ic runs 1 copy(ies); production needs at least 2")]
