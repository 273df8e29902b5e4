"""A snapshot of N endpoints built from the sandbox account: the sandbox's
four endpoints with everything that hangs off them (configs, models,
autoscaling, alarms, monitoring schedules, log groups, metrics) copied N/4
times under new names; the account-wide resources (buckets, network, IAM,
the trail, the dashboard, the model registry) stay single, as in a real
account. Copy 0 keeps the sandbox's names, copy i appends ``-c<i>``."""

from __future__ import annotations

import json
import re
from typing import Any

# kinds that belong to one endpoint and are copied with it
PER_ENDPOINT = ("Model", "EndpointConfig", "Endpoint", "MonitoringSchedule", "ScalableTarget",
                "ScalingPolicy", "Alarm", "LogGroup")


def _token(arn: str) -> str:
    """The name an ARN ends with (after its last ``/`` or ``:``)."""
    return re.split(r"[/:]", arn)[-1]


def scale(snapshot: dict, copies: int) -> dict:
    """``snapshot`` (a parsed ``--save-snapshot`` document) with its
    per-endpoint resources and metrics repeated ``copies`` times."""
    own = [r for r in snapshot["resources"] if r["kind"] in PER_ENDPOINT]
    shared = [r for r in snapshot["resources"] if r["kind"] not in PER_ENDPOINT]
    tokens = sorted({_token(r["meta"]["arn"]) for r in own}, key=len, reverse=True)
    pattern = re.compile(r"(?<![\w.-])(" + "|".join(map(re.escape, tokens)) + r")(?![\w.-])")
    template = json.dumps({"resources": own, "metrics": snapshot["metrics"]})
    resources: list[Any] = list(shared)
    metrics: list[Any] = []
    for i in range(copies):
        text = template if i == 0 else pattern.sub(lambda m: f"{m.group(1)}-c{i}", template)
        part = json.loads(text)
        resources.extend(part["resources"])
        metrics.extend(part["metrics"])
    out = dict(snapshot)
    out["resources"], out["metrics"] = resources, metrics
    return out


def endpoints(snapshot: dict) -> int:
    return sum(1 for r in snapshot["resources"] if r["kind"] == "Endpoint")
