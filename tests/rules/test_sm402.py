"""SM402 access-control: wildcard invoke grants, admin execution roles, CloudTrail (live)."""

from auditor.inventory import Inventory
from auditor.models.gaps import CoverageGap
from auditor.models.resources import Endpoint, IamRole, Model, Trail
from tests.conftest import CORPUS, FIXTURES

from .helpers import evaluate_inventory, live_meta, scan_file, scan_text, summary

DIR = FIXTURES / "rules" / "SM402"
LEAST = "least privilege wants invoke granted on specific endpoint ARNs"


def test_scoped_grants_and_narrow_execution_role_pass():
    assert scan_file(DIR / "good.yaml", rule="SM402") == []


def test_wildcard_grants_and_admin_execution_role_fail():
    fs = scan_file(DIR / "bad.yaml", rule="SM402")
    assert summary(fs) == [
        ("SM402", "InvokeAnything", 16, "fail"),
        ("SM402", "EverythingButIam", 26, "fail"),
        ("SM402", "ExceptOne", 37, "fail"),
        ("SM402", "ExecutionRole", 46, "fail"),
        ("SM402", "ExecutionRole", 52, "fail"),
        ("SM402", "ApiFunction", 70, "fail"),
    ]
    assert [f.message for f in fs] == [
        f'statement InvokeAll in InvokeAnything allows Action "SageMaker:Invoke*" on Resource "*"; {LEAST}',
        'statement 0 in EverythingButIam allows NotAction ["iam:*"] (which does not exclude '
        f'sagemaker:InvokeEndpoint) on Resource "*"; {LEAST}',
        'statement 0 in not-resource of ExceptOne allows Action "sagemaker:InvokeEndpoint" on NotResource (every '
        f'resource but the listed ones); {LEAST}',
        "execution role ExecutionRole of model Model has AmazonSageMakerFullAccess attached; execution roles must "
        "not be admin or full-access",
        'execution role ExecutionRole of model Model: statement 0 in root of ExecutionRole allows Action "*" on '
        'Resource "*" (full admin); execution roles must be least-privilege',
        f'statement 0 in Policies[1] of ApiFunction allows Action "sagemaker:*" on Resource "*"; {LEAST}',
    ]
    assert [f.path for f in fs][3:] == ["ManagedPolicyArns[0]", "Policies[0].PolicyDocument.Statement[0].Resource",
                                        "Policies[1].Statement[0].Resource"]
    assert {f.level for f in fs} == {"error"}


def test_forbidden_policies_are_a_parameter(tmp_path):
    cfg = {"rules": {"SM402": {"params": {"forbidden_managed_policies": [
        "arn:aws:iam::aws:policy/CloudWatchLogsFullAccess"]}}}}
    fs = scan_text(tmp_path, (DIR / "bad.yaml").read_text(), config=cfg, rule="SM402")
    assert [f.message for f in fs if f.path.startswith("ManagedPolicyArns")] == [
        "execution role ExecutionRole of model Model has CloudWatchLogsFullAccess attached; execution roles must "
        "not be admin or full-access"]


UNKNOWNS = """\
Parameters:
  Verb: {Type: String}
  RoleArn: {Type: String}
Resources:
  Invoke:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: p
      Roles: [r]
      PolicyDocument:
        Statement:
          - Effect: Allow
            Action: !Ref Verb
            Resource: "*"
  Model:
    Type: AWS::SageMaker::Model
    Properties:
      ExecutionRoleArn: !Ref RoleArn
      PrimaryContainer: {Image: 683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1}
"""


def test_unknown_action_and_role_are_unknown(tmp_path):
    fs = scan_text(tmp_path, UNKNOWNS, rule="SM402")
    assert summary(fs) == [("SM402", "Invoke", 12, "unknown"), ("SM402", "Model", 18, "unknown")]
    assert fs[0].message == ('cannot tell whether statement 0 in Invoke grants sagemaker:InvokeEndpoint on '
                             '"*": parameter Verb has no default')
    assert fs[1].message == ("cannot check whether execution role ${RoleArn} of model Model is least-privilege: "
                             "cannot tell which IamRole: parameter RoleArn has no default")


def test_fn_if_resource(tmp_path):
    text = """\
    Parameters:
      Scope: {Type: String}
    Conditions:
      Narrow: !Equals [!Ref Scope, "narrow"]
    Resources:
      Invoke:
        Type: AWS::IAM::Policy
        Properties:
          PolicyName: p
          Roles: [r]
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: sagemaker:InvokeEndpoint
                Resource: !If [Narrow, "arn:aws:sagemaker:us-east-1:111111111111:endpoint/churn", "*"]
    """
    fs = scan_text(tmp_path, text, rule="SM402")
    assert summary(fs) == [("SM402", "Invoke", 15, "fail")]
    assert fs[0].message == ('statement 0 in Invoke allows Action "sagemaker:InvokeEndpoint" on Resource "*"; '
                             f"{LEAST} [when not (parameter Scope = 'narrow')]")


def test_corpus_042_admin_inline_policy():
    fs = scan_file(next(CORPUS.glob("042_*")), rule="SM402")
    assert [(f.resource.id, f.location.line, f.outcome, f.path) for f in fs] == [
        ("Model", 65, "unknown", "ExecutionRoleArn"),  # "ExecutionRole.Arn" is a literal, not a GetAtt
        ("ExecutionRole", 95, "fail", "Policies[0].PolicyDocument.Statement[0].Resource"),
    ]


def test_corpus_039_full_access_through_join_with_partition():
    fs = scan_file(next(CORPUS.glob("039_*")), rule="SM402")
    assert [(f.resource.id, f.location.line, f.outcome, f.message) for f in fs] == [
        ("ExecutionRole", 59, "fail", "execution role ExecutionRole of model SageMakerModel has "
                                      "AmazonSageMakerFullAccess attached; execution roles must not be admin or "
                                      "full-access")]


# -- live --------------------------------------------------------------------------

ACCT = "111111111111"


def _live(*trails: tuple, gap: bool = False) -> Inventory:
    inv = Inventory(complete=True)
    inv.add(Endpoint(meta=live_meta("AWS::SageMaker::Endpoint", "churn"), EndpointName="churn"))
    for name, multi, logging in trails:
        inv.add(Trail(meta=live_meta("AWS::CloudTrail::Trail", name,
                                     arn=f"arn:aws:cloudtrail:us-east-1:{ACCT}:trail/{name}"),
                      TrailName=name, IsMultiRegionTrail=multi, IsLogging=logging))
    if gap:
        inv.gaps.append(CoverageGap(account=ACCT, service="cloudtrail", operation="DescribeTrails",
                                    kinds=["Trail"], error="AccessDenied"))
    return inv


def test_live_logging_multi_region_trail_passes():
    assert evaluate_inventory(_live(("org", True, True)), "SM402") == []


def test_live_no_trail_fails_on_the_account():
    fs = evaluate_inventory(_live(), "SM402")
    assert summary(fs) == [("SM402", f"arn:aws:iam::{ACCT}:root", None, "fail")]
    assert fs[0].location.account == ACCT
    assert fs[0].message == (f"account {ACCT} has no logging multi-region CloudTrail trail (no trails found); the "
                             "policy wants endpoint invocations audited through CloudTrail")


def test_live_single_region_or_stopped_trails_fail():
    fs = evaluate_inventory(_live(("regional", False, True), ("stopped", True, False)), "SM402")
    assert [f.message for f in fs] == [
        f"account {ACCT} has no logging multi-region CloudTrail trail (found regional (single-region, logging); "
        "stopped (multi-region, not logging)); the policy wants endpoint invocations audited through CloudTrail"]


def test_live_unreadable_trails_are_unknown():
    fs = evaluate_inventory(_live(gap=True), "SM402")
    assert summary(fs) == [("SM402", f"arn:aws:iam::{ACCT}:root", None, "unknown")]
    # the engine, not the rule, turns the verdict unknown: the rule reads trails
    assert fs[0].message == f"cannot verify SM402 for arn:aws:iam::{ACCT}:root: AccessDenied on cloudtrail:DescribeTrails"


def test_live_execution_role_with_full_access():
    inv = _live(("org", True, True))
    role_arn = f"arn:aws:iam::{ACCT}:role/churn-exec"
    # IAM is global: the collector gives roles no region
    inv.add(IamRole(meta=live_meta("AWS::IAM::Role", "churn-exec", arn=role_arn, region=None), RoleName="churn-exec",
                    Arn=role_arn, ManagedPolicyArns=["arn:aws:iam::aws:policy/AdministratorAccess"]))
    inv.add(Model(meta=live_meta("AWS::SageMaker::Model", "churn"), ModelName="churn", ExecutionRoleArn=role_arn))
    fs = evaluate_inventory(inv, "SM402")
    assert summary(fs) == [("SM402", "churn-exec", None, "fail")]
    assert fs[0].location.arn == role_arn
    assert fs[0].message == ("execution role churn-exec of model churn has AdministratorAccess attached; execution "
                             "roles must not be admin or full-access")


def test_live_role_that_was_not_collected_is_unknown():
    inv = _live(("org", True, True))
    inv.add(Model(meta=live_meta("AWS::SageMaker::Model", "churn"), ModelName="churn",
                  ExecutionRoleArn=f"arn:aws:iam::{ACCT}:role/elsewhere"))
    fs = evaluate_inventory(inv, "SM402")
    assert [(f.outcome, f.message) for f in fs] == [
        ("unknown", f"execution role arn:aws:iam::{ACCT}:role/elsewhere of model churn was not collected; cannot "
                    "check its permissions")]


def test_templates_never_get_the_cloudtrail_finding():
    assert scan_file(DIR / "good.yaml", rule="SM402") == []  # no trail in the template is not a finding


# ---- revision 2: wildcard endpoint ARNs, s3:* on *, CloudTrail cannot show invocations ------

WILDCARDS = """\
Resources:
  Callers:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Statement:
          - Sid: AllRegions
            Effect: Allow
            Action: sagemaker:InvokeEndpoint
            Resource: arn:aws:sagemaker:*:*:endpoint/*
          - Sid: ThisAccount
            Effect: Allow
            Action: sagemaker:InvokeEndpointAsync
            Resource: !Sub arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:endpoint/*
          - Sid: OneEndpoint
            Effect: Allow
            Action: sagemaker:InvokeEndpoint
            Resource: !Sub arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:endpoint/churn-prod
          - Sid: Prefix
            Effect: Allow
            Action: sagemaker:InvokeEndpoint
            Resource: arn:aws:sagemaker:us-east-1:111111111111:endpoint/churn-*
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {}
      Policies:
        - PolicyName: artifacts
          PolicyDocument:
            Statement:
              - {Effect: Allow, Action: "s3:*", Resource: "*"}
              - {Effect: Allow, Action: "s3:GetObject", Resource: "arn:aws:s3:::ml-artifacts/*"}
  Model:
    Type: AWS::SageMaker::Model
    Properties:
      ExecutionRoleArn: !GetAtt Role.Arn
      PrimaryContainer: {Image: 763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1.0-cpu-py310}
"""


def test_wildcard_endpoint_arns_and_s3_everything(tmp_path):
    fs = scan_text(tmp_path, WILDCARDS, rule="SM402")
    assert [(f.resource.id, f.location.line, f.outcome, f.path) for f in fs] == [
        ("Callers", 10, "fail", "PolicyDocument.Statement[0].Resource"),
        ("Callers", 14, "fail", "PolicyDocument.Statement[1].Resource"),
        ("Role", 31, "fail", "Policies[0].PolicyDocument.Statement[0].Action"),
    ]
    m = [f.message for f in fs]
    assert m[0] == ('statement AllRegions in Callers allows Action "sagemaker:InvokeEndpoint" on Resource '
                    '"arn:aws:sagemaker:*:*:endpoint/*" (every endpoint); least privilege wants invoke granted on '
                    'specific endpoint ARNs')
    assert m[1].startswith('statement ThisAccount in Callers allows Action "sagemaker:InvokeEndpointAsync" on '
                           'Resource "arn:')
    assert m[1].endswith(':endpoint/*" (every endpoint); least privilege wants invoke granted on specific '
                         'endpoint ARNs')
    assert m[2] == ('execution role Role of model Model: statement 0 in artifacts of Role allows Action "s3:*" on '
                    'Resource "*" (every bucket in the account); execution roles must be least-privilege: grant '
                    "the model's artifact and data buckets only")


def test_s3_star_on_a_role_no_model_uses_is_not_an_execution_role_finding(tmp_path):
    text = WILDCARDS[:WILDCARDS.index("  Model:")]
    assert [f.resource.id for f in scan_text(tmp_path, text, rule="SM402")] == ["Callers", "Callers"]


def test_live_cloudtrail_cannot_show_invocations_note():
    from auditor.config import parse
    from auditor.models.resources import Trail
    from auditor.runner import build_ruleset, run_rules, settings_for

    inv = Inventory(complete=True)
    inv.add(Trail(meta=live_meta("AWS::CloudTrail::Trail", "org",
                                 arn="arn:aws:cloudtrail:us-east-1:111111111111:trail/org"),
                  TrailName="org", IsLogging=True, IsMultiRegionTrail=True))
    cfg = parse({}, "t")
    fs, es = run_rules([inv], build_ruleset(cfg, ["SM402"]), settings_for(cfg, False))
    assert [f for f in fs if f.rule == "SM402"] == []
    note = next(e for e in es if e.resource == "arn:aws:iam::111111111111:root")
    assert (note.outcome, note.note.split(":")[0]) == (
        "pass", "endpoint invocations in account 111111111111 cannot be audited through CloudTrail")
    assert "except InvokeEndpoint and InvokeEndpointAsync" in note.note
