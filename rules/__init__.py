"""The built-in policy pack: one module per policy in POLICIES.md, named
``smNNN_<slug>.py``, each defining its Rule class.

``RULES`` is what the registry loads (the same shape a third-party pack's
module may have). Modules are found by name and rules by definition, so
adding a rule is adding a file (docs/adding-a-rule.md)."""

from __future__ import annotations

import importlib
import pkgutil

from auditor.registry import rules_in

MODULES = sorted(
    m.name for m in pkgutil.iter_modules(__path__) if m.name.startswith("sm") and m.name[2:5].isdigit()
)

RULES = [cls for m in MODULES for cls in rules_in(importlib.import_module(f"{__name__}.{m}"))]
