"""Faults become coverage gaps, named by the kinds of data they hide (and
the resource, where known), never by rule: the engine makes unknown every
verdict that reads a kind a gap names. How an error is named lives here too."""

from __future__ import annotations

from typing import Any, Optional

from ..models.gaps import CoverageGap

# (service, operation) -> the resource kinds whose data its failure hides.
# Every call a collector makes is here or in EVERY_KIND (a test reads the
# collectors' source): an operation in neither hides every kind too, which
# fails closed but makes unknown more than the failure hides.
OPERATION_KINDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("sagemaker", "DescribeEndpoint"): ("Endpoint",),
    ("sagemaker", "DescribeEndpointConfig"): ("EndpointConfig",),
    ("sagemaker", "DescribeModel"): ("Model",),
    ("sagemaker", "DescribeModelPackage"): ("ModelPackage",),
    ("sagemaker", "ListInferenceComponents"): ("InferenceComponent",),
    ("sagemaker", "DescribeInferenceComponent"): ("InferenceComponent",),
    ("sagemaker", "ListTransformJobs"): ("TransformJob",),
    ("sagemaker", "DescribeTransformJob"): ("TransformJob",),
    ("sagemaker", "ListModelPackageGroups"): ("ModelPackageGroup",),
    ("sagemaker", "ListMonitoringSchedules"): ("MonitoringSchedule", "MonitoringJobDefinition"),
    ("sagemaker", "DescribeMonitoringSchedule"): ("MonitoringSchedule", "MonitoringJobDefinition"),
    ("sagemaker", "DescribeDataQualityJobDefinition"): ("MonitoringJobDefinition",),
    ("sagemaker", "DescribeModelQualityJobDefinition"): ("MonitoringJobDefinition",),
    ("sagemaker", "DescribeModelBiasJobDefinition"): ("MonitoringJobDefinition",),
    ("sagemaker", "DescribeModelExplainabilityJobDefinition"): ("MonitoringJobDefinition",),
    ("application-autoscaling", "DescribeScalableTargets"): ("ScalableTarget",),
    ("application-autoscaling", "DescribeScalingPolicies"): ("ScalingPolicy",),
    ("cloudwatch", "DescribeAlarms"): ("Alarm",),
    ("cloudwatch", "ListDashboards"): ("Dashboard",),
    ("cloudwatch", "GetDashboard"): ("Dashboard",),
    ("cloudwatch", "GetMetricData"): ("MetricSeries",),
    ("logs", "DescribeLogGroups"): ("LogGroup",),
    ("s3", "GetBucketVersioning"): ("Bucket",),
    ("s3", "GetBucketEncryption"): ("Bucket",),
    ("ec2", "DescribeSubnets"): ("Subnet",),
    ("ec2", "DescribeVpcEndpoints"): ("VpcEndpoint",),
    ("iam", "GetAccountAuthorizationDetails"): ("IamPolicy", "IamRole"),
    ("cloudtrail", "DescribeTrails"): ("Trail",),
    ("cloudtrail", "GetTrailStatus"): ("Trail",),
}

# Calls whose failure hides every kind, for the resource, region or account
# the gap names: without the list of endpoints, the tags (they decide
# production and carry suppressions, so every verdict depends on them), the
# account's credentials or its regions, no verdict can be trusted.
EVERY_KIND: frozenset[tuple[str, str]] = frozenset({
    ("sagemaker", "ListEndpoints"),
    ("sagemaker", "ListTags"),
    ("resourcegroupstaggingapi", "GetResources"),  # first asks ListTags per resource instead
    ("sts", "AssumeRole"),
    ("sts", "GetCallerIdentity"),
    ("organizations", "ListAccounts"),
    ("ec2", "DescribeRegions"),
})

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
        resource: Optional[str] = None, kinds: Optional[tuple[str, ...]] = None, note: str = "") -> CoverageGap:
    """The gap a failed call leaves; ``kinds`` defaults to what the operation reads."""
    code, msg = describe(exc)
    if kinds is None:
        kinds = OPERATION_KINDS.get((service, operation), ())
    return CoverageGap(account=account, region=region, service=service, operation=operation, resource=resource,
                       kinds=list(kinds), error=code, message=(note + ": " if note else "") + msg)


def is_not_found(exc: BaseException, *codes: str) -> bool:
    from botocore.exceptions import ClientError

    if not isinstance(exc, ClientError):
        return False
    return exc.response.get("Error", {}).get("Code") in codes


def error_code(exc: Any) -> str:
    return describe(exc)[0]
