"""CloudFormation / SAM / CDK-synthesised templates -> Inventory.

One Inventory per scenario: a template whose conditions cannot all be
decided (parameters without defaults) is loaded once per assignment of the
undecidable ``Fn::Equals`` atoms, so rules see every branch.
"""

from __future__ import annotations

import itertools
from typing import Any, Optional

from pydantic import ValidationError

from ..inventory import Inventory
from ..models import resources as _inv_models
from ..models.resources import (
    Alarm,
    Bucket,
    Dashboard,
    Endpoint,
    EndpointConfig,
    InferenceComponent,
    IamPolicy,
    IamRole,
    LogGroup,
    Model,
    ModelPackage,
    ModelPackageGroup,
    MonitoringJobDefinition,
    MonitoringSchedule,
    Resource,
    ScalableTarget,
    ScalingPolicy,
    Subnet,
    Meta,
    Suppression,
    Trail,
    VpcEndpoint,
)
from ..values import UNKNOWN_TYPES, Unknown
from .marked import Document
from .candidates import MAX_CANDIDATES, candidates
from .resolver import MAX_ATOMS, NOVALUE, Resolver
from .errors import InputProblem

TYPES: dict[str, type[Resource]] = {
    "AWS::SageMaker::Model": Model,
    "AWS::SageMaker::EndpointConfig": EndpointConfig,
    "AWS::SageMaker::InferenceComponent": InferenceComponent,
    "AWS::SageMaker::Endpoint": Endpoint,
    "AWS::SageMaker::ModelPackage": ModelPackage,
    "AWS::SageMaker::ModelPackageGroup": ModelPackageGroup,
    "AWS::SageMaker::MonitoringSchedule": MonitoringSchedule,
    "AWS::SageMaker::DataQualityJobDefinition": MonitoringJobDefinition,
    "AWS::SageMaker::ModelQualityJobDefinition": MonitoringJobDefinition,
    "AWS::SageMaker::ModelBiasJobDefinition": MonitoringJobDefinition,
    "AWS::SageMaker::ModelExplainabilityJobDefinition": MonitoringJobDefinition,
    "AWS::ApplicationAutoScaling::ScalableTarget": ScalableTarget,
    "AWS::ApplicationAutoScaling::ScalingPolicy": ScalingPolicy,
    "AWS::CloudWatch::Alarm": Alarm,
    "AWS::CloudWatch::Dashboard": Dashboard,
    "AWS::Logs::LogGroup": LogGroup,
    "AWS::S3::Bucket": Bucket,
    "AWS::EC2::Subnet": Subnet,
    "AWS::EC2::VPCEndpoint": VpcEndpoint,
    "AWS::IAM::Policy": IamPolicy,
    "AWS::IAM::ManagedPolicy": IamPolicy,
    "AWS::IAM::Role": IamRole,
    "AWS::CloudTrail::Trail": Trail,
    "AWS::Serverless::Function": IamRole,  # SAM: its Role/Policies are what matter here
}
MONITOR_TYPES = {
    "AWS::SageMaker::DataQualityJobDefinition": "DataQuality",
    "AWS::SageMaker::ModelQualityJobDefinition": "ModelQuality",
    "AWS::SageMaker::ModelBiasJobDefinition": "ModelBias",
    "AWS::SageMaker::ModelExplainabilityJobDefinition": "ModelExplainability",
}
TOOL_METADATA_KEY = "sm-audit"
MAX_RESOURCES = 500  # CloudFormation's limit per template (more is reported, and still checked)
_PART_NAMES = {c.__name__ for c in _inv_models.Part.__subclasses__()} | {"function-plain", "Unk"}


def is_template(data: Any) -> bool:
    return isinstance(data, dict) and (
        "Resources" in data or "AWSTemplateFormatVersion" in data
    )


def load_template(file: str, doc: Document, pins: Any = None) -> tuple[list[Inventory], list[InputProblem]]:
    """``pins``: values the deployment fixes (parameter files, ``--parameter``,
    ``--region``, stack tags); see ``loaders.parameters``."""
    data = doc.data
    problems: list[InputProblem] = []
    resources = data.get("Resources")
    if not isinstance(resources, dict):
        problems.append(InputProblem(file, "'Resources' must be a mapping of logical IDs to resources",
                                     ("Resources",), doc.index))
        return [], problems

    if len(resources) > MAX_RESOURCES:
        problems.append(InputProblem(
            file, f"template declares {len(resources):,} resources; CloudFormation accepts at most "
                  f"{MAX_RESOURCES} per template", ("Resources",), doc.index))

    problems.extend(_pin_problems(file, doc.index, data.get("Parameters"), pins))
    cands, probes, seen_atoms = _probe(data, resources, pins, MAX_CANDIDATES)
    atoms = sorted(seen_atoms)
    scenarios: list[tuple[Optional[str], dict[str, bool]]] = [(None, {})]
    if atoms:
        used = atoms[:MAX_ATOMS]
        scenarios = []
        for values in itertools.product((True, False), repeat=len(used)):
            assignment = dict(zip(used, values))
            if not _possible(assignment):
                continue
            label = " and ".join(
                f"{seen_atoms[k]}" if v else f"not ({seen_atoms[k]})"
                for k, v in assignment.items() if v or not _implied_false(k, assignment)
            )
            scenarios.append((label, assignment))
        if len(cands) * len(scenarios) > MAX_SCENARIOS:  # fewer finite choices, so the product stays bounded
            cands, probes, _ = _probe(data, resources, pins, max(1, MAX_SCENARIOS // len(scenarios)))

    inventories = []
    stack_tags = pins.tags if pins else {}
    for cand, probe in zip(cands, probes):
        for label, assignment in scenarios:
            inv = Inventory(complete=False)
            inv.scenario = label
            inv.candidate = cand if cand.choices else None
            inv.positions[file] = {doc.index: doc.positions}
            resolver = Resolver(data, atoms=assignment, pins=probe.pins, map_region=cand.region) \
                if assignment else probe
            for logical_id, spec in resources.items():
                res = _resource(file, doc.index, logical_id, spec, resolver, [] if inventories else problems,
                                stack_tags, doc.positions)
                if res is not None:
                    inv.add(res)
            inventories.append(inv)
    return inventories, problems


def _probe(data: dict, resources: dict, pins: Any, limit: int) -> tuple[list, list[Resolver], dict[str, str]]:
    """The finite-choice candidates, a resolver for each, and the undecidable
    condition atoms any of them meets."""
    from .parameters import Pins

    cands = candidates(data, pins, limit, set(TYPES))
    probes, seen = [], {}
    for cand in cands:
        cand_pins = (pins or Pins()).then(Pins(cand.params)) if cand.params else pins
        probe = Resolver(data, pins=cand_pins, map_region=cand.region)
        if probe.conditions:  # nothing to decide without a Conditions section
            _touch_conditions(probe, resources)
        for k, v in probe.seen_atoms.items():
            seen.setdefault(k, v)
        probes.append(probe)
    return cands, probes, seen


def _possible(assignment: dict[str, bool]) -> bool:
    """False when two true atoms give one value two different literals
    (``Env = 'prod'`` and ``Env = 'dev'``): no deployment sees that scenario."""
    import json

    bound: dict[str, Any] = {}
    for key, value in assignment.items():
        if not value:
            continue
        a, b = json.loads(key)
        if isinstance(a, str) == isinstance(b, str):
            continue  # two literals or two unknowns: nothing to pin
        sym, literal = (b, a) if isinstance(a, str) else (a, b)
        name = json.dumps(sym, sort_keys=True)
        if bound.setdefault(name, literal) != literal:
            return False
    return True


def _implied_false(key: str, assignment: dict[str, bool]) -> bool:
    """A false atom that a true one already implies (``Env = 'prod'`` makes
    ``Env = 'dev'`` false): left out of scenario labels."""
    import json

    a, b = json.loads(key)
    if isinstance(a, str) == isinstance(b, str):
        return False
    sym = json.dumps(b if isinstance(a, str) else a, sort_keys=True)
    for other, value in assignment.items():
        if value and other != key:
            c, d = json.loads(other)
            if isinstance(c, str) != isinstance(d, str) and json.dumps(d if isinstance(c, str) else c,
                                                                        sort_keys=True) == sym:
                return True
    return False


def _touch_conditions(resolver: Resolver, resources: dict) -> None:
    """Evaluate every condition the resources use, so undecidable atoms are seen."""
    names: set[str] = set()

    def walk(v: Any) -> None:
        if isinstance(v, dict):
            if "Fn::If" in v and isinstance(v["Fn::If"], list) and v["Fn::If"]:
                names.add(v["Fn::If"][0]) if isinstance(v["Fn::If"][0], str) else None
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    for spec in resources.values():
        if isinstance(spec, dict):
            if isinstance(spec.get("Condition"), str):
                names.add(spec["Condition"])
            walk(spec.get("Properties"))
    for n in sorted(names):
        resolver.condition(n)


def _pin_problems(file: str, doc_index: int, section: Any, pins: Any) -> list[InputProblem]:
    """A pinned value CloudFormation would reject is the user's mistake, not
    a finding: say so once, and judge the template with it anyway."""
    out: list[InputProblem] = []
    if not pins or not isinstance(section, dict):
        return out
    for name, value in pins.parameters.items():
        spec = section.get(name)
        if not isinstance(spec, dict):
            continue
        allowed = spec.get("AllowedValues")
        if isinstance(allowed, list) and allowed and value not in [str(a) for a in allowed]:
            out.append(InputProblem(file, f"parameter {name} = {value!r} (from {pins.origin.get(name, 'the pins')}) "
                                          f"is not one of its AllowedValues {', '.join(map(str, allowed))}; "
                                          f"CloudFormation would reject it", ("Parameters", name), doc_index))
    return out


def _resource(file: str, doc_index: int, logical_id: str, spec: Any, resolver: Resolver,
              problems: list[InputProblem], stack_tags: Optional[dict] = None,
              positions: Optional[dict] = None) -> Optional[Resource]:
    rpath = ("Resources", logical_id)
    if not isinstance(spec, dict):
        problems.append(InputProblem(file, f"resource {logical_id} must be a mapping", rpath, doc_index))
        return None
    rtype = spec.get("Type")
    cls = TYPES.get(rtype) if isinstance(rtype, str) else None
    if cls is None:
        return None
    condition = spec.get("Condition")
    cond_label = None
    if condition is not None:
        decided = resolver.condition(condition)
        if decided is False:
            return None
        if not isinstance(decided, bool):
            cond_label = str(condition)
    raw_props = spec.get("Properties", {})
    base = rpath + ("Properties",)
    pathmap: dict = {}
    props = resolver.value(raw_props, base, (), pathmap)
    if props is NOVALUE or props is None:
        props = {}
    if not isinstance(props, dict):
        problems.append(InputProblem(file, f"Properties of {logical_id} must be a mapping", base, doc_index))
        return None
    props = normalise(cls, rtype, props, pathmap)
    if stack_tags and (props.get("Tags") is None or isinstance(props.get("Tags"), dict)):
        # CloudFormation copies stack tags onto the resources; the resource's own tag wins
        props["Tags"] = {**stack_tags, **(props.get("Tags") or {})}
    meta = Meta(
        key=f"{file}#{logical_id}" if doc_index == 0 else f"{file}#{doc_index}/{logical_id}",
        type=rtype,
        logical_id=logical_id,
        file=file,
        doc=doc_index,
        base=base,
        resource_path=rpath,
        pathmap=pathmap,
        condition=cond_label,
        suppressions=_suppressions(spec.get("Metadata"), file, positions, rpath),
    )
    return build(cls, props, meta, problems, file, doc_index)


def _pydantic_msg(msg: str) -> str:
    return msg.removeprefix("Value error, ").replace("Input should be a valid dictionary or instance of ",
                                                     "expected a mapping, like ")


def build(cls: type[Resource], props: dict, meta: Meta, problems: list[InputProblem], file: str,
          doc_index: int) -> Optional[Resource]:
    for _ in range(MAX_WIDEN):
        try:
            res = cls.model_validate({**props, "meta": meta})
            break
        except ValidationError as e:
            err = e.errors()[0]
            loc = tuple(err["loc"])
            # strip pydantic's union-branch markers from the location
            prop = tuple(x for x in loc if not (isinstance(x, str) and ("[" in x or x in _PART_NAMES)))
            if isinstance(err.get("input"), UNKNOWN_TYPES) and len(prop) > 1 and _widen(props, prop, err["input"]):
                continue  # an undecidable item: its container becomes unknown, not a shape error
            if err["type"] == "value_error" and prop and _wrong_leaf(props, prop, _pydantic_msg(err["msg"])):
                # a leaf of the wrong type: an input problem at its line, and unknown to the rules
                # that read it; the resource's other properties are still checked
                tpath = meta.pathmap.get(prop, meta.pathmap.get(prop[:1], meta.base + prop[:1]))
                problems.append(InputProblem(
                    file, f"{meta.logical_id or meta.key}: property {'.'.join(map(str, prop))} has the wrong "
                          f"shape ({_pydantic_msg(err['msg'])})", tpath, doc_index))
                continue
            tpath = meta.pathmap.get(prop[:1], meta.base + prop[:1]) if prop else meta.base
            problems.append(InputProblem(
                file,
                f"{meta.logical_id or meta.key}: property {'.'.join(map(str, prop)) or '?'} has the wrong shape "
                f"({_pydantic_msg(err['msg'])})",
                tpath,
                doc_index,
            ))
            return None
    else:
        return None
    if cls is MonitoringJobDefinition:
        res.monitoring_type = MONITOR_TYPES.get(meta.type, "DataQuality")
    return res


MAX_WIDEN = 20
MAX_SCENARIOS = 64  # condition scenarios x finite-choice candidates: each one re-runs the rules


def _wrong_leaf(props: dict, prop: tuple, why: str) -> bool:
    """Replace the leaf at ``prop`` by an Unknown saying it has the wrong shape."""
    parent: Any = props
    for k in prop[:-1]:
        try:
            parent = parent[k]
        except (KeyError, IndexError, TypeError):
            return False
    try:
        parent[prop[-1]]
    except (KeyError, IndexError, TypeError):
        return False
    parent[prop[-1]] = Unknown(f"{'.'.join(map(str, prop))} has the wrong shape ({why})")
    return True


def _widen(props: dict, prop: tuple, value: Any) -> bool:
    """Replace the container holding an unknown item at ``prop`` by an Unknown
    that says why. False when the path cannot be followed."""
    parent: Any = props
    for k in prop[:-2]:
        try:
            parent = parent[k]
        except (KeyError, IndexError, TypeError):
            return False
    key = prop[-2]
    try:
        parent[key]
    except (KeyError, IndexError, TypeError):
        return False
    where = ".".join(map(str, prop))
    parent[key] = Unknown(f"{where} cannot be determined ({value.describe()})")
    return True


def normalise(cls: type[Resource], rtype: str, props: dict, pathmap: dict) -> dict:
    """Shape differences between CFN and the API, settled once."""
    tags = props.get("Tags")
    if isinstance(tags, list):
        out = {}
        for i, t in enumerate(tags):
            if isinstance(t, dict) and isinstance(t.get("Key"), str):
                out[t["Key"]] = t.get("Value")
                pathmap[("Tags", t["Key"])] = pathmap.get(("Tags", i, "Value"), pathmap.get(("Tags", i)))
        props["Tags"] = out
    elif isinstance(tags, dict) and rtype == "AWS::Serverless::Function":
        pass
    if rtype == "AWS::IAM::ManagedPolicy" and "ManagedPolicyName" in props:
        props["PolicyName"] = props["ManagedPolicyName"]
        pathmap[("PolicyName",)] = pathmap.get(("ManagedPolicyName",))
    if rtype == "AWS::Serverless::Function":
        # SAM functions carry inline statements under Policies
        pol = props.get("Policies")
        inline = []
        for i, p in enumerate(pol if isinstance(pol, list) else [pol] if isinstance(pol, dict) else []):
            if isinstance(p, dict) and "Statement" in p:
                inline.append({"PolicyName": f"Policies[{i}]", "PolicyDocument": p})
        props = {"Policies": inline, "Tags": props.get("Tags") if isinstance(props.get("Tags"), dict) else None}
    if cls is Alarm and "Dimensions" in props and isinstance(props["Dimensions"], list):
        pass
    return props


def _suppressions(metadata: Any, file: str, positions: Optional[dict] = None, rpath: tuple = ()) -> list[Suppression]:
    """``Metadata.sm-audit.skip`` entries. Held to the config file's standard:
    an entry without a reason, or of the wrong shape, is kept with its
    ``problem`` (reported as an SM001 error on the resource, not applied);
    unknown rule IDs are found where the registry is known (runner)."""
    if not isinstance(metadata, dict):
        return []
    ours = metadata.get(TOOL_METADATA_KEY)
    if ours is None:
        return []
    source = f"{file} Metadata.{TOOL_METADATA_KEY}"
    base = rpath + ("Metadata", TOOL_METADATA_KEY)
    skips = ours.get("skip") if isinstance(ours, dict) else None

    def at(path: tuple, rule: str, problem: Optional[str], **kw: Any) -> Suppression:
        span = None
        for n in range(len(path), 0, -1):  # the entry, else the nearest enclosing key
            span = (positions or {}).get(path[:n])
            if span is not None:
                break
        return Suppression(rule=rule, kind="inSource", source=source, problem=problem,
                           line=span.line if span else None, column=span.column if span else None, **kw)

    shape = "must be a list of {rule: ID, reason: why} entries"
    if not isinstance(ours, dict) or not isinstance(skips, list):
        where = base + ("skip",) if isinstance(ours, dict) and "skip" in ours else base
        return [at(where, "?", f"Metadata.{TOOL_METADATA_KEY}.skip {shape}")]
    out = []
    for i, s in enumerate(skips):
        where = base + ("skip", i)
        if isinstance(s, dict) and isinstance(s.get("rule"), str):
            reason, exp = s.get("reason"), s.get("expires")
            problem = None if isinstance(reason, str) and reason.strip() else "has no reason"
            out.append(at(where, s["rule"], problem, reason=str(reason or ""),
                          expires=str(exp) if exp is not None else None))
        elif isinstance(s, str):
            out.append(at(where, s, "has no reason (write {rule: %s, reason: why})" % s))
        else:
            out.append(at(where, "?", f"entry {i} {shape}"))
    return out


__all__ = ["load_template", "is_template", "TYPES", "Unknown"]
