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
    role_arns: list[str] = field(default_factory=list)  # --role-arn: act in these accounts through these roles
    org_role: Optional[str] = None  # --org-role: every active account of the organization
    all_regions: bool = False
    max_workers: int = 8  # accounts x regions audited at once
    session_hooks: list = field(default_factory=list)  # tests: inject faults into every session


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
    from .credentials import check_gaps
    from .live.fanout import Scope, share
    from .live.session import SessionFactory
    from .models.findings import RunInfo
    from .remediation.accounts import clients_for_parts
    from .remediation.base import Context, Skip
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
    doc = _load_findings(opts.findings_path) if opts.findings_path else None
    if doc is not None and not regions:
        regions = sorted({f.location.region for f in doc.findings if f.location.region})
    # the audit's own fan-out: the same accounts (roles assumed once) and regions for the audit and the plan
    factory = SessionFactory(profile=opts.profile, hooks=list(opts.session_hooks))
    scope = Scope(regions=regions, all_regions=opts.all_regions, role_arns=list(opts.role_arns),
                  org_role=opts.org_role, shard=opts.shard)
    parts = share(factory, scope)
    check_gaps([g for p in parts for g in p.gaps])
    inventory = None
    if doc is None:
        from .audit import AuditOptions, audit as run_audit

        result = run_audit(cfg, AuditOptions(profile=opts.profile, regions=regions, production=opts.production,
                                             fail_on=opts.fail_on or cfg.fail_on or "error", now=now,
                                             shard=opts.shard, role_arns=list(opts.role_arns),
                                             org_role=opts.org_role, all_regions=opts.all_regions,
                                             max_workers=opts.max_workers, parts=parts,
                                             session_hooks=list(opts.session_hooks)))
        doc, inventory = result.doc, result.inventory
    home = regions[0] if regions else None
    clients = clients_for_parts(factory, parts, home)
    ctx = Context(clients=clients, now=now, options=options, scale_out=list(opts.endpoints))
    run_id = new_run_id(now)
    pairs = [(p.account.id, r) for p in parts if p.account.error is None and p.account.id for r in p.regions]
    plan = build_plan(ctx, doc.findings, run_id=run_id, inventory=inventory, rules=opts.rules,
                      endpoints=opts.endpoints, variant=opts.variant, pairs=pairs)
    for account, why in sorted(clients.failed.items()):  # said once per account, not once per finding
        plan.skipped.append(Skip("*", "(account)", account, "", f"not remediated: {why}"))
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
