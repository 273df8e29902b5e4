"""The built-in policy pack: one module per policy in POLICIES.md, named
``smNNN_<slug>.py``, each exposing ``RULE``.

``RULES`` is what the registry loads (the same entry-point shape third-party
packs use). Modules are found by name so adding a rule is adding a file."""

from __future__ import annotations

import importlib
import pkgutil

MODULES = sorted(
    m.name for m in pkgutil.iter_modules(__path__) if m.name.startswith("sm") and m.name[2:5].isdigit()
)

RULES = [getattr(importlib.import_module(f"{__name__}.{m}"), "RULE") for m in MODULES]
