from __future__ import annotations

import click

from ..exitcodes import for_findings
from .common import account_options, check_account_options, emit, output_options


@click.command()
@output_options
@click.option("--profile", default=None, help="AWS profile for the base credentials.")
@click.option("--region", "regions", multiple=True, help="Region to audit (repeatable) [default: the profile's].")
@account_options("Audit")
@click.option("--max-attempts", type=click.IntRange(1, 20), default=8, show_default=True,
              help="Attempts per AWS call (botocore adaptive retries).")
@click.option("--production", is_flag=True, help="Treat every audited resource as production.")
@click.option("--rule", "select", multiple=True, help="Run only these rules (ID or slug; repeatable).")
@click.option("--skip-rule", "skip", multiple=True,
              help="Do not run these rules (ID or slug; repeatable; wins over --rule).")
@click.option("--save-snapshot", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Also write the collected inventory; `sm-audit scan FILE` re-evaluates it offline.")
@click.option("--sandbox", is_flag=True,
              help="Audit a local demo account (an in-process moto server with sample deployments).")
@click.option("--verbose", "-v", is_flag=True, help="Print API-call counts and timing on stderr.")
@click.option("--shard", default=None, metavar="K/N",
              help="Audit only share K of N of the account x region list (deterministic); "
                   "`sm-audit report` merges the N results.")
def audit(fmt, output, config_path, fail_on, color, quiet, profile, regions, all_regions, role_arns, org_role, max_workers,
          max_attempts, production, select, skip, save_snapshot, sandbox, verbose, shard):
    """Check live SageMaker deployments in AWS accounts (read-only).

    Uses the standard AWS environment (profile, credentials, AWS_ENDPOINT_URL).
    What cannot be read (access denied, throttling, an unreachable region)
    is reported as a coverage gap and the verdicts that depend on it are
    unknown; the rest of the audit completes. Exit codes as for scan.
    """
    from .. import config as config_mod
    check_account_options(role_arns, org_role)
    from ..live.shard import ShardError, parse as parse_shard

    try:
        shard_k_n = parse_shard(shard)
    except ShardError as e:
        raise click.UsageError(str(e)) from None
    if not sandbox:
        from ..live.session import check_credentials as check

        check(profile)
    cfg = config_mod.load(config_path)
    threshold = fail_on or cfg.fail_on or "error"
    from ..audit import AuditOptions, audit as run_audit

    opts = AuditOptions(profile=profile, regions=list(regions), all_regions=all_regions, role_arns=list(role_arns),
                        org_role=org_role, max_workers=max_workers, max_attempts=max_attempts,
                        production=production, select=list(select) or None, fail_on=threshold,
                        skip=list(skip) or None, shard=shard_k_n)
    if sandbox:
        if profile or role_arns or org_role:
            raise click.UsageError("--sandbox audits the demo account; it takes no --profile/--role-arn/--org-role")
        from ..live.sandbox import sandbox_env

        with sandbox_env() as env:
            opts.regions = list(regions) or [env.region]
            click.echo(f"sandbox: demo account {env.account} in {env.region} on {env.url}"
                       + (" (the running `sm-audit sandbox`)" if env.running else ""), err=True)
            result = run_audit(cfg, opts)
    else:
        result = run_audit(cfg, opts)
    doc = result.doc
    if save_snapshot:
        from ..loaders.snapshot import dump_snapshot

        with open(save_snapshot, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(dump_snapshot(result.inventory) + "\n")
    if verbose:
        eps = len(result.inventory.endpoints)
        per = f", {result.api_calls / eps:.2f} per endpoint" if eps else ""
        click.echo(f"audit: {eps} endpoint(s), {result.api_calls} API call(s){per}, "
                   f"{result.attempts} HTTP attempt(s), {result.seconds:.1f}s", err=True)
        for op, n in result.operations.items():
            click.echo(f"  {op}: {n}", err=True)
    emit(doc, fmt, output, color, quiet, fail_on=threshold, owner_tags=cfg.report.owner_tags)
    return int(for_findings(doc.findings, threshold))
