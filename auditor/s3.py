"""``s3://BUCKET/KEY`` locations: reports written with ``-o s3://...`` and
the remediation journal's ``--journal s3://BUCKET/PREFIX/``.

Imported only when such a location is used: boto3 stays off the static path.
A report is one PutObject, so readers see the old object or the whole new
one, never a part (S3's writes are atomic per object)."""

from __future__ import annotations

import mimetypes
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

PREFIX = "s3://"


class S3Error(Exception):
    """An S3 location that is malformed, or a call on it that failed."""


def is_s3(location: Any) -> bool:
    return str(location).startswith(PREFIX)


def split(url: str) -> tuple[str, str]:
    """(bucket, key) of ``s3://bucket/key``; the key may be empty."""
    bucket, _, key = url[len(PREFIX):].partition("/")
    if not bucket:
        raise S3Error(f"{url}: an S3 location is s3://BUCKET/KEY")
    return bucket, key


def client() -> Any:
    return boto3.client("s3")


def problem(e: BaseException) -> str:
    if isinstance(e, ClientError):
        err = e.response.get("Error", {})
        return f"{err.get('Code')}: {err.get('Message')}"
    return str(e)


def put_report(url: str, data: bytes) -> None:
    """Write one report object; its type follows the key's extension."""
    bucket, key = split(url)
    if not key or key.endswith("/"):
        raise S3Error(f"{url}: name the report's object, e.g. s3://{bucket}/reports/audit.json")
    ctype = mimetypes.guess_type(key)[0] or "text/plain"
    if ctype.startswith("text/") or ctype in ("application/json", "application/xml"):
        ctype += "; charset=utf-8"
    try:
        client().put_object(Bucket=bucket, Key=key, Body=data, ContentType=ctype)
    except (ClientError, BotoCoreError) as e:
        from .credentials import message

        if message(e) is not None:
            raise  # missing or expired credentials: the usual one-line usage error
        raise S3Error(f"cannot write {url}: {problem(e)}") from None
