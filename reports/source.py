"""The scanned files' own text, read back when a report is rendered: source
excerpts around static findings and the exact text a fix replaces. Paths in
results are relative to where the scan ran; a file that is gone or changed
size simply gets no excerpt (the report never fails for it)."""

from __future__ import annotations

import os
import re
from functools import lru_cache
from typing import Optional

MAX_BYTES = 5 * 1024 * 1024  # as the loader: larger files were never scanned


def lines(path: str) -> Optional[tuple[str, ...]]:
    try:
        st = os.stat(path)
    except OSError:
        return None
    if st.st_size > MAX_BYTES:
        return None
    # the same relative path names another file from another directory, and a file may be
    # rewritten between two reports of one process: cached by absolute path and version
    return _read(os.path.abspath(path), st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=256)
def _read(path: str, mtime_ns: int, size: int) -> Optional[tuple[str, ...]]:
    try:
        with open(path, encoding="utf-8", errors="replace", newline="") as fh:
            return tuple(fh.read().splitlines())
    except OSError:
        return None


def excerpt(path: Optional[str], line: Optional[int], around: int = 3) -> list[tuple[int, str, bool]]:
    """(line number, text, is the finding's line) for ``line`` ± ``around``."""
    if not path or not line:
        return []
    text = lines(path)
    if not text or line > len(text):
        return []
    lo, hi = max(1, line - around), min(len(text), line + around)
    return [(n, text[n - 1].expandtabs(4), n == line) for n in range(lo, hi + 1)]


def region_text(path: Optional[str], line: Optional[int], column: Optional[int], end_line: Optional[int],
                end_column: Optional[int]) -> Optional[str]:
    """The text of a one-line region (1-based, end column exclusive), or None."""
    if not (path and line and column and end_column) or (end_line or line) != line:
        return None
    text = lines(path)
    if not text or line > len(text):
        return None
    return text[line - 1][column - 1:end_column - 1]


_RESOURCES = re.compile(r'^\s*"?Resources"?\s*:')


def is_template(path: Optional[str]) -> bool:
    """Does the file declare a ``Resources`` section (a template, not an API request file)?"""
    text = lines(path) if path else None
    return bool(text) and any(_RESOURCES.match(t) for t in text)
