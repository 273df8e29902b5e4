"""`audit --shard K/N` over two regions of the loopback account: the shards
together are the whole audit, and `report` merges them into it."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.live


def run(capsys, *args):
    from auditor.cli import main

    capsys.readouterr()
    with pytest.raises(SystemExit) as e:
        main(list(args))
    cap = capsys.readouterr()
    return int(e.value.code or 0), cap.out, cap.err


def _endpoint(region, name):
    import boto3

    sm = boto3.client("sagemaker", region_name=region)
    sm.create_model(ModelName=name, ExecutionRoleArn="arn:aws:iam::123456789012:role/sm",
                    PrimaryContainer={"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/x:latest",
                                      "ModelDataUrl": "s3://b/m.tar.gz"})
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[
        {"VariantName": "v", "ModelName": name, "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}])
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name, Tags=[{"Key": "Environment", "Value": "prod"}])


def test_shards_together_are_the_whole_audit(moto_server, capsys, tmp_path):
    _endpoint("us-east-1", "east-ep")
    _endpoint("eu-west-1", "west-ep")
    regions = ["--region", "us-east-1", "--region", "eu-west-1"]
    code, whole, _ = run(capsys, "audit", *regions, "-f", "json")
    parts = []
    for k in (1, 2):
        code, out, err = run(capsys, "audit", *regions, "--shard", f"{k}/2", "-f", "json")
        assert code in (0, 1), err
        (tmp_path / f"s{k}.json").write_text(out)
        parts.append(json.loads(out))
    assert sorted(r for p in parts for r in p["run"]["regions"]) == ["eu-west-1", "us-east-1"]
    assert [p["run"]["regions"] for p in parts] == [["eu-west-1"], ["us-east-1"]]  # sorted pairs, one each
    code, merged, err = run(capsys, "report", str(tmp_path / "s1.json"), str(tmp_path / "s2.json"), "-f", "json")

    def fps(doc):
        return sorted((f["rule"], f["fingerprint"]) for f in json.loads(doc)["findings"])

    assert fps(merged) == fps(whole) and fps(merged)
    code, out, err = run(capsys, "audit", *regions, "--shard", "3/2")
    assert code == 2 and "use K/N" in err
