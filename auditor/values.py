"""Values a template cannot fully tell, and how rules ask about them.

The resolver (loaders/resolver.py) is the one place that decides what is
known. It produces plain Python values, except where a value depends on
something outside the template:

* ``Sym``: a named but unknown value, e.g. a parameter without a default, an
  attribute of a resource in the same template, an imported export. Two
  expressions that resolve to the same ``Sym`` are the same name, which is how
  cross-resource links survive unknown values.
* ``Str``: a string assembled from literal parts and ``Sym`` parts
  (``Fn::Sub``/``Fn::Join`` over unknowns). Normalised so that equal strings
  compare equal however they were written.
* ``Unknown``: present, but nothing can be said about it (dynamic references,
  undecidable conditions past the scenario cap, functions over unknowns).

Rules never compare these by hand: they call ``known`` / ``is_known`` and
the helpers below.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Iterable, Iterator


class Unknown:
    """A value that is present but cannot be decided statically."""

    __slots__ = ("reason",)

    def __init__(self, reason: str = "value cannot be determined") -> None:
        self.reason = reason

    def __repr__(self) -> str:
        return f"Unknown({self.reason!r})"

    def __eq__(self, other: object) -> bool:  # unknowns are never equal to anything
        return False

    def __hash__(self) -> int:
        return id(self)

    def describe(self) -> str:
        return self.reason

    def to_json(self) -> dict:
        return {"$unknown": self.reason}


class Sym:
    """A named unknown: ``param``, ``resource`` (logical id + attribute),
    ``import``, ``pseudo``."""

    __slots__ = ("kind", "key", "attr")

    def __init__(self, kind: str, key: str, attr: str | None = None) -> None:
        self.kind = kind
        self.key = key
        self.attr = attr

    def __repr__(self) -> str:
        return f"Sym({self.kind}:{self.key}{'.' + self.attr if self.attr else ''})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sym) and (self.kind, self.key, self.attr) == (
            other.kind,
            other.key,
            other.attr,
        )

    def __hash__(self) -> int:
        return hash((self.kind, self.key, self.attr))

    @property
    def reason(self) -> str:
        return self.describe()

    def describe(self) -> str:
        if self.kind == "param":
            return f"parameter {self.key} has no default"
        if self.kind == "var":  # Terraform: var.x (or module.m.var.x) without a value
            return f"{self.key} has no value"
        if self.kind == "import":
            return f"imported value {self.key}"
        if self.kind == "pseudo":
            return f"pseudo parameter {self.key}"
        if self.kind == "subvar":  # an Fn::Sub variable computed from deploy-time values
            return f"{self.key} (computed when the stack is deployed)"
        if self.kind == "az":
            return f"Availability Zone {self.attr} of {self.key or 'the stack' + chr(39) + 's region'} (Fn::GetAZs)"
        if self.kind == "resource":
            return f"{self.key}.{self.attr}" if self.attr else f"Ref {self.key}"
        return f"{self.kind} {self.key}"

    def to_json(self) -> dict:
        return {"$sym": [self.kind, self.key, self.attr]}


class Str:
    """A string made of literal and ``Sym`` parts; adjacent literals merged."""

    __slots__ = ("parts",)

    def __init__(self, parts: Iterable[Any]) -> None:
        merged: list[Any] = []
        for p in parts:
            if isinstance(p, Str):
                items: Iterable[Any] = p.parts
            else:
                items = (p,)
            for q in items:
                if isinstance(q, str):
                    if not q:
                        continue
                    if merged and isinstance(merged[-1], str):
                        merged[-1] += q
                        continue
                merged.append(q)
        self.parts = tuple(merged)

    @staticmethod
    def build(parts: Iterable[Any]) -> Any:
        """Plain ``str`` when every part is literal, ``Unknown`` when a part is
        unknown, else a ``Str``."""
        s = Str(parts)
        if any(isinstance(p, Unknown) for p in s.parts):
            reasons = [p.reason for p in s.parts if isinstance(p, Unknown)]
            return Unknown(reasons[0])
        if all(isinstance(p, str) for p in s.parts):
            return "".join(s.parts)
        if len(s.parts) == 1:
            return s.parts[0]
        return s

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Str) and self.parts == other.parts

    def __hash__(self) -> int:
        return hash(self.parts)

    def __repr__(self) -> str:
        return f"Str({self.parts!r})"

    @property
    def reason(self) -> str:
        return self.describe()

    def describe(self) -> str:
        syms = dict.fromkeys(p.describe() for p in self.parts if isinstance(p, Sym))  # each reason once
        return "depends on " + ", ".join(syms)

    def literal_prefix(self) -> str:
        return self.parts[0] if self.parts and isinstance(self.parts[0], str) else ""

    def split(self, sep: str) -> list[Any]:
        """Split on a literal separator; segments keep their symbolic parts."""
        segs: list[list[Any]] = [[]]
        for p in self.parts:
            if isinstance(p, str):
                pieces = p.split(sep)
                segs[-1].append(pieces[0])
                for piece in pieces[1:]:
                    segs.append([piece])
            else:
                segs[-1].append(p)
        return [Str.build(s) for s in segs]

    def to_json(self) -> dict:
        return {"$str": [p if isinstance(p, str) else p.to_json() for p in self.parts]}


UNKNOWN_TYPES = (Unknown, Sym, Str)


def is_known(v: Any) -> bool:
    """True for plain data (recursively checks nothing: containers are known
    as containers; check their leaves where they matter)."""
    return not isinstance(v, UNKNOWN_TYPES)


def display(v: Any) -> str:
    """A value as people write it: unknown parts in CloudFormation ``${...}``
    syntax, so messages read "variant ${ModelName}-blue"."""
    if isinstance(v, str):
        return v
    if isinstance(v, Sym):
        if v.kind == "resource":
            return "${" + v.key + ("." + v.attr if v.attr else "") + "}"
        if v.kind == "import":
            return f"ImportValue({v.key})"
        if v.kind == "az":
            return f"GetAZs({v.key!r})[{v.attr}]" if v.key else f"GetAZs[{v.attr}]"
        return "${" + v.key + "}"
    if isinstance(v, Str):
        return "".join(display(p) for p in v.parts)
    if isinstance(v, Unknown):
        return f"<unknown: {v.reason}>"
    return repr(v) if not isinstance(v, (int, float)) else str(v)


def zone_of(v: Any) -> Any:
    """An Availability Zone as something to count: the zone name, or the
    ``Sym`` of ``!Select [i, !GetAZs ...]`` (distinct indexes of one region
    are distinct zones); None when it cannot be told."""
    if isinstance(v, str):
        return v
    if isinstance(v, Sym) and v.kind == "az":
        return v
    return None


def prop(obj: Any, key: str) -> Any:
    """A property of a mapping or an inventory model; None when absent or
    when the container itself is unknown (rules then ask ``is_known`` of the
    container, not of this answer)."""
    if isinstance(obj, dict):
        return obj.get(key)
    if obj is not None and is_known(obj) and hasattr(obj, "model_fields_set"):
        return getattr(obj, key, None)
    return None


def why_unknown(v: Any) -> str:
    return v.describe() if isinstance(v, UNKNOWN_TYPES) else ""


def same(a: Any, b: Any) -> bool:
    """Do two resolved values name the same thing?"""
    if isinstance(a, Unknown) or isinstance(b, Unknown):
        return False
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    return type(a) is type(b) and a == b


def as_number(v: Any) -> float | None:
    """Numbers arrive as int, float or numeric strings (CFN allows both)."""
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v.strip())
        except ValueError:
            return None
    return None


def as_bool(v: Any) -> bool | None:
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.lower() in ("true", "false"):
        return v.lower() == "true"
    return None


def to_jsonable(v: Any) -> Any:
    """Serialise resolved values (for snapshots and the JSON result)."""
    if isinstance(v, UNKNOWN_TYPES):
        return v.to_json()
    if isinstance(v, dict):
        return {k: to_jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [to_jsonable(x) for x in v]
    return v


def from_jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        if len(v) == 1:
            (k, x), = v.items()
            if k == "$unknown":
                return Unknown(x)
            if k == "$sym":
                return Sym(*x)
            if k == "$str":
                return Str(p if isinstance(p, str) else from_jsonable(p) for p in x)
        return {k: from_jsonable(x) for k, x in v.items()}
    if isinstance(v, list):
        return [from_jsonable(x) for x in v]
    return v


# -- lists that are themselves unknown -----------------------------------------
# A loop over an unknown list sees no items, which would read as "nothing
# fails": a silent pass. The accessors that hand lists to rules
# (``EndpointConfig.variants()`` ...) report the unknown list here instead, and
# the engine turns every report made while a rule checks a resource into an
# unknown verdict naming the list and why (``engine.unread_lists``). Rules
# need no code for it; one that already said so at that path is not told twice.
_SKIPPED: ContextVar[Any] = ContextVar("sm_audit_unknown_lists", default=None)


def unknown_items(owner: Any, path: tuple, what: str, value: Any) -> list:
    """The items of a list that is unknown (``value``): none, reported to the
    verdict being made (``owner``: the resource holding it; ``what``: the
    list in words, e.g. "production variants of endpoint config C")."""
    skipped = _SKIPPED.get()
    if skipped is not None:
        skipped.append((owner, path, what, value))
    return []


@contextmanager
def unknown_lists() -> Iterator[list]:
    """Collect the unknown lists iterated inside the block: (owner, path, what, value)."""
    skipped: list = []
    token = _SKIPPED.set(skipped)
    try:
        yield skipped
    finally:
        _SKIPPED.reset(token)
