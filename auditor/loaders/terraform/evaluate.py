"""Terraform expressions -> values: the same plain data, ``Unknown``,
``Sym`` and ``Str`` the CloudFormation resolver produces.

Names (``var.x``, ``local.y``, ``aws_x.y``, ``module.m``, ``count.index``,
``each.key``) are looked up in a ``Scope``; references between resources
resolve to the referenced attribute's value when the configuration sets it,
else to a ``Sym`` naming the resource address (as ``!GetAtt`` does)."""

from __future__ import annotations

import json
import math
from typing import Any, Callable, Optional

from ...values import UNKNOWN_TYPES, Str, Sym, Unknown


class EvalError(Exception):
    """An expression Terraform itself would reject (or that ``try`` catches)."""


class Namespace:
    """A name with attributes (var, local, a resource type, a module...)."""

    def attr(self, name: str) -> Any:  # pragma: no cover - interface
        raise EvalError(f"unsupported attribute {name}")

    def index(self, key: Any) -> Any:
        raise EvalError("value cannot be indexed")


class Scope:
    def __init__(self, module: Any, names: Optional[dict] = None) -> None:
        self.module = module
        self.names = names or {}

    def child(self, **names: Any) -> "Scope":
        return Scope(self.module, {**self.names, **names})


def unknown_in(v: Any) -> Optional[Any]:
    """The first unknown leaf inside a value, if any."""
    if isinstance(v, UNKNOWN_TYPES):
        return v
    if isinstance(v, dict):
        for x in v.values():
            u = unknown_in(x)
            if u is not None:
                return u
    elif isinstance(v, list):
        for x in v:
            u = unknown_in(x)
            if u is not None:
                return u
    return None


def _unk(v: Any) -> Unknown:
    return v if isinstance(v, Unknown) else Unknown(v.describe())


def to_str(v: Any) -> Any:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (int, float, str)):
        return str(v)
    if isinstance(v, (Sym, Str, Unknown)):
        return v
    if v is None:
        raise EvalError("null value in a string template")
    raise EvalError("a list or map cannot be part of a string")


def to_num(v: Any) -> Any:
    if isinstance(v, bool):
        raise EvalError("a bool is not a number")
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, str):
        try:
            f = float(v)
        except ValueError:
            raise EvalError(f"{v!r} is not a number") from None
        return int(f) if f.is_integer() and "." not in v else f
    raise EvalError("not a number")


def evaluate(e: Any, scope: Scope) -> Any:
    try:
        return _ev(e, scope)
    except RecursionError:
        return Unknown("expression nested too deeply")


def _ev(e: Any, scope: Scope) -> Any:
    kind = e[0]
    if kind == "lit":
        return e[1]
    if kind == "tmpl1":
        return _ev(e[1], scope)
    if kind == "tmpl":
        parts = []
        for p in e[1]:
            v = p if isinstance(p, str) else _ev(p, scope)
            parts.append(to_str(v))
        return Str.build(parts)
    if kind == "tuple":
        return [_ev(x, scope) for x in e[1]]
    if kind == "object":
        out: dict = {}
        for k, v, _ in e[1]:
            key = _ev(k, scope)
            if isinstance(key, UNKNOWN_TYPES):
                return Unknown(f"an object key is unknown ({key.describe()})")
            out[to_str(key)] = _ev(v, scope)
        return out
    if kind == "name":
        return lookup_name(e[1], scope)
    if kind == "attr":
        return get_attr(_ev(e[1], scope), e[2])
    if kind == "index":
        return get_index(_ev(e[1], scope), _ev(e[2], scope))
    if kind == "splat":
        return _splat(_ev(e[1], scope), e[2], scope)
    if kind == "call":
        return call(e[1], e[2], e[3], scope)
    if kind == "cond":
        c = _ev(e[1], scope)
        if isinstance(c, bool):
            return _ev(e[2] if c else e[3], scope)
        if isinstance(c, str) and c in ("true", "false"):
            return _ev(e[2] if c == "true" else e[3], scope)
        if isinstance(c, UNKNOWN_TYPES):
            a, b = _ev(e[2], scope), _ev(e[3], scope)
            if not isinstance(a, UNKNOWN_TYPES) and type(a) is type(b) and a == b:
                return a
            return Unknown(f"condition depends on {c.describe()}")
        raise EvalError("condition is not a bool")
    if kind == "bin":
        return binary(e[1], e[2], e[3], scope)
    if kind == "un":
        v = _ev(e[2], scope)
        if isinstance(v, UNKNOWN_TYPES):
            return _unk(v)
        if e[1] == "!":
            if not isinstance(v, bool):
                raise EvalError("! needs a bool")
            return not v
        return -to_num(v)
    if kind == "for":
        return for_expr(e, scope)
    if kind == "unsupported":
        return Unknown(f"{e[1]} is not evaluated")
    raise EvalError(f"unknown expression {kind}")  # pragma: no cover


def lookup_name(name: str, scope: Scope) -> Any:
    if name in scope.names:
        return scope.names[name]
    return scope.module.name(name, scope)


def get_attr(base: Any, name: str) -> Any:
    if isinstance(base, Namespace):
        return base.attr(name)
    if isinstance(base, dict):
        # optional object attributes are null when unset
        return base.get(name)
    if isinstance(base, UNKNOWN_TYPES):
        if isinstance(base, Sym) and base.kind == "var":
            return Sym("var", f"{base.key}.{name}")
        return _unk(base)
    if base is None:
        raise EvalError(f"attribute {name} of null")
    if isinstance(base, list):
        raise EvalError(f"attribute {name} of a list (use [*].{name})")
    raise EvalError(f"attribute {name} of a {type(base).__name__}")


def get_index(base: Any, key: Any) -> Any:
    if isinstance(base, Namespace):
        return base.index(key)
    if isinstance(key, UNKNOWN_TYPES):
        if isinstance(base, list) and base and all(_same_value(base[0], x) for x in base[1:]):
            return base[0]
        return Unknown(f"index {key.describe()} cannot be determined")
    if isinstance(base, UNKNOWN_TYPES):
        if isinstance(base, Sym) and base.kind == "var":
            return Sym("var", f"{base.key}[{json.dumps(key)}]")
        return _unk(base)
    if isinstance(base, list):
        i = to_num(key)
        if not isinstance(i, int) or not 0 <= i < len(base):
            raise EvalError(f"index {key} out of range")
        return base[i]
    if isinstance(base, dict):
        k = to_str(key)
        if k not in base:
            raise EvalError(f"no key {k!r}")
        return base[k]
    raise EvalError("value cannot be indexed")


def _same_value(a: Any, b: Any) -> bool:
    return not isinstance(a, UNKNOWN_TYPES) and type(a) is type(b) and a == b


def _splat(base: Any, ops: list, scope: Scope) -> Any:
    if isinstance(base, Namespace):
        base = base.index("*")
    if isinstance(base, UNKNOWN_TYPES):
        return _unk(base)
    if isinstance(base, dict):
        base = list(base.values())
    items = base if isinstance(base, list) else ([] if base is None else [base])
    out = []
    for it in items:
        v = it
        for op, arg in ops:
            v = get_attr(v, arg) if op == "attr" else get_index(v, _ev(arg, scope))
        out.append(v)
    return out


def binary(op: str, le: Any, re_: Any, scope: Scope) -> Any:
    a = _ev(le, scope)
    if op == "&&" and a is False:
        return False
    if op == "||" and a is True:
        return True
    b = _ev(re_, scope)
    if op in ("&&", "||"):
        if isinstance(a, UNKNOWN_TYPES) or isinstance(b, UNKNOWN_TYPES):
            if op == "&&" and b is False:
                return False
            if op == "||" and b is True:
                return True
            return _unk(a if isinstance(a, UNKNOWN_TYPES) else b)
        return (a and b) if op == "&&" else (a or b)
    if isinstance(a, UNKNOWN_TYPES) or isinstance(b, UNKNOWN_TYPES) or \
            unknown_in(a) is not None or unknown_in(b) is not None:
        if op in ("==", "!=") and (a is None or b is None) and (isinstance(a, (Sym, Str)) or isinstance(b, (Sym, Str))):
            return op == "!="  # a named value is not null
        u = unknown_in(a) or unknown_in(b)
        return Unknown(f"{op} over an unknown value ({u.describe()})")
    if op == "==":
        return _eq(a, b)
    if op == "!=":
        return not _eq(a, b)
    x, y = to_num(a), to_num(b)
    if op == "+":
        return x + y
    if op == "-":
        return x - y
    if op == "*":
        return x * y
    if op == "/":
        if y == 0:
            raise EvalError("division by zero")
        r = x / y
        return int(r) if float(r).is_integer() else r
    if op == "%":
        if y == 0:
            raise EvalError("division by zero")
        return x % y
    return {"<": x < y, ">": x > y, "<=": x <= y, ">=": x >= y}[op]


def _eq(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) \
            and not isinstance(b, bool):
        return a == b
    return type(a) is type(b) and a == b


def for_expr(e: Any, scope: Scope) -> Any:
    _, kind, kvar, vvar, coll_e, key_e, val_e, cond_e, group = e
    coll = _ev(coll_e, scope)
    if isinstance(coll, UNKNOWN_TYPES):
        return Unknown(f"for expression over an unknown collection ({coll.describe()})")
    if isinstance(coll, dict):
        pairs = list(coll.items())
    elif isinstance(coll, list):
        pairs = list(enumerate(coll))
    elif coll is None:
        raise EvalError("for expression over null")
    else:
        raise EvalError("for expression over a value that is not a collection")
    out_list: list = []
    out_map: dict = {}
    for k, v in pairs:
        names = {vvar: v}
        if kvar:
            names[kvar] = k
        s = scope.child(**names)
        if cond_e is not None:
            c = _ev(cond_e, s)
            if isinstance(c, UNKNOWN_TYPES):
                return Unknown(f"for expression filter depends on {c.describe()}")
            if not c:
                continue
        if kind == "tuple":
            out_list.append(_ev(val_e, s))
        else:
            key = _ev(key_e, s)
            if isinstance(key, UNKNOWN_TYPES):
                return Unknown(f"for expression key depends on {key.describe()}")
            key = to_str(key)
            val = _ev(val_e, s)
            if group:
                out_map.setdefault(key, []).append(val)
            else:
                out_map[key] = val
    return out_list if kind == "tuple" else out_map


# -- functions -----------------------------------------------------------------

def call(name: str, arg_exprs: list, expand: bool, scope: Scope) -> Any:
    if name == "try":
        for a in arg_exprs:
            try:
                v = _ev(a, scope)
            except EvalError:
                continue
            return v
        raise EvalError("no argument of try() could be evaluated")
    if name == "can":
        try:
            v = _ev(arg_exprs[0], scope)
        except EvalError:
            return False
        return Unknown("can() over an unknown value") if isinstance(v, Unknown) else True
    fn = FUNCTIONS.get(name)
    if fn is None:
        return Unknown(f"function {name}() is not evaluated")
    args = [_ev(a, scope) for a in arg_exprs]
    if expand and args:
        last = args.pop()
        if isinstance(last, UNKNOWN_TYPES):
            return _unk(last)
        args.extend(last if isinstance(last, list) else [])
    if name not in TOLERANT:
        for a in args:
            u = a if isinstance(a, UNKNOWN_TYPES) else unknown_in(a) if name not in SHALLOW else None
            if u is not None:
                return Unknown(f"{name}() of an unknown value ({u.describe()})")
    try:
        return fn(*args)
    except EvalError:
        raise
    except (TypeError, ValueError, KeyError, IndexError, AttributeError) as ex:
        raise EvalError(f"{name}(): {ex}") from None


def _format(fmt: str, *args: Any) -> Any:
    out: list = []
    i, n = 0, 0
    while i < len(fmt):
        c = fmt[i]
        if c != "%":
            out.append(c)
            i += 1
            continue
        j = i + 1
        while j < len(fmt) and fmt[j] in "#+- 0123456789.":
            j += 1
        if j >= len(fmt):
            raise EvalError("format: incomplete verb")
        verb = fmt[j]
        if verb == "%":
            out.append("%")
        else:
            if n >= len(args):
                raise EvalError("format: not enough arguments")
            a = args[n]
            n += 1
            if isinstance(a, UNKNOWN_TYPES):
                out.append(a)
            elif verb == "s" or verb == "v":
                out.append(to_str(a) if not isinstance(a, (list, dict)) else json.dumps(a))
            elif verb == "d":
                out.append(("%" + fmt[i + 1:j] + "d") % int(to_num(a)))
            elif verb in "fFeg":
                out.append(("%" + fmt[i + 1:j + 1]) % float(to_num(a)))
            elif verb == "q":
                out.append(json.dumps(to_str(a)))
            elif verb == "t":
                out.append("true" if a else "false")
            else:
                out.append(str(a))
        i = j + 1
    return Str.build(out)


def _join(sep: Any, *lists: Any) -> Any:
    parts: list = []
    for lst in lists:
        if isinstance(lst, UNKNOWN_TYPES):
            return _unk(lst)
        for k, x in enumerate(lst):
            if isinstance(x, Unknown):
                return x
            if parts:
                parts.append(sep)
            parts.append(to_str(x))
    return Str.build(parts)


def _lookup(m: Any, key: Any, *default: Any) -> Any:
    if isinstance(m, UNKNOWN_TYPES):
        return _unk(m)
    if isinstance(key, UNKNOWN_TYPES):
        return Unknown(f"lookup key {key.describe()}")
    if not isinstance(m, dict):
        raise EvalError("lookup() needs a map")
    if key in m:
        return m[key]
    if default:
        return default[0]
    raise EvalError(f"lookup(): no key {key!r}")


def _merge(*maps: Any) -> Any:
    out: dict = {}
    for m in maps:
        if m is None:
            continue
        if isinstance(m, UNKNOWN_TYPES):
            return Unknown(f"merge() of an unknown map ({m.describe()})")
        if not isinstance(m, dict):
            raise EvalError("merge() needs maps")
        out.update(m)
    return out


def _coalesce(*vals: Any) -> Any:
    for v in vals:
        if isinstance(v, Unknown):
            return v
        if v is not None and v != "":
            return v
    raise EvalError("coalesce(): no non-null argument")


def _coalescelist(*vals: Any) -> Any:
    for v in vals:
        if isinstance(v, UNKNOWN_TYPES):
            return _unk(v)
        if v:
            return v
    return []


def _concat(*lists: Any) -> Any:
    out: list = []
    for lst in lists:
        if isinstance(lst, UNKNOWN_TYPES):
            return Unknown(f"concat() of an unknown list ({lst.describe()})")
        if not isinstance(lst, list):
            raise EvalError("concat() needs lists")
        out.extend(lst)
    return out


def _length(v: Any) -> Any:
    if isinstance(v, (list, dict)):
        return len(v)
    if isinstance(v, str):
        return len(v)
    raise EvalError("length() of a value without length")


def _replace(s: Any, a: Any, b: Any) -> Any:
    if isinstance(s, (Sym, Str)) or isinstance(a, UNKNOWN_TYPES) or isinstance(b, UNKNOWN_TYPES):
        return Unknown("replace() over an unknown string")
    if isinstance(a, str) and len(a) > 1 and a.startswith("/") and a.endswith("/"):
        import re
        return re.sub(a[1:-1], re.sub(r"\$(\d+)", r"\\\1", b), s)
    return s.replace(a, b)


def _tolist(v: Any) -> Any:
    if isinstance(v, list):
        return list(v)
    raise EvalError("tolist() needs a list or set")


def _toset(v: Any) -> Any:
    if not isinstance(v, list):
        raise EvalError("toset() needs a list")
    out: list = []
    for x in v:
        if not any(_eq(x, y) for y in out):
            out.append(x)
    try:
        return sorted(out, key=lambda x: (type(x).__name__, str(x)))
    except TypeError:  # pragma: no cover
        return out


def _flatten(v: Any) -> Any:
    out: list = []
    for x in v:
        if isinstance(x, list):
            out.extend(_flatten(x))
        elif isinstance(x, Unknown):
            return x
        else:
            out.append(x)
    return out


def _str_fn(f: Callable[[str], Any]) -> Callable[[Any], Any]:
    def g(s: Any, *rest: Any) -> Any:
        for a in (s, *rest):
            if isinstance(a, UNKNOWN_TYPES):
                return Unknown(f"string function over an unknown value ({a.describe()})")
        return f(to_str(s), *rest)
    return g


def _split(sep: Any, s: Any) -> Any:
    if isinstance(s, Str):
        parts = s.split(sep)
        return Unknown("split() over an unknown string") if any(isinstance(p, Unknown) for p in parts) else parts
    if isinstance(s, Sym):
        return Unknown(f"split() of {s.describe()}")
    return to_str(s).split(sep)


def _element(lst: Any, i: Any) -> Any:
    if not isinstance(lst, list) or not lst:
        raise EvalError("element() of an empty list")
    return lst[int(to_num(i)) % len(lst)]


def _jsonencode(v: Any) -> Any:
    u = unknown_in(v)
    if u is not None:
        return JsonText(v)
    return json.dumps(v, separators=(",", ":"))


class JsonText(str):
    """jsonencode() over a value with unknown leaves: keeps the value so that
    policy documents still read (their unknown leaves stay unknown)."""

    def __new__(cls, value: Any) -> "JsonText":
        s = super().__new__(cls, "<jsonencode>")
        s.value = value
        return s


def _jsondecode(s: Any) -> Any:
    if isinstance(s, JsonText):
        return s.value
    try:
        return json.loads(s)
    except ValueError as ex:
        raise EvalError(f"jsondecode(): {ex}") from None


def _tonumber(v: Any) -> Any:
    return None if v is None else to_num(v)


def _tostring(v: Any) -> Any:
    return None if v is None else to_str(v)


def _tobool(v: Any) -> Any:
    if isinstance(v, bool) or v is None:
        return v
    if v in ("true", "false"):
        return v == "true"
    raise EvalError("tobool(): not a bool")


def _one(v: Any) -> Any:
    if not isinstance(v, list) or len(v) > 1:
        raise EvalError("one() needs a list of at most one item")
    return v[0] if v else None


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "format": _format,
    "join": _join,
    "concat": _concat,
    "lookup": _lookup,
    "merge": _merge,
    "coalesce": _coalesce,
    "coalescelist": _coalescelist,
    "tolist": _tolist,
    "toset": _toset,
    "tomap": lambda v: dict(v) if isinstance(v, dict) else (_ for _ in ()).throw(EvalError("tomap() needs a map")),
    "length": _length,
    "jsonencode": _jsonencode,
    "jsondecode": _jsondecode,
    "replace": _replace,
    "lower": _str_fn(str.lower),
    "upper": _str_fn(str.upper),
    "title": _str_fn(str.title),
    "trimspace": _str_fn(str.strip),
    "trimsuffix": _str_fn(lambda s, x: s[:-len(x)] if x and s.endswith(x) else s),
    "trimprefix": _str_fn(lambda s, x: s[len(x):] if x and s.startswith(x) else s),
    "substr": _str_fn(lambda s, o, n: s[int(o):] if int(n) < 0 else s[int(o):int(o) + int(n)]),
    "startswith": _str_fn(lambda s, p: s.startswith(p)),
    "endswith": _str_fn(lambda s, p: s.endswith(p)),
    "split": _split,
    "flatten": _flatten,
    "keys": lambda m: sorted(m) if isinstance(m, dict) else (_ for _ in ()).throw(EvalError("keys() needs a map")),
    "values": lambda m: [m[k] for k in sorted(m)],
    "contains": lambda lst, v: any(_eq(x, v) for x in lst),
    "element": _element,
    "distinct": lambda lst: [x for i, x in enumerate(lst) if not any(_eq(x, y) for y in lst[:i])],
    "compact": lambda lst: [x for x in lst if x not in (None, "")],
    "min": lambda *a: min(to_num(x) for x in a),
    "max": lambda *a: max(to_num(x) for x in a),
    "abs": lambda x: abs(to_num(x)),
    "ceil": lambda x: math.ceil(to_num(x)),
    "floor": lambda x: math.floor(to_num(x)),
    "tonumber": _tonumber,
    "tostring": _tostring,
    "tobool": _tobool,
    "zipmap": lambda k, v: dict(zip([to_str(x) for x in k], v)),
    "range": lambda *a: list(range(*[int(to_num(x)) for x in a])),
    "one": _one,
    "sort": lambda lst: sorted(to_str(x) for x in lst),
    "reverse": lambda lst: list(reversed(lst)),
    "slice": lambda lst, a, b: lst[int(to_num(a)):int(to_num(b))],
    "setunion": lambda *ls: _toset([x for lst in ls for x in lst]),
    "sum": lambda lst: sum(to_num(x) for x in lst),
    "index": lambda lst, v: next(i for i, x in enumerate(lst) if _eq(x, v)),
    "chunklist": lambda lst, n: [lst[i:i + int(n)] for i in range(0, len(lst), int(n))] if int(n) > 0 else [lst],
    "transpose": lambda m: {v: sorted(k for k, vs in m.items() if v in vs) for vs in m.values() for v in vs},
    "formatlist": lambda fmt, *ls: [_format(fmt, *xs) for xs in zip(*ls)],
}
# functions that decide for themselves what an unknown argument means
TOLERANT = {"format", "join", "merge", "coalesce", "coalescelist", "concat", "jsonencode", "lookup", "flatten",
            "split", "replace", "lower", "upper", "title", "trimspace", "trimsuffix", "trimprefix", "substr",
            "startswith", "endswith", "jsondecode", "tostring", "one", "compact"}
# functions that only look at the container, not at its items
SHALLOW = {"length", "tolist", "toset", "tomap", "keys", "values", "element", "zipmap", "slice", "reverse",
           "distinct", "index", "contains", "chunklist"}
