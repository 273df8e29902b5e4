"""Fix snippets for Terraform findings: HCL with the AWS provider's attribute
names (SM201 initial_instance_count, SM403 kms_key_arn, SM203 a
data_capture_config block, SM202 an aws_appautoscaling_target and policy),
shown in the HTML report; SARIF carries only SM201's one replacement, checked
against the .tf text. Each snippet, pasted into its bad fixture, makes the
finding go away."""

from __future__ import annotations

import json
import shutil

import pytest

from auditor import fixes
from reports import render
from reports.html import context
from tests.conftest import FIXTURES

from .helpers import scan_tf

DIR = FIXTURES / "terraform"
PROD = {"production": {"all": True}}

SM201 = "initial_instance_count = 2\n"
SM403 = "kms_key_arn = aws_kms_key.sagemaker.arn\n"
SM203 = """\
data_capture_config {
  enable_capture              = true
  initial_sampling_percentage = 100
  destination_s3_uri          = "s3://BUCKET/data-capture"

  capture_options {
    capture_mode = "Input"
  }
  capture_options {
    capture_mode = "Output"
  }
}
"""
SM202 = """\
resource "aws_appautoscaling_target" "churn_prod_all_traffic" {
  service_namespace  = "sagemaker"
  resource_id        = "endpoint/churn-prod/variant/AllTraffic"
  scalable_dimension = "sagemaker:variant:DesiredInstanceCount"
  min_capacity       = 2
  max_capacity       = 4
}

resource "aws_appautoscaling_policy" "churn_prod_all_traffic" {
  name               = "churn-prod-AllTraffic-invocations"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.churn_prod_all_traffic.service_namespace
  resource_id        = aws_appautoscaling_target.churn_prod_all_traffic.resource_id
  scalable_dimension = aws_appautoscaling_target.churn_prod_all_traffic.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = 70
    scale_out_cooldown = 60
    scale_in_cooldown  = 300

    predefined_metric_specification {
      predefined_metric_type = "SageMakerVariantInvocationsPerInstance"
    }
  }
}
"""


@pytest.fixture
def bad(tmp_path, monkeypatch):
    """A copy of a rule's bad fixture, scanned from its parent (paths as a scan shows them)."""
    monkeypatch.chdir(tmp_path)

    def copy(rule):
        shutil.copytree(DIR / rule / "bad", tmp_path / rule)
        return tmp_path / rule
    return copy


def _items(doc, rule):
    return [i for i in context(doc)["findings"] if i["f"].rule == rule and i["fix"]]


def _one_fix(doc, rule, path):
    (item,) = [i for i in _items(doc, rule) if i["f"].path == path]
    assert item["fix"]["format"] == "HCL"
    return item["fix"]


def test_sm201_sets_initial_instance_count_in_the_variant_block(bad):
    d = bad("SM201")
    doc = scan_tf(d.name, rule="SM201", config=PROD)
    fix = _one_fix(doc, "SM201", "production_variants[0].initial_instance_count")
    assert fix == {"title": "Run at least 2 instances (in the production_variants block)", "format": "HCL",
                   "text": SM201}
    main = d / "main.tf"
    main.write_text(main.read_text().replace("initial_instance_count = 1\n", SM201))
    assert [f for f in scan_tf(d.name, rule="SM201", config=PROD).findings if f.outcome == "fail"] == []


def test_sm201_sarif_fix_is_the_one_attribute_replacement(bad):
    d = bad("SM201")
    doc = scan_tf(d.name, rule="SM201", config=PROD)
    sarif = json.loads(render(doc, "sarif", repo_root="."))
    fixed = [r["fixes"] for r in sarif["runs"][0]["results"] if "fixes" in r]
    assert fixed == [[{"description": {"text": "Run at least 2 instances (in the production_variants block)"},
                       "artifactChanges": [{
                           "artifactLocation": {"uri": "SM201/main.tf", "uriBaseId": "%SRCROOT%"},
                           "replacements": [{
                               "deletedRegion": {"startLine": 13, "startColumn": 5, "endLine": 13, "endColumn": 31},
                               "insertedContent": {"text": "initial_instance_count = 2"}}]}]}]]
    assert (d / "main.tf").read_text().splitlines()[12][4:30] == "initial_instance_count = 1"


def test_sm403_sets_kms_key_arn_on_the_endpoint_configuration(bad):
    d = bad("SM403")
    doc = scan_tf(d.name, rule="SM403", config=PROD)
    fix = _one_fix(doc, "SM403", "kms_key_arn")
    assert fix["text"] == SM403
    assert fix["title"] == ("Encrypt the ML storage volumes with a customer managed KMS key "
                            "(in the aws_sagemaker_endpoint_configuration; declare the aws_kms_key "
                            "or use a key's ARN)")
    sarif = json.loads(render(doc, "sarif", repo_root="."))
    assert not any("fixes" in r for r in sarif["runs"][0]["results"])  # an addition, not a replacement
    main = d / "main.tf"
    main.write_text(main.read_text().replace('name = "churn-config"\n', f'name = "churn-config"\n  {SM403}')
                    + 'resource "aws_kms_key" "sagemaker" {\n  description = "sagemaker"\n}\n')
    assert [f.path for f in scan_tf(d.name, rule="SM403", config=PROD).findings
            if f.outcome == "fail"] == []


def test_sm203_adds_a_data_capture_config_block(bad):
    d = bad("SM203")
    doc = scan_tf(d.name, rule="SM203", config=PROD)
    fix = _one_fix(doc, "SM203", "data_capture_config")
    assert fix == {"title": "Capture requests and responses for Model Monitor "
                            "(in the aws_sagemaker_endpoint_configuration)", "format": "HCL", "text": SM203}
    main = d / "main.tf"
    block = "".join(f"  {line}\n" if line else "\n" for line in SM203.splitlines())
    main.write_text(main.read_text().replace('name = "churn-config"\n', f'name = "churn-config"\n{block}'))
    paths = [f.path for f in scan_tf(d.name, rule="SM203", config=PROD).findings if f.outcome == "fail"]
    assert "data_capture_config" not in paths and paths  # the endpoint's own findings stay


def test_sm202_adds_a_scalable_target_and_policy(bad):
    d = bad("SM202")
    doc = scan_tf(d.name, rule="SM202", config=PROD)
    fix = _one_fix(doc, "SM202", "production_variants[0]")
    assert fix == {"title": "Add a scalable target and a target-tracking policy (in the module)", "format": "HCL",
                   "text": SM202}
    (d / "scaling.tf").write_text(SM202)
    assert [f for f in scan_tf(d.name, rule="SM202", config=PROD).findings if f.outcome == "fail"] == []


def test_html_report_shows_the_hcl_snippet_for_a_terraform_finding(bad):
    d = bad("SM202")
    html = render(scan_tf(d.name, rule="SM202", config=PROD), "html")
    assert "Fix (HCL): Add a scalable target and a target-tracking policy (in the module)" in html
    assert '<pre class="snippet">' + SM202.replace('"', "&#34;") + "</pre>" in html


def test_the_format_follows_the_dialect_not_the_file_name():
    from auditor.models.findings import Finding, Location, ResourceRef

    tf = Finding(rule="SM201", slug="x", level="error", message="m",
                 path="production_variants[0].initial_instance_count",
                 resource=ResourceRef(key="k", id="aws_sagemaker_endpoint_configuration.c",
                                      type="aws_sagemaker_endpoint_configuration"),
                 location=Location(file="plan.json", line=1), data={"wanted": 3})
    assert fixes.snippet_format(tf) == "HCL"
    assert fixes.render(fixes.suggest(tf), "HCL") == "initial_instance_count = 3\n"
    # a plan's JSON text is never rewritten as HCL
    assert fixes.replacement(fixes.suggest(tf), "HCL", '"initial_instance_count": 1') is None
    cfn = tf.model_copy(update={"path": "ProductionVariants[0].InitialInstanceCount", "resource": ResourceRef(
        key="k", id="C", type="AWS::SageMaker::EndpointConfig")})
    assert fixes.snippet_format(cfn) == "JSON"
