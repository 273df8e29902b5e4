import boto3


def test_moto_server_is_reached_over_http(moto_server):
    sm = boto3.client("sagemaker", region_name="us-east-1")
    assert sm.list_endpoints()["Endpoints"] == []
    assert sm.meta.endpoint_url == moto_server.url
