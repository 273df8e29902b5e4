"""SM503 batch-for-offline."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any, Optional

from pydantic import Field

from auditor.inventory import parse_time, series_window
from auditor.rulebase import Fail, MetricNeed, Rule, RuleParams, Undecided
from auditor.models.resources import EndpointConfig
from auditor.values import Unknown, display, is_known, why_unknown


def bulk_pattern(slots: list[float], max_active_ratio: float, max_bursts: int,
                 min_burst_share: float, min_invocations: float) -> Optional[dict]:
    """The facts of a periodic bulk pattern in per-period invocation counts,
    or None when the traffic does not fit one.

    A *burst* is a run of consecutive periods with traffic. The pattern fits
    when at most ``max_active_ratio`` of the periods have traffic, the
    ``max_bursts`` largest bursts carry at least ``min_burst_share`` of all
    invocations, and there are at least ``min_invocations`` in total."""
    total = sum(slots)
    if not slots or total <= 0 or total < min_invocations:
        return None
    active = sum(1 for x in slots if x > 0)
    ratio = active / len(slots)
    bursts: list[float] = []
    run = 0.0
    for x in slots:
        if x > 0:
            run += x
        elif run:
            bursts.append(run)
            run = 0.0
    if run:
        bursts.append(run)
    top = sorted(bursts, reverse=True)[:max_bursts]
    share = sum(top) / total
    if ratio > max_active_ratio or share < min_burst_share:
        return None
    return {"active_ratio": round(ratio, 4), "bursts": len(bursts), "burst_share": round(share, 4),
            "invocations": total, "periods": len(slots)}


class BatchForOffline(Rule):
    """Offline and periodic workloads use batch transform, not an always-on real-time endpoint.

    ## What it checks
    A *real-time* endpoint (instance-based: neither async nor serverless,
    which cost nothing while idle) is a finding (note) when:

    * it, or its endpoint config, is declared an offline workload: tag
      `workload_tag` (default `workload`) with a value in `workload_values`
      (default batch, offline); or
    * live: its hourly `Invocations` over the last `window_hours` fit a
      periodic bulk pattern. Periods without a datapoint count as zero
      (CloudWatch publishes none without traffic). A *burst* is a run of
      consecutive periods with traffic. The pattern fits when at most
      `max_active_ratio` of the periods have traffic (default 0.1: 16 of
      168 hours), the `max_bursts` largest bursts (default 7: one a day)
      carry at least `min_burst_share` of all invocations (default 0.9),
      and there were at least `min_invocations` (default 100). Sparse
      interactive traffic spreads over many small bursts and fails the
      share test; an endpoint with no traffic at all is SM502's business.
      Endpoints younger than the window, or whose series does not cover it,
      are not judged.

    *Batch transform jobs* (live): the jobs created in the last
    `transform_window_days` (default 30) are collected with the account.
    Each is batch inference, so it passes here; their models are judged by
    SM101–SM103 and SM401, their output and volume keys by SM403. When an
    endpoint's finding stands and one of its models also ran as such a job,
    the message names the job: the workload already runs as batch.

    ## Why
    Batch transform bills only while the job runs; an endpoint that serves a
    nightly scoring run bills the other 23 hours too.

    ## Example
    ```yaml
    Endpoint:
      Type: AWS::SageMaker::Endpoint
      Properties:
        Tags: [{Key: workload, Value: batch}]   # SM503: a real-time endpoint for a batch workload
    ```

    ## Fix
    Run the workload as a SageMaker Batch Transform job (scheduled with
    EventBridge), or use an async endpoint that scales to zero.

    ## Remediation
    None automatic: moving a workload to batch changes how it is called.
    """

    id = "SM503"
    slug = "batch-for-offline"
    title = "Batch inference for non-real-time workloads"
    level = "note"
    section = "Cost Optimization"
    policy = "Batch inference should be used for non-real-time workloads."
    tags = ("cost", "batch")
    targets = ("Endpoint", "TransformJob")
    reads = {"Endpoint": ("EndpointConfig", "TransformJob"), "TransformJob": ()}
    metrics = (MetricNeed("Invocations", "Sum", "window_hours"),)

    class Params(RuleParams):
        workload_tag: str = "workload"
        workload_values: list[str] = ["batch", "offline"]
        window_hours: int = Field(168, gt=0)
        max_active_ratio: float = Field(0.1, gt=0, le=1)
        max_bursts: int = Field(7, gt=0)
        min_burst_share: float = Field(0.9, ge=0, le=1)
        min_invocations: float = Field(100, ge=0)
        transform_window_days: int = Field(30, gt=0)  # recent transform jobs: collected live, named in findings

    def check(self, res, ctx):
        if res.kind == "TransformJob":
            return  # batch inference: what the policy asks for (the engine records the pass)
        yield from self._endpoint(res, ctx)

    def _endpoint(self, ep, ctx):
        cfg = ctx.inv.config_of(ep)
        realtime = self._realtime(cfg)
        tagged = self._declared(ep, cfg)
        if tagged is not None:
            where, value = tagged
            tpath = ("Tags", self.params.workload_tag) if where == "its" else ("EndpointConfigName",)
            if isinstance(value, Unknown):
                yield Undecided(tpath,
                                f"cannot tell whether endpoint {ep.label} is an offline workload: {value.reason}")
                return
            if realtime is True:
                jobs, also = self._batch_jobs(ep, cfg, ctx)
                yield Fail(tpath,
                           f"endpoint {ep.label} is declared an offline workload ({where} tag "
                           f"{self.params.workload_tag}={value}) but is a real-time endpoint; the policy wants batch "
                           f"transform for non-real-time workloads{also}", data={"transform_jobs": jobs} if jobs else {})
                return
            if isinstance(realtime, Unknown):
                yield Undecided(("EndpointConfigName",), f"endpoint {ep.label} is declared an offline workload; cannot "
                                                         f"tell whether it is real-time: {realtime.reason}")
                return
        if realtime is True and ctx.measured(ep) and isinstance(ep.name, str):
            yield from self._traffic(ep, cfg, ctx)

    def _declared(self, ep, cfg) -> Any:
        """(where, value) of an offline declaration, (where, Unknown), or None."""
        wanted = {v.lower() for v in self.params.workload_values}
        undecided = None
        for where, r in (("its", ep), ("its endpoint config's", cfg)):
            if r is None or isinstance(r, Unknown):
                continue
            v = r.tag(self.params.workload_tag)
            if v is None:
                continue
            if not is_known(v):
                undecided = (where, Unknown(f"tag {self.params.workload_tag} of {r.label}: {why_unknown(v)}"))
            elif str(v).strip().lower() in wanted:
                return where, str(v).strip()
        return undecided

    @staticmethod
    def _realtime(cfg) -> Any:
        """True for an instance-based real-time config, False for async or
        serverless, an Unknown when the config cannot be seen."""
        if cfg is None:
            return Unknown("its endpoint config is not in the inventory")
        if isinstance(cfg, Unknown):
            return cfg
        ac = cfg.AsyncInferenceConfig
        if ac is not None:
            return Unknown(f"AsyncInferenceConfig {why_unknown(ac)}") if not is_known(ac) else False
        variants = cfg.variants()
        if not variants:
            pv = cfg.ProductionVariants
            return Unknown(f"its variants {why_unknown(pv)}") if pv is not None and not is_known(pv) else False
        return any(not v.is_serverless for _, v in variants)

    def _traffic(self, ep, cfg, ctx):
        p = self.params
        end = ctx.now
        start = end - timedelta(hours=p.window_hours)
        created = parse_time(ep.CreationTime)
        if created is None or created > start:
            return
        acct, region = ep.meta.account, ep.meta.region
        series = [ctx.inv.metric(ep.name, None, "Invocations", acct, region)]
        if series[0] is None:
            series = [ctx.inv.metric(ep.name, v.VariantName, "Invocations", acct, region) for _, v in cfg.variants()]
        if not series or any(s is None for s in series):
            return  # not collected: SM502 reports missing invocation metrics
        period = series[0].period or 3600
        n = max(1, math.ceil(p.window_hours * 3600 / period))
        slots = [0.0] * n
        for s in series:
            covered, points = series_window(s, start, end)
            if not covered:
                return
            for t, v in points:
                if t is None:
                    return  # cannot place datapoints in time
                i = min(n - 1, int((t - start).total_seconds() // period))
                slots[i] += v
        facts = bulk_pattern(slots, p.max_active_ratio, p.max_bursts, p.min_burst_share, p.min_invocations)
        if facts is None:
            return
        jobs, also = self._batch_jobs(ep, cfg, ctx)
        yield Fail((), f"endpoint {ep.label} served {facts['invocations']:g} invocations in {facts['bursts']} "
                       f"burst(s) over the last {p.window_hours} h, busy in {facts['active_ratio']:.0%} of the "
                       f"periods; a periodic bulk workload is cheaper as batch transform{also}",
                   data={"endpoint": display(ep.name), **facts, **({"transform_jobs": jobs} if jobs else {})})

    def _batch_jobs(self, ep, cfg, ctx) -> tuple[list[str], str]:
        """(names, message clause) of the recent transform jobs that ran one
        of the endpoint's variants' models."""
        models = [v.ModelName for _, v in (cfg.all_variants() if isinstance(cfg, EndpointConfig) else [])]
        models = [m for m in models if isinstance(m, str)]
        since = ctx.now - timedelta(days=self.params.transform_window_days)
        jobs = sorted(str(j.name) for j in ctx.inv.of("TransformJob")
                      if j.meta.account == ep.meta.account and j.meta.region == ep.meta.region
                      and j.ModelName in models and (parse_time(j.CreationTime) or since) >= since)
        if not jobs:
            return [], ""
        shown = ", ".join(jobs[:3]) + (f" and {len(jobs) - 3} more" if len(jobs) > 3 else "")
        return jobs, (f"; its model already ran as batch transform job {shown} in the last "
                      f"{self.params.transform_window_days} days")
