"""Every AWS call the live collectors make, read from their source with
``ast`` (no audit run): the IAM policy and the fault table are checked
against it, so a new call cannot be forgotten in either."""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIVE = ROOT / "auditor" / "live"
# auditor/live modules that are no collectors: they build and serve the test account
NOT_COLLECTORS = {"sandbox.py", "moto_ext.py", "server.py"}
# the collector's own wrappers: (service, method, ...) as their first two arguments
WRAPPERS = {"_call", "_pages"}


class UnreadableCall(Exception):
    """A call whose service or method is not written out in the source."""


def collector_files() -> list[Path]:
    return sorted(p for p in LIVE.glob("*.py") if p.name not in NOT_COLLECTORS)


def _dict_values(tree: ast.Module) -> dict[str, list[str]]:
    """Module-level ``NAME = {...: "method", ...}`` tables of string values."""
    out = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and isinstance(node.value, ast.Dict):
            values = [v.value for v in node.value.values if isinstance(v, ast.Constant)]
            if len(values) == len(node.value.values) and all(isinstance(v, str) for v in values):
                out[node.targets[0].id] = values
    return out


def _strings(node: ast.AST, tables: dict[str, list[str]], where: str) -> list[str]:
    """The method names an argument can be: a literal, or an entry of a
    module-level table (``OPS[kind]``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id in tables:
        return tables[node.value.id]
    raise UnreadableCall(f"{where}: cannot tell which AWS call {ast.unparse(node)} is")


def _client_service(call: ast.Call) -> str | None:
    """``x.client(..., "svc", ...)`` / ``client("svc")``: the service, when written out."""
    f = call.func
    name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None
    if name != "client":
        return None
    found = [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    return found[0] if found else None


def _calls_in(scope: ast.AST, tables: dict[str, list[str]], where: str) -> set[tuple[str, str]]:
    calls: set[tuple[str, str]] = set()
    bound: dict[str, str] = {}  # variable -> service of the client bound to it
    for node in ast.walk(scope):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            svc = _client_service(node.value)
            if svc:
                for t in node.targets:
                    if isinstance(t, ast.Name):
                        bound[t.id] = svc
    for node in ast.walk(scope):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        at = f"{where}:{node.lineno}"
        if isinstance(f, ast.Attribute) and f.attr in WRAPPERS and len(node.args) >= 2:
            svc = _strings(node.args[0], tables, at)
            calls |= {(s, m) for s in svc for m in _strings(node.args[1], tables, at)}
        elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id in bound:
            if f.attr == "get_paginator":
                calls |= {(bound[f.value.id], m) for m in _strings(node.args[0], tables, at)}
            else:
                calls.add((bound[f.value.id], f.attr))
        elif isinstance(f, ast.Name) and f.id == "paginate" and node.args and \
                isinstance(node.args[0], ast.Name) and node.args[0].id in bound:
            calls |= {(bound[node.args[0].id], m) for m in _strings(node.args[1], tables, at)}
    return calls


@lru_cache(maxsize=None)
def collector_methods() -> frozenset[tuple[str, str]]:
    """(boto3 service, client method) for every call in the collectors."""
    calls: set[tuple[str, str]] = set()
    for path in collector_files():
        tree = ast.parse(path.read_text(), str(path))
        tables = _dict_values(tree)
        for fn in ast.walk(tree):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                calls |= _calls_in(fn, tables, f"{path.relative_to(ROOT)}:{fn.name}")
    return frozenset(calls)


@lru_cache(maxsize=None)
def _api_names(service: str) -> dict[str, str]:
    """Client method -> API operation, as botocore names a client's methods
    (its service model only: building clients costs more)."""
    from botocore import xform_name

    model = _botocore().get_service_model(service)
    return {xform_name(op): op for op in model.operation_names}


@lru_cache(maxsize=None)
def _botocore():
    import botocore.session

    return botocore.session.get_session()


def collector_operations() -> frozenset[tuple[str, str]]:
    """(service, API operation) for every call in the collectors, e.g.
    ("cloudwatch", "DescribeAlarms")."""
    return frozenset((svc, _api_names(svc)[m]) for svc, m in collector_methods())
