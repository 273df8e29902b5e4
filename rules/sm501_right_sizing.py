"""SM501 right-sizing."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

from pydantic import Field, field_validator

from auditor.inventory import parse_time, series_window
from auditor.rulebase import Fail, MetricNeed, Rule, RuleParams, Undecided, tag_matches
from auditor.values import Unknown, display, is_known, why_unknown

# Sizes below xlarge, in xlarge units (large is half an xlarge: half the vCPUs).
NAMED_SIZES = {"nano": 1 / 32, "micro": 1 / 16, "small": 1 / 8, "medium": 1 / 4, "large": 1 / 2, "xlarge": 1.0}
_SIZE = re.compile(r"^(?:(?P<n>[1-9][0-9]*)xlarge|(?P<name>nano|micro|small|medium|large|xlarge))$")
_TYPE = re.compile(r"^ml\.(?P<family>[a-z][a-z0-9-]*)\.(?P<size>[a-z0-9]+)$")
_ACCELERATED = re.compile(r"^(?:[gp][0-9]|inf[0-9]|trn[0-9]|dl[0-9])")
DATA = Path(__file__).parent / "data" / "instance_types.json"  # vCPUs and memory; provenance inside


@lru_cache(maxsize=1)
def instance_specs() -> dict[str, tuple[int, float]]:
    """ml.* instance type -> (vCPUs, memory GiB), from the AWS instance tables."""
    return {k: (int(v["vcpus"]), float(v["memory_gib"]))
            for k, v in json.loads(DATA.read_text())["types"].items()}


def parse_size(size: str) -> Optional[float]:
    """``large`` -> 0.5, ``xlarge`` -> 1.0, ``12xlarge`` -> 12.0; None if not a size."""
    m = _SIZE.match(size)
    if not m:
        return None
    return float(m.group("n")) if m.group("n") else NAMED_SIZES[m.group("name")]


def size_name(units: float) -> str:
    for name, u in NAMED_SIZES.items():
        if u == units:
            return name
    return f"{int(units)}xlarge"


@dataclass(frozen=True, order=True)
class InstanceType:
    units: float  # first, so sorting orders by size
    family: str
    size: str

    @property
    def name(self) -> str:
        return f"ml.{self.family}.{self.size}"

    @property
    def accelerated(self) -> bool:
        """GPU (g*, p*) and accelerator (Inferentia, Trainium, Gaudi) families."""
        return bool(_ACCELERATED.match(self.family))

    @property
    def vcpus(self) -> Optional[int]:
        """Real figure from the instance table; None for a type it does not list."""
        spec = instance_specs().get(self.name)
        return spec[0] if spec else None

    @property
    def memory_gib(self) -> Optional[float]:
        spec = instance_specs().get(self.name)
        return spec[1] if spec else None

    def larger_than(self, other: "InstanceType") -> bool:
        """More vCPUs or more memory (ml.r5.large is larger than ml.m5.large);
        by size name when the table lacks either type."""
        a, b = instance_specs().get(self.name), instance_specs().get(other.name)
        if a and b:
            return a[0] > b[0] or a[1] > b[1]
        return self.units > other.units


@lru_cache(maxsize=1024)  # the same few types are parsed for every endpoint
def parse_instance_type(value: str) -> Optional[InstanceType]:
    m = _TYPE.match(value.strip())
    if not m:
        return None
    units = parse_size(m.group("size"))
    return InstanceType(units, m.group("family"), m.group("size")) if units is not None else None


@lru_cache(maxsize=1)
def _hosting_types() -> frozenset[str]:
    """SageMaker hosting instance types, from botocore's service model (live
    advice only: the static path never loads it)."""
    try:
        from botocore.loaders import Loader

        model = Loader().load_service_model("sagemaker", "service-2")
        return frozenset(model["shapes"]["ProductionVariantInstanceType"]["enum"])
    except Exception:  # noqa: BLE001 - no botocore data: fall back to halving
        return frozenset()


@lru_cache(maxsize=1)
def _known_types() -> tuple[Optional[InstanceType], ...]:
    return tuple(parse_instance_type(x) for x in _hosting_types())


def next_size_down(t: InstanceType) -> Optional[InstanceType]:
    """The largest smaller size of the same family SageMaker hosts; without
    botocore's list, half the size."""
    known = _known_types()
    smaller = sorted(x for x in known if x is not None and x.family == t.family and x.units < t.units)
    if smaller:
        return smaller[-1]
    if known and any(x is not None and x.family == t.family for x in known):
        return None
    half = t.units / 2
    if half < NAMED_SIZES["large"]:
        return None
    return InstanceType(half, t.family, size_name(half)) if half in NAMED_SIZES.values() or half.is_integer() else None


class RightSizing(Rule):
    """Endpoint instances come from the allowed families and start small; GPUs beyond the ceiling are justified.

    ## What it checks
    For every instance-based variant of an endpoint config:

    * the instance family is in `allowed_families` (warning; a variant
      outside them gets no size advice besides);
    * a GPU or accelerator instance (`ml.g*`, `ml.p*`, `ml.inf*`, `ml.trn*`,
      `ml.dl*`) larger than `gpu_large` (the policy's large-model size,
      ml.g5.12xlarge) carries the `justification_tag` (warning); one larger
      than `gpu_medium` (ml.g5.xlarge) but within the ceiling without it gets
      a note;
    * a CPU instance larger than `start_size` (ml.m5.large: the policy's
      "start with" size) without the `justification_tag` gets a note:
      scale up on measured performance, and say why.

    Sizes compare by the instance's real vCPU count and memory (AWS's
    instance tables, kept in `rules/data/instance_types.json` with their
    source): an instance is larger than a limit when it has more vCPUs or
    more memory (ml.r5.large, 2 vCPUs and 16 GiB, is larger than
    ml.m5.large, 2 vCPUs and 8 GiB); a type the table does not list compares
    by its size name. The tag is read from the endpoint config and from the
    endpoints that use it, and any non-empty value justifies.

    Live, for each endpoint older than `window_hours`, the average
    `CPUUtilization` (`GPUUtilization` on accelerated instances; Inferentia
    and Trainium publish neither, so they get no advice) over the window is
    compared with `low_utilization_percent`. SageMaker sums
    CPUUtilization over the vCPUs (400 % on 4 vCPUs), so the rule divides by
    the instance's vCPU count from the table (ml.t2.medium has 2; a type the
    table lacks is *unknown*); GPUUtilization is summed over GPUs whose
    count the size does not tell, so it is compared as is (on multi-GPU
    instances this advises only when the whole instance is nearly idle).
    Below the threshold is a note naming the next size down. An endpoint
    whose utilisation was not collected gets no advice; a coverage gap makes
    the verdict unknown.

    ## Why
    Instances are billed by the hour whether busy or not. The policy starts
    with ml.m5.large and scales on evidence; GPU sizes are the largest line
    of most inference bills.

    ## Example
    ```yaml
    ProductionVariants:
      - VariantName: AllTraffic
        InstanceType: ml.g5.48xlarge   # SM501: beyond ml.g5.12xlarge, no justification tag
    ```

    ## Fix
    Pick the smallest instance that meets the latency target, or record the
    reason: `Tags: [{Key: sm-audit:instance-justification, Value: "70B model, TP=8"}]`.

    ## Remediation
    None automatic: changing instance types is a deployment decision.
    """

    id = "SM501"
    slug = "right-sizing"
    title = "Instance selection matches the workload"
    level = "warning"
    section = "Cost Optimization"
    policy = "Instance selection must be based on actual workload requirements."
    tags = ("cost", "instances")
    targets = ("EndpointConfig", "Endpoint")
    reads = ("EndpointConfig", "Endpoint")
    metrics = (
        MetricNeed("CPUUtilization", "Average", "window_hours", namespace="/aws/sagemaker/Endpoints",
                   variants="instance"),
        MetricNeed("GPUUtilization", "Average", "window_hours", namespace="/aws/sagemaker/Endpoints",
                   variants="gpu"),
    )

    class Params(RuleParams):
        allowed_families: list[str] = [
            "ml.t2", "ml.m5", "ml.m5d", "ml.m6i", "ml.m7i", "ml.m6g", "ml.m7g", "ml.c5", "ml.c5d", "ml.c6i",
            "ml.c7i", "ml.c6g", "ml.c7g", "ml.r5", "ml.r5d", "ml.r6i", "ml.r7i", "ml.r6g", "ml.g4dn", "ml.g5",
            "ml.g6", "ml.g6e", "ml.inf2", "ml.p4d", "ml.p5",
        ]
        start_size: str = "ml.m5.large"
        gpu_medium: str = "ml.g5.xlarge"
        gpu_large: str = "ml.g5.12xlarge"
        justification_tag: str = "sm-audit:instance-justification"
        window_hours: int = Field(168, gt=0)
        low_utilization_percent: float = Field(20.0, ge=0, le=100)

        @field_validator("start_size", "gpu_medium", "gpu_large")
        @classmethod
        def _instance_type(cls, v: str) -> str:
            if parse_instance_type(v) is None:
                raise ValueError(f"{v!r} is not an ml.<family>.<size> instance type")
            return v

    def _limit(self, name: str) -> InstanceType:
        return parse_instance_type(name)  # type: ignore[return-value] - validated in Params

    def check(self, res, ctx):
        if res.kind == "EndpointConfig":
            yield from self._static(res, ctx)
        else:
            yield from self._live(res, ctx)

    def _justified(self, cfg, ctx) -> Any:
        found = tag_matches([cfg, *ctx.inv.endpoints_using(cfg)], (self.params.justification_tag,),
                            lambda v: bool(str(v).strip()))
        return found if isinstance(found, Unknown) else found is not None

    def _static(self, cfg, ctx):
        allowed = set(self.params.allowed_families)
        start, medium, large = (self._limit(x) for x in
                                (self.params.start_size, self.params.gpu_medium, self.params.gpu_large))
        tag = self.params.justification_tag
        for path, v in cfg.variants():
            raw = v.InstanceType
            if v.is_serverless or raw is None:
                continue
            p = path + ("InstanceType",)
            name = display(v.VariantName)
            if not is_known(raw):
                yield Undecided(p, f"instance type of variant {name} is unknown ({why_unknown(raw)})")
                continue
            t = parse_instance_type(str(raw))
            if t is None:
                yield Fail(p, f"variant {name}: {raw!s} is not an ml.<family>.<size> instance type")
                continue
            if f"ml.{t.family}" not in allowed:
                yield Fail(p, f"variant {name} runs on {t.name}; family ml.{t.family} is not in allowed_families")
                continue  # one finding per variant: the family decides first
            if t.accelerated:
                limit, lvl = (large, None) if t.larger_than(large) else (medium, "note")
            else:
                limit, lvl = start, "note"
            if not t.larger_than(limit):
                continue
            just = self._justified(cfg, ctx)
            if just is True:
                continue
            if t.accelerated and lvl is None:
                msg = (f"variant {name} runs on {t.name}, beyond the large-model GPU size {large.name}; larger "
                       f"accelerated instances need a justification in tag {tag}")
            elif t.accelerated:
                msg = (f"variant {name} runs on {t.name}, above the medium-model GPU size {medium.name}; use "
                       f"{medium.name} for medium models, or record why in tag {tag}")
            else:
                msg = (f"variant {name} runs on {t.name}, above the start size {start.name}; scale up on measured "
                       f"performance and record why in tag {tag}")
            if isinstance(just, Unknown):
                yield Undecided(p, f"{msg} (cannot tell: {just.reason})")
            else:
                yield Fail(p, msg, level=lvl, data={"variant": name, "instance_type": t.name})

    def _live(self, ep, ctx):
        if not ctx.measured(ep) or not isinstance(ep.name, str):
            return
        cfg = ctx.inv.config_of(ep)
        if cfg is None or isinstance(cfg, Unknown):
            return
        end = ctx.now
        start = end - timedelta(hours=self.params.window_hours)
        created = parse_time(ep.CreationTime)
        if created is None or created > start:
            return  # not a full window of evidence yet
        for i, v in cfg.variants():
            raw = v.InstanceType
            t = parse_instance_type(raw) if isinstance(raw, str) else None
            if v.is_serverless or t is None:
                continue
            found = None
            # an accelerated instance is sized by its accelerator: its CPU load says little about it
            for metric in (("GPUUtilization",) if t.accelerated else ("CPUUtilization",)):
                s = ctx.inv.metric(ep.name, v.VariantName, metric, ep.meta.account, ep.meta.region)
                if s is not None:
                    found = (metric, s)
                    break
            if found is None:
                continue  # utilisation was not collected: no advice
            metric, series = found
            covered, points = series_window(series, start, end)
            if not covered or not points:
                continue
            avg = sum(x for _, x in points) / len(points)
            if metric == "CPUUtilization" and t.vcpus is None:
                yield Undecided(i + ("InstanceType",),
                                f"cannot judge the CPU utilisation of variant {display(v.VariantName)}: the vCPU "
                                f"count of {t.name} is not in the instance table (rules/data/instance_types.json)")
                continue
            per = avg / t.vcpus if metric == "CPUUtilization" else avg
            if per >= self.params.low_utilization_percent:
                continue
            what = "CPU per vCPU" if metric == "CPUUtilization" else "GPU"
            down = next_size_down(t)
            hint = f"consider {down.name}" if down else \
                f"{t.name} is the smallest ml.{t.family} size; consider a smaller family or serverless inference"
            yield Fail(i + ("InstanceType",),
                       f"variant {display(v.VariantName)} on {t.name} averaged {per:.1f}% {what} over the last "
                       f"{self.params.window_hours} h (below {self.params.low_utilization_percent:g}%); {hint}",
                       level="note",
                       data={"variant": display(v.VariantName), "instance_type": t.name, "metric": metric,
                             "average_percent": round(per, 2), "suggested": down.name if down else None})
