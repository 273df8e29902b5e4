"""SM303 ab-testing."""

from __future__ import annotations

from typing import Any, Optional

from pydantic import field_validator

from auditor.rulebase import Fail, Rule, RuleParams, Undecided
from auditor.values import Unknown, as_number, display, is_known, prop, why_unknown

GRADUAL = ("CANARY", "LINEAR")


def _pct(x: float) -> str:
    return f"{x:g}%"


class _Verdict:
    """One way to shift traffic: ok (True/False/None=unknown) and why."""

    def __init__(self, ok: Optional[bool], path: tuple, message: str, gradual: bool = True,
                 resource: Any = None) -> None:
        self.ok, self.path, self.message, self.gradual = ok, path, message, gradual
        self.resource = resource  # the config, when the path is one of its properties


class AbTesting(Rule):
    """Production endpoints can shift traffic to a new model gradually, starting small.

    ## What it checks
    For every production endpoint, at least one way to shift traffic
    gradually, whose first step is no larger than the first step of `ramp`
    (default 10 % → 50 % → 100 %; a 5 % → 25 % → 50 % → 100 % canary passes
    too):

    * blue/green deployment with
      `DeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.Type`
      `CANARY` (first step: `CanarySize`) or `LINEAR` (first step:
      `LinearStepSize`). A `CAPACITY_PERCENT` size is the step; an
      `INSTANCE_COUNT` size is compared with the endpoint's instance count
      (live: current count; template: the config's `InitialInstanceCount`s)
      and is *unknown* when that count is;
    * or a `DeploymentConfig.RollingUpdatePolicy` whose first batch
      (`MaximumBatchSize`, `CAPACITY_PERCENT`, or `INSTANCE_COUNT` divided by
      the endpoint's instances) is no larger than the ramp's first step;
    * or several production variants with traffic weights (A/B testing): the
      smallest non-zero share of traffic is the first step.

    Every wait between steps (`WaitIntervalInSeconds` of the canary, linear
    or rolling policy) is at least `min_wait_seconds` (300), so the
    variants' metrics can be compared before more traffic moves; a missing
    or shorter wait fails. Shadow variants (`ShadowProductionVariants`) are
    a validation aid, not a traffic shift: they neither satisfy nor break
    this rule.

    Variant weights must be valid: none negative, and their sum above zero
    (`InitialVariantWeight`, default 1.0; live: each variant's
    `CurrentWeight`). A blue/green or rolling policy that is too coarse
    fails even when the variants would allow a finer split. `ALL_AT_ONCE`
    routing, or no routing and one variant, fails.

    An endpoint config that no endpoint of the template uses passes when its
    own weighted variants make a gradual split; otherwise the result is
    *unknown*: the endpoint's `DeploymentConfig` decides.

    A live endpoint's weights are a snapshot: an endpoint in the middle of a
    manual ramp (say 50/50) shows its current step, not its first one;
    suppress such a finding with a reason and an expiry while the ramp runs.

    ## Why
    A new model meets real traffic first in a small slice, so a bad model
    hurts few requests and the comparison (latency, errors, business KPIs)
    between the variants can stop the rollout.

    ## Example
    ```yaml
    DeploymentConfig:
      BlueGreenUpdatePolicy:
        TrafficRoutingConfiguration:
          Type: CANARY
          CanarySize: {Type: CAPACITY_PERCENT, Value: 50}   # SM303: first step 50% > 10%
    ```

    ## Fix
    Use `CanarySize: {Type: CAPACITY_PERCENT, Value: 10}` (or a `LINEAR`
    step of 10 %), or add the new model as a second variant with a small
    weight (`InitialVariantWeight: 0.1` against 0.9).

    ## Remediation
    `sm-audit remediate --rule SM303` plans rolling the traffic weights back
    to the variants' previous state (action `rollback-variants`) from the
    endpoint, variants and weights the finding records.
    """

    id = "SM303"
    slug = "ab-testing"
    title = "Production endpoints shift traffic gradually"
    level = "warning"
    section = "Monitoring & Observability"
    policy = "A/B testing must be supported for model updates."
    tags = ("deployment", "monitoring", "production")
    targets = ("Endpoint", "EndpointConfig")
    # a config is judged on its own only when no endpoint uses it (then the endpoint carries the verdict)
    reads = {"Endpoint": ("EndpointConfig",), "EndpointConfig": ("Endpoint",)}
    remediation = "rollback-variants"

    class Params(RuleParams):
        ramp: list[float] = [10, 50, 100]  # percent of traffic per step
        min_wait_seconds: int = 300  # between steps, so the variants' metrics can be compared

        @field_validator("ramp")
        @classmethod
        def _increasing_percentages(cls, v: list[float]) -> list[float]:
            if not v or any(not 0 < x <= 100 for x in v) or any(b <= a for a, b in zip(v, v[1:])):
                raise ValueError("ramp must be increasing percentages in (0, 100], e.g. [10, 50, 100]")
            return v

    def check(self, res, ctx):
        if res.kind == "EndpointConfig":
            if ctx.inv.unused_config(res):
                yield from self._orphan(res, ctx)
            return
        ep = res.shown_name
        go, undecided = ctx.production_gate(res, f"endpoint {ep}")
        if undecided:
            yield undecided
        if not go:
            return
        first = float(self.params.ramp[0])
        config = ctx.inv.config_of(res)
        variants = self._variants(res, config)  # (path, owner, name, weight, instances)
        data = {"endpoint": ep, "variants": [display(v[2]) for v in variants],
                "weights": [v[3] if isinstance(v[3], (int, float)) else display(v[3]) for v in variants]}

        # invalid weights are their own findings, whatever else holds
        bad = False
        for path, owner, name, w, _ in variants:
            n = as_number(w)
            if is_known(w) and n is not None and n < 0:
                bad = True
                yield Fail(path, f"variant {display(name)} of endpoint {ep} has a negative weight {n:g}; weights "
                           "must be non-negative", resource=owner, data=data)
        weights = [as_number(v[3]) for v in variants]
        if variants and all(is_known(v[3]) and x is not None for v, x in zip(variants, weights)) and not bad \
                and sum(weights) <= 0:
            owner = variants[0][1]
            yield Fail(variants[0][0][:-1] or ("ProductionVariants",), f"the variant weights of endpoint {ep} sum "
                       f"to {sum(weights):g}; at least one must be above zero to receive traffic",
                       resource=owner, data=data)
            return
        if bad:
            return

        routing = self._routing(res, ep, first, variants, ctx)
        if routing is None:
            routing = self._rolling(res, ep, first, variants)
        split = self._split(ep, first, variants, config)
        if routing is not None and routing.ok is False and routing.gradual:
            yield Fail(routing.path, routing.message, data=data)  # a configured ramp that starts too big
            return
        options = [v for v in (routing, split) if v is not None]
        if any(v.ok is True for v in options):
            return
        unknown = [v for v in options if v.ok is None]
        if unknown:
            v = unknown[0]
            yield Undecided(v.path, v.message, resource=v.resource)
            return
        ramp = " → ".join(_pct(float(x)) for x in self.params.ramp)
        if split is not None and split.gradual:  # weighted variants, but the smallest share is too big
            yield Fail(split.path, f"endpoint {ep}: {split.message}; the policy wants a gradual shift {ramp}",
                       resource=split.resource, data=data)
            return
        how = routing.message if routing is not None else "no CANARY or LINEAR blue/green traffic routing"
        yield Fail(("DeploymentConfig",), f"endpoint {ep} shifts traffic all at once: {how} and "
                   f"{split.message if split else 'no production variants'}; the policy wants a gradual shift "
                   f"{ramp}", data=data)

    def _orphan(self, config, ctx):
        """A config without its endpoint: its weighted variants can show a
        gradual split; anything else depends on the endpoint's DeploymentConfig."""
        go, undecided = ctx.production_gate(config)
        if undecided:
            yield undecided
        if not go:
            return
        variants = self._variants(_NoEndpoint(), config)
        for path, owner, name, w, _ in variants:
            n = as_number(w)
            if is_known(w) and n is not None and n < 0:
                yield Fail(path, f"variant {display(name)} of endpoint config {config.label} has a negative weight "
                           f"{n:g}; weights must be non-negative")
                return
        split = self._split(config.label, float(self.params.ramp[0]), variants, config)
        if split is not None and split.ok is True:
            return
        how = split.message.replace(f"endpoint {config.label}", "it") if split is not None else "no variants"
        if split is not None and split.ok is False and split.gradual:
            how = "its smallest variant " + how.split("its smallest variant ", 1)[-1]
        yield Undecided(("ProductionVariants",), f"endpoint config {config.label} is used by no endpoint in this "
                        f"{config.meta.source_noun} and has {how}: whether the endpoint that uses it shifts traffic gradually (its "
                        "DeploymentConfig) cannot be checked here")

    # -- variants and their weights -----------------------------------------
    @staticmethod
    def _variants(res, config) -> list[tuple]:
        out = []
        cfg_variants = config.variants() if config is not None and not isinstance(config, Unknown) else []
        if isinstance(res.ProductionVariants, list) and res.ProductionVariants:  # live state wins
            for i, v in enumerate(res.ProductionVariants):
                w = v.CurrentWeight if v.CurrentWeight is not None else v.DesiredWeight
                out.append((("ProductionVariants", i, "CurrentWeight"), res, v.VariantName, w,
                            v.CurrentInstanceCount))
            return out
        for path, v in cfg_variants:
            w = 1.0 if v.InitialVariantWeight is None else v.InitialVariantWeight
            count = None if v.is_serverless else v.InitialInstanceCount
            out.append((path + ("InitialVariantWeight",), config, v.VariantName, w, count))
        return out

    def _split(self, ep, first, variants, config) -> Optional[_Verdict]:
        if not variants:
            if isinstance(config, Unknown):
                return _Verdict(None, ("EndpointConfigName",), f"cannot tell how endpoint {ep} splits traffic: "
                                f"{config.reason}")
            pv = config.ProductionVariants if config is not None else None
            if pv is not None and not is_known(pv):  # no variants seen is not "no variants"
                return _Verdict(None, ("ProductionVariants",), f"cannot tell how endpoint {ep} splits traffic: the "
                                f"production variants of {config.label} cannot be determined ({why_unknown(pv)})",
                                resource=config)
            return None
        unknown = [v for v in variants if not is_known(v[3]) or as_number(v[3]) is None]
        if unknown:
            v = unknown[0]
            why = "not reported" if v[3] is None else why_unknown(v[3]) or f"not a number: {display(v[3])}"
            return _Verdict(None, v[0], f"cannot tell how endpoint {ep} splits traffic: the weight of variant "
                            f"{display(v[2])} is unknown ({why})", resource=v[1])
        live = [(v, as_number(v[3])) for v in variants if as_number(v[3]) > 0]
        if len(live) < 2:
            what = "a single production variant" if len(variants) == 1 else \
                f"{len(variants)} production variants of which {len(live)} receive traffic"
            return _Verdict(False, ("ProductionVariants",), what, gradual=False)
        total = sum(w for _, w in live)
        v, w = min(live, key=lambda x: x[1])
        share = 100.0 * w / total
        if share <= first + 1e-9:
            return _Verdict(True, v[0], "")
        return _Verdict(False, v[0], resource=v[1], message=f"its smallest variant {display(v[2])} gets {share:.3g}% of traffic, more than "
                        f"the ramp's first step {_pct(first)}")

    # -- blue/green traffic routing --------------------------------------------
    def _routing(self, res, ep, first, variants, ctx) -> Optional[_Verdict]:
        base = ("DeploymentConfig",)
        chain = [("DeploymentConfig", res.DeploymentConfig)]
        node: Any = res.DeploymentConfig
        for key in ("BlueGreenUpdatePolicy", "TrafficRoutingConfiguration"):
            if node is None:
                return None
            if not is_known(node):
                return _Verdict(None, base, f"cannot tell how endpoint {ep} routes traffic during updates: "
                                f"{why_unknown(node)}")
            node = getattr(node, key, None)
            base = base + (key,)
            chain.append((key, node))
        if node is None:
            return None
        if not is_known(node):
            return _Verdict(None, base, f"cannot tell how endpoint {ep} routes traffic: {why_unknown(node)}")
        kind = node.Type
        if not is_known(kind):
            return _Verdict(None, base + ("Type",), f"cannot tell the traffic routing of endpoint {ep}: "
                            f"{why_unknown(kind)}")
        if kind not in GRADUAL:
            return _Verdict(False, base + ("Type",), f"blue/green routing is {display(kind)}", gradual=False)
        key = "CanarySize" if kind == "CANARY" else "LinearStepSize"
        size = getattr(node, key, None)
        path = base + (key,)
        step = "canary" if kind == "CANARY" else "linear step"
        if size is None:
            return _Verdict(False, path, f"{kind} routing of endpoint {ep} has no {key}; the first step must be "
                            f"at most {_pct(first)}")
        if not is_known(size):
            return _Verdict(None, path, f"cannot tell the {step} size of endpoint {ep}: {why_unknown(size)}")
        verdict = self._size(size, path, step, ep, first, variants)
        if verdict.ok is not True:
            return verdict
        return self._wait(node, base, ep, f"{kind} routing") or verdict

    def _size(self, size, path, step, ep, first, variants) -> _Verdict:
        """Is a CanarySize / LinearStepSize / MaximumBatchSize no larger than the ramp's first step?"""
        unit, value = size.Type, size.Value
        for part, v in (("Type", unit), ("Value", value)):
            if not is_known(v):
                return _Verdict(None, path + (part,), f"cannot tell the {step} size of endpoint {ep}: "
                                f"{why_unknown(v)}")
        n = as_number(value)
        if n is None:
            return _Verdict(None, path + ("Value",), f"{step} size {display(value)} of endpoint {ep} is not a number")
        if unit == "CAPACITY_PERCENT":
            share = n
            what = f"{_pct(n)} of capacity"
        elif unit == "INSTANCE_COUNT":
            counts = [as_number(v[4]) if is_known(v[4]) else None for v in variants]
            if not variants or any(c is None for c in counts):
                return _Verdict(None, path + ("Value",), f"the {step} of endpoint {ep} is {n:g} instance(s), but "
                                "the endpoint's instance count is unknown")
            total = sum(counts)
            if total <= 0:
                return _Verdict(None, path + ("Value",), f"the {step} of endpoint {ep} is {n:g} instance(s) of an "
                                "endpoint with no instances")
            share = 100.0 * n / total
            what = f"{n:g} of {total:g} instances ({share:.3g}%)"
        else:
            return _Verdict(None, path + ("Type",), f"unknown {step} size type {display(unit)} on endpoint {ep}")
        if share <= first + 1e-9:
            return _Verdict(True, path, "")
        return _Verdict(False, path + ("Value",), f"the first {step} of endpoint {ep} is {what}; the ramp's first "
                        f"step is {_pct(first)} ({' → '.join(_pct(float(x)) for x in self.params.ramp)})")

    def _wait(self, node, base, ep, what) -> Optional[_Verdict]:
        """None when the wait between steps is long enough, else the verdict."""
        want = self.params.min_wait_seconds
        wait = getattr(node, "WaitIntervalInSeconds", None)
        path = base + ("WaitIntervalInSeconds",)
        if wait is None:
            if want <= 0:
                return None
            return _Verdict(False, path, f"{what} of endpoint {ep} sets no WaitIntervalInSeconds; the policy wants "
                            f"at least {want} s between steps to compare the variants' metrics")
        n = as_number(wait) if is_known(wait) else None
        if n is None:
            return _Verdict(None, path, f"cannot tell the wait between steps of endpoint {ep}: "
                            f"{why_unknown(wait) or display(wait)}")
        if n < want:
            return _Verdict(False, path, f"{what} of endpoint {ep} waits {n:g} s between steps; the policy wants at "
                            f"least {want} s to compare the variants' metrics")
        return None

    # -- rolling deployment -----------------------------------------------------
    def _rolling(self, res, ep, first, variants) -> Optional[_Verdict]:
        dep = res.DeploymentConfig
        if dep is None or not is_known(dep):
            return None  # an unknown DeploymentConfig is reported by _routing
        node = getattr(dep, "RollingUpdatePolicy", None)
        base = ("DeploymentConfig", "RollingUpdatePolicy")
        if node is None:
            return None
        if not is_known(node):
            return _Verdict(None, base, f"cannot tell how endpoint {ep} rolls out updates: {why_unknown(node)}")
        size = prop(node, "MaximumBatchSize")
        path = base + ("MaximumBatchSize",)
        if size is None:
            return _Verdict(False, path, f"rolling update of endpoint {ep} has no MaximumBatchSize; the first batch "
                            f"must be at most {_pct(first)} of capacity")
        if not is_known(size):
            return _Verdict(None, path, f"cannot tell the rolling batch size of endpoint {ep}: {why_unknown(size)}")
        verdict = self._size(_Size(prop(size, "Type"), prop(size, "Value")), path, "rolling batch", ep, first,
                             variants)
        if verdict.ok is not True:
            return verdict
        return self._wait(_Waits(prop(node, "WaitIntervalInSeconds")), base, ep, "rolling update") or verdict


class _NoEndpoint:
    ProductionVariants = None


class _Size:
    def __init__(self, type_: Any, value: Any) -> None:
        self.Type, self.Value = type_, value


class _Waits:
    def __init__(self, wait: Any) -> None:
        self.WaitIntervalInSeconds = wait
