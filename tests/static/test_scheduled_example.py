"""examples/scheduled/: the CloudFormation template that runs the sm-audit
image on a schedule (EventBridge Scheduler -> ECS Fargate RunTask). Its IAM
statements are the published policies (iam/*.json), its commands parse with
sm-audit's own CLI, and it passes `sm-audit scan` and cfn-lint cleanly."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from auditor.loaders.marked import load_yaml

from .helpers import ROOT, run_cli

TEMPLATE = ROOT / "examples" / "scheduled" / "sm-audit-scheduled.yaml"
STALE = "iam/*.json changed: copy its statements into examples/scheduled/sm-audit-scheduled.yaml"


def template() -> dict:
    return load_yaml(TEMPLATE.read_text(encoding="utf-8"))[0].data


def resources() -> dict:
    return template()["Resources"]


def policy(name: str) -> dict:
    return json.loads((ROOT / "iam" / name).read_text(encoding="utf-8"))


def test_task_role_holds_the_audit_policy_and_remediation_only_when_enabled():
    r = resources()
    [audit] = [p for p in r["TaskRole"]["Properties"]["Policies"] if p["PolicyName"] == "sm-audit-readonly"]
    assert audit["PolicyDocument"]["Statement"] == policy("audit-readonly.json")["Statement"], STALE
    rem = r["RemediationPolicy"]
    assert rem["Type"] == "AWS::IAM::Policy" and rem["Condition"] == "Remediate"
    assert rem["Properties"]["Roles"] == [{"Ref": "TaskRole"}]
    assert rem["Properties"]["PolicyDocument"]["Statement"] == policy("remediation.json")["Statement"], STALE
    assert template()["Conditions"]["Remediate"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "RemediateRules"}, ""]}]}
    assert template()["Parameters"]["RemediateRules"]["Default"] == ""  # read-only unless rules are listed
    # nothing else in the template grants the task more than writing its reports and journal
    [write] = [p for p in r["TaskRole"]["Properties"]["Policies"] if p["PolicyName"] == "reports-and-journal"]
    assert [s["Action"] for s in write["PolicyDocument"]["Statement"]] == ["s3:PutObject"]


def test_schedule_runs_the_task_on_fargate():
    r = resources()
    target = r["Schedule"]["Properties"]["Target"]
    assert r["Schedule"]["Type"] == "AWS::Scheduler::Schedule"
    assert target["Arn"] == {"Fn::GetAtt": ["Cluster", "Arn"]}
    ecs = target["EcsParameters"]
    assert (ecs["LaunchType"], ecs["TaskDefinitionArn"]) == ("FARGATE", {"Ref": "TaskDefinition"})
    net = ecs["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert (net["Subnets"], net["SecurityGroups"]) == ({"Ref": "Subnets"}, {"Ref": "SecurityGroups"})
    td = r["TaskDefinition"]["Properties"]
    assert td["RequiresCompatibilities"] == ["FARGATE"] and td["NetworkMode"] == "awsvpc"
    assert td["TaskRoleArn"] == {"Fn::GetAtt": ["TaskRole", "Arn"]}
    assert td["ExecutionRoleArn"] == {"Fn::GetAtt": ["ExecutionRole", "Arn"]}
    [container] = td["ContainerDefinitions"]
    assert container["Image"] == {"Ref": "ImageUri"}
    assert container["LogConfiguration"]["Options"]["awslogs-group"] == {"Ref": "LogGroup"}


def test_report_bucket_is_encrypted_versioned_and_not_public():
    b = resources()["ReportBucket"]["Properties"]
    [rule] = b["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    assert b["VersioningConfiguration"] == {"Status": "Enabled"}
    assert b["PublicAccessBlockConfiguration"] == {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                                   "IgnorePublicAcls": True, "RestrictPublicBuckets": True}


def _resolved(args: list) -> list[str]:
    """The container's command as the task would get it (parameters filled in)."""
    values = {"AWS::Region": "eu-west-1", "RemediateRules": "SM502,SM202", "MaxChanges": "10"}
    out = []
    for a in args:
        if isinstance(a, dict) and "Ref" in a:
            out.append(values[a["Ref"]])
        elif isinstance(a, dict) and "Fn::Sub" in a:
            out.append(a["Fn::Sub"].replace("${ReportBucket}", "reports-bucket"))
        else:
            out.append(a)
    return out


def test_commands_are_a_read_only_audit_by_default_and_parse_with_the_cli():
    from auditor.cli.audit_cmd import audit as audit_cmd
    from auditor.cli.remediate_cmd import remediate as remediate_cmd

    [container] = resources()["TaskDefinition"]["Properties"]["ContainerDefinitions"]
    cond, remediate, audit = container["Command"]["Fn::If"]
    assert cond == "Remediate"
    audit, remediate = _resolved(audit), _resolved(remediate)
    assert audit == ["audit", "--region", "eu-west-1", "--format", "json",
                     "--output", "s3://reports-bucket/reports/audit.json"]
    assert remediate[:8] == ["remediate", "--region", "eu-west-1", "--rule", "SM502,SM202", "--apply", "--yes",
                             "--max-changes"]
    a = audit_cmd.make_context("audit", audit[1:])
    assert a.params["output"] == "s3://reports-bucket/reports/audit.json" and a.params["fmt"] == "json"
    r = remediate_cmd.make_context("remediate", remediate[1:])
    assert r.params["do_apply"] and r.params["yes"] and r.params["max_changes"] == 10
    assert r.params["journal_path"] == "s3://reports-bucket/journal/"
    assert r.params["output"] == "s3://reports-bucket/reports/remediate.json"
    # what the task may write is where the commands write
    [write] = [p for p in resources()["TaskRole"]["Properties"]["Policies"] if p["PolicyName"] == "reports-and-journal"]
    prefixes = [x["Fn::Sub"].split("/", 1)[1] for x in write["PolicyDocument"]["Statement"][0]["Resource"]]
    assert prefixes == ["reports/*", "journal/*"]


def test_sm_audit_scan_passes_the_template(capsys):
    r = run_cli(capsys, "scan", str(TEMPLATE), "-f", "json")
    assert r.code == 0, r.out
    assert r.doc["run"]["files_scanned"] == 1
    assert [f for f in r.doc["findings"] if f["outcome"] != "pass"] == []


def test_cfn_lint_passes_the_template():
    pytest.importorskip("cfnlint", reason="cfn-lint is a test extra")
    p = subprocess.run([sys.executable, "-c", "import sys; from cfnlint.runner import main; sys.exit(main())",
                        str(TEMPLATE)], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert (p.returncode, p.stdout, p.stderr) == (0, "", "")


def test_cfn_lint_does_catch_a_broken_template(tmp_path):
    # the check above can fail: a wrong property is reported
    pytest.importorskip("cfnlint", reason="cfn-lint is a test extra")
    bad = tmp_path / "bad.yaml"
    bad.write_text(TEMPLATE.read_text(encoding="utf-8").replace("LaunchType: FARGATE", "LaunchTyp: FARGATE"))
    p = subprocess.run([sys.executable, "-c", "import sys; from cfnlint.runner import main; sys.exit(main())",
                        str(bad)], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert p.returncode != 0 and "LaunchTyp" in p.stdout
