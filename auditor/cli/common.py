"""Options every reporting command shares, and writing the result."""

from __future__ import annotations

import sys
from typing import Callable, Optional

import click

from ..vocabulary import FAIL_ON

FORMATS = ("text", "json", "sarif", "html", "junit", "markdown")


def output_options(f: Callable) -> Callable:
    f = click.option("--fail-on", type=click.Choice(FAIL_ON), default=None,
                     help="Lowest level that makes the exit code 1 [default: error, or the config's fail_on].")(f)
    f = click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
                     help="Configuration file [default: ./.sm-audit.yaml if present].")(f)
    f = click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None,
                     help="Write the report to this file instead of standard output.")(f)
    f = click.option("--format", "-f", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
                     help="Report format.")(f)
    return f


def write(text: str, output: Optional[str]) -> None:
    if output:
        with open(output, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


def use_color(output: Optional[str]) -> bool:
    import os

    if output or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()
