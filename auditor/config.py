"""``.sm-audit.yaml``: per-rule switches, levels and options, production
classification, and suppressions. Every unknown key or bad value is a
``ConfigError`` naming the key (exit code 2)."""

from __future__ import annotations

import os
from datetime import date
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from .vocabulary import FailOn, Level

DEFAULT_NAMES = (".sm-audit.yaml", ".sm-audit.yml")
MAX_BYTES = 1024 * 1024  # a configuration is a few kilobytes; more is a mistake


class ConfigError(Exception):
    pass


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RuleConfig(_Strict):
    enabled: bool = True
    level: Optional[Level] = Field(None, alias="severity")
    params: dict[str, Any] = Field(default_factory=dict)

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ProductionConfig(_Strict):
    tag_keys: list[str] = Field(default_factory=lambda: ["Environment"])
    values: list[str] = Field(default_factory=lambda: ["prod", "production"])
    all: bool = False


class ConfigSuppression(_Strict):
    rule: str
    resource: str = "*"  # logical id, name or ARN; shell-style wildcards
    file: Optional[str] = None  # glob on the file path (static findings)
    reason: str
    expires: Optional[date] = None

    @field_validator("reason")
    @classmethod
    def _reason(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("a suppression needs a reason")
        return v


class Deployment(_Strict):
    """How templates are deployed: the parameter files (CloudFormation
    parameter JSON or CodePipeline template configuration), single values
    and the region their pipeline uses. Paths are relative to this file."""

    templates: list[str] = Field(min_length=1)  # globs on the template paths
    parameters: list[str] = Field(default_factory=list)
    values: dict[str, str | int | float | bool] = Field(default_factory=dict)
    region: Optional[str] = None

    @field_validator("templates", "parameters", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v

    @field_validator("region")
    @classmethod
    def _region(cls, v: Optional[str]) -> Optional[str]:
        from .loaders.parameters import REGION_RE

        if v is not None and not REGION_RE.match(v):
            raise ValueError(f"{v!r} is not an AWS region name (like eu-west-1)")
        return v


class ReportConfig(_Strict):
    owner_tags: list[str] = Field(default_factory=lambda: ["owner", "team"])  # HTML "by owner" (any case)


class Config(_Strict):
    version: Literal[1] = 1
    fail_on: Optional[FailOn] = None
    production: ProductionConfig = Field(default_factory=ProductionConfig)
    rules: dict[str, RuleConfig] = Field(default_factory=dict)
    suppressions: list[ConfigSuppression] = Field(default_factory=list)
    deployments: list[Deployment] = Field(default_factory=list)
    plugins: bool = True  # load third-party rule packs
    report: ReportConfig = Field(default_factory=ReportConfig)
    source: Optional[str] = Field(None, exclude=True)
    _positions: dict = PrivateAttr(default_factory=dict)  # key path -> Span, for error lines


def _loc(err: dict) -> str:
    parts = []
    for p in err["loc"]:
        parts.append(f"[{p}]" if isinstance(p, int) else ("." if parts else "") + str(p))
    return "".join(parts)


def _message(err: dict) -> str:
    if err["type"] == "extra_forbidden":
        return "unknown key"
    msg = err["msg"]
    return msg[len("Value error, "):] if msg.startswith("Value error, ") else msg


def _where(source: str, positions: Optional[dict], loc: tuple) -> str:
    """``file:line`` of the deepest part of ``loc`` the file has a position for."""
    if positions:
        for n in range(len(loc), 0, -1):
            span = positions.get(tuple(loc[:n]))
            if span is not None:
                return f"{source}:{span.line}"
    return source


def parse(data: Any, source: str, positions: Optional[dict] = None) -> Config:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the configuration must be a mapping")
    try:
        cfg = Config.model_validate(data)
    except ValidationError as e:
        msgs = []
        for i, err in enumerate(e.errors()):
            where = _where(source, positions, tuple(err["loc"])) if i == 0 else ""
            msgs.append((f"{where}: " if where else "") + f"{_loc(err)}: {_message(err)}")
        raise ConfigError("; ".join(msgs)) from None
    cfg.source = source
    cfg._positions = positions or {}
    return cfg


def find(start: str = ".") -> Optional[str]:
    """The nearest ``.sm-audit.yaml`` from ``start`` (a file's directory, or a
    directory) upward, stopping at the repository root (the first directory
    holding ``.git``), as ruff finds its configuration; None if there is none."""
    here = os.path.abspath(start)
    if not os.path.isdir(here):
        here = os.path.dirname(here)
    while True:
        for name in DEFAULT_NAMES:
            candidate = os.path.join(here, name)
            if os.path.exists(candidate):  # a FIFO or directory there is an error, not "no config"
                return os.path.relpath(candidate) if not os.path.relpath(candidate).startswith("..") \
                    else candidate
        parent = os.path.dirname(here)
        if parent == here or os.path.exists(os.path.join(here, ".git")):
            return None
        here = parent


def load(path: Optional[str], start: str = ".") -> Config:
    """Explicit ``--config`` path, else the nearest ``.sm-audit.yaml`` from
    ``start`` up to the repository root (see ``find``).
    Read with the same loader as templates: duplicate keys are errors, dates
    stay text until validated, and every error can name its line."""
    from .loaders.marked import LoadError, decode, load_yaml

    if path is None:
        path = find(start)
        if path is None:
            return Config()
    from .loaders.regular import NotRegular, TooLarge, read_regular

    try:
        raw = read_regular(path, MAX_BYTES)  # a FIFO would block, /dev/zero never ends
    except (NotRegular, TooLarge) as e:
        raise ConfigError(f"{path}: cannot read configuration: {e}") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read configuration: {e.strerror or e}") from None
    try:
        docs = load_yaml(decode(raw))
    except LoadError as e:
        where = f":{e.line}" if e.line else ""
        raise ConfigError(f"{path}{where}: {e.message}") from None
    if len(docs) > 1:
        raise ConfigError(f"{path}: expected one YAML document, found {len(docs)}")
    data, positions = (docs[0].data, docs[0].positions) if docs else (None, {})
    return parse(data, path, positions)


def rule_params(cfg: Config, rule_cls: Any) -> Any:
    """The rule's options model with the user's overrides; errors name the key."""
    rc = cfg.rules.get(rule_cls.id)
    overrides = rc.params if rc else {}
    try:
        return rule_cls.Params.model_validate(overrides)
    except ValidationError as e:
        err = e.errors()[0]
        loc = ("rules", rule_cls.id, "params") + tuple(err["loc"])
        where = _where(cfg.source or "config", getattr(cfg, "_positions", None), loc)
        raise ConfigError(f"{where}: rules.{rule_cls.id}.params.{_loc(err)}: {_message(err)}") from None


def check_rule_ids(cfg: Config, known: set[str], slugs: Optional[set[str]] = None) -> None:
    """Rule IDs in ``rules:`` must exist; suppressions may also name a slug or ``*``."""
    positions = getattr(cfg, "_positions", None)
    for rid in cfg.rules:
        if rid not in known:
            where = _where(cfg.source or "config", positions, ("rules", rid))
            raise ConfigError(f"{where}: rules.{rid}: no such rule")
    for i, s in enumerate(cfg.suppressions):
        if s.rule not in known and s.rule != "*" and s.rule not in (slugs or set()):
            where = _where(cfg.source or "config", positions, ("suppressions", i, "rule"))
            raise ConfigError(f"{where}: suppressions[{i}].rule: no such rule {s.rule!r}")
