"""A coverage gap: something a live audit could not see. The same model is
kept in the inventory (and its snapshot) and written into the result
document."""

from __future__ import annotations

from typing import Optional

from pydantic import BaseModel, Field


class CoverageGap(BaseModel):
    """Something the audit could not see, by resource kind (and resource,
    where known), never by rule: the engine makes unknown every verdict that
    reads a kind the gap names. No kinds and no resource: a whole region or
    account could not be audited."""

    account: Optional[str] = None
    region: Optional[str] = None
    service: str = ""
    operation: str = ""
    resource: Optional[str] = None  # ARN/name it is about, or None for the whole region/account
    kinds: list[str] = Field(default_factory=list)  # kinds of data missing (empty: every kind)
    error: str = ""  # AccessDenied, Throttling, EndpointConnectionError ...
    message: str = ""

    @property
    def reason(self) -> str:
        """``AccessDenied on cloudwatch:DescribeAlarms (message)``."""
        why = f"{self.error or 'error'} on {self.service}:{self.operation}".strip(":")
        return why + (f" ({self.message})" if self.message else "")

    def covers(self, account: Optional[str], region: Optional[str]) -> bool:
        """Is a resource of this account and region within the gap's scope?"""
        return not (self.account and account and self.account != account) and \
            not (self.region and region and self.region != region)

    def touches(self, kinds: "frozenset[str] | set[str]", account: Optional[str], region: Optional[str],
                names: tuple = ()) -> bool:
        """Does the gap hide data of ``kinds`` about a resource in this scope
        (called ``names``: its ARN, its name)?"""
        if not self.covers(account, region):
            return False
        if self.kinds and not kinds.intersection(self.kinds):
            return False
        return self.resource is None or self.resource in names
