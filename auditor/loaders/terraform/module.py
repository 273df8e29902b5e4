"""A Terraform module: its files read together, names resolved, resources
expanded (``count``/``for_each``/``dynamic``) and local child modules
followed with their inputs. Registry and git modules cannot be read offline:
they are recorded by name so the scan reports them as unknown."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Iterator, Optional

from ...values import UNKNOWN_TYPES, Str, Sym, Unknown
from .evaluate import EvalError, Namespace, Scope, evaluate, get_attr, to_str
from .hcl import Attr, Block, Body, TfSpan
from .kms import KEY_ATTRS
from .kms import data_attr as kms_data_attr
from .policydoc import render_policy_document

MAX_INSTANCES = 500  # per resource block: beyond this the expansion is not checked item by item
MAX_DEPTH = 10  # nested local modules
META_ARGS = {"count", "for_each", "depends_on", "provider", "lifecycle", "provisioner", "connection"}
# resources whose id (and usual reference) is their name
NAME_IS_ID = {
    "aws_sagemaker_model": "name", "aws_sagemaker_endpoint_configuration": "name", "aws_sagemaker_endpoint": "name",
    "aws_iam_role": "name", "aws_iam_policy": "arn", "aws_s3_bucket": "bucket", "aws_cloudwatch_log_group": "name",
    "aws_cloudwatch_metric_alarm": "alarm_name", "aws_sagemaker_model_package_group": "model_package_group_name",
    "aws_cloudwatch_dashboard": "dashboard_name", "aws_cloudtrail": "name",
}
# attributes that are also names under another attribute name
ALIASES = {("aws_s3_bucket", "bucket"): "id", ("aws_cloudwatch_metric_alarm", "alarm_name"): "id"}


def safe_eval(expr: Any, scope: Scope) -> Any:
    try:
        return evaluate(expr, scope)
    except EvalError as e:
        return Unknown(f"cannot evaluate: {e}")


@dataclass
class UnreadModule:
    address: str  # module.name
    source: str
    span: TfSpan
    why: str


class Instance(Namespace):
    """One instance of a resource (or data source) block."""

    def __init__(self, module: "Module", mode: str, rtype: str, rname: str, block: Block, key: Any,
                 names: dict, condition: Optional[str] = None) -> None:
        self.module = module
        self.mode = mode
        self.type = rtype
        self.rname = rname
        self.block = block
        self.key = key
        self.names = names
        self.condition = condition
        base = f"{'data.' if mode == 'data' else ''}{rtype}.{rname}"
        if key is None:
            self.address = module.prefix + base
        elif isinstance(key, int):
            self.address = f"{module.prefix}{base}[{key}]"
        else:
            self.address = f'{module.prefix}{base}["{key}"]'
        self._value: Optional[dict] = None
        self._busy = False
        self.positions: dict = {}

    def value(self) -> dict:
        if self._value is None:
            if self._busy:
                raise EvalError(f"{self.address} refers to itself")
            self._busy = True
            try:
                pos: dict = {}
                self._value = render(self.block.body, Scope(self.module, self.names), (), pos, top=True)
                self.positions = pos
            finally:
                self._busy = False
        return self._value

    def attr(self, name: str) -> Any:
        if self.mode == "data":
            return self.data_attr(name)
        try:
            v = self.value()
        except EvalError:
            return Sym("resource", self.address, name)
        if name == "id" and NAME_IS_ID.get(self.type) in v and v[NAME_IS_ID[self.type]] is not None \
                and NAME_IS_ID[self.type] != "arn":
            return v[NAME_IS_ID[self.type]]
        if name in ("name", "bucket") and name not in v and self.type in NAME_IS_ID:
            return Sym("resource", self.address, "name")
        x = v.get(name)
        if x is None or name in ("arn", "id"):
            return Sym("resource", self.address, name)
        return x

    def data_attr(self, name: str) -> Any:
        if self.type == "aws_iam_policy_document" and name == "json":
            try:
                return render_policy_document(self.value(), self.address)
            except EvalError as e:
                return Unknown(f"{self.address}: {e}")
        if self.type in KEY_ATTRS:
            try:
                key = kms_data_attr(self.type, self.value(), name)
            except EvalError:
                key = None
            if key is not None:
                return key
        return Sym("resource", self.address, name)


class _Group(Namespace):
    def __init__(self, module: "Module", mode: str, rtype: str) -> None:
        self.module, self.mode, self.rtype = module, mode, rtype

    def attr(self, name: str) -> Any:
        if self.rtype is None:
            return _Group(self.module, self.mode, name)
        block = self.module.blocks_by_addr.get((self.mode, self.rtype, name))
        if block is None:
            raise EvalError(f"{'data.' if self.mode == 'data' else ''}{self.rtype}.{name} is not declared")
        return self.module.expanded(self.mode, self.rtype, name)


class _Vars(Namespace):
    def __init__(self, module: "Module") -> None:
        self.module = module

    def attr(self, name: str) -> Any:
        return self.module.variable(name)


class _Locals(Namespace):
    def __init__(self, module: "Module") -> None:
        self.module = module

    def attr(self, name: str) -> Any:
        return self.module.local(name)


class _Modules(Namespace):
    def __init__(self, module: "Module") -> None:
        self.module = module

    def attr(self, name: str) -> Any:
        return self.module.child_ref(name)


class _Outputs(Namespace):
    def __init__(self, child: "Module") -> None:
        self.child = child

    def attr(self, name: str) -> Any:
        return self.child.output(name)


class Module:
    def __init__(self, config: Any, directory: str, prefix: str = "", inputs: Optional[dict] = None,
                 depth: int = 0, overrides: Optional[dict] = None) -> None:
        self.config = config
        self.dir = directory
        self.prefix = prefix
        self.inputs = inputs  # name -> (expr, parent scope); None for the root module
        self.overrides = overrides or {}  # root: variable values from tfvars / --var
        self.depth = depth
        self.files = config.read_dir(directory)
        self.variables: dict[str, Block] = {}
        self.local_attrs: dict[str, Attr] = {}
        self.outputs: dict[str, Block] = {}
        self.calls: dict[str, Block] = {}
        self.providers: list[Block] = []
        self.blocks_by_addr: dict[tuple, Block] = {}
        self.resource_types: set[str] = set()
        for f in self.files:
            for b in f.body.blocks:
                if b.type == "variable" and b.labels:
                    self.variables[b.labels[0]] = b
                elif b.type == "locals":
                    self.local_attrs.update(b.body.attrs)
                elif b.type == "output" and b.labels:
                    self.outputs[b.labels[0]] = b
                elif b.type == "module" and b.labels:
                    self.calls[b.labels[0]] = b
                elif b.type == "provider":
                    self.providers.append(b)
                elif b.type in ("resource", "data") and len(b.labels) >= 2:
                    self.blocks_by_addr[(b.type if b.type == "data" else "managed", b.labels[0], b.labels[1])] = b
                    if b.type == "resource":
                        self.resource_types.add(b.labels[0])
        self._vars: dict[str, Any] = {}
        self._locals: dict[str, Any] = {}
        self._busy: set[str] = set()
        self._expanded: dict[tuple, Any] = {}
        self._children: dict[str, Any] = {}
        self.scope = Scope(self)

    # -- names ------------------------------------------------------------
    def name(self, n: str, scope: Scope) -> Any:
        if n == "var":
            return _Vars(self)
        if n == "local":
            return _Locals(self)
        if n == "module":
            return _Modules(self)
        if n == "data":
            return _Group(self, "data", None)
        if n == "resource":  # resource.aws_x.y: the long form of aws_x.y
            return _Group(self, "managed", None)
        if n == "path":
            rel = self.config.display(self.dir)
            return {"module": rel, "root": self.config.display(self.config.root), "cwd": "."}
        if n == "terraform":
            return {"workspace": "default"}
        if n in ("count", "each"):
            raise EvalError(f"{n} is only available in a block with {'count' if n == 'count' else 'for_each'}")
        if n == "self":
            return Unknown("self is known only at apply time")
        if n in self.resource_types:
            return _Group(self, "managed", n)
        if n.startswith("aws_") or "_" in n:
            raise EvalError(f"resource type {n} is not declared in this module")
        raise EvalError(f"unknown name {n}")

    def variable(self, name: str) -> Any:
        if name in self._vars:
            return self._vars[name]
        block = self.variables.get(name)
        if block is None:
            raise EvalError(f"variable {name} is not declared")
        key = f"var:{name}"
        if key in self._busy:
            raise EvalError(f"variable {name} refers to itself")
        self._busy.add(key)
        try:
            if self.inputs is not None and name in self.inputs:
                expr, scope = self.inputs[name]
                v = safe_eval(expr, scope)
            elif self.inputs is None and name in self.overrides:
                v = self.overrides[name]
            elif "default" in block.body.attrs:
                v = safe_eval(block.body.attrs["default"].expr, Scope(self))
            else:
                v = Sym("var", f"{self.prefix}var.{name}")
        finally:
            self._busy.discard(key)
        self._vars[name] = v
        return v

    def local(self, name: str) -> Any:
        if name in self._locals:
            return self._locals[name]
        a = self.local_attrs.get(name)
        if a is None:
            raise EvalError(f"local.{name} is not declared")
        key = f"local:{name}"
        if key in self._busy:
            raise EvalError(f"local.{name} refers to itself")
        self._busy.add(key)
        try:
            v = safe_eval(a.expr, Scope(self))
        finally:
            self._busy.discard(key)
        self._locals[name] = v
        return v

    def output(self, name: str) -> Any:
        b = self.outputs.get(name)
        if b is None or "value" not in b.body.attrs:
            raise EvalError(f"module {self.prefix.rstrip('.')} has no output {name}")
        return safe_eval(b.body.attrs["value"].expr, Scope(self))

    # -- expansion ----------------------------------------------------------
    def keys_of(self, body: Body, scope: Scope, what: str) -> tuple[Any, Optional[str]]:
        """(instance keys, condition label): keys None for a single instance,
        a list of (key, names); an unknown count gives one instance whose
        existence depends on the expression."""
        if "count" in body.attrs:
            a = body.attrs["count"]
            n = safe_eval(a.expr, scope)
            if isinstance(n, bool) or not isinstance(n, (int, float)) or isinstance(n, UNKNOWN_TYPES):
                if isinstance(n, str) and n.isdigit():
                    n = int(n)
                else:
                    label = a.text
                    if a.expr[0] == "cond":
                        label = a.text.split("?")[0].strip()
                    return [(None, {"count": {"index": Unknown(f"count.index of {what} (count = {a.text})")}})], \
                        label if not isinstance(n, (int, float)) else None
            n = int(n)
            return [(i, {"count": {"index": i}}) for i in range(min(n, MAX_INSTANCES))], None
        if "for_each" in body.attrs:
            a = body.attrs["for_each"]
            coll = safe_eval(a.expr, scope)
            if isinstance(coll, dict):
                items = list(coll.items())
            elif isinstance(coll, list):
                items = [(to_str(x) if not isinstance(x, UNKNOWN_TYPES) else x, x) for x in coll]
                if any(isinstance(k, UNKNOWN_TYPES) for k, _ in items):
                    coll = Unknown("for_each set has unknown members")
            if isinstance(coll, UNKNOWN_TYPES) or coll is None:
                why = coll.describe() if isinstance(coll, UNKNOWN_TYPES) else "null"
                return [(None, {"each": {"key": Unknown(f"each.key of {what} ({why})"),
                                         "value": Unknown(f"each.value of {what} ({why})")}})], \
                    f"for_each = {a.text} has items"
            return [(k, {"each": {"key": k, "value": v}}) for k, v in items[:MAX_INSTANCES]], None
        return [(None, {})], None

    def expanded(self, mode: str, rtype: str, rname: str) -> Any:
        k = (mode, rtype, rname)
        if k in self._expanded:
            return self._expanded[k]
        block = self.blocks_by_addr[k]
        keys, cond = self.keys_of(block.body, Scope(self), f"{rtype}.{rname}")
        insts = [Instance(self, mode, rtype, rname, block, key, names, cond) for key, names in keys]
        if "count" in block.body.attrs and cond is None:
            result: Any = insts
        elif "for_each" in block.body.attrs and cond is None:
            result = {i.key: i for i in insts}
        else:
            result = insts[0]
        self._expanded[k] = result
        return result

    def instances(self) -> Iterator[Instance]:
        for (mode, rtype, rname) in self.blocks_by_addr:
            if mode != "managed":
                continue
            r = self.expanded(mode, rtype, rname)
            if isinstance(r, list):
                yield from r
            elif isinstance(r, dict):
                yield from r.values()
            else:
                yield r
        for name in self.calls:
            ref = self.child_ref(name)
            for child in (ref if isinstance(ref, list) else ref.values() if isinstance(ref, dict) else [ref]):
                if isinstance(child, _Outputs):
                    yield from child.child.instances()

    # -- child modules ------------------------------------------------------
    def child_ref(self, name: str) -> Any:
        if name in self._children:
            return self._children[name]
        b = self.calls.get(name)
        if b is None:
            raise EvalError(f"module {name} is not declared")
        src_attr = b.body.attrs.get("source")
        source = evaluate(src_attr.expr, Scope(self)) if src_attr else None
        address = f"{self.prefix}module.{name}"
        if not isinstance(source, str):
            self._children[name] = self.config.unread_module(address, str(source), b.span, "its source is not a string")
            return self._children[name]
        if not (source.startswith("./") or source.startswith("../")):
            self._children[name] = self.config.unread_module(
                address, source, b.span, "registry and remote modules are not read (offline)")
            return self._children[name]
        directory = os.path.normpath(os.path.join(self.dir, source))
        if not os.path.isdir(directory):
            self._children[name] = self.config.unread_module(address, source, b.span, "its directory does not exist",
                                                      problem=True)
            return self._children[name]
        if self.depth >= MAX_DEPTH:
            self._children[name] = self.config.unread_module(address, source, b.span, "modules nested too deeply")
            return self._children[name]
        self._children[name] = Unknown(f"module {address} refers to itself")
        keys, cond = self.keys_of(b.body, Scope(self), address)
        refs = []
        for key, names in keys:
            scope = Scope(self, names)
            inputs = {k: (a.expr, scope) for k, a in b.body.attrs.items()
                      if k not in META_ARGS and k not in ("source", "version", "providers")}
            suffix = "" if key is None else f"[{key}]" if isinstance(key, int) else f'["{key}"]'
            child = Module(self.config, directory, f"{address}{suffix}.", inputs, self.depth + 1)
            child.condition = cond
            refs.append((key, _Outputs(child)))
        if "count" in b.body.attrs and cond is None:
            result: Any = [r for _, r in refs]
        elif "for_each" in b.body.attrs and cond is None:
            result = {k: r for k, r in refs}
        else:
            result = refs[0][1]
        self._children[name] = result
        return result

    condition: Optional[str] = None


def render(body: Body, scope: Scope, path: tuple, pos: dict, top: bool = False) -> dict:
    """A block body as Terraform's value shape: attributes by name, nested
    blocks as lists of objects. ``pos`` gets every attribute's position."""
    out: dict = {}
    for name, a in body.attrs.items():
        if top and name in META_ARGS:
            continue
        out[name] = safe_eval(a.expr, scope)
        pos[path + (name,)] = a.span
        _object_positions(a.expr, path + (name,), pos)
    for b in body.blocks:
        if top and b.type in META_ARGS:
            continue
        if b.type == "dynamic" and b.labels:
            name = b.labels[0]
            pos.setdefault(path + (name,), b.span)
            items = _dynamic(b, scope)
            if isinstance(items, Unknown):
                out[name] = items
                continue
            lst = out.setdefault(name, [])
            if not isinstance(lst, list):
                continue
            for content, s in items:
                p = path + (name, len(lst))
                pos[p] = content.span
                lst.append(render(content.body, s, p, pos))
            continue
        pos.setdefault(path + (b.type,), b.span)
        lst = out.setdefault(b.type, [])
        if isinstance(lst, list):
            p = path + (b.type, len(lst))
            pos[p] = b.span
            lst.append(render(b.body, scope, p, pos))
    return out


def _dynamic(b: Block, scope: Scope) -> Any:
    name = b.labels[0]
    fe = b.body.attrs.get("for_each")
    contents = b.body.blocks_of("content")
    if fe is None or not contents:
        return Unknown(f"dynamic block {name} has no for_each or content")
    it = name
    if "iterator" in b.body.attrs and b.body.attrs["iterator"].expr[0] == "name":
        it = b.body.attrs["iterator"].expr[1]
    coll = safe_eval(fe.expr, scope)
    if isinstance(coll, UNKNOWN_TYPES):
        return Unknown(f"dynamic block {name} iterates over {fe.text}: {coll.describe()}")
    if coll is None:
        return []
    pairs = list(coll.items()) if isinstance(coll, dict) else list(enumerate(coll)) if isinstance(coll, list) else None
    if pairs is None:
        return Unknown(f"dynamic block {name}: for_each is not a collection")
    return [(contents[0], scope.child(**{it: {"key": k, "value": v}})) for k, v in pairs[:MAX_INSTANCES]]


def _object_positions(expr: Any, path: tuple, pos: dict) -> None:
    if expr[0] != "object":
        return
    for k, v, span in expr[1]:
        if k[0] == "lit" and span is not None:
            pos[path + (str(k[1]),)] = span
            _object_positions(v, path + (str(k[1]),), pos)


__all__ = ["Module", "Instance", "render", "UnreadModule", "safe_eval", "get_attr", "Str"]
