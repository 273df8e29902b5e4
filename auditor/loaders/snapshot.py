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
    inv = Inventory(complete=True)
    inv.facts = dict(data.get("facts") or {})
    for i, item in enumerate(data.get("resources") or []):
        if not isinstance(item, dict):
            problems.append(InputProblem(file, f"resource {i} is not an object", ("resources", i)))
            continue
        item = dict(item)
        cls = KINDS.get(item.pop("kind", None))
        if cls is None:
            problems.append(InputProblem(file, f"resource {i} has an unknown kind", ("resources", i)))
            continue
        try:
            inv.add(cls.model_validate(item))
        except ValidationError as e:
            problems.append(InputProblem(file, f"resource {i}: {e.errors()[0]['msg']}", ("resources", i)))
    try:
        inv.metrics = [MetricSeries.model_validate(m) for m in data.get("metrics") or []]
        inv.gaps = [CoverageGap.model_validate(g) for g in data.get("gaps") or []]
    except ValidationError as e:
        problems.append(InputProblem(file, f"snapshot metrics/gaps: {e.errors()[0]['msg']}"))
    return [inv], problems
