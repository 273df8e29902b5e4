"""Problems with an input file: they become error findings about that file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass
class InputProblem:
    file: str
    message: str
    path: tuple = ()  # template path, when the problem is inside the document
    doc: int = 0
    line: Optional[int] = None  # set directly when no path is known (parse errors)
    column: Optional[int] = None
