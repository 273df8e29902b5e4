"""Snapshots: a collected live inventory saved as JSON (``audit
--save-snapshot``) and re-evaluated offline by ``scan`` with identical
findings."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from ..inventory import Inventory
from ..models.gaps import CoverageGap
from ..models.resources import KINDS, MetricSeries
from ..values import to_jsonable
from .errors import InputProblem

FORMAT_KEY = "sm-audit-snapshot"
FORMAT_VERSION = 1


def is_snapshot(data: Any) -> bool:
    return isinstance(data, dict) and FORMAT_KEY in data


def dump_snapshot(inv: Inventory) -> str:
    resources = []
    for r in inv.all():
        d = r.model_dump(mode="json", exclude_none=True)
        resources.append({"kind": r.kind, **d})
    doc = {
        FORMAT_KEY: FORMAT_VERSION,
        "facts": to_jsonable(inv.facts),
        "resources": resources,
        "metrics": [m.model_dump(mode="json") for m in inv.metrics],
        "gaps": [g.model_dump(mode="json") for g in inv.gaps],
    }
    return json.dumps(doc, indent=1, sort_keys=True)


def load_snapshot(file: str, data: dict) -> tuple[list[Inventory], list[InputProblem]]:
    problems: list[InputProblem] = []
    if data.get(FORMAT_KEY) != FORMAT_VERSION:
        return [], [InputProblem(file, f"unsupported snapshot version {data.get(FORMAT_KEY)!r}")]
    shapes = {"facts": dict, "resources": list, "metrics": list, "gaps": list}
    for key, want in shapes.items():
        if data.get(key) is not None and not isinstance(data[key], want):
            # a section of the wrong shape: the snapshot cannot be trusted to say what the account holds
            return [], [InputProblem(file, f"snapshot {key!r} must be {'a mapping' if want is dict else 'a list'}, "
                                           f"not {type(data[key]).__name__}", (key,))]
    inv = Inventory(complete=True)
    inv.facts = dict(data.get("facts") or {})
    for i, item in enumerate(data.get("resources") or []):
        if not isinstance(item, dict):
            problems.append(InputProblem(file, f"resource {i} is not an object", ("resources", i)))
            continue
        item = dict(item)
        kind = item.pop("kind", None)
        cls = KINDS.get(kind) if isinstance(kind, str) else None
        if cls is None:
            problems.append(InputProblem(file, f"resource {i} has an unknown kind", ("resources", i)))
            continue
        try:
            inv.add(cls.model_validate(item))
        except ValidationError as e:
            problems.append(InputProblem(file, f"resource {i}: {e.errors()[0]['msg']}", ("resources", i)))
    for key, model in (("metrics", MetricSeries), ("gaps", CoverageGap)):
        items = []
        for i, m in enumerate(data.get(key) or []):
            try:
                items.append(model.model_validate(m))
            except ValidationError as e:
                err = e.errors()[0]
                where = ".".join(str(p) for p in err["loc"])
                problems.append(InputProblem(file, f"snapshot {key}[{i}]{'.' + where if where else ''}: {err['msg']}",
                                             (key, i)))
        setattr(inv, key, items)
    if any(p.path[:1] == ("gaps",) for p in problems):
        # a gap we cannot read is something the audit could not see: no verdict may pass for it
        inv.gaps.append(CoverageGap(service="sm-audit", operation="ReadSnapshot", error="InvalidSnapshot",
                                    message="a coverage gap in the snapshot is unreadable"))
    return [inv], problems
