"""Where a property sits in a file: the loaders record a Span for every
mapping entry and sequence item; the engine turns rule paths into them."""

from __future__ import annotations

from typing import NamedTuple


class Span(NamedTuple):
    """1-based start and end of a property (a tuple: cheap to make by the
    ten thousand)."""

    line: int
    column: int
    end_line: int
    end_column: int
