from auditor.inventory import Inventory
from auditor.models.resources import Bucket, Model

from tests.conftest import FIXTURES

from .helpers import evaluate_inventory, live_meta, scan_file, scan_text, summary

GOOD = FIXTURES / "rules" / "SM102" / "good.yaml"
BAD = FIXTURES / "rules" / "SM102" / "bad.yaml"
LAYOUT = "s3://{bucket}/models/{model}/{version}/"
SEMVER = r"(wanted ^v\d+\.\d+\.\d+$, e.g. v1.0.0)"


def test_good_artifacts_pass():
    assert scan_file(GOOD, rule="SM102") == []


def test_bad_artifacts_exact_findings():
    fs = scan_file(BAD, rule="SM102")
    assert summary(fs) == [
        ("SM102", "Unversioned", 13, "fail"),
        ("SM102", "Suspended", 19, "fail"),
        ("SM102", "FlatModel", 24, "fail"),
        ("SM102", "BadVersionModel", 29, "fail"),
        ("SM102", "ParamVersionModel", 34, "unknown"),
        ("SM102", "ElsewhereModel", 41, "unknown"),
        ("SM102", "ElsewhereModel", 42, "fail"),
    ]
    m = [f.message for f in fs]
    assert m[0] == ("artifact bucket Unversioned (models: FlatModel) has no versioning; the policy wants "
                    "VersioningConfiguration.Status Enabled")
    assert m[1] == ("artifact bucket Suspended (models: BadVersionModel, ParamVersionModel) has versioning "
                    "Suspended; the policy wants VersioningConfiguration.Status Enabled")
    assert fs[1].path == "VersioningConfiguration.Status"
    assert m[2] == (f"artifact s3://acme-scratch/churn/model.tar.gz: does not follow {LAYOUT}: found 'churn' where "
                    "'models' belongs")
    assert m[3] == (f"artifact s3://${{Suspended}}/models/churn/1.2/model.tar.gz: version segment '1.2' is not a "
                    f"semantic version {SEMVER}")
    assert m[4] == ("artifact s3://${Suspended}/models/churn/${ModelVersion}/model.tar.gz: version segment "
                    "${ModelVersion} cannot be checked (parameter ModelVersion has no default)")
    # Fn::If over an undecidable condition: each branch is judged, and the message says which
    assert m[5] == ("artifact s3://other-bucket/models/churn/v1.0.0/model.tar.gz: artifact bucket other-bucket is "
                    "not in the template, so its versioning cannot be checked [when parameter Stage = 'prod']")
    assert m[6] == ("artifact s3://other-bucket/models/churn/latest/model.tar.gz: version segment 'latest' is not a "
                    f"semantic version {SEMVER}; artifact bucket other-bucket is not in the template, so its "
                    "versioning cannot be checked [when not (parameter Stage = 'prod')]")


def test_parameter_spanning_segments_is_unknown_not_fail(tmp_path):
    text = """\
    Parameters:
      Key: {Type: String}
    Resources:
      B:
        Type: AWS::S3::Bucket
        Properties: {VersioningConfiguration: {Status: Enabled}}
      M:
        Type: AWS::SageMaker::Model
        Properties:
          PrimaryContainer:
            ModelDataUrl: !Sub s3://${B}/${Key}/model.tar.gz
    """
    fs = scan_text(tmp_path, text, rule="SM102")
    assert summary(fs) == [("SM102", "M", 11, "unknown")]
    assert fs[0].message == (f"artifact s3://${{B}}/${{Key}}/model.tar.gz: cannot tell whether it follows {LAYOUT} "
                             "(parameter Key has no default)")


def test_custom_template_and_version_regex(tmp_path):
    text = """\
    Resources:
      B:
        Type: AWS::S3::Bucket
        Properties: {BucketName: art, VersioningConfiguration: {Status: Enabled}}
      M:
        Type: AWS::SageMaker::Model
        Properties:
          PrimaryContainer:
            ModelDataUrl: s3://art/ml/churn/2024.11/model.tar.gz
    """
    cfg = {"rules": {"SM102": {"params": {"path_template": "s3://{bucket}/ml/{model}/{version}/",
                                          "version_regex": r"^\d{4}\.\d{2}$"}}}}
    assert scan_text(tmp_path, text, rule="SM102", config=cfg) == []
    fs = scan_text(tmp_path, text, rule="SM102")
    assert summary(fs) == [("SM102", "M", 9, "fail")]


def test_live_buckets():
    inv = Inventory(complete=True)
    inv.add(Bucket(meta=live_meta("AWS::S3::Bucket", "art", arn="arn:aws:s3:::art"), BucketName="art",
                   VersioningConfiguration={"Status": "Enabled"}))
    inv.add(Bucket(meta=live_meta("AWS::S3::Bucket", "scratch", arn="arn:aws:s3:::scratch"), BucketName="scratch",
                   VersioningConfiguration=None))
    for name, url in (("ok", "s3://art/models/churn/v1.0.0/model.tar.gz"),
                      ("unversioned", "s3://scratch/models/churn/v1.0.0/model.tar.gz"),
                      ("elsewhere", "s3://not-collected/models/churn/v1.0.0/model.tar.gz")):
        inv.add(Model(meta=live_meta("AWS::SageMaker::Model", name), ModelName=name,
                      PrimaryContainer={"ModelDataUrl": url}))
    fs = evaluate_inventory(inv, "SM102")
    assert [(f.resource.name, f.outcome, f.message) for f in fs] == [
        ("scratch", "fail", "artifact bucket scratch (models: unversioned) has no versioning; the policy wants "
                            "VersioningConfiguration.Status Enabled"),
        ("elsewhere", "unknown", "artifact s3://not-collected/models/churn/v1.0.0/model.tar.gz: artifact bucket "
                                 "not-collected is not in the inventory, so its versioning cannot be checked"),
    ]
    assert fs[0].location.arn == "arn:aws:s3:::scratch"
