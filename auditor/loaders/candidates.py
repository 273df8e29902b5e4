"""Finite choices: values a template leaves open but bounds.

* ``Fn::FindInMap`` keyed on ``AWS::Region``: the stack can only be created
  in a region the mapping has a row for, so the candidates are the mapping's
  keys (regions whose rows are equal are one candidate);
* a parameter with ``AllowedValues``: CloudFormation accepts only those
  values. A ``Default`` is only what a deployment gets when it passes
  nothing; any allowed value may be passed, so every one is a candidate
  unless a parameter file or ``--parameter`` binds it.

The loader builds one inventory per combination of candidates (at most
``MAX_CANDIDATES``; dimensions past that stay unknown) and the runner merges
their findings (``auditor.candidates``): fail when every candidate fails,
pass when every candidate passes, else unknown naming the failing ones.
Pinned values (``--region``, ``--parameter``, parameter files) are not
candidates: they are the value.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any, Iterator, Optional

MAX_CANDIDATES = 32  # combinations; every one re-runs the rules on the template
REGION = "AWS::Region"


@dataclass(frozen=True)
class Dimension:
    label: str  # "AWS::Region" or "parameter Env"
    param: Optional[str]  # the parameter name; None for the region
    values: tuple[tuple[str, ...], ...]  # candidates; a region candidate may stand for several equal rows


@dataclass(frozen=True)
class Candidate:
    """One combination: what each dimension is in it."""

    choices: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (dimension label, values it stands for)
    params: dict = field(default_factory=dict, hash=False, compare=False)
    region: Optional[str] = None  # the region FindInMap keys use

    def describe(self) -> str:
        return " and ".join(f"{label} is {' or '.join(vals)}" for label, vals in self.choices)


def _walk(v: Any) -> Iterator[dict]:
    if isinstance(v, dict):
        yield v
        for x in v.values():
            yield from _walk(x)
    elif isinstance(v, list):
        for x in v:
            yield from _walk(x)


def _is_region_ref(v: Any) -> bool:
    return isinstance(v, dict) and v == {"Ref": REGION}


def _modelled(data: dict, kinds: Optional[set]) -> list:
    """Properties of the resources rules see: choices elsewhere change no finding."""
    res = data.get("Resources")
    if not isinstance(res, dict):
        return []
    return [r.get("Properties") for r in res.values()
            if isinstance(r, dict) and (kinds is None or r.get("Type") in kinds)]


def _region_rows(data: dict, kinds: Optional[set] = None) -> Optional[dict[str, list]]:
    """region -> the mapping rows it selects, for the regions every
    region-keyed ``Fn::FindInMap`` (without a default) has a row for."""
    mappings = data.get("Mappings")
    if not isinstance(mappings, dict):
        return None
    tables: list[dict] = []
    for node in _walk(_modelled(data, kinds)):
        arg = node.get("Fn::FindInMap") if len(node) == 1 else None
        if not isinstance(arg, list) or len(arg) not in (3, 4) or not isinstance(arg[0], str):
            continue
        if len(arg) == 4:
            continue  # a DefaultValue answers for every other region: not a finite set of rows
        table = mappings.get(arg[0])
        if _is_region_ref(arg[1]) and isinstance(table, dict):
            tables.append(table)
        elif isinstance(arg[1], str) and _is_region_ref(arg[2]) and isinstance(table, dict) \
                and isinstance(table.get(arg[1]), dict):
            tables.append({r: {arg[1]: row} for r, row in table[arg[1]].items()})
    if not tables:
        return None
    regions = set.intersection(*(set(k for k in t if isinstance(k, str)) for t in tables))
    return {r: [t[r] for t in tables] for r in sorted(regions)}


def _referenced(data: dict, kinds: Optional[set] = None) -> set[str]:
    """Names a template's resources and conditions refer to (Ref and Sub)."""
    import re

    names: set[str] = set()
    for node in itertools.chain(_walk(_modelled(data, kinds)), _walk(data.get("Conditions"))):
        if len(node) != 1:
            continue
        (fn, arg), = node.items()
        if fn == "Ref" and isinstance(arg, str):
            names.add(arg)
        elif fn == "Fn::Sub":
            text = arg[0] if isinstance(arg, list) and arg else arg
            if isinstance(text, str):
                names.update(m.strip() for m in re.findall(r"\$\{([^}!]*)\}", text))
    return names


def dimensions(data: dict, pins: Any = None, kinds: Optional[set] = None) -> list[Dimension]:
    """``kinds``: the resource types rules see (all when None)."""
    dims: list[Dimension] = []
    if not (pins and pins.region):
        rows = _region_rows(data, kinds)
        if rows:
            groups: dict[str, list[str]] = {}
            for region, selected in rows.items():
                groups.setdefault(json.dumps(selected, sort_keys=True, default=str), []).append(region)
            dims.append(Dimension(REGION, None, tuple(tuple(g) for g in groups.values())))
    params = data.get("Parameters")
    pinned = pins.parameters if pins else {}
    if isinstance(params, dict):
        used = _referenced(data, kinds)
        for name, spec in params.items():
            if not isinstance(spec, dict) or name in pinned or name not in used:
                continue
            allowed = spec.get("AllowedValues")
            ptype = str(spec.get("Type", "String"))
            if not isinstance(allowed, list) or not allowed or ptype.startswith(("List<", "AWS::SSM")) \
                    or ptype == "CommaDelimitedList":
                continue
            values = list(dict.fromkeys(_text(a) for a in allowed if _text(a) is not None))
            if values:
                dims.append(Dimension(f"parameter {name}", name, tuple((v,) for v in values)))
    return dims


def _text(v: Any) -> Optional[str]:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float, str)):
        return str(v)
    return None


def candidates(data: dict, pins: Any = None, limit: int = MAX_CANDIDATES,
               kinds: Optional[set] = None) -> list[Candidate]:
    """Every combination of the template's finite choices; ``[Candidate()]``
    when there are none. Dimensions that would take the count past ``limit``
    are left out (their values stay unknown)."""
    chosen: list[Dimension] = []
    total = 1
    for d in dimensions(data, pins, kinds):
        if total * len(d.values) <= limit:
            chosen.append(d)
            total *= len(d.values)
    if not chosen:
        return [Candidate()]
    out = []
    for combo in itertools.product(*(d.values for d in chosen)):
        params = {d.param: vals[0] for d, vals in zip(chosen, combo) if d.param is not None}
        region = next((vals[0] for d, vals in zip(chosen, combo) if d.param is None), None)
        out.append(Candidate(tuple((d.label, vals) for d, vals in zip(chosen, combo)), params, region))
    return out
