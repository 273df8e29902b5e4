"""Issue 13, live side: what the audit cannot see is a gap or an SM001
finding, never a silent pass and never an internal error (exit 3)."""

from __future__ import annotations

import pytest

from auditor.exitcodes import for_findings

from .live_helpers import ACCOUNT, REGION, client, fail_call, findings, make_endpoint, run_audit

pytestmark = pytest.mark.live


# -- item 3: --org-role that sees no account ----------------------------------------------------------

def _no_active_accounts(session):
    def after_call(model=None, parsed=None, **_):
        if model.name == "ListAccounts":
            for a in parsed.get("Accounts") or []:
                a["Status"] = "SUSPENDED"
    session.events.register("after-call", after_call)


@pytest.mark.parametrize("case,hooks,expected", [
    ("denied", [fail_call("organizations", "ListAccounts")],
     "the organization could not be audited: AccessDenied on organizations:ListAccounts "
     "(cannot list the organization's accounts: User is not authorized)"),
    # AWS's answer outside an organization (moto 5.2.5 answers an empty list instead: the next case)
    ("not-in-use", [fail_call("organizations", "ListAccounts", "AWSOrganizationsNotInUseException", 400,
                              message="Your account is not a member of an organization.")],
     "the organization could not be audited: AWSOrganizationsNotInUseException on organizations:ListAccounts "
     "(cannot list the organization's accounts: Your account is not a member of an organization.)"),
    ("no-organization", [], "the organization could not be audited: NothingToAudit on organizations:ListAccounts "
                            "(the organization lists no account: nothing was audited)"),
    ("no-active-account", [_no_active_accounts],
     "the organization could not be audited: NothingToAudit on organizations:ListAccounts (the organization "
     "lists 1 account(s), none of them active: nothing was audited)"),
])
def test_org_role_that_sees_nothing_is_an_error_finding(aws, case, hooks, expected):
    make_endpoint("ep", instances=2)
    if case not in ("not-in-use", "no-organization"):
        client("organizations").create_organization(FeatureSet="ALL")
    result = run_audit(org_role="OrganizationAccountAccessRole", hooks=hooks)
    (f,) = findings(result, "SM001")
    assert f.message.startswith(expected), f.message
    assert f.outcome == "error" and for_findings(result.doc.findings, "error") == 1
    assert result.inventory.endpoints == []


def test_org_role_with_an_active_account_audits_it(aws):
    # control for the above: the same organization, listed, is audited
    make_endpoint("ep", instances=2)
    client("organizations").create_organization(FeatureSet="ALL")
    result = run_audit(org_role="OrganizationAccountAccessRole")
    assert findings(result, "SM001") == [] and [e.EndpointName for e in result.inventory.endpoints] == ["ep"]
    assert result.doc.run.accounts == [ACCOUNT]


@pytest.mark.parametrize("args,fragment", [
    (["--role-arn", "not-an-arn"], "--role-arn 'not-an-arn' is not an IAM role ARN"),
    (["--role-arn", "arn:aws:iam::12345:role/x"], "is not an IAM role ARN"),
    (["--role-arn", "arn:aws:s3:::bucket"], "is not an IAM role ARN"),
    (["--org-role", "bad role name!"], "--org-role 'bad role name!' is not an IAM role name"),
])
def test_malformed_role_is_a_usage_error(capsys, args, fragment):
    from tests.static.helpers import run_cli

    r = run_cli(capsys, "audit", "--region", REGION, *args)
    assert r.code == 2 and fragment in r.err and "internal error" not in r.err
