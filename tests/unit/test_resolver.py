"""The intrinsic resolver: what a template can tell, and what it cannot."""

from __future__ import annotations

import textwrap


from auditor.loaders.marked import load_yaml
from auditor.loaders.resolver import NOVALUE, Resolver
from auditor.loaders.template import load_template
from auditor.values import Str, Sym, Unknown, display, is_known

BASE = {
    "Parameters": {
        "EpName": {"Type": "String"},
        "Env": {"Type": "String", "Default": "prod"},
        "Count": {"Type": "Number", "Default": 2},
        "Subnets": {"Type": "CommaDelimitedList", "Default": "subnet-a, subnet-b"},
        "NoDefaultList": {"Type": "List<AWS::EC2::Subnet::Id>"},
        "Ssm": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/my/key"},
        "Port": {"Type": "String", "Default": 8080},
    },
    "Mappings": {
        "Sizes": {"prod": {"Type": "ml.m5.xlarge", "Count": 2}, "dev": {"Type": "ml.t2.medium"}},
        "Loop": {"a": {"b": {"Fn::FindInMap": ["Loop", "a", "b"]}}},
    },
    "Conditions": {
        "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
        "IsDev": {"Fn::Not": [{"Condition": "IsProd"}]},
        "Named": {"Fn::Not": [{"Fn::Equals": [{"Ref": "EpName"}, ""]}]},
        "Both": {"Fn::And": [{"Condition": "IsProd"}, {"Condition": "Named"}]},
        "Either": {"Fn::Or": [{"Condition": "IsProd"}, {"Condition": "Named"}]},
        "SelfLoop": {"Fn::Not": [{"Condition": "SelfLoop"}]},
    },
    "Resources": {
        "Endpoint": {"Type": "AWS::SageMaker::Endpoint", "Properties": {}},
        "Config": {"Type": "AWS::SageMaker::EndpointConfig", "Properties": {}},
    },
}


def r(atoms=None) -> Resolver:
    return Resolver(BASE, atoms=atoms)


def val(expr, atoms=None):
    return r(atoms).value(expr, (), (), None)


# -- Ref ------------------------------------------------------------------------

def test_ref_parameters_defaults_and_types():
    assert val({"Ref": "Env"}) == "prod"
    assert val({"Ref": "Count"}) == 2
    assert val({"Ref": "Port"}) == "8080"  # String parameter with a numeric default
    assert val({"Ref": "Subnets"}) == ["subnet-a", "subnet-b"]
    assert val({"Ref": "EpName"}) == Sym("param", "EpName")
    assert val({"Ref": "NoDefaultList"}) == Sym("param", "NoDefaultList")
    # an SSM parameter's default is a key, not the value
    assert val({"Ref": "Ssm"}) == Sym("param", "Ssm")


def test_ref_resources_pseudo_parameters_and_novalue():
    assert val({"Ref": "Endpoint"}) == Sym("resource", "Endpoint")
    assert val({"Ref": "AWS::Partition"}) == "aws"
    assert val({"Ref": "AWS::URLSuffix"}) == "amazonaws.com"
    for p in ("AWS::Region", "AWS::AccountId", "AWS::StackName", "AWS::StackId"):
        assert val({"Ref": p}) == Sym("pseudo", p)
    assert val({"Ref": "AWS::NoValue"}) is NOVALUE
    assert isinstance(val({"Ref": "Nowhere"}), Unknown)
    assert isinstance(val({"Ref": ["a"]}), Unknown)


def test_novalue_removes_keys_and_list_items():
    out = val({"A": {"Ref": "AWS::NoValue"}, "B": [1, {"Ref": "AWS::NoValue"}, 3], "C": "x"})
    assert out == {"B": [1, 3], "C": "x"}


def test_getatt_both_forms():
    assert val({"Fn::GetAtt": ["Endpoint", "EndpointName"]}) == Sym("resource", "Endpoint", "EndpointName")
    assert val({"Fn::GetAtt": "Endpoint.EndpointName"}) == Sym("resource", "Endpoint", "EndpointName")
    assert isinstance(val({"Fn::GetAtt": ["Missing", "Arn"]}), Unknown)
    assert isinstance(val({"Fn::GetAtt": ["Endpoint"]}), Unknown)


# -- Sub / Join / Select / Split ---------------------------------------------------

def test_sub_string_form():
    assert val({"Fn::Sub": "${Env}-ep"}) == "prod-ep"
    assert val({"Fn::Sub": "arn:${AWS::Partition}:s3:::b"}) == "arn:aws:s3:::b"
    assert val({"Fn::Sub": "${!Literal}-${Env}"}) == "${Literal}-prod"
    v = val({"Fn::Sub": "${EpName}-blue"})
    assert v == Str([Sym("param", "EpName"), "-blue"])
    assert display(v) == "${EpName}-blue"
    assert val({"Fn::Sub": "${Endpoint.EndpointName}"}) == Sym("resource", "Endpoint", "EndpointName")
    assert val({"Fn::Sub": "${Count}"}) == "2"


def test_sub_list_form_variables_shadow_parameters():
    v = val({"Fn::Sub": ["${Env}/${X}", {"Env": "dev", "X": {"Ref": "EpName"}}]})
    assert v == Str(["dev/", Sym("param", "EpName")])
    assert isinstance(val({"Fn::Sub": ["a", "not-a-mapping"]}), Unknown)


def test_join_select_split():
    assert val({"Fn::Join": ["-", ["a", {"Ref": "Env"}, 3]]}) == "a-prod-3"
    j = val({"Fn::Join": ["/", ["endpoint", {"Ref": "EpName"}, "variant", "v"]]})
    assert j == Str(["endpoint/", Sym("param", "EpName"), "/variant/v"])
    assert val({"Fn::Select": [1, {"Ref": "Subnets"}]}) == "subnet-b"
    assert val({"Fn::Select": ["0", ["x", "y"]]}) == "x"
    assert isinstance(val({"Fn::Select": [5, ["x"]]}), Unknown)
    assert isinstance(val({"Fn::Select": [0, {"Ref": "NoDefaultList"}]}), Unknown)
    assert val({"Fn::Split": [",", "a,b,c"]}) == ["a", "b", "c"]
    assert val({"Fn::Select": [2, {"Fn::Split": ["/", {"Fn::Sub": "endpoint/${EpName}/variant/v"}]}]}) == "variant"
    assert val({"Fn::Select": [1, {"Fn::Split": ["/", {"Fn::Sub": "endpoint/${EpName}/variant/v"}]}]}) \
        == Sym("param", "EpName")
    assert isinstance(val({"Fn::Join": [{"Ref": "EpName"}, ["a", "b"]]}), Unknown)
    assert isinstance(val({"Fn::Join": ["-", {"Ref": "NoDefaultList"}]}), Unknown)


def test_findinmap_with_and_without_defaults():
    assert val({"Fn::FindInMap": ["Sizes", {"Ref": "Env"}, "Type"]}) == "ml.m5.xlarge"
    assert val({"Fn::FindInMap": ["Sizes", "dev", "Count", {"DefaultValue": 1}]}) == 1
    missing = val({"Fn::FindInMap": ["Sizes", "dev", "Count"]})
    assert isinstance(missing, Unknown) and "Sizes/dev/Count" in missing.reason
    unknown_key = val({"Fn::FindInMap": ["Sizes", {"Ref": "AWS::Region"}, "Type"]})
    assert isinstance(unknown_key, Unknown) and "AWS::Region" in unknown_key.reason
    # functions inside Mappings are not evaluated (and cannot loop)
    assert isinstance(val({"Fn::FindInMap": ["Loop", "a", "b"]}), Unknown)


def test_import_value_and_dynamic_references_are_unknown_but_present():
    v = val({"Fn::ImportValue": "shared-endpoint-name"})
    assert v == Sym("import", "shared-endpoint-name") and not is_known(v)
    assert val({"Fn::ImportValue": {"Fn::Sub": "${Env}-name"}}) == Sym("import", "prod-name")
    d = val("{{resolve:ssm:/ml/instance-count}}")
    assert isinstance(d, Unknown) and "resolve:ssm" in d.reason
    assert isinstance(val({"Fn::Sub": "{{resolve:secretsmanager:s}}-x"}), Unknown)


# -- conditions -------------------------------------------------------------------

def test_conditions_decided_with_defaults():
    res = r()
    assert res.condition("IsProd") is True
    assert res.condition("IsDev") is False
    assert val({"Fn::If": ["IsProd", 2, 1]}) == 2
    assert val({"Fn::If": ["IsDev", 2, {"Ref": "AWS::NoValue"}]}) is NOVALUE
    assert isinstance(res.condition("SelfLoop"), Unknown)
    assert isinstance(res.condition("Undefined"), Unknown)


def test_undecidable_conditions_become_atoms_and_scenarios_decide_them():
    res = r()
    assert isinstance(res.condition("Named"), Unknown)
    assert isinstance(res.condition("Both"), Unknown)  # True and unknown
    assert res.condition("Either") is True  # True or unknown
    (key, label), = res.seen_atoms.items()
    assert label == "parameter EpName = ''"
    assert r({key: True}).condition("Named") is False
    assert r({key: False}).condition("Named") is True
    assert val({"Fn::If": ["Both", "a", "b"]}, {key: False}) == "a"


def test_equals_over_containers_with_unknowns_does_not_crash():
    res = Resolver({**BASE, "Conditions": {"C": {"Fn::Equals": [{"Ref": "EpName"}, {"a": {"Ref": "EpName"}}]}}})
    assert isinstance(res.condition("C"), Unknown)


def test_same_parameter_is_the_same_name_however_written():
    forms = [
        {"Ref": "EpName"},
        {"Fn::Sub": "${EpName}"},
        {"Fn::Sub": ["${N}", {"N": {"Ref": "EpName"}}]},
        {"Fn::Join": ["", [{"Ref": "EpName"}]]},
        {"Fn::Select": [0, [{"Ref": "EpName"}]]},
    ]
    values = [val(f) for f in forms]
    assert all(v == Sym("param", "EpName") for v in values)
    ids = [
        {"Fn::Join": ["/", ["endpoint", {"Ref": "EpName"}, "variant", "AllTraffic"]]},
        {"Fn::Sub": "endpoint/${EpName}/variant/AllTraffic"},
        {"Fn::Sub": ["endpoint/${E}/variant/${V}", {"E": {"Ref": "EpName"}, "V": "AllTraffic"}]},
        {"Fn::Join": ["", ["endpoint/", {"Fn::Sub": "${EpName}"}, "/variant/", "AllTraffic"]]},
    ]
    resolved = [val(i) for i in ids]
    assert all(x == resolved[0] for x in resolved)
    assert hash(resolved[0]) == hash(resolved[-1])


# -- through the template loader: cross-resource links -----------------------------

LINKED = """
Parameters:
  EpName: {Type: String}
  Env: {Type: String, Default: prod}
Conditions:
  HasName: !Not [!Equals [!Ref EpName, ""]]
Resources:
  Bucket:
    Type: AWS::S3::Bucket
  Model:
    Type: AWS::SageMaker::Model
    Properties:
      ExecutionRoleArn: !GetAtt Role.Arn
      PrimaryContainer:
        Image: 763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1-cpu-py310
        ModelDataUrl: !Sub s3://${Bucket}/models/m/v1.0.0/model.tar.gz
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {}
  Config:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      ProductionVariants:
        - VariantName: AllTraffic
          ModelName: !GetAtt Model.ModelName
          InitialInstanceCount: !If [HasName, 2, 1]
          InstanceType: ml.m5.large
  Endpoint:
    Type: AWS::SageMaker::Endpoint
    Properties:
      EndpointName: !Ref EpName
      EndpointConfigName: !GetAtt Config.EndpointConfigName
  TargetJoin:
    Type: AWS::ApplicationAutoScaling::ScalableTarget
    Properties:
      ResourceId: !Join ['/', [endpoint, !Ref EpName, variant, AllTraffic]]
      ScalableDimension: sagemaker:variant:DesiredInstanceCount
      ServiceNamespace: sagemaker
      MinCapacity: 1
      MaxCapacity: 4
  TargetSub:
    Type: AWS::ApplicationAutoScaling::ScalableTarget
    Properties:
      ResourceId: !Sub endpoint/${EpName}/variant/AllTraffic
      ScalableDimension: sagemaker:variant:DesiredInstanceCount
  TargetSubList:
    Type: AWS::ApplicationAutoScaling::ScalableTarget
    Properties:
      ResourceId: !Sub
        - endpoint/${Name}/variant/${Variant}
        - Name: !GetAtt Endpoint.EndpointName
          Variant: AllTraffic
      ScalableDimension: sagemaker:variant:DesiredInstanceCount
  TargetOther:
    Type: AWS::ApplicationAutoScaling::ScalableTarget
    Properties:
      ResourceId: endpoint/some-other/variant/AllTraffic
  PolicyById:
    Type: AWS::ApplicationAutoScaling::ScalingPolicy
    Properties:
      PolicyType: TargetTrackingScaling
      ScalingTargetId: !Ref TargetJoin
  PolicyByResourceId:
    Type: AWS::ApplicationAutoScaling::ScalingPolicy
    Properties:
      PolicyType: TargetTrackingScaling
      ResourceId: !Sub endpoint/${EpName}/variant/AllTraffic
      ScalableDimension: sagemaker:variant:DesiredInstanceCount
  Latency:
    Type: AWS::CloudWatch::Alarm
    Properties:
      MetricName: ModelLatency
      Dimensions:
        - {Name: EndpointName, Value: !GetAtt Endpoint.EndpointName}
        - {Name: VariantName, Value: AllTraffic}
  Errors:
    Type: AWS::CloudWatch::Alarm
    Properties:
      MetricName: Invocation5XXErrors
      Dimensions:
        - {Name: EndpointName, Value: !Ref EpName}
"""


def load(tmp_text: str):
    (doc,) = load_yaml(textwrap.dedent(tmp_text))
    return load_template("t.yaml", doc)


def test_cross_resource_links_through_differently_written_names():
    invs, problems = load(LINKED)
    assert problems == []
    assert len(invs) == 2  # HasName undecidable: one scenario per branch
    for inv in invs:
        (ep,) = inv.endpoints
        cfg = inv.config_of(ep)
        assert cfg.meta.logical_id == "Config"
        assert [e.meta.logical_id for e in inv.endpoints_using(cfg)] == ["Endpoint"]
        (_, variant), = cfg.variants()
        assert inv.model_of(variant, cfg).meta.logical_id == "Model"
        targets = inv.scalable_targets_for(ep, "AllTraffic")
        assert sorted(t.meta.logical_id for t in targets) == ["TargetJoin", "TargetSub", "TargetSubList"]
        by_id = {t.meta.logical_id: t for t in targets}
        assert [p.meta.logical_id for p in inv.policies_for(by_id["TargetJoin"])] == \
            ["PolicyById", "PolicyByResourceId"]
        assert [p.meta.logical_id for p in inv.policies_for(by_id["TargetSub"])] == ["PolicyByResourceId"]
        assert sorted(a.meta.logical_id for a in inv.alarms_for(ep)) == ["Errors", "Latency"]
        assert inv.scalable_targets_for(ep, "Other") == []


def test_if_branches_are_each_a_possibility():
    invs, _ = load(LINKED)
    counts = sorted(inv.endpoint_configs[0].variants()[0][1].InitialInstanceCount for inv in invs)
    assert counts == [1, 2]
    assert {inv.scenario for inv in invs} == {"parameter EpName = ''", "not (parameter EpName = '')"}


def test_property_positions_follow_if_branches():
    invs, _ = load(LINKED)
    inv = invs[0]
    cfg = inv.endpoint_configs[0]
    tpath = cfg.meta.pathmap[("ProductionVariants", 0, "InitialInstanceCount")]
    assert tpath[-2:] in (("Fn::If", 1), ("Fn::If", 2))
    span = inv.positions["t.yaml"][0][tpath]
    lines = textwrap.dedent(LINKED).split("\n")
    assert "InitialInstanceCount: !If [HasName, 2, 1]" in lines[span.line - 1]
    assert lines[span.line - 1][span.column - 1] == str(2 if tpath[-1] == 1 else 1)


def test_resource_condition_false_drops_the_resource_and_unknown_condition_is_labelled():
    text = """
    Parameters:
      Env: {Type: String, Default: dev}
      Other: {Type: String}
    Conditions:
      IsProd: !Equals [!Ref Env, prod]
      Maybe: !Equals [!Ref Other, yes]
    Resources:
      ProdOnly:
        Type: AWS::SageMaker::Model
        Condition: IsProd
        Properties: {PrimaryContainer: {Image: x}}
      Sometimes:
        Type: AWS::SageMaker::Model
        Condition: Maybe
        Properties: {PrimaryContainer: {Image: x}}
    """
    invs, _ = load(text)
    assert len(invs) == 2
    names = [sorted(m.meta.logical_id for m in inv.models) for inv in invs]
    assert ["Sometimes"] in names and [] in names


def test_scenarios_are_capped():
    conds = "\n".join(f"  C{i}: !Equals [!Ref P{i}, x]" for i in range(6))
    params = "\n".join(f"  P{i}: {{Type: String}}" for i in range(6))
    props = "\n".join(f"        - !If [C{i}, {{Image: a{i}}}, {{Image: b{i}}}]" for i in range(6))
    text = f"Parameters:\n{params}\nConditions:\n{conds}\nResources:\n  M:\n    Type: AWS::SageMaker::Model\n" \
           f"    Properties:\n      Containers:\n{props}\n"
    (doc,) = load_yaml(text)
    invs, problems = load_template("t.yaml", doc)
    assert problems == []
    assert len(invs) == 8  # 2**MAX_ATOMS scenarios; conditions past the cap stay unknown
    for inv in invs:
        # an undecidable item makes its list unknown (never a shape error, never dropped)
        containers = inv.models[0].Containers
        assert isinstance(containers, Unknown)
        assert containers.reason.startswith("Containers.") and "cannot decide whether" in containers.reason


def test_scenarios_never_give_one_parameter_two_values():
    text = textwrap.dedent("""\
        Parameters:
          Enc: {Type: String}
        Conditions:
          IsZero: !Equals [!Ref Enc, "0"]
          IsOne: !Equals [!Ref Enc, "1"]
        Resources:
          Config:
            Type: AWS::SageMaker::EndpointConfig
            Properties:
              KmsKeyId: !If [IsZero, zero, !If [IsOne, one, other]]
        """)
    invs, problems = load_template("t.yaml", load_yaml(text)[0])
    assert problems == []
    seen = {(inv.scenario, inv.endpoint_configs[0].KmsKeyId) for inv in invs}
    # Enc = '0' and Enc = '1' at once is impossible, so 3 scenarios, not 4
    assert seen == {
        ("parameter Enc = '0'", "zero"),
        ("parameter Enc = '1'", "one"),
        ("not (parameter Enc = '0') and not (parameter Enc = '1')", "other"),
    }
