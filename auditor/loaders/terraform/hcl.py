"""HCL files -> a small syntax tree that keeps positions.

python-hcl2's grammar (lark, LALR) does the parsing; its own transformer
flattens expressions into strings, so we walk the raw lark tree instead and
keep every attribute's, block's and object element's position. Expressions
become nested tuples the evaluator (``evaluate.py``) reads:

    ("lit", v)  ("tmpl", parts)  ("tuple", items)  ("object", [(k, v, span)])
    ("name", n)  ("attr", e, n)  ("index", e, i)  ("splat", e, ops)
    ("call", name, args, expand)  ("cond", c, a, b)  ("bin", op, l, r)  ("un", op, e)
    ("for", kind, key_var, val_var, coll, key_expr, val_expr, cond, group)
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Optional


class TfSpan(NamedTuple):
    """A position that names its own file: a module spans several files."""

    line: int
    column: int
    end_line: int
    end_column: int
    file: str


class HclError(Exception):
    def __init__(self, message: str, line: Optional[int] = None, column: Optional[int] = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


@dataclass
class Attr:
    name: str
    expr: Any
    span: TfSpan
    text: str = ""  # source of the expression (labels for undecided counts)


@dataclass
class Block:
    type: str
    labels: list[str]
    body: "Body"
    span: TfSpan


@dataclass
class Body:
    attrs: dict[str, Attr] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)

    def blocks_of(self, kind: str) -> list[Block]:
        return [b for b in self.blocks if b.type == kind]


@dataclass
class HclFile:
    path: str  # display path
    body: Body
    lines: list[str]


def _parser():
    from hcl2.parser import parser  # lazy: lark and the grammar cost ~0.2 s to load

    return parser()


def parse(text: str, path: str) -> HclFile:
    """The fast reader first; the lark grammar for what it does not handle
    (and for the wording and position of syntax errors)."""
    from .fastparse import Fallback, parse_fast

    try:
        return HclFile(path, parse_fast(text, path), text.split("\n"))
    except Fallback:
        return parse_lark(text, path)


def parse_lark(text: str, path: str) -> HclFile:
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

    try:
        tree = _parser().parse(text + "\n")
    except UnexpectedToken as e:
        tok = getattr(e, "token", None)
        what = "end of file" if tok is None or tok.type == "$END" else repr(str(tok))
        raise HclError(f"HCL syntax error: unexpected {what}", e.line if e.line > 0 else None,
                       e.column if e.column > 0 else None) from None
    except UnexpectedCharacters as e:
        ch = text[e.pos_in_stream:e.pos_in_stream + 1] if e.pos_in_stream is not None else "?"
        raise HclError(f"HCL syntax error: unexpected character {ch!r}", e.line, e.column) from None
    except UnexpectedEOF:
        raise HclError("HCL syntax error: unexpected end of file", text.count("\n") + 1, 1) from None
    except UnexpectedInput as e:  # pragma: no cover - other lark errors
        raise HclError(f"HCL syntax error: {e}", getattr(e, "line", None), getattr(e, "column", None)) from None
    except RecursionError:
        raise HclError("HCL nesting too deep to read") from None
    lines = text.split("\n")
    return HclFile(path, _Walker(path, lines).body(tree.children[0]), lines)


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def _unescape(s: str) -> str:
    if "\\" not in s:
        return s
    return re.sub(r'\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)',
                  lambda m: chr(int(m.group(1)[1:], 16)) if m.group(1)[0] in "uU" and len(m.group(1)) > 1
                  else _ESCAPES.get(m.group(1), "\\" + m.group(1)), s)


class _Walker:
    def __init__(self, path: str, lines: list[str]) -> None:
        self.path = path
        self.lines = lines

    def span(self, node) -> TfSpan:
        m = node.meta if hasattr(node, "meta") else node
        return TfSpan(m.line, m.column, m.end_line, m.end_column, self.path)

    def source(self, node) -> str:
        m = node.meta
        if m.line == m.end_line:
            return self.lines[m.line - 1][m.column - 1:m.end_column - 1]
        part = [self.lines[m.line - 1][m.column - 1:]] + self.lines[m.line:m.end_line - 1] + \
            [self.lines[m.end_line - 1][:m.end_column - 1]]
        return " ".join(p.strip() for p in part)

    # -- structure ------------------------------------------------------
    def body(self, tree) -> Body:
        out = Body()
        for ch in tree.children:
            if not hasattr(ch, "data"):
                continue
            if ch.data == "attribute":
                name = self.name(ch.children[0])
                expr_node = ch.children[2]
                out.attrs[name] = Attr(name, self.expr(expr_node), self.span(ch), self.source(expr_node))
            elif ch.data == "block":
                kids = [c for c in ch.children if hasattr(c, "data")]
                kind = self.name(kids[0])
                labels = []
                inner = None
                for c in kids[1:]:
                    if c.data == "body":
                        inner = c
                    elif c.data == "string":
                        labels.append(self.plain_string(c))
                    elif c.data != "new_line_or_comment":
                        labels.append(self.name(c))
                out.blocks.append(Block(kind, labels, self.body(inner) if inner is not None else Body(),
                                        self.span(ch)))
        return out

    def name(self, node) -> str:
        if hasattr(node, "data"):
            return str(node.children[0])
        return str(node)

    def plain_string(self, node) -> str:
        v = self.string(node)
        if v[0] == "lit":
            return str(v[1])
        return "".join(p if isinstance(p, str) else "${...}" for p in v[1])

    # -- expressions ----------------------------------------------------
    def expr(self, node) -> Any:
        if not hasattr(node, "data"):
            return ("lit", str(node))
        d = node.data
        kids = [c for c in node.children if not (hasattr(c, "data") and c.data == "new_line_or_comment")]
        if d == "expr_term":
            inner = [c for c in kids if hasattr(c, "data")]
            return self.expr(inner[0]) if inner else ("lit", None)
        if d == "int_lit":
            return ("lit", int(str(kids[0])))
        if d == "float_lit":
            return ("lit", float(str(kids[0])))
        if d == "literal_value":
            return ("lit", {"true": True, "false": False, "null": None}[str(kids[0])])
        if d == "string":
            return self.string(node)
        if d in ("heredoc_template", "heredoc_template_trim"):
            return self.heredoc(str(kids[0]), d.endswith("trim"), node)
        if d == "template_string":
            return ("lit", str(kids[0])[2:-2])
        if d == "identifier":
            return ("name", str(kids[0]))
        if d == "keyword":
            return ("name", str(kids[0]))
        if d == "tuple":
            return ("tuple", [self.expr(c) for c in kids if hasattr(c, "data")])
        if d == "object":
            elems = []
            for c in kids:
                if hasattr(c, "data") and c.data == "object_elem":
                    ek = [x for x in c.children if hasattr(x, "data")]
                    key_node = ek[0].children[0]
                    key = self.expr(key_node)
                    if key[0] == "name":  # a bare key is a literal name, not a reference
                        key = ("lit", key[1])
                    elems.append((key, self.expr(ek[1]), self.span(c)))
            return ("object", elems)
        if d == "function_call":
            ids = [c for c in kids if hasattr(c, "data") and c.data == "identifier"]
            fname = "::".join(str(i.children[0]) for i in ids)
            args_node = next((c for c in kids if hasattr(c, "data") and c.data == "arguments"), None)
            args, expand = [], False
            if args_node is not None:
                args = [self.expr(c) for c in args_node.children if hasattr(c, "data")
                        and c.data != "new_line_or_comment"]
                expand = any(not hasattr(c, "data") and str(c) == "..." for c in args_node.children)
            return ("call", fname, args, expand)
        if d == "get_attr_expr_term":
            return ("attr", self.expr(kids[0]), self.getattr_name(kids[1]))
        if d == "index_expr_term":
            return ("index", self.expr(kids[0]), self.index(kids[1]))
        if d in ("attr_splat_expr_term", "full_splat_expr_term"):
            ops = []
            for op in kids[1].children:
                if not hasattr(op, "data"):
                    continue
                if op.data == "get_attr":
                    ops.append(("attr", self.getattr_name(op)))
                else:
                    ops.append(("index", self.index(op)))
            return ("splat", self.expr(kids[0]), ops)
        if d == "conditional":
            parts = [c for c in kids if hasattr(c, "data")]
            return ("cond", self.expr(parts[0]), self.expr(parts[1]), self.expr(parts[2]))
        if d == "binary_op":
            left = self.expr(kids[0])
            term = kids[1]
            tk = [c for c in term.children if hasattr(c, "data") and c.data != "new_line_or_comment"]
            op = str(tk[0].children[0])
            return ("bin", op, left, self.expr(tk[1]))
        if d == "unary_op":
            return ("un", str(kids[0]), self.expr(kids[1]))
        if d in ("for_tuple_expr", "for_object_expr"):
            return self.for_expr(node)
        if d == "interpolation":
            return self.expr([c for c in kids if hasattr(c, "data")][0])
        return ("unsupported", d)

    def getattr_name(self, node) -> str:
        k = [c for c in node.children if hasattr(c, "data")]
        return str(k[0].children[0])

    def index(self, node) -> Any:
        if node.data == "short_index":
            return ("lit", int(str(node.children[1])))
        k = [c for c in node.children if hasattr(c, "data") and c.data != "new_line_or_comment"]
        return self.expr(k[0])

    def string(self, node) -> Any:
        parts: list[Any] = []
        directive = False
        for sp in node.children:
            if not hasattr(sp, "data"):
                continue
            for x in sp.children:
                if hasattr(x, "data"):
                    if x.data == "interpolation":
                        parts.append(self.expr(x))
                    else:
                        directive = True
                else:
                    s = str(x)
                    if x.type == "ESCAPED_INTERPOLATION":
                        s = s[1:]
                    elif x.type == "ESCAPED_DIRECTIVE":
                        s = s[1:]
                    else:
                        s = _unescape(s)
                    parts.append(s)
        if directive:
            return ("unsupported", "template directive (%{...})")
        if all(isinstance(p, str) for p in parts):
            return ("lit", "".join(parts))
        if len(parts) == 1:
            return ("tmpl1", parts[0])  # "${x}" keeps x's type
        return ("tmpl", parts)

    def heredoc(self, raw: str, trim: bool, node) -> Any:
        lines = raw.split("\n")
        body = lines[1:-2] if lines[-1] == "" else lines[1:-1]
        if trim:
            indents = [len(x) - len(x.lstrip()) for x in body if x.strip()]
            cut = min(indents) if indents else 0
            body = [x[cut:] for x in body]
        text = "\n".join(body) + ("\n" if body else "")
        return self.template_text(text)

    def template_text(self, text: str) -> Any:
        """Interpolations in text that the grammar keeps whole (heredocs)."""
        if "${" not in text and "%{" not in text:
            return ("lit", text)
        if "%{" in text.replace("%%{", ""):
            return ("unsupported", "template directive (%{...})")
        parts: list[Any] = []
        i = 0
        while True:
            j = text.find("${", i)
            while j > 0 and text[j - 1] == "$":  # $${ is a literal ${
                parts.append(text[i:j - 1] + "${")
                i = j + 2
                j = text.find("${", i)
            if j < 0:
                parts.append(text[i:])
                break
            parts.append(text[i:j])
            depth, k = 1, j + 2
            while k < len(text) and depth:
                depth += {"{": 1, "}": -1}.get(text[k], 0)
                k += 1
            inner = text[j + 2:k - 1]
            try:
                sub = _parser().parse(f"x = {inner}\n")
                attr = sub.children[0].children[0]
                parts.append(self.expr([c for c in attr.children if hasattr(c, "data")][-1]))
            except Exception:  # noqa: BLE001 - an odd interpolation: unknown, not a crash
                parts.append(("unsupported", "interpolation"))
            i = k
        merged: list[Any] = []
        for p in parts:
            if p == "":
                continue
            if isinstance(p, str) and merged and isinstance(merged[-1], str):
                merged[-1] += p
            else:
                merged.append(p)
        if len(merged) == 1:
            return ("lit", merged[0]) if isinstance(merged[0], str) else ("tmpl1", merged[0])
        return ("tmpl", merged) if merged else ("lit", "")

    def for_expr(self, node) -> Any:
        kids = [c for c in node.children if not (hasattr(c, "data") and c.data == "new_line_or_comment")]
        intro = next(c for c in kids if hasattr(c, "data") and c.data == "for_intro")
        ids = [str(c.children[0]) for c in intro.children if hasattr(c, "data") and c.data == "identifier"]
        coll_node = [c for c in intro.children if hasattr(c, "data") and c.data not in ("identifier",
                                                                                       "new_line_or_comment")][-1]
        key_var, val_var = (ids[0], ids[1]) if len(ids) == 2 else (None, ids[0])
        cond_node = next((c for c in kids if hasattr(c, "data") and c.data == "for_cond"), None)
        cond = None
        if cond_node is not None:
            cond = self.expr([c for c in cond_node.children if hasattr(c, "data")
                              and c.data != "new_line_or_comment"][0])
        exprs = [c for c in kids if hasattr(c, "data") and c.data not in ("for_intro", "for_cond")]
        group = any(not hasattr(c, "data") and str(c) == "..." for c in kids)
        if node.data == "for_tuple_expr":
            return ("for", "tuple", key_var, val_var, self.expr(coll_node), None, self.expr(exprs[0]), cond, False)
        return ("for", "object", key_var, val_var, self.expr(coll_node), self.expr(exprs[0]), self.expr(exprs[1]),
                cond, group)


# -- .tf.json ----------------------------------------------------------------

def parse_json(text: str, path: str) -> HclFile:
    """Terraform's JSON syntax: strings may hold ``${...}`` templates."""
    from ..marked import LoadError, load_text

    try:
        docs = load_text(text, True)
    except LoadError as e:
        raise HclError(e.message, e.line, e.column) from None
    doc = docs[0]
    if not isinstance(doc.data, dict):
        raise HclError("a .tf.json file must hold an object", 1, 1)
    pos = doc.positions
    w = _Walker(path, text.split("\n"))

    def span(p: tuple) -> TfSpan:
        s = pos.get(p) or pos.get(p[:-1]) or next(iter(pos.values()), None)
        if s is None:
            return TfSpan(1, 1, 1, 1, path)
        return TfSpan(s.line, s.column, s.end_line, s.end_column, path)

    def value(v: Any) -> Any:
        if isinstance(v, str):
            return w.template_text(v) if "${" in v else ("lit", v)
        if isinstance(v, list):
            return ("tuple", [value(x) for x in v])
        if isinstance(v, dict):
            return ("object", [(("lit", k), value(x), None) for k, x in v.items()])
        return ("lit", v)

    # which keys are nested blocks is schema knowledge; these are the ones we read
    block_keys = {"resource": 2, "data": 2, "module": 1, "variable": 1, "output": 1, "provider": 1,
                  "locals": 0, "terraform": 0}

    def body(obj: dict, p: tuple, nested: bool = True) -> Body:
        out = Body()
        for k, v in obj.items():
            if nested and isinstance(v, dict) and k in _JSON_NESTED:
                out.blocks.append(Block(k, [], body(v, p + (k,)), span(p + (k,))))
            elif nested and isinstance(v, list) and v and all(isinstance(x, dict) for x in v) and k in _JSON_NESTED:
                for i, x in enumerate(v):
                    out.blocks.append(Block(k, [], body(x, p + (k, i)), span(p + (k, i))))
            else:
                out.attrs[k] = Attr(k, value(v), span(p + (k,)), json.dumps(v)[:80])
        return out

    top = Body()
    for kind, v in doc.data.items():
        depth = block_keys.get(kind)
        if depth is None or not isinstance(v, (dict, list)):
            continue
        items = v if isinstance(v, list) else [v]
        for item in items:
            if not isinstance(item, dict):
                continue
            if depth == 0:
                top.blocks.append(Block(kind, [], body(item, (kind,), nested=kind != "locals"), span((kind,))))
            elif depth == 1:
                for name, b in item.items():
                    for x in (b if isinstance(b, list) else [b]):
                        if isinstance(x, dict):
                            top.blocks.append(Block(kind, [name], body(x, (kind, name), kind != "module"),
                                                    span((kind, name))))
            else:
                for rtype, named in item.items():
                    for name, b in (named.items() if isinstance(named, dict) else ()):
                        for x in (b if isinstance(b, list) else [b]):
                            if isinstance(x, dict):
                                top.blocks.append(Block(kind, [rtype, name], body(x, (kind, rtype, name)),
                                                        span((kind, rtype, name))))
    return HclFile(path, top, text.split("\n"))


# nested blocks of the resources we map (the JSON syntax cannot tell blocks from maps)
_JSON_NESTED = {
    "primary_container", "container", "vpc_config", "production_variants", "shadow_production_variants",
    "serverless_config", "managed_instance_scaling", "data_capture_config", "capture_options",
    "async_inference_config", "output_config", "notification_config", "client_config", "deployment_config",
    "blue_green_update_policy", "traffic_routing_configuration", "canary_size", "linear_step_size",
    "rolling_update_policy", "maximum_batch_size", "rollback_maximum_batch_size", "auto_rollback_configuration",
    "alarms", "target_tracking_scaling_policy_configuration", "predefined_metric_specification",
    "customized_metric_specification", "step_scaling_policy_configuration", "versioning",
    "server_side_encryption_configuration", "rule", "apply_server_side_encryption_by_default",
    "versioning_configuration", "inline_policy", "event_selector", "data_resource", "advanced_event_selector",
    "field_selector", "monitoring_schedule_config", "schedule_config", "statement", "principals",
    "not_principals", "condition", "default_tags", "image_config", "model_data_source", "s3_data_source",
    "metric_query", "metric", "dynamic", "content", "lifecycle",
}
