"""The Inventory container and the cross-resource look-ups rules use.

Look-ups answer three ways: the resource, ``None`` (it does not exist), or an
``Unknown`` (cannot tell). A static inventory is *incomplete* (a template is
not the whole account), so a literal name that names nothing in it is
unknown, not missing; a live inventory is complete for what it collected.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable, Iterator, Optional

from .loaders.marked import Span
from .models.inventory import (
    KINDS,
    Alarm,
    CoverageGap,
    Endpoint,
    EndpointConfig,
    MetricSeries,
    Model,
    ProductionVariant,
    Resource,
    ScalableTarget,
    ScalingPolicy,
)
from .values import Str, Sym, Unknown, is_known, same

SAGEMAKER_DIMENSION = "sagemaker:variant:DesiredInstanceCount"


class Inventory:
    def __init__(self, complete: bool = False) -> None:
        self.complete = complete  # live: what is not here does not exist
        self.resources: dict[str, list[Resource]] = defaultdict(list)
        self.by_key: dict[str, Resource] = {}
        self.metrics: list[MetricSeries] = []
        self.gaps: list[CoverageGap] = []
        # file -> doc index -> path -> Span
        self.positions: dict[str, dict[int, dict[tuple, Span]]] = {}
        self.scenario: Optional[str] = None  # label when a template has undecidable conditions
        self.facts: dict[str, Any] = {}  # account-level facts (e.g. window, now)

    # -- building ---------------------------------------------------------
    def add(self, res: Resource) -> None:
        self.resources[res.kind].append(res)
        self.by_key[res.key] = res

    def extend(self, other: "Inventory") -> None:
        for lst in other.resources.values():
            for r in lst:
                self.add(r)
        self.metrics.extend(other.metrics)
        self.gaps.extend(other.gaps)
        self.positions.update(other.positions)

    def of(self, kind: str) -> list[Any]:
        return self.resources.get(kind, [])

    def all(self) -> Iterator[Resource]:
        for kind in KINDS:
            yield from self.resources.get(kind, [])

    def __len__(self) -> int:
        return sum(len(v) for v in self.resources.values())

    @property
    def models(self) -> list[Model]:
        return self.of("Model")

    @property
    def endpoint_configs(self) -> list[EndpointConfig]:
        return self.of("EndpointConfig")

    @property
    def endpoints(self) -> list[Endpoint]:
        return self.of("Endpoint")

    # -- look-ups ---------------------------------------------------------
    def find(self, kind: str, ref: Any, near: Optional[Resource] = None) -> Any:
        """The ``kind`` resource that ``ref`` names, None, or an Unknown."""
        if ref is None:
            return None
        if isinstance(ref, Unknown):
            return ref
        candidates = self.of(kind)
        if isinstance(ref, Sym) and ref.kind == "resource":
            file = near.meta.file if near else None
            for r in candidates:
                if r.meta.logical_id == ref.key and (file is None or r.meta.file == file):
                    return r
            return Unknown(f"{ref.key} is not a {kind} in this template")
        for r in candidates:
            if near is not None and not _same_scope(r, near):
                continue
            if r.is_referenced_by(ref):
                return r
        if isinstance(ref, (Sym, Str)):
            return Unknown(f"cannot tell which {kind}: {ref.describe()}")
        if self.complete and (near is None or near.meta.is_live):
            return None
        return Unknown(f"{kind} {ref!r} is not defined in this template")

    def config_of(self, endpoint: Endpoint) -> Any:
        return self.find("EndpointConfig", endpoint.EndpointConfigName, endpoint)

    def endpoints_using(self, config: EndpointConfig) -> list[Endpoint]:
        return [
            e for e in self.endpoints if _same_scope(e, config) and config.is_referenced_by(e.EndpointConfigName)
        ]

    def model_of(self, variant: ProductionVariant, near: Resource) -> Any:
        return self.find("Model", variant.ModelName, near)

    def configs_using(self, model: Model) -> list[EndpointConfig]:
        out = []
        for c in self.endpoint_configs:
            if not _same_scope(c, model):
                continue
            if any(model.is_referenced_by(v.ModelName) for _, v in c.variants()):
                out.append(c)
        return out

    # autoscaling: ResourceId is endpoint/<endpoint>/variant/<variant>
    def scalable_targets_for(self, endpoint: Endpoint, variant_name: Any) -> list[ScalableTarget]:
        out = []
        for t in self.of("ScalableTarget"):
            if not _same_scope(t, endpoint):
                continue
            ep, var = parse_variant_resource_id(t.ResourceId)
            if ep is None:
                continue
            if endpoint.is_referenced_by(ep) and same_name(var, variant_name):
                out.append(t)
        return out

    def undecidable_targets(self, endpoint: Endpoint) -> list[ScalableTarget]:
        """Targets in scope whose ResourceId cannot be tied to any endpoint."""
        out = []
        for t in self.of("ScalableTarget"):
            if not _same_scope(t, endpoint):
                continue
            ep, _ = parse_variant_resource_id(t.ResourceId)
            if ep is None and not is_known(t.ResourceId):
                out.append(t)
        return out

    def policies_for(self, target: ScalableTarget) -> list[ScalingPolicy]:
        out = []
        for p in self.of("ScalingPolicy"):
            if not _same_scope(p, target):
                continue
            if p.ScalingTargetId is not None and target.is_referenced_by(p.ScalingTargetId):
                out.append(p)
            elif p.ResourceId is not None and _same_value(p.ResourceId, target.ResourceId) and (
                p.ScalableDimension is None or _same_value(p.ScalableDimension, target.ScalableDimension)
            ):
                out.append(p)
        return out

    def alarms_for(self, endpoint: Endpoint) -> list[Alarm]:
        """Alarms whose EndpointName dimension (or metric-math metrics) name it."""
        out = []
        for a in self.of("Alarm"):
            if not _same_scope(a, endpoint):
                continue
            names = [a.dimension("EndpointName")]
            if isinstance(a.Metrics, list):
                for m in a.Metrics:
                    stat = m.get("MetricStat") if isinstance(m, dict) else None
                    metric = stat.get("Metric") if isinstance(stat, dict) else None
                    dims = metric.get("Dimensions") if isinstance(metric, dict) else None
                    for d in dims if isinstance(dims, list) else []:
                        if isinstance(d, dict) and d.get("Name") == "EndpointName":
                            names.append(d.get("Value"))
            if any(n is not None and endpoint.is_referenced_by(n) for n in names):
                out.append(a)
        return out

    def metric(self, endpoint: str, variant: Optional[str], metric: str, account=None, region=None) -> Optional[MetricSeries]:
        for m in self.metrics:
            if m.endpoint == endpoint and m.variant == variant and m.metric == metric:
                if (account is None or m.account == account) and (region is None or m.region == region):
                    return m
        return None

    def gaps_for(self, res: Resource, rule_id: str) -> list[CoverageGap]:
        """Coverage gaps that make a rule's verdict on ``res`` unknown."""
        out = []
        for g in self.gaps:
            if g.account and res.meta.account and g.account != res.meta.account:
                continue
            if g.region and res.meta.region and g.region != res.meta.region:
                continue
            if g.rules and rule_id not in g.rules:
                continue
            if g.resource and g.resource not in (res.meta.arn, res.name):
                continue
            out.append(g)
        return out


def _same_scope(a: Resource, b: Resource) -> bool:
    """Static: same file. Live: same account and region."""
    if a.meta.file or b.meta.file:
        return a.meta.file == b.meta.file
    return a.meta.account == b.meta.account and a.meta.region == b.meta.region


def _same_value(a: Any, b: Any) -> bool:
    return same(a, b)


def same_name(a: Any, b: Any) -> bool:
    return same(a, b)


def parse_variant_resource_id(rid: Any) -> tuple[Any, Any]:
    """``endpoint/<ep>/variant/<variant>`` -> (ep, variant); (None, None) when
    the id is not of that shape or cannot be split."""
    if isinstance(rid, str):
        parts = rid.split("/")
    elif isinstance(rid, Str):
        parts = rid.split("/")
    else:
        return None, None
    if len(parts) == 4 and parts[0] == "endpoint" and parts[2] == "variant":
        return parts[1], parts[3]
    return None, None


def iter_kinds(inv: Inventory, kinds: Iterable[str]) -> Iterator[Resource]:
    for k in kinds:
        yield from inv.of(k)
