from __future__ import annotations

import click

from ..exitcodes import for_findings
from .common import output_options, use_color, write


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@output_options
@click.option("--production", is_flag=True, help="Treat every resource in this scan as production.")
@click.option("--rule", "select", multiple=True, help="Run only these rules (ID or slug; repeatable).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes [default: one per mostly idle CPU from 100 files up, else 1; "
                   "SM_AUDIT_JOBS].")
@click.option("--repo-root", type=click.Path(file_okay=False), default=None,
              help="SARIF: file URIs relative to this directory [default: the git top level, else the cwd].")
def scan(paths, fmt, output, config_path, fail_on, production, select, jobs, repo_root):
    """Check CloudFormation/SAM/CDK templates, API-shaped deployment files
    and saved snapshots. Directories are searched for templates."""
    from .. import config as config_mod
    from reports import render
    from ..scan import scan as run_scan

    cfg = config_mod.load(config_path)
    threshold = fail_on or cfg.fail_on or "error"
    doc = run_scan(list(paths), cfg, production=production, select=list(select) or None, fail_on=threshold,
                   jobs=jobs)
    write(render(doc, fmt, color=use_color(output), repo_root=repo_root, fail_on=threshold), output)
    return int(for_findings(doc.findings, threshold))
