"""Values a deployment pins: parameter files, ``--parameter`` and ``--region``.

Pipelines commit the values they deploy a template with next to it. Two
formats exist, told apart by their content:

* CloudFormation ``--parameters`` / ``--parameter-overrides`` JSON: a list of
  ``{"ParameterKey": ..., "ParameterValue": ...}`` (``"Key=Value"`` strings
  are accepted too, as ``aws cloudformation deploy`` takes them);
* CodePipeline template configuration: ``{"Parameters": {...}, "Tags": {...}}``
  (``StackPolicy`` may be there and is ignored). Its ``Tags`` are stack tags,
  which CloudFormation copies onto the stack's resources.

A malformed file is a ``ParameterFileError`` naming the file (and line): the
user asked for these values, so silently ignoring them would judge the
template on values it will never be deployed with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from ..config import ConfigError

REGION_RE = re.compile(r"^[a-z]{2,}(-[a-z]+)+-[0-9]{1,2}$")
_FORMATS = ('a JSON list of {"ParameterKey": ..., "ParameterValue": ...} or a template configuration '
            '{"Parameters": {...}, "Tags": {...}}')
_ITEM_KEYS = {"ParameterKey", "ParameterValue", "UsePreviousValue", "ResolvedValue"}
_CONFIG_KEYS = {"Parameters", "Tags", "StackPolicy"}


class ParameterFileError(ConfigError):
    """A parameter file or value the user gave cannot be used (exit code 2)."""


@dataclass(frozen=True)
class Pins:
    """Values fixed for one template: parameters, stack tags, the region.
    ``origin`` says where each parameter came from, for messages."""

    parameters: dict = field(default_factory=dict)
    tags: dict = field(default_factory=dict)
    region: Optional[str] = None
    origin: dict = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.parameters or self.tags or self.region)

    def then(self, later: "Pins") -> "Pins":
        """These pins overridden by ``later`` ones."""
        return Pins({**self.parameters, **later.parameters}, {**self.tags, **later.tags},
                    later.region or self.region, {**self.origin, **later.origin})


def _scalar(v: Any) -> Optional[str]:
    """CloudFormation takes every parameter value as a string; numbers and
    booleans written without quotes mean their text."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)) and v == v and v not in (float("inf"), float("-inf")):
        return str(v)
    return v if isinstance(v, str) else None


def _line(positions: dict, path: tuple) -> str:
    span = positions.get(path) if positions else None
    return f":{span.line}" if span is not None else ""


def parse(data: Any, source: str, positions: Optional[dict] = None) -> Pins:
    """The pins one parsed file holds; ``ParameterFileError`` when it holds
    anything else."""
    def fail(msg: str, path: tuple = ()) -> ParameterFileError:
        return ParameterFileError(f"{source}{_line(positions or {}, path)}: {msg}")

    params: dict[str, str] = {}
    tags: dict[str, str] = {}
    if isinstance(data, list):
        for i, item in enumerate(data):
            if isinstance(item, str):
                key, eq, value = item.partition("=")
                if not eq or not key.strip():
                    raise fail(f"item {i}: {item!r} is not Key=Value", (i,))
                key = key.strip()
            elif isinstance(item, dict):
                extra = sorted(str(k) for k in item if k not in _ITEM_KEYS)
                if extra:
                    raise fail(f"item {i}: unknown key {extra[0]!r} (expected ParameterKey, ParameterValue, "
                               f"UsePreviousValue)", (i, extra[0]))
                key = item.get("ParameterKey")
                if not isinstance(key, str) or not key.strip():
                    raise fail(f"item {i}: ParameterKey must be a non-empty string", (i,))
                if "ParameterValue" not in item:
                    if item.get("UsePreviousValue") is True:
                        continue  # the value of the last deployment: not known here
                    raise fail(f"item {i} ({key}): no ParameterValue", (i,))
                value = _scalar(item["ParameterValue"])
                if value is None:
                    raise fail(f"item {i} ({key}): ParameterValue must be a string", (i, "ParameterValue"))
            else:
                raise fail(f"item {i}: expected {{\"ParameterKey\", \"ParameterValue\"}} or \"Key=Value\"", (i,))
            if key in params:
                raise fail(f"parameter {key} is given twice", (i,))
            params[key] = value
    elif isinstance(data, dict) and data and set(data) <= _CONFIG_KEYS and ("Parameters" in data or "Tags" in data):
        for section, out in (("Parameters", params), ("Tags", tags)):
            values = data.get(section, {})
            if values is None:
                continue
            if not isinstance(values, dict):
                raise fail(f"{section} must be a mapping of names to strings", (section,))
            for k, v in values.items():
                text = _scalar(v)
                if not isinstance(k, str) or not k.strip() or text is None:
                    raise fail(f"{section}.{k}: expected a string value", (section, k))
                out[k] = text
    elif isinstance(data, dict) and data:
        unknown = sorted(str(k) for k in data if k not in _CONFIG_KEYS)
        raise fail(f"unknown key {unknown[0]!r}: expected {_FORMATS}", (unknown[0],) if unknown else ())
    else:
        raise fail(f"expected {_FORMATS}")
    return Pins(params, tags, None, {k: source for k in params})


def load(path: str, shown: Optional[str] = None) -> Pins:
    """Read and parse one parameter file (JSON, or YAML holding the same)."""
    from .marked import MAX_BYTES, LoadError, decode, load_text

    name = shown or path
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError as e:
        raise ParameterFileError(f"{name}: cannot read parameter file: {e.strerror or e}") from None
    if len(raw) > MAX_BYTES:
        raise ParameterFileError(f"{name}: parameter file is larger than {MAX_BYTES:,} bytes")
    try:
        docs = load_text(decode(raw), path.lower().endswith(".json"))
    except LoadError as e:
        raise ParameterFileError(f"{name}{f':{e.line}' if e.line else ''}: {e.message}") from None
    docs = [d for d in docs if d.data is not None]
    if len(docs) != 1:
        raise ParameterFileError(f"{name}: expected one document, found {len(docs)}")
    return parse(docs[0].data, name, docs[0].positions)


def parse_assignment(text: str) -> tuple[str, str]:
    """``KEY=VALUE`` from the command line."""
    key, eq, value = text.partition("=")
    if not eq or not key.strip():
        raise ParameterFileError(f"--parameter {text!r}: expected KEY=VALUE")
    return key.strip(), value


def check_region(region: str, where: str = "--region") -> str:
    if not isinstance(region, str) or not REGION_RE.match(region):
        raise ParameterFileError(f"{where} {region!r}: not an AWS region name (like eu-west-1)")
    return region


def command_line(files: Iterable[str] = (), assignments: Iterable[str] = (),
                 region: Optional[str] = None) -> Pins:
    """Pins from ``--parameters FILE`` (in order), ``--parameter KEY=VALUE``
    (after them) and ``--region``."""
    pins = Pins()
    for f in files:
        pins = pins.then(load(f))
    values = dict(parse_assignment(a) for a in assignments)
    pins = pins.then(Pins(values, {}, None, {k: "--parameter" for k in values}))
    if region is not None:
        pins = pins.then(Pins(region=check_region(region)))
    return pins


def partition(region: str) -> tuple[str, str]:
    """``AWS::Partition`` and ``AWS::URLSuffix`` of a region."""
    if region.startswith("cn-"):
        return "aws-cn", "amazonaws.com.cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov", "amazonaws.com"
    return "aws", "amazonaws.com"


class Bindings:
    """Which pins apply to which template: the config's ``deployments``
    whose ``templates`` globs match it (in order, later ones win), then the
    command line's pins over all of them. Every parameter file is read once,
    up front, so a bad one stops the run before anything is judged."""

    def __init__(self, cfg: Any = None, cli: Optional[Pins] = None) -> None:
        import os

        self.cli = cli or Pins()
        self.base = os.path.dirname(os.path.abspath(cfg.source)) if cfg is not None and cfg.source else os.getcwd()
        self.entries: list[tuple[list[str], Pins]] = []
        for i, d in enumerate(cfg.deployments if cfg is not None else []):
            pins = Pins()
            for f in d.parameters:
                path = f if os.path.isabs(f) else os.path.join(self.base, f)
                pins = pins.then(load(path, shown=f"{cfg.source}: deployments[{i}].parameters: {f}"))
            values = {k: _scalar(v) for k, v in d.values.items()}
            pins = pins.then(Pins(values, {}, d.region, {k: f"{cfg.source} deployments[{i}].values" for k in values}))
            self.entries.append((list(d.templates), pins))

    def __bool__(self) -> bool:
        return bool(self.cli) or bool(self.entries)

    def pins_for(self, path: str) -> Pins:
        import os
        from fnmatch import fnmatchcase
        from pathlib import Path

        names = {Path(path).as_posix()}
        try:
            names.add(Path(os.path.relpath(os.path.abspath(path), self.base)).as_posix())
        except ValueError:  # another drive (Windows)
            pass
        pins = Pins()
        for globs, p in self.entries:
            if any(fnmatchcase(n, g) for n in names for g in globs):
                pins = pins.then(p)
        return pins.then(self.cli)
