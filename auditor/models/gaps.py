"""A coverage gap: something a live audit could not see. The same model is
kept in the inventory (and its snapshot) and written into the result
document."""

from __future__ import annotations

from typing import Optional

from pydantic import BaseModel, Field


class CoverageGap(BaseModel):
    """Something the audit could not see: makes the affected verdicts unknown."""

    account: Optional[str] = None
    region: Optional[str] = None
    service: str = ""
    operation: str = ""
    resource: Optional[str] = None  # ARN/name, or None for a whole region/account
    kinds: list[str] = Field(default_factory=list)  # resource kinds it affects
    rules: list[str] = Field(default_factory=list)  # rule IDs it affects (empty: any)
    error: str = ""  # AccessDenied, Throttling, EndpointConnectionError ...
    message: str = ""
