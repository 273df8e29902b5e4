"""CloudFormation intrinsic-function resolution: the one place that decides
what a template can tell.

* Parameters resolve to the value the user pinned (``Pins``: parameter
  files, ``--parameter``), else to their defaults; without either they are a
  ``Sym`` (a named unknown) so that two expressions over the same parameter
  compare equal. SSM-typed parameters are always unknown (the value given is
  a key, not the value). ``--region`` pins ``AWS::Region`` (and with it
  ``AWS::Partition`` and ``AWS::URLSuffix``).
* Conditions are evaluated with those values. An ``Fn::Equals`` that cannot
  be decided is an *atom*; the loader enumerates scenarios over the atoms
  (``Resolver(atoms=...)``) so that rules see every branch of an ``Fn::If``.
* ``Fn::ImportValue`` and ``{{resolve:...}}`` are present-but-unknown.

While resolving, every resolved property path is mapped back to the template
path it came from (``pathmap``), which is how a rule's property path finds
its line even through ``Fn::If`` branches.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..values import Str, Sym, Unknown, is_known, to_jsonable
from .parameters import partition

NOVALUE = object()  # AWS::NoValue: the property is removed
PATHMAP_DEPTH = 16  # resolved paths mapped to template paths down to this depth (rules name shallower ones)

PSEUDO = {
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
}
PSEUDO_UNKNOWN = {
    "AWS::Region",
    "AWS::AccountId",
    "AWS::StackName",
    "AWS::StackId",
    "AWS::NotificationARNs",
}
_REGION = Sym("pseudo", "AWS::Region")
_SUB_VAR = re.compile(r"\$\{([^}]*)\}")
_DYNAMIC_REF = re.compile(r"\{\{resolve:[^}]*\}\}")
_INTRINSICS = {
    "Ref",
    "Fn::GetAtt",
    "Fn::Sub",
    "Fn::Join",
    "Fn::Select",
    "Fn::Split",
    "Fn::FindInMap",
    "Fn::If",
    "Fn::ImportValue",
    "Fn::Base64",
    "Fn::GetAZs",
    "Fn::Cidr",
    "Fn::Length",
    "Fn::ToJsonString",
    "Fn::Transform",
    "Fn::Equals",
    "Fn::And",
    "Fn::Or",
    "Fn::Not",
    "Condition",
}
# Fn::GetAtt attributes that return the name the resource declares in the property of the same name
NAME_ATTRIBUTES = {
    ("AWS::SageMaker::Endpoint", "EndpointName"),
    ("AWS::SageMaker::EndpointConfig", "EndpointConfigName"),
    ("AWS::SageMaker::Model", "ModelName"),
    ("AWS::SageMaker::InferenceComponent", "InferenceComponentName"),
}
MAX_ATOMS = 3  # 2**3 scenarios at most; further undecidable conditions are Unknown


def is_intrinsic(v: Any) -> bool:
    return isinstance(v, dict) and len(v) == 1 and next(iter(v)) in _INTRINSICS


class Resolver:
    def __init__(self, template: dict, atoms: dict[str, bool] | None = None, pins: Any = None,
                 map_region: str | None = None) -> None:
        self.template = template
        self.pins = pins
        self.map_region = map_region  # a region candidate: what Fn::FindInMap keys on AWS::Region see
        self.resources = template.get("Resources") if isinstance(template.get("Resources"), dict) else {}
        self.mappings = template.get("Mappings") if isinstance(template.get("Mappings"), dict) else {}
        conds = template.get("Conditions")
        self.conditions = conds if isinstance(conds, dict) else {}
        self.params = self._parameters(template.get("Parameters"), pins.parameters if pins else {})
        self.atoms = atoms or {}
        self.seen_atoms: dict[str, str] = {}  # undecided Fn::Equals key -> label
        self._cond_cache: dict[str, Any] = {}
        self._cond_stack: set[str] = set()
        self._naming: set[tuple] = set()  # names being resolved (a name that refers to itself)

    # -- parameters -------------------------------------------------------
    @staticmethod
    def _parameters(section: Any, pinned: dict) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if not isinstance(section, dict):
            return out
        for name, spec in section.items():
            if not isinstance(spec, dict):
                out[name] = Sym("param", name)
                continue
            ptype = str(spec.get("Type", "String"))
            if ptype.startswith("AWS::SSM::Parameter::Value"):
                out[name] = Sym("param", name)
                continue
            if name in pinned:
                default = pinned[name]  # text, as CloudFormation receives it
            elif "Default" not in spec:
                out[name] = Sym("param", name)
                continue
            else:
                default = spec["Default"]
            if ptype.startswith("List<") or ptype == "CommaDelimitedList":
                if isinstance(default, str):
                    default = [s.strip() for s in default.split(",")] if default else []
            elif isinstance(default, (int, float)) and not isinstance(default, bool):
                default = str(default) if ptype == "String" else default
            out[name] = default
        return out

    # -- conditions -------------------------------------------------------
    def condition(self, name: Any) -> Any:
        """True, False or Unknown."""
        if not isinstance(name, str) or name not in self.conditions:
            return Unknown(f"condition {name!r} is not defined")
        if name in self._cond_cache:
            return self._cond_cache[name]
        if name in self._cond_stack:
            return Unknown(f"condition {name} refers to itself")
        if not self._cond_stack:
            self._settle_chain(name)
            if name in self._cond_cache:
                return self._cond_cache[name]
        self._cond_stack.add(name)
        try:
            value = self._cond_expr(self.conditions[name])
        finally:
            self._cond_stack.discard(name)
        self._cond_cache[name] = value
        return value

    def _settle_chain(self, name: str) -> None:
        """Conditions naming conditions can chain as long as a template is
        (hundreds of ``Condition:`` links): deeper than Python's recursion.
        When the chain from ``name`` is longer than ``_RECURSE_CHAIN``, evaluate
        the conditions it reaches leaves first (an explicit stack), so each
        evaluation finds the ones it names already decided."""
        path: list[tuple[str, list[str]]] = [(name, _condition_refs(self.conditions.get(name)))]
        on_path = {name}
        order: list[tuple[str, frozenset]] = []
        done: set[str] = set(self._cond_cache)
        deep = False
        while path:
            node, refs = path[-1]
            nxt = next((r for r in refs if r in self.conditions and r not in done and r not in on_path), None)
            if nxt is None:
                path.pop()
                on_path.discard(node)
                done.add(node)
                order.append((node, frozenset(on_path)))
                continue
            refs.remove(nxt)
            path.append((nxt, _condition_refs(self.conditions.get(nxt))))
            on_path.add(nxt)
            deep = deep or len(path) > _RECURSE_CHAIN
        if not deep:
            return  # ordinary recursion evaluates it in the usual order
        for node, ancestors in order:
            if node in self._cond_cache:
                continue
            # a reference back to a condition still open is a cycle: "refers to itself"
            self._cond_stack = set(ancestors) | {node}
            try:
                self._cond_cache[node] = self._cond_expr(self.conditions[node])
            finally:
                self._cond_stack = set()

    def _cond_expr(self, expr: Any) -> Any:
        if isinstance(expr, bool):
            return expr
        if not isinstance(expr, dict) or len(expr) != 1:
            return Unknown("malformed condition")
        (fn, arg), = expr.items()
        if fn == "Condition":
            return self.condition(arg)
        if fn == "Fn::Not":
            inner = self._cond_expr(arg[0] if isinstance(arg, list) and arg else arg)
            return (not inner) if isinstance(inner, bool) else inner
        if fn in ("Fn::And", "Fn::Or"):
            if not isinstance(arg, list):
                return Unknown("malformed condition")
            vals = [self._cond_expr(a) for a in arg]
            decided = [v for v in vals if isinstance(v, bool)]
            if fn == "Fn::And":
                if False in decided:
                    return False
                return True if len(decided) == len(vals) else next(v for v in vals if not isinstance(v, bool))
            if True in decided:
                return True
            return False if len(decided) == len(vals) else next(v for v in vals if not isinstance(v, bool))
        if fn == "Fn::Equals":
            if not isinstance(arg, list) or len(arg) != 2:
                return Unknown("malformed Fn::Equals")
            a, b = (self.value(x, (), (), None) for x in arg)
            if is_known(a) and is_known(b):
                return _norm(a) == _norm(b)
            if isinstance(a, Sym) and a == b:
                return True
            key = json.dumps([_atom_part(a), _atom_part(b)], sort_keys=True)
            label = f"{_describe(a)} = {_describe(b)}"
            if key in self.atoms:
                return self.atoms[key]
            self.seen_atoms.setdefault(key, label)
            return Unknown(f"cannot decide whether {label}")
        return Unknown(f"unsupported condition function {fn}")

    # -- values -----------------------------------------------------------
    def value(self, v: Any, tpath: tuple, rpath: tuple, pathmap: dict | None) -> Any:
        """Resolve ``v`` found at template path ``tpath`` into resolved path
        ``rpath``, recording the mapping in ``pathmap`` down to PATHMAP_DEPTH
        levels (each entry holds two whole paths: deeper ones would make the
        memory grow with nodes x depth; a deeper rule path is located at its
        ancestor on that level)."""
        if pathmap is not None and len(rpath) <= PATHMAP_DEPTH:
            pathmap[rpath] = tpath
        if isinstance(v, dict):
            if len(v) == 1:
                fn = next(iter(v))
                if fn in _INTRINSICS:
                    return self._intrinsic(fn, v[fn], tpath + (fn,), rpath, pathmap)
            out = {}
            for k, x in v.items():
                r = self.value(x, tpath + (k,), rpath + (k,), pathmap)
                if r is not NOVALUE:
                    out[k] = r
            return out
        if isinstance(v, list):
            out_list: list = []
            for i, x in enumerate(v):
                r = self.value(x, tpath + (i,), rpath + (len(out_list),), pathmap)
                if r is not NOVALUE:
                    out_list.append(r)
            return out_list
        if isinstance(v, str) and "{{resolve:" in v and _DYNAMIC_REF.search(v):
            return Unknown(f"dynamic reference {_DYNAMIC_REF.search(v).group(0)}")
        return v

    def _intrinsic(self, fn: str, arg: Any, tpath: tuple, rpath: tuple, pathmap: dict | None) -> Any:
        if fn == "Ref":
            return self.ref(arg)
        if fn == "Fn::GetAtt":
            return self._getatt(arg, tpath, pathmap)
        if fn == "Fn::If":
            if not isinstance(arg, list) or len(arg) != 3:
                return Unknown("malformed Fn::If")
            cond = self.condition(arg[0])
            if isinstance(cond, bool):
                i = 1 if cond else 2
                return self.value(arg[i], tpath + (i,), rpath, pathmap)
            return cond  # Unknown, with the reason
        if fn == "Fn::Sub":
            return self._sub(arg, tpath)
        if fn == "Fn::Join":
            if not isinstance(arg, list) or len(arg) != 2:
                return Unknown("malformed Fn::Join")
            delim = self.value(arg[0], tpath + (0,), (), None)
            items = self.value(arg[1], tpath + (1,), (), None)
            if not isinstance(delim, str):
                return Unknown("Fn::Join delimiter cannot be determined")
            if not isinstance(items, list):
                return Unknown(f"Fn::Join over a list that {_describe(items)}")
            parts: list = []
            for i, item in enumerate(items):
                if i:
                    parts.append(delim)
                if isinstance(item, (int, float)) and not isinstance(item, bool):
                    item = str(item)
                if not isinstance(item, (str, Sym, Str, Unknown)):
                    return Unknown("Fn::Join over a non-string item")
                parts.append(item)
            return Str.build(parts)
        if fn == "Fn::Select":
            if not isinstance(arg, list) or len(arg) != 2:
                return Unknown("malformed Fn::Select")
            idx = self.value(arg[0], tpath + (0,), (), None)
            items = self.value(arg[1], tpath + (1,), (), None)
            try:
                if isinstance(idx, bool):
                    raise TypeError
                idx = int(idx)
            except (TypeError, ValueError, OverflowError):
                return Unknown("Fn::Select index cannot be determined")
            if is_intrinsic(arg[1]) and "Fn::GetAZs" in arg[1] and idx >= 0:
                # which zone is unknown, but distinct indexes of one region's list are distinct zones
                region = self.value(arg[1]["Fn::GetAZs"], tpath + (1, "Fn::GetAZs"), (), None)
                region = "" if region in ("", _REGION) or region == self.ref("AWS::Region") else region
                if isinstance(region, str):
                    return Sym("az", region, str(idx))
            if isinstance(items, list):
                if 0 <= idx < len(items):
                    return items[idx]
                return Unknown(f"Fn::Select index {idx} is out of range")
            if isinstance(items, Str):
                return Unknown(f"Fn::Select over a value that {items.describe()}")
            return Unknown(f"Fn::Select over a list that {_describe(items)}")
        if fn == "Fn::Split":
            if not isinstance(arg, list) or len(arg) != 2:
                return Unknown("malformed Fn::Split")
            delim = self.value(arg[0], tpath + (0,), (), None)
            src = self.value(arg[1], tpath + (1,), (), None)
            if not isinstance(delim, str) or not delim:
                return Unknown("Fn::Split delimiter cannot be determined")
            if isinstance(src, str):
                return src.split(delim)
            if isinstance(src, Str):
                return src.split(delim)
            return Unknown(f"Fn::Split over a value that {_describe(src)}")
        if fn == "Fn::FindInMap":
            if not isinstance(arg, list) or len(arg) not in (3, 4):
                return Unknown("malformed Fn::FindInMap")
            keys = [self.value(a, tpath + (i,), (), None) for i, a in enumerate(arg[:3])]
            if self.map_region:
                keys = [self.map_region if k == _REGION else k for k in keys]
            default = None
            if len(arg) == 4 and isinstance(arg[3], dict) and "DefaultValue" in arg[3]:
                default = self.value(arg[3]["DefaultValue"], tpath + (3, "DefaultValue"), (), None)
            if not all(isinstance(k, str) for k in keys):
                return Unknown("Fn::FindInMap key " + next(_describe(k) for k in keys if not isinstance(k, str)))
            found = self.mappings.get(keys[0], {})
            found = found.get(keys[1], {}) if isinstance(found, dict) else {}
            if isinstance(found, dict) and keys[2] in found:
                # Mappings hold literals only (CloudFormation allows no functions
                # there); resolving them could loop through FindInMap
                return _literal(found[keys[2]], "Mappings." + ".".join(keys))
            if default is not None:
                return default
            return Unknown(f"mapping {'/'.join(keys)} is not defined")
        if fn == "Fn::ImportValue":
            name = self.value(arg, tpath, (), None)
            return Sym("import", name if isinstance(name, str) else repr(name))
        if fn == "Fn::Length":
            items = self.value(arg, tpath, (), None)
            return len(items) if isinstance(items, list) else Unknown("Fn::Length of an unknown list")
        if fn == "Fn::ToJsonString":
            inner = self.value(arg, tpath, (), None)
            try:
                return json.dumps(inner, separators=(",", ":"))
            except (TypeError, ValueError):
                return Unknown("Fn::ToJsonString over unknown values")
        if fn == "Condition":
            return self.condition(arg)
        if fn in ("Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not"):
            return self._cond_expr({fn: arg})
        return Unknown(f"{fn} is evaluated at deploy time")

    def ref(self, name: Any) -> Any:
        if not isinstance(name, str):
            return Unknown("Ref to a computed name")
        if name == "AWS::NoValue":
            return NOVALUE
        if name in self.params:
            return self.params[name]
        if self.pins is not None and self.pins.region:
            if name == "AWS::Region":
                return self.pins.region
            if name in PSEUDO:
                return dict(zip(("AWS::Partition", "AWS::URLSuffix"), partition(self.pins.region)))[name]
        if name in PSEUDO:
            return PSEUDO[name]
        if name in PSEUDO_UNKNOWN:
            return Sym("pseudo", name)
        if name in self.resources:
            return Sym("resource", name)
        return Unknown(f"Ref to undefined {name}")

    def _getatt(self, arg: Any, tpath: tuple, pathmap: dict | None) -> Any:
        if isinstance(arg, str):
            arg = arg.split(".", 1)
        if not isinstance(arg, list) or len(arg) != 2:
            return Unknown("malformed Fn::GetAtt")
        res = arg[0]
        attr = self.value(arg[1], tpath + (1,), (), None)
        if not isinstance(res, str) or not isinstance(attr, str):
            return Unknown("Fn::GetAtt with a computed name")
        if res not in self.resources:
            return Unknown(f"Fn::GetAtt to undefined resource {res}")
        return self._attribute(res, attr)

    def _attribute(self, res: str, attr: str) -> Any:
        """``X.EndpointName`` is the name X declares, so messages show
        ``${AWS::StackName}-embedding`` and links compare names; a name
        CloudFormation generates stays the symbol."""
        spec = self.resources.get(res)
        if isinstance(spec, dict) and (spec.get("Type"), attr) in NAME_ATTRIBUTES \
                and isinstance(spec.get("Properties"), dict) and attr in spec["Properties"] \
                and (res, attr) not in self._naming:
            self._naming.add((res, attr))
            try:
                name = self.value(spec["Properties"][attr], (), (), None)
            finally:
                self._naming.discard((res, attr))
            if isinstance(name, (str, Str, Sym)) and name != "":
                return name
        return Sym("resource", res, attr)

    def _sub(self, arg: Any, tpath: tuple) -> Any:
        if isinstance(arg, list):
            if len(arg) != 2 or not isinstance(arg[1], dict):
                return Unknown("malformed Fn::Sub")
            text, variables = arg[0], {
                k: self.value(v, tpath + (1, k), (), None) for k, v in arg[1].items()
            }
        else:
            text, variables = arg, {}
        if not isinstance(text, str):
            return Unknown("Fn::Sub over a computed string")
        parts: list = []
        pos = 0
        for m in _SUB_VAR.finditer(text):
            parts.append(text[pos : m.start()])
            pos = m.end()
            name = m.group(1)
            if name.startswith("!"):
                parts.append("${" + name[1:] + "}")
                continue
            name = name.strip()
            if name in variables:
                val = variables[name]
                if isinstance(val, Unknown) and not val.reason.startswith("dynamic reference"):
                    # the author named it: show ${RandomGUID} in the pattern, not how it is computed
                    val = Sym("subvar", name, val.reason)
            elif "." in name and name.split(".", 1)[0] in self.resources:
                res, attr = name.split(".", 1)
                val = self._attribute(res, attr)
            else:
                val = self.ref(name)
            if val is NOVALUE:
                val = ""
            if isinstance(val, (int, float)) and not isinstance(val, bool):
                val = str(val)
            if isinstance(val, list):
                val = Unknown(f"Fn::Sub of list {name}")
            if not isinstance(val, (str, Sym, Str, Unknown)):
                val = Unknown(f"Fn::Sub of non-string {name}")
            parts.append(val)
        parts.append(text[pos:])
        result = Str.build(parts)
        if isinstance(result, str) and "{{resolve:" in result and _DYNAMIC_REF.search(result):
            return Unknown(f"dynamic reference {_DYNAMIC_REF.search(result).group(0)}")
        return result


_RECURSE_CHAIN = 50  # longer Condition chains are settled leaves first


def _condition_refs(expr: Any) -> list[str]:
    """Names of the conditions an expression refers to, in evaluation order."""
    out: list[str] = []
    stack = [expr]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            if len(v) == 1 and "Condition" in v:
                if isinstance(v["Condition"], str) and v["Condition"] not in out:
                    out.append(v["Condition"])
                continue
            stack.extend(reversed(list(v.values())))
        elif isinstance(v, list):
            stack.extend(reversed(v))
    return out


def _norm(v: Any) -> Any:
    # CloudFormation compares condition operands as strings
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, (int, float)):
        return str(v)
    return v


def _atom_part(v: Any) -> Any:
    if isinstance(v, Unknown):
        return repr(v)
    if isinstance(v, (Sym, Str)):
        return v.to_json()
    if isinstance(v, (dict, list)):
        return to_jsonable(v)  # may hold Sym/Str leaves
    if isinstance(v, float) and v != v:
        return "nan"
    return _norm(v)


def _literal(v: Any, where: str) -> Any:
    if isinstance(v, dict):
        if is_intrinsic(v):
            return Unknown(f"{where} holds a function; Mappings take literal values only")
        return {k: _literal(x, where) for k, x in v.items()}
    if isinstance(v, list):
        return [_literal(x, where) for x in v]
    return v


def _describe(v: Any) -> str:
    if isinstance(v, Sym) and v.kind == "param":
        return f"parameter {v.key}"
    if isinstance(v, (Sym, Str, Unknown)):
        return v.describe()
    return repr(v)
