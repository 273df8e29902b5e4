"""What unknown values say: each reason once, only what the value depends
on, and names as their pattern."""

from __future__ import annotations

from auditor.inventory import s3_bucket_of
from auditor.loaders.resolver import Resolver
from auditor.values import Sym, display

T = {
    "Parameters": {"Prefix": {"Type": "String"}},
    "Resources": {
        "DocumentEndpoint": {"Type": "AWS::SageMaker::Endpoint",
                             "Properties": {"EndpointName": {"Fn::Sub": "${AWS::StackName}-embedding"}}},
        "Generated": {"Type": "AWS::SageMaker::Endpoint", "Properties": {}},
        "Loop": {"Type": "AWS::SageMaker::Model", "Properties": {"ModelName": {"Fn::GetAtt": "Loop.ModelName"}}},
    },
}


def _val(v):
    return Resolver(T).value(v, (), (), None)


def test_each_reason_once():
    v = _val({"Fn::Sub": "sagemaker-${AWS::Region}-${AWS::AccountId}-${AWS::Region}"})
    assert v.describe() == "depends on pseudo parameter AWS::Region, pseudo parameter AWS::AccountId"


def test_the_bucket_of_an_https_url_is_only_its_bucket():
    url = _val({"Fn::Sub": "https://sagemaker-${AWS::Region}-${AWS::AccountId}.s3.${AWS::Region}.amazonaws.com/"
                           "${Prefix}/model.tar.gz"})
    bucket = s3_bucket_of(url)
    assert display(bucket) == "sagemaker-${AWS::Region}-${AWS::AccountId}"
    assert "Prefix" not in bucket.describe()  # the key is not part of the bucket's name
    path_style = _val({"Fn::Sub": "https://s3.${AWS::Region}.amazonaws.com/models-${AWS::AccountId}/${Prefix}/m"})
    assert display(s3_bucket_of(path_style)) == "models-${AWS::AccountId}"
    other = s3_bucket_of(_val({"Fn::Sub": "https://example.com/${Prefix}/m"}))
    assert other.describe() == "cannot tell the bucket of https://example.com/${Prefix}/m"


def test_a_declared_name_is_shown_as_its_pattern():
    for ref in ({"Fn::GetAtt": ["DocumentEndpoint", "EndpointName"]},
                {"Fn::Sub": "${DocumentEndpoint.EndpointName}"}):
        assert display(_val(ref)) == "${AWS::StackName}-embedding"
    # a name CloudFormation generates has no pattern: the attribute stays as written
    assert _val({"Fn::GetAtt": "Generated.EndpointName"}) == Sym("resource", "Generated", "EndpointName")
    assert _val({"Fn::GetAtt": "Loop.ModelName"}) == Sym("resource", "Loop", "ModelName")


def test_a_resource_name_that_cannot_be_told_is_not_its_logical_id():
    from auditor.models.resources import Endpoint, Meta
    from auditor.values import Str, Unknown

    meta = Meta(key="t.yaml#DocumentEndpoint", type="AWS::SageMaker::Endpoint", logical_id="DocumentEndpoint")
    pattern = Str(["prefix-", Sym("pseudo", "AWS::StackName"), "-embedding"])
    assert Endpoint(meta=meta, EndpointName=pattern).shown_name == "prefix-${AWS::StackName}-embedding"
    unknown = Endpoint(meta=meta, EndpointName=Unknown("cannot decide whether parameter Env = 'prod'"))
    assert unknown.shown_name == "<name of DocumentEndpoint: cannot decide whether parameter Env = 'prod'>"
    # CloudFormation names it: the reference as written in the template
    assert Endpoint(meta=meta).shown_name == "${DocumentEndpoint.EndpointName}"


def test_a_sub_variable_computed_at_deploy_time_keeps_its_name():
    guid = {"Fn::Select": [0, {"Fn::Split": ["-", {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}]}]}
    name = _val({"Fn::Sub": ["app-endpoint-${RandomGUID}", {"RandomGUID": guid}]})
    assert display(name) == "app-endpoint-${RandomGUID}"
    assert name.describe() == "depends on RandomGUID (computed when the stack is deployed)"
    # the same expression twice is the same name (an endpoint and the alarm that names it)
    assert name == _val({"Fn::Sub": ["app-endpoint-${RandomGUID}", {"RandomGUID": guid}]})
    secret = _val({"Fn::Sub": ["${S}", {"S": "{{resolve:secretsmanager:x}}"}]})
    assert secret.describe() == "dynamic reference {{resolve:secretsmanager:x}}"
