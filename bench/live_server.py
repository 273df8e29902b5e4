"""Benchmark server: a loopback moto server seeded with N SageMaker endpoints,
behind a proxy that adds a fixed per-request latency (like a real AWS region).
Runs in its own process so the audited client and the server do not share a
GIL; ``bench/live_audit.py`` drives it through a pipe."""

from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

REGION = "us-east-1"
ACCOUNT = "123456789012"
IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1.0-cpu-py310"


def seed(url: str, n: int) -> None:
    """N endpoints, each with its own config and model (the worst case for
    describe calls), a third of them tagged production."""
    import boto3

    sm = boto3.client("sagemaker", region_name=REGION, endpoint_url=url, aws_access_key_id="bench",
                      aws_secret_access_key="bench")

    def one(i: int) -> None:
        name = f"bench-{i:04d}"
        env = "prod" if i % 3 == 0 else "dev"
        tags = [{"Key": "Environment", "Value": env}, {"Key": "Team", "Value": f"team-{i % 7}"}]
        sm.create_model(ModelName=f"{name}-model", ExecutionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/SageMakerRole",
                        PrimaryContainer={"Image": IMAGE,
                                          "ModelDataUrl": f"s3://bench-artifacts/models/{name}/v1.0.0/model.tar.gz"},
                        Tags=tags)
        sm.create_endpoint_config(EndpointConfigName=f"{name}-config", Tags=tags, ProductionVariants=[
            {"VariantName": "AllTraffic", "ModelName": f"{name}-model", "InstanceType": "ml.m5.large",
             "InitialInstanceCount": 1 + i % 2}])
        sm.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config", Tags=tags)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, range(n)))


def warm_up(url: str) -> None:
    """moto builds each service's backend on its first request (seconds for
    EC2 or IAM): pay that before timing anything, for every tool alike."""
    import boto3

    kw = dict(region_name=REGION, endpoint_url=url, aws_access_key_id="bench", aws_secret_access_key="bench")
    calls = [("sagemaker", "list_endpoints", {}), ("resourcegroupstaggingapi", "get_resources", {}),
             ("application-autoscaling", "describe_scalable_targets", {"ServiceNamespace": "sagemaker"}),
             ("cloudwatch", "describe_alarms", {}), ("cloudwatch", "list_dashboards", {}),
             ("logs", "describe_log_groups", {}), ("ec2", "describe_vpc_endpoints", {}),
             ("ec2", "describe_subnets", {}), ("ec2", "describe_regions", {}),
             ("iam", "get_account_authorization_details", {}), ("cloudtrail", "describe_trails", {}),
             ("sts", "get_caller_identity", {}), ("s3", "list_buckets", {})]
    for svc, method, args in calls:
        getattr(boto3.client(svc, **kw), method)(**args)


def serve(n: int, delay: float, conn) -> None:  # noqa: ANN001 - multiprocessing pipe
    import logging

    from auditor.live import moto_ext
    from auditor.live.server import LocalServer
    from latency_proxy import LatencyProxy

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    moto_ext.install()
    server = LocalServer().start()
    seed(server.url, n)
    warm_up(server.url)
    proxy = LatencyProxy(server.url, delay=delay).start()
    conn.send({"moto": server.url, "proxy": proxy.url})
    while True:
        msg = conn.recv()
        if msg == "count":
            conn.send(proxy.requests)
        elif msg == "reset-count":
            proxy.requests = 0
            conn.send(0)
        else:
            break
    proxy.stop()
    server.stop()
