"""Imports run one way. Read from the source with ``ast`` (no import side
effects), counting imports inside functions too: a lazy import is still a
dependency. Reports import no live code; rules and models import no loaders;
the static scan path (with the built-in rules it loads) imports no boto3 when
its modules load (live-only advice may import botocore inside a function)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("auditor", "rules", "reports")


def _name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}


def _top_level(tree: ast.AST):
    """Statements run when the module loads (not function or method bodies)."""
    for node in ast.iter_child_nodes(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            yield node
            yield from _top_level(node)


def _imports(name: str, lazy: bool = True) -> set[str]:
    path = MODULES[name]
    here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree) if lazy else _top_level(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = here[:len(here) - node.level + 1] if node.level else []
            mod = ".".join(base + ([node.module] if node.module else []))
            found.add(mod)
            found.update(f"{mod}.{a.name}" for a in node.names if f"{mod}.{a.name}" in MODULES)
    # importing a.b.c runs a and a.b too
    return {".".join(m.split(".")[:i]) for m in found for i in range(1, len(m.split(".")) + 1)}


def _reach(start: list[str], lazy: bool = True) -> dict[str, str]:
    """Every module reachable from ``start`` -> the module that imports it."""
    via: dict[str, str] = {m: "" for m in start}
    todo = list(start)
    while todo:
        m = todo.pop()
        for dep in _imports(m, lazy) if m in MODULES else ():
            if dep not in via:
                via[dep] = m
                todo.append(dep)
    return via


def _chain(via: dict[str, str], target: str) -> str:
    out = [target]
    while via.get(out[-1]):
        out.append(via[out[-1]])
    return " <- ".join(out)


def _violations(start_prefix: tuple[str, ...], forbidden: tuple[str, ...], lazy: bool = True) -> list[str]:
    via = _reach(sorted(m for m in MODULES if m.startswith(start_prefix)), lazy)
    return [_chain(via, m) for m in sorted(via) if m.startswith(forbidden)]


def test_the_graph_sees_known_edges():
    # the check can fail: the live audit does reach boto3 through the collectors
    via = _reach(["auditor.audit"])
    assert "auditor.live.fanout" in via and "boto3" in via


@pytest.mark.parametrize("start, forbidden", [
    (("reports",), ("auditor.live",)),
    (("rules",), ("auditor.loaders",)),
    (("auditor.models",), ("auditor.loaders", "auditor.inventory", "auditor.live")),
])
def test_layers_import_one_way(start, forbidden):
    assert _violations(start, forbidden) == []


def test_static_scan_path_imports_no_boto3():
    bad = _violations(("auditor.scan", "auditor.cli.scan_cmd", "rules"), ("boto3", "botocore"), lazy=False)
    assert bad == []
    # lazy imports of botocore are allowed only for the live-only advice of SM501 and for
    # writing a report to an s3:// location (auditor.s3, reached only for such an --output)
    lazy = _violations(("auditor.scan", "auditor.cli.scan_cmd", "rules"), ("boto3", "botocore"))
    assert all(chain.endswith("<- rules.sm501_right_sizing") or " <- auditor.s3 <- " in chain for chain in lazy)
    assert any(" <- auditor.s3 <- " in chain for chain in lazy)  # the graph does see the S3 output
