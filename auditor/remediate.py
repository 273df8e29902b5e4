"""``remediate``: findings (a live audit now, or a saved result) -> a plan of
concrete changes -> with ``apply``, the executor, journaling every change.
Beside ``scan.py`` and ``audit.py``; the CLI only parses flags, asks the
question and renders.

The plan shown before the question is the plan that runs: every change's
status is set (``planned`` or ``skipped: plan only ...``) before it is
shown, and only ``planned`` changes are applied."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Optional

from .config import Config
from .exitcodes import Exit
from .models.findings import ResultDocument


class RemediateError(Exception):
    """A usage problem found while preparing the plan (exit 2, nothing changed)."""


@dataclass
class RemediateOptions:
    apply: bool = False
    rules: list[str] = field(default_factory=list)  # rule IDs, slugs or action names
    endpoints: list[str] = field(default_factory=list)  # only these; also the scale-out opt-in
    variant: Optional[str] = None
    max_changes: Optional[int] = None
    journal: Optional[str] = None  # file path [default: the state directory]
    continue_on_error: bool = False
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)  # --set action.option=value
    findings_path: Optional[str] = None
    profile: Optional[str] = None
    regions: list[str] = field(default_factory=list)
    production: bool = False
    fail_on: Optional[str] = None
    now: Optional[datetime] = None
    journal_meta: dict[str, Any] = field(default_factory=dict)  # written into every journal entry
    shard: Optional[tuple[int, int]] = None  # --shard K/N of account x region


@dataclass
class RemediateResult:
    doc: ResultDocument
    plan: Any  # remediation.planner.Plan
    findings: int  # live findings with a remediation
    refused: Optional[str] = None  # --max-changes: nothing was changed

    @property
    def exit_code(self) -> int:
        if self.refused:
            return int(Exit.USAGE)
        return int(Exit.FINDINGS) if any(c.status == "failed" for c in self.plan.changes) else int(Exit.OK)


def _load_findings(path: str) -> ResultDocument:
    try:
        with open(path, encoding="utf-8") as fh:
            return ResultDocument.model_validate_json(fh.read())
    except (OSError, ValueError) as e:
        raise RemediateError(f"{path}: not an sm-audit JSON result: {str(e).splitlines()[0]}") from None


def remediate(cfg: Config, opts: RemediateOptions,
              confirm: Optional[Callable[[Any], None]] = None) -> RemediateResult:
    """Plan, and with ``opts.apply`` carry the plan out. ``confirm(plan)`` is
    called with the final plan (statuses set) before the first change; it
    raises to refuse."""
    import boto3

    from .models.findings import RunInfo
    from .remediation.aws import Clients
    from .remediation.base import Context
    from .remediation.executor import execute, preview
    from .remediation.journal import Journal, default_path, new_run_id
    from .remediation.planner import OptionsError, build_options, build_plan, check_rules

    try:
        check_rules(opts.rules, cfg)
        options = build_options(cfg, opts.overrides)
    except OptionsError as e:
        raise RemediateError(str(e)) from None
    now = opts.now or datetime.now(timezone.utc)
    regions = list(opts.regions)
    inventory = None
    if opts.findings_path:
        doc = _load_findings(opts.findings_path)
        regions = regions or sorted({f.location.region for f in doc.findings if f.location.region})
    else:
        from .audit import AuditOptions, audit as run_audit

        result = run_audit(cfg, AuditOptions(profile=opts.profile, regions=regions, production=opts.production,
                                             fail_on=opts.fail_on or cfg.fail_on or "error", now=now,
                                             shard=opts.shard))
        doc, inventory = result.doc, result.inventory
        # a shard plans only the regions it audited
        regions = list(doc.run.regions) if opts.shard else (regions or list(doc.run.regions))
    session = boto3.Session(profile_name=opts.profile, region_name=regions[0] if regions else None)
    ctx = Context(clients=Clients(session), now=now, options=options, scale_out=list(opts.endpoints))
    run_id = new_run_id(now)
    plan = build_plan(ctx, doc.findings, run_id=run_id, inventory=inventory, rules=opts.rules,
                      endpoints=opts.endpoints, variant=opts.variant,
                      regions=regions or [session.region_name or "us-east-1"])
    preview(plan)
    n = len(plan.actionable)
    refused = None
    if opts.max_changes is not None and n > opts.max_changes:
        refused = (f"the plan has {n} change(s), more than --max-changes {opts.max_changes}: refused, "
                   "nothing was changed")
    if opts.apply and n and not refused:
        if confirm is not None:
            confirm(plan)
        journal = Journal(opts.journal or default_path(run_id), run_id, meta=opts.journal_meta)
        try:
            execute(plan, ctx, apply=True, journal=journal, continue_on_error=opts.continue_on_error)
        finally:
            journal.close()
    doc.run = RunInfo(**{**doc.run.model_dump(), "command": "remediate"})
    doc.plan = plan.document()
    findings = sum(1 for f in doc.findings if f.remediation and f.outcome == "fail" and not f.suppression)
    return RemediateResult(doc=doc, plan=plan, findings=findings, refused=refused)
