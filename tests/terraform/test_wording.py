"""Messages about Terraform resources name what they were read from as a
configuration, never a template (the CloudFormation wording is unchanged:
tests/rules hold it)."""

from __future__ import annotations

from tests.conftest import DATA, FIXTURES

from .helpers import brief, findings, scan_tf, write_module


def test_no_terraform_finding_speaks_of_a_template():
    doc = scan_tf([FIXTURES / "terraform", DATA / "terraform-corpus"])
    said = [f.message for f in doc.findings if "template" in f.message]
    assert said == []
    assert sum("configuration" in f.message for f in doc.findings) > 50


def test_each_wording_reads_configuration(tmp_path):
    d = write_module(tmp_path, {"main.tf": '''
        resource "aws_sagemaker_model" "m" {
          name = "m"
          primary_container {
            image          = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1-cpu"
            model_data_url = "s3://elsewhere/models/m/1.0.0/model.tar.gz"
          }
          vpc_config {
            subnets            = ["subnet-1"]
            security_group_ids = ["sg-1"]
          }
          tags = { Environment = "prod" }
        }
        resource "aws_sagemaker_endpoint_configuration" "lonely" {
          production_variants {
            variant_name           = "a"
            model_name             = "other"
            instance_type          = "ml.m5.large"
            initial_instance_count = 2
          }
          tags = { Environment = "prod" }
        }
        resource "aws_sagemaker_endpoint" "e" {
          name                 = "e"
          endpoint_config_name = "missing-config"
          tags = { Environment = "prod" }
        }
    '''})
    doc = scan_tf(d)

    def said(rule, resource):
        return [f.message for f in findings(doc, rule) if f.resource.id == resource and f.outcome == "unknown"]

    cfg, model = "aws_sagemaker_endpoint_configuration.lonely", "aws_sagemaker_model.m"
    assert "variant a: cannot check the Availability Zones of model other: Model 'other' is not defined in this " \
           "configuration" in said("SM201", cfg)
    assert said("SM203", cfg) == [f"endpoint config {cfg} is used by no endpoint in this configuration: the Model "
                                  "Monitor schedules and rollback alarms of the endpoint that uses it cannot be "
                                  "checked here"]
    assert said("SM301", "aws_sagemaker_endpoint.e") == [
        "cannot tell from a configuration whether endpoint e has invocation logs: SageMaker creates "
        "/aws/sagemaker/Endpoints/e at the first invocation (`sm-audit audit` checks it)"]
    assert "artifact bucket elsewhere is not defined in this configuration; its encryption cannot be checked" \
        in said("SM403", model)
    assert [m for m in said("SM401", model) if "interface endpoint" in m] == [
        f"no SageMaker Runtime interface endpoint for the VPC of model {model} in this configuration; the VPC may "
        "have one (`sm-audit audit` checks it)"]
    assert said("SM303", "aws_sagemaker_endpoint.e") == [
        "cannot tell how endpoint e splits traffic: EndpointConfig 'missing-config' is not defined in this configuration"]
    assert ("SM303", "aws_sagemaker_endpoint.e", "main.tf", 25, "endpoint_config_name", "unknown") in brief(doc)
