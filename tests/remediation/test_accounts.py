"""Several accounts in one remediation: ``remediate --role-arn ... --role-arn
...`` audits and plans through the audit's own fan-out, journals the account,
region and role of every change, and ``restore`` assumes the same roles.
moto's STS AssumeRole on the loopback server hands out credentials that act
in the role's account, so two role ARNs are two real accounts here."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.live.conftest import aws  # noqa: F401 - moto server with moto_ext's AWS-like answers

from .conftest import ACCOUNT, IMAGE, REGION, make_endpoint
from .test_cli import run

pytestmark = pytest.mark.live

A, B = "111111111111", "222222222222"
ROLE = {A: f"arn:aws:iam::{A}:role/sm-audit-remediate", B: f"arn:aws:iam::{B}:role/sm-audit-remediate"}
ENDPOINT = {A: "scorer-prod", B: "ranker-prod"}


def session(account):
    role = ROLE.get(account) or f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole"
    c = boto3.client("sts", region_name=REGION).assume_role(RoleArn=role, RoleSessionName="seed")
    c = c["Credentials"]
    return boto3.Session(aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                         aws_session_token=c["SessionToken"], region_name=REGION)


def prod_endpoint(account, name=None):
    """One production endpoint without autoscaling (SM202 fails on it)."""
    sm, name = session(account).client("sagemaker"), name or ENDPOINT[account]
    sm.create_model(ModelName=f"{name}-model", ExecutionRoleArn=f"arn:aws:iam::{account}:role/sm",
                    PrimaryContainer={"Image": IMAGE, "ModelDataUrl": f"s3://b/models/{name}/v1.0.0/m.tar.gz"})
    sm.create_endpoint_config(EndpointConfigName=f"{name}-config", ProductionVariants=[
        {"VariantName": "AllTraffic", "ModelName": f"{name}-model", "InstanceType": "ml.m5.large",
         "InitialInstanceCount": 1, "InitialVariantWeight": 1.0}])
    sm.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config",
                       Tags=[{"Key": "Environment", "Value": "prod"}])


def targets(account):
    aas = (boto3.Session(region_name=REGION) if account == ACCOUNT else session(account)).client(
        "application-autoscaling")
    return [(t["ResourceId"], t["MinCapacity"], t["MaxCapacity"])
            for t in aas.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]]


def rid(account, name=None):
    return f"endpoint/{name or ENDPOINT[account]}/variant/AllTraffic"


@pytest.fixture
def two_accounts(aws):  # noqa: F811
    prod_endpoint(A)
    prod_endpoint(B)
    return aws


def pending(path):
    return [r for r in map(json.loads, path.read_text().splitlines()) if r["status"] == "pending"]


def test_remediate_and_restore_across_two_accounts_through_their_roles(two_accounts, capsys, tmp_path):
    journal = tmp_path / "j.jsonl"
    code, out, err = run(capsys, "remediate", "--role-arn", ROLE[A], "--role-arn", ROLE[B], "--region", REGION,
                         "--rule", "apply-autoscaling", "--apply", "--yes", "--journal", str(journal),
                         "--format", "json")
    assert code == 0, err
    plan = json.loads(out)["plan"]
    assert [(c["account"], c["name"], c["status"]) for c in plan["changes"]] == [
        (A, "scorer-prod/AllTraffic", "done"), (B, "ranker-prod/AllTraffic", "done")]
    assert targets(A) == [(rid(A), 1, 4)] and targets(B) == [(rid(B), 1, 4)]
    # each change says where it was made and through which role
    assert [(r["account"], r["region"], r["role_arn"], r["name"]) for r in pending(journal)] == [
        (A, REGION, ROLE[A], "scorer-prod/AllTraffic"), (B, REGION, ROLE[B], "ranker-prod/AllTraffic")]

    undo = tmp_path / "undo.jsonl"
    code, out, err = run(capsys, "restore", "--journal", str(journal), "--yes", "--restore-journal", str(undo),
                         "--format", "json")
    assert code == 0, err
    assert f"scorer-prod/AllTraffic ({A} {REGION} via {ROLE[A]})" in err
    outcomes = json.loads(out)["outcomes"]
    assert [(o["account"], o["role_arn"], o["status"]) for o in outcomes] == [
        (B, ROLE[B], "restored"), (A, ROLE[A], "restored")]
    assert targets(A) == [] and targets(B) == []
    assert [(r["account"], r["role_arn"]) for r in pending(undo)] == [(B, ROLE[B]), (A, ROLE[A])]


def test_max_changes_counts_over_all_accounts(two_accounts, capsys, tmp_path):
    args = ["remediate", "--role-arn", ROLE[A], "--role-arn", ROLE[B], "--region", REGION,
            "--rule", "apply-autoscaling", "--apply", "--yes", "--journal", str(tmp_path / "j.jsonl")]
    # one change in each account: two in all, more than the budget of one
    code, _, err = run(capsys, *args, "--max-changes", "1")
    assert code == 2 and "the plan has 2 change(s), more than --max-changes 1: refused" in err
    assert targets(A) == [] and targets(B) == [] and not (tmp_path / "j.jsonl").exists()
    code, _, err = run(capsys, *args, "--max-changes", "2")
    assert code == 0, err
    assert targets(A) == [(rid(A), 1, 4)] and targets(B) == [(rid(B), 1, 4)]


def deny_assume(account):
    """A session hook: AssumeRole of ``account``'s role is refused."""
    def hook(s):
        def before(params=None, model=None, **_):
            if model.name == "AssumeRole" and f":{account}:" in params.get("RoleArn", ""):
                raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not trusted"}}, "AssumeRole")
        s.events.register("before-parameter-build.sts.AssumeRole", before)
    return hook


def test_an_account_whose_role_is_refused_is_reported_and_the_other_is_remediated(two_accounts, tmp_path):
    from auditor.config import parse
    from auditor.remediate import RemediateOptions, remediate

    opts = RemediateOptions(apply=True, rules=["apply-autoscaling"], regions=[REGION], role_arns=[ROLE[A], ROLE[B]],
                            journal=str(tmp_path / "j.jsonl"), session_hooks=[deny_assume(A)])
    result = remediate(parse({}, "test"), opts)
    assert [(c.account, c.status) for c in result.plan.changes] == [(B, "done")]
    [skip] = [s for s in result.plan.skipped if s.account == A]
    assert (skip.action, skip.name, skip.reason) == (
        "*", "(account)", f"not remediated: cannot assume {ROLE[A]}: not trusted (AccessDenied on sts:AssumeRole)")
    from auditor.remediation.render import plan_text

    assert (f"  - *  (account)  ({A}): not remediated: cannot assume {ROLE[A]}: not trusted "
            "(AccessDenied on sts:AssumeRole)") in plan_text(result.plan, result.findings)
    [err] = [f for f in result.doc.findings if f.rule == "SM001"]  # the audit reports it too
    assert err.message.startswith(f"account {A} could not be audited: AccessDenied on sts:AssumeRole")
    assert targets(A) == [] and targets(B) == [(rid(B), 1, 4)]
    assert result.exit_code == 0


def test_a_failing_change_stops_only_its_own_account(two_accounts, tmp_path):
    from auditor.config import parse
    from auditor.remediate import RemediateOptions, remediate

    prod_endpoint(A, "scorer-prod-v2")  # after scorer-prod in the plan's order

    def fail_in_a(s):
        def before(params=None, **_):
            if params.get("ResourceId") == rid(A):
                raise ClientError({"Error": {"Code": "ValidationException", "Message": "injected"}},
                                  "RegisterScalableTarget")
        s.events.register("before-parameter-build.application-autoscaling.RegisterScalableTarget", before)

    opts = RemediateOptions(apply=True, rules=["apply-autoscaling"], regions=[REGION], role_arns=[ROLE[A], ROLE[B]],
                            journal=str(tmp_path / "j.jsonl"), session_hooks=[fail_in_a])
    result = remediate(parse({}, "test"), opts)
    assert [(c.account, c.name, c.status) for c in result.plan.changes] == [
        (A, "scorer-prod/AllTraffic", "failed"),
        (A, "scorer-prod-v2/AllTraffic", f"not run: an earlier change in account {A} failed"),
        (B, "ranker-prod/AllTraffic", "done")]
    assert result.exit_code == 1
    assert targets(B) == [(rid(B), 1, 4)]


def test_restore_reports_an_account_whose_role_is_refused_and_restores_the_other(two_accounts, tmp_path):
    from auditor.config import parse
    from auditor.live.session import SessionFactory
    from auditor.remediate import RemediateOptions, remediate
    from auditor.remediation.accounts import clients_for_journal
    from auditor.remediation.base import Context
    from auditor.remediation.journal import Journal, read
    from auditor.remediation.planner import build_options
    from auditor.remediation.restore import restore

    path = tmp_path / "j.jsonl"
    remediate(parse({}, "test"), RemediateOptions(apply=True, rules=["apply-autoscaling"], regions=[REGION],
                                                  role_arns=[ROLE[A], ROLE[B]], journal=str(path)))
    entries, _ = read(path)
    clients = clients_for_journal(SessionFactory(hooks=[deny_assume(B)]), entries, REGION)
    ctx = Context(clients=clients, now=datetime.now(timezone.utc), options=build_options(None, {}))
    undo = Journal(tmp_path / "undo.jsonl", "undo", kind="restore")
    out = restore(entries, ctx, undo)
    undo.close()
    assert [(o.entry.record["account"], o.status) for o in out] == [(B, "failed"), (A, "restored")]
    assert f"cannot assume {ROLE[B]}: AssumeRole: AccessDenied: not trusted" in out[0].detail
    assert targets(A) == [] and targets(B) == [(rid(B), 1, 4)]


def test_org_role_remediates_members_through_the_role_and_the_caller_with_its_own_credentials(
        aws, capsys, tmp_path):  # noqa: F811
    org = boto3.client("organizations", region_name=REGION)
    org.create_organization(FeatureSet="ALL")
    member = org.create_account(AccountName="ml", Email="ml@example.com")["CreateAccountStatus"]["AccountId"]
    prod_endpoint(member, "member-prod")
    make_endpoint("caller-prod")  # in the organization's management account: the caller's own
    journal = tmp_path / "j.jsonl"
    code, out, err = run(capsys, "remediate", "--org-role", "OrganizationAccountAccessRole", "--region", REGION,
                         "--rule", "SM202", "--apply", "--yes", "--journal", str(journal))
    assert code == 0, err
    role = f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole"
    assert sorted((r["account"], r.get("role_arn"), r["name"]) for r in pending(journal)) == sorted([
        (ACCOUNT, None, "caller-prod/AllTraffic"), (member, role, "member-prod/AllTraffic")])
    assert targets(member) == [(rid(member, "member-prod"), 1, 4)]
    assert [t[0] for t in targets(ACCOUNT)] == ["endpoint/caller-prod/variant/AllTraffic"]
    code, out, err = run(capsys, "restore", "--journal", str(journal), "--yes", "--format", "json")
    assert code == 0, err
    assert sorted(o["status"] for o in json.loads(out)["outcomes"]) == ["restored", "restored"]
    assert targets(member) == [] and targets(ACCOUNT) == []
