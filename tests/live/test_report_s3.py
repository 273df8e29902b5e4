"""``-o s3://BUCKET/KEY``: a report written as one S3 object (a scheduled
task's disk is gone after the run), on the loopback server's S3."""

from __future__ import annotations

import json

import boto3
import pytest

from tests.remediation.conftest import REGION, make_endpoint
from tests.remediation.test_cli import run

pytestmark = pytest.mark.live


def s3():
    return boto3.client("s3", region_name=REGION)


def get(key, bucket="reports"):
    o = s3().get_object(Bucket=bucket, Key=key)
    return o["ContentType"], o["Body"].read().decode("utf-8")


def test_audit_report_is_one_s3_object(aws, capsys):
    s3().create_bucket(Bucket="reports")
    make_endpoint("scorer")
    code, out, err = run(capsys, "audit", "--region", REGION, "-f", "json", "-o", "s3://reports/nightly/audit.json")
    assert code == 1 and out == ""
    assert "report written to s3://reports/nightly/audit.json" in err
    ctype, body = get("nightly/audit.json")
    assert ctype == "application/json; charset=utf-8"
    doc = json.loads(body)
    assert doc["run"]["command"] == "audit"
    assert {(f["rule"], f["outcome"]) for f in doc["findings"] if (f.get("resource") or {}).get("id") == "scorer"} \
        >= {("SM203", "fail")}  # no data capture

    # the remediation plan goes to S3 the same way
    code, _, err = run(capsys, "remediate", "--region", REGION, "--format", "markdown",
                       "-o", "s3://reports/nightly/plan.md")
    assert code == 0, err
    ctype, body = get("nightly/plan.md")
    assert ctype == "text/markdown; charset=utf-8" and "apply-autoscaling" in body


def test_report_merge_to_s3(aws, capsys, tmp_path):
    s3().create_bucket(Bucket="reports")
    make_endpoint("scorer")
    local = tmp_path / "audit.json"
    assert run(capsys, "audit", "--region", REGION, "-f", "json", "-o", str(local))[0] == 1
    code, _, err = run(capsys, "report", str(local), "-f", "html", "-o", "s3://reports/index.html")
    assert code == 1, err
    ctype, body = get("index.html")
    assert ctype == "text/html; charset=utf-8" and body.startswith("<!DOCTYPE html>") and "scorer" in body


@pytest.mark.parametrize("url, message", [
    ("s3://no-such-bucket/a.json", "cannot write s3://no-such-bucket/a.json: NoSuchBucket: "),
    ("s3://reports/", "s3://reports/: name the report's object, e.g. s3://reports/reports/audit.json"),
    ("s3:///a.json", "s3:///a.json: an S3 location is s3://BUCKET/KEY"),
])
def test_an_unwritable_s3_report_is_a_one_line_error(aws, capsys, url, message):
    s3().create_bucket(Bucket="reports")
    code, out, err = run(capsys, "schema", "-o", url)
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err and "internal error" not in err
