"""Terraform attribute paths for findings: a rule names a property path in
CloudFormation words (``ProductionVariants[0].InitialInstanceCount``); a
finding on a Terraform resource shows the attribute it came from
(``production_variants[0].initial_instance_count``)."""

from __future__ import annotations

import re
from typing import Any

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
# CloudFormation names whose Terraform attribute is not the plain snake case
REVERSE = {"KmsKeyId": "kms_key_arn", "Containers": "container", "Tags": "tags", "RoleARN": "role_arn",
           "MemorySizeInMB": "memory_size_in_mb", "Dimensions": "dimensions", "Metrics": "metric_query"}


def snake(name: str) -> str:
    return _CAMEL.sub("_", name).lower()


def attr_path(meta: Any, path: tuple) -> str:
    tpath, n = None, 0
    for n in range(len(path), 0, -1):
        tpath = meta.pathmap.get(tuple(path[:n]))
        if tpath is not None:
            break
    else:
        n = 0
    from .mapping import SINGLE_BLOCKS

    parts: list = list(tpath[len(meta.base):]) if tpath is not None else []
    rest = path[n:]
    for i, p in enumerate(rest):
        if isinstance(p, int):
            parts.append(p)
            continue
        name = REVERSE.get(p, snake(p)) if not parts else snake(p)
        parts.append(name)
        if name in SINGLE_BLOCKS and i + 1 < len(rest):
            parts.append(0)  # Terraform addresses a nested block as a list
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (("." if out else "") + str(p))
    return out
