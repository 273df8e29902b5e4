"""Account-wide facts, collected once per account: IAM policies that can
grant SageMaker invoke and SageMaker execution roles (one paginated
GetAccountAuthorizationDetails instead of a call per role and policy), and
CloudTrail trails with their logging status."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from ..models import resources as m
from .collect import Collected, RegionCollector
from .paging import paginate
from .shape import clean, meta


def _doc(v: Any) -> Any:
    if isinstance(v, str):  # some servers send the URL-encoded JSON document
        try:
            return json.loads(urllib.parse.unquote(v))
        except ValueError:
            return None
    return clean(v)


def _as_list(v: Any) -> list:
    return v if isinstance(v, list) else [v] if v is not None else []


def grants_invoke(doc: Any) -> bool:
    """Does any Allow statement name sagemaker:InvokeEndpoint* (or a wildcard)?"""
    if not isinstance(doc, dict):
        return False
    for st in _as_list(doc.get("Statement")):
        if not isinstance(st, dict) or st.get("Effect") != "Allow":
            continue
        for a in _as_list(st.get("Action")):
            a = str(a).lower()
            if a in ("*", "sagemaker:*") or a.startswith("sagemaker:invokeendpoint") or (
                    a.startswith("sagemaker:") and a.endswith("*") and "invokeendpoint".startswith(a[10:-1])):
                return True
        if st.get("NotAction") is not None:
            return True  # NotAction allows everything it does not name
    return False


def trusts_sagemaker(doc: Any) -> bool:
    for st in _as_list((doc or {}).get("Statement") if isinstance(doc, dict) else None):
        principal = st.get("Principal") if isinstance(st, dict) else None
        services = principal.get("Service") if isinstance(principal, dict) else None
        if any("sagemaker" in str(s) for s in _as_list(services)):
            return True
    return False


# what the account task collects: an unexpected failure there hides these kinds
ACCOUNT_KINDS = ("IamPolicy", "IamRole", "Trail")


class AccountCollector(RegionCollector):
    """Global services, reached through the account's first region."""

    def collect(self) -> Collected:  # type: ignore[override]
        self.collect_iam()
        self.collect_trails()
        return self.out

    def collect_iam(self) -> None:
        c = self.client("iam")
        roles, policies, users, groups = [], [], [], []
        try:
            for page in paginate(c, "get_account_authorization_details",
                                 Filter=["Role", "LocalManagedPolicy", "User", "Group"]):
                roles += page.get("RoleDetailList") or []
                policies += page.get("Policies") or []
                users += page.get("UserDetailList") or []
                groups += page.get("GroupDetailList") or []
        except Exception as e:  # noqa: BLE001
            from . import faults

            self.out.gaps.append(faults.gap(self.account, None, "iam", "GetAccountAuthorizationDetails", e))
            return
        for p in policies:
            doc = next((_doc(v.get("Document")) for v in p.get("PolicyVersionList") or [] if v.get("IsDefaultVersion")),
                       None)
            if grants_invoke(doc):
                self.add(m.IamPolicy(meta=meta("AWS::IAM::ManagedPolicy", p["Arn"], self.account, None),
                                     PolicyName=p.get("PolicyName") or p["Arn"].rsplit("/", 1)[-1],
                                     PolicyDocument=doc,
                                     Roles=[], Users=[], Groups=[]))
        for kind, items, name_key, list_key in (("Roles", roles, "RoleName", "RolePolicyList"),
                                                ("Users", users, "UserName", "UserPolicyList"),
                                                ("Groups", groups, "GroupName", "GroupPolicyList")):
            for principal in items:
                for ip in principal.get(list_key) or []:
                    doc = _doc(ip.get("PolicyDocument"))
                    if grants_invoke(doc):
                        arn = f"{principal['Arn']}#policy/{ip['PolicyName']}"
                        self.add(m.IamPolicy(meta=meta("AWS::IAM::Policy", arn, self.account, None),
                                             PolicyName=ip["PolicyName"], PolicyDocument=doc,
                                             **{kind: [principal[name_key]]}))
        for r in roles:
            trust = _doc(r.get("AssumeRolePolicyDocument"))
            if not trusts_sagemaker(trust):
                continue
            tags = {t["Key"]: t.get("Value", "") for t in r.get("Tags") or []}
            self.add(m.IamRole(meta=meta("AWS::IAM::Role", r["Arn"], self.account, None, tags),
                               RoleName=r["RoleName"], Arn=r["Arn"], AssumeRolePolicyDocument=trust,
                               ManagedPolicyArns=[a["PolicyArn"] for a in r.get("AttachedManagedPolicies") or []],
                               Policies=[{"PolicyName": p["PolicyName"], "PolicyDocument": _doc(p.get("PolicyDocument"))}
                                         for p in r.get("RolePolicyList") or []],
                               Tags=tags))

    def collect_trails(self) -> None:
        from . import faults

        def account_wide(op: str):  # trails are account-wide: so is what a failure hides
            return lambda e: [faults.gap(self.account, None, "cloudtrail", op, e)]

        r = self._call("cloudtrail", "describe_trails", fail=account_wide("DescribeTrails"), includeShadowTrails=True)
        if r is None:
            return
        seen = set()
        for t in r.get("trailList") or []:
            arn = t.get("TrailARN") or t.get("Name")
            if arn in seen:
                continue
            seen.add(arn)
            status = self._call("cloudtrail", "get_trail_status", fail=account_wide("GetTrailStatus"), Name=arn)
            fields = dict(TrailName=t.get("Name"), IsMultiRegionTrail=t.get("IsMultiRegionTrail"),
                          S3BucketName=t.get("S3BucketName"), HomeRegion=t.get("HomeRegion"),
                          IsLogging=status.get("IsLogging") if status else None)
            if status is None:
                continue  # the gap makes trail verdicts unknown; no half-known trail
            # a multi-region trail covers every region: it is an account-wide resource
            region = None if t.get("IsMultiRegionTrail") else (t.get("HomeRegion") or self.region)
            self.add(m.Trail(meta=meta("AWS::CloudTrail::Trail", arn, self.account, region), **fields))
