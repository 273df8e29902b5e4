"""Renderers: a saved or fresh ResultDocument -> text, JSON, SARIF, HTML,
JUnit XML or Markdown. Each format lives in its own module, imported only
when asked for."""

from __future__ import annotations

import importlib

RENDERERS = {
    "text": "reports.text",
    "concise": "reports.concise",
    "json": "reports.json_report",
    "sarif": "reports.sarif",
    "html": "reports.html",
    "junit": "reports.junit",
    "markdown": "reports.markdown",
}


def render(doc, fmt: str, **options) -> str:
    if fmt not in RENDERERS:
        raise ValueError(f"unknown format {fmt!r}")
    module = importlib.import_module(RENDERERS[fmt])
    return module.render(doc, **options)
