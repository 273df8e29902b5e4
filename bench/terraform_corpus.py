"""Generated Terraform modules shaped like tests/data/terraform-corpus: a
model, an endpoint config and an endpoint with variables and tfvars,
locals, interpolation, count toggles, for_each, dynamic blocks, provider
default_tags, and in some modules autoscaling, alarms, data capture, an IAM
role with a policy document and a versioned, encrypted bucket. Deterministic
for a given count."""

from __future__ import annotations

from pathlib import Path

PROVIDER = '''terraform {{
  required_providers {{
    aws = {{
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }}
  }}
}}

provider "aws" {{
  region = var.region
  default_tags {{
    tags = {{
      Environment = var.environment
      Project     = "{name}"
    }}
  }}
}}
'''

VARIABLES = '''variable "region" {{
  type    = string
  default = "us-east-1"
}}

variable "environment" {{
  type    = string
  default = "{env}"
}}

variable "name" {{
  type    = string
  default = "{name}"
}}

variable "image_uri" {{
  type    = string
  default = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1.0-gpu-py310"
}}

variable "model_data_url" {{
  type    = string
  default = null
}}

variable "variants" {{
  type = map(object({{
    instance_type  = string
    instance_count = number
    weight         = number
  }}))
  default = {{
    primary = {{ instance_type = "{itype}", instance_count = {count}, weight = 1 }}
  }}
}}

variable "enable_autoscaling" {{
  type    = bool
  default = {autoscaling}
}}

variable "enable_data_capture" {{
  type    = bool
  default = {capture}
}}
'''

MAIN = '''locals {{
  prefix      = "${{var.name}}-${{var.environment}}"
  bucket_name = lower("${{local.prefix}}-artifacts-{i}")
  common_tags = merge({{ ManagedBy = "terraform" }}, {{ Owner = "ml-team" }})
}}

resource "aws_sagemaker_model" "this" {{
  name               = "${{local.prefix}}-model"
  execution_role_arn = aws_iam_role.sagemaker.arn

  primary_container {{
    image          = var.image_uri
    model_data_url = coalesce(var.model_data_url, "s3://${{local.bucket_name}}/model/model.tar.gz")
    environment = {{
      SAGEMAKER_PROGRAM = "inference.py"
    }}
  }}

  tags = local.common_tags
}}

resource "aws_sagemaker_endpoint_configuration" "this" {{
  name        = "${{local.prefix}}-config"
  kms_key_arn = {kms}

  dynamic "production_variants" {{
    for_each = var.variants
    content {{
      variant_name           = production_variants.key
      model_name             = aws_sagemaker_model.this.name
      instance_type          = production_variants.value.instance_type
      initial_instance_count = production_variants.value.instance_count
      initial_variant_weight = production_variants.value.weight
    }}
  }}

  dynamic "data_capture_config" {{
    for_each = var.enable_data_capture ? [1] : []
    content {{
      enable_capture              = true
      initial_sampling_percentage = 20
      destination_s3_uri          = "s3://${{local.bucket_name}}/capture"
      capture_options {{
        capture_mode = "Input"
      }}
      capture_options {{
        capture_mode = "Output"
      }}
    }}
  }}

  tags = local.common_tags
}}

resource "aws_sagemaker_endpoint" "this" {{
  name                 = "${{local.prefix}}-endpoint"
  endpoint_config_name = aws_sagemaker_endpoint_configuration.this.name
{deployment}
  tags = local.common_tags
}}
'''

DEPLOYMENT = '''
  deployment_config {
    blue_green_update_policy {
      traffic_routing_configuration {
        type                     = "CANARY"
        wait_interval_in_seconds = 300
        canary_size {
          type  = "CAPACITY_PERCENT"
          value = 10
        }
      }
    }
    auto_rollback_configuration {
      alarms {
        alarm_name = aws_cloudwatch_metric_alarm.errors.alarm_name
      }
    }
  }
'''

AUTOSCALING = '''resource "aws_appautoscaling_target" "variant" {{
  for_each           = var.enable_autoscaling ? var.variants : {{}}
  service_namespace  = "sagemaker"
  resource_id        = "endpoint/${{aws_sagemaker_endpoint.this.name}}/variant/${{each.key}}"
  scalable_dimension = "sagemaker:variant:DesiredInstanceCount"
  min_capacity       = each.value.instance_count
  max_capacity       = each.value.instance_count * 4
}}

resource "aws_appautoscaling_policy" "variant" {{
  for_each           = aws_appautoscaling_target.variant
  name               = "${{local.prefix}}-${{each.key}}-invocations"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = each.value.service_namespace
  resource_id        = each.value.resource_id
  scalable_dimension = each.value.scalable_dimension

  target_tracking_scaling_policy_configuration {{
    target_value       = 70
    scale_in_cooldown  = 300
    scale_out_cooldown = 60
    predefined_metric_specification {{
      predefined_metric_type = "SageMakerVariantInvocationsPerInstance"
    }}
  }}
}}

resource "aws_cloudwatch_metric_alarm" "errors" {{
  alarm_name          = "${{local.prefix}}-5xx"
  namespace           = "AWS/SageMaker"
  metric_name         = "Invocation5XXErrors"
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 5
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  dimensions = {{
    EndpointName = aws_sagemaker_endpoint.this.name
    VariantName  = "primary"
  }}
}}
'''

IAM = '''data "aws_iam_policy_document" "assume" {{
  statement {{
    actions = ["sts:AssumeRole"]
    principals {{
      type        = "Service"
      identifiers = ["sagemaker.amazonaws.com"]
    }}
  }}
}}

data "aws_iam_policy_document" "access" {{
  statement {{
    actions   = ["s3:GetObject", "s3:ListBucket"]
    resources = [aws_s3_bucket.artifacts.arn, "${{aws_s3_bucket.artifacts.arn}}/*"]
  }}
  statement {{
    actions   = [{actions}]
    resources = ["*"]
  }}
}}

resource "aws_iam_role" "sagemaker" {{
  name               = "${{local.prefix}}-role"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}}

resource "aws_iam_role_policy" "access" {{
  name   = "access"
  role   = aws_iam_role.sagemaker.id
  policy = data.aws_iam_policy_document.access.json
}}

resource "aws_s3_bucket" "artifacts" {{
  bucket = local.bucket_name
}}

resource "aws_s3_bucket_versioning" "artifacts" {{
  count  = {versioning}
  bucket = aws_s3_bucket.artifacts.id
  versioning_configuration {{
    status = "Enabled"
  }}
}}

resource "aws_s3_bucket_server_side_encryption_configuration" "artifacts" {{
  bucket = aws_s3_bucket.artifacts.id
  rule {{
    apply_server_side_encryption_by_default {{
      sse_algorithm = "aws:kms"
    }}
  }}
}}
'''

ITYPES = ("ml.m5.large", "ml.g5.xlarge", "ml.c5.xlarge", "ml.g5.2xlarge", "ml.m5.xlarge")


def module(i: int) -> dict[str, str]:
    name = f"svc{i:03d}"
    env = ("prod", "dev", "staging", "production")[i % 4]
    files = {
        "providers.tf": PROVIDER.format(name=name),
        "variables.tf": VARIABLES.format(env=env, name=name, itype=ITYPES[i % len(ITYPES)], count=1 + i % 3,
                                         autoscaling=str(i % 2 == 0).lower(), capture=str(i % 3 != 0).lower()),
        "main.tf": MAIN.format(i=i, kms='"arn:aws:kms:us-east-1:111111111111:key/abc"' if i % 4 else "null",
                               deployment=DEPLOYMENT if i % 2 == 0 else ""),
        "iam.tf": IAM.format(actions='"sagemaker:InvokeEndpoint"' if i % 5 else '"sagemaker:*"',
                             versioning=1 if i % 3 else 0),
    }
    if i % 2 == 0:
        files["monitoring.tf"] = AUTOSCALING.format()
    else:  # without autoscaling the deployment config has no alarm to name
        files["main.tf"] = files["main.tf"]
    if i % 4 == 1:
        files["terraform.tfvars"] = f'environment = "production"\nname = "{name}-tf"\n'
    return files


def generate(out: Path, n: int = 200) -> list[Path]:
    dirs = []
    for i in range(n):
        d = out / f"module{i:03d}"
        d.mkdir(parents=True, exist_ok=True)
        for fname, text in module(i).items():
            (d / fname).write_text(text)
        dirs.append(d)
    return dirs


if __name__ == "__main__":  # pragma: no cover
    import sys

    generate(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 200)
