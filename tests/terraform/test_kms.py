"""KMS keys in Terraform mean what they mean in a template (SM403): a
declared aws_kms_key, or an alias of one, is a customer managed key, as an
AWS::KMS::Key is; an AWS managed key looked up by a data source
(alias/aws/...) is AWS managed, as KmsKeyId: alias/aws/sagemaker is."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.rules.helpers import scan_text

from .helpers import brief, findings, scan_tf, write_module

KEYS = '''
    resource "aws_kms_key" "k" {
      description = "endpoint volumes"
    }
    resource "aws_kms_alias" "a" {
      name          = "alias/endpoints"
      target_key_id = aws_kms_key.k.key_id
    }
    data "aws_kms_alias" "sagemaker" {
      name = "alias/aws/sagemaker"
    }
    data "aws_kms_alias" "team" {
      name = "alias/team"
    }
    data "aws_kms_key" "managed" {
      key_id = "arn:aws:kms:us-east-1:111111111111:alias/aws/sagemaker"
    }
    data "aws_kms_key" "shared" {
      key_id = "alias/shared"
    }
'''
CASES = {  # config name -> kms_key_arn
    "key": "aws_kms_key.k.arn",
    "key_id": "aws_kms_key.k.key_id",
    "alias": "aws_kms_alias.a.arn",
    "team": "data.aws_kms_alias.team.target_key_arn",
    "shared": "data.aws_kms_key.shared.arn",
    "managed_alias": "data.aws_kms_alias.sagemaker.target_key_arn",
    "managed_alias_arn": "data.aws_kms_alias.sagemaker.arn",
    "managed_key": "data.aws_kms_key.managed.arn",
    "literal": '"alias/aws/sagemaker"',
}


def _config(name: str, key: str) -> str:
    return f'''
    resource "aws_sagemaker_endpoint_configuration" "{name}" {{
      kms_key_arn = {key}
      production_variants {{
        variant_name           = "a"
        model_name             = "m"
        instance_type          = "ml.m5.large"
        initial_instance_count = 2
      }}
      tags = {{ Environment = "prod" }}
    }}
'''


def test_customer_and_aws_managed_keys(tmp_path):
    d = write_module(tmp_path, {"keys.tf": KEYS, "main.tf": "".join(_config(n, k) for n, k in CASES.items())})
    doc = scan_tf(d, rule="SM403")
    got = [(b[1].rsplit(".", 1)[-1], b[3], b[4], b[5]) for b in brief(doc, "SM403") if b[4] == "kms_key_arn"]
    lines = {n: 3 + 11 * i for i, n in enumerate(CASES)}
    assert got == [(n, lines[n], "kms_key_arn", "fail")
                   for n in ("managed_alias", "managed_alias_arn", "managed_key", "literal")]
    msgs = {f.resource.id.rsplit(".", 1)[-1]: f.message for f in findings(doc, "SM403")}
    for n in ("managed_alias", "managed_alias_arn", "managed_key", "literal"):
        assert msgs[n] == (f"endpoint config aws_sagemaker_endpoint_configuration.{n} is production but uses the AWS "
                           "managed key alias/aws/sagemaker in KmsKeyId; the ML storage volumes need a customer "
                           "managed KMS key")


def test_the_same_words_as_for_a_template(tmp_path):
    cfn = scan_text(tmp_path, """\
    Resources:
      Config:
        Type: AWS::SageMaker::EndpointConfig
        Properties:
          KmsKeyId: alias/aws/sagemaker
          ProductionVariants:
            - {VariantName: a, ModelName: m, InstanceType: ml.m5.large, InitialInstanceCount: 2}
          Tags: [{Key: Environment, Value: prod}]
    """, rule="SM403")
    d = write_module(tmp_path / "tf", {"keys.tf": KEYS, "main.tf": _config("Config", CASES["managed_alias"])})
    tf = findings(scan_tf(d, rule="SM403"), "SM403")
    assert [f.message.replace("aws_sagemaker_endpoint_configuration.", "") for f in tf] == [f.message for f in cfn]
    # a key declared beside it is a customer key in both
    assert scan_text(tmp_path, """\
    Resources:
      Key:
        Type: AWS::KMS::Key
        Properties: {KeyPolicy: {}}
      Config:
        Type: AWS::SageMaker::EndpointConfig
        Properties:
          KmsKeyId: !GetAtt Key.Arn
          ProductionVariants:
            - {VariantName: a, ModelName: m, InstanceType: ml.m5.large, InitialInstanceCount: 2}
          Tags: [{Key: Environment, Value: prod}]
    """, rule="SM403") == []


PLAN = Path(__file__).resolve().parents[1] / "data" / "terraform-plans" / "endpoint" / "plan.json"


def test_plan_names_the_aws_managed_key_its_data_source_read(tmp_path):
    data = json.loads(PLAN.read_text())
    (cfg,) = [r for r in data["planned_values"]["root_module"]["resources"]
              if r["type"] == "aws_sagemaker_endpoint_configuration"]
    key_arn = "arn:aws:kms:us-east-1:111111111111:key/0a1b2c3d-aaaa-bbbb-cccc-111111111111"
    cfg["values"]["kms_key_arn"] = key_arn
    data["prior_state"] = {"format_version": "1.0", "values": {"root_module": {"resources": [{
        "address": "data.aws_kms_alias.sagemaker", "mode": "data", "type": "aws_kms_alias", "name": "sagemaker",
        "values": {"name": "alias/aws/sagemaker", "arn": "arn:aws:kms:us-east-1:111111111111:alias/aws/sagemaker",
                   "target_key_arn": key_arn, "target_key_id": key_arn.rsplit("/", 1)[-1]}}]}}}
    p = tmp_path / "plan.json"
    p.write_text(json.dumps(data, indent=1))
    (f,) = [f for f in findings(scan_tf(p, rule="SM403"), "SM403") if f.path == "kms_key_arn"]
    assert (f.outcome, f.resource.id) == ("fail", cfg["address"])
    assert f.message == (f"endpoint config {cfg['address']} is production but uses the AWS managed key "
                         "alias/aws/sagemaker in KmsKeyId; the ML storage volumes need a customer managed KMS key")
    # the same key ARN without the data source that says whose it is: a customer key
    del data["prior_state"]
    p.write_text(json.dumps(data, indent=1))
    assert [f for f in findings(scan_tf(p, rule="SM403"), "SM403") if f.path == "kms_key_arn"] == []
