from auditor.inventory import Inventory
from auditor.models.gaps import CoverageGap
from auditor.models.resources import Bucket, EndpointConfig, Model

from ..conftest import CORPUS, FIXTURES
from .helpers import evaluate_inventory, live_meta, scan_file, scan_text, summary

RULE = "SM403"
DIR = FIXTURES / "rules" / RULE

MODEL = """\
Resources:
  ArtifactBucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault:
              SSEAlgorithm: aws:kms
  Model:
    Type: AWS::SageMaker::Model
    Properties:
      Tags:
        - {Key: DataClassification, Value: Confidential}
      ExecutionRoleArn: arn:aws:iam::111111111111:role/sm
      PrimaryContainer:
        Image: img
        ModelDataUrl: !Sub s3://${ArtifactBucket}/models/m/v1.0.0/model.tar.gz
"""


def test_bad_fixture_exact_findings():
    fs = scan_file(DIR / "bad.yaml", rule=RULE)
    assert summary(fs) == [
        (RULE, "ArtifactBucket", 10, "fail"),
        (RULE, "Config", 20, "fail"),
        (RULE, "Config", 28, "fail"),
        (RULE, "Config", 34, "fail"),
    ]
    assert [f.message for f in fs] == [
        "artifact bucket ArtifactBucket (model Model) encrypts with SSE-S3 (AES256); production artifacts need "
        "SSE-KMS with a customer managed KMS key (KMSMasterKeyID)",
        "endpoint config Config is production but sets no KmsKeyId; the ML storage volumes need a customer "
        "managed KMS key",
        "endpoint config Config is production but sets no DataCaptureConfig.KmsKeyId; the captured request and "
        "response data need a customer managed KMS key",
        "endpoint config Config is production but sets no AsyncInferenceConfig.OutputConfig.KmsKeyId; the async "
        "inference results need a customer managed KMS key",
    ]
    assert {f.level for f in fs} == {"error"}


def test_good_fixture_passes():
    assert scan_file(DIR / "good.yaml", rule=RULE) == []


def test_non_production_sse_s3_passes(tmp_path):
    # the same deployment without the production tag: SSE-S3 is the policy's default
    text = (DIR / "bad.yaml").read_text().replace("Value: prod}", "Value: dev}")
    assert scan_text(tmp_path, text, rule=RULE) == []


def test_sensitive_tag_on_model_needs_customer_key(tmp_path):
    fs = scan_text(tmp_path, MODEL, rule=RULE)
    assert summary(fs) == [(RULE, "ArtifactBucket", 7, "fail")]
    assert fs[0].path == "BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault"
    assert fs[0].message == (
        "artifact bucket ArtifactBucket (model Model) uses aws:kms with the AWS managed key aws/s3 (no "
        "KMSMasterKeyID); tagged DataClassification=Confidential artifacts need SSE-KMS with a customer managed "
        "KMS key (KMSMasterKeyID)")


def test_aws_managed_alias_is_not_a_customer_key(tmp_path):
    text = MODEL.replace("SSEAlgorithm: aws:kms", "SSEAlgorithm: aws:kms\n              KMSMasterKeyID: alias/aws/s3")
    fs = scan_text(tmp_path, text, rule=RULE)
    assert summary(fs) == [(RULE, "ArtifactBucket", 9, "fail")]
    assert "uses the AWS managed key alias/aws/s3" in fs[0].message


def test_sensitive_values_are_parameters(tmp_path):
    cfg = {"rules": {RULE: {"params": {"sensitive_tag": "tier", "sensitive_values": ["gold"]}}}}
    assert scan_text(tmp_path, MODEL, rule=RULE, config=cfg) == []
    text = MODEL.replace("DataClassification, Value: Confidential", "tier, Value: gold")
    assert summary(scan_text(tmp_path, text, rule=RULE, config=cfg)) == [(RULE, "ArtifactBucket", 7, "fail")]


def test_bucket_without_declared_encryption(tmp_path):
    text = MODEL.replace("""      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault:
              SSEAlgorithm: aws:kms
""", "      BucketName: artifacts\n").replace("DataClassification", "Team")
    # S3 encrypts every bucket with SSE-S3 since 2023: passes by default ...
    assert scan_text(tmp_path, text, rule=RULE) == []
    # ... and fails when the project wants it declared
    fs = scan_text(tmp_path, text, rule=RULE, config={"rules": {RULE: {"params": {"require_declared_encryption": True}}}})
    assert summary(fs) == [(RULE, "ArtifactBucket", 4, "fail")]
    assert fs[0].message == ("artifact bucket ArtifactBucket (model Model) declares no default encryption; the policy "
                             "wants SSE-S3 (AES256) or SSE-KMS (aws:kms)")


def test_bad_algorithm(tmp_path):
    text = MODEL.replace("SSEAlgorithm: aws:kms", "SSEAlgorithm: rot13")
    fs = scan_text(tmp_path, text, rule=RULE)
    assert summary(fs) == [(RULE, "ArtifactBucket", 8, "fail")]
    assert fs[0].message == "artifact bucket ArtifactBucket uses SSEAlgorithm rot13; the policy wants AES256 or aws:kms"


def test_bucket_outside_the_template_is_unknown(tmp_path):
    text = MODEL.replace("!Sub s3://${ArtifactBucket}/models", "s3://elsewhere/models")
    fs = scan_text(tmp_path, text, rule=RULE)
    assert summary(fs) == [(RULE, "Model", 17, "unknown")]
    assert fs[0].message == ("artifact bucket elsewhere is not defined in this template; its encryption cannot be "
                             "checked")


def test_artifact_location_parameter_is_unknown(tmp_path):
    text = "Parameters:\n  Url: {Type: String}\n" + MODEL.replace(
        "!Sub s3://${ArtifactBucket}/models/m/v1.0.0/model.tar.gz", "!Ref Url")
    fs = scan_text(tmp_path, text, rule=RULE)
    assert summary(fs) == [(RULE, "Model", 19, "unknown")]
    assert fs[0].message == ("cannot tell which bucket holds the artifacts of Model: the artifact location is unknown "
                             "(parameter Url has no default)")


CONFIG = """\
Parameters:
  UseKms: {Type: String}
  Type: {Type: String}
Conditions:
  WithKms: !Equals [!Ref UseKms, "yes"]
Resources:
  Key:
    Type: AWS::KMS::Key
    Properties: {KeyPolicy: {}}
  Config:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      KmsKeyId: !If [WithKms, !Ref Key, !Ref AWS::NoValue]
      Tags:
        - {Key: Environment, Value: production}
      ProductionVariants:
        - VariantName: AllTraffic
          ModelName: m
          InstanceType: ml.m5.large
          InitialInstanceCount: 2
"""


def test_fn_if_key_fails_only_in_the_branch_without_it(tmp_path):
    fs = scan_text(tmp_path, CONFIG, rule=RULE)
    assert summary(fs) == [(RULE, "Config", 13, "fail")]
    assert fs[0].message == (
        "endpoint config Config is production but sets no KmsKeyId; the ML storage volumes need a customer managed "
        "KMS key [when not (parameter UseKms = 'yes')]")


def test_local_nvme_instance_types_cannot_take_a_key(tmp_path):
    text = CONFIG.replace("ml.m5.large", "ml.g5.2xlarge").replace("!If [WithKms, !Ref Key, !Ref AWS::NoValue]", "''")
    assert scan_text(tmp_path, text, rule=RULE) == []


def test_unknown_instance_type_makes_the_key_requirement_unknown(tmp_path):
    text = CONFIG.replace("ml.m5.large", "!Ref Type").replace("!If [WithKms, !Ref Key, !Ref AWS::NoValue]", "''")
    fs = scan_text(tmp_path, text, rule=RULE)
    assert summary(fs) == [(RULE, "Config", 13, "unknown")]
    assert fs[0].message == (
        "endpoint config Config is production and sets no KmsKeyId; it is required unless an instance type has "
        "local NVMe storage, and the instance type of variant AllTraffic is unknown (parameter Type has no default)")


def test_unknown_production_tag_is_unknown(tmp_path):
    text = CONFIG.replace("Value: production", "Value: !Ref Type").replace(
        "!If [WithKms, !Ref Key, !Ref AWS::NoValue]", "''")
    fs = scan_text(tmp_path, text, rule=RULE)
    assert summary(fs) == [(RULE, "Config", 13, "unknown")]
    assert fs[0].message == (
        "endpoint config Config sets no KmsKeyId; cannot tell whether it needs a customer managed KMS key: whether "
        "Config is production: tag Environment of Config: parameter Type has no default")


def test_kms_for_production_can_be_switched_off(tmp_path):
    cfg = {"rules": {RULE: {"params": {"kms_for_production": False}}}}
    assert scan_text(tmp_path, CONFIG, rule=RULE, config=cfg) == []


def test_capture_switched_off_needs_no_key(tmp_path):
    text = CONFIG.replace("!If [WithKms, !Ref Key, !Ref AWS::NoValue]", "!Ref Key") + """\
      DataCaptureConfig:
        EnableCapture: false
        InitialSamplingPercentage: 10
        DestinationS3Uri: s3://c/
        CaptureOptions: [{CaptureMode: Input}]
"""
    assert scan_text(tmp_path, text, rule=RULE) == []


# -- corpus --------------------------------------------------------------------

def test_corpus_cfn_nag_kms_key_not_set():
    fs = scan_file(CORPUS / "020_stelligent_cfn_nag_sagemaker_endpointconfig_kms_key_id_not_set.yaml",
                   production=True, rule=RULE)
    assert summary(fs) == [(RULE, "SageMakerEndpointConfig", 8, "fail")]
    assert fs[0].message == ("endpoint config SageMakerEndpointConfig is production but sets no KmsKeyId; the ML "
                             "storage volumes need a customer managed KMS key")
    # not production and not tagged sensitive: SSE defaults are enough
    assert scan_file(CORPUS / "020_stelligent_cfn_nag_sagemaker_endpointconfig_kms_key_id_not_set.yaml",
                     rule=RULE) == []


def test_corpus_cfn_nag_kms_key_set():
    assert scan_file(CORPUS / "021_stelligent_cfn_nag_sagemaker_endpointconfig_kms_key_id_set.yaml",
                     production=True, rule=RULE) == []


def test_corpus_kics_negative_is_an_input_problem_not_a_pass():
    # kics' "negative" sample has DataCaptureConfig: "DataCaptureConfig" (a string): the endpoint config is
    # rejected as invalid input (SM001), so SM403 has nothing to judge and the scan still fails.
    fs = scan_file(CORPUS / "042_Checkmarx_kics_negative2.json", production=True)
    # (its PrimaryContainer.Image is a list, a second SM001 on the model)
    assert [(f.rule, f.outcome, f.location.line) for f in fs if f.rule in (RULE, "SM001")] == [
        ("SM001", "error", 52), ("SM001", "error", 59)]


def test_corpus_async_output_without_key():
    fs = scan_file(CORPUS / "039_aws-samples_easy-model-deployer_template.yaml", production=True, rule=RULE)
    assert summary(fs) == [(RULE, "SageMakerEndpointConfig", 89, "unknown"),
                           (RULE, "SageMakerEndpointConfig", 101, "fail")]
    assert fs[1].path == "AsyncInferenceConfig.OutputConfig.KmsKeyId"


# -- live-shaped inventories ------------------------------------------------------

def _live(encryption, tags=None, bucket=True, gap=False):
    inv = Inventory(complete=True)
    inv.add(Model(meta=live_meta("AWS::SageMaker::Model", "churn"), ModelName="churn", Tags=tags or {},
                  PrimaryContainer={"Image": "img", "ModelDataUrl": "s3://live-artifacts/models/churn/v1/model.tar.gz"}))
    if bucket:
        inv.add(Bucket(meta=live_meta("AWS::S3::Bucket", "live-artifacts", arn="arn:aws:s3:::live-artifacts"),
                       BucketName="live-artifacts", BucketEncryption=encryption))
    if gap:  # as the collector files it: under the bucket and the models using it
        for where in ("arn:aws:s3:::live-artifacts", "arn:aws:sagemaker:us-east-1:111111111111:model/churn"):
            inv.gaps.append(CoverageGap(account="111111111111", region="us-east-1", service="s3", kinds=["Bucket"],
                                        operation="GetBucketEncryption", resource=where, error="AccessDenied"))
    return inv


SSE_S3 = {"ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}


def test_live_bucket_with_sse_s3_passes_when_not_sensitive():
    assert evaluate_inventory(_live(SSE_S3), RULE) == []
    # GetBucketEncryption said "no configuration": S3's own SSE-S3 default applies
    assert evaluate_inventory(_live(None), RULE) == []


def test_live_sensitive_model_needs_kms_on_its_bucket():
    fs = evaluate_inventory(_live(None, tags={"DataClassification": "restricted"}), RULE)
    assert [(f.resource.id, f.outcome, f.location.arn) for f in fs] == [
        ("live-artifacts", "fail", "arn:aws:s3:::live-artifacts")]
    assert fs[0].message == (
        "artifact bucket live-artifacts (model churn) declares no default encryption (S3 applies SSE-S3); tagged "
        "DataClassification=restricted artifacts need SSE-KMS with a customer managed KMS key (KMSMasterKeyID)")


def test_live_bucket_missing_is_unknown_with_the_gap():
    fs = evaluate_inventory(_live(None, bucket=False, gap=True), RULE)
    assert [(f.resource.id, f.outcome) for f in fs] == [("churn", "unknown")]
    assert fs[0].message == "cannot verify SM403 for churn: AccessDenied on s3:GetBucketEncryption"
    fs = evaluate_inventory(_live(None, bucket=False), RULE)
    assert [(f.outcome, f.message) for f in fs] == [
        ("unknown", "artifact bucket live-artifacts is not in the audited inventory; its encryption cannot be checked")]


def test_live_endpoint_config_production():
    inv = Inventory(complete=True)
    inv.add(EndpointConfig(meta=live_meta("AWS::SageMaker::EndpointConfig", "cfg"), EndpointConfigName="cfg",
                           KmsKeyId="arn:aws:kms:us-east-1:111111111111:key/abcd",
                           ProductionVariants=[{"VariantName": "A", "ModelName": "m", "InstanceType": "ml.c5.large",
                                                "InitialInstanceCount": 2}],
                           DataCaptureConfig={"EnableCapture": True, "DestinationS3Uri": "s3://c/",
                                              "KmsKeyId": "alias/aws/s3"}))
    fs = evaluate_inventory(inv, RULE, production=True)
    assert [(f.resource.id, f.path, f.outcome) for f in fs] == [("cfg", "DataCaptureConfig.KmsKeyId", "fail")]
    assert fs[0].message == ("endpoint config cfg is production but uses the AWS managed key alias/aws/s3 in "
                             "DataCaptureConfig.KmsKeyId; the captured request and response data need a customer "
                             "managed KMS key")


PACKAGE = """\
Parameters:
  Pkg: {Type: String}
Resources:
  ArtifactBucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: registry-artifacts
  Package:
    Type: AWS::SageMaker::ModelPackage
    Properties:
      ModelPackageGroupName: churn
      InferenceSpecification:
        Containers:
          - Image: img
            ModelDataUrl: s3://registry-artifacts/churn/v1.2.0/model.tar.gz
        SupportedContentTypes: [text/csv]
        SupportedResponseMIMETypes: [text/csv]
  Model:
    Type: AWS::SageMaker::Model
    Properties:
      Tags: [{Key: Environment, Value: prod}]
      ExecutionRoleArn: arn:aws:iam::111111111111:role/sm
      Containers:
        - ModelPackageName: !Ref Package
"""


def test_artifacts_through_a_model_package(tmp_path):
    fs = scan_text(tmp_path, PACKAGE, rule=RULE)
    assert summary(fs) == [(RULE, "ArtifactBucket", 6, "fail")]
    assert fs[0].message == (
        "artifact bucket ArtifactBucket (model Model) declares no default encryption (S3 applies SSE-S3); production "
        "artifacts need SSE-KMS with a customer managed KMS key (KMSMasterKeyID)")


def test_model_package_outside_the_template_is_unknown(tmp_path):
    fs = scan_text(tmp_path, PACKAGE.replace("!Ref Package", "!Ref Pkg"), rule=RULE)
    assert summary(fs) == [(RULE, "Model", 24, "unknown")]
    assert fs[0].message == (
        "cannot check the artifact bucket of Model: its artifacts come from model package ${Pkg} (cannot tell which "
        "ModelPackage: parameter Pkg has no default)")


def test_aws_managed_alias_arn_built_with_sub(tmp_path):
    text = MODEL.replace(
        "SSEAlgorithm: aws:kms",
        "SSEAlgorithm: aws:kms\n              KMSMasterKeyID: !Sub arn:aws:kms:${AWS::Region}:${AWS::AccountId}:alias/aws/s3")
    fs = scan_text(tmp_path, text, rule=RULE)
    assert summary(fs) == [(RULE, "ArtifactBucket", 9, "fail")]
    assert "uses the AWS managed key arn:aws:kms:${AWS::Region}:${AWS::AccountId}:alias/aws/s3" in fs[0].message
    text = text.replace("alias/aws/s3", "alias/artifacts")
    assert scan_text(tmp_path, text, rule=RULE) == []


def test_unknown_encryption_rule_is_unknown(tmp_path):
    text = "Parameters:\n  Enc: {Type: String}\nConditions:\n" + "".join(
        f"  C{i}: !Equals [!Ref Enc, '{i}']\n" for i in range(4)) + MODEL.replace(
        "          - ServerSideEncryptionByDefault:\n              SSEAlgorithm: aws:kms\n",
        "          - !If [C0, {ServerSideEncryptionByDefault: {SSEAlgorithm: AES256}}, !If [C1, {}, !If [C2, {}, "
        "!If [C3, {}, {}]]]]\n")
    # four undecidable conditions: past the resolver's three scenario atoms the fourth Fn::If is unknown
    fs = [f for f in scan_text(tmp_path, text, rule=RULE) if f.outcome == "unknown"]
    assert summary(fs) == [(RULE, "ArtifactBucket", 14, "unknown")]
    assert fs[0].message.startswith("default encryption of artifact bucket ArtifactBucket: cannot decide whether "
                                    "parameter Enc = '3'")


def test_live_encryption_read_failure_is_unknown_not_default():
    # the collector adds the bucket (versioning was readable) without BucketEncryption and files the failed
    # GetBucketEncryption under the bucket and under the model that uses it
    inv = _live(None)
    for where in ("arn:aws:s3:::live-artifacts", "arn:aws:sagemaker:us-east-1:111111111111:model/churn"):
        inv.gaps.append(CoverageGap(account="111111111111", region="us-east-1", service="s3",
                                    operation="GetBucketEncryption", error="AccessDenied", kinds=["Bucket"],
                                    resource=where, message="bucket live-artifacts: Access Denied"))
    fs = evaluate_inventory(inv, RULE)
    assert sorted((f.resource.id, f.outcome, f.message) for f in fs) == [
        ("churn", "unknown", "cannot verify SM403 for churn: AccessDenied on s3:GetBucketEncryption "
                             "(bucket live-artifacts: Access Denied)"),
        ("live-artifacts", "unknown", "cannot verify SM403 for live-artifacts: AccessDenied on "
                                      "s3:GetBucketEncryption (bucket live-artifacts: Access Denied)"),
    ]


# -- revision 2: monitoring jobs, shadow variants, batch transform jobs -------

def test_monitoring_jobs_of_a_production_endpoint_need_customer_keys():
    fs = scan_file(DIR / "shapes-bad.yaml", rule=RULE)
    assert [(f.resource.id, f.location.line, f.path, f.outcome) for f in fs] == [
        ("DriftJob", 27, "DataQualityJobOutputConfig.KmsKeyId", "fail"),
        ("DriftJob", 31, "JobResources.ClusterConfig.VolumeKmsKeyId", "fail"),
        ("InlineSchedule", 44, "MonitoringScheduleConfig.MonitoringJobDefinition.MonitoringOutputConfig.KmsKeyId",
         "fail"),
    ]
    assert [f.message for f in fs] == [
        "monitoring job definition DriftJob is production but sets no DataQualityJobOutputConfig.KmsKeyId; the "
        "monitoring reports need a customer managed KMS key",
        "monitoring job definition DriftJob is production but sets no JobResources.ClusterConfig.VolumeKmsKeyId; the "
        "ML storage volumes of the monitoring job need a customer managed KMS key",
        "the monitoring job of schedule InlineSchedule is production but uses the AWS managed key alias/aws/s3 in "
        "MonitoringScheduleConfig.MonitoringJobDefinition.MonitoringOutputConfig.KmsKeyId; the monitoring reports "
        "need a customer managed KMS key",
    ]  # StagingDriftJob: its endpoint is not production


def test_monitoring_jobs_with_customer_keys_and_a_shadow_on_local_storage_pass():
    assert scan_file(DIR / "shapes-good.yaml", rule=RULE) == []


def test_a_shadow_variant_counts_for_the_local_storage_exemption(tmp_path):
    text = (DIR / "shapes-good.yaml").read_text().replace("InstanceType: ml.g5.xlarge", "InstanceType: ml.m5.xlarge")
    fs = scan_text(tmp_path, text, rule=RULE)
    assert [(f.resource.id, f.path, f.message) for f in fs] == [
        ("ShadowOnNvme", "KmsKeyId", "endpoint config ShadowOnNvme is production but sets no KmsKeyId; the ML storage "
                                     "volumes need a customer managed KMS key")]


def test_a_monitored_endpoint_outside_the_template_leaves_the_need_unknown(tmp_path):
    text = (DIR / "shapes-bad.yaml").read_text().replace(
        "EndpointName: !GetAtt Endpoint.EndpointName, LocalPath: /opt/ml/processing/input}\n      DataQualityJobOutput",
        "EndpointName: shared-churn, LocalPath: /opt/ml/processing/input}\n      DataQualityJobOutput")
    fs = [f for f in scan_text(tmp_path, text, rule=RULE) if f.resource.id == "DriftJob"]
    assert [(f.path, f.outcome) for f in fs] == [("DataQualityJobOutputConfig.KmsKeyId", "unknown"),
                                                 ("JobResources.ClusterConfig.VolumeKmsKeyId", "unknown")]
    assert fs[0].message == (
        "monitoring job definition DriftJob sets no DataQualityJobOutputConfig.KmsKeyId; cannot tell whether it needs "
        "a customer managed KMS key: whether the endpoint it monitors is production: Endpoint 'shared-churn' is not "
        "defined in this template")


def test_terraform_monitoring_job_of_a_production_endpoint(tmp_path):
    from tests.terraform.helpers import scan_tf, write_module

    d = write_module(tmp_path / "tf", {"main.tf": """\
        resource "aws_sagemaker_endpoint_configuration" "c" {
          name        = "churn"
          kms_key_arn = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
          production_variants {
            variant_name           = "AllTraffic"
            model_name             = "churn"
            instance_type          = "ml.m5.large"
            initial_instance_count = 2
          }
          tags = { Environment = "prod" }
        }
        resource "aws_sagemaker_endpoint" "e" {
          name                 = "churn"
          endpoint_config_name = aws_sagemaker_endpoint_configuration.c.name
        }
        resource "aws_sagemaker_data_quality_job_definition" "drift" {
          name     = "churn-drift"
          role_arn = "arn:aws:iam::111111111111:role/monitor"
          data_quality_job_input {
            endpoint_input {
              endpoint_name = aws_sagemaker_endpoint.e.name
            }
          }
          data_quality_job_output_config {
            kms_key_id = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
          }
          job_resources {
            cluster_config {
              instance_count    = 1
              instance_type     = "ml.m5.large"
              volume_size_in_gb = 20
            }
          }
        }
        """})
    fs = [f for f in scan_tf(d, rule=RULE).findings if f.rule == RULE]
    assert [(f.resource.id, f.path, f.location.line, f.outcome) for f in fs] == [
        ("aws_sagemaker_data_quality_job_definition.drift", "job_resources[0].cluster_config[0].volume_kms_key_id", 28,
         "fail")]
    assert fs[0].message == (
        "monitoring job definition aws_sagemaker_data_quality_job_definition.drift is production but sets no "
        "JobResources.ClusterConfig.VolumeKmsKeyId; the ML storage volumes of the monitoring job need a customer "
        "managed KMS key")


INLINE = """\
Resources:
  LlmArtifacts:
    Type: AWS::S3::Bucket
    Properties:
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault: {SSEAlgorithm: AES256}
  HostConfig:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      KmsKeyId: arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab
      Tags: [{Key: Environment, Value: prod}]
      ProductionVariants:
        - {VariantName: AllTraffic, InstanceType: ml.m5.xlarge, InitialInstanceCount: 2}
  Host:
    Type: AWS::SageMaker::Endpoint
    Properties:
      EndpointConfigName: !GetAtt HostConfig.EndpointConfigName
  Llm:
    Type: AWS::SageMaker::InferenceComponent
    Properties:
      EndpointName: !GetAtt Host.EndpointName
      VariantName: AllTraffic
      Specification:
        Container:
          Image: 763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.29.0-lmi11.0.0-cu124
          ArtifactUrl: !Sub s3://${LlmArtifacts}/models/llm/v1.0.0/model.tar.gz
        ComputeResourceRequirements: {MinMemoryRequiredInMb: 4096}
"""


def test_an_inline_inference_components_artifact_bucket_is_judged(tmp_path):
    fs = scan_text(tmp_path, INLINE, rule=RULE)
    assert [(f.resource.id, f.location.line, f.path, f.outcome, f.message) for f in fs] == [
        ("LlmArtifacts", 7, "BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault"
                            ".SSEAlgorithm", "fail",
         "artifact bucket LlmArtifacts (inference component Llm) encrypts with SSE-S3 (AES256); production artifacts "
         "need SSE-KMS with a customer managed KMS key (KMSMasterKeyID)")]


def test_an_inline_inference_components_bucket_outside_the_template_is_unknown(tmp_path):
    fs = scan_text(tmp_path, INLINE.replace("!Sub s3://${LlmArtifacts}/", "s3://shared-llm/"), rule=RULE)
    assert [(f.resource.id, f.path, f.outcome, f.message) for f in fs] == [
        ("Llm", "Specification.Container.ArtifactUrl", "unknown",
         "artifact bucket shared-llm is not defined in this template; its encryption cannot be checked")]
