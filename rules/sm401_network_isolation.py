"""SM401 network-isolation."""

from __future__ import annotations

import re
from typing import Any, Literal

from auditor.rulebase import Fail, Rule, RuleParams, Undecided
from auditor.values import Sym, Unknown, as_bool, display, is_known, prop, same, why_unknown

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
    """Models and monitoring jobs run inside a VPC; models are reachable privately through a SageMaker Runtime VPC endpoint.

    ## What it checks
    Everything that serves or monitors a deployment: the models of
    production and shadow variants, of inference components and of batch
    transform jobs, inference components that run a container inline, and
    Model Monitor jobs.

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

    *Serverless variants* cannot run in a VPC: each one fails on its
    `ServerlessConfig`, saying so (serve the model from instance-based
    variants with a VPC, or suppress SM401 for the config with the reason
    serverless was chosen). A model that only serverless variants serve is
    not also reported for its missing `VpcConfig`.

    *Inference components* that name a model (`Specification.ModelName`)
    are covered by that model's verdict. One that runs a container inline
    (`Specification.Container`) runs in the VPC of its endpoint's config:
    the endpoint config's `VpcConfig` must have subnets and security groups.

    *Model Monitor jobs* (data quality, model quality, bias and
    explainability job definitions, and definitions written inline in a
    `MonitoringSchedule`) need `NetworkConfig.VpcConfig` with subnets and
    security groups, `EnableNetworkIsolation: true`
    (`monitoring_network_isolation`) and
    `EnableInterContainerTrafficEncryption: true`
    (`monitoring_traffic_encryption`), as Security Hub's SageMaker controls
    ask.

    *Batch transform jobs* (live: the recent ones, see SM503) run in their
    model's VPC: the model is judged as above; a job whose model cannot be
    seen (deleted after the job) is *unknown*.

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
    DriftJob:
      Type: AWS::SageMaker::DataQualityJobDefinition
      Properties:
        NetworkConfig:
          EnableNetworkIsolation: false   # SM401: and no VpcConfig, no traffic encryption
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
    DriftJob:
      Properties:
        NetworkConfig:
          EnableNetworkIsolation: true
          EnableInterContainerTrafficEncryption: true
          VpcConfig:
            Subnets: [!Ref PrivateSubnetA, !Ref PrivateSubnetB]
            SecurityGroupIds: [!Ref MonitorSecurityGroup]
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
    targets = ("Model", "EndpointConfig", "InferenceComponent", "MonitoringJobDefinition", "MonitoringSchedule",
               "TransformJob")
    reads = {"Model": ("Subnet", "VpcEndpoint", "EndpointConfig"),
             "InferenceComponent": ("Endpoint", "EndpointConfig"), "TransformJob": ("Model",)}
    security_severity = 7.5

    class Params(RuleParams):
        require_network_isolation: bool = False
        require_runtime_endpoint: bool = True
        runtime_endpoint_level: Literal["error", "warning", "note"] = "warning"
        monitoring_network_isolation: bool = True
        monitoring_traffic_encryption: bool = True

    def check(self, res, ctx):
        check = {"Model": self._model, "EndpointConfig": self._serverless, "InferenceComponent": self._component,
                 "MonitoringJobDefinition": self._job_definition, "MonitoringSchedule": self._inline_job,
                 "TransformJob": self._transform_job}[res.kind]
        yield from check(res, ctx)

    def _model(self, res, ctx):
        p = self.params
        m = res.label if res.meta.logical_id else display(res.name)
        vpc = res.VpcConfig
        if vpc is None and self._only_serverless(res, ctx):
            pass  # its serverless variants fail, saying why no VPC is possible
        elif vpc is None:
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

    @staticmethod
    def _only_serverless(model, ctx) -> bool:
        """Do serverless variants serve the model, and no instance-based one?"""
        uses = [v for c in ctx.inv.configs_using(model) for _, v in c.all_variants()
                if model.is_referenced_by(v.ModelName)]
        return bool(uses) and all(v.ServerlessConfig is not None and is_known(v.ServerlessConfig) for v in uses)

    def _serverless(self, cfg, ctx):
        for path, v in cfg.all_variants():
            sc = v.ServerlessConfig
            if sc is None:
                continue
            known = v.VariantName is not None and is_known(v.VariantName)
            name = display(v.VariantName) if known else f"{path[0]}[{path[1]}]"  # the provider may name it
            if not is_known(sc):
                yield Undecided(path + ("ServerlessConfig",), f"cannot tell whether variant {name} of endpoint config "
                                f"{cfg.label} is serverless: {why_unknown(sc)}")
                continue
            found = ctx.inv.model_of(v, cfg)
            model = f"model {found.label}" if found is not None and not isinstance(found, Unknown) else \
                f"model {display(v.ModelName)}" if v.ModelName is not None else "its model"
            yield Fail(path + ("ServerlessConfig",),
                       f"variant {name} of endpoint config {cfg.label} is serverless, and serverless endpoints cannot "
                       f"run in a VPC: {model} is served outside one; the policy wants models in a VPC (serve it from "
                       "instance-based variants with VpcConfig, or suppress SM401 here with the reason)")

    def _component(self, ic, ctx):
        spec = ic.Specification
        if spec is None:
            yield Undecided(("Specification",), f"cannot tell what inference component {ic.label} runs: it has no "
                                                "Specification")
            return
        if not is_known(spec):
            yield Undecided(("Specification",), f"cannot tell what inference component {ic.label} runs: "
                                                f"{why_unknown(spec)}")
            return
        if ic.own_container() is None:
            return  # the model (or the base component) is judged itself
        path = ("Specification", "Container")
        ep = ctx.inv.endpoint_of_component(ic)
        cfg = ctx.inv.config_of(ep) if ep is not None and not isinstance(ep, Unknown) else ep
        if cfg is None or isinstance(cfg, Unknown):
            why = cfg.reason if cfg is not None else f"endpoint {display(ic.EndpointName)} is not in the inventory"
            yield Undecided(path, f"inference component {ic.label} runs its container inline, in the VPC of its "
                                  f"endpoint's config, which cannot be checked: {why}")
            return
        where = f"inference component {ic.label} runs its container inline on endpoint config {cfg.label}"
        vpc = cfg.VpcConfig
        if vpc is None:
            yield Fail(path, f"{where}, which has no VpcConfig; the policy wants it in a VPC with subnets and "
                             "security groups (set VpcConfig on the endpoint config)")
        elif not is_known(vpc):
            yield Undecided(path, f"{where}, whose VpcConfig cannot be told: {why_unknown(vpc)}")
        else:
            for key, what in (("Subnets", "subnets"), ("SecurityGroupIds", "security groups")):
                v = getattr(vpc, key, None)
                if v is None or (isinstance(v, list) and not v):
                    yield Fail(path, f"{where}, whose VpcConfig has no {what}; the policy wants both subnets and "
                                     "security groups")

    def _job_definition(self, jd, ctx):
        yield from self._network(("NetworkConfig",), getattr(jd, "NetworkConfig", None),
                                 f"monitoring job definition {jd.label}")

    def _inline_job(self, schedule, ctx):
        cfg = schedule.MonitoringScheduleConfig
        if cfg is not None and not is_known(cfg):
            yield Undecided(("MonitoringScheduleConfig",), f"cannot tell the monitoring job of schedule "
                                                           f"{schedule.label}: {why_unknown(cfg)}")
            return
        job = prop(cfg, "MonitoringJobDefinition")
        if job is None:
            return  # a named job definition is judged itself
        base = ("MonitoringScheduleConfig", "MonitoringJobDefinition")
        if not is_known(job):
            yield Undecided(base, f"cannot tell the monitoring job of schedule {schedule.label}: {why_unknown(job)}")
            return
        yield from self._network(base + ("NetworkConfig",), prop(job, "NetworkConfig"),
                                 f"the monitoring job of schedule {schedule.label}")

    def _network(self, path: tuple, net: Any, what: str):
        """A monitoring job's NetworkConfig: VPC, isolation, traffic encryption."""
        if net is None:
            yield Fail(path, f"{what} has no NetworkConfig; the policy wants monitoring jobs in a VPC (subnets and "
                             "security groups) with network isolation and inter-container traffic encryption")
            return
        if not is_known(net):
            yield Undecided(path, f"cannot tell the network configuration of {what}: {why_unknown(net)}")
            return
        vpc = prop(net, "VpcConfig")
        if vpc is None:
            yield Fail(path + ("VpcConfig",), f"{what} has no NetworkConfig.VpcConfig; the policy wants monitoring "
                                              "jobs in a VPC with subnets and security groups")
        elif not is_known(vpc):
            yield Undecided(path + ("VpcConfig",), f"cannot tell the VPC of {what}: {why_unknown(vpc)}")
        else:
            for key, words in (("Subnets", "subnets"), ("SecurityGroupIds", "security groups")):
                v = prop(vpc, key)
                if v is None or (isinstance(v, list) and not v):
                    yield Fail(path + ("VpcConfig", key), f"{what} has a VpcConfig without {words}; the policy wants "
                                                          "both subnets and security groups")
        wanted = [("EnableNetworkIsolation", "network isolation", self.params.monitoring_network_isolation),
                  ("EnableInterContainerTrafficEncryption", "inter-container traffic encryption",
                   self.params.monitoring_traffic_encryption)]
        for key, words, on in wanted:
            v = prop(net, key)
            if not on:
                continue
            if v is not None and not is_known(v):
                yield Undecided(path + (key,), f"cannot tell whether {what} enables {words}: {why_unknown(v)}")
            elif as_bool(v) is not True:
                now = "is not set" if v is None else f"is {display(v)}"
                yield Fail(path + (key,), f"{key} of {what} {now}; the policy wants monitoring jobs to enable {words} "
                                          "(true)")

    def _transform_job(self, job, ctx):
        model = ctx.inv.find("Model", job.ModelName, job)
        if model is None or isinstance(model, Unknown):
            why = model.reason if model is not None else f"model {display(job.ModelName)} is not in the inventory"
            yield Undecided(("ModelName",), f"cannot check the network configuration of transform job {job.label}: "
                                            f"it runs in its model's VPC, and {why}")

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
