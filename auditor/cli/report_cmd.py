"""``sm-audit report``: render saved JSON results in any format, merge
several (sharded audits), and gate only what is new since a baseline."""

from __future__ import annotations

import click

from .common import emit, output_options


@click.command()
@click.argument("results", nargs=-1, required=True, type=click.Path(dir_okay=False))
@output_options
@click.option("--baseline", "baseline_path", type=click.Path(dir_okay=False), default=None,
              help="Older JSON results: show and gate only findings not in it, and list the fixed ones.")
@click.option("--repo-root", type=click.Path(file_okay=False), default=None,
              help="Root that SARIF file URIs are relative to [default: the git top level, else the "
                   "working directory]. Paths in the results are relative to where the scan ran.")
@click.option("--title", default=None, help="Title of the HTML/Markdown report.")
def report(results, fmt, output, config_path, fail_on, color, quiet, baseline_path, repo_root, title):
    """Render saved JSON results (from --format json). Several files are
    merged into one report; the same finding in two files counts once, and
    if one file has it suppressed and another does not, it is active.

    Exit code: 1 when a (new, with --baseline) unsuppressed finding is at or
    above --fail-on, else 0; 2 when a results file cannot be read.
    """
    from .. import config as config_mod
    from ..exitcodes import for_findings
    from reports.merge import ResultsError, compare, load, merge

    cfg = config_mod.load(config_path)
    try:
        doc = merge([load(p) for p in results])
        baseline = None
        if baseline_path:
            doc, baseline = compare(doc, load(baseline_path), [baseline_path])
    except ResultsError as e:
        raise click.UsageError(str(e)) from None
    # not the saved run's threshold: results are often saved with --fail-on never
    threshold = fail_on or cfg.fail_on or "error"
    options = {"baseline": baseline, "repo_root": repo_root, "fail_on": threshold,
               "owner_tags": cfg.report.owner_tags}
    if title:
        options["title"] = title
    emit(doc, fmt, output, color, quiet, **options)
    return int(for_findings(doc.findings, threshold))
