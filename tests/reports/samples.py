"""Result documents the report tests render: a real scan of the corpus, a real
scan of hand-written templates (hostile strings, suppressions, unknowns) and
a hand-built live-shaped document (ARNs, gaps, a plan, a crashed rule pack)."""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

from auditor.config import parse
from auditor.models.findings import (Evaluation, Finding, Location, ResourceRef, ResultDocument,
                                     RuleInfo, RunInfo, SuppressionInfo)
from auditor.models.gaps import CoverageGap
from auditor.scan import scan

TODAY = date(2026, 11, 22)
SCRIPT = "<script>window.__pwned=1</script>"
IMG = '<img src=x onerror="window.__pwned=1">'

HOSTILE = f"""\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Count:
    Type: Number
Resources:
  Model:
    Type: AWS::SageMaker::Model
    Properties:
      ExecutionRoleArn: arn:aws:iam::111111111111:role/sm
      ModelName: '{IMG}'
      PrimaryContainer:
        Image: '{SCRIPT}'
  Config:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      Tags:
        - Key: Environment
          Value: prod
        - Key: Owner
          Value: '{SCRIPT}'
      ProductionVariants:
        - VariantName: '{IMG}'
          ModelName: !GetAtt Model.ModelName
          InitialInstanceCount: 1
          InstanceType: ml.m5.large
  Unknown:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      Tags: [{{Key: Environment, Value: prod}}]
      ProductionVariants:
        - VariantName: Main
          ModelName: !GetAtt Model.ModelName
          InitialInstanceCount: !Ref Count
          InstanceType: ml.m5.large
  Waived:
    Type: AWS::SageMaker::EndpointConfig
    Metadata:
      sm-audit:
        skip:
          - rule: SM201
            reason: '{SCRIPT} single instance accepted for the pilot'
    Properties:
      Tags: [{{Key: Environment, Value: prod}}]
      ProductionVariants:
        - VariantName: AllTraffic
          ModelName: !GetAtt Model.ModelName
          InitialInstanceCount: 1
          InstanceType: ml.m5.large
  External:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      Tags: [{{Key: Environment, Value: prod}}]
      ProductionVariants:
        - VariantName: AllTraffic
          ModelName: !GetAtt Model.ModelName
          InitialInstanceCount: 1
          InstanceType: ml.m5.large
"""
HOSTILE_CONFIG = {"suppressions": [{"rule": "SM201", "resource": "External", "reason": "tracked in TICKET-42",
                                    "expires": "2030-01-01"}]}
BROKEN = "Resources:\n  Model:\n    Type: AWS::SageMaker::Model\n    Properties: [unclosed\n"


def scan_dir(root: Path, files: dict[str, str], config: dict | None = None, select=None, production=False):
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text))
    cfg = parse(config or {}, "test-config")
    return scan([str(root / n) for n in sorted(files)], cfg, production=production, select=select, today=TODAY)

ARN_EP = "arn:aws:sagemaker:eu-west-1:222222222222:endpoint-config/fraud-prod"
ARN_EP2 = "arn:aws:sagemaker:us-east-1:111111111111:endpoint-config/churn"
ARN_POLICY = "arn:aws:iam::111111111111:policy/invoke-all"


def live_doc() -> ResultDocument:
    """A hand-built audit result across two accounts, with every kind of thing in it."""
    from rules.sm201_high_availability import HighAvailability as SM201

    sec = RuleInfo(id="SM402", slug="access-control", title="Least-privilege endpoint access", level="error",
                   policy="Endpoint access must be least-privilege and audited.", tags=["security", "iam"],
                   scope=["static", "live"], security_severity=8.0,
                   help_uri="https://github.com/sm-audit/sm-audit/blob/main/docs/rules/SM402.md")
    engine = RuleInfo(id="SM000", slug="rule-error", title="A rule or rule pack failed", level="error",
                      policy="Every check must run.", tags=["engine"], scope=["static", "live"])

    def ref(arn, type_, name):
        parts = arn.split(":")
        return ResourceRef(key=arn, id=name, type=type_, name=name, arn=arn, account=parts[4] or None,
                           region=parts[3] or None)

    def loc(arn):
        parts = arn.split(":")
        return Location(arn=arn, account=parts[4] or None, region=parts[3] or None)

    findings = [
        Finding(rule="SM201", slug="high-availability", level="error", outcome="fail",
                message=f"variant {IMG} runs on 1 instance(s); production needs at least 2",
                resource=ref(ARN_EP, "AWS::SageMaker::EndpointConfig", "fraud-prod"),
                path="ProductionVariants[0].InitialInstanceCount", location=loc(ARN_EP),
                fingerprint="f" * 32, remediation="raise-instance-count"),
        Finding(rule="SM201", slug="high-availability", level="error", outcome="fail",
                message="variant AllTraffic runs on 1 instance(s); production needs at least 2",
                resource=ref(ARN_EP2, "AWS::SageMaker::EndpointConfig", "churn"),
                path="ProductionVariants[0].InitialInstanceCount", location=loc(ARN_EP2), fingerprint="e" * 32,
                suppression=SuppressionInfo(kind="external", reason=f"tag says: {SCRIPT}", expires="2030-01-01",
                                            source="tag sm-audit:skip")),
        Finding(rule="SM402", slug="access-control", level="error", outcome="unknown",
                message="cannot verify SM402 for invoke-all: AccessDenied on iam:GetPolicyVersion",
                resource=ref(ARN_POLICY, "AWS::IAM::ManagedPolicy", "invoke-all"), location=loc(ARN_POLICY),
                fingerprint="d" * 32),
        Finding(rule="SM000", slug="rule-error", level="error", outcome="error",
                message="rule pack rejected: entry point broken = broken_pack: cannot load: ImportError: nope",
                fingerprint="c" * 32),
    ]
    evaluations = [
        Evaluation(rule="SM201", resource=ARN_EP, outcome="fail"),
        Evaluation(rule="SM201", resource=ARN_EP2, outcome="suppressed"),
        Evaluation(rule="SM201", resource="arn:aws:sagemaker:eu-west-1:222222222222:endpoint-config/ok",
                   outcome="pass"),
        Evaluation(rule="SM402", resource=ARN_POLICY, outcome="unknown"),
    ]
    plan = {"mode": "dry-run", "changes": [
        {"id": "abc", "action": "raise-instance-count", "resource": ARN_EP, "name": "fraud-prod",
         "account": "222222222222", "region": "eu-west-1",
         "before": {"DesiredInstanceCount": 1, "VariantName": IMG},
         "after": {"DesiredInstanceCount": 2, "VariantName": IMG},
         "why": f"SM201: production needs 2 instances {SCRIPT}", "rules": ["SM201"], "status": "planned"},
        {"action": "stop-idle-endpoint", "resource": "arn:aws:sagemaker:us-east-1:111111111111:endpoint/old",
         "name": "old", "account": "111111111111", "region": "us-east-1", "before": "InService",
         "after": "deleted (config kept for restore)", "why": "SM502: no invocations in 24 h", "status": "planned"},
    ]}
    return ResultDocument(
        tool={"name": "sm-audit", "version": "0.1.0"},
        run=RunInfo(command="audit", resources=4, accounts=["111111111111", "222222222222"],
                    regions=["eu-west-1", "us-east-1"]),
        rules=sorted([SM201.info(), sec, engine], key=lambda r: r.id),
        findings=sorted(findings, key=Finding.sort_key),
        evaluations=evaluations,
        gaps=[CoverageGap(account="111111111111", region="us-east-1", service="iam", operation="GetPolicyVersion",
                      resource=ARN_POLICY, kinds=["IamPolicy"], error="AccessDenied", message=f"denied {SCRIPT}")],
        plan=plan,
    )


def many_findings(n: int) -> ResultDocument:
    """The live document with ``n`` active SM201 findings on distinct endpoint configs."""
    doc = live_doc()
    f0 = next(f for f in doc.findings if f.rule == "SM201" and not f.suppression)
    fs = []
    for i in range(n):
        arn = f"arn:aws:sagemaker:eu-west-1:222222222222:endpoint-config/ep-{i:04d}"
        fs.append(f0.model_copy(update={
            "fingerprint": f"{i:032d}", "message": f"variant v{i} runs on 1 instance(s); production needs at least 2",
            "location": f0.location.model_copy(update={"arn": arn}),
            "resource": f0.resource.model_copy(update={"key": arn, "id": f"ep-{i:04d}", "name": f"ep-{i:04d}",
                                                       "arn": arn})}))
    return doc.model_copy(update={"findings": fs})
