"""Invocation and utilisation metrics in bulk: GetMetricData with up to 500
queries a call, one query per EndpointName+VariantName and metric, over each
metric's rule window. A query that succeeds without datapoints is a series
with no values (CloudWatch sends no Invocations datapoints without traffic:
that is zero traffic, not missing data); a failed query is a coverage gap for
every verdict on that endpoint that reads measured series."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..models import resources as m
from ..models.gaps import CoverageGap
from . import faults
from .paging import paginate
from .shape import iso

MAX_QUERIES = 500


@dataclass(frozen=True)
class Series:
    """One kind of series to fetch per endpoint variant, over ``hours``."""

    namespace: str
    metric: str
    stat: str
    period: int
    variants: str  # all | instance | gpu (see auditor.rulebase.MetricNeed)
    hours: float


@dataclass
class MetricPlan:
    """Which series over which windows: built from the selected rules'
    ``metrics`` declarations (``auditor.audit.metric_plan``)."""

    now: datetime
    series: list[Series] = field(default_factory=list)

    def window(self, hours: float) -> tuple[datetime, datetime]:
        end = self.now.replace(second=0, microsecond=0)
        return end - timedelta(hours=hours), end

    def queries(self, endpoints: list[m.Endpoint], configs: list[m.EndpointConfig]) -> list[tuple]:
        """(endpoint, variant name, Series) per series to fetch."""
        types = {}
        for c in configs:
            for _, v in c.variants():
                types[(c.EndpointConfigName, v.VariantName)] = v
        out = []
        for e in sorted(endpoints, key=lambda x: str(x.EndpointName)):
            if e.EndpointStatus != "InService" or not isinstance(e.ProductionVariants, list):
                continue
            for pv in e.ProductionVariants:
                name = pv.VariantName
                spec = types.get((e.EndpointConfigName, name))
                serverless = pv.CurrentServerlessConfig is not None or (spec is not None and spec.is_serverless)
                gpu = str(getattr(spec, "InstanceType", "") or "").startswith(("ml.g", "ml.p"))
                for s in self.series:
                    if s.variants == "all" or (not serverless and (s.variants == "instance" or gpu)):
                        out.append((e, name, s))
        return out

    def collect(self, col: Any, endpoints: list[m.Endpoint], configs: list[m.EndpointConfig]) -> None:
        by_window: dict[tuple[float, int], list[tuple]] = {}
        for q in self.queries(endpoints, configs):
            by_window.setdefault((q[2].hours, q[2].period), []).append(q)
        for (hours, _), qs in sorted(by_window.items()):
            start, end = self.window(hours)
            for i in range(0, len(qs), MAX_QUERIES):
                self._batch(col, qs[i:i + MAX_QUERIES], start, end)

    def _batch(self, col: Any, qs: list[tuple], start: datetime, end: datetime) -> None:
        ids = {f"q{i}": q for i, q in enumerate(qs)}
        queries = [{
            "Id": qid,
            "MetricStat": {
                "Metric": {"Namespace": s.namespace, "MetricName": s.metric,
                           "Dimensions": [{"Name": "EndpointName", "Value": e.EndpointName},
                                          {"Name": "VariantName", "Value": variant}]},
                "Period": s.period, "Stat": s.stat},
            "ReturnData": True,
        } for qid, (e, variant, s) in ids.items()]
        data: dict[str, tuple[list, list]] = {qid: ([], []) for qid in ids}
        status: dict[str, str] = {}
        cw = col.client("cloudwatch")
        try:
            for page in paginate(cw, "get_metric_data", MetricDataQueries=queries, StartTime=start, EndTime=end,
                                 ScanBy="TimestampAscending"):
                for r in page.get("MetricDataResults") or []:
                    ts, vs = data.setdefault(r["Id"], ([], []))
                    ts.extend(iso(t) for t in r.get("Timestamps") or [])
                    vs.extend(float(v) for v in r.get("Values") or [])
                    status[r["Id"]] = r.get("StatusCode", "Complete")
        except Exception as e:  # noqa: BLE001 - the metric rules on these endpoints become unknown
            seen = set()
            for _, (ep, *_rest) in ids.items():
                if ep.meta.arn not in seen:
                    seen.add(ep.meta.arn)
                    col.out.gaps.append(faults.gap(col.account, col.region, "cloudwatch", "GetMetricData", e,
                                                   resource=ep.meta.arn))
            return
        for qid, (e, variant, s) in ids.items():
            code = status.get(qid)
            if code not in ("Complete", "PartialData"):
                col.out.gaps.append(CoverageGap(
                    account=col.account, region=col.region, service="cloudwatch", operation="GetMetricData",
                    resource=e.meta.arn, kinds=list(faults.OPERATION_KINDS[("cloudwatch", "GetMetricData")]),
                    error=code or "MissingResult",
                    message=f"{s.metric} of variant {variant}: CloudWatch returned status {code or 'nothing'}"))
                continue
            ts, vs = data[qid]
            pairs = sorted(zip(ts, vs))
            col.out.metrics.append(m.MetricSeries(
                namespace=s.namespace, metric=s.metric, stat=s.stat, endpoint=e.EndpointName, variant=variant,
                account=col.account, region=col.region, period=s.period, start=iso(start), end=iso(end),
                timestamps=[t for t, _ in pairs], values=[v for _, v in pairs]))
