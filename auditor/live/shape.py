"""API responses -> inventory models: the field names are the API's, so the
mapping is mostly cleaning (datetimes to ISO 8601, no ResponseMetadata, tag
lists to dicts) plus provenance and tag suppressions."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Optional

from ..models.resources import Meta, Suppression

SKIP_TAG = "sm-audit:skip"
SKIP_REASON_TAG = "sm-audit:skip-reason"
SKIP_EXPIRES_TAG = "sm-audit:skip-expires"
STACK_TAG = "aws:cloudformation:stack-name"


def iso(v: Any) -> Any:
    if isinstance(v, datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=timezone.utc)
        return v.astimezone(timezone.utc).isoformat()
    return v


def clean(v: Any) -> Any:
    """JSON-safe copy of a response value."""
    if isinstance(v, dict):
        return {k: clean(x) for k, x in v.items() if k != "ResponseMetadata"}
    if isinstance(v, list):
        return [clean(x) for x in v]
    return iso(v)


def described(resp: dict, drop: tuple[str, ...] = ()) -> dict:
    """A Describe* response as model fields: AWS omits absent structures, so
    empty ones some servers send are dropped too (an empty ``VpcConfig``
    is no VPC configuration)."""
    out = {}
    for k, v in clean(resp).items():
        if k in drop or v is None or v == {} or v == []:
            continue
        out[k] = v
    return out


def tag_dict(tags: Any) -> dict[str, str]:
    if isinstance(tags, dict):
        return {str(k): str(v) for k, v in tags.items()}
    out = {}
    for t in tags or []:
        if isinstance(t, dict) and "Key" in t:
            out[str(t["Key"])] = str(t.get("Value", ""))
    return out


def suppressions(arn: str, tags: Optional[dict]) -> list[Suppression]:
    if not tags or not tags.get(SKIP_TAG):
        return []
    reason = tags.get(SKIP_REASON_TAG, "")
    expires = tags.get(SKIP_EXPIRES_TAG) or None
    # the config file's standard: no reason, not applied (reported as an input-error finding on the resource)
    problem = None if reason.strip() else f"has no reason (tag {SKIP_REASON_TAG} is missing or empty)"
    out = []
    for rid in tags[SKIP_TAG].replace(";", ",").replace(" ", ",").split(","):
        rid = rid.strip()
        if rid:
            out.append(Suppression(rule=rid.upper() if rid.lower().startswith("sm") else rid, reason=reason,
                                   expires=expires, kind="external", source=f"tag {SKIP_TAG} on {arn}",
                                   problem=problem))
    return out


def meta(cfn_type: str, arn: str, account: str, region: Optional[str], tags: Optional[dict] = None) -> Meta:
    tags = tags or {}
    return Meta(key=arn, type=cfn_type, arn=arn, account=account, region=region,
                stack=tags.get(STACK_TAG), suppressions=suppressions(arn, tags))
