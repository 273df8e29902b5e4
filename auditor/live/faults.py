"""Faults become coverage gaps: which rules an API feeds, and how an error
is named. A failed call makes only the verdicts that depend on it unknown
(``Inventory.gaps_for``); an empty rule list means every rule."""

from __future__ import annotations

from typing import Any, Optional

from ..models.gaps import CoverageGap

# (service, operation) -> the rules whose verdicts need its answer.
# Resource kinds an API's failure touches, where narrower than "every resource
# the rule checks": a CloudTrail failure leaves the trail verdict open (SM402
# reads those gaps itself) but not SM402's verdicts on IAM statements.
KINDS: dict[tuple[str, str], list[str]] = {
    ("cloudtrail", "DescribeTrails"): ["Trail"],
    ("cloudtrail", "GetTrailStatus"): ["Trail"],
}
MODEL_RULES = ["SM101", "SM102", "SM103", "SM201", "SM401", "SM403", "SM501", "SM602"]
DEPENDS: dict[tuple[str, str], list[str]] = {
    ("sagemaker", "DescribeModel"): MODEL_RULES,
    ("sagemaker", "DescribeModelPackage"): ["SM101", "SM103"],
    ("sagemaker", "ListModelPackageGroups"): ["SM103"],
    ("sagemaker", "ListMonitoringSchedules"): ["SM203", "SM302"],
    ("sagemaker", "DescribeMonitoringSchedule"): ["SM203", "SM302"],
    ("sagemaker", "DescribeDataQualityJobDefinition"): ["SM203", "SM302"],
    ("sagemaker", "DescribeModelQualityJobDefinition"): ["SM203", "SM302"],
    ("sagemaker", "DescribeModelBiasJobDefinition"): ["SM203", "SM302"],
    ("sagemaker", "DescribeModelExplainabilityJobDefinition"): ["SM203", "SM302"],
    ("application-autoscaling", "DescribeScalableTargets"): ["SM202", "SM601"],
    ("application-autoscaling", "DescribeScalingPolicies"): ["SM202", "SM601"],
    ("cloudwatch", "DescribeAlarms"): ["SM202", "SM203", "SM301", "SM302"],
    ("cloudwatch", "ListDashboards"): ["SM301"],
    ("cloudwatch", "GetDashboard"): ["SM301"],
    ("cloudwatch", "GetMetricData"): ["SM501", "SM502", "SM503"],
    ("logs", "DescribeLogGroups"): ["SM301"],
    ("s3", "GetBucketVersioning"): ["SM102"],
    ("s3", "GetBucketEncryption"): ["SM403"],
    ("ec2", "DescribeSubnets"): ["SM201"],
    ("ec2", "DescribeVpcEndpoints"): ["SM401"],
    ("iam", "GetAccountAuthorizationDetails"): ["SM402"],
    ("cloudtrail", "DescribeTrails"): ["SM402"],
    ("cloudtrail", "GetTrailStatus"): ["SM402"],
    # tags classify production and carry suppressions: every rule depends on them
    ("resourcegroupstaggingapi", "GetResources"): [],
    ("sagemaker", "ListTags"): [],
    ("sagemaker", "ListEndpoints"): [],
    ("sagemaker", "DescribeEndpoint"): [],
    ("sagemaker", "DescribeEndpointConfig"): [],
}

ACCESS = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnrecognizedClientException",
          "AuthorizationError", "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException",
          "AccessDeniedForDependencyException", "Forbidden"}
THROTTLE = {"Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded",
            "ThrottledException", "SlowDown", "RequestThrottled", "RequestThrottledException"}
UNSUPPORTED = {"UnsupportedOperation", "UnknownOperationException", "InvalidAction", "OptInRequired",
               "NotImplemented", "SubscriptionRequiredException"}


def describe(exc: BaseException) -> tuple[str, str]:
    """(error code, one-line message) for any failure of an AWS call."""
    from botocore.exceptions import (BotoCoreError, ClientError, ConnectTimeoutError, EndpointConnectionError,
                                     NoCredentialsError, ReadTimeoutError)

    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code = str(err.get("Code") or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or "Error")
        msg = str(err.get("Message") or "").strip()
        retries = exc.response.get("ResponseMetadata", {}).get("RetryAttempts")
        if code in THROTTLE and retries:
            msg += f" (still throttled after {retries} retries)"
        if code in UNSUPPORTED or code in ("404", "501"):
            msg = msg or "the API is not supported here"
        msg = msg if len(msg) < 300 else "the service returned an error page"
        return code, msg or code
    if isinstance(exc, (EndpointConnectionError, ConnectTimeoutError)):
        return "EndpointConnectionError", str(exc)
    if isinstance(exc, ReadTimeoutError):
        return "ReadTimeout", str(exc)
    if isinstance(exc, NoCredentialsError):
        return "NoCredentials", "no AWS credentials found"
    if isinstance(exc, BotoCoreError):
        return type(exc).__name__, str(exc)
    return type(exc).__name__, str(exc) or type(exc).__name__


def gap(account: Optional[str], region: Optional[str], service: str, operation: str, exc: BaseException,
        resource: Optional[str] = None, rules: Optional[list[str]] = None, kinds: Optional[list[str]] = None,
        note: str = "") -> CoverageGap:
    code, msg = describe(exc)
    if rules is None:
        rules = list(DEPENDS.get((service, operation), []))
    if kinds is None:
        kinds = list(KINDS.get((service, operation), []))
    return CoverageGap(account=account, region=region, service=service, operation=operation, resource=resource,
                       kinds=kinds or [], rules=sorted(rules), error=code,
                       message=(note + ": " if note else "") + msg)


def is_not_found(exc: BaseException, *codes: str) -> bool:
    from botocore.exceptions import ClientError

    if not isinstance(exc, ClientError):
        return False
    return exc.response.get("Error", {}).get("Code") in codes


def error_code(exc: Any) -> str:
    return describe(exc)[0]
