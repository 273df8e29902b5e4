"""SM401 network-isolation."""

from __future__ import annotations

import re
from typing import Any, Literal

from auditor.rulebase import Fail, Rule, RuleParams, Undecided
from auditor.values import Sym, Unknown, as_bool, display, is_known, same, why_unknown

# com.amazonaws.<region>.sagemaker.runtime (and the FIPS variant); display()
# renders a !Sub'd region as ${AWS::Region}, which matches too
RUNTIME_SERVICE = re.compile(r"^com\.amazonaws\.[^.]+\.sagemaker\.runtime(-fips)?$")


def _same_scope(a, b) -> bool:
    if a.meta.file or b.meta.file:
        return a.meta.file == b.meta.file
    return (a.meta.account, a.meta.region) == (b.meta.account, b.meta.region)


def is_runtime_endpoint(vpce) -> Any:
    name = vpce.ServiceName
    if name is None:
        return False
    if isinstance(name, Unknown):
        return name
    return bool(RUNTIME_SERVICE.match(display(name)))


def _maybe_same(a: Any, b: Any) -> bool:
    """Could two VPC ids be the same VPC? (They are when ``same``.) A VPC the
    template creates is only reachable by reference; two literals differ."""
    if isinstance(a, Unknown) or isinstance(b, Unknown):
        return True
    if same(a, b) or (is_known(a) and is_known(b)):
        return same(a, b)
    return not any(isinstance(x, Sym) and x.kind == "resource" for x in (a, b))


class NetworkIsolation(Rule):
    """Models run inside a VPC, reachable privately through a SageMaker Runtime VPC endpoint.

    ## What it checks
    For every model:

    * `VpcConfig` is set, with non-empty `Subnets` and `SecurityGroupIds`
      (an explicitly empty list fails; a list from a parameter or `!Split`
      passes, because CreateModel rejects an empty list);
    * `EnableNetworkIsolation: true` when `require_network_isolation` is on
      (default off: the policy asks for it "where the config asks for it";
      turn it on for models that need no outbound network access at all);
    * the model's VPC has an interface endpoint (PrivateLink) for the
      SageMaker Runtime, service `com.amazonaws.<region>.sagemaker.runtime`.
      The VPC is found through the model's subnets (`AWS::EC2::Subnet`
      `VpcId`). This finding is a *warning* (`runtime_endpoint_level`). A
      template usually does not declare the VPC's endpoints, so a template
      without one is *unknown*; `audit` decides it from the account's VPC
      endpoints.

    ## Why
    Models that run outside a VPC, or whose clients reach the runtime over the
    public internet, widen the attack surface and break network-level
    compliance controls.

    ## Example
    ```yaml
    Model:
      Type: AWS::SageMaker::Model
      Properties:
        ExecutionRoleArn: !GetAtt Role.Arn
        PrimaryContainer: {Image: ...}
        EnableNetworkIsolation: false     # SM401: no VpcConfig
    ```

    ## Fix
    ```yaml
        VpcConfig:
          Subnets: [!Ref PrivateSubnetA, !Ref PrivateSubnetB]
          SecurityGroupIds: [!Ref ModelSecurityGroup]
        EnableNetworkIsolation: true
    RuntimeEndpoint:
      Type: AWS::EC2::VPCEndpoint
      Properties:
        VpcId: !Ref Vpc
        VpcEndpointType: Interface
        ServiceName: !Sub com.amazonaws.${AWS::Region}.sagemaker.runtime
        PrivateDnsEnabled: true
    ```

    ## Remediation
    None automatic: a model's VPC cannot be changed in place.
    """

    id = "SM401"
    slug = "network-isolation"
    title = "Models use a VPC and private access to the SageMaker Runtime"
    level = "error"
    section = "Security & Compliance"
    policy = "Endpoints must use VPC configuration for network isolation."
    tags = ("security", "network")
    targets = ("Model",)
    reads = ("Subnet", "VpcEndpoint")
    security_severity = 7.5

    class Params(RuleParams):
        require_network_isolation: bool = False
        require_runtime_endpoint: bool = True
        runtime_endpoint_level: Literal["error", "warning", "note"] = "warning"

    def check(self, res, ctx):
        p = self.params
        m = res.label if res.meta.logical_id else display(res.name)
        vpc = res.VpcConfig
        if vpc is None:
            yield Fail(("VpcConfig",), f"model {m} has no VpcConfig; the policy wants models deployed in a VPC with "
                       "subnets and security groups")
        elif not is_known(vpc):
            yield Undecided(("VpcConfig",), f"cannot tell the VPC configuration of model {m}: {why_unknown(vpc)}")
        else:
            ok = True
            for key, what in (("Subnets", "subnets"), ("SecurityGroupIds", "security groups")):
                v = getattr(vpc, key, None)
                if v is None or (isinstance(v, list) and not v):
                    ok = False
                    yield Fail(("VpcConfig", key), f"model {m} has a VpcConfig without {what}; the policy wants "
                               "both subnets and security groups")
            if ok and p.require_runtime_endpoint:
                yield from self._runtime_endpoint(res, m, vpc, ctx)
        if p.require_network_isolation:
            flag = res.EnableNetworkIsolation
            if flag is not None and not is_known(flag):
                yield Undecided(("EnableNetworkIsolation",), f"cannot tell whether model {m} has network isolation: "
                                f"{why_unknown(flag)}")
            elif as_bool(flag) is not True:
                now = "is not set" if flag is None else f"is {display(flag)}"
                yield Fail(("EnableNetworkIsolation",), f"EnableNetworkIsolation of model {m} {now}; the "
                           "configuration requires network isolation (true)")

    def _runtime_endpoint(self, res, m, vpc, ctx):
        level = self.params.runtime_endpoint_level
        # the model's VPCs, through its subnets
        vpcs: list[Any] = []
        unknown_vpc = None
        subnets = vpc.Subnets if isinstance(vpc.Subnets, list) else None
        if subnets is None:
            unknown_vpc = f"its subnets {why_unknown(vpc.Subnets) or 'are unknown'}"
        for s in subnets or []:
            sub = ctx.inv.find("Subnet", s, res)
            if sub is None or isinstance(sub, Unknown) or sub.VpcId is None:
                unknown_vpc = unknown_vpc or f"subnet {display(s)} is not in the inventory"
            elif isinstance(sub.VpcId, Unknown):
                unknown_vpc = unknown_vpc or f"the VPC of subnet {display(s)} is unknown"
            else:
                vpcs.append(sub.VpcId)
        candidates, undecided = [], None
        for e in ctx.inv.of("VpcEndpoint"):
            if not _same_scope(e, res):
                continue
            r = is_runtime_endpoint(e)
            if r is False:
                continue
            if isinstance(r, Unknown):
                undecided = undecided or f"the service of VPC endpoint {e.label} is unknown ({r.reason})"
                continue
            candidates.append(e)
        for e in candidates:
            if any(same(e.VpcId, v) for v in vpcs):
                return
        path = ("VpcConfig", "Subnets")
        if candidates:
            if unknown_vpc or any(_maybe_same(e.VpcId, v) for e in candidates for v in vpcs):
                names = ", ".join(e.label for e in candidates)
                yield Undecided(path, f"cannot tell whether SageMaker Runtime VPC endpoint {names} is in the VPC "
                                f"of model {m}: {unknown_vpc or 'the VPC ids are not literal'}")
                return
        if undecided:
            yield Undecided(path, f"cannot tell whether the VPC of model {m} has a SageMaker Runtime endpoint: "
                            f"{undecided}")
            return
        where = f"VPC {', '.join(dict.fromkeys(display(v) for v in vpcs))}" if vpcs else "the VPC"
        if not ctx.inv.complete:
            yield Undecided(path, f"no SageMaker Runtime interface endpoint for {where} of model {m} in this "
                            f"{res.meta.source_noun}; the VPC may have one (`sm-audit audit` checks it)")
            return
        yield Fail(path, f"{where} of model {m} has no interface endpoint for com.amazonaws.<region>."
                   "sagemaker.runtime; the policy wants private (PrivateLink) access to the SageMaker Runtime",
                   level=level)
