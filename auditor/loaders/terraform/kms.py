"""KMS keys a configuration names through data sources.

An AWS managed key (``alias/aws/<service>``) cannot be declared, only looked
up: ``data "aws_kms_alias"`` with such a name, or ``data "aws_kms_key"``
whose ``key_id`` is one. Every attribute of such a data source that names
the key reads as the alias, which is how a template names an AWS managed
key, so ``kms_key_arn = data.aws_kms_alias.sm.target_key_arn`` means what
``KmsKeyId: alias/aws/sagemaker`` means. A declared ``aws_kms_key`` (or an
alias of one) is a customer managed key, as an ``AWS::KMS::Key`` is."""

from __future__ import annotations

from typing import Any, Iterator, Optional

AWS_ALIAS = "alias/aws/"
# attributes of the KMS data sources that name the key (an alias names its target key)
KEY_ATTRS = {"aws_kms_alias": ("arn", "id", "name", "target_key_arn", "target_key_id"),
             "aws_kms_key": ("arn", "id", "key_id")}


def managed_alias(rtype: str, args: Any) -> Optional[str]:
    """The alias of the AWS managed key a KMS data source looks up, else None."""
    if rtype not in KEY_ATTRS or not isinstance(args, dict):
        return None
    v = args.get("name" if rtype == "aws_kms_alias" else "key_id")
    if not isinstance(v, str) or AWS_ALIAS not in v or not (v.startswith(AWS_ALIAS) or ":" + AWS_ALIAS in v):
        return None
    return v[v.index(AWS_ALIAS):]  # from an alias ARN too


def data_attr(rtype: str, args: Any, name: str) -> Optional[str]:
    """What ``data.<rtype>.x.<name>`` reads as when it names an AWS managed key, else None."""
    alias = managed_alias(rtype, args)
    if alias is None:
        return None
    if rtype == "aws_kms_key" and name == "key_manager":
        return "AWS"
    return alias if name in KEY_ATTRS[rtype] else None


def managed_key_names(data_sources: Iterator[tuple[str, Any]]) -> dict[str, str]:
    """Plan JSON: every value a plan gives for the key of an AWS managed
    alias (its key ARN, key ID, alias ARN) -> the alias. ``data_sources``:
    (type, values) of the data sources the plan read."""
    out: dict[str, str] = {}
    for rtype, values in data_sources:
        alias = managed_alias(rtype, values)
        if alias is None:
            continue
        for attr in KEY_ATTRS[rtype]:
            v = values.get(attr)
            if isinstance(v, str) and v and v != alias:
                out[v] = alias
    return out


def name_managed_keys(v: Any, names: dict[str, str]) -> Any:
    """``v`` with every string that is an AWS managed key's ARN or ID as its alias."""
    if not names:
        return v
    if isinstance(v, str):
        return names.get(v, v)
    if isinstance(v, dict):
        return {k: name_managed_keys(x, names) for k, x in v.items()}
    if isinstance(v, list):
        return [name_managed_keys(x, names) for x in v]
    return v
