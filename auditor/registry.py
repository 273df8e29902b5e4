"""Rule registry: a small typed pipeline, find -> load -> validate.

The built-in pack is the ``rules`` package, imported directly (no metadata
scan needed for it); third-party packs are found through the
``sm_audit.rules`` entry-point group. An entry point names a Rule class, a
module (every Rule subclass with an ID defined in it, or its ``RULES``), or a
callable returning rules. Defining a rule is registering it: there is no
decorator or list to forget. Order is deterministic (by rule ID). A pack
that fails to import, or a rule with a duplicate or malformed ID, is rejected
with a clear problem that the run reports as an error finding; the rest of
the rules still run.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from .rulebase import ACCOUNT, ID_RE, METRICS, SLUG_RE, MetricNeed, Rule
from .vocabulary import LEVELS

ENTRY_POINT_GROUP = "sm_audit.rules"
BUILTIN_MODULE = "rules"


class RegistryError(Exception):
    pass


@dataclass
class PluginProblem:
    source: str  # entry point or module
    message: str


@dataclass
class Registry:
    rules: dict[str, type[Rule]] = field(default_factory=dict)
    problems: list[PluginProblem] = field(default_factory=list)

    def add(self, cls: Any, source: str, plugin: Optional[str] = None) -> None:
        try:
            validate(cls)
        except RegistryError as e:
            self.problems.append(PluginProblem(source, str(e)))
            return
        if cls.id in self.rules:
            other = self.rules[cls.id]
            self.problems.append(PluginProblem(
                source, f"rule ID {cls.id} is already registered by {other.__module__}.{other.__qualname__}"))
            return
        for other in self.rules.values():
            if other.slug == cls.slug:
                self.problems.append(PluginProblem(source, f"rule slug {cls.slug!r} is already used by {other.id}"))
                return
        if plugin:
            cls.plugin = plugin
        self.rules[cls.id] = cls

    def ordered(self) -> list[type[Rule]]:
        return [self.rules[k] for k in sorted(self.rules)]

    def get(self, rule_id: str) -> Optional[type[Rule]]:
        key = rule_id.upper()
        if key in self.rules:
            return self.rules[key]
        for r in self.rules.values():
            if r.slug == rule_id:
                return r
        return None


def validate(cls: Any) -> None:
    if not (isinstance(cls, type) and issubclass(cls, Rule)):
        raise RegistryError(f"{cls!r} is not an sm-audit Rule class")
    name = f"{cls.__module__}.{cls.__qualname__}"
    if not isinstance(cls.id, str) or not ID_RE.match(cls.id):
        raise RegistryError(f"{name}: malformed rule ID {cls.id!r} (expected letters then 3-4 digits, e.g. SM201)")
    if not isinstance(cls.slug, str) or not SLUG_RE.match(cls.slug):
        raise RegistryError(f"{name}: malformed slug {cls.slug!r} (expected kebab-case)")
    if cls.level not in LEVELS:
        raise RegistryError(f"{name}: level {cls.level!r} is not one of {', '.join(LEVELS)}")
    if not cls.title or not cls.policy:
        raise RegistryError(f"{name}: a rule needs a title and the policy text it enforces")
    if not cls.targets and cls.check_inventory is Rule.check_inventory:
        raise RegistryError(f"{name}: declares no target resource kinds and no check_inventory")
    from .models.resources import KINDS

    targets = cls.targets
    if isinstance(targets, str) or not isinstance(targets, (tuple, list)) or \
            any(t not in KINDS for t in targets):
        raise RegistryError(f"{name}: targets {targets!r} must be a tuple of resource kinds "
                            f"({', '.join(sorted(KINDS))})")
    readable = set(KINDS) | {ACCOUNT, METRICS}
    reads = cls.reads
    groups = list(reads.items()) if isinstance(reads, dict) else [(None, reads)]
    for key, kinds in groups:
        if (key is not None and key not in readable) or isinstance(kinds, str) or \
                not isinstance(kinds, (tuple, list)) or any(k not in readable for k in kinds):
            raise RegistryError(f"{name}: reads {reads!r} must be a tuple of resource kinds, or a mapping from "
                                f"target kind to such a tuple ({', '.join(sorted(readable))})")
    if not isinstance(cls.metrics, (tuple, list)) or any(
            not isinstance(n, MetricNeed) or n.window not in getattr(cls.Params, "model_fields", {})
            for n in cls.metrics):
        raise RegistryError(f"{name}: metrics must be a tuple of MetricNeed whose window names a parameter")
    if isinstance(cls.scope, str) or not set(cls.scope) <= {"static", "live"} or not cls.scope:
        raise RegistryError(f"{name}: scope {cls.scope!r} must name 'static' and/or 'live'")
    inv_scope = cls.inventory_scope
    if inv_scope is not None and (isinstance(inv_scope, str) or not isinstance(inv_scope, (tuple, list))
                                  or not inv_scope or not set(inv_scope) <= set(cls.scope)):
        raise RegistryError(f"{name}: inventory_scope {inv_scope!r} must name 'static' and/or 'live' within "
                            f"its scope {cls.scope!r}")
    params = getattr(cls, "Params", None)
    if not (isinstance(params, type) and hasattr(params, "model_validate")):
        raise RegistryError(f"{name}: Params must be a RuleParams (pydantic) class")


def rules_in(module: Any) -> list[type[Rule]]:
    """The rules a module defines: its Rule subclasses that carry an ID
    (imported ones belong to their own module; ID-less ones are bases)."""
    return [obj for obj in vars(module).values()
            if isinstance(obj, type) and issubclass(obj, Rule) and obj.__module__ == module.__name__ and obj.id]


def _expand(obj: Any) -> Iterable[Any]:
    import types

    if isinstance(obj, type):
        yield obj
    elif hasattr(obj, "RULES"):
        yield from obj.RULES
    elif isinstance(obj, types.ModuleType):
        yield from rules_in(obj)
    elif callable(obj):
        yield from obj()
    elif isinstance(obj, (list, tuple)):
        yield from obj
    else:
        yield obj


@dataclass
class _Dist:
    name: str


@dataclass
class _EntryPoint:
    """The part of importlib.metadata.EntryPoint the registry uses."""

    name: str
    value: str
    dist: _Dist

    def load(self) -> Any:
        module, _, attr = self.value.partition(":")
        obj = importlib.import_module(module.strip())
        for part in attr.split("[", 1)[0].strip().split(".") if attr else ():
            obj = getattr(obj, part)
        return obj


_UNTRUSTED: set[str] = set()  # real paths of what this run scans


def distrust(paths: Any) -> None:
    """Directories being scanned may hold anything, a ``*.dist-info`` too:
    plugins are never discovered or imported from them."""
    import os

    _UNTRUSTED.clear()  # this run's paths only
    _UNTRUSTED.update(os.path.realpath(p) for p in paths if os.path.isdir(p))


def _trusted_path(entries: list[str]) -> list[str]:
    """``sys.path`` without the working directory (``python -m`` and an empty
    ``PYTHONPATH`` entry put it there) and without anything being scanned:
    a scanned repository must not get its code run as a rule pack."""
    import os

    cwd = os.path.realpath(os.getcwd())
    out = []
    for base in entries:
        real = os.path.realpath(base or ".")
        if real == cwd or any(real == u or real.startswith(u.rstrip(os.sep) + os.sep) for u in _UNTRUSTED):
            continue
        out.append(base)
    return out


def _entry_points() -> list[Any]:
    """The group's entry points, found as importlib.metadata finds them (the
    ``entry_points.txt`` of each ``*.dist-info``/``*.egg-info`` on sys.path,
    the first distribution of a name wins) without importing it: that import
    (email, zipfile, csv ...) and its metadata parsing cost more start-up
    time than the rest of the registry."""
    import os
    import sys

    out: list[_EntryPoint] = []
    seen: set[str] = set()
    header = f"[{ENTRY_POINT_GROUP}]"
    for base in _trusted_path(sys.path):
        try:
            names = sorted(os.listdir(base))
        except OSError:  # not a directory (zip files are not searched)
            continue
        for n in names:
            if not n.endswith((".dist-info", ".egg-info")):
                continue
            key = n.rsplit(".", 1)[0].split("-", 1)[0].lower().replace("_", "-").replace(".", "-")
            if key in seen:
                continue
            seen.add(key)
            try:
                with open(os.path.join(base, n, "entry_points.txt"), encoding="utf-8") as fh:
                    text = fh.read()
            except OSError:
                continue
            if header not in text:
                continue
            dist = _Dist(_dist_name(os.path.join(base, n)) or key)
            out.extend(_EntryPoint(k, v, dist) for k, v in _section(text, ENTRY_POINT_GROUP))
    return sorted(out, key=lambda ep: (ep.name, ep.value))


def _section(text: str, group: str) -> list[tuple[str, str]]:
    items, current = [], None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1].strip()
        elif current == group and "=" in line:
            k, v = line.split("=", 1)
            items.append((k.strip(), v.strip()))
    return items


def _dist_name(path: str) -> str:
    import os

    for meta in ("METADATA", "PKG-INFO"):
        try:
            with open(os.path.join(path, meta), encoding="utf-8") as fh:
                for line in fh:
                    if line.startswith("Name:"):
                        return line[5:].strip()
                    if not line.strip():
                        break
        except OSError:
            continue
    return ""


class _only_trusted_imports:
    """A plugin's modules are imported from the trusted part of sys.path only
    (a scanned directory could otherwise shadow the module an entry point names)."""

    def __enter__(self) -> None:
        import sys

        self.saved = list(sys.path)
        sys.path[:] = _trusted_path(sys.path)

    def __exit__(self, *exc: Any) -> None:
        import sys

        sys.path[:] = self.saved


def load(plugins: bool = True) -> Registry:
    reg = Registry()
    try:
        builtin_rules = list(importlib.import_module(BUILTIN_MODULE).RULES)
    except Exception as e:  # noqa: BLE001 - reported as SM000; plugins still load
        reg.problems.append(PluginProblem(f"built-in pack {BUILTIN_MODULE}",
                                          f"cannot load: {type(e).__name__}: {e}"))
        builtin_rules = []
    for cls in builtin_rules:
        reg.add(cls, BUILTIN_MODULE)
    if not plugins:
        return reg
    for ep in _entry_points():
        if ep.value.split(":")[0] == BUILTIN_MODULE:
            continue
        dist = getattr(getattr(ep, "dist", None), "name", None) or ep.name
        try:
            with _only_trusted_imports():
                obj = ep.load()
            items = list(_expand(obj))
        except Exception as e:  # a broken pack must not break the run
            reg.problems.append(PluginProblem(f"entry point {ep.name} = {ep.value}",
                                              f"cannot load: {type(e).__name__}: {e}"))
            continue
        for cls in items:
            reg.add(cls, f"entry point {ep.name} = {ep.value}", plugin=dist)
    return reg
