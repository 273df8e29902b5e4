"""SM301 observability."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from auditor.inventory import alarm_dimension_values
from auditor.rulebase import Fail, Rule, RuleParams, Undecided, unused_config_unknown
from auditor.values import Str, Sym, Unknown, display, is_known, why_unknown


def _same_scope(a, b) -> bool:
    if a.meta.file or b.meta.file:
        return a.meta.file == b.meta.file
    return (a.meta.account, a.meta.region) == (b.meta.account, b.meta.region)


def _get(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, dict) else None


def alarm_series(alarm) -> list[tuple[Any, Any]]:
    """(metric name, statistic) pairs an alarm watches: its own metric, or
    each MetricStat of a metric-math alarm. Percentiles are ExtendedStatistic
    (``p99``) on a plain alarm and ``Stat`` inside MetricStat."""
    out = []
    if alarm.MetricName is not None:
        out.append((alarm.MetricName, alarm.ExtendedStatistic if alarm.ExtendedStatistic is not None
                    else alarm.Statistic))
    if isinstance(alarm.Metrics, list):
        for m in alarm.Metrics:
            stat = _get(m, "MetricStat")
            metric = _get(stat, "Metric")
            if metric is not None:
                out.append((_get(metric, "MetricName"), _get(stat, "Stat")))
    elif alarm.Metrics is not None:  # the whole list is unknown
        out.append((alarm.Metrics, alarm.Metrics))
    return out


def _percentile(v: Any) -> float | None:
    """``p99`` / ``P99.0`` -> 99.0; anything else (Average, tm99...) -> None."""
    m = re.fullmatch(r"[pP](\d+(?:\.\d+)?)", v.strip()) if isinstance(v, str) else None
    return float(m.group(1)) if m else None


def mentions(body: Any, endpoint) -> Any:
    """Does a dashboard body name the endpoint? True, False or an Unknown."""
    name = endpoint.name
    if body is None:
        return False
    if isinstance(body, Unknown):
        return body
    parts = body.parts if isinstance(body, Str) else (body,) if isinstance(body, (str, Sym)) else ()
    if any(isinstance(p, Sym) and endpoint.is_referenced_by(p) for p in parts):
        return True
    text, needle = display(body), display(name)
    # names are [A-Za-z0-9-]: a word-ish boundary keeps "prod" out of "production"
    if re.search(r"(?<![\w-])" + re.escape(needle) + r"(?![\w-])", text):
        return True
    if isinstance(name, Unknown):
        return name
    if isinstance(name, Sym) and name.kind == "resource":
        return False  # a CloudFormation-generated name is only reachable by reference
    if not is_known(name):
        return Unknown(f"the endpoint name {why_unknown(name)} and the body does not use it")
    return False



@lru_cache(maxsize=64)
def _quoted_any(metrics: tuple[str, ...]) -> "re.Pattern[str]":
    """A pattern for any of ``metrics`` as a quoted string (made once, not per endpoint)."""
    return re.compile(r'"(' + "|".join(re.escape(m) for m in metrics) + r')"')

class Observability(Rule):
    """Every endpoint has latency and error-rate alarms, invocation logs and a dashboard.

    ## What it checks
    For every endpoint (production or not):

    * **latency alarms**: for each percentile in `latency_percentiles`
      (default p50, p95, p99) a CloudWatch alarm on one of `latency_metrics`
      (`ModelLatency`, `OverheadLatency`) with that percentile as its
      statistic (`ExtendedStatistic: p95`, or `Stat: p95` in a metric-math
      `MetricStat`). An alarm on the `Average` is not a percentile and does
      not count.
    * **error-rate alarms**: an alarm on one of `error_metrics`
      (`Invocation4XXErrors`, `Invocation5XXErrors`, `ModelError`); with
      `require_all_error_metrics` every one of them needs an alarm.
    * **throughput**: an alarm on one of `throughput_metrics`
      (`Invocations`, `InvocationsPerInstance`) for the endpoint, or a
      dashboard whose body shows the endpoint and one of those metrics;
    * **invocation logs**: the endpoint's log group
      `/aws/sagemaker/Endpoints/<name>` exists. SageMaker creates it at the
      first invocation, so a template that does not declare it cannot tell:
      that result is *unknown* in `scan`; `audit` decides it.
    * **dashboard**: a CloudWatch dashboard whose body names the endpoint.

    Alarms belong to the endpoint through their `EndpointName` dimension
    (however it is written: literal, `!Ref`, `!GetAtt`, `!Sub`), on the alarm
    or on any metric of a metric-math alarm. Each missing piece is its own
    finding. Findings about things that do not exist point at the endpoint;
    their paths (`Alarms.Latency`, `Alarms.Errors`, `InvocationLogs`,
    `Dashboard`, `Alarms.Throughput`) name the missing piece, not a property.
    An endpoint config that no endpoint of the template uses gets an
    *unknown*: all of this belongs to the endpoint that will use it.

    ## Why
    Without percentile latency and error alarms a degraded model is found by
    its users; without logs and a dashboard it cannot be diagnosed.

    ## Example
    ```yaml
    Endpoint:
      Type: AWS::SageMaker::Endpoint   # SM301: no ModelLatency p99 alarm
      Properties:
        EndpointConfigName: !GetAtt Config.EndpointConfigName
    ```

    ## Fix
    ```yaml
    LatencyP99:
      Type: AWS::CloudWatch::Alarm
      Properties:
        Namespace: AWS/SageMaker
        MetricName: ModelLatency
        ExtendedStatistic: p99
        Dimensions:
          - {Name: EndpointName, Value: !GetAtt Endpoint.EndpointName}
          - {Name: VariantName, Value: AllTraffic}
        ...
    ```
    Add alarms for the other percentiles and for `Invocation5XXErrors`, and an
    `AWS::CloudWatch::Dashboard` whose body shows the endpoint's metrics.

    ## Remediation
    None automatic: alarm thresholds depend on the model.
    """

    id = "SM301"
    slug = "observability"
    title = "Endpoints have latency and error alarms, logs and a dashboard"
    level = "warning"
    section = "Monitoring & Observability"
    policy = "All endpoints must have comprehensive CloudWatch metrics."
    tags = ("observability", "monitoring")
    targets = ("Endpoint", "EndpointConfig")
    # a config is judged on its own only when no endpoint uses it (then the endpoint carries the verdict)
    reads = {"Endpoint": ("Alarm", "Dashboard", "LogGroup"), "EndpointConfig": ("Endpoint",)}

    class Params(RuleParams):
        latency_percentiles: list[str] = ["p50", "p95", "p99"]
        latency_metrics: list[str] = ["ModelLatency", "OverheadLatency"]
        error_metrics: list[str] = ["Invocation4XXErrors", "Invocation5XXErrors", "ModelError"]
        require_all_error_metrics: bool = False
        throughput_metrics: list[str] = ["Invocations", "InvocationsPerInstance"]
        require_throughput: bool = True
        require_dashboard: bool = True
        require_invocation_logs: bool = True

    def check(self, res, ctx):
        if res.kind == "EndpointConfig":
            if ctx.inv.unused_config(res):
                yield unused_config_unknown(res, "the alarms, invocation logs and dashboard")
            return
        p = self.params
        ep = res.shown_name
        sure, maybe = ctx.inv.endpoint_alarms(res, ("EndpointName",))
        # each dashboard of the endpoint's scope, and whether it shows the endpoint (True/False/Unknown)
        boards = [(d, mentions(d.DashboardBody, res)) for d in ctx.inv.of("Dashboard") if _same_scope(d, res)] \
            if p.require_dashboard or (p.require_throughput and p.throughput_metrics) else []
        yield from self._latency(res, ep, sure, maybe)
        yield from self._errors(res, ep, sure, maybe)
        if p.require_throughput and p.throughput_metrics:
            yield from self._throughput(res, ep, sure, maybe, boards)
        if p.require_invocation_logs:
            group = ctx.inv.log_group_for(res)
            if isinstance(group, Unknown):
                yield Undecided(("InvocationLogs",), f"cannot tell from a {res.meta.source_noun} whether endpoint {ep} has "
                                f"invocation logs: SageMaker creates /aws/sagemaker/Endpoints/{ep} at the first "
                                "invocation (`sm-audit audit` checks it)")
            elif group is None:
                yield Fail(("InvocationLogs",), f"endpoint {ep} has no log group /aws/sagemaker/Endpoints/{ep}; "
                           "the policy wants CloudWatch Logs for endpoint invocations")
        if p.require_dashboard:
            yield from self._dashboard(ep, boards)

    def _latency(self, res, ep, sure, maybe):
        p = self.params
        wanted = [(x, _percentile(x)) for x in p.latency_percentiles]
        metrics = set(p.latency_metrics)
        found, unsure, averages = set(), set(), False
        for alarms, definite in ((sure, True), (maybe, False)):
            for a in alarms:
                for metric, stat in alarm_series(a):
                    if is_known(metric) and metric not in metrics:
                        continue
                    for label, q in wanted:
                        if not is_known(stat):
                            hit = None
                        else:
                            hit = _percentile(stat) == q if q is not None else stat == label
                            averages = averages or (definite and stat == "Average")
                        if hit is False:
                            continue
                        if hit and definite and is_known(metric):
                            found.add(label)
                        else:
                            unsure.add(label)
        missing = [label for label, _ in wanted if label not in found]
        if not missing:
            return
        undecided = [x for x in missing if x in unsure]
        absent = [x for x in missing if x not in unsure]
        names = "/".join(p.latency_metrics)
        if absent:
            extra = " (an Average alarm is not a percentile)" if averages else ""
            yield Fail(("Alarms", "Latency"),
                       f"endpoint {ep} has no {names} alarm at {', '.join(absent)}{extra}; the policy wants "
                       f"latency alarms at {', '.join(p.latency_percentiles)}")
        elif undecided:
            yield Undecided(("Alarms", "Latency"),
                            f"cannot tell whether endpoint {ep} has {names} alarms at {', '.join(undecided)}: "
                            f"{self._why(maybe, res)}")

    def _errors(self, res, ep, sure, maybe):
        p = self.params
        wanted = list(p.error_metrics)
        found, unsure = set(), set()
        for alarms, definite in ((sure, True), (maybe, False)):
            for a in alarms:
                for metric, _ in alarm_series(a):
                    if not is_known(metric):
                        unsure.update(wanted)
                    elif metric in wanted:
                        (found if definite else unsure).add(metric)
        if p.require_all_error_metrics:
            missing = [m for m in wanted if m not in found]
        else:
            missing = [] if found else wanted
        if not missing:
            return
        if all(m in unsure for m in missing):
            yield Undecided(("Alarms", "Errors"), f"cannot tell whether endpoint {ep} has an error-rate alarm "
                            f"({', '.join(missing)}): {self._why(maybe, res)}")
            return
        if p.require_all_error_metrics:
            msg = f"endpoint {ep} has no alarm on {', '.join(missing)}; the policy wants alarms on each of " \
                  f"{', '.join(wanted)}"
        else:
            msg = f"endpoint {ep} has no error-rate alarm; the policy wants an alarm on {' or '.join(wanted)}"
        yield Fail(("Alarms", "Errors"), msg)

    def _throughput(self, res, ep, sure, maybe, boards):
        """Throughput is watched: an alarm, or a dashboard widget showing the
        endpoint, on one of throughput_metrics."""
        wanted = set(self.params.throughput_metrics)
        doubt = None
        for alarms, definite in ((sure, True), (maybe, False)):
            for a in alarms:
                for metric, _ in alarm_series(a):
                    if is_known(metric) and metric in wanted and definite:
                        return
                    if not is_known(metric) or metric in wanted:
                        doubt = doubt or f"alarm {a.label} may watch it ({self._why(maybe, res) if not definite else 'its metric is unknown'})"
        pattern = _quoted_any(tuple(sorted(wanted)))
        for d, shows in boards:
            if shows is False:
                continue
            has = bool(pattern.search(display(d.DashboardBody)))
            if shows is True and has:
                return
            if has or isinstance(d.DashboardBody, (Unknown, Sym)):
                doubt = doubt or f"dashboard {d.label} may show it ({why_unknown(shows) if shows is not True else why_unknown(d.DashboardBody)})"
        names = " / ".join(self.params.throughput_metrics)
        if doubt:
            yield Undecided(("Alarms", "Throughput"), f"cannot tell whether the throughput ({names}) of endpoint "
                            f"{ep} is watched: {doubt}")
            return
        yield Fail(("Alarms", "Throughput"), f"endpoint {ep} has no alarm or dashboard widget on {names}; the policy "
                   "wants throughput watched")

    def _dashboard(self, ep, boards):
        undecided = None
        for d, m in boards:
            if m is True:
                return
            if isinstance(m, Unknown):
                undecided = (d, m)
        if undecided:
            d, m = undecided
            yield Undecided(("Dashboard",), f"cannot tell whether dashboard {d.label} shows endpoint {ep}: {m.reason}")
            return
        yield Fail(("Dashboard",), f"no CloudWatch dashboard shows endpoint {ep}; the policy wants a dashboard "
                   "for real-time monitoring")

    @staticmethod
    def _why(maybe, res) -> str:
        if maybe:
            a = maybe[0]
            vals = [display(v) for v in alarm_dimension_values(a, ("EndpointName",))]
            return f"alarm {a.label} watches endpoint {', '.join(vals) or '?'}, which may or may not be " \
                   f"{res.shown_name}"
        return "an alarm's metric or statistic is unknown"
