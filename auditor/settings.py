"""Run settings every rule can see: production classification and time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone


@dataclass
class Settings:
    production_all: bool = False  # --production: the whole scan is production
    production_tag_keys: tuple[str, ...] = ("Environment",)
    production_values: tuple[str, ...] = ("prod", "production")
    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
