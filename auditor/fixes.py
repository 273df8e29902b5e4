"""Fixes the rules know, as a snippet in the resource's own format: the
property to set (``InitialInstanceCount``, ``KmsKeyId``, ``DataCaptureConfig``)
or the resources to add (scalable target and scaling policy), in YAML or JSON
for a template and in HCL for a Terraform resource (``initial_instance_count``,
``kms_key_arn``, a ``data_capture_config`` block, ``aws_appautoscaling_target``
and ``aws_appautoscaling_policy``). ``snippet_format`` is the one place that
chooses the format. The HTML report shows them for copying; SARIF carries a
fix where it is one replacement of the finding's own property."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Optional

KMS_PLACEHOLDER = "arn:aws:kms:REGION:ACCOUNT:key/KEY-ID"
KMS_TF_PLACEHOLDER = "aws_kms_key.sagemaker.arn"  # a customer managed key to declare (or a key's ARN)
CAPTURE_URI = "s3://BUCKET/data-capture"


@dataclass
class Fix:
    title: str
    snippet: Any  # a mapping to add under the resource's Properties, or resources to add; HCL: the text
    replaces: Optional[str] = None  # the property key the snippet replaces in place (one replacement)


def _params(rule_params: Optional[dict], name: str, default: Any) -> Any:
    v = (rule_params or {}).get(name)
    return default if v is None else v


def is_terraform(f: Any) -> bool:
    """Does the finding's resource come from Terraform? Its type is then the
    provider's (``aws_sagemaker_endpoint_configuration``), never
    CloudFormation's ``AWS::Service::Type``."""
    rtype = f.resource.type if f.resource is not None else ""
    return rtype.startswith("aws_")


def snippet_format(f: Any) -> str:
    """The format of a finding's fix snippet, by the resource's dialect: HCL for
    Terraform (a plan's JSON included: the fix goes into the .tf), else the
    file's YAML or JSON."""
    return "HCL" if is_terraform(f) else file_format(f.location.file or "")


def _instances(data: dict, rule_params: Optional[dict]) -> Any:
    """SM201's wanted instance count."""
    return data.get("wanted") or _params(rule_params, "min_instances", 2)


def _scaling(rule_params: Optional[dict]) -> dict:
    """SM202's wanted scaling: MinCapacity also keeps SM201's instance floor (the rule's ha_min_instances)."""
    lo = max(_params(rule_params, "min_capacity", 1), _params(rule_params, "ha_min_instances", 2))
    return {"min": lo, "max": _params(rule_params, "max_capacity", 4),
            "target": _params(rule_params, "target_value", 70),
            "out": _params(rule_params, "scale_out_cooldown", 60), "in": _params(rule_params, "scale_in_cooldown", 300)}


def suggest(f: Any, rule_params: Optional[dict] = None, template: bool = True) -> Optional[Fix]:
    """The fix for a static finding, when its rule knows one, in the format
    ``snippet_format`` gives. ``template``: the file is a CloudFormation/SAM
    template (resources can be added), not an API request file."""
    if f.outcome != "fail" or not f.location.file:
        return None
    if snippet_format(f) == "HCL":
        return _suggest_hcl(f, rule_params)
    last = f.path.rsplit(".", 1)[-1]
    data = f.data or {}
    if f.rule == "SM201" and last == "InitialInstanceCount":
        wanted = _instances(data, rule_params)
        return Fix(f"Run at least {wanted} instances", {"InitialInstanceCount": wanted},
                   replaces="InitialInstanceCount")
    if f.rule == "SM403" and last == "KmsKeyId":
        return Fix("Encrypt the ML storage volumes with a customer managed KMS key (under Properties)",
                   {"KmsKeyId": KMS_PLACEHOLDER})
    if f.rule == "SM203" and last == "DataCaptureConfig":
        return Fix("Capture requests and responses for Model Monitor (under Properties)", {"DataCaptureConfig": {
            "EnableCapture": True, "InitialSamplingPercentage": 100,
            "DestinationS3Uri": CAPTURE_URI,
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}]}})
    if f.rule == "SM202" and template and data.get("resource_id") and data.get("variant"):
        words = re.split(r"[^A-Za-z0-9]+", f"{data.get('endpoint', '')}-{data['variant']}")
        name = "".join(w[:1].upper() + w[1:] for w in words)
        sc = _scaling(rule_params)
        target = f"{name}ScalableTarget"
        return Fix("Add a scalable target and a target-tracking policy (under Resources)", {
            target: {"Type": "AWS::ApplicationAutoScaling::ScalableTarget", "Properties": {
                "ServiceNamespace": "sagemaker", "ResourceId": data["resource_id"],
                "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
                "MinCapacity": sc["min"], "MaxCapacity": sc["max"]}},
            f"{name}ScalingPolicy": {"Type": "AWS::ApplicationAutoScaling::ScalingPolicy", "Properties": {
                "PolicyName": f"{name}-invocations", "PolicyType": "TargetTrackingScaling",
                "ScalingTargetId": {"Ref": target},
                "TargetTrackingScalingPolicyConfiguration": {
                    "TargetValue": 70.0,
                    "PredefinedMetricSpecification": {
                        "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"}}}}})
    return None


def _hcl_value(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        v = int(v)  # 70, as Terraform's own examples write a whole number
    return json.dumps(v)  # numbers, true/false and double-quoted strings read the same in HCL


def _suggest_hcl(f: Any, rule_params: Optional[dict]) -> Optional[Fix]:
    """The same fixes for a Terraform resource, with the AWS provider's attribute names."""
    data = f.data or {}
    rtype = f.resource.type
    last = f.path.rsplit(".", 1)[-1]
    if f.rule == "SM201" and last == "initial_instance_count":
        wanted = _instances(data, rule_params)
        return Fix(f"Run at least {wanted} instances (in the production_variants block)",
                   f"initial_instance_count = {_hcl_value(wanted)}\n", replaces="initial_instance_count")
    if f.rule == "SM403" and f.path == "kms_key_arn" and rtype == "aws_sagemaker_endpoint_configuration":
        return Fix("Encrypt the ML storage volumes with a customer managed KMS key "
                   "(in the aws_sagemaker_endpoint_configuration; declare the aws_kms_key or use a key's ARN)",
                   f"kms_key_arn = {KMS_TF_PLACEHOLDER}\n")
    if f.rule == "SM203" and f.path == "data_capture_config" and rtype == "aws_sagemaker_endpoint_configuration":
        return Fix("Capture requests and responses for Model Monitor (in the aws_sagemaker_endpoint_configuration)",
                   "data_capture_config {\n"
                   "  enable_capture              = true\n"
                   "  initial_sampling_percentage = 100\n"
                   f"  destination_s3_uri          = {_hcl_value(CAPTURE_URI)}\n"
                   "\n"
                   "  capture_options {\n"
                   '    capture_mode = "Input"\n'
                   "  }\n"
                   "  capture_options {\n"
                   '    capture_mode = "Output"\n'
                   "  }\n"
                   "}\n")
    if f.rule == "SM202" and data.get("resource_id") and data.get("variant"):
        words = [w for w in re.split(r"[^A-Za-z0-9]+", f"{data.get('endpoint', '')}-{data['variant']}") if w]
        from .loaders.terraform.paths import snake

        name = "_".join(snake(w) for w in words) or "variant"
        if name[0].isdigit():
            name = f"sm_{name}"
        sc = _scaling(rule_params)
        target = f"aws_appautoscaling_target.{name}"
        policy = "-".join(words + ["invocations"])
        text = (f'resource "aws_appautoscaling_target" "{name}" {{\n'
                '  service_namespace  = "sagemaker"\n'
                f"  resource_id        = {_hcl_value(data['resource_id'])}\n"
                '  scalable_dimension = "sagemaker:variant:DesiredInstanceCount"\n'
                f"  min_capacity       = {_hcl_value(sc['min'])}\n"
                f"  max_capacity       = {_hcl_value(sc['max'])}\n"
                "}\n"
                "\n"
                f'resource "aws_appautoscaling_policy" "{name}" {{\n'
                f"  name               = {_hcl_value(policy)}\n"
                '  policy_type        = "TargetTrackingScaling"\n'
                f"  service_namespace  = {target}.service_namespace\n"
                f"  resource_id        = {target}.resource_id\n"
                f"  scalable_dimension = {target}.scalable_dimension\n"
                "\n"
                "  target_tracking_scaling_policy_configuration {\n"
                f"    target_value       = {_hcl_value(sc['target'])}\n"
                f"    scale_out_cooldown = {_hcl_value(sc['out'])}\n"
                f"    scale_in_cooldown  = {_hcl_value(sc['in'])}\n"
                "\n"
                "    predefined_metric_specification {\n"
                '      predefined_metric_type = "SageMakerVariantInvocationsPerInstance"\n'
                "    }\n"
                "  }\n"
                "}\n")
        return Fix("Add a scalable target and a target-tracking policy (in the module)", text)
    return None


def file_format(path: str) -> str:
    return "JSON" if path.lower().endswith(".json") else "YAML"


def render(fix: Fix, fmt: str) -> str:
    """The snippet as text in ``fmt`` (YAML, JSON or HCL), ready to paste."""
    if fmt == "HCL":
        return fix.snippet
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
    key = fix.replaces
    stripped = region.strip()
    if fmt == "HCL":  # only the whole ``key = value`` attribute of a .tf file (never a plan's JSON)
        if re.match(rf"{re.escape(key)}\s*=", stripped) and "\n" not in stripped:
            return fix.snippet.strip()
        return None
    value = fix.snippet[fix.replaces]
    if stripped.startswith(f'"{key}"'):
        return f'"{key}": {json.dumps(value)}'
    if stripped.startswith(key):
        return f"{key}: {json.dumps(value)}"
    if stripped and ":" not in stripped:  # the value alone
        return json.dumps(value)
    return None
