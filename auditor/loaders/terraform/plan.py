"""``terraform show -json`` plans -> Inventory.

``planned_values`` (root and child modules) gives the values; values known
only after apply (``resource_changes[].change.after_unknown``) are unknown,
and where the ``configuration`` says such a value is a reference to another
resource's attribute it becomes that reference (as ``!GetAtt`` does), so
resources still link. Resources the plan deletes are left out.

When the ``.tf`` sources are beside the plan (or given with ``--tf-dir``),
findings point at the attribute's ``.tf`` line; otherwise at the plan file."""

from __future__ import annotations

import os
import re
from typing import Any, Optional

from ...inventory import Inventory
from ...models.resources import KINDS, Meta
from ...values import Sym, Unknown
from ..errors import InputProblem
from .hcl import TfSpan
from .kms import managed_key_names, name_managed_keys
from .mapping import ATTACHMENTS, TYPES, convert

_INDEX = re.compile(r'\[(?:\d+|"(?:[^"\\]|\\.)*")\]')


def load_plan(path: str, name: str, doc: Any, options: Any, display) -> Any:
    from .. import FileResult

    result = FileResult(name, kind="terraform-plan")
    result.positions = {0: doc.positions}
    data = doc.data
    problem = shape_problem(data)
    if problem is not None:
        msg, ppath = problem
        result.problems.append(InputProblem(name, msg, ppath, 0))
        return result
    sources = _sources(path, options, display)
    result.inventories, problems = _inventory(name, data, doc.positions, sources)
    result.problems.extend(problems)
    if sources is not None:
        result.problems.extend(sources[1].problems)
        result.files += sum(len(v) for v in sources[1]._files.values())
    return result


def shape_problem(data: dict) -> Optional[tuple[str, tuple]]:
    fv = data.get("format_version")
    if not isinstance(fv, str) or not fv.startswith("1."):
        return (f"Terraform plan JSON format_version {fv!r} is not supported (sm-audit reads format 1.x, "
                "from terraform show -json)", ("format_version",))
    pv = data.get("planned_values")
    if pv is None:
        return ("not a Terraform plan: no planned_values (write it with terraform show -json PLANFILE)", ())
    if not isinstance(pv, dict) or not isinstance(pv.get("root_module", {}), dict):
        return ("planned_values.root_module must be an object", ("planned_values",))
    rc = data.get("resource_changes", [])
    if not isinstance(rc, list):
        return ("resource_changes must be a list", ("resource_changes",))
    return None


def _sources(path: str, options: Any, display) -> Optional[tuple[dict, Any]]:
    """Address (without instance keys) -> Instance of the .tf module, or None."""
    from . import Config, has_tf_files
    from .module import Module

    d = getattr(options, "tf_dir", None) if options is not None else None
    if d is None:
        d = os.path.dirname(os.path.abspath(path))
        if not has_tf_files(d):
            return None
    cfg = Config(d, display(d), display)
    root = Module(cfg, d, "", None, 0, {})
    out: dict = {}
    try:
        for inst in root.instances():
            out.setdefault(_INDEX.sub("", inst.address), inst)
    except RecursionError:  # pragma: no cover
        return None
    return out, cfg


def _walk_modules(mod: dict, path: tuple) -> Any:
    for i, r in enumerate(mod.get("resources") or []):
        yield r, path + ("resources", i)
    for j, c in enumerate(mod.get("child_modules") or []):
        if isinstance(c, dict):
            yield from _walk_modules(c, path + ("child_modules", j))


def _inventory(name: str, data: dict, jpos: dict, sources: Optional[tuple]) -> tuple[list, list]:
    problems: list[InputProblem] = []
    changes = {c.get("address"): c for c in data.get("resource_changes") or [] if isinstance(c, dict)}
    config_exprs = _config_expressions(data.get("configuration"))
    inv = Inventory(complete=False)
    managed_keys = managed_key_names(_data_sources(data))
    positions: dict = {}
    inv.positions[name] = {0: positions}
    pending = []
    for r, rpath in _walk_modules(data["planned_values"].get("root_module") or {}, ("planned_values", "root_module")):
        if not isinstance(r, dict) or r.get("mode", "managed") != "managed":
            continue
        rtype, address = r.get("type"), r.get("address")
        if not isinstance(rtype, str) or not isinstance(address, str):
            problems.append(InputProblem(name, "a planned resource has no type or address", rpath, 0))
            continue
        if rtype not in TYPES and rtype not in ATTACHMENTS:
            continue
        change = changes.get(address, {}).get("change", {}) if isinstance(changes.get(address), dict) else {}
        if change.get("actions") == ["delete"]:
            continue
        values = r.get("values")
        if not isinstance(values, dict):
            problems.append(InputProblem(name, f"{address}: values must be an object", rpath, 0))
            continue
        module_addr = address[:-len(_local_address(address))].rstrip(".")
        exprs = config_exprs.get((_INDEX.sub("", module_addr), rtype, r.get("name")), {})
        values = _with_unknowns(values, change.get("after_unknown"), exprs, module_addr, address)
        values = name_managed_keys(values, managed_keys)
        if isinstance(values.get("tags_all"), dict):
            values["tags"] = values["tags_all"]  # the plan has merged the provider's default_tags
        base = ("tf", address)
        _positions(positions, base, rpath + ("values",), values, jpos, sources, address, name)
        if rtype in ATTACHMENTS:
            pending.append((None, rtype, address, values))
            continue
        kind, cfn_type, props, pathmap = convert(rtype, values, base, None)
        pending.append(((kind, cfn_type, props, pathmap), rtype, address, values))
    _merge_attachments(pending)
    for conv, rtype, address, _ in pending:
        if conv is None:
            continue
        kind, cfn_type, props, pathmap = conv
        meta = Meta(key=f"{name}#{address}", type=rtype, logical_id=address, file=name, doc=0,
                    base=("tf", address), resource_path=("tf", address), pathmap=pathmap, dialect="terraform")
        from ..template import MONITOR_TYPES, build

        res = build(KINDS[kind], props, meta, problems, name, 0)
        if res is None:
            continue
        if kind == "MonitoringJobDefinition":
            res.monitoring_type = MONITOR_TYPES.get(cfn_type, "DataQuality")
        inv.add(res)
    return [inv], problems


def _data_sources(data: dict) -> Any:
    """(type, values) of the data sources the plan read (it shows them in
    planned_values or in prior_state)."""
    prior = data.get("prior_state")
    roots = [data["planned_values"].get("root_module"),
             (prior.get("values") or {}).get("root_module") if isinstance(prior, dict) else None]
    for root in roots:
        for r, _ in _walk_modules(root if isinstance(root, dict) else {}, ()):
            if isinstance(r, dict) and r.get("mode") == "data" and isinstance(r.get("values"), dict):
                yield r.get("type"), r["values"]


def _local_address(address: str) -> str:
    """aws_x.y[0] of module.m["k"].aws_x.y[0]."""
    parts = re.split(r"\.(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)", address)
    return ".".join(parts[-2:])


def _merge_attachments(pending: list) -> None:
    from .build import _attach

    class _Inst:  # the attachment's address, as the HCL path gives it
        def __init__(self, rtype: str, address: str) -> None:
            self.type, self.address = rtype, address

    items = [(_Inst(rtype, address), c[0], c[1], c[2], c[3]) for c, rtype, address, _ in pending if c is not None]
    for c, rtype, address, values in pending:
        if c is None:
            _attach(_Inst(rtype, address), values, items)


def _config_expressions(cfg: Any) -> dict:
    """(module path, type, name) -> the resource's configuration expressions."""
    out: dict = {}

    def walk(mod: Any, prefix: str) -> None:
        if not isinstance(mod, dict):
            return
        for r in mod.get("resources") or []:
            if isinstance(r, dict) and isinstance(r.get("expressions"), dict):
                out[(prefix, r.get("type"), r.get("name"))] = r["expressions"]
        for n, call in (mod.get("module_calls") or {}).items():
            if isinstance(call, dict):
                walk(call.get("module"), f"{prefix}.module.{n}".lstrip("."))

    if isinstance(cfg, dict):
        walk(cfg.get("root_module"), "")
    return out


def _with_unknowns(values: dict, unknown: Any, exprs: Any, module_addr: str, address: str) -> dict:
    """Values known after apply become references (from the configuration) or unknowns."""
    def ref(expr: Any, key: str) -> Any:
        refs = expr.get("references") if isinstance(expr, dict) else None
        for r in refs or []:
            parts = r.split(".")
            if len(parts) >= 3 and not r.startswith(("var.", "local.", "data.", "module.", "each.", "count.")):
                target = ".".join(parts[:2])
                return Sym("resource", f"{module_addr}.{target}".lstrip("."), parts[2])
        return Unknown(f"{address} {key} is known only after apply")

    def merge(v: Any, u: Any, e: Any, key: str) -> Any:
        if u is True:
            return ref(e, key)
        if isinstance(u, dict) and isinstance(v, dict):
            out = dict(v)
            for k, uu in u.items():
                ee = e.get(k) if isinstance(e, dict) else None
                out[k] = merge(v.get(k), uu, ee, k)
            return out
        if isinstance(u, dict) and v is None:
            return {k: merge(None, uu, e.get(k) if isinstance(e, dict) else None, k) for k, uu in u.items()}
        if isinstance(u, list) and isinstance(v, list):
            el = e if isinstance(e, list) else []
            return [merge(x, u[i] if i < len(u) else None, el[i] if i < len(el) else (el[0] if el else None), key)
                    for i, x in enumerate(v)]
        return v

    if not isinstance(unknown, dict):
        return dict(values)
    return merge(values, unknown, exprs, "")


def _positions(positions: dict, base: tuple, jbase: tuple, values: dict, jpos: dict, sources: Optional[tuple],
               address: str, plan_file: str) -> None:
    """The .tf positions of the resource when the sources are known, else the plan's."""
    inst = sources[0].get(_INDEX.sub("", address)) if sources is not None else None
    if inst is not None:
        try:
            inst.value()
        except Exception:  # noqa: BLE001 - positions only; a value problem is the plan's to tell
            inst = None
    if inst is not None:
        positions[base] = inst.block.span
        for p, span in inst.positions.items():
            positions[base + p] = span
        return

    def walk(v: Any, p: tuple) -> None:
        s = jpos.get(jbase + p)
        if s is not None:
            positions[base + p] = TfSpan(s.line, s.column, s.end_line, s.end_column, plan_file)
        if isinstance(v, dict):
            for k, x in v.items():
                walk(x, p + (k,))
        elif isinstance(v, list):
            for i, x in enumerate(v):
                walk(x, p + (i,))

    s = jpos.get(jbase[:-1])
    if s is not None:
        positions[base] = TfSpan(s.line, s.column, s.end_line, s.end_column, plan_file)
    walk(values, ())
