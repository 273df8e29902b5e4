"""The real Terraform corpus (tests/data/terraform-corpus, licences in its
NOTICE.md): every configuration scans without a crash or an SM001 error, and
what it finds reads as a reviewer would expect."""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import findings, scan_tf

CORPUS = Path(__file__).resolve().parents[1] / "data" / "terraform-corpus"
CONFIGS = sorted(p.name for p in CORPUS.iterdir() if p.is_dir() and p.name[:3].isdigit())
# configurations that call registry or git modules (MANIFEST notes): those modules are named unknowns
REMOTE_MODULES = {"002", "010", "011", "016", "017"}


def test_every_manifest_row_is_here():
    rows = [r.split("\t")[0] for r in (CORPUS / "MANIFEST.tsv").read_text().splitlines()[1:] if r.strip()]
    assert rows == CONFIGS and len(CONFIGS) == 21


@pytest.fixture(scope="module")
def results():
    return {name: scan_tf(CORPUS / name) for name in CONFIGS}


@pytest.mark.parametrize("name", CONFIGS)
def test_scans_without_crash_or_input_error(results, name):
    doc = results[name]
    assert findings(doc, "SM000") == []
    errors = [f for f in findings(doc, "SM001") if f.outcome == "error"]
    assert errors == [], [(f.location.short(), f.message) for f in errors]
    notes = [f for f in findings(doc, "SM001")]
    if name[:3] in REMOTE_MODULES:
        assert notes and all(f.level == "note" and f.outcome == "unknown" and "is not checked" in f.message
                             for f in notes)
    else:
        assert notes == []
    assert doc.run.files_scanned > 0


def _has(doc, rule, outcome, resource, file_end, line, in_message=""):
    return any(f.rule == rule and f.outcome == outcome and f.resource is not None and f.resource.id == resource
               and f.location.file.endswith(file_end) and f.location.line == line and in_message in f.message
               for f in doc.findings)


def test_plausible_findings(results):
    r = results
    # a role with AmazonSageMakerFullAccess attached through aws_iam_role_policy_attachment
    assert _has(r["012_aws-samples_sagemaker-genai-hosting-examples_lmi-v16"], "SM402", "fail",
                "aws_iam_role.sagemaker_execution_role", "lmi-v16/main.tf", 87, "AmazonSageMakerFullAccess")
    # ... and through managed_policy_arns, reached as resource.aws_iam_role.x.arn
    assert _has(r["003_bentoml_aws-sagemaker-deploy_default"], "SM402", "fail", "aws_iam_role.iam_role_sagemaker",
                "terraform_default.tf", 68, "AmazonSageMakerFullAccess")
    # sagemaker:* on NotResource in a managed policy written as a heredoc
    assert _has(r["021_aws-samples_aws-mlops-pipelines-terraform"], "SM402", "fail", "aws_iam_policy.tf_mlops_policy",
                "iam_roles.tf", 39, 'Action "sagemaker:*" on NotResource')
    # a for_each module instance of an async endpoint config, through ../.. and tfvars-free defaults
    mlops = r["015_kogunlowo123_terraform-aws-sagemaker-mlops"]
    assert _has(mlops, "SM601", "fail",
                'module.sagemaker_mlops.aws_sagemaker_endpoint_configuration.async["batch-processing"]',
                "015_kogunlowo123_terraform-aws-sagemaker-mlops/main.tf", 174)
    # checkov's network isolation fixture: every model lacks a VPC; the images come from a data source
    iso = r["007_bridgecrewio_checkov_SagemakerModelWithNetworkIsolation"]
    assert sorted(f.resource.id for f in findings(iso, "SM401")) == [
        "aws_sagemaker_model.model_fail_1", "aws_sagemaker_model.model_fail_2", "aws_sagemaker_model.model_pass"]
    assert {f.outcome for f in findings(iso, "SM101")} == {"unknown"}
    # the module's own defaults deploy nothing (empty maps): no resources, nothing to report
    assert [f for f in r["020_FriendsOfTerraform_modules_sagemaker-inference"].findings
            if f.resource and "endpoint_configuration" in f.resource.id] == []
