"""Sessions of an audit share botocore's parsed service models (one loader
per process) but nothing else: credentials and regions stay per session,
and threads may build clients at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from auditor.live.session import Credentials, SessionFactory, new_session


def _loader(session):
    return session._session.get_component("data_loader")


def test_sessions_share_the_parsed_models_and_nothing_else():
    f = SessionFactory()
    a = f.session("us-east-1", Credentials("AKIDA", "secret-a"))
    b = f.session("eu-west-1", Credentials("AKIDB", "secret-b", "token-b"))
    assert _loader(a) is _loader(b) is _loader(new_session())
    assert (a.region_name, b.region_name) == ("us-east-1", "eu-west-1")
    assert a.get_credentials().access_key == "AKIDA" and b.get_credentials().token == "token-b"
    ca, cb = f.client(a, "sagemaker"), f.client(b, "sagemaker")
    assert (ca.meta.region_name, cb.meta.region_name) == ("us-east-1", "eu-west-1")
    # every boto3.Session adds its data directory to the loader: once, however many share it
    paths = list(_loader(a).search_paths)
    for _ in range(5):
        new_session()
    assert _loader(a).search_paths == paths and len(set(paths)) == len(paths)


def test_threads_build_clients_at_once():
    services = ["sagemaker", "cloudwatch", "application-autoscaling", "logs", "s3", "ec2", "iam", "cloudtrail"] * 2

    def build(service):
        s = new_session(region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s")
        return s.client(service).meta.service_model.service_name

    with ThreadPoolExecutor(8) as pool:
        names = list(pool.map(build, services))
    assert names == services
