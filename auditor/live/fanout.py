"""Accounts x regions, audited concurrently on a bounded pool.

Accounts come from the base credentials, ``--role-arn`` (assume-role per
account) or ``--org-role`` (every ACTIVE account of the AWS Organization,
through ``arn:aws:iam::<id>:role/<name>``). A target that cannot be reached
(assume-role denied, region unreachable, listing denied) becomes one coverage
gap for everything there; the rest of the audit completes."""

from __future__ import annotations

import sys
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from ..models.gaps import CoverageGap
from . import faults
from .account import ACCOUNT_KINDS, AccountCollector
from .collect import Collected, RegionCollector, RegionUnavailable
from .paging import paginate
from .session import Credentials, SessionFactory


@dataclass
class Account:
    id: Optional[str]  # None until resolved (base credentials)
    role_arn: Optional[str] = None
    creds: Optional[Credentials] = None
    error: Optional[CoverageGap] = None


@dataclass
class Scope:
    regions: list[str] = field(default_factory=list)
    all_regions: bool = False
    role_arns: list[str] = field(default_factory=list)
    org_role: Optional[str] = None
    shard: Optional[tuple[int, int]] = None  # (K, N): only this share of account x region



class Progress:
    """One status line on stderr, only when stderr is a terminal."""

    def __init__(self, total: int, enabled: Optional[bool] = None) -> None:
        self.total, self.done = total, 0
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._lock = threading.Lock()

    def step(self, label: str) -> None:
        with self._lock:
            self.done += 1
            if self.enabled:
                sys.stderr.write(f"\r\033[Kaudit {self.done}/{self.total} {label}")
                sys.stderr.flush()

    def close(self) -> None:
        if self.enabled and self.total:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


class NothingToAudit(Exception):
    """An answer that leaves nothing to audit (an organization without active accounts)."""


def _default_region(factory: SessionFactory) -> str:
    return factory.session().region_name or "us-east-1"


def resolve_accounts(factory: SessionFactory, scope: Scope) -> list[Account]:
    home = scope.regions[0] if scope.regions else _default_region(factory)
    accounts: list[Account] = []
    if scope.org_role:
        try:
            org = factory.client(factory.session(home), "organizations", home)
            own = _caller_account(factory, home, None)
            listed = [a for page in paginate(org, "list_accounts") for a in page.get("Accounts") or []]
        except Exception as e:  # noqa: BLE001 - denied, not in an organization, unreachable
            # an audit that saw nothing cannot pass: the whole organization is one gap (SM001)
            return [Account(id=None, error=faults.gap(None, None, "organizations", "ListAccounts", e,
                                                      note="cannot list the organization's accounts"))]
        for a in listed:
            if a.get("Status", "ACTIVE") != "ACTIVE":
                continue
            if a["Id"] == own:
                accounts.append(Account(id=own))  # the caller's own account: its own credentials
            else:
                accounts.append(Account(id=a["Id"], role_arn=f"arn:aws:iam::{a['Id']}:role/{scope.org_role}"))
        if not accounts:
            return [Account(id=None, error=faults.gap(
                None, None, "organizations", "ListAccounts", NothingToAudit(
                    f"the organization lists {len(listed)} account(s), none of them active: nothing was audited"
                    if listed else "the organization lists no account: nothing was audited")))]
    elif scope.role_arns:
        accounts = [Account(id=arn.split(":")[4] or None, role_arn=arn) for arn in scope.role_arns]
    else:
        accounts = [Account(id=None)]
    for acct in accounts:
        if acct.role_arn:
            try:
                acct.creds = factory.assume(acct.role_arn, home)
            except Exception as e:  # noqa: BLE001
                acct.error = faults.gap(acct.id, None, "sts", "AssumeRole", e,
                                        note=f"cannot assume {acct.role_arn}")
                continue
        if acct.id is None or acct.role_arn:
            try:
                acct.id = _caller_account(factory, home, acct.creds) or acct.id
            except Exception as e:  # noqa: BLE001
                acct.error = faults.gap(acct.id, None, "sts", "GetCallerIdentity", e)
    return accounts


def _caller_account(factory: SessionFactory, region: str, creds: Optional[Credentials]) -> str:
    sts = factory.client(factory.session(region, creds), "sts", region)
    return sts.get_caller_identity()["Account"]


def resolve_regions(factory: SessionFactory, scope: Scope, acct: Account) -> tuple[list[str], list[CoverageGap]]:
    if not scope.all_regions:
        return (list(dict.fromkeys(scope.regions)) or [_default_region(factory)]), []
    home = scope.regions[0] if scope.regions else _default_region(factory)
    try:
        ec2 = factory.client(factory.session(home, acct.creds), "ec2", home)
        regions = sorted(r["RegionName"] for r in ec2.describe_regions(AllRegions=False)["Regions"]
                         if r.get("OptInStatus") != "not-opted-in")
        return regions, []
    except Exception as e:  # noqa: BLE001
        return [home], [faults.gap(acct.id, None, "ec2", "DescribeRegions", e,
                                   note=f"cannot list the account's regions; audited {home} only")]


@dataclass
class Part:
    """One account's share of a run: the regions of it this run covers."""

    account: Account
    regions: list[str]  # this share's regions of the account (none when it could not be resolved)
    gaps: list[CoverageGap]
    account_wide: bool  # the account-wide collection (IAM, CloudTrail) belongs to this share


def share(factory: SessionFactory, scope: Scope) -> list[Part]:
    """The accounts (roles assumed) and regions a run covers, after ``--shard``:
    what ``audit`` collects and what ``remediate`` and ``restore`` act in."""
    per_account: list[tuple[Account, list[str], list[CoverageGap]]] = []
    for acct in resolve_accounts(factory, scope):
        if acct.error is not None:
            per_account.append((acct, [], [acct.error]))
            continue
        regions, gaps = resolve_regions(factory, scope, acct)
        per_account.append((acct, regions, gaps))
    from .shard import mine

    # an account that cannot be listed still has one pair, so exactly one shard reports it
    pairs = [(a.id or "", r) for a, regions, _ in per_account for r in (regions or [""])]
    ours = mine(pairs, scope.shard)
    parts = []
    for acct, regions, gaps in per_account:
        own = [r for r in (regions or [""]) if (acct.id or "", r) in ours]
        if own:
            parts.append(Part(acct, [r for r in own if r], gaps, min(regions or [""]) in own))
    return parts


def run(factory: SessionFactory, scope: Scope, max_workers: int = 8, inner_workers: int = 8,
        metric_plan: Any = None, progress: Optional[bool] = None, jobs_since: Any = None,
        parts: Optional[list[Part]] = None) -> tuple[Collected, list[str], list[str]]:
    """Collect every (account, region) of ``parts`` [default: ``share(factory,
    scope)``]; returns everything plus the accounts and regions covered.
    ``jobs_since``: collect the transform jobs created since then (None: none)."""
    total = Collected()
    parts = share(factory, scope) if parts is None else parts
    tasks: list[tuple[Account, Optional[str]]] = []
    all_regions: set[str] = set()
    for p in parts:
        total.gaps.extend(p.gaps)
        if p.account.error is not None:
            continue
        if p.account_wide:
            tasks.append((p.account, None))  # account-wide (IAM, CloudTrail): with the account's first region
        all_regions.update(p.regions)
        tasks.extend((p.account, r) for r in p.regions)
    accounts = [p.account for p in parts]
    home = {a.id: (scope.regions[0] if scope.regions else None) for a in accounts}
    bar = Progress(len(tasks), progress)

    def one(task: tuple[Account, Optional[str]]) -> Collected:
        acct, region = task
        via = region or home.get(acct.id) or _default_region(factory)
        session = factory.session(via, acct.creds)  # per thread: sessions are not thread-safe
        cls = AccountCollector if region is None else RegionCollector
        extra = {"jobs_since": jobs_since} if region else {}
        col = cls(session, factory, acct.id or "", via, workers=inner_workers,
                  metric_plan=metric_plan if region else None, **extra)
        try:
            return col.collect()
        except RegionUnavailable as e:
            cause = e.args[0] if e.args else e
            col.out.resources.clear()
            col.out.gaps.append(faults.gap(acct.id, region, "sagemaker", "ListEndpoints", cause,
                                           note=f"region {region} could not be audited"))
            return col.out
        except Exception as e:  # noqa: BLE001 - one bad account never ends the audit
            # an unexpected failure: everything this task feeds is unknown
            kinds = () if region else ACCOUNT_KINDS
            col.out.gaps.append(faults.gap(acct.id, region, "sm-audit", "collect", e, kinds=kinds,
                                           note="collection stopped"))
            return col.out

    with ThreadPoolExecutor(max_workers=max(1, max_workers)) as pool:
        futures = {pool.submit(one, t): t for t in tasks}
        for f in as_completed(futures):
            acct, region = futures[f]
            part = f.result()
            total.resources.extend(part.resources)
            total.metrics.extend(part.metrics)
            total.gaps.extend(part.gaps)
            bar.step(f"{acct.id}/{region or 'global'}")
    bar.close()
    ids = sorted({a.id for a in accounts if a.id})
    return total, ids, sorted(all_regions)


Callback = Callable[[Any], None]
