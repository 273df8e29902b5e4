"""Text from templates, tags and accounts made safe for a terminal or a
Markdown table: every C0/C1 control character, DEL, line/paragraph
separator and bidirectional override becomes a visible escape (``\\x1b``,
``\\u202e``). A resource named ``"Model\\x1b[2J"`` must not clear the
reader's screen, an OSC-8 sequence must not plant a link, a colour code must
not print a fake "all checks passed", and U+202E must not reverse what
follows it. Our own colour codes are added after this, by the renderer."""

from __future__ import annotations

import re
from dataclasses import is_dataclass, replace
from typing import Any

from pydantic import BaseModel

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(m: re.Match) -> str:
    c = ord(m.group(0))
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def visible(s: str) -> str:
    return _UNSAFE.sub(_escape, s) if _UNSAFE.search(s) else s


def _clean(v: Any) -> Any:
    if isinstance(v, str):
        return visible(v)
    if isinstance(v, BaseModel):
        changes = {}
        for name in type(v).model_fields:
            old = getattr(v, name, None)
            new = _clean(old)
            if new is not old:
                changes[name] = new
        return v.model_copy(update=changes) if changes else v
    if isinstance(v, list):
        items = [_clean(x) for x in v]
        return items if any(a is not b for a, b in zip(items, v)) else v
    if isinstance(v, tuple):
        items = [_clean(x) for x in v]
        return tuple(items) if any(a is not b for a, b in zip(items, v)) else v
    if isinstance(v, dict):
        out = {_clean(k): _clean(x) for k, x in v.items()}
        return out if any(a is not b for a, b in zip(out.values(), v.values())) or list(out) != list(v) else v
    if is_dataclass(v) and not isinstance(v, type):
        changes = {k: _clean(getattr(v, k)) for k in v.__dataclass_fields__}
        changes = {k: x for k, x in changes.items() if x is not getattr(v, k)}
        return replace(v, **changes) if changes else v
    return v


def visible_all(value: Any) -> Any:
    """A copy of a result document (or baseline, or any value) whose every
    string is ``visible``; the value itself when nothing needed escaping."""
    return _clean(value)
