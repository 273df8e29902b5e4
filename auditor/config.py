"""``.sm-audit.yaml``: per-rule switches, levels and options, production
classification, and suppressions. Every unknown key or bad value is a
``ConfigError`` naming the key (exit code 2)."""

from __future__ import annotations

import os
from datetime import date
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

DEFAULT_NAMES = (".sm-audit.yaml", ".sm-audit.yml")


class ConfigError(Exception):
    pass


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RuleConfig(_Strict):
    enabled: bool = True
    level: Optional[Literal["error", "warning", "note"]] = Field(None, alias="severity")
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


class Config(_Strict):
    version: Literal[1] = 1
    fail_on: Optional[Literal["error", "warning", "note", "never"]] = None
    production: ProductionConfig = Field(default_factory=ProductionConfig)
    rules: dict[str, RuleConfig] = Field(default_factory=dict)
    suppressions: list[ConfigSuppression] = Field(default_factory=list)
    plugins: bool = True  # load third-party rule packs
    source: Optional[str] = Field(None, exclude=True)


def _loc(err: dict) -> str:
    parts = []
    for p in err["loc"]:
        parts.append(f"[{p}]" if isinstance(p, int) else ("." if parts else "") + str(p))
    return "".join(parts)


def parse(data: Any, source: str) -> Config:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the configuration must be a mapping")
    try:
        cfg = Config.model_validate(data)
    except ValidationError as e:
        msgs = []
        for err in e.errors():
            what = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
            msgs.append(f"{_loc(err)}: {what}")
        raise ConfigError(f"{source}: " + "; ".join(msgs)) from None
    cfg.source = source
    return cfg


def load(path: Optional[str], start: str = ".") -> Config:
    """Explicit ``--config`` path, else ``.sm-audit.yaml`` in the working dir."""
    import yaml

    if path is None:
        for name in DEFAULT_NAMES:
            candidate = os.path.join(start, name)
            if os.path.isfile(candidate):
                path = candidate
                break
        else:
            return Config()
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    except OSError as e:
        raise ConfigError(f"{path}: cannot read configuration: {e.strerror or e}") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}{where}: invalid YAML: {getattr(e, 'problem', e)}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not valid UTF-8") from None
    return parse(data, path)


def rule_params(cfg: Config, rule_cls: Any) -> Any:
    """The rule's options model with the user's overrides; errors name the key."""
    rc = cfg.rules.get(rule_cls.id)
    overrides = rc.params if rc else {}
    try:
        return rule_cls.Params.model_validate(overrides)
    except ValidationError as e:
        err = e.errors()[0]
        what = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        raise ConfigError(f"{cfg.source or 'config'}: rules.{rule_cls.id}.params.{_loc(err)}: {what}") from None


def check_rule_ids(cfg: Config, known: set[str]) -> None:
    for rid in cfg.rules:
        if rid not in known:
            raise ConfigError(f"{cfg.source or 'config'}: rules.{rid}: no such rule")
    for i, s in enumerate(cfg.suppressions):
        if s.rule not in known:
            raise ConfigError(f"{cfg.source or 'config'}: suppressions[{i}].rule: no such rule {s.rule!r}")
