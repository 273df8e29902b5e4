"""Terraform resource values -> the Inventory's CloudFormation-shaped
properties, with a map from every property path to the Terraform attribute
path it came from (so findings point at the ``.tf`` line of the attribute).

Nested attribute names convert mechanically (``initial_instance_count`` ->
``InitialInstanceCount``); the exceptions are listed. Nested blocks are
lists in Terraform: a block CloudFormation holds once (``primary_container``)
becomes its first item, a repeated one (``production_variants``) a list."""

from __future__ import annotations

import json
from typing import Any, Optional

from ...values import UNKNOWN_TYPES, Unknown
from .evaluate import JsonText

# snake_case words whose CloudFormation spelling is not the plain title case
SPECIAL = {
    "memory_size_in_mb": "MemorySizeInMB", "sse_algorithm": "SSEAlgorithm", "kms_master_key_id": "KMSMasterKeyID",
    "role_arn": "RoleARN", "s3_uri": "S3Uri", "arn": "Arn",
    "apply_server_side_encryption_by_default": "ServerSideEncryptionByDefault",
    "target_tracking_scaling_policy_configuration": "TargetTrackingScalingPolicyConfiguration",
}
# blocks that CloudFormation holds as lists, under their CloudFormation name
LIST_BLOCKS = {
    "production_variants": "ProductionVariants", "shadow_production_variants": "ShadowProductionVariants",
    "container": "Containers", "capture_options": "CaptureOptions", "alarms": "Alarms",
    "event_selector": "EventSelectors", "data_resource": "DataResources",
    "advanced_event_selector": "AdvancedEventSelectors", "field_selector": "FieldSelectors",
    "metric_query": "Metrics", "dimensions": "Dimensions", "rule": "ServerSideEncryptionConfiguration",
    "step_adjustment": "StepAdjustments", "metrics": "Metrics",  # scaling policies
}


# blocks Terraform allows once (CloudFormation: an object); an empty list of them is absence
SINGLE_BLOCKS = {
    "primary_container", "vpc_config", "serverless_config", "managed_instance_scaling", "routing_config",
    "data_capture_config", "async_inference_config", "output_config", "client_config", "notification_config",
    "deployment_config", "blue_green_update_policy", "traffic_routing_configuration", "canary_size",
    "linear_step_size", "rolling_update_policy", "maximum_batch_size", "rollback_maximum_batch_size",
    "auto_rollback_configuration", "target_tracking_scaling_policy_configuration",
    "predefined_metric_specification", "customized_metric_specification", "step_scaling_policy_configuration",
    "monitoring_schedule_config", "schedule_config", "image_config", "model_data_source", "s3_data_source",
    "inference_execution_config", "capture_content_type_header", "suspended_state", "explainer_config",
    "core_dump_config", "multi_model_config", "repository_auth_config", "versioning_configuration",
}


def camel(name: str) -> str:
    if name in SPECIAL:
        return SPECIAL[name]
    return "".join(w[:1].upper() + w[1:] for w in name.split("_"))


def _convert(v: Any, tf: tuple, cfn: tuple, pathmap: dict, base: tuple) -> Any:
    """Nested values: keys renamed, blocks (lists of objects) kept as lists;
    the caller picks single blocks."""
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            if x is None or (x == [] and k in SINGLE_BLOCKS):
                continue
            ck, single = _key(k, x)
            out[ck] = _block_or_value(x, tf + (k,), cfn + (ck,), pathmap, base, single)
        return out
    if isinstance(v, list):
        return [_convert(x, tf + (i,), cfn + (i,), pathmap, base) for i, x in enumerate(v)]
    return v


def _key(k: str, x: Any) -> tuple[str, bool]:
    if k in LIST_BLOCKS:
        return LIST_BLOCKS[k], False
    is_block = isinstance(x, list) and x and all(isinstance(i, dict) for i in x)
    return camel(k), bool(is_block)


def _block_or_value(x: Any, tf: tuple, cfn: tuple, pathmap: dict, base: tuple, single: bool) -> Any:
    pathmap[cfn] = base + tf
    if single:  # a block Terraform allows once: CloudFormation holds an object
        pathmap[cfn] = base + tf + (0,)
        return _convert(x[0], tf + (0,), cfn, pathmap, base)
    if isinstance(x, list) and all(isinstance(i, dict) for i in x):
        for i in range(len(x)):
            pathmap[cfn + (i,)] = base + tf + (i,)
    return _convert(x, tf, cfn, pathmap, base)


def generic(v: dict, pathmap: dict, base: tuple, rename: Optional[dict] = None, drop: tuple = ()) -> dict:
    out: dict = {}
    rename = rename or {}
    for k, x in v.items():
        if k in drop or x is None or (x == [] and k in SINGLE_BLOCKS):
            continue
        if k in rename:
            ck, single = rename[k], isinstance(x, list) and bool(x) and all(isinstance(i, dict) for i in x) \
                and k not in LIST_BLOCKS
        else:
            ck, single = _key(k, x)
        out[ck] = _block_or_value(x, (k,), (ck,), pathmap, base, single)
    return out


def policy_document(v: Any) -> Any:
    """A ``policy`` attribute: JSON text, jsonencode(...) or a policy document's ``json``."""
    if isinstance(v, JsonText):
        return v.value
    if isinstance(v, UNKNOWN_TYPES) or v is None or isinstance(v, dict):
        return v
    if isinstance(v, str):
        try:
            d = json.loads(v)
        except ValueError:
            return Unknown("policy is not valid JSON")
        return d if isinstance(d, dict) else Unknown("policy is not a JSON object")
    return Unknown("policy cannot be read")


def _tags(v: dict, default_tags: Any) -> Any:
    tags = v.get("tags")
    if isinstance(default_tags, UNKNOWN_TYPES) and default_tags is not None:
        return Unknown(f"provider default_tags cannot be determined ({default_tags.describe()})")
    if isinstance(tags, UNKNOWN_TYPES):
        return tags
    if not tags and not default_tags:
        return None
    merged = dict(default_tags or {})
    merged.update(tags or {})
    return merged


def convert(rtype: str, v: dict, base: tuple, default_tags: Any) -> Optional[tuple[str, str, dict, dict]]:
    """(inventory kind, CloudFormation type, properties, pathmap), or None for
    a type the Inventory has no model for."""
    spec = TYPES.get(rtype)
    if spec is None:
        return None
    kind, cfn_type, fn = spec
    pathmap: dict = {}
    props = fn(v, pathmap, base)
    tags = _tags(v, default_tags)
    if tags is not None:
        props["Tags"] = tags
        if "tags" in v:
            pathmap[("Tags",)] = base + ("tags",)
            if isinstance(v["tags"], dict):
                for k in v["tags"]:
                    pathmap[("Tags", k)] = base + ("tags", k)
    else:
        props.pop("Tags", None)
    return kind, cfn_type, props, pathmap


def _model(v, pm, base):
    return generic(v, pm, base, {"name": "ModelName"}, drop=("tags", "tags_all"))


def _endpoint_config(v, pm, base):
    p = generic(v, pm, base, {"name": "EndpointConfigName", "kms_key_arn": "KmsKeyId"},
                drop=("tags", "tags_all", "name_prefix"))
    for key in ("ProductionVariants", "ShadowProductionVariants"):
        for item in p.get(key) if isinstance(p.get(key), list) else []:
            if isinstance(item, dict) and item.get("VariantName") is None:
                item["VariantName"] = Unknown("variant_name is not set: the provider generates one")
    if "name" not in v and "name_prefix" in v:
        p["EndpointConfigName"] = Unknown("name is generated from name_prefix")
    return p


def _endpoint(v, pm, base):
    return generic(v, pm, base, {"name": "EndpointName"}, drop=("tags", "tags_all"))


def _target(v, pm, base):
    return generic(v, pm, base, drop=("tags", "tags_all"))


def _policy(v, pm, base):
    return generic(v, pm, base, {"name": "PolicyName"})


def _alarm(v, pm, base):
    p = generic(v, pm, base, {"alarm_name": "AlarmName"}, drop=("tags", "tags_all", "dimensions"))
    dims = v.get("dimensions")
    if isinstance(dims, dict):
        p["Dimensions"] = [{"Name": k, "Value": x} for k, x in dims.items()]
        for i, k in enumerate(dims):
            pm[("Dimensions", i)] = base + ("dimensions", k)
    elif dims is not None:
        p["Dimensions"] = dims if isinstance(dims, UNKNOWN_TYPES) else Unknown("dimensions cannot be read")
        pm[("Dimensions",)] = base + ("dimensions",)
    return p


def _dashboard(v, pm, base):
    return generic(v, pm, base)


def _log_group(v, pm, base):
    return generic(v, pm, base, {"name": "LogGroupName"}, drop=("tags", "tags_all", "name_prefix"))


def _schedule(v, pm, base):
    return generic(v, pm, base, {"name": "MonitoringScheduleName"}, drop=("tags", "tags_all"))


def _job_definition(v, pm, base):
    return generic(v, pm, base, {"name": "JobDefinitionName", "job_definition_name": "JobDefinitionName"},
                   drop=("tags", "tags_all"))


def _package_group(v, pm, base):
    return generic(v, pm, base, drop=("tags", "tags_all"))


def _bucket(v, pm, base):
    p = generic(v, pm, base, {"bucket": "BucketName"},
                drop=("tags", "tags_all", "versioning", "server_side_encryption_configuration", "bucket_prefix"))
    ver = v.get("versioning")
    if isinstance(ver, list) and ver:
        en = ver[0].get("enabled")
        p["VersioningConfiguration"] = {"Status": "Enabled" if en is True else "Suspended" if en is False else en}
        pm[("VersioningConfiguration",)] = base + ("versioning", 0)
        pm[("VersioningConfiguration", "Status")] = base + ("versioning", 0, "enabled")
    sse = v.get("server_side_encryption_configuration")
    if isinstance(sse, list) and sse:
        p["BucketEncryption"] = sse_config(sse[0], pm, base + ("server_side_encryption_configuration", 0))
        pm[("BucketEncryption",)] = base + ("server_side_encryption_configuration", 0)
    return p


def sse_config(v: dict, pm: dict, base: tuple) -> Any:
    rules = v.get("rule")
    if isinstance(rules, UNKNOWN_TYPES):
        return {"ServerSideEncryptionConfiguration": rules}
    out = []
    for i, r in enumerate(rules or []):
        d = r.get("apply_server_side_encryption_by_default")
        item: dict = {}
        if isinstance(d, list) and d:
            item["ServerSideEncryptionByDefault"] = {"SSEAlgorithm": d[0].get("sse_algorithm"),
                                                     "KMSMasterKeyID": d[0].get("kms_master_key_id")}
            pm[("BucketEncryption", "ServerSideEncryptionConfiguration", i, "ServerSideEncryptionByDefault")] = \
                base + ("rule", i, "apply_server_side_encryption_by_default", 0)
        elif isinstance(d, UNKNOWN_TYPES):
            item["ServerSideEncryptionByDefault"] = d
        if r.get("bucket_key_enabled") is not None:
            item["BucketKeyEnabled"] = r["bucket_key_enabled"]
        out.append(item)
        pm[("BucketEncryption", "ServerSideEncryptionConfiguration", i)] = base + ("rule", i)
    return {"ServerSideEncryptionConfiguration": out}


def _subnet(v, pm, base):
    return generic(v, pm, base, drop=("tags", "tags_all"))


def _vpc_endpoint(v, pm, base):
    return generic(v, pm, base, drop=("tags", "tags_all"))


def _role(v, pm, base):
    p = generic(v, pm, base, {"name": "RoleName"},
                drop=("tags", "tags_all", "assume_role_policy", "inline_policy", "name_prefix"))
    if "assume_role_policy" in v:
        p["AssumeRolePolicyDocument"] = policy_document(v["assume_role_policy"])
        pm[("AssumeRolePolicyDocument",)] = base + ("assume_role_policy",)
    inline = v.get("inline_policy")
    if isinstance(inline, list):
        pols = []
        for i, ip in enumerate(inline):
            if ip.get("policy") is None:
                continue
            pols.append({"PolicyName": ip.get("name"), "PolicyDocument": policy_document(ip.get("policy"))})
            pm[("Policies", len(pols) - 1)] = base + ("inline_policy", i)
            pm[("Policies", len(pols) - 1, "PolicyDocument")] = base + ("inline_policy", i, "policy")
        p["Policies"] = pols
    elif isinstance(inline, UNKNOWN_TYPES):
        p["Policies"] = inline
    return p


def _iam_policy(v, pm, base):
    p = generic(v, pm, base, {"name": "PolicyName"}, drop=("tags", "tags_all", "policy", "role", "name_prefix"))
    p["PolicyDocument"] = policy_document(v.get("policy"))
    pm[("PolicyDocument",)] = base + ("policy",)
    if "role" in v:
        p["Roles"] = [v["role"]]
        pm[("Roles",)] = base + ("role",)
    return p


def _trail(v, pm, base):
    p = generic(v, pm, base, {"name": "TrailName", "enable_logging": "IsLogging"}, drop=("tags", "tags_all"))
    if "enable_logging" not in v:
        p["IsLogging"] = True  # the provider's default
    return p


TYPES: dict[str, tuple[str, str, Any]] = {
    "aws_sagemaker_model": ("Model", "AWS::SageMaker::Model", _model),
    "aws_sagemaker_endpoint_configuration": ("EndpointConfig", "AWS::SageMaker::EndpointConfig", _endpoint_config),
    "aws_sagemaker_endpoint": ("Endpoint", "AWS::SageMaker::Endpoint", _endpoint),
    "aws_sagemaker_model_package_group": ("ModelPackageGroup", "AWS::SageMaker::ModelPackageGroup", _package_group),
    "aws_sagemaker_monitoring_schedule": ("MonitoringSchedule", "AWS::SageMaker::MonitoringSchedule", _schedule),
    "aws_sagemaker_data_quality_job_definition": ("MonitoringJobDefinition",
                                                  "AWS::SageMaker::DataQualityJobDefinition", _job_definition),
    "aws_sagemaker_model_quality_job_definition": ("MonitoringJobDefinition",
                                                   "AWS::SageMaker::ModelQualityJobDefinition", _job_definition),
    "aws_sagemaker_model_bias_job_definition": ("MonitoringJobDefinition",
                                                "AWS::SageMaker::ModelBiasJobDefinition", _job_definition),
    "aws_sagemaker_model_explainability_job_definition": ("MonitoringJobDefinition",
                                                          "AWS::SageMaker::ModelExplainabilityJobDefinition",
                                                          _job_definition),
    "aws_appautoscaling_target": ("ScalableTarget", "AWS::ApplicationAutoScaling::ScalableTarget", _target),
    "aws_appautoscaling_policy": ("ScalingPolicy", "AWS::ApplicationAutoScaling::ScalingPolicy", _policy),
    "aws_cloudwatch_metric_alarm": ("Alarm", "AWS::CloudWatch::Alarm", _alarm),
    "aws_cloudwatch_dashboard": ("Dashboard", "AWS::CloudWatch::Dashboard", _dashboard),
    "aws_cloudwatch_log_group": ("LogGroup", "AWS::Logs::LogGroup", _log_group),
    "aws_s3_bucket": ("Bucket", "AWS::S3::Bucket", _bucket),
    "aws_subnet": ("Subnet", "AWS::EC2::Subnet", _subnet),
    "aws_vpc_endpoint": ("VpcEndpoint", "AWS::EC2::VPCEndpoint", _vpc_endpoint),
    "aws_iam_role": ("IamRole", "AWS::IAM::Role", _role),
    "aws_iam_policy": ("IamPolicy", "AWS::IAM::ManagedPolicy", _iam_policy),
    "aws_iam_role_policy": ("IamPolicy", "AWS::IAM::Policy", _iam_policy),
    "aws_cloudtrail": ("Trail", "AWS::CloudTrail::Trail", _trail),
}
# resources that change another resource (merged into it by the loader)
ATTACHMENTS = {"aws_s3_bucket_versioning", "aws_s3_bucket_server_side_encryption_configuration",
               "aws_iam_role_policy_attachment", "aws_iam_role_policies_exclusive",
               "aws_iam_role_policy_attachments_exclusive"}
