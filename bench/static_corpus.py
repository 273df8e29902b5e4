"""Generate N small, realistic SageMaker templates (the shapes found in
tests/data/corpus: model + endpoint config + endpoint, parameters with and
without defaults, Fn::Sub/Join/GetAtt/If, autoscaling, alarms, tags; YAML
with short-form tags, and some JSON) into a directory."""

from __future__ import annotations

import json
import random
from pathlib import Path

IMAGES = [
    "763104351884.dkr.ecr.{region}.amazonaws.com/pytorch-inference:2.1.0-cpu-py310",
    "683313688378.dkr.ecr.{region}.amazonaws.com/sagemaker-xgboost:1.7-1",
    "123456789012.dkr.ecr.{region}.amazonaws.com/custom:latest",
]
TYPES = ["ml.m5.large", "ml.m5.xlarge", "ml.c5.2xlarge", "ml.g5.xlarge", "ml.t2.medium"]


def yaml_template(i: int, rng: random.Random) -> str:
    count = rng.choice([1, 2, 3])
    itype = rng.choice(TYPES)
    image = rng.choice(IMAGES).format(region=rng.choice(["us-east-1", "eu-west-1"]))
    env = rng.choice(["prod", "dev", "staging"])
    autoscale = rng.random() < 0.5
    alarms = rng.random() < 0.4
    capture = rng.random() < 0.5
    parts = [f"""\
AWSTemplateFormatVersion: '2010-09-09'
Description: generated endpoint stack {i}
Parameters:
  ModelName:
    Type: String
    Default: model-{i}
  EndpointName:
    Type: String
  InstanceCount:
    Type: Number
    Default: {count}
  Env:
    Type: String
    Default: {env}
    AllowedValues: [dev, staging, prod]
  ExecutionRoleArn:
    Type: String
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Model:
    Type: AWS::SageMaker::Model
    Properties:
      ModelName: !Sub ${{ModelName}}-${{AWS::StackName}}
      ExecutionRoleArn: !Ref ExecutionRoleArn
      PrimaryContainer:
        Image: {image}
        ModelDataUrl: !Sub s3://${{ArtifactBucket}}/models/${{ModelName}}/v1.{i % 10}.0/model.tar.gz
      VpcConfig:
        SecurityGroupIds: [sg-0123456789abcdef0]
        Subnets: [subnet-0aaa{i:04d}, subnet-0bbb{i:04d}]
  ArtifactBucket:
    Type: AWS::S3::Bucket
    Properties:
      VersioningConfiguration: {{Status: Enabled}}
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault: {{SSEAlgorithm: aws:kms}}
  EndpointConfig:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      KmsKeyId: !If [IsProd, alias/ml-prod, !Ref AWS::NoValue]
      ProductionVariants:
        - VariantName: AllTraffic
          ModelName: !GetAtt Model.ModelName
          InitialInstanceCount: !Ref InstanceCount
          InstanceType: {itype}
          InitialVariantWeight: 1
"""]
    if capture:
        parts.append("""\
      DataCaptureConfig:
        EnableCapture: true
        InitialSamplingPercentage: 20
        DestinationS3Uri: !Sub s3://${ArtifactBucket}/capture
        CaptureOptions: [{CaptureMode: Input}, {CaptureMode: Output}]
""")
    parts.append(f"""\
      Tags:
        - {{Key: Environment, Value: !Ref Env}}
        - {{Key: Team, Value: ml-{i % 7}}}
  Endpoint:
    Type: AWS::SageMaker::Endpoint
    Properties:
      EndpointName: !Ref EndpointName
      EndpointConfigName: !GetAtt EndpointConfig.EndpointConfigName
      Tags:
        - {{Key: Environment, Value: !Ref Env}}
""")
    if autoscale:
        parts.append(f"""\
  ScalableTarget:
    Type: AWS::ApplicationAutoScaling::ScalableTarget
    Properties:
      MinCapacity: {rng.choice([1, 2])}
      MaxCapacity: {rng.choice([4, 6])}
      ResourceId: !Join ['/', [endpoint, !GetAtt Endpoint.EndpointName, variant, AllTraffic]]
      ScalableDimension: sagemaker:variant:DesiredInstanceCount
      ServiceNamespace: sagemaker
  ScalingPolicy:
    Type: AWS::ApplicationAutoScaling::ScalingPolicy
    Properties:
      PolicyName: invocations
      PolicyType: TargetTrackingScaling
      ScalingTargetId: !Ref ScalableTarget
      TargetTrackingScalingPolicyConfiguration:
        TargetValue: {rng.choice([70, 100])}
        ScaleInCooldown: 300
        ScaleOutCooldown: 60
        PredefinedMetricSpecification:
          PredefinedMetricType: SageMakerVariantInvocationsPerInstance
""")
    if alarms:
        parts.append("""\
  LatencyAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Namespace: AWS/SageMaker
      MetricName: ModelLatency
      ExtendedStatistic: p99
      Period: 60
      EvaluationPeriods: 5
      Threshold: 500000
      ComparisonOperator: GreaterThanThreshold
      Dimensions:
        - {Name: EndpointName, Value: !GetAtt Endpoint.EndpointName}
        - {Name: VariantName, Value: AllTraffic}
""")
    return "".join(parts)


def json_template(i: int, rng: random.Random) -> str:
    """CDK-synthesised shape: logical IDs with hashes, long-form intrinsics."""
    h = f"{rng.getrandbits(32):08X}"
    tpl = {
        "Resources": {
            f"Model{h}": {"Type": "AWS::SageMaker::Model", "Properties": {
                "ExecutionRoleArn": {"Fn::GetAtt": [f"Role{h}", "Arn"]},
                "PrimaryContainer": {"Image": IMAGES[i % 3].format(region="us-east-1"),
                                     "ModelDataUrl": f"s3://artifacts-{i}/models/m{i}/v2.0.{i % 5}/model.tar.gz"}}},
            f"Role{h}": {"Type": "AWS::IAM::Role", "Properties": {
                "AssumeRolePolicyDocument": {"Statement": [{"Action": "sts:AssumeRole", "Effect": "Allow",
                                                            "Principal": {"Service": "sagemaker.amazonaws.com"}}]},
                "ManagedPolicyArns": [{"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"},
                                                         ":iam::aws:policy/AmazonSageMakerFullAccess"]]}]}},
            f"Config{h}": {"Type": "AWS::SageMaker::EndpointConfig", "Properties": {
                "ProductionVariants": [{"VariantName": "AllTraffic", "InitialInstanceCount": rng.choice([1, 2]),
                                        "InstanceType": rng.choice(TYPES), "InitialVariantWeight": 1,
                                        "ModelName": {"Fn::GetAtt": [f"Model{h}", "ModelName"]}}]}},
            f"Endpoint{h}": {"Type": "AWS::SageMaker::Endpoint", "Properties": {
                "EndpointConfigName": {"Fn::GetAtt": [f"Config{h}", "EndpointConfigName"]},
                "Tags": [{"Key": "Environment", "Value": "prod"}]}},
            "CDKMetadata": {"Type": "AWS::CDK::Metadata", "Properties": {"Analytics": "v2:deflate64:H4sIAAAA"}},
        },
        "Parameters": {"BootstrapVersion": {"Type": "AWS::SSM::Parameter::Value<String>",
                                            "Default": "/cdk-bootstrap/hnb659fds/version"}},
    }
    return json.dumps(tpl, indent=1)


def generate(out: Path, n: int = 200, seed: int = 7) -> list[Path]:
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for i in range(n):
        if i % 5 == 4:
            f = out / f"stack-{i:03d}.template.json"
            f.write_text(json_template(i, rng))
        else:
            f = out / f"stack-{i:03d}.yaml"
            f.write_text(yaml_template(i, rng))
        files.append(f)
    return files


if __name__ == "__main__":
    import sys

    target = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/sm-audit-bench")
    print(len(generate(target)), "templates in", target)
