"""Directory scans find templates (CFN YAML/JSON, SAM, CDK output, API-shaped
files) and skip YAML/JSON files that are not templates, saying how many."""

from __future__ import annotations

import json

from auditor.loaders import discover, load_file

from .helpers import GOOD, by_rule, run_cli

WORKFLOW = """\
name: CI
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "Resources are fine"
"""
K8S = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers:
        - name: web
          image: nginx
          resources: {limits: {cpu: "1"}}
---
apiVersion: v1
kind: Service
metadata: {name: web}
"""
SAM = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Invoke:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Policies:
        - Statement:
            - Effect: Allow
              Action: sagemaker:InvokeEndpoint
              Resource: '*'
  Config:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      ProductionVariants:
        - {VariantName: AllTraffic, ModelName: m, InitialInstanceCount: 1, InstanceType: ml.m5.large}
"""
CDK_TEMPLATE = {
    "Resources": {
        "EndpointConfigB7F4C1A2": {
            "Type": "AWS::SageMaker::EndpointConfig",
            "Properties": {"ProductionVariants": [
                {"VariantName": "AllTraffic", "ModelName": {"Fn::GetAtt": ["Model9A2B", "ModelName"]},
                 "InitialInstanceCount": 1, "InstanceType": "ml.m5.large", "InitialVariantWeight": 1}]},
            "Metadata": {"aws:cdk:path": "MlStack/EndpointConfig"},
        },
        "Model9A2B": {"Type": "AWS::SageMaker::Model", "Properties": {"PrimaryContainer": {"Image": "x"}}},
        "CDKMetadata": {"Type": "AWS::CDK::Metadata", "Properties": {"Analytics": "v2:deflate64:H4s"}},
    },
    "Parameters": {"BootstrapVersion": {"Type": "AWS::SSM::Parameter::Value<String>",
                                        "Default": "/cdk-bootstrap/hnb659fds/version"}},
}
API_DOCS = """\
ModelName: churn-v3
ExecutionRoleArn: arn:aws:iam::111111111111:role/sm
PrimaryContainer:
  Image: 683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1
  ModelDataUrl: s3://models/churn/v3.0.0/model.tar.gz
---
EndpointConfigName: churn-v3-config
ProductionVariants:
  - VariantName: AllTraffic
    ModelName: churn-v3
    InitialInstanceCount: 1
    InstanceType: ml.m5.large
---
EndpointName: churn
EndpointConfigName: churn-v3-config
"""


def make_tree(root):
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / "ci.yml").write_text(WORKFLOW)
    (root / "ci").mkdir()
    (root / "ci" / "workflow.yaml").write_text(WORKFLOW)  # not hidden: parsed, then skipped
    (root / "k8s").mkdir()
    (root / "k8s" / "deploy.yaml").write_text(K8S)
    (root / "k8s" / "values.yaml").write_text("replicas: 2\nimage: nginx\n")
    (root / "package.json").write_text(json.dumps({"name": "app", "version": "1.0.0", "dependencies": {}}))
    cdk = root / "cdk.out"
    cdk.mkdir()
    (cdk / "manifest.json").write_text(json.dumps({"version": "36.0.0", "artifacts": {
        "MlStack": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "MlStack.template.json"}}}}))
    (cdk / "tree.json").write_text(json.dumps({"version": "tree-0.1", "tree": {"id": "App", "children": {
        "MlStack": {"id": "MlStack", "attributes": {"aws:cdk:cloudformation:type": "AWS::SageMaker::Model",
                                                    "aws:cdk:cloudformation:props": {"Resources": "x"}}}}}}))
    (cdk / "MlStack.template.json").write_text(json.dumps(CDK_TEMPLATE, indent=1))
    (root / "node_modules" / "x").mkdir(parents=True)
    (root / "node_modules" / "x" / "template.yaml").write_text(GOOD)  # never searched
    (root / "infra").mkdir()
    (root / "infra" / "endpoint.yaml").write_text(GOOD)
    (root / "infra" / "sam.yaml").write_text(SAM)
    (root / "deploy").mkdir()
    (root / "deploy" / "requests.yaml").write_text(API_DOCS)
    (root / "README.md").write_text("# not yaml\n")


def test_discover_order_and_skipped_dirs(tmp_path):
    make_tree(tmp_path)
    files, missing = discover([str(tmp_path)])
    rel = [f.split(str(tmp_path) + "/", 1)[1] for f, _ in files]
    # hidden and dependency folders are not searched; only YAML/JSON/.template files; stable order
    assert rel == ["cdk.out/MlStack.template.json", "cdk.out/manifest.json", "cdk.out/tree.json",
                   "ci/workflow.yaml", "deploy/requests.yaml", "infra/endpoint.yaml", "infra/sam.yaml",
                   "k8s/deploy.yaml", "k8s/values.yaml", "package.json"]
    assert missing == []
    assert all(explicit is False for _, explicit in files)


def test_directory_scan_skips_non_templates_and_says_how_many(tmp_path, capsys):
    make_tree(tmp_path)
    r = run_cli(capsys, "scan", str(tmp_path), "--production", "-f", "json")
    doc = r.doc
    assert r.code == 1
    assert by_rule(doc, "SM001") == []
    # ci/workflow.yaml, k8s/deploy.yaml, k8s/values.yaml, package.json, cdk.out/manifest.json, cdk.out/tree.json
    assert doc["run"]["files_skipped"] == 6
    assert doc["run"]["files_scanned"] == 4
    files = {f["location"]["file"].rsplit("/", 2)[-2] + "/" + f["location"]["file"].rsplit("/", 1)[-1]
             for f in by_rule(doc, "SM201")}
    assert files >= {"infra/endpoint.yaml", "infra/sam.yaml", "cdk.out/MlStack.template.json",
                     "deploy/requests.yaml"}
    text = run_cli(capsys, "scan", str(tmp_path), "--production")
    assert "6 YAML/JSON file(s) skipped as not templates" in text.out
    assert "in 4 file(s)" in text.out


def test_cdk_and_api_findings_have_positions(tmp_path, capsys):
    make_tree(tmp_path)
    doc = run_cli(capsys, "scan", str(tmp_path / "cdk.out"), str(tmp_path / "deploy"), "--production",
                  "-f", "json").doc
    count = {f["resource"]["id"]: f for f in by_rule(doc, "SM201") if f["path"].endswith("InitialInstanceCount")}
    assert count["EndpointConfigB7F4C1A2"]["location"]["line"] > 1
    api = count["churn-v3-config"]
    assert api["location"]["line"] == 11 and api["location"]["file"].endswith("requests.yaml")


def test_explicit_non_template_is_an_error(tmp_path, capsys):
    make_tree(tmp_path)
    r = run_cli(capsys, "scan", str(tmp_path / "k8s" / "deploy.yaml"), str(tmp_path / "package.json"),
                "-f", "json")
    assert r.code == 1
    bad = by_rule(r.doc, "SM001")
    assert sorted(f["location"]["file"].rsplit("/", 1)[-1] for f in bad) == ["deploy.yaml", "package.json"]
    assert all("not a CloudFormation/SAM template" in f["message"] for f in bad)
    assert r.doc["run"]["files_skipped"] == 0


def test_broken_file_that_looks_like_a_template_is_reported_in_directory_scans(tmp_path):
    (tmp_path / "t.yaml").write_text("Resources:\n  A: [\n")
    (tmp_path / "w.yaml").write_text("jobs: [\n")  # broken, but names no template marker: skipped
    fr = load_file(str(tmp_path / "t.yaml"), explicit=False)
    assert fr.problems and not fr.skipped
    fr = load_file(str(tmp_path / "w.yaml"), explicit=False)
    assert fr.skipped and not fr.problems


def test_a_file_reached_twice_is_scanned_once(tmp_path):
    make_tree(tmp_path)
    ep = str(tmp_path / "infra" / "endpoint.yaml")
    files, _ = discover([str(tmp_path / "infra"), ep, ep])
    assert [f.rsplit("/", 1)[-1] for f, _ in files] == ["endpoint.yaml", "sam.yaml"]
    assert dict(files)[ep] is True  # named explicitly wins
