"""The built-in policy pack: one module per policy in POLICIES.md.

``RULES`` is what the registry loads (the same entry-point shape third-party
packs use)."""

from __future__ import annotations

import importlib

MODULES = [
    "sm201_high_availability",
]

RULES = [getattr(importlib.import_module(f"{__name__}.{m}"), "RULE") for m in MODULES]
