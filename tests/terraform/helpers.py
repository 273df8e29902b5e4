"""Helpers for Terraform tests: write a module from texts, scan it, and
evaluate expressions the way the loader does."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Optional

from auditor.config import parse as parse_config
from auditor.loaders import display_path
from auditor.loaders.terraform import Config, TfOptions
from auditor.loaders.terraform.module import Module
from auditor.scan import scan

TODAY = __import__("datetime").date(2026, 11, 22)


def write_module(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        p = directory / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text))
    return directory


def scan_tf(paths, rule: Optional[str] = None, options: Optional[TfOptions] = None, production: bool = False,
            config: Optional[dict] = None):
    cfg = parse_config(config or {}, "test-config")
    doc = scan([str(p) for p in (paths if isinstance(paths, (list, tuple)) else [paths])], cfg,
               production=production, select=[rule] if rule else None, today=TODAY, terraform=options)
    return doc


def findings(doc, rule: Optional[str] = None):
    return [f for f in doc.findings if rule is None or f.rule == rule]


def load_module(directory: Path, overrides: Optional[dict] = None) -> tuple[Module, Config]:
    cfg = Config(str(directory), display_path(str(directory)), display_path)
    return Module(cfg, str(directory), "", None, 0, overrides or {}), cfg


def local(directory: Path, name: str, overrides: Optional[dict] = None):
    m, _ = load_module(directory, overrides)
    return m.local(name)


def brief(doc, rule: Optional[str] = None) -> list[tuple]:
    """(rule, resource id, file name, line, path, outcome) per finding."""
    return [(f.rule, f.resource.id if f.resource else None, Path(f.location.file or "").name, f.location.line,
             f.path, f.outcome) for f in findings(doc, rule)]
