"""The Inventory container and the cross-resource look-ups rules use.

Look-ups answer three ways: the resource, ``None`` (it does not exist), or an
``Unknown`` (cannot tell). A static inventory is *incomplete* (a template is
not the whole account), so a literal name that names nothing in it is
unknown, not missing; a live inventory is complete for what it collected.
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache
from typing import Any, Callable, Iterable, Iterator, Optional

from .models.resources import (
    KINDS,
    Alarm,
    Endpoint,
    EndpointConfig,
    MetricSeries,
    Model,
    ProductionVariant,
    Resource,
    ScalableTarget,
    ScalingPolicy,
)
from .models.gaps import CoverageGap
from .models.positions import Span
from .values import Str, Sym, Unknown, display, is_known, same

SAGEMAKER_DIMENSION = "sagemaker:variant:DesiredInstanceCount"
COMPONENT_DIMENSION = "sagemaker:inference-component:DesiredCopyCount"


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
        self.candidate = None  # loaders.candidates.Candidate: the finite choices this inventory assumes
        self.facts: dict[str, Any] = {}  # account-level facts (e.g. window, now)

    # -- building ---------------------------------------------------------
    def add(self, res: Resource) -> None:
        self.resources[res.kind].append(res)
        self.by_key[res.key] = res
        self.__dict__.pop("_idx", None)

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
        if type(ref) is str:
            candidates = self._named(kind, ref)
        if isinstance(ref, Sym) and ref.kind == "resource":
            file = near.meta.file if near else None
            for r in self._index()["lids"].get((kind, ref.key), ()):
                if file is None or r.meta.file == file:
                    return r
            return Unknown(f"{ref.key} is not a {kind} in this {_noun(near)}")
        for r in candidates:
            if near is not None and not _same_scope(r, near):
                continue
            if r.is_referenced_by(ref):
                return r
        if isinstance(ref, (Sym, Str)):
            return Unknown(f"cannot tell which {kind}: {ref.describe()}")
        if self.complete and (near is None or near.meta.is_live):
            return None
        return Unknown(f"{kind} {ref!r} is not defined in this {_noun(near)}")

    def config_of(self, endpoint: Endpoint) -> Any:
        return self.find("EndpointConfig", endpoint.EndpointConfigName, endpoint)

    def endpoints_using(self, config: EndpointConfig) -> list[Endpoint]:
        return [e for e in self._linked("Endpoint", _config_names, config)
                if config.is_referenced_by(e.EndpointConfigName)]

    def model_of(self, variant: ProductionVariant, near: Resource) -> Any:
        return self.find("Model", variant.ModelName, near)

    # -- inference components: the model hangs off the endpoint, not the variant
    def components_on(self, endpoint: Endpoint) -> list[Any]:
        """Inference components hosted on the endpoint."""
        return [c for c in self._linked("InferenceComponent", _component_endpoints, endpoint)
                if endpoint.is_referenced_by(c.EndpointName)]

    def endpoint_of_component(self, component: Any) -> Any:
        """The endpoint an inference component is hosted on, None, or an Unknown."""
        return self.find("Endpoint", component.EndpointName, component)

    def component_model(self, component: Any) -> Any:
        """(path, model): the Model a component names, None for an inline
        ``Specification.Container``, or an Unknown."""
        spec = component.Specification
        if spec is not None and not is_known(spec):
            return spec
        name = _get(spec, "ModelName")
        return self.find("Model", name, component) if name is not None else None

    def unused_config(self, config: EndpointConfig) -> bool:
        """A template's endpoint config that no endpoint of the template uses:
        its own properties are decidable, its endpoint's are not. (A live
        config without an endpoint serves nothing.)"""
        return not config.meta.is_live and not self.endpoints_using(config)

    def components_using(self, model: Model) -> list[Any]:
        """Inference components whose Specification names the model."""
        return [c for c in self._linked("InferenceComponent", _component_models, model)
                if model.is_referenced_by(_get(c.Specification, "ModelName"))]

    def configs_using(self, model: Model) -> list[EndpointConfig]:
        out = []
        for c in self._linked("EndpointConfig", _variant_models, model):
            if any(model.is_referenced_by(v.ModelName) for _, v in c.known_variants()):
                out.append(c)
        return out

    # -- indexes: every look-up is linear in the size of the inventory ----
    # They only narrow the candidates to a superset of the answer; the
    # look-ups still apply their own tests (including "may match once
    # deployed"), in inventory order. Built on first use, dropped by add().
    def _index(self) -> dict:
        idx = self.__dict__.get("_idx")
        if idx is not None:
            return idx
        idx = {"pos": {}, "names": defaultdict(list), "lids": defaultdict(list), "linked": {}, "metrics": None}
        for kind, lst in self.resources.items():
            for i, r in enumerate(lst):
                idx["pos"][id(r)] = i
                if r.meta.logical_id is not None:
                    idx["lids"][(kind, r.meta.logical_id)].append(r)
                keys = {_last(k) for k in (r.name, r.meta.arn, getattr(r, "ModelPackageArn", None),
                                          getattr(r, "Arn", None)) if type(k) is str}
                if type(r.name) is not str:
                    keys.add(None)  # named symbolically: always a candidate
                for k in keys:
                    idx["names"][(kind, k)].append(r)
        self._idx = idx
        return idx

    def _named(self, kind: str, ref: str) -> list[Any]:
        idx = self._index()
        named, symbolic = idx["names"].get((kind, _last(ref)), ()), idx["names"].get((kind, None), ())
        if not symbolic:  # each index list is in inventory order already
            return list(named)
        found = {id(r): r for r in (*named, *symbolic)}
        return sorted(found.values(), key=lambda r: idx["pos"][id(r)])

    def _linked(self, kind: str, values_of: Callable[[Any], list], target: Resource,
                maybe: bool = False, extra: tuple = ()) -> list[Any]:
        """Resources of ``kind`` in ``target``'s scope, in inventory order,
        that may name ``target`` through one of ``values_of(r)``: those with
        a value that is its name, its ARN or a reference to its logical id,
        and those with a value that is not a plain name or no value at all
        (always candidates). ``maybe``: the caller also accepts values that
        may equal the target's name once deployed; a target whose own name
        is symbolic may then match any literal, so every resource of the
        kind is a candidate. ``extra``: more keys of the target (``("rid",
        value)`` entries of ``values_of``)."""
        idx = self._index()
        table = idx["linked"].get((kind, values_of))
        if table is None:
            table = idx["linked"][(kind, values_of)] = defaultdict(list)
            for r in self.of(kind):
                keys = {_ref_key(v) for v in values_of(r)} or {None}
                for k in keys:
                    table[k].append(r)
                if any(k is not None and k[0] == "lid" for k in keys):
                    table["lid*"].append(r)
        name = target.name
        if maybe and name is not None and type(name) is not str and not _is_resource_ref(name):
            found = self.of(kind)
        else:
            keys = {None, *extra}
            if maybe and name is not None and type(name) is not str:
                keys.add("lid*")  # a reference to another resource's name may be this one's
            if type(name) is str:
                keys.add(("n", name))
            if target.meta.arn:
                keys.add(("n", _last(target.meta.arn)))
            if target.meta.logical_id is not None:
                keys.add(("lid", target.meta.logical_id))
            hits = {id(r): r for k in keys for r in table.get(k, ())}
            pos = idx["pos"]
            found = sorted(hits.values(), key=lambda r: pos[id(r)])
        return [r for r in found if _same_scope(r, target)]

    # autoscaling: ResourceId is endpoint/<endpoint>/variant/<variant> or
    # inference-component/<component>; an id of the other shape is no candidate
    def _target_endpoint(self, t: ScalableTarget) -> list[Any]:
        ep, _ = parse_variant_resource_id(t.ResourceId)
        if ep is None:
            return [_NOTHING] if parse_component_resource_id(t.ResourceId) is not None else []
        return [self.deref(ep, t)]

    def _target_component(self, t: ScalableTarget) -> list[Any]:
        name = parse_component_resource_id(t.ResourceId)
        if name is None:
            return [_NOTHING] if parse_variant_resource_id(t.ResourceId)[0] is not None else []
        return [self.deref(name, t)]

    def component_targets(self, component: Any) -> tuple[list[ScalableTarget], list[ScalableTarget]]:
        """(SageMaker scalable targets on ``inference-component/<its name>``,
        targets that may be: their id cannot be split, or its name cannot be
        told apart from the component's). Targets of another dimension are
        left out; one whose dimension is unknown is kept."""
        sure, maybe = [], []
        for t in self._linked("ScalableTarget", self._target_component, component, maybe=True):
            if any(is_known(v) and v is not None and v != want for v, want in (
                    (t.ServiceNamespace, "sagemaker"), (t.ScalableDimension, COMPONENT_DIMENSION))):
                continue
            name = parse_component_resource_id(t.ResourceId)
            if name is None:
                if not is_known(t.ResourceId) and parse_variant_resource_id(t.ResourceId)[0] is None:
                    maybe.append(t)
                continue
            named = names_resource(self.deref(name, t), component)
            if named is True:
                sure.append(t)
            elif named is None:
                maybe.append(t)
        return sure, maybe

    def alarms_triggering(self, policy: ScalingPolicy) -> tuple[list[Alarm], list[Alarm]]:
        """(alarms whose AlarmActions name the scaling policy, alarms whose
        actions cannot be told)."""
        sure, maybe = [], []
        for a in self._linked("Alarm", _alarm_actions, policy):
            acts = a.AlarmActions if isinstance(a.AlarmActions, list) else [a.AlarmActions]
            if any(policy.is_referenced_by(x) for x in acts):
                sure.append(a)
            elif any(isinstance(x, Unknown) for x in acts):
                maybe.append(a)
        return sure, maybe

    def scalable_targets_for(self, endpoint: Endpoint, variant_name: Any) -> list[ScalableTarget]:
        out = []
        for t in self._linked("ScalableTarget", self._target_endpoint, endpoint):
            ep, var = parse_variant_resource_id(t.ResourceId)
            if ep is None:
                continue
            ep, var = self.deref(ep, t), self.deref(var, t)
            if (endpoint.is_referenced_by(ep) or same_name(ep, endpoint.name)) and (
                    same_name(var, variant_name) or same_name(var, self.deref(variant_name, endpoint))):
                out.append(t)
        return out

    def deref(self, value: Any, near: Resource) -> Any:
        """``GetAtt X.<name property>`` of a resource in the same file -> the
        name it was given (so ``endpoint/${Config.EndpointConfigName}/...``
        matches an endpoint named by the same parameter)."""
        if not (isinstance(value, Sym) and value.kind == "resource" and value.attr):
            return value
        idx = self._index()["lids"]
        found = [r for kind in KINDS for r in idx.get((kind, value.key), ()) if r.meta.file == near.meta.file]
        for r in found[:1]:
            name = getattr(r, r.name_prop, None) if r.name_prop == value.attr else None
            return name if name is not None else value
        return value

    def unresolved_targets_for(self, endpoint: Endpoint, variant_name: Any) -> list[ScalableTarget]:
        """SageMaker targets in scope that may or may not scale this variant:
        the ResourceId cannot be split, or its endpoint/variant parts cannot
        be proven equal or different (one side symbolic)."""
        out = []
        sure = {id(t) for t in self.scalable_targets_for(endpoint, variant_name)}
        for t in self._linked("ScalableTarget", self._target_endpoint, endpoint, maybe=True):
            if id(t) in sure:
                continue
            if is_known(t.ServiceNamespace) and t.ServiceNamespace not in (None, "sagemaker"):
                continue
            ep, var = parse_variant_resource_id(t.ResourceId)
            if ep is None:
                if not is_known(t.ResourceId) and parse_component_resource_id(t.ResourceId) is None:
                    out.append(t)
                continue
            ep, var = self.deref(ep, t), self.deref(var, t)
            if (endpoint.is_referenced_by(ep) or _maybe_same(ep, endpoint.name)) and _maybe_same(
                    var, self.deref(variant_name, endpoint)):
                out.append(t)
        return out

    def monitoring_schedules_for(self, endpoint: Endpoint) -> tuple[list[Any], list[Any]]:
        """(schedules that monitor the endpoint, schedules that may: their
        endpoint name cannot be told apart from it)."""
        sure, maybe = [], []
        for s in self._linked("MonitoringSchedule", self._schedule_names, endpoint, maybe=True):
            names = self._schedule_names(s)
            if any(endpoint.is_referenced_by(n) for n in names):
                sure.append(s)
            elif (not names and not self.complete) or any(_maybe_same(n, endpoint.name) for n in names):
                maybe.append(s)
        return sure, maybe

    def job_definition_of(self, schedule: Any) -> Any:
        """The monitoring job definition a schedule names, None, or an Unknown."""
        ref = _get(schedule.MonitoringScheduleConfig, "MonitoringJobDefinitionName")
        return self.find("MonitoringJobDefinition", ref, schedule) if ref is not None else None

    def monitoring_type_of(self, schedule: Any) -> Any:
        """DataQuality | ModelQuality | ModelBias | ModelExplainability, or an Unknown."""
        if schedule.MonitoringType is not None:
            return schedule.MonitoringType
        cfg = schedule.MonitoringScheduleConfig
        if cfg is not None and not is_known(cfg):
            return cfg
        if _get(cfg, "MonitoringType") is not None:
            return _get(cfg, "MonitoringType")
        jd = self.job_definition_of(schedule)
        if isinstance(jd, Unknown):
            return jd
        if jd is not None:
            return jd.monitoring_type
        if _get(cfg, "MonitoringJobDefinition") is not None:
            return "DataQuality"  # inline definitions without a type are data quality (the API default)
        return Unknown(f"monitoring schedule {schedule.label} names no monitoring type")

    def _schedule_names(self, s: Any) -> list[Any]:
        return [n for n in self._schedule_endpoints(s) if n is not None]

    def _schedule_endpoints(self, s: Any) -> list[Any]:
        names = [s.EndpointName]
        cfg = s.MonitoringScheduleConfig
        if cfg is not None and not is_known(cfg):
            return names + [cfg]
        inputs = _get(_get(cfg, "MonitoringJobDefinition"), "MonitoringInputs")
        for i in inputs if isinstance(inputs, list) else []:
            names.append(_get(_get(i, "EndpointInput"), "EndpointName"))
        jd = self.job_definition_of(s)
        if isinstance(jd, Unknown):
            names.append(jd)
        elif jd is not None:
            for key in ("DataQualityJobInput", "ModelQualityJobInput", "ModelBiasJobInput",
                        "ModelExplainabilityJobInput"):
                names.append(_get(_get(getattr(jd, key, None), "EndpointInput"), "EndpointName"))
        return names

    def policies_for(self, target: ScalableTarget) -> list[ScalingPolicy]:
        out = []
        rid = target.ResourceId
        for p in self._linked("ScalingPolicy", _policy_keys, target, extra=(("rid", rid),) if type(rid) is str else ()):
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
        for a in self._linked("Alarm", _alarm_endpoint_names, endpoint):
            if any(endpoint.is_referenced_by(n) for n in _alarm_endpoint_values(a)):
                out.append(a)
        return out

    def endpoint_alarms(self, endpoint: Endpoint, dimensions: tuple[str, ...] = ("EndpointName", "Endpoint")
                        ) -> tuple[list[Alarm], list[Alarm]]:
        """(alarms whose endpoint dimension names it, alarms that may: the
        dimension value cannot be told apart from its name). Looks at the
        alarm's own Dimensions and at every MetricStat of metric math;
        Model Monitor metrics use ``Endpoint``, endpoint metrics ``EndpointName``."""
        sure, maybe = [], []
        for a in self._linked("Alarm", _dimension_reader(tuple(dimensions)), endpoint, maybe=True):
            names = alarm_dimension_values(a, dimensions)
            if any(endpoint.is_referenced_by(n) for n in names):
                sure.append(a)
            elif any(_maybe_same(n, endpoint.name) for n in names):
                maybe.append(a)
        return sure, maybe

    def log_group_for(self, endpoint: Endpoint) -> Any:
        """The endpoint's ``/aws/sagemaker/Endpoints/<name>`` log group, None
        (live: it does not exist) or an Unknown (a template cannot tell:
        SageMaker creates the group itself)."""
        for g in self._linked("LogGroup", _log_group_endpoint, endpoint):
            rest = strip_prefix(g.LogGroupName, ENDPOINT_LOG_PREFIX)
            if rest is not None and endpoint.is_referenced_by(rest):
                return g
        if self.complete and endpoint.meta.is_live:
            return None
        return Unknown(f"SageMaker creates the log group at the endpoint's first invocation; a "
                       f"{endpoint.meta.source_noun} that does not declare it cannot tell")

    def metric(self, endpoint: str, variant: Optional[str], metric: str, account=None, region=None) -> Optional[MetricSeries]:
        idx = self._index()
        # metrics may be replaced after the index is built: key the table by the list
        table = idx["metrics"]
        if table is None or table[0] is not self.metrics or table[1] != len(self.metrics):
            series: dict = defaultdict(list)
            for m in self.metrics:
                series[(m.endpoint, m.variant, m.metric)].append(m)
            table = idx["metrics"] = (self.metrics, len(self.metrics), series)
        for m in table[2].get((endpoint, variant, metric), ()):
            if (account is None or m.account == account) and (region is None or m.region == region):
                return m
        return None

    def gaps_for(self, res: Resource, kinds: "frozenset[str] | set[str]") -> list[CoverageGap]:
        """Coverage gaps that hide data of ``kinds`` about ``res``: they make
        a verdict on ``res`` that reads those kinds unknown."""
        names = (res.meta.arn, res.name)
        account, region = res.meta.account, res.meta.region
        if any(n is not None and type(n) is not str for n in names):  # a symbolic name: compare every gap
            return [g for g in self.gaps if g.touches(kinds, account, region, names)]
        by_resource, unscoped = self._gap_index()
        picked = {i for n in names if n is not None for i in by_resource.get(n, ())}
        for k in (*kinds, None):
            picked.update(unscoped.get(k, ()))
        # the index only narrows the candidates: ``touches`` still decides, in gap order
        return [g for g in (self.gaps[i] for i in sorted(picked)) if g.touches(kinds, account, region, names)]

    def _gap_index(self) -> tuple[dict, dict]:
        """Positions of the gaps by the resource they name, and of the
        region/account-wide ones by kind (None: every kind). Gaps may be
        added after it is built: keyed by the list and its length."""
        idx = self._index()
        table = idx.get("gaps")
        if table is None or table[0] is not self.gaps or table[1] != len(self.gaps):
            by_resource: dict = defaultdict(list)
            unscoped: dict = defaultdict(list)
            for i, g in enumerate(self.gaps):
                if g.resource is not None:
                    by_resource[g.resource].append(i)
                else:
                    for k in g.kinds or (None,):
                        unscoped[k].append(i)
            table = idx["gaps"] = (self.gaps, len(self.gaps), (by_resource, unscoped))
        return table[2]


def _last(value: str) -> str:
    """The name an ARN ends with (the whole value when it is no ARN)."""
    return value.rsplit("/", 1)[-1] if value.startswith("arn:") else value


def _ref_key(value: Any) -> Any:
    """The index key under which a value may name a resource: its name (an
    ARN's last part), a logical id, or None (anything symbolic)."""
    if type(value) is _RID:
        return ("rid", str(value))
    if type(value) is str:
        return ("n", _last(value))
    if isinstance(value, Sym) and value.kind == "resource":
        return ("lid", value.key)
    return None


def _is_resource_ref(v: Any) -> bool:
    return isinstance(v, Sym) and v.kind == "resource"


def _policy_keys(p: Any) -> list[Any]:
    out = []
    if p.ScalingTargetId is not None:
        out.append(p.ScalingTargetId)
    if p.ResourceId is not None:
        # a policy tied to its target by ResourceId: keyed by the id itself (a
        # symbolic id is compared by value: always a candidate)
        out.append(_RID(p.ResourceId) if type(p.ResourceId) is str else None)
    return out


def _alarm_actions(a: Any) -> list[Any]:
    acts = a.AlarmActions
    if isinstance(acts, list) and not any(isinstance(x, Unknown) for x in acts):
        return acts or [_NOTHING]
    return []  # actions that cannot be told: a candidate for every policy


def _config_names(e: Any) -> list[Any]:
    return [e.EndpointConfigName]


def _component_endpoints(c: Any) -> list[Any]:
    return [c.EndpointName]


def _component_models(c: Any) -> list[Any]:
    return [_get(c.Specification, "ModelName")]


def _variant_models(c: Any) -> list[Any]:
    return [v.ModelName for _, v in c.known_variants()]


class _RID(str):
    """A ScalingPolicy's ResourceId as an index key (not a name)."""


def _alarm_endpoint_names(a: Any) -> list[Any]:
    return _alarm_endpoint_values(a) or [_NOTHING]


def _alarm_endpoint_values(a: Any) -> list[Any]:
    """The EndpointName dimension values of an alarm and of its metric-math metrics."""
    names = [a.dimension("EndpointName")]
    if isinstance(a.Metrics, list):
        for m in a.Metrics:
            stat = m.get("MetricStat") if isinstance(m, dict) else None
            metric = stat.get("Metric") if isinstance(stat, dict) else None
            dims = metric.get("Dimensions") if isinstance(metric, dict) else None
            for d in dims if isinstance(dims, list) else []:
                if isinstance(d, dict) and d.get("Name") == "EndpointName":
                    names.append(d.get("Value"))
    return [n for n in names if n is not None]


_DIMENSION_READERS: dict = {}


def _dimension_reader(dimensions: tuple) -> Callable[[Any], list]:
    """One function per dimension set, so each set has one index table."""
    fn = _DIMENSION_READERS.get(dimensions)
    if fn is None:
        def fn(a: Any) -> list:
            return alarm_dimension_values(a, dimensions) or [_NOTHING]
        _DIMENSION_READERS[dimensions] = fn
    return fn


def _log_group_endpoint(g: Any) -> list[Any]:
    rest = strip_prefix(g.LogGroupName, ENDPOINT_LOG_PREFIX)
    return [_NOTHING] if rest is None else [rest]


# A value that names no resource: keyed apart from everything (an alarm on
# another dimension is no candidate, unlike a value that cannot be told).
_NOTHING = _RID("")


def _noun(near: Optional[Resource]) -> str:
    return near.meta.source_noun if near is not None else "template"


def _same_scope(a: Resource, b: Resource) -> bool:
    """Static: same file. Live: same account and region."""
    if a.meta.file or b.meta.file:
        return a.meta.file == b.meta.file
    # a live resource without a region (IAM, a multi-region trail) is account-wide
    same_region = a.meta.region is None or b.meta.region is None or a.meta.region == b.meta.region
    return a.meta.account == b.meta.account and same_region


def _same_value(a: Any, b: Any) -> bool:
    return same(a, b)


def same_name(a: Any, b: Any) -> bool:
    return same(a, b)


def _get(obj: Any, key: str) -> Any:
    """A property of a dict or a modelled part; None when absent or not a mapping."""
    if isinstance(obj, dict):
        return obj.get(key)
    if obj is not None and is_known(obj) and hasattr(obj, "model_fields_set"):
        return getattr(obj, key, None)
    return None


def _maybe_same(a: Any, b: Any) -> bool:
    """Could two names be equal once deployed? Two different literals cannot,
    nor a resource's generated name or attribute and a literal typed into the
    template, nor the names of two resources of a kind; anything else
    symbolic might."""
    if same(a, b):
        return True
    if isinstance(a, Unknown) or isinstance(b, Unknown):
        return True
    if is_known(a) and is_known(b):
        return False
    for x, y in ((a, b), (b, a)):
        if isinstance(x, Sym) and x.kind == "resource" and is_known(y):
            return False
    if isinstance(a, Sym) and isinstance(b, Sym) and a.kind == b.kind == "resource":
        # the same name attribute of two resources (two endpoints' EndpointName) differs
        return a.key == b.key or a.attr != b.attr or a.attr is None
    return True


ENDPOINT_LOG_PREFIX = "/aws/sagemaker/Endpoints/"


def alarm_dimension_values(alarm: Alarm, names: Iterable[str]) -> list[Any]:
    """Values of the named dimensions on an alarm and its metric-math metrics."""
    names = tuple(names)
    dims: list[Any] = [alarm.Dimensions]
    if isinstance(alarm.Metrics, list):
        for m in alarm.Metrics:
            dims.append(_get(_get(_get(m, "MetricStat"), "Metric"), "Dimensions"))
    out = []
    for group in dims:
        for d in group if isinstance(group, list) else []:
            if isinstance(d, dict) and d.get("Name") in names and d.get("Value") is not None:
                out.append(d["Value"])
    return out


# Model Monitor publishes its results under these namespaces, dimension ``Endpoint``
MONITOR_NAMESPACES = (
    "aws/sagemaker/Endpoints/data-metrics",
    "aws/sagemaker/Endpoints/model-metrics",
    "aws/sagemaker/Endpoints/bias-metrics",
    "aws/sagemaker/Endpoints/explainability-metrics",
)


def alarm_namespaces(alarm: Alarm) -> list[Any]:
    """Namespaces an alarm watches: its own and those of its metric-math metrics."""
    out = [alarm.Namespace] if alarm.Namespace is not None else []
    if isinstance(alarm.Metrics, list):
        for m in alarm.Metrics:
            ns = _get(_get(_get(m, "MetricStat"), "Metric"), "Namespace")
            if ns is not None:
                out.append(ns)
    elif alarm.Metrics is not None:
        out.append(alarm.Metrics)
    return out


def strip_prefix(value: Any, prefix: str) -> Any:
    """``value`` without a literal ``prefix`` (keeping symbolic parts), or None."""
    if isinstance(value, str):
        return value[len(prefix):] if value.startswith(prefix) else None
    if isinstance(value, Str) and value.literal_prefix().startswith(prefix):
        head = value.parts[0][len(prefix):]
        return Str.build((head,) + tuple(value.parts[1:]))
    return None


def names_resource(value: Any, res: Resource) -> Optional[bool]:
    """Does a resolved value name ``res``? True, False, or None when it
    cannot be told apart from its name (one side symbolic)."""
    if res.is_referenced_by(value) or same_name(value, res.name):
        return True
    return None if _maybe_same(value, res.name) else False


def parse_component_resource_id(rid: Any) -> Any:
    """``inference-component/<name>`` -> the name; None for another shape."""
    parts = rid.split("/") if isinstance(rid, (str, Str)) else []
    if len(parts) == 2 and parts[0] == "inference-component" and parts[1] not in ("", None):
        return parts[1]
    return None


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


# ---- model artifacts and their buckets (SM102, SM403, SM602) ----------------

def artifact_locations(model: Any) -> list[tuple[tuple, Any]]:
    """(property path, S3 URI) of every container artifact of a model:
    ``ModelDataUrl`` and ``ModelDataSource.S3DataSource.S3Uri``."""
    out: list[tuple[tuple, Any]] = []
    for path, c in model.containers():
        if not is_known(c) or c is None:
            continue
        if getattr(c, "ModelDataUrl", None) is not None:
            out.append((path + ("ModelDataUrl",), c.ModelDataUrl))
        src = getattr(c, "ModelDataSource", None)
        s3 = getattr(src, "S3DataSource", None) if src is not None and is_known(src) else None
        uri = getattr(s3, "S3Uri", None) if s3 is not None and is_known(s3) else None
        if uri is not None:
            out.append((path + ("ModelDataSource", "S3DataSource", "S3Uri"), uri))
    return out


def _https_bucket(host: Any, first: Any) -> Any:
    """The bucket of an ``https://`` S3 URL whose host or path has symbolic
    parts: ``${Bucket}.s3.${AWS::Region}.amazonaws.com`` (virtual-hosted) or
    ``s3.${AWS::Region}.amazonaws.com/${Bucket}`` (path style); None when
    the host is not S3's."""
    labels = host.split(".") if isinstance(host, Str) else host.split(".") if isinstance(host, str) else None
    if not labels:
        return None
    for i, label in enumerate(labels):
        if isinstance(label, str) and (label == "s3" or label.startswith("s3-")):
            if i == 0:  # path style: the bucket is the first path segment
                return first if first not in (None, "") else None
            return Str.build([p for j, x in enumerate(labels[:i]) for p in ((".", x) if j else (x,))])
    return None


def s3_bucket_of(uri: Any) -> Any:
    """The bucket an S3 URI names: a plain name, a symbolic name (``Sym``/``Str``
    from a Ref or Sub), an ``Unknown`` when the template cannot tell, or None
    when the value is not an S3 location."""
    if isinstance(uri, str):
        if uri.startswith("s3://"):
            return uri[5:].split("/", 1)[0] or None
        if uri.startswith("https://"):
            host, _, rest = uri[8:].partition("/")
            if host.startswith("s3.") or host.startswith("s3-"):  # path style
                return rest.split("/", 1)[0] or None
            if ".s3." in host or ".s3-" in host:  # virtual-hosted style
                return host.split(".s3", 1)[0]
        return None
    if isinstance(uri, Str):
        parts = uri.split("/")
        if len(parts) >= 3 and parts[0] == "s3:" and parts[1] == "":
            return parts[2]
        if parts[0] == "https:" and len(parts) >= 3 and parts[1] == "":
            bucket = _https_bucket(parts[2], parts[3] if len(parts) > 3 else None)
            if bucket is not None:
                return bucket
        if isinstance(parts[0], str) and parts[0] != "s3:":
            return None if parts[0] not in ("", "https:") else Unknown(f"cannot tell the bucket of {display(uri)}")
        return Unknown(f"the artifact location {uri.describe()}")
    if isinstance(uri, (Sym, Unknown)):
        return Unknown(f"the artifact location is unknown ({uri.describe()})")
    return None


def models_using_bucket(inv: Inventory, bucket: Any) -> list[Any]:
    """Models in the bucket's scope whose artifacts live in it."""
    out = []
    for m in inv.models:
        if not _same_scope(m, bucket):
            continue
        if any(bucket.is_referenced_by(s3_bucket_of(u)) for _, u in artifact_locations(m)):
            out.append(m)
    return out


# ---- metric windows (SM501, SM502, SM503) -----------------------------------

def parse_time(v: Any) -> Any:
    """An ISO 8601 string or datetime as an aware UTC datetime; None when absent
    or unreadable."""
    from datetime import datetime, timezone

    if isinstance(v, datetime):
        return v if v.tzinfo else v.replace(tzinfo=timezone.utc)
    if isinstance(v, str) and v:
        return _parse_iso(v)
    return None


@lru_cache(maxsize=8192)
def _parse_iso(v: str) -> Any:
    """Cached: every endpoint's series carry the same period timestamps."""
    from datetime import datetime, timezone

    try:
        t = datetime.fromisoformat(v.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def series_window(series: MetricSeries, start: Any, end: Any) -> tuple[bool, list[tuple[Any, float]]]:
    """(does the series cover [start, end], its (time, value) points inside).
    CloudWatch returns no datapoint for a period without data, so a covered
    window with no points means the metric was zero (or absent) throughout.
    A series that does not say when it starts is taken to cover the window
    the collector was asked for."""
    from datetime import timedelta

    s = parse_time(series.start)
    covered = s is None or s <= start + timedelta(seconds=max(series.period, 60))
    points = []
    for i, v in enumerate(series.values):
        t = parse_time(series.timestamps[i]) if i < len(series.timestamps) else None
        if t is None or start <= t <= end:
            points.append((t, float(v)))
    return covered, points
