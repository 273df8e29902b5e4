"""Position-keeping YAML/JSON loading.

PyYAML's composer (libyaml's C composer where present) gives nodes with
marks; we turn them into plain Python data plus a side table
``positions[path] = Span`` for every mapping entry and sequence item, so a
rule can name a property path and the engine can find its line and column.
CloudFormation's short-form tags (``!Ref``, ``!GetAtt`` ...) become their
long forms using cfn-flip's dialect table.

Everything here is bounded: file size, nesting depth and the number of nodes
after alias expansion (a YAML "billion laughs" stops at the budget instead
of eating memory).
"""

from __future__ import annotations

import gc
import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from cfn_tools.yaml_loader import FN_PREFIX, UNCONVERTED_SUFFIXES

from ..models.positions import Positions, Span

try:  # libyaml when present: ~15x faster composing
    _CLoader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _CLoader = yaml.SafeLoader

_STR_TAG = "tag:yaml.org,2002:str"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"
_IMPLICIT = yaml.SafeLoader.yaml_implicit_resolvers


class _Loader(_CLoader):  # type: ignore[misc, valid-type]
    """The safe loader with the per-node resolver calls made cheap: libyaml's
    composer calls back into Python for every node, and we use no path
    resolvers, so only a plain scalar's first character needs a look-up."""

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode:
            if implicit[0]:
                for tag, regexp in _IMPLICIT.get(value[:1] if value else "", ()):
                    if regexp.match(value):
                        return tag
            return _STR_TAG
        return _SEQ_TAG if kind is yaml.SequenceNode else _MAP_TAG

MAX_BYTES = 5 * 1024 * 1024  # CloudFormation's own limit is 1 MB
MAX_DEPTH = 200
MAX_NODES = 1_000_000

Path = tuple  # tuple[str | int, ...]


class LoadError(Exception):
    """A file that cannot be read as YAML/JSON; carries the line if known."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


@dataclass
class Document:
    data: Any
    positions: Any = field(default_factory=Positions)  # Positions: path -> Span
    index: int = 0  # position among the file's YAML documents


def _span(start, end) -> Span:
    return Span(start.line + 1, start.column + 1, end.line + 1, end.column + 1)


_ScalarNode, _SequenceNode, _MappingNode = yaml.ScalarNode, yaml.SequenceNode, yaml.MappingNode
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_MERGE = "tag:yaml.org,2002:merge"
_scalar_ctor = yaml.constructor.SafeConstructor()


# Python refuses to turn longer digit strings into int (a CPU-time guard);
# no CloudFormation number comes near it
MAX_INT_DIGITS = 4300


def _too_long(digits: int) -> str:
    return f"integer literal with {digits:,} digits (the limit is {MAX_INT_DIGITS:,})"


def _scalar(node: yaml.ScalarNode) -> Any:
    tag = node.tag
    if tag == _INT:
        digits = len(node.value.lstrip("+-").replace("_", ""))
        if digits > MAX_INT_DIGITS:
            raise LoadError(_too_long(digits), node.start_mark.line + 1, node.start_mark.column + 1)
        return _scalar_ctor.construct_yaml_int(node)
    if tag == _FLOAT:
        return _scalar_ctor.construct_yaml_float(node)
    if tag == _BOOL:
        return _scalar_ctor.construct_yaml_bool(node)
    if tag == _NULL:
        return None
    # strings, and timestamps kept as written ("2010-09-09" stays a string)
    return node.value


class _Builder:
    def __init__(self, budget: int = MAX_NODES) -> None:
        self.positions = Positions()
        self.nodes = 0
        # Without aliases a document cannot have more nodes than its text has
        # characters; more means alias expansion ("billion laughs").
        self.budget = budget

    # ``at`` is the node of the value's path in ``positions`` (never the path
    # itself: building paths would cost the depth at every node).
    def build(self, node: yaml.Node, at: int, depth: int) -> Any:
        self.nodes += 1
        if self.nodes > self.budget:
            raise LoadError(
                f"document expands to more than {self.budget:,} nodes (YAML alias expansion?)",
                node.start_mark.line + 1,
                node.start_mark.column + 1,
            )
        if depth > MAX_DEPTH:
            raise LoadError(
                f"nesting deeper than {MAX_DEPTH} levels",
                node.start_mark.line + 1,
                node.start_mark.column + 1,
            )
        tag = node.tag
        cls = node.__class__
        if cls is _ScalarNode and tag == _STR_TAG:  # most nodes: plain strings
            return node.value
        if tag.startswith("!"):
            return self._short_form(node, tag[1:], at, depth)
        if cls is _ScalarNode:
            return _scalar(node)
        if cls is _SequenceNode:
            positions = self.positions
            out = []
            for i, item in enumerate(node.value):
                p = positions.child(at, i)
                sm, em = item.start_mark, item.end_mark
                positions.put(p, Span(sm.line + 1, sm.column + 1, em.line + 1, em.column + 1))
                out.append(self.build(item, p, depth + 1))
            return out
        if cls is _MappingNode:
            return self._mapping(node, at, depth)
        raise LoadError(f"unsupported YAML node {tag}", node.start_mark.line + 1)

    def _mapping(self, node: yaml.MappingNode, at: int, depth: int) -> dict:
        out: dict = {}
        seen: dict[Any, int] = {}
        positions = self.positions
        for key_node, value_node in node.value:
            ktag = key_node.tag
            if ktag == _MERGE:
                merged = self.build(value_node, at, depth + 1)
                for m in merged if isinstance(merged, list) else [merged]:
                    if isinstance(m, dict):
                        for k, v in m.items():
                            out.setdefault(k, v)
                continue
            if key_node.__class__ is not _ScalarNode:
                raise LoadError(
                    "mapping keys must be plain strings",
                    key_node.start_mark.line + 1,
                    key_node.start_mark.column + 1,
                )
            key = key_node.value if ktag == _STR_TAG else _scalar(key_node)
            if not isinstance(key, str):
                key = str(key) if not isinstance(key, bool) else str(key).lower()
            sm, em = key_node.start_mark, value_node.end_mark
            line = sm.line + 1
            if key in seen:
                raise LoadError(
                    f"duplicate key {key!r} (first defined on line {seen[key]})",
                    line,
                    sm.column + 1,
                )
            seen[key] = line
            p = positions.child(at, key)
            positions.put(p, Span(line, sm.column + 1, em.line + 1, em.column + 1))
            out[key] = self.build(value_node, p, depth + 1)
        return out

    def _short_form(self, node: yaml.Node, suffix: str, at: int, depth: int) -> dict:
        name = suffix if suffix in UNCONVERTED_SUFFIXES else FN_PREFIX + suffix
        p = self.positions.child(at, name)
        self.positions.put(p, _span(node.start_mark, node.end_mark))
        if name == "Fn::GetAtt" and isinstance(node, yaml.ScalarNode):
            value: Any = node.value.split(".", 1)  # cfn-flip's construct_getatt
        elif isinstance(node, yaml.ScalarNode):
            value = node.value
        elif isinstance(node, yaml.SequenceNode):
            value = self.build(yaml.SequenceNode("tag:yaml.org,2002:seq", node.value,
                                                 node.start_mark, node.end_mark), p, depth + 1)
        else:
            value = self._mapping(node, p, depth + 1)
        return {name: value}


def decode(raw: bytes, limit: int | None = MAX_BYTES) -> str:
    """Bytes to text, refusing binary and non-UTF-8 files with a clear reason.
    ``limit`` None: no size limit (snapshots)."""
    if limit is not None and len(raw) > limit:
        raise LoadError(f"file is {len(raw):,} bytes; the limit is {limit:,}")
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise LoadError("UTF-16 text: CloudFormation templates must be UTF-8; save the file as UTF-8")
    if b"\x00" in raw[:8192]:
        raise LoadError("binary file (contains NUL bytes)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise LoadError(f"not valid UTF-8 (byte 0x{raw[e.start]:02x})", line) from None


def _yaml_error(e: yaml.YAMLError) -> LoadError:
    mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
    problem = getattr(e, "problem", None) or str(e)
    context = getattr(e, "context", None)
    if "maximum nesting depth" in str(problem):  # PyYAML >= 6.0.3 bounds nesting itself
        return LoadError(f"nesting deeper than {MAX_DEPTH} levels",
                         *((mark.line + 1, mark.column + 1) if mark is not None else ()))
    msg = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
    if mark is not None:
        return LoadError(msg, mark.line + 1, mark.column + 1)
    return LoadError(msg)


# libyaml's composer recurses in C and overflows the stack somewhere past
# 10,000 levels (a segfault, not an exception). Every nesting level costs at
# least one of these characters or one column of indentation, so below this
# bound the C composer is safe; above it the pure-Python composer is used,
# whose recursion ends in a RecursionError we report.
_C_SAFE_NESTING = 5000


class _SafePyLoader(yaml.SafeLoader):
    resolve = _Loader.resolve
    descend_resolver = _Loader.descend_resolver
    ascend_resolver = _Loader.ascend_resolver


def _may_nest_deeply(text: str) -> bool:
    bound = text.count("[") + text.count("{") + text.count("- ") + text.count("? ")
    if bound <= _C_SAFE_NESTING:
        # indentation is the other way to nest: any line indented past the rest of the budget?
        return re.search(r"^[ \t]{%d,}" % (_C_SAFE_NESTING - bound + 1), text, re.M) is not None
    return _event_depth_exceeds(text, _C_SAFE_NESTING)


def _event_depth_exceeds(text: str, limit: int) -> bool:
    """A big file: measure the nesting with libyaml's parser, which is a
    state machine (only its composer recurses). A parse error before the
    limit means the composer stops at the same place: safe."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_CLoader):
            cls = event.__class__
            if cls is yaml.MappingStartEvent or cls is yaml.SequenceStartEvent:
                depth += 1
                if depth > limit:
                    return True
            elif cls is yaml.MappingEndEvent or cls is yaml.SequenceEndEvent:
                depth -= 1
    except yaml.YAMLError:
        return False
    return False


def paused_gc() -> bool:
    """Turn the cyclic garbage collector off; True if it was on (the caller
    turns it back on). Loading makes a few objects per node and none is
    garbage until the end: the collector's passes over the growing heap made
    a 1 MB file take several times longer."""
    collecting = gc.isenabled()
    gc.disable()
    return collecting


def load_yaml(text: str, shallow: bool = False) -> list[Document]:
    """Every YAML document in ``text`` with its positions. ``shallow``: the
    caller knows the nesting is modest (JSON that ``json`` already parsed)."""
    docs: list[Document] = []
    budget = min(MAX_NODES, len(text) + 1000)
    loader_cls = _Loader if shallow or not _may_nest_deeply(text) else _SafePyLoader
    collecting = paused_gc()
    try:
        loader = loader_cls(text)
        try:
            index = 0
            while loader.check_node():
                node = loader.get_node()
                if node is None:
                    break
                b = _Builder(budget)
                data = b.build(node, 0, 0)
                # the document itself: where findings on a top-level request land
                b.positions.put(0, _span(node.start_mark, node.end_mark))
                docs.append(Document(data, b.positions, index))
                index += 1
        finally:
            loader.dispose()
    except yaml.YAMLError as e:
        raise _yaml_error(e) from None
    except RecursionError:
        raise LoadError(f"nesting deeper than {MAX_DEPTH} levels") from None
    finally:
        if collecting:
            gc.enable()
    return docs


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    out: dict = {}
    for k, v in pairs:
        if k in out:
            raise LoadError(f"duplicate key {k!r}")
        out[k] = v
    return out


# YAML rejects JSON's surrogate-pair escapes; for positions only, a same-length
# stand-in keeps every column where it was.
_SURROGATE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _parse_int(s: str) -> int:
    if len(s.lstrip("-")) > MAX_INT_DIGITS:
        raise _HugeInt(len(s.lstrip("-")))
    return int(s)


class _HugeInt(Exception):
    pass


def _line_of(text: str, pattern: str) -> tuple[int | None, int | None]:
    m = re.search(pattern, text)
    if m is None:
        return None, None
    return _position(text, m.start())


def _lone_surrogate(data: Any) -> bool:
    """Whether a string holds half of a UTF-16 surrogate pair (JSON lets
    ``"\\ud800"`` through; it is not text and no output can encode it)."""
    stack = [data]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            if _LONE_SURROGATE.search(v):
                return True
        elif isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return False


def _lone_escape(text: str) -> tuple[int | None, int | None]:
    """Line and column of the first surrogate escape that is not half of a pair."""
    prev_high = -2
    for m in _SURROGATE.finditer(text):
        high = m.group(0)[3].lower() in "89ab"
        if not high and prev_high == m.start():
            prev_high = -2
            continue
        if high and prev_high >= 0:  # the previous high half had no low half
            break
        if not high:
            return _position(text, m.start())
        prev_high = m.end()
    else:
        if prev_high < 0:
            return None, None
    return _position(text, prev_high - 6)


def _position(text: str, offset: int) -> tuple[int, int]:
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


def load_json(text: str, positions: bool = True) -> list[Document]:
    """Strict JSON. The data comes from ``json``; positions come from composing
    the same text as YAML (a JSON document is a YAML flow document: same
    structure, same keys). Where that fails we keep the data without
    positions rather than lose the file. ``positions`` False: data only
    (snapshots, whose locations are ARNs: no size limit, no composing)."""
    text = text.lstrip("\ufeff")
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates, parse_int=_parse_int)
    except _HugeInt as e:
        line, column = _line_of(text, r"\d{%d}" % (MAX_INT_DIGITS + 1))
        raise LoadError(f"invalid JSON: {_too_long(e.args[0])}", line, column) from None
    except json.JSONDecodeError as e:
        raise LoadError(f"invalid JSON: {e.msg}", e.lineno, e.colno) from None
    except RecursionError:
        raise LoadError(f"nesting deeper than {MAX_DEPTH} levels") from None
    except LoadError as e:
        # json gives no position for duplicates: find it through YAML, which does
        try:
            load_yaml(text, shallow=True)
        except LoadError as ye:
            raise ye from None
        raise e from None
    if _SURROGATE.search(text) and _lone_surrogate(data):
        line, column = _lone_escape(text)
        raise LoadError("invalid JSON: unpaired UTF-16 surrogate escape (half of a pair is not text)", line, column)
    if not positions:
        return [Document(data, Positions(), 0)]
    try:
        docs = load_yaml(_SURROGATE.sub(r"\\u0041", text), shallow=True)
    except LoadError as e:
        if e.message.startswith(("nesting deeper", "document expands")):
            raise
        docs = []
    if len(docs) == 1:
        return [Document(data, docs[0].positions, 0)]
    return [Document(data, Positions(), 0)]


def load_text(text: str, is_json: bool) -> list[Document]:
    """``.json`` files are strict JSON. Other files that look like JSON
    (``.template`` files often are) try JSON first and fall back to YAML,
    which also reads flow mappings with unquoted keys."""
    if is_json:
        return load_json(text)
    if text.lstrip("\ufeff \t\r\n").startswith("{"):
        try:
            return load_json(text)
        except LoadError:
            pass
    return load_yaml(text)
