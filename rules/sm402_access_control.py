"""SM402 access-control."""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from typing import Any, Iterator, Optional

from auditor.models.resources import Account, Meta
from auditor.rulebase import Fail, Note, Rule, RuleParams, Undecided
from auditor.values import Str, Sym, Unknown, as_bool, display, is_known, why_unknown

MAYBE = None  # tri-state: True, False, MAYBE


def _list(v: Any) -> Optional[list]:
    """A policy field as a list (IAM allows a single string); None when unknown."""
    if v is None:
        return []
    if isinstance(v, list):
        return v
    if isinstance(v, Unknown):
        return None
    return [v]


def _could_be(v: Any, literal: str) -> bool:
    """Could an unknown value turn out to be ``literal``? A Ref/GetAtt of a
    resource is an ARN or name, never a wildcard; a !Sub keeps its literal
    parts."""
    if isinstance(v, Sym):
        return v.kind in ("param", "import")
    if isinstance(v, Str):
        rx = "".join(re.escape(p) if isinstance(p, str) else
                     (".*" if p.kind in ("param", "import") else "[^*]+") for p in v.parts)
        return re.fullmatch(rx, literal) is not None
    return True


def _every_endpoint(arn: str) -> bool:
    """Does an IAM resource pattern cover every endpoint (of an account and
    region, or of all)? ``arn:aws:sagemaker:*:*:endpoint/*``,
    ``arn:aws:sagemaker:eu-west-1:123456789012:endpoint/*``, ``...:*``."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not fnmatchcase("sagemaker", parts[2].lower()):
        return False
    rest = parts[5].lower()
    return all(fnmatchcase(f"endpoint/{name}", rest) for name in ("q7-any-endpoint", "zz9"))


def _placeholder(v: Str) -> str:
    """A !Sub with its references filled by a name without wildcards: what it
    covers whatever the partition, region and account turn out to be."""
    return "".join(p if isinstance(p, str) else "x1" for p in v.parts)


def _s3_everything(stmt: Any) -> tuple[bool, str]:
    """Does an Allow statement grant every S3 action on every resource?"""
    acts = _list(stmt.get("Action"))
    res = _list(stmt.get("Resource"))
    if not acts or not res:
        return False, ""
    hit = next((a for a in acts if isinstance(a, str) and a != "*"
                and fnmatchcase("s3:q7anyaction", a.lower()) and fnmatchcase("s3:getobject", a.lower())), None)
    return (hit is not None and "*" in res), (f'Action "{hit}" on Resource "*"' if hit else "")


def _iam_scope(a, b) -> bool:
    """Same file (templates), or same account (live: IAM has no region)."""
    if a.meta.file or b.meta.file:
        return a.meta.file == b.meta.file
    return a.meta.account == b.meta.account


def _arn_suffix(arn: str) -> str:
    """``arn:aws:iam::aws:policy/X`` -> ``:iam::aws:policy/X`` (any partition)."""
    parts = arn.split(":", 2)
    return ":" + parts[2] if len(parts) == 3 and parts[0] == "arn" else arn


def account_root(account: str, region: Optional[str]) -> Account:
    """The account as a finding's resource, for account-level verdicts."""
    arn = f"arn:aws:iam::{account}:root"
    return Account(meta=Meta(key=arn, type=Account.cfn_type, arn=arn, account=account, region=region))


class AccessControl(Rule):
    """Endpoint invocation is granted least-privilege, execution roles are not admins, and invocations are audited.

    ## What it checks
    * **No wildcard invoke grants**: no IAM policy statement (standalone
      policies, managed policies, a role's inline `Policies`, a SAM
      function's inline `Policies`) with `Effect: Allow` grants one of
      `invoke_actions` (`sagemaker:InvokeEndpoint`, ...Async,
      ...WithResponseStream) on a resource in `broad_resources` (`"*"`).
      Actions match as IAM does: case-insensitive wildcards, so `*`,
      `sagemaker:*` and `sagemaker:Invoke*` count; `NotAction` counts when it
      does not exclude the invoke action. `NotResource` with `Allow` grants
      every resource but the listed ones, and fails too. A resource ARN that
      covers every endpoint fails like `"*"`: `arn:aws:sagemaker:*:*:endpoint/*`,
      `arn:aws:sagemaker:<region>:<account>:endpoint/*`, `...:*`, also when
      written with `!Sub` (`arn:${AWS::Partition}:sagemaker:${AWS::Region}:
      ${AWS::AccountId}:endpoint/*`).
    * **Execution roles are not admin**: a role used as a model's
      `ExecutionRoleArn` has none of `forbidden_managed_policies` attached
      (`AdministratorAccess`, `AmazonSageMakerFullAccess`; matched on the ARN
      after the partition, so `arn:${AWS::Partition}:...` works) and no inline
      statement allowing `Action: "*"` on `Resource: "*"`, nor `s3:*` (any
      pattern covering every S3 action) on `Resource: "*"`. A model whose role
      is not in the template (a parameter, a literal ARN) is *unknown*.
    * **Invocations are audited** (live only): each audited account has a
      CloudTrail trail that is multi-region and logging. The finding is on
      the account (`arn:aws:iam::<account>:root`); when trails could not be
      read (a coverage gap) it is *unknown*. A template cannot tell which
      trails an account has, so `scan` skips this part. CloudTrail records
      every SageMaker API call **except** `InvokeEndpoint` and
      `InvokeEndpointAsync` (AWS documentation, "Log Amazon SageMaker API
      Calls with AWS CloudTrail"): no trail, management or data events, can
      show endpoint invocations, so `audit` says so in a note on each
      account's evaluation: that part of the policy cannot be verified by any
      trail.

    ## Why
    `InvokeEndpoint` on `*` lets a principal call every model in the account,
    including ones that return sensitive predictions; an admin execution role
    turns any code in a model container into an account takeover; without a
    trail nobody can tell who called what.

    ## Example
    ```yaml
    Statement:
      - Effect: Allow
        Action: sagemaker:InvokeEndpoint
        Resource: "*"                 # SM402
    ```

    ## Fix
    Grant invoke on the endpoints the caller needs:
    `Resource: !Sub arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:endpoint/${EndpointName}`;
    give execution roles only the S3, ECR, KMS and CloudWatch Logs
    permissions the model needs; create an organisation or multi-region
    trail with logging on.

    ## Remediation
    None automatic: narrowing permissions needs to know who should call what.
    """

    id = "SM402"
    slug = "access-control"
    title = "Least-privilege endpoint access, non-admin execution roles, CloudTrail on"
    level = "error"
    section = "Security & Compliance"
    policy = "Endpoint access must be controlled via IAM policies."
    tags = ("security", "iam", "audit")
    targets = ("IamPolicy", "IamRole", "Model")
    reads = {"Model": ("IamRole",), "Account": ("Trail",)}  # trail verdicts name the account
    inventory_scope = ("live",)  # whether the account has a trail: a template cannot tell
    security_severity = 8.0

    class Params(RuleParams):
        invoke_actions: list[str] = [
            "sagemaker:InvokeEndpoint",
            "sagemaker:InvokeEndpointAsync",
            "sagemaker:InvokeEndpointWithResponseStream",
        ]
        broad_resources: list[str] = ["*"]
        forbidden_managed_policies: list[str] = [
            "arn:aws:iam::aws:policy/AdministratorAccess",
            "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess",
        ]
        require_cloudtrail: bool = True

    # -- per resource -----------------------------------------------------------
    def check(self, res, ctx):
        if res.kind == "Model":
            yield from self._model(res, ctx)
            return
        exec_models = self._models_using(res, ctx) if res.kind == "IamRole" else []
        for path, stmt, policy_name in self._statements(res):
            yield from self._statement(res, path, stmt, policy_name, exec_models)
        if exec_models:
            yield from self._managed(res, exec_models)

    def _statements(self, res) -> Iterator[tuple[tuple, Any, str]]:
        if res.kind == "IamPolicy":
            doc = res.PolicyDocument
            if doc is not None and not is_known(doc):
                yield ("PolicyDocument",), doc, display(res.name)
            for path, st in res.statements():
                yield path, st, res.label
            return
        pols = res.Policies
        if pols is not None and not is_known(pols):
            yield ("Policies",), pols, "inline policies"
            return
        sam = res.meta.type == "AWS::Serverless::Function"
        for j, p in enumerate(pols if isinstance(pols, list) else []):
            if not isinstance(p, dict):
                continue
            name = p.get("PolicyName")
            base: tuple = ("Policies", j, "PolicyDocument")
            if sam:  # normalised from Policies[i] (a statement document) - keep the template's path
                m = re.fullmatch(r"Policies\[(\d+)\]", str(name))
                base = ("Policies", int(m.group(1))) if m else ("Policies",)
            doc = p.get("PolicyDocument")
            if doc is not None and not is_known(doc):
                yield base, doc, display(name)
                continue
            st = doc.get("Statement") if isinstance(doc, dict) else None
            if isinstance(st, dict):
                yield base + ("Statement",), st, display(name)
            elif isinstance(st, list):
                for i, s in enumerate(st):
                    yield base + ("Statement", i), s, display(name)
            elif st is not None:
                yield base + ("Statement",), st, display(name)

    def _statement(self, res, path, stmt, policy_name, exec_models):
        p = self.params
        where = f"{policy_name} of {res.label}" if policy_name != res.label else policy_name
        if not is_known(stmt) or not isinstance(stmt, dict):
            if not is_known(stmt):
                yield Undecided(path, f"cannot check policy {where}: {why_unknown(stmt)}")
            return
        sid = stmt.get("Sid")
        label = f"statement {display(sid)}" if isinstance(sid, str) else f"statement {path[-1]}" \
            if isinstance(path[-1], int) else "statement"
        effect = stmt.get("Effect")
        if is_known(effect) and effect != "Allow":
            return
        allow = MAYBE if not is_known(effect) else True
        if exec_models and allow is True:
            s3, what = _s3_everything(stmt)
            if s3:
                yield Fail(path + ("Action",), f"execution role {res.label} of model {', '.join(exec_models)}: "
                           f"{label} in {where} allows {what} (every bucket in the account); execution roles "
                           "must be least-privilege: grant the model's artifact and data buckets only")
        grants, matched = self._grants(stmt)
        if grants is False:
            return
        if "NotResource" in stmt:
            broad, rkey, rdesc = True, "NotResource", "NotResource (every resource but the listed ones)"
        else:
            broad, rkey, rdesc = self._broad(stmt.get("Resource"))
        if broad is False:
            return
        admin = bool(exec_models) and matched == 'Action "*"' and rkey == "Resource"
        if allow is True and grants is True and broad is True:
            if admin:
                yield Fail(path + (rkey,), f"execution role {res.label} of model {', '.join(exec_models)}: "
                           f"{label} in {where} allows Action \"*\" on Resource \"*\" (full admin); execution "
                           "roles must be least-privilege")
            else:
                yield Fail(path + (rkey,), f"{label} in {where} allows {matched} on {rdesc}; least privilege "
                           "wants invoke granted on specific endpoint ARNs")
            return
        unknown = [why_unknown(v) for v in (effect, stmt.get("Action"), stmt.get("NotAction"),
                                            stmt.get("Resource")) if v is not None and not is_known(v)]
        unknown += [why_unknown(x) for k in ("Action", "NotAction", "Resource")
                    for x in (_list(stmt.get(k)) or []) if not is_known(x)]
        action = p.invoke_actions[0] if p.invoke_actions else "an invoke action"
        wide = p.broad_resources[0] if p.broad_resources else "*"
        yield Undecided(path, f"cannot tell whether {label} in {where} grants {action} on "
                        f"\"{wide}\": {unknown[0] if unknown else 'a value is unknown'}")

    def _grants(self, stmt) -> tuple[Any, str]:
        """(does the statement grant an invoke action, the pattern that does)."""
        p = self.params
        wanted = [a.lower() for a in p.invoke_actions]
        if "NotAction" in stmt:
            pats = _list(stmt.get("NotAction"))
            if pats is None or any(not isinstance(x, str) for x in pats):
                return MAYBE, "NotAction"
            for a in wanted:
                if not any(fnmatchcase(a, x.lower()) for x in pats):
                    listed = ", ".join(f'"{x}"' for x in pats)
                    return True, f"NotAction [{listed}] (which does not exclude {p.invoke_actions[wanted.index(a)]})"
            return False, ""
        pats = _list(stmt.get("Action"))
        if pats is None:
            return MAYBE, ""
        maybe = False
        for x in pats:
            if not isinstance(x, str):
                maybe = True
                continue
            if any(fnmatchcase(a, x.lower()) for a in wanted):
                return True, f'Action "{x}"'
        return (MAYBE if maybe else False), ""

    def _broad(self, resource) -> tuple[Any, str, str]:
        vals = _list(resource)
        if vals is None:
            return MAYBE, "Resource", ""
        maybe = False
        for v in vals:
            if isinstance(v, str):
                if v in self.params.broad_resources:
                    return True, "Resource", f"Resource \"{v}\""
                if _every_endpoint(v):
                    return True, "Resource", f"Resource \"{v}\" (every endpoint)"
            elif isinstance(v, Str) and _every_endpoint(_placeholder(v)):
                return True, "Resource", f"Resource \"{display(v)}\" (every endpoint)"
            elif any(_could_be(v, b) for b in self.params.broad_resources):
                maybe = True
        return (MAYBE if maybe else False), "Resource", ""

    # -- execution roles ----------------------------------------------------------
    @staticmethod
    def _models_using(role, ctx) -> list[str]:
        return [m.label for m in ctx.inv.models
                if _iam_scope(m, role) and role.is_referenced_by(m.ExecutionRoleArn)]

    def _managed(self, role, exec_models):
        arns = role.ManagedPolicyArns
        who = f"execution role {role.label} of model {', '.join(exec_models)}"
        if arns is not None and not is_known(arns):
            yield Undecided(("ManagedPolicyArns",), f"cannot tell the managed policies of {who}: "
                            f"{why_unknown(arns)}")
            return
        forbidden = {_arn_suffix(f): f for f in self.params.forbidden_managed_policies}
        for i, a in enumerate(arns if isinstance(arns, list) else []):
            if isinstance(a, Unknown):
                yield Undecided(("ManagedPolicyArns", i), f"cannot tell managed policy {i} of {who}: {a.reason}")
                continue
            text = display(a)
            hit = next((full for suf, full in forbidden.items() if text.endswith(suf)), None)
            if hit:
                name = hit.rsplit("/", 1)[-1]
                yield Fail(("ManagedPolicyArns", i), f"{who} has {name} attached; execution roles must not be "
                           "admin or full-access")
            elif not is_known(a) and not text.startswith("arn:"):
                yield Undecided(("ManagedPolicyArns", i), f"cannot tell managed policy {text} of {who}: "
                                f"{why_unknown(a)}")

    def _model(self, model, ctx):
        ref = model.ExecutionRoleArn
        if ref is None:
            return
        # IAM is global: a role has no region and is found across the model's account
        role = ctx.inv.find("IamRole", ref, model)
        if isinstance(role, Unknown):
            yield Undecided(("ExecutionRoleArn",), f"cannot check whether execution role {display(ref)} of model "
                            f"{model.label} is least-privilege: {role.reason}")
        elif role is None:
            yield Undecided(("ExecutionRoleArn",), f"execution role {display(ref)} of model {model.label} was not "
                            "collected; cannot check its permissions")

    # -- CloudTrail (live) ----------------------------------------------------------
    def check_inventory(self, ctx):
        inv = ctx.inv
        if not self.params.require_cloudtrail:
            return
        accounts: dict[str, Optional[str]] = {}
        for r in inv.all():
            if r.meta.account and r.meta.account not in accounts:
                accounts[r.meta.account] = r.meta.region
        for acct in sorted(accounts):
            yield from self._trail(acct, accounts[acct], ctx)
            # AWS documents that CloudTrail records every SageMaker API call except
            # InvokeEndpoint and InvokeEndpointAsync: no trail can show invocations
            yield account_root(acct, accounts[acct]), Note(("CloudTrail", "InvokeEndpoint"), (
                f"endpoint invocations in account {acct} cannot be audited through CloudTrail: CloudTrail records "
                "every SageMaker API call except InvokeEndpoint and InvokeEndpointAsync (AWS documentation, "
                "\"Log Amazon SageMaker API Calls with AWS CloudTrail\"), neither as management nor as data "
                "events; trails show who created, changed or deleted endpoints. Record who calls which endpoint "
                "through the caller's own logs or the endpoint's data capture"))

    def _trail(self, acct, region, ctx):
        anchor = account_root(acct, region)
        trails = [t for t in ctx.inv.of("Trail") if t.meta.account in (acct, None)]
        good, undecided, seen = False, [], []
        for t in trails:
            multi, logging = as_bool(t.IsMultiRegionTrail), as_bool(t.IsLogging)
            if multi and logging:
                good = True
                break
            if multi is None or logging is None:
                undecided.append(t.label)
            seen.append(f"{t.label} ({'multi-region' if multi else 'single-region'}, "
                        f"{'logging' if logging else 'not logging' if logging is False else 'status unknown'})")
        if good:
            return
        # a CloudTrail read failure is a gap of kind Trail: the engine makes this verdict unknown
        if undecided:
            yield anchor, Undecided((), f"cannot tell whether account {acct} has a logging multi-region CloudTrail "
                                    f"trail: the status of trail {', '.join(undecided)} is unknown")
            return
        found = f"found {'; '.join(seen)}" if seen else "no trails found"
        yield anchor, Fail((), f"account {acct} has no logging multi-region CloudTrail trail ({found}); the policy "
                           "wants endpoint invocations audited through CloudTrail")
