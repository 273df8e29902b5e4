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


# -- item 2: a response without the fields a rule reads ------------------------------------------------

def _empty_describe(operation):
    def hook(session):
        def after_call(model=None, parsed=None, **_):
            if model.name == operation:
                for k in list(parsed):
                    if k != "ResponseMetadata":
                        del parsed[k]
        session.events.register("after-call", after_call)
    return hook


def test_empty_describe_endpoint_is_a_gap_not_a_pass(aws):
    from datetime import datetime, timedelta, timezone

    from .live_helpers import backdate

    make_endpoint("idle", instances=2)
    backdate("idle", 30)
    before = run_audit(now=datetime.now(timezone.utc) + timedelta(minutes=1))
    assert [f.outcome for f in findings(before, "SM502", "idle")] == ["fail"]
    result = run_audit(hooks=[_empty_describe("DescribeEndpoint")],
                       now=datetime.now(timezone.utc) + timedelta(minutes=1))
    (g,) = [g for g in result.doc.gaps if g.operation == "DescribeEndpoint"]
    assert g.error == "IncompleteResponse" and "lacks EndpointName, EndpointArn" in g.message
    assert [f.outcome for f in findings(result, "SM502", "idle")] == ["unknown"]


@pytest.mark.parametrize("operation,rule,resource", [
    ("DescribeEndpointConfig", "SM201", "ep-config"),
    ("DescribeModel", "SM101", "ep-model"),
])
def test_any_response_missing_required_members_is_a_gap(aws, operation, rule, resource):
    # (the API model says which members a response always has; DescribeAlarms has none: an empty
    # answer there means no alarms, which fails SM301 rather than passing it)
    make_endpoint("ep", instances=1, image="docker.io/library/nginx:latest")
    result = run_audit(hooks=[_empty_describe(operation)])
    assert any(g.operation == operation and g.error == "IncompleteResponse" for g in result.doc.gaps)
    assert {f.outcome for f in findings(result, rule, resource)} <= {"unknown"}


# -- item 6: a NextToken that never ends --------------------------------------------------------------

def _endless(operation, key, cycle=None, token_key="NextToken"):
    """``operation`` answers every page with no items and a next token: new
    ones forever, or ``cycle`` tokens over and over."""
    from botocore.awsrequest import AWSResponse

    def hook(session):
        counter = {"n": 0}

        def before_call(model=None, **_):
            if model.name != operation:
                return None
            counter["n"] += 1
            token = cycle[counter["n"] % len(cycle)] if cycle else f"t{counter['n']}"
            return AWSResponse("https://example.invalid", 200, {}, None), {key: [], token_key: token}
        session.events.register("before-call", before_call)
        hook.calls = counter
    return hook


@pytest.mark.parametrize("operation,key,token_key,rule", [
    ("ListEndpoints", "Endpoints", "NextToken", None),
    ("DescribeAlarms", "MetricAlarms", "NextToken", "SM301"),
    ("GetResources", "ResourceTagMappingList", "PaginationToken", None),
    ("DescribeLogGroups", "logGroups", "nextToken", "SM301"),
])
@pytest.mark.parametrize("cycle", [None, ["a", "b", "c"]])
def test_endless_pagination_is_capped_and_a_gap(aws, monkeypatch, operation, key, token_key, rule, cycle):
    from auditor.live import paging

    monkeypatch.setattr(paging, "MAX_PAGES", 50)
    make_endpoint("ep", instances=1)
    hook = _endless(operation, key, cycle, token_key)
    result = run_audit(hooks=[hook])
    assert hook.calls["n"] <= 51
    why = "returned a next token it had returned before" if cycle else "still returned a next token after 50 pages"
    if operation == "ListEndpoints":  # nothing in the region can be seen: an error finding
        (f,) = findings(result, "SM001")
        assert "EndlessPagination" in f.message and why in f.message
        return
    if operation == "GetResources":  # tags in bulk failed: read per resource instead, as for AccessDenied
        assert result.operations.get("sagemaker:ListTags", 0) >= 1
        assert findings(result, resource="ep")
        return
    (g,) = [g for g in result.doc.gaps if g.operation == operation and g.error == "EndlessPagination"]
    assert why in g.message
    assert {f.outcome for f in findings(result, rule, "ep")} == {"unknown"}
