"""SM601 async-inference."""

from __future__ import annotations

from typing import Any

from auditor.rulebase import Fail, Rule, RuleParams, Undecided
from auditor.values import as_number, display, is_known, same, why_unknown
from auditor.values import prop as _get

BASE = ("AsyncInferenceConfig",)
OUT = BASE + ("OutputConfig",)
NOTE = OUT + ("NotificationConfig",)
SCALE_FROM_ZERO_METRIC = "HasBacklogWithoutCapacity"




def _empty(v: Any) -> bool:
    return v is None or v == ""


class AsyncInference(Rule):
    """Async endpoints write results to S3, notify on success and on error, and cap per-instance concurrency.

    ## What it checks
    Every endpoint config with an `AsyncInferenceConfig` has:

    * `OutputConfig.S3OutputPath`, where results are written;
    * `OutputConfig.NotificationConfig` with a `SuccessTopic` and an
      `ErrorTopic`, and they are different topics (a shared topic makes
      failures look like results);
    * `ClientConfig.MaxConcurrentInvocationsPerInstance`, the per-instance
      concurrency (4 is a common start).

    Async endpoints may scale to zero: a scalable target with
    `MinCapacity: 0` on an async endpoint's variant is correct (SM202's
    minimum does not apply to async endpoints; it must not flag it). When
    one does, the rule advises (note) a `StepScaling` policy on that target
    together with an alarm on the `HasBacklogWithoutCapacity` metric for the
    endpoint: without them SageMaker scales out from zero only once the
    backlog exceeds the target-tracking value, so a trickle of requests waits.

    Values the template cannot tell are *unknown*. `require_notifications`,
    `require_concurrency` and `advise_scale_from_zero` switch the parts off.

    ## Why
    Async callers learn of results from the notification topics; without an
    error topic failures are silent, and without a concurrency cap one
    instance takes more large payloads than it can hold.

    ## Example
    ```yaml
    AsyncInferenceConfig:
      OutputConfig:
        S3OutputPath: s3://bucket/async-output/
        NotificationConfig:
          SuccessTopic: !Ref Topic
          ErrorTopic: !Ref Topic          # SM601: same topic for success and errors
      # SM601: no ClientConfig.MaxConcurrentInvocationsPerInstance
    ```

    ## Fix
    Add separate `SuccessTopic` and `ErrorTopic` SNS topics and
    `ClientConfig: {MaxConcurrentInvocationsPerInstance: 4}`.

    ## Remediation
    None automatic.
    """

    id = "SM601"
    slug = "async-inference"
    title = "Async endpoint configuration is complete"
    level = "warning"
    section = "Async Inference"
    policy = ("Asynchronous inference queues requests and processes them with variable latency, ideal for large "
              "payloads: configure AsyncInferenceConfig with an S3 output path, a per-instance concurrency limit and "
              "SNS success and error topics; it can scale to zero when idle.")
    tags = ("async", "deployment-pattern")
    targets = ("EndpointConfig",)
    reads = ("Endpoint", "ScalableTarget", "ScalingPolicy", "Alarm")

    class Params(RuleParams):
        require_notifications: bool = True
        require_concurrency: bool = True
        advise_scale_from_zero: bool = True

    def check(self, cfg, ctx):
        ac = cfg.AsyncInferenceConfig
        if ac is None:
            return
        if not is_known(ac):
            yield Undecided(BASE, f"async inference config of {cfg.label}: {why_unknown(ac)}")
            return
        yield from self._output(cfg, ac)
        if self.params.require_concurrency:
            cc = ac.ClientConfig
            n = _get(cc, "MaxConcurrentInvocationsPerInstance")
            if cc is not None and not is_known(cc):
                yield Undecided(BASE + ("ClientConfig",), f"ClientConfig of {cfg.label}: {why_unknown(cc)}")
            elif _empty(n):
                yield Fail(BASE + ("ClientConfig", "MaxConcurrentInvocationsPerInstance"),
                           f"async endpoint config {cfg.label} sets no ClientConfig.MaxConcurrentInvocationsPerInstance; "
                           f"cap the concurrent requests per instance")
        if self.params.advise_scale_from_zero:
            yield from self._scale_from_zero(cfg, ctx)

    def _output(self, cfg, ac):
        out = ac.OutputConfig
        if out is not None and not is_known(out):
            yield Undecided(OUT, f"async OutputConfig of {cfg.label}: {why_unknown(out)}")
            return
        if _empty(_get(out, "S3OutputPath")):
            yield Fail(OUT + ("S3OutputPath",), f"async endpoint config {cfg.label} sets no OutputConfig.S3OutputPath; "
                                                f"async results need an S3 output location")
        if not self.params.require_notifications:
            return
        nc = _get(out, "NotificationConfig")
        if nc is not None and not is_known(nc):
            yield Undecided(NOTE, f"async NotificationConfig of {cfg.label}: {why_unknown(nc)}")
            return
        ok, err = _get(nc, "SuccessTopic"), _get(nc, "ErrorTopic")
        if nc is None or (_empty(ok) and _empty(err)):
            yield Fail(NOTE, f"async endpoint config {cfg.label} has no NotificationConfig; add a SuccessTopic and an "
                             f"ErrorTopic so callers learn of results and failures")
            return
        for key, v in (("SuccessTopic", ok), ("ErrorTopic", err)):
            if _empty(v):
                yield Fail(NOTE + (key,), f"async endpoint config {cfg.label} sets no NotificationConfig.{key}; the "
                                          f"policy wants both a SuccessTopic and an ErrorTopic")
        if not _empty(ok) and not _empty(err) and same(ok, err):
            yield Fail(NOTE + ("SuccessTopic",), f"async endpoint config {cfg.label} sends success and error "
                                                 f"notifications to the same topic {display(ok)}; use separate "
                                                 f"topics so failures are not mistaken for results")

    def _scale_from_zero(self, cfg, ctx):
        for ep in ctx.inv.endpoints_using(cfg):
            alarms = [a for a in ctx.inv.alarms_for(ep) if a.MetricName == SCALE_FROM_ZERO_METRIC]
            for _, v in cfg.variants():
                for t in ctx.inv.scalable_targets_for(ep, v.VariantName):
                    lo = t.MinCapacity
                    if is_known(lo) and as_number(lo) != 0:
                        continue
                    step = any(p.PolicyType == "StepScaling" for p in ctx.inv.policies_for(t))
                    if step and alarms:
                        continue
                    missing = " and ".join(x for x, ok in (("a StepScaling policy", step),
                                                           (f"an alarm on {SCALE_FROM_ZERO_METRIC}", bool(alarms)))
                                           if not ok)
                    msg = (f"async endpoint {ep.label} variant {display(v.VariantName)} may scale to zero but lacks "
                           f"{missing}; without them it scales out from zero only after the backlog exceeds the "
                           f"target-tracking value")
                    if not is_known(lo):
                        yield Undecided(("MinCapacity",), f"MinCapacity {why_unknown(lo)}; if it is 0: {msg}",
                                        resource=t)
                    else:
                        yield Fail(("MinCapacity",), msg.replace("may scale", "scales"), resource=t, level="note")
