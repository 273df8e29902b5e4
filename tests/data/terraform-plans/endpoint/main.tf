provider "aws" {
  region = "us-east-1"
  default_tags {
    tags = { Environment = "prod" }
  }
}

variable "instances" {}

resource "aws_sagemaker_model" "m" {
  execution_role_arn = "arn:aws:iam::111111111111:role/sm"
  primary_container {
    image = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1.0-cpu-py310"
  }
}

resource "aws_sagemaker_endpoint_configuration" "main" {
  name = "demo-cfg"
  production_variants {
    variant_name           = "AllTraffic"
    model_name             = aws_sagemaker_model.m.name
    instance_type          = "ml.m5.large"
    initial_instance_count = var.instances
  }
}

resource "aws_sagemaker_endpoint" "e" {
  name                 = "demo"
  endpoint_config_name = aws_sagemaker_endpoint_configuration.main.name
}

resource "aws_sagemaker_endpoint_configuration" "old" {
  name = "old-cfg"
  production_variants {
    variant_name           = "AllTraffic"
    model_name             = "gone"
    instance_type          = "ml.m5.large"
    initial_instance_count = 1
  }
}
