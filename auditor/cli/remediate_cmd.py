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
from .common import FAIL_ON, FORMATS, use_color, write


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


def _session(profile: Optional[str], region: Optional[str]):
    import boto3

    return boto3.Session(profile_name=profile, region_name=region)


@click.command()
@click.option("--apply", "do_apply", is_flag=True, help="Carry the plan out (default: print it, change nothing).")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--rule", "rules", multiple=True, help="Only remediate these rules (ID, slug or action; repeatable).")
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
@click.option("--max-changes", type=click.IntRange(0), default=None, help="Refuse a plan with more changes than N.")
@click.option("--journal", "journal_path", type=click.Path(dir_okay=False), default=None,
              help="Journal file [default: $XDG_STATE_HOME/sm-audit/journal-<run>.jsonl].")
@click.option("--continue-on-error", is_flag=True, help="Skip a resource whose call fails instead of stopping.")
@click.option("--set", "sets", multiple=True, metavar="ACTION.OPTION=VALUE",
              help="Override an action option, e.g. apply-autoscaling.max_capacity=6 (repeatable).")
@click.option("--findings", "findings_path", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Plan from a saved `audit --format json` result instead of auditing now.")
@click.option("--profile", default=None, help="AWS profile.")
@click.option("--region", "regions", multiple=True, help="Region (repeatable) [default: the profile's].")
@click.option("--production", is_flag=True, help="Treat every audited resource as production.")
@click.option("--sandbox", is_flag=True, help="Remediate the local demo account (in-process moto server).")
@click.option("--format", "-f", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None)
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None)
@click.option("--fail-on", type=click.Choice(FAIL_ON), default=None,
              help="Passed to the audit that finds what to remediate.")
def remediate(do_apply, yes, rules, endpoints, variant, baseline, to_config, max_changes, journal_path,
              continue_on_error, sets, findings_path, profile, regions, production, sandbox, fmt, output,
              config_path, fail_on):
    """Turn live findings into a plan of concrete changes (before -> after,
    and why); with --apply, carry it out, journaling every change first.

    Actions: apply-autoscaling (SM202), stop-idle-endpoints (SM502, undone by
    `restore`), rollback-variants (SM303/SM203: variants whose alarms are in
    ALARM, or --endpoint/--variant), raise-instance-count (SM201, plan only
    unless the endpoint is named with --endpoint).
    """
    from .. import config as config_mod

    if (variant or to_config) and not endpoints:
        raise click.UsageError("--variant and --to-config need --endpoint")
    if variant and to_config:
        raise click.UsageError("--variant and --to-config are two different rollbacks: choose one")
    if (variant or to_config) and not rules:
        rules = ("rollback-variants",)  # a named rollback is all this run does
    cfg = config_mod.load(config_path)
    overrides = _overrides(sets)
    overrides.setdefault("raise-instance-count", {})["opted_in"] = list(endpoints)
    if baseline:
        overrides.setdefault("rollback-variants", {})["baseline"] = baseline
    if to_config:
        overrides.setdefault("rollback-variants", {})["to_config"] = to_config
    args = dict(do_apply=do_apply, yes=yes, rules=list(rules), endpoints=list(endpoints), variant=variant,
                max_changes=max_changes, journal_path=journal_path, continue_on_error=continue_on_error,
                overrides=overrides, findings_path=findings_path, profile=profile, regions=list(regions),
                production=production, fmt=fmt, output=output, cfg=cfg, fail_on=fail_on)
    if sandbox:
        if profile or findings_path:
            raise click.UsageError("--sandbox remediates the demo account; it takes no --profile/--findings")
        from ..live.sandbox import sandbox_env

        # moto keeps naive UTC times; seeding with them keeps ListEndpoints sortable after a restore
        with sandbox_env(now=datetime.now(timezone.utc).replace(tzinfo=None)) as env:
            args["regions"] = args["regions"] or [env.region]
            click.echo(f"sandbox: demo account {env.account} in {env.region} on {env.url} "
                       "(discarded when the command ends)", err=True)
            return _remediate(**args)
    return _remediate(**args)


def _remediate(*, do_apply, yes, rules, endpoints, variant, max_changes, journal_path, continue_on_error,
               overrides, findings_path, profile, regions, production, fmt, output, cfg, fail_on) -> int:
    from ..models.findings import ResultDocument, RunInfo
    from ..remediation.aws import Clients
    from ..remediation.base import Context
    from ..remediation.executor import execute
    from ..remediation.journal import Journal, default_path, new_run_id
    from ..remediation.planner import OptionsError, build_options, build_plan, check_rules
    from ..remediation.render import plan_text

    try:
        check_rules(rules, cfg)
        options = build_options(cfg, overrides)
    except OptionsError as e:
        raise click.UsageError(str(e)) from None
    now = datetime.now(timezone.utc)
    inventory = None
    if findings_path:
        try:
            with open(findings_path, encoding="utf-8") as fh:
                doc = ResultDocument.model_validate_json(fh.read())
        except (OSError, ValueError) as e:
            raise click.UsageError(f"{findings_path}: not an sm-audit JSON result: {str(e).splitlines()[0]}")
        regions = regions or sorted({f.location.region for f in doc.findings if f.location.region})
    else:
        from ..audit import AuditOptions, audit as run_audit

        result = run_audit(cfg, AuditOptions(profile=profile, regions=list(regions), production=production,
                                             fail_on=fail_on or cfg.fail_on or "error", now=now))
        doc, inventory = result.doc, result.inventory
        regions = regions or list(doc.run.regions)
    session = _session(profile, regions[0] if regions else None)
    ctx = Context(clients=Clients(session), now=now, options=options)
    run_id = new_run_id(now)
    plan = build_plan(ctx, doc.findings, run_id=run_id, inventory=inventory, rules=rules,
                      endpoints=endpoints, variant=variant, regions=regions or [session.region_name or "us-east-1"])
    n = len(plan.actionable)
    refused = None
    if max_changes is not None and n > max_changes:
        refused = f"the plan has {n} change(s), more than --max-changes {max_changes}: refused, nothing was changed"
    journal = None
    if do_apply and n and not refused:
        accounts = sorted({f"{c.account}/{c.region}" for c in plan.actionable})
        click.echo(plan_text(plan, pending=True), err=True, nl=False)
        _confirm(f"Apply {n} change(s) to {', '.join(accounts)}?", yes)
        journal = Journal(journal_path or default_path(run_id), run_id)
        try:
            execute(plan, ctx, apply=True, journal=journal, continue_on_error=continue_on_error)
        finally:
            journal.close()
    else:
        execute(plan, ctx, apply=False)
    doc.run = RunInfo(**{**doc.run.model_dump(), "command": "remediate"})
    doc.plan = plan.document()
    findings = sum(1 for f in doc.findings if f.remediation and f.outcome == "fail" and not f.suppression)
    if fmt == "text":
        text = plan_text(plan, findings)
    elif fmt == "json":
        text = doc.to_json()
    else:
        from reports import render

        text = render(doc, fmt, color=use_color(output))
    write(text, output)
    if refused:
        raise _Refused(refused)
    return int(Exit.FINDINGS) if any(c.status == "failed" for c in plan.changes) else int(Exit.OK)


@click.command()
@click.option("--journal", "journal_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="The remediation journal to undo.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--continue-on-error", is_flag=True, help="Go on with the other entries when one undo fails.")
@click.option("--restore-journal", type=click.Path(dir_okay=False), default=None,
              help="Where restore journals its own changes [default: beside the default journals].")
@click.option("--profile", default=None, help="AWS profile.")
@click.option("--format", "-f", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None)
def restore(journal_path, yes, continue_on_error, restore_journal, profile, fmt, output):
    """Undo what a remediation journal records, newest first: recreate
    stopped endpoints on their own config with their tags and autoscaling,
    put weights and instance counts back, remove scaling sm-audit added.
    Entries whose outcome the journal does not know are checked against the
    live state first. The restore is journaled too."""
    from ..remediation.aws import Clients
    from ..remediation.base import Context
    from ..remediation.journal import Journal, JournalError, default_path, new_run_id, read
    from ..remediation.planner import build_options
    from ..remediation.render import restore_text
    from ..remediation.restore import pending_note, restore as run_restore

    try:
        entries, warnings = read(journal_path)
    except JournalError as e:
        raise click.UsageError(str(e)) from None
    for w in warnings:
        click.echo(f"warning: {w}", err=True)
    if not entries:
        write("Nothing to restore: the journal records no change.\n" if fmt == "text" else
              json.dumps({"journal": journal_path, "outcomes": []}, indent=2) + "\n", output)
        return int(Exit.OK)
    click.echo(f"To undo, newest first ({journal_path}):", err=True)
    for e in sorted(entries, key=lambda x: x.seq, reverse=True):
        r = e.record
        click.echo(f"  {e.id} {r['action']} {r['name']} ({r['account']} {r['region']}): {e.status}"
                   + (f" - {pending_note(e)}" if pending_note(e) else ""), err=True)
    _confirm(f"Undo {len(entries)} journaled change(s)?", yes)
    now = datetime.now(timezone.utc)
    run_id = new_run_id(now)
    region = entries[0].record["region"]
    ctx = Context(clients=Clients(_session(profile, region)), now=now, options=build_options(None, {}))
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
