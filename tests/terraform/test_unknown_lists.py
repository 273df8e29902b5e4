"""A variant list built by a dynamic block over a variable without a value
is unknown: every rule that iterates the variants says so at the block,
never passes over variants it could not see."""

from __future__ import annotations

from auditor.loaders.terraform import TfOptions

from .helpers import brief, findings, scan_tf, write_module

MODULE = '''
    variable "variants" {}

    resource "aws_sagemaker_model" "m" {
      name               = "m"
      execution_role_arn = "arn:aws:iam::123456789012:role/r"
      primary_container {
        image = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1-cpu"
      }
    }

    resource "aws_sagemaker_endpoint_configuration" "prod" {
      name = "prod"
      dynamic "production_variants" {
        for_each = var.variants
        content {
          variant_name           = production_variants.key
          model_name             = aws_sagemaker_model.m.name
          instance_type          = production_variants.value
          initial_instance_count = 1
        }
      }
      tags = { Environment = "prod" }
    }

    resource "aws_sagemaker_endpoint" "prod" {
      name                 = "prod"
      endpoint_config_name = aws_sagemaker_endpoint_configuration.prod.name
    }
'''
CFG = "aws_sagemaker_endpoint_configuration.prod"
WHY = "(dynamic block production_variants iterates over var.variants: var.variants has no value)"
VARIANTS = f"the production variants of endpoint config {CFG} cannot be determined {WHY}"


def test_rules_over_variants_are_unknown_at_the_dynamic_block(tmp_path):
    d = write_module(tmp_path, {"main.tf": MODULE})
    for rule in ("SM201", "SM501"):
        doc = scan_tf(d, rule=rule)
        assert brief(doc, rule) == [(rule, CFG, "main.tf", 14, "production_variants", "unknown")]
        assert [f.message for f in findings(doc, rule)] == [VARIANTS]
    doc = scan_tf(d, rule="SM303")
    assert brief(doc, "SM303") == [("SM303", CFG, "main.tf", 14, "production_variants", "unknown")]
    assert [f.message for f in findings(doc, "SM303")] == [
        f"cannot tell how endpoint prod splits traffic: the production variants of {CFG} cannot be determined {WHY}"]
    # no KmsKeyId: required unless a variant runs on local NVMe storage, which cannot be told
    doc = scan_tf(d, rule="SM403")
    assert brief(doc, "SM403") == [("SM403", CFG, "main.tf", 12, "kms_key_arn", "unknown")]
    assert [f.message for f in findings(doc, "SM403")] == [
        f"endpoint config {CFG} is production and sets no KmsKeyId; it is required unless an instance type has "
        f"local NVMe storage, and its production variants cannot be determined {WHY}"]


def test_known_values_decide_where_the_unknown_list_did_not(tmp_path):
    d = write_module(tmp_path, {"main.tf": MODULE})
    doc = scan_tf(d, options=TfOptions(variables=[("variants", '{"a": "ml.m5.4xlarge"}')]))
    got = {(f.rule, f.outcome) for f in doc.findings if f.rule in ("SM201", "SM303", "SM403", "SM501")}
    assert got == {("SM201", "fail"), ("SM303", "fail"), ("SM403", "fail"), ("SM501", "fail")}


def test_a_verdict_that_needs_no_variants_stays_decided(tmp_path):
    # a customer key for the volumes: SM403 passes without looking at the variants;
    # a config that is not production is not judged by SM201 at all
    d = write_module(tmp_path, {"main.tf": MODULE.replace(
        'name = "prod"\n      dynamic', 'name = "prod"\n      kms_key_arn = "arn:aws:kms:us-east-1:1:key/k"\n      dynamic')})
    assert findings(scan_tf(d, rule="SM403"), "SM403") == []
    d = write_module(tmp_path / "dev", {"main.tf": MODULE.replace('"prod" }', '"dev" }')})
    assert findings(scan_tf(d, rule="SM201"), "SM201") == []
