from __future__ import annotations

import click

from ..exitcodes import for_findings
from .common import emit, output_options


@click.command()
# readable=False: an unreadable file is an SM001 finding and the rest is scanned, not a usage error
@click.argument("paths", nargs=-1, required=True, type=click.Path(readable=False))
@output_options
@click.option("--production", is_flag=True, help="Treat every resource in this scan as production.")
@click.option("--rule", "select", multiple=True, help="Run only these rules (ID or slug; repeatable).")
@click.option("--skip-rule", "skip", multiple=True,
              help="Do not run these rules (ID or slug; repeatable; wins over --rule).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes [default: one per mostly idle CPU from 100 files up, else 1; "
                   "SM_AUDIT_JOBS].")
@click.option("--repo-root", type=click.Path(file_okay=False), default=None,
              help="SARIF: file URIs relative to this directory [default: the git top level, else the cwd].")
@click.option("--var", "tf_vars", multiple=True, metavar="NAME=VALUE",
              help="Terraform: set a root module variable (repeatable; as terraform -var).")
@click.option("--var-file", "tf_var_files", multiple=True, type=click.Path(dir_okay=False),
              help="Terraform: read root module variables from this .tfvars file (repeatable).")
@click.option("--tf-dir", type=click.Path(file_okay=False), default=None,
              help="Terraform plan JSON: the .tf sources of the plan, so findings point at .tf lines "
                   "[default: the plan's directory, when it holds .tf files].")
@click.option("--parameters", "parameter_files", multiple=True, type=click.Path(dir_okay=False),
              help="Parameter values the templates are deployed with: a CloudFormation parameters JSON list "
                   "or a CodePipeline template configuration file (its Tags classify production). Repeatable; "
                   "later files win.")
@click.option("--parameter", "parameter_values", multiple=True, metavar="KEY=VALUE",
              help="One parameter value (repeatable; wins over --parameters).")
@click.option("--region", default=None, help="The region the templates are deployed to (pins AWS::Region).")
@click.option("--verbose", "-v", is_flag=True,
              help="List on stderr the files a directory scan skipped as not templates, and why.")
def scan(paths, fmt, output, config_path, fail_on, color, quiet, production, select, skip, jobs, repo_root,
         tf_vars, tf_var_files, tf_dir, parameter_files, parameter_values, region, verbose):
    """Check CloudFormation/SAM/CDK templates, Terraform modules and plans,
    API-shaped deployment files and saved snapshots. Directories are
    searched for templates; a directory holding .tf files is a Terraform module.

    Without --config, each path uses the nearest .sm-audit.yaml found from it
    upward to the repository root (a nearer file wins), else the one found
    from the working directory."""
    from .. import config as config_mod
    from ..loaders.parameters import command_line
    from ..scan import scan as run_scan

    terraform = _tf_options(tf_vars, tf_var_files, tf_dir)
    pins = command_line(parameter_files, parameter_values, region)
    groups: dict = {}  # configuration file -> the paths it governs, in the order given
    for p in paths:
        # the nearest file above the path, else the working directory's (as before discovery)
        groups.setdefault(config_path or config_mod.find(p) or config_mod.find("."), []).append(p)
    docs, thresholds, owners = [], [], []
    for source, group in groups.items():
        cfg = config_mod.load(source) if source else config_mod.Config()
        owners.extend(k for k in cfg.report.owner_tags if k not in owners)
        threshold = fail_on or cfg.fail_on or "error"
        thresholds.append(threshold)
        docs.append(run_scan(group, cfg, production=production, select=list(select) or None, fail_on=threshold,
                             jobs=jobs, skip=list(skip) or None, terraform=terraform, pins=pins))
    threshold = _strictest(thresholds)
    doc = docs[0] if len(docs) == 1 else _merged(docs, threshold)
    if verbose:
        for s in doc.run.skipped:
            click.echo(f"skipped {s.file}: {s.reason}", err=True)
    emit(doc, fmt, output, color, quiet, repo_root=repo_root, fail_on=threshold, owner_tags=owners)
    return int(for_findings(doc.findings, threshold))


def _strictest(thresholds: list[str]) -> str:
    order = ("note", "warning", "error", "never")
    return min(thresholds, key=order.index)


def _merged(docs: list, threshold: str):
    """Paths governed by different configuration files were scanned apart; one report."""
    from reports.merge import merge

    doc = merge(docs)
    doc.run.fail_on = threshold
    return doc


def _tf_options(tf_vars, tf_var_files, tf_dir):
    """TfOptions, or None when no Terraform flag is given (nothing Terraform is imported)."""
    if not (tf_vars or tf_var_files or tf_dir):
        return None
    import os

    from ..loaders.terraform import TfOptions

    pairs = []
    for v in tf_vars:
        name, eq, value = v.partition("=")
        if not eq or not name.strip():
            raise click.BadParameter(f"{v!r}: expected NAME=VALUE", param_hint="--var")
        pairs.append((name.strip(), value))
    for f in tf_var_files:
        if not os.path.isfile(f):
            raise click.BadParameter(f"{f}: no such file", param_hint="--var-file")
    return TfOptions(variables=pairs, var_files=list(tf_var_files), tf_dir=tf_dir)
