"""AWS credentials that are missing, expired or point at an unknown profile
are a usage error (exit 2) with one line saying what to set, whichever
command met them. Recognised by name so the static path never imports
botocore."""

from __future__ import annotations

from typing import Optional

SET = ("set AWS_PROFILE (or --profile) to a configured profile, or AWS_ACCESS_KEY_ID and "
       "AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials), or run with a role "
       "(instance profile, ECS task role)")
# error codes AWS answers when the caller's credentials are the problem
EXPIRED = {"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"}
INVALID = {"InvalidClientTokenId", "UnrecognizedClientException", "InvalidAccessKeyId",
           "SignatureDoesNotMatch", "AuthFailure", "IncompleteSignature", "NoCredentials"}
CODES = EXPIRED | INVALID


class CredentialsError(Exception):
    """Base AWS credentials cannot be used; the message says what to set."""


def message(e: BaseException) -> Optional[str]:
    """One line for a credentials problem, or None when ``e`` is something else."""
    if isinstance(e, CredentialsError):
        return str(e)
    name = type(e).__name__
    if name == "NoCredentialsError":
        return f"no AWS credentials found: {SET}"
    if name == "PartialCredentialsError":
        return f"incomplete AWS credentials ({e}): {SET}"
    if name == "ProfileNotFound":
        return f"{e}: {SET}"
    if name in ("TokenRetrievalError", "SSOTokenLoadError", "UnauthorizedSSOTokenError"):
        return f"the AWS SSO session has expired or was never started: run `aws sso login` (or {SET})"
    if name == "ClientError":
        code = getattr(e, "response", {}).get("Error", {}).get("Code", "")
        if code in CODES:
            return for_code(code)
    return None


def for_code(code: str) -> str:
    if code == "NoCredentials":
        return f"no AWS credentials found: {SET}"
    if code in EXPIRED:
        return f"the AWS credentials have expired ({code}): refresh them, or {SET}"
    return f"the AWS credentials were not accepted ({code}): {SET}"


def check_gaps(gaps) -> None:
    """An audit whose base credentials were refused ends as a usage error,
    not as a report of nothing audited (STS answers first, with the code)."""
    for g in gaps:
        if g.service == "sts" and g.error in CODES:
            raise CredentialsError(for_code(g.error))
