"""A direct recursive-descent reader for the HCL that Terraform files use,
producing the same tree as ``hcl.py``'s walk over python-hcl2's lark parse,
about ten times faster (lark's LALR parser and parse-tree builder were 75%
of a scan). Anything it does not handle raises ``Fallback`` and the file is
read by the lark grammar instead, which also words the syntax errors."""

from __future__ import annotations

import bisect
import re
from typing import Any

from .hcl import Attr, Block, Body, TfSpan, _unescape


class Fallback(Exception):
    """Not handled here: use the lark grammar."""


_TOKEN = re.compile(r"""
    (?P<ws>[ \t\r]+|/\*.*?\*/|\\\r?\n)
  | (?P<nl>(?:\#|//)[^\n]*(?:\n|\Z)|\n)
  | (?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_-]*)
  | (?P<heredoc><<-?(?P<tag>[A-Za-z][A-Za-z0-9._-]*)\r?\n)
  | (?P<op>==|!=|<=|>=|&&|\|\||=>|\.\.\.|::|\[\*\]|\.\*|[{}\[\]().,=:?!+\-*/%<>"])
""", re.X | re.S)


class _Parser:
    def __init__(self, text: str, path: str) -> None:
        self.s = text
        self.path = path
        self.i = 0
        self.lines = [0] + [m.end() for m in re.finditer("\n", text)]
        self.last_end = 0
        # the parser looks at the next token several times before taking it:
        # the last answer per newline mode, by position, spares the regex
        self._seen: list[Any] = [None, None]

    # -- positions --------------------------------------------------------
    def lc(self, off: int) -> tuple[int, int]:
        n = bisect.bisect_right(self.lines, off) - 1
        return n + 1, off - self.lines[n] + 1

    def span(self, start: int, end: int) -> TfSpan:
        a, b = self.lc(start), self.lc(end)
        return TfSpan(a[0], a[1], b[0], b[1], self.path)

    # -- tokens -------------------------------------------------------------
    def peek(self, nl: bool = False) -> Any:
        """The next token; newlines are skipped when ``nl`` is True."""
        i = self.i
        seen = self._seen[nl]
        if seen is not None and seen[0] == i:
            return seen[1]
        while True:
            m = _TOKEN.match(self.s, i)
            if m is None:
                if i >= len(self.s):
                    tok: Any = ("eof", "", i, i)
                    break
                raise Fallback(f"unexpected character at {i}")
            kind = m.lastgroup if m.lastgroup != "tag" else "heredoc"
            if kind == "ws" or (kind == "nl" and nl):
                i = m.end()
                continue
            tok = ("heredoc", m, m.start(), m.end()) if kind == "heredoc" else (kind, m.group(kind), m.start(),
                                                                                  m.end())
            break
        self._seen[nl] = (self.i, tok)
        return tok

    def next(self, nl: bool = False) -> Any:
        t = self.peek(nl)
        self.i = t[3]
        if t[0] != "nl":
            self.last_end = t[3]
        return t

    def expect(self, value: str, nl: bool = False) -> Any:
        t = self.next(nl)
        if t[1] != value or t[0] not in ("op", "name"):
            raise Fallback(f"expected {value}")
        return t

    def at(self, value: str, nl: bool = False) -> bool:
        t = self.peek(nl)
        return t[0] == "op" and t[1] == value

    # -- structure ------------------------------------------------------------
    def body(self, closing: bool) -> Body:
        out = Body()
        while True:
            t = self.next(nl=True)
            if t[0] == "eof":
                if closing:
                    raise Fallback("unclosed block")
                return out
            if t[0] == "op" and t[1] == "}" and closing:
                return out
            if t[0] != "name":
                raise Fallback("expected a name")
            start = t[2]
            nt = self.peek()
            if nt[0] == "op" and nt[1] == "=":
                self.next()
                e = self.expr(False)
                out.attrs[t[1]] = Attr(t[1], e, self.span(start, self.last_end), self.source(start, nt[3]))
                self.end_of_item()
                continue
            labels = []
            while True:
                nt = self.next()
                if nt[0] == "name":
                    labels.append(nt[1])
                elif nt[0] == "op" and nt[1] == '"':
                    lit = self.template('"')
                    if lit[0] != "lit":
                        raise Fallback("template in a label")
                    labels.append(lit[1])
                elif nt[0] == "op" and nt[1] == "{":
                    break
                else:
                    raise Fallback("bad block header")
            inner = self.body(True)
            out.blocks.append(Block(t[1], labels, inner, self.span(start, self.last_end)))
            self.end_of_item()

    def source(self, name_start: int, expr_start: int) -> str:
        return " ".join(x.strip() for x in self.s[expr_start:self.last_end].strip().split("\n"))

    def end_of_item(self) -> None:
        t = self.peek()
        if t[0] in ("nl", "eof") or (t[0] == "op" and t[1] == "}"):
            return
        raise Fallback("expected a newline")

    # -- expressions ------------------------------------------------------------
    def expr(self, nl: bool) -> Any:
        c = self.binary(0, nl)
        if self.at("?", nl):
            self.next(nl)
            a = self.expr(True)
            self.expect(":", True)
            b = self.expr(nl)
            return ("cond", c, a, b)
        return c

    # binding strength of the binary operators, loosest first
    PRECEDENCE = {"||": 0, "&&": 1, "==": 2, "!=": 2, "<": 3, ">": 3, "<=": 3, ">=": 3, "+": 4, "-": 4,
                  "*": 5, "/": 5, "%": 5}

    def binary(self, level: int, nl: bool) -> Any:
        """Operators binding at least as strongly as ``level``, left to right
        (precedence climbing: one pass, not one call per level)."""
        left = self.unary(nl)
        while True:
            t = self.peek(nl)
            p = self.PRECEDENCE.get(t[1]) if t[0] == "op" else None
            if p is None or p < level:
                return left
            self.next(nl)
            left = ("bin", t[1], left, self.binary(p + 1, nl))

    def unary(self, nl: bool) -> Any:
        t = self.peek(nl)
        if t[0] == "op" and t[1] in ("-", "!"):
            self.next(nl)
            return ("un", t[1], self.postfix(self.primary(nl), nl))
        return self.postfix(self.primary(nl), nl)

    def postfix(self, e: Any, nl: bool) -> Any:
        while True:
            t = self.peek()  # postfix operators never follow a newline
            if t[0] != "op":
                return e
            if t[1] == ".":
                self.next()
                n = self.next()
                if n[0] == "name":
                    e = ("attr", e, n[1]) if n[1] not in ("true", "false", "null") else ("attr", e, n[1])
                elif n[0] == "num" and n[1].isdigit():
                    e = ("index", e, ("lit", int(n[1])))
                else:
                    raise Fallback("bad attribute")
            elif t[1] == "[":
                self.next()
                idx = self.expr(True)
                self.expect("]", True)
                e = ("index", e, idx)
            elif t[1] in (".*", "[*]"):
                self.next()
                ops = []
                while True:
                    u = self.peek()
                    if u[0] == "op" and u[1] == ".":
                        self.next()
                        n = self.next()
                        if n[0] != "name":
                            raise Fallback("bad splat")
                        ops.append(("attr", n[1]))
                    elif u[0] == "op" and u[1] == "[" and t[1] == "[*]":
                        self.next()
                        idx = self.expr(True)
                        self.expect("]", True)
                        ops.append(("index", idx))
                    else:
                        break
                e = ("splat", e, ops)
            else:
                return e

    def primary(self, nl: bool) -> Any:
        t = self.next(nl)
        kind, v = t[0], t[1]
        if kind == "num":
            return ("lit", float(v) if ("." in v or "e" in v or "E" in v) else int(v))
        if kind == "name":
            if v in ("true", "false"):
                return ("lit", v == "true")
            if v == "null":
                return ("lit", None)
            if self.at("(") or self.at("::"):
                return self.call(v)
            return ("name", v)
        if kind == "heredoc":
            return self.heredoc(v)
        if kind == "op":
            if v == '"':
                return self.template('"')
            if v == "(":
                e = self.expr(True)
                self.expect(")", True)
                return e
            if v == "[":
                return self.tuple_or_for()
            if v == "{":
                return self.object_or_for()
        raise Fallback(f"unexpected {v!r}")

    def call(self, name: str) -> Any:
        while self.at("::"):
            self.next()
            n = self.next()
            if n[0] != "name":
                raise Fallback("bad provider function")
            name += "::" + n[1]
        self.expect("(")
        args, expand = [], False
        while not self.at(")", True):
            args.append(self.expr(True))
            if self.at("...", True):
                self.next(True)
                expand = True
            if self.at(",", True):
                self.next(True)
            elif not self.at(")", True):
                raise Fallback("bad arguments")
        self.next(True)
        return ("call", name, args, expand)

    def tuple_or_for(self) -> Any:
        t = self.peek(True)
        if t[0] == "name" and t[1] == "for":
            return self.for_expr("tuple")
        items = []
        while not self.at("]", True):
            items.append(self.expr(True))
            if self.at(",", True):
                self.next(True)
            elif not self.at("]", True):
                raise Fallback("bad tuple")
        self.next(True)
        return ("tuple", items)

    def object_or_for(self) -> Any:
        t = self.peek(True)
        if t[0] == "name" and t[1] == "for":
            return self.for_expr("object")
        elems = []
        while True:
            t = self.peek(True)
            if t[0] == "op" and t[1] == "}":
                self.next(True)
                return ("object", elems)
            start = t[2]
            if t[0] == "name" and self._key_follows():
                self.next(True)
                key: Any = ("lit", t[1])
            else:
                key = self.expr(True)
                if key[0] == "name":
                    key = ("lit", key[1])
            sep = self.next()
            if sep[0] != "op" or sep[1] not in ("=", ":"):
                raise Fallback("bad object element")
            val = self.expr(False)
            elems.append((key, val, self.span(start, self.last_end)))
            u = self.peek()
            if u[0] == "op" and u[1] == ",":
                self.next()
            elif u[0] not in ("nl",) and not (u[0] == "op" and u[1] == "}"):
                raise Fallback("bad object separator")

    def _key_follows(self) -> bool:
        save = self.i
        self.next(True)
        t = self.peek()
        self.i = save
        return t[0] == "op" and t[1] in ("=", ":")

    def for_expr(self, kind: str) -> Any:
        self.next(True)  # for
        a = self.next(True)
        names = [a[1]]
        if self.at(",", True):
            self.next(True)
            names.append(self.next(True)[1])
        t = self.next(True)
        if t[1] != "in":
            raise Fallback("bad for")
        coll = self.expr(True)
        self.expect(":", True)
        key_var, val_var = (names[0], names[1]) if len(names) == 2 else (None, names[0])
        if kind == "tuple":
            val = self.expr(True)
            key = None
            group = False
        else:
            key = self.expr(True)
            self.expect("=>", True)
            val = self.expr(True)
            group = False
            if self.at("...", True):
                self.next(True)
                group = True
        cond = None
        t = self.peek(True)
        if t[0] == "name" and t[1] == "if":
            self.next(True)
            cond = self.expr(True)
        self.expect("]" if kind == "tuple" else "}", True)
        return ("for", kind, key_var, val_var, coll, key, val, cond, group)

    def template(self, quote: str) -> Any:
        """A quoted string after its opening quote: literal parts and interpolations."""
        parts: list[Any] = []
        buf: list[str] = []
        s = self.s
        i = self.i
        n = len(s)
        while True:
            if i >= n or s[i] == "\n":
                raise Fallback("unterminated string")
            c = s[i]
            if c == '"':
                i += 1
                break
            if c == "\\":
                buf.append(s[i:i + 2])
                i += 2
                continue
            if c in "$%" and s.startswith(c + c + "{", i):
                buf.append(c + "{")
                i += 3
                continue
            if c == "%" and s.startswith("%{", i):
                raise Fallback("template directive")
            if c == "$" and s.startswith("${", i):
                if buf:
                    parts.append(_unescape("".join(buf)))
                    buf = []
                self.i = i + 2
                if self.at("~", True):
                    raise Fallback("strip marker")
                parts.append(self.expr(True))
                self.expect("}", True)
                i = self.i
                continue
            buf.append(c)
            i += 1
        if buf:
            parts.append(_unescape("".join(buf)))
        self.i = i
        self.last_end = i
        if all(isinstance(p, str) for p in parts):
            return ("lit", "".join(parts))
        if len(parts) == 1:
            return ("tmpl1", parts[0])
        return ("tmpl", parts)

    def heredoc(self, m: Any) -> Any:
        tag = m.group("tag")
        trim = m.group("heredoc").startswith("<<-")
        end = re.compile(r"^[ \t]*" + re.escape(tag) + r"\r?$", re.M)
        e = end.search(self.s, self.i)
        if e is None:
            raise Fallback("unterminated heredoc")
        raw = self.s[self.i:e.start()]
        self.i = e.end()
        self.last_end = self.i
        from .hcl import _Walker

        lines = raw.split("\n")[:-1] if raw.endswith("\n") else raw.split("\n")
        if trim:
            indents = [len(x) - len(x.lstrip()) for x in lines if x.strip()]
            cut = min(indents) if indents else 0
            lines = [x[cut:] for x in lines]
        text = "\n".join(lines) + ("\n" if lines else "")
        return _Walker(self.path, []).template_text(text)


def parse_fast(text: str, path: str) -> Body:
    p = _Parser(text, path)
    try:
        return p.body(False)
    except RecursionError:
        raise Fallback("nested too deeply") from None
