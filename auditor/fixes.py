"""Fixes the rules know, as a snippet in the resource's own format: the
property to set (``InitialInstanceCount``, ``KmsKeyId``, ``DataCaptureConfig``)
or the resources to add (scalable target and scaling policy). The HTML
report shows them for copying; SARIF carries a fix where it is one
replacement of the finding's own property."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Optional

KMS_PLACEHOLDER = "arn:aws:kms:REGION:ACCOUNT:key/KEY-ID"


@dataclass
class Fix:
    title: str
    snippet: dict  # a mapping to add under the resource's Properties, or resources to add
    replaces: Optional[str] = None  # the property key the snippet replaces in place (one replacement)


def _params(rule_params: Optional[dict], name: str, default: Any) -> Any:
    v = (rule_params or {}).get(name)
    return default if v is None else v


def suggest(f: Any, rule_params: Optional[dict] = None, template: bool = True) -> Optional[Fix]:
    """The fix for a static finding, when its rule knows one. ``template``:
    the file is a CloudFormation/SAM template (resources can be added), not
    an API request file."""
    if f.outcome != "fail" or not f.location.file:
        return None
    last = f.path.rsplit(".", 1)[-1]
    data = f.data or {}
    if f.rule == "SM201" and last == "InitialInstanceCount":
        wanted = data.get("wanted") or _params(rule_params, "min_instances", 2)
        return Fix(f"Run at least {wanted} instances", {"InitialInstanceCount": wanted},
                   replaces="InitialInstanceCount")
    if f.rule == "SM403" and last == "KmsKeyId":
        return Fix("Encrypt the ML storage volumes with a customer managed KMS key (under Properties)",
                   {"KmsKeyId": KMS_PLACEHOLDER})
    if f.rule == "SM203" and last == "DataCaptureConfig":
        return Fix("Capture requests and responses for Model Monitor (under Properties)", {"DataCaptureConfig": {
            "EnableCapture": True, "InitialSamplingPercentage": 100,
            "DestinationS3Uri": "s3://BUCKET/data-capture",
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}]}})
    if f.rule == "SM202" and template and data.get("resource_id") and data.get("variant"):
        words = re.split(r"[^A-Za-z0-9]+", f"{data.get('endpoint', '')}-{data['variant']}")
        name = "".join(w[:1].upper() + w[1:] for w in words)
        # MinCapacity also keeps SM201's instance floor (the rule's ha_min_instances)
        lo = max(_params(rule_params, "min_capacity", 1), _params(rule_params, "ha_min_instances", 2))
        hi = _params(rule_params, "max_capacity", 4)
        target = f"{name}ScalableTarget"
        return Fix("Add a scalable target and a target-tracking policy (under Resources)", {
            target: {"Type": "AWS::ApplicationAutoScaling::ScalableTarget", "Properties": {
                "ServiceNamespace": "sagemaker", "ResourceId": data["resource_id"],
                "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
                "MinCapacity": lo, "MaxCapacity": hi}},
            f"{name}ScalingPolicy": {"Type": "AWS::ApplicationAutoScaling::ScalingPolicy", "Properties": {
                "PolicyName": f"{name}-invocations", "PolicyType": "TargetTrackingScaling",
                "ScalingTargetId": {"Ref": target},
                "TargetTrackingScalingPolicyConfiguration": {
                    "TargetValue": 70.0,
                    "PredefinedMetricSpecification": {
                        "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"}}}}})
    return None


def file_format(path: str) -> str:
    return "JSON" if path.lower().endswith(".json") else "YAML"


def render(fix: Fix, fmt: str) -> str:
    """The snippet as text in ``fmt`` (YAML or JSON), ready to paste."""
    if fmt == "JSON":
        import textwrap

        body = json.dumps(fix.snippet, indent=2)  # the members without the braces, to paste into a mapping
        return textwrap.dedent(body[1:-1].strip("\n")) + "\n"
    import yaml

    return yaml.safe_dump(fix.snippet, sort_keys=False, default_flow_style=False)


def replacement(fix: Fix, fmt: str, region: str) -> Optional[str]:
    """Text replacing ``region`` (the finding's own source text) for a one-replacement fix:
    the whole ``Key: value`` pair, or only the value when the region is the value."""
    if fix.replaces is None:
        return None
    value = fix.snippet[fix.replaces]
    key = fix.replaces
    stripped = region.strip()
    if stripped.startswith(f'"{key}"'):
        return f'"{key}": {json.dumps(value)}'
    if stripped.startswith(key):
        return f"{key}: {json.dumps(value)}"
    if stripped and ":" not in stripped:  # the value alone
        return json.dumps(value)
    return None
