"""One line per active finding, ``path:line:col: level RULE message``: the
shape editors, problem matchers and CI annotators read (ruff's and
flake8's). Live findings put the ARN (or account/region) where the path
goes. Suppressed findings are left out; the last line is the summary
unless ``--quiet``."""

from __future__ import annotations

from .text import COLORS, RESET, summary_line
from .visible import visible_all


def line(f) -> str:
    loc = f.location
    if loc.file:
        where = f"{loc.file}:{loc.line or 1}:{loc.column or 1}"
    else:
        where = loc.short()
    level = f.level
    # an undecided check is not a pass: it keeps the rule's level and says so
    message = f"cannot decide: {f.message}" if f.outcome == "unknown" else f.message
    return f"{where}: {level} {f.rule} {message}"


def render(doc, color: bool = False, quiet: bool = False, baseline=None, **_options) -> str:
    doc, baseline = visible_all(doc), visible_all(baseline)  # values from templates: no control characters
    out = []
    for f in doc.findings:
        if f.suppression:
            continue
        text = line(f)
        if color:
            text = text.replace(f": {f.level} ", f": {COLORS[f.level]}{f.level}{RESET} ", 1)
        out.append(text)
    if not quiet:
        out.append(summary_line(doc, baseline))
    return "".join(x + "\n" for x in out)
