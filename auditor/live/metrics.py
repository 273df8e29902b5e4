"""Invocation and utilisation metrics in bulk: GetMetricData with up to 500
queries a call, one query per EndpointName+VariantName and metric, over each
metric's rule window. A query that succeeds without datapoints is a series
with no values (CloudWatch sends no Invocations datapoints without traffic:
that is zero traffic, not missing data); a failed query is a coverage gap for
the metric rules on that endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Optional

from ..models import resources as m
from ..models.gaps import CoverageGap
from . import faults
from .shape import iso

MAX_QUERIES = 500
METRIC_RULES = ["SM501", "SM502", "SM503"]
INVOCATIONS = ("AWS/SageMaker", "Invocations", "Sum")
CPU = ("/aws/sagemaker/Endpoints", "CPUUtilization", "Average")
GPU = ("/aws/sagemaker/Endpoints", "GPUUtilization", "Average")


@dataclass
class MetricPlan:
    """Which metrics over which windows (hours), from the rules' parameters."""

    now: datetime
    invocation_hours: Optional[float] = 24.0  # None: no rule needs it
    utilisation_hours: Optional[float] = None
    period: int = 3600

    def window(self, hours: float) -> tuple[datetime, datetime]:
        end = self.now.replace(second=0, microsecond=0)
        return end - timedelta(hours=hours), end

    def queries(self, endpoints: list[m.Endpoint], configs: list[m.EndpointConfig]) -> list[tuple]:
        """(endpoint, variant name, (namespace, metric, stat), hours) per series."""
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
                if self.invocation_hours:
                    out.append((e, name, INVOCATIONS, self.invocation_hours))
                spec = types.get((e.EndpointConfigName, name))
                serverless = pv.CurrentServerlessConfig is not None or (spec is not None and spec.is_serverless)
                if self.utilisation_hours and not serverless:
                    out.append((e, name, CPU, self.utilisation_hours))
                    itype = str(getattr(spec, "InstanceType", "") or "")
                    if itype.startswith(("ml.g", "ml.p")):
                        out.append((e, name, GPU, self.utilisation_hours))
        return out

    def collect(self, col: Any, endpoints: list[m.Endpoint], configs: list[m.EndpointConfig]) -> None:
        by_window: dict[float, list[tuple]] = {}
        for q in self.queries(endpoints, configs):
            by_window.setdefault(q[3], []).append(q)
        for hours, qs in sorted(by_window.items()):
            start, end = self.window(hours)
            for i in range(0, len(qs), MAX_QUERIES):
                self._batch(col, qs[i:i + MAX_QUERIES], start, end)

    def _batch(self, col: Any, qs: list[tuple], start: datetime, end: datetime) -> None:
        ids = {f"q{i}": q for i, q in enumerate(qs)}
        queries = [{
            "Id": qid,
            "MetricStat": {
                "Metric": {"Namespace": ns, "MetricName": metric,
                           "Dimensions": [{"Name": "EndpointName", "Value": e.EndpointName},
                                          {"Name": "VariantName", "Value": variant}]},
                "Period": self.period, "Stat": stat},
            "ReturnData": True,
        } for qid, (e, variant, (ns, metric, stat), _) in ids.items()]
        data: dict[str, tuple[list, list]] = {qid: ([], []) for qid in ids}
        status: dict[str, str] = {}
        cw = col.client("cloudwatch")
        try:
            for page in cw.get_paginator("get_metric_data").paginate(
                    MetricDataQueries=queries, StartTime=start, EndTime=end, ScanBy="TimestampAscending"):
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
                                                   resource=ep.meta.arn, rules=METRIC_RULES))
            return
        for qid, (e, variant, (ns, metric, stat), _) in ids.items():
            code = status.get(qid)
            if code not in ("Complete", "PartialData"):
                col.out.gaps.append(CoverageGap(
                    account=col.account, region=col.region, service="cloudwatch", operation="GetMetricData",
                    resource=e.meta.arn, rules=METRIC_RULES, error=code or "MissingResult",
                    message=f"{metric} of variant {variant}: CloudWatch returned status {code or 'nothing'}"))
                continue
            ts, vs = data[qid]
            pairs = sorted(zip(ts, vs))
            col.out.metrics.append(m.MetricSeries(
                namespace=ns, metric=metric, stat=stat, endpoint=e.EndpointName, variant=variant,
                account=col.account, region=col.region, period=self.period, start=iso(start), end=iso(end),
                timestamps=[t for t, _ in pairs], values=[v for _, v in pairs]))
