"""``remediate`` (plan; ``--apply`` to act) and ``restore`` (undo a journal).

Exit codes: 0 the plan was made (and, with --apply, every change was done or
safely skipped); 1 a change (or an undo) failed; 2 usage errors and refusals
(--max-changes exceeded, confirmation declined, --apply without --yes when
stdin is not a terminal): nothing was changed.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from typing import Any, Optional

import click

from ..exitcodes import Exit
from .common import FAIL_ON, FORMATS, account_options, check_account_options, use_color, write


def stdin_is_tty() -> bool:
    return sys.stdin.isatty()


def _confirm(question: str, yes: bool) -> None:
    if yes:
        return
    if not stdin_is_tty():
        raise click.UsageError("standard input is not a terminal: pass --yes to confirm without a prompt")
    if not click.confirm(question, default=False, err=True):
        raise _Refused("not confirmed: nothing was changed")


class _Refused(click.ClickException):
    exit_code = int(Exit.USAGE)


def _overrides(pairs: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    import yaml

    out: dict[str, dict[str, Any]] = {}
    for p in pairs:
        key, sep, raw = p.partition("=")
        action, dot, opt = key.partition(".")
        if not sep or not dot or not action or not opt:
            raise click.BadParameter(f"{p!r}: use ACTION.OPTION=VALUE, e.g. apply-autoscaling.max_capacity=6",
                                     param_hint="--set")
        try:
            value = yaml.safe_load(raw) if raw.strip() else raw
        except yaml.YAMLError:
            value = raw
        out.setdefault(action, {})[opt] = value
    return out


def _sandbox_line(env) -> str:
    where = f"demo account {env.account} in {env.region} on {env.url}"
    if env.running:
        return f"sandbox: {where} (the running `sm-audit sandbox`; journals in {env.state_dir})"
    return (f"sandbox: {where}, discarded with this run's journal when the command ends "
            "(`sm-audit sandbox` keeps one between commands)")


@click.command()
@click.option("--apply", "do_apply", is_flag=True, help="Carry the plan out (default: print it, change nothing).")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--rule", "rules", multiple=True,
              help="Only remediate these rules (ID, slug or action; repeatable or comma-separated).")
@click.option("--endpoint", "endpoints", multiple=True,
              help="Only these endpoints (repeatable). Naming an endpoint also opts it in to "
                   "raise-instance-count, and lets --variant / --to-config roll it back.")
@click.option("--variant", default=None,
              help="With --endpoint: roll this variant's traffic back to the baseline (and do nothing else).")
@click.option("--baseline", default=None, help="Variant that takes the traffic back [default: the healthy "
                                                 "variant with the largest weight].")
@click.option("--to-config", default=None, metavar="CONFIG",
              help="With --endpoint: return the endpoint to this earlier endpoint config (UpdateEndpoint), "
                   "and do nothing else.")
@click.option("--max-changes", type=click.IntRange(0), default=None,
              help="Refuse a plan with more changes than N, counted over all accounts and regions "
                   "(nothing is changed).")
@click.option("--journal", "journal_path", default=None, metavar="FILE|s3://BUCKET/PREFIX/",
              help="Journal file, or an S3 prefix (one object per record, for runs whose disk does not last) "
                   "[default: $XDG_STATE_HOME/sm-audit/journal-<run>.jsonl].")
@click.option("--continue-on-error", is_flag=True, help="Skip a resource whose call fails instead of stopping.")
@click.option("--set", "sets", multiple=True, metavar="ACTION.OPTION=VALUE",
              help="Override an action option, e.g. apply-autoscaling.max_capacity=6 (repeatable).")
@click.option("--findings", "findings_path", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Plan from a saved `audit --format json` result instead of auditing now.")
@click.option("--profile", default=None, help="AWS profile.")
@click.option("--region", "regions", multiple=True, help="Region (repeatable) [default: the profile's].")
@account_options("Remediate")
@click.option("--production", is_flag=True, help="Treat every audited resource as production.")
@click.option("--sandbox", is_flag=True, help="Remediate the demo account (the running `sm-audit sandbox`, "
                                              "else a throw-away one).")
@click.option("--shard", default=None, metavar="K/N",
              help="Only share K of N of the account x region list (as `audit --shard`).")
@click.option("--format", "-f", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None,
              metavar="FILE|s3://BUCKET/KEY", help="Write the report to this file (or S3 object).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None)
@click.option("--fail-on", type=click.Choice(FAIL_ON), default=None,
              help="Passed to the audit that finds what to remediate.")
def remediate(do_apply, yes, rules, endpoints, variant, baseline, to_config, max_changes, journal_path,
              continue_on_error, sets, findings_path, profile, regions, all_regions, role_arns, org_role,
              max_workers, production, sandbox, shard, fmt, output, config_path, fail_on):
    """Turn live findings into a plan of concrete changes (before -> after,
    and why); with --apply, carry it out, journaling every change first.

    Actions: apply-autoscaling (SM202), stop-idle-endpoints (SM502, undone by
    `restore`), rollback-variants (SM303/SM203: variants whose alarms are in
    ALARM, or --endpoint/--variant), raise-instance-count (SM201, plan only
    unless the endpoint is named with --endpoint).
    """
    from .. import config as config_mod
    from ..remediate import RemediateError, RemediateOptions, remediate as run_remediate
    from ..remediation.render import plan_text, preview_text

    rules = tuple(r for given in rules for r in (x.strip() for x in given.split(",")) if r)
    if (variant or to_config) and not endpoints:
        raise click.UsageError("--variant and --to-config need --endpoint")
    if variant and to_config:
        raise click.UsageError("--variant and --to-config are two different rollbacks: choose one")
    if (variant or to_config) and not rules:
        rules = ("rollback-variants",)  # a named rollback is all this run does
    from ..live.shard import ShardError, parse as parse_shard

    try:
        shard_k_n = parse_shard(shard)
    except ShardError as e:
        raise click.UsageError(str(e)) from None
    if shard_k_n and findings_path:
        raise click.UsageError("--shard splits the audit remediate runs; a --findings file is already one share")
    check_account_options(role_arns, org_role)
    if sandbox and (profile or findings_path or role_arns or org_role):
        raise click.UsageError("--sandbox remediates the demo account; it takes no "
                               "--profile/--findings/--role-arn/--org-role")
    if not sandbox:
        from ..live.session import check_credentials as check

        check(profile)
    cfg = config_mod.load(config_path)
    overrides = _overrides(sets)
    if baseline:
        overrides.setdefault("rollback-variants", {})["baseline"] = baseline
    if to_config:
        overrides.setdefault("rollback-variants", {})["to_config"] = to_config
    opts = RemediateOptions(apply=do_apply, rules=list(rules), endpoints=list(endpoints), variant=variant,
                            max_changes=max_changes, journal=journal_path, continue_on_error=continue_on_error,
                            overrides=overrides, findings_path=findings_path, profile=profile,
                            regions=list(regions), production=production, fail_on=fail_on, shard=shard_k_n,
                            role_arns=list(role_arns), org_role=org_role, all_regions=all_regions,
                            max_workers=max_workers)

    def confirm(plan) -> None:
        accounts = sorted({f"{c.account}/{c.region}" for c in plan.actionable})
        click.echo(preview_text(plan), err=True, nl=False)
        _confirm(f"Apply {len(plan.actionable)} change(s) to {', '.join(accounts)}?", yes)

    def go():
        try:
            return run_remediate(cfg, opts, confirm=confirm)
        except RemediateError as e:
            raise click.UsageError(str(e)) from None

    if sandbox:
        from ..live.sandbox import sandbox_env

        # moto keeps naive UTC times; seeding with them keeps ListEndpoints sortable after a restore
        with sandbox_env(now=datetime.now(timezone.utc).replace(tzinfo=None)) as env:
            opts.regions = opts.regions or [env.region]
            opts.journal_meta = {"sandbox": env.url}
            click.echo(_sandbox_line(env), err=True)
            result = go()
    else:
        result = go()
    if fmt == "text":
        text = plan_text(result.plan, result.findings)
    elif fmt == "json":
        text = result.doc.to_json()
    else:
        from reports import render

        text = render(result.doc, fmt, color=use_color(output))
    write(text, output)
    if result.refused:
        raise _Refused(result.refused)
    return result.exit_code


@click.command()
@click.option("--journal", "journal_path", required=True, metavar="FILE|s3://BUCKET/PREFIX/",
              help="The remediation journal to undo: a file, or the S3 prefix a run journaled to.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--continue-on-error", is_flag=True, help="Go on with the other entries when one undo fails.")
@click.option("--restore-journal", type=click.Path(dir_okay=False), default=None,
              help="Where restore journals its own changes [default: beside the default journals].")
@click.option("--profile", default=None, help="AWS profile.")
@click.option("--sandbox", is_flag=True, help="Undo on the running `sm-audit sandbox` demo account.")
@click.option("--format", "-f", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None,
              metavar="FILE|s3://BUCKET/KEY", help="Write the report to this file (or S3 object).")
def restore(journal_path, yes, continue_on_error, restore_journal, profile, sandbox, fmt, output):
    """Undo what a remediation journal records, newest first: recreate
    stopped endpoints on their own config with their tags and autoscaling,
    put weights and instance counts back, remove scaling sm-audit added.
    Entries whose outcome the journal does not know are checked against the
    live state first. The restore is journaled too."""
    from ..live.session import check_credentials as check
    from ..remediation.journal import JournalError, read

    try:
        entries, warnings = read(journal_path)
    except JournalError as e:
        raise click.UsageError(str(e)) from None
    on_sandbox = sorted({str(e.record["sandbox"]) for e in entries if e.record.get("sandbox")})
    if on_sandbox and not sandbox:
        raise click.UsageError(f"{journal_path} records changes to the sandbox demo account ({on_sandbox[0]}): "
                               "run restore with --sandbox while `sm-audit sandbox` runs")
    if sandbox and entries and len(on_sandbox) < 1:
        raise click.UsageError(f"{journal_path} records changes to AWS account(s) "
                               f"{', '.join(sorted({e.record['account'] for e in entries}))}, not to the sandbox")
    if sandbox:
        if profile:
            raise click.UsageError("--sandbox restores on the demo account; it takes no --profile")
        from ..live.sandbox import SandboxNotRunning, sandbox_env

        try:
            with sandbox_env(require_running=True) as env:
                click.echo(_sandbox_line(env), err=True)
                return _restore(entries, warnings, journal_path, yes, continue_on_error, restore_journal, None,
                                fmt, output)
        except SandboxNotRunning as e:
            raise click.UsageError(str(e)) from None
    if entries:
        check(profile)
    return _restore(entries, warnings, journal_path, yes, continue_on_error, restore_journal, profile, fmt, output)


def _restore(entries, warnings, journal_path, yes, continue_on_error, restore_journal, profile, fmt, output) -> int:
    from ..live.session import SessionFactory
    from ..remediation.accounts import clients_for_journal
    from ..remediation.base import Context
    from ..remediation.journal import Journal, JournalError, default_path, new_run_id
    from ..remediation.planner import build_options
    from ..remediation.render import restore_text
    from ..remediation.restore import pending_note, restore as run_restore

    for w in warnings:
        click.echo(f"warning: {w}", err=True)
    if not entries:
        write("Nothing to restore: the journal records no change.\n" if fmt == "text" else
              json.dumps({"journal": journal_path, "outcomes": []}, indent=2) + "\n", output)
        return int(Exit.OK)
    click.echo(f"To undo, newest first ({journal_path}):", err=True)
    for e in sorted(entries, key=lambda x: x.seq, reverse=True):
        r = e.record
        via = f" via {r['role_arn']}" if r.get("role_arn") else ""
        click.echo(f"  {e.id} {r['action']} {r['name']} ({r['account']} {r['region']}{via}): {e.status}"
                   + (f" - {pending_note(e)}" if pending_note(e) else ""), err=True)
    _confirm(f"Undo {len(entries)} journaled change(s)?", yes)
    now = datetime.now(timezone.utc)
    run_id = new_run_id(now)
    region = entries[0].record["region"]
    # each account through the role its changes were made with
    clients = clients_for_journal(SessionFactory(profile=profile), entries, region)
    ctx = Context(clients=clients, now=now, options=build_options(None, {}))
    journal = Journal(restore_journal or default_path(run_id), run_id, kind="restore")
    try:
        outcomes = run_restore(entries, ctx, journal, continue_on_error=continue_on_error)
    except JournalError as e:
        raise click.UsageError(str(e)) from None
    finally:
        journal.close()
    if fmt == "json":
        text = json.dumps({"journal": journal_path, "restore_journal": str(journal.path),
                           "outcomes": [o.public() for o in outcomes]}, indent=2, sort_keys=True) + "\n"
    else:
        text = restore_text(outcomes, str(journal.path))
    write(text, output)
    return int(Exit.FINDINGS) if any(o.status == "failed" for o in outcomes) else int(Exit.OK)
