"""SM201 multi-AZ with Fn::GetAZs: distinct indexes of one region's zone
list are distinct zones; the same index twice is one zone; a named zone
beside a pick may be the same zone."""

from __future__ import annotations

from pathlib import Path

from auditor.loaders.parameters import Pins
from auditor.values import Sym, display, zone_of

from .helpers import scan_file

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "getazs"


def test_distinct_picks_are_distinct_zones():
    assert [f for f in scan_file(FIX / "good.yaml", rule="SM201")] == []


def test_same_pick_twice_is_one_zone_and_a_named_zone_may_be_a_pick():
    fs = {f.resource.id: f for f in scan_file(FIX / "bad.yaml", rule="SM201")}
    assert set(fs) == {"SameZoneModel", "MaybeSameModel"}
    same = fs["SameZoneModel"]
    assert same.outcome == "fail" and same.path == "VpcConfig.Subnets" and same.location.line == 17
    assert same.message == ("model SameZoneModel runs in subnets spanning 1 Availability Zone(s) (GetAZs[0]); "
                            "production needs at least 2")
    maybe = fs["MaybeSameModel"]
    assert maybe.outcome == "unknown"
    assert maybe.message == ("model MaybeSameModel: subnets span 2 Availability Zone(s) (GetAZs[0], us-east-1a) as far "
                             "as known; they may be as few as 1 distinct zone(s) (a named zone may be the one "
                             "Fn::GetAZs picks)")


def test_no_zone_known_is_said_so(tmp_path):
    from .helpers import scan_text

    fs = scan_text(tmp_path, """\
        Resources:
          Model:
            Type: AWS::SageMaker::Model
            Properties:
              PrimaryContainer: {Image: 763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1.0-cpu-py310}
              VpcConfig: {SecurityGroupIds: [sg-0abc], Subnets: [subnet-0aaa, subnet-0bbb]}
          Config:
            Type: AWS::SageMaker::EndpointConfig
            Properties:
              Tags: [{Key: Environment, Value: prod}]
              ProductionVariants:
                - {VariantName: A, ModelName: !GetAtt Model.ModelName, InstanceType: ml.m5.large, InitialInstanceCount: 2}
        """, rule="SM201")
    (f,) = fs
    assert f.outcome == "unknown" and "as far as known" not in f.message
    assert f.message.startswith("model Model: the Availability Zone of no subnet is known: subnet-0aaa (")


def test_picks_resolve_to_a_zone_symbol():
    from auditor.loaders.resolver import Resolver

    r = Resolver({"Resources": {}})
    a = r.value({"Fn::Select": [0, {"Fn::GetAZs": ""}]}, (), (), None)
    b = r.value({"Fn::Select": ["1", {"Fn::GetAZs": {"Ref": "AWS::Region"}}]}, (), (), None)
    c = r.value({"Fn::Select": [0, {"Fn::GetAZs": "eu-west-1"}]}, (), (), None)
    assert a == Sym("az", "", "0") and b == Sym("az", "", "1") and a != c
    assert display(a) == "GetAZs[0]" and display(c) == "GetAZs('eu-west-1')[0]"
    assert zone_of(a) is a and zone_of("us-east-1a") == "us-east-1a" and zone_of(None) is None
    pinned = Resolver({"Resources": {}}, pins=Pins(region="eu-west-1"))
    assert pinned.value({"Fn::Select": [0, {"Fn::GetAZs": {"Ref": "AWS::Region"}}]}, (), (), None) == a
