from auditor.inventory import Inventory
from auditor.models.resources import Model

from ..conftest import CORPUS, FIXTURES
from .helpers import evaluate_inventory, live_meta, scan_file, scan_text, summary

RULE = "SM602"
DIR = FIXTURES / "rules" / RULE
NEEDS = "a multi-model endpoint needs an S3 prefix ending with '/'"


def test_bad_fixture_exact_findings():
    fs = scan_file(DIR / "bad.yaml", rule=RULE)
    assert summary(fs) == [(RULE, "SingleArtifact", 11, "fail"), (RULE, "NoSlash", 19, "fail"),
                           (RULE, "ObjectSource", 30, "fail"), (RULE, "Nothing", 38, "fail")]
    assert [f.message for f in fs] == [
        f"multi-model container SingleArtifact PrimaryContainer points at s3://bucket/models/model.tar.gz, a single "
        f"artifact; {NEEDS}",
        f"multi-model container NoSlash Containers[0] points at s3://bucket/models, a location that does not end "
        f"with '/'; {NEEDS}",
        f"multi-model container ObjectSource PrimaryContainer points at a single S3 object (S3DataType S3Object); "
        f"{NEEDS}",
        "multi-model container Nothing PrimaryContainer names no ModelDataUrl; it needs the S3 prefix its models are "
        "loaded from",
    ]
    assert {f.level for f in fs} == {"warning"}


def test_good_fixture_passes():
    assert scan_file(DIR / "good.yaml", rule=RULE) == []


TEMPLATE = """\
Parameters:
  Url: {Type: String}
  Mode: {Type: String}
  Multi: {Type: String}
Conditions:
  IsMulti: !Equals [!Ref Multi, "yes"]
Resources:
  Model:
    Type: AWS::SageMaker::Model
    Properties:
      ExecutionRoleArn: arn:aws:iam::111111111111:role/sm
      PrimaryContainer:
        Image: img
        Mode: !If [IsMulti, MultiModel, SingleModel]
        ModelDataUrl: s3://bucket/models/model.tar.gz
"""


def test_fn_if_mode(tmp_path):
    fs = scan_text(tmp_path, TEMPLATE, rule=RULE)
    assert summary(fs) == [(RULE, "Model", 15, "fail")]
    assert fs[0].message.endswith(f"{NEEDS} [when parameter Multi = 'yes']")


def test_unknown_url_is_unknown(tmp_path):
    text = TEMPLATE.replace("!If [IsMulti, MultiModel, SingleModel]", "MultiModel").replace(
        "s3://bucket/models/model.tar.gz", "!Ref Url")
    fs = scan_text(tmp_path, text, rule=RULE)
    assert summary(fs) == [(RULE, "Model", 15, "unknown")]
    assert fs[0].message == ("cannot tell whether multi-model container Model PrimaryContainer points at an S3 prefix: "
                             "its location ${Url} is unknown (parameter Url has no default)")
    # a Sub whose last part is literal is decidable
    text = text.replace("!Ref Url", "!Sub s3://${Url}/models/")
    assert scan_text(tmp_path, text, rule=RULE) == []


def test_unknown_mode_is_unknown_only_when_it_matters(tmp_path):
    text = TEMPLATE.replace("!If [IsMulti, MultiModel, SingleModel]", "!Ref Mode")
    fs = scan_text(tmp_path, text, rule=RULE)
    assert summary(fs) == [(RULE, "Model", 14, "unknown")]
    assert fs[0].message == ("container Model PrimaryContainer points at s3://bucket/models/model.tar.gz, a single "
                             "artifact; that is wrong if its Mode (parameter Mode has no default) is MultiModel")
    assert scan_text(tmp_path, text.replace("models/model.tar.gz", "models/"), rule=RULE) == []


def test_artifact_suffixes_are_a_parameter(tmp_path):
    text = TEMPLATE.replace("!If [IsMulti, MultiModel, SingleModel]", "MultiModel").replace(
        "model.tar.gz", "model.pt")
    fs = scan_text(tmp_path, text, rule=RULE, config={"rules": {RULE: {"params": {"artifact_suffixes": [".pt"]}}}})
    assert "a single artifact" in fs[0].message


def test_corpus_010_multi_model_prefix_from_a_parameter():
    # the template's parameter has AllowedPattern ^s3://...\/ (a trailing slash), but no default: unknown
    fs = scan_file(CORPUS / "010_aws-samples_sagemaker-custom-project-templates_endpoint-config-template.yml",
                   rule=RULE)
    assert summary(fs) == [(RULE, "Model", 42, "unknown")]
    assert fs[0].path == "PrimaryContainer.ModelDataUrl"


def test_corpus_single_model_templates_are_not_checked():
    for name in ("016_bridgecrewio_checkov_sagemaker_model.yaml",
                 "022_aws-samples_sample-for-autoscaling-sagemaker-endpoints-with-custom-resource_"
                 "SageMaker-Async-Endpoints.yaml"):
        assert scan_file(CORPUS / name, rule=RULE) == []


def test_live_model():
    inv = Inventory(complete=True)
    inv.add(Model(meta=live_meta("AWS::SageMaker::Model", "mme"), ModelName="mme",
                  PrimaryContainer={"Image": "img", "Mode": "MultiModel", "ModelDataUrl": "s3://b/models/m.tgz"}))
    inv.add(Model(meta=live_meta("AWS::SageMaker::Model", "ok"), ModelName="ok",
                  PrimaryContainer={"Image": "img", "Mode": "MultiModel", "ModelDataUrl": "s3://b/models/"}))
    fs = evaluate_inventory(inv, RULE)
    assert [(f.resource.id, f.outcome, f.location.arn) for f in fs] == [
        ("mme", "fail", "arn:aws:sagemaker:us-east-1:111111111111:model/mme")]
    assert fs[0].message == f"multi-model container mme PrimaryContainer points at s3://b/models/m.tgz, a single " \
                            f"artifact; {NEEDS}"
