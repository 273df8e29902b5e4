"""``sm-audit schema``: the JSON Schema of the result document."""

from __future__ import annotations

import click

from .common import write


@click.command()
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write the schema to this file instead of standard output.")
def schema(output):
    """Print the JSON Schema of the result document (`--format json`, the
    input of `report` and `remediate --findings`). Results name it in
    their "$schema"; the file ships with the package as
    auditor/models/result-v1.schema.json."""
    from ..schema import SHIPPED

    write(SHIPPED.read_text(encoding="utf-8"), output)
    return 0
