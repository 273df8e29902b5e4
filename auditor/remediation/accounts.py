"""Which accounts a remediation or a restore acts in, and through which role.

``remediate`` takes the audit's account options (``--role-arn``,
``--org-role``, ``--all-regions``, ``--shard``) and resolves them with the
audit's own fan-out code (``live.fanout.share``), so both see the same
accounts and regions. ``restore`` assumes, per journal record, the role that
record says the change was made through. An account whose role cannot be
assumed is refused with the reason; the other accounts go on.
"""

from __future__ import annotations

from typing import Callable, Iterable, Optional

from ..credentials import message
from ..live.fanout import Part
from ..live.session import SessionFactory
from .aws import Access, Clients, describe_error
from .journal import Entry


def clients_for_parts(factory: SessionFactory, parts: list[Part], region: Optional[str],
                      hooks: Iterable[tuple[str, Callable]] = ()) -> Clients:
    """Clients acting in exactly the accounts of ``parts`` (roles already assumed)."""
    access: dict[str, Access] = {}
    failed: dict[str, str] = {}
    for p in parts:
        a = p.account
        if a.error is not None:
            failed[a.id or "?"] = f"{a.error.message} ({a.error.error} on {a.error.service}:{a.error.operation})"
        elif a.id:
            access[a.id] = Access(factory.session(region, a.creds), a.role_arn)
    return Clients(factory.session(region), hooks=hooks, access=access, failed=failed)


def clients_for_journal(factory: SessionFactory, entries: list[Entry], region: Optional[str],
                        hooks: Iterable[tuple[str, Callable]] = ()) -> Clients:
    """Clients acting in every account the entries name, each through the
    role its records were made with (none recorded: the base credentials,
    which must act in that account)."""
    roles: dict[str, Optional[str]] = {}
    for e in sorted(entries, key=lambda x: (x.record.get("run_id", ""), x.seq)):
        roles[e.record["account"]] = e.record.get("role_arn")  # the newest record's role wins
    base = factory.session(region)
    access: dict[str, Access] = {}
    failed: dict[str, str] = {}
    for account, role in sorted(roles.items()):
        if role is None:
            access[account] = Access(base, None)
            continue
        try:
            creds = factory.assume(role, region)
        except Exception as e:  # noqa: BLE001 - this account is refused; the others go on
            if message(e) is not None:
                raise  # the base credentials themselves: a usage error for the whole run
            failed[account] = f"cannot assume {role}: {describe_error(e)}"
            continue
        access[account] = Access(factory.session(region, creds), role)
    return Clients(base, hooks=hooks, access=access, failed=failed)
