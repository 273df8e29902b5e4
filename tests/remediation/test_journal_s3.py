"""``--journal s3://bucket/prefix/``: one object per record, written before
the call; a crash between pending and done leaves the pending object, and
restore reads the prefix (moto S3 on the loopback server)."""

from __future__ import annotations

import json

import boto3
import pytest

from auditor.remediation.journal import JournalError, read

from .conftest import REGION, account_state, sm
from .test_faults import Crash, _same, fail_nth, plan_and_apply, three_idle, undo_all

pytestmark = pytest.mark.live
URL = "s3://journals/sm-audit/nightly/"


def s3():
    return boto3.client("s3", region_name=REGION)


def objects():
    keys = sorted(o["Key"] for o in s3().list_objects_v2(Bucket="journals").get("Contents", []))
    return [(k, json.loads(s3().get_object(Bucket="journals", Key=k)["Body"].read())) for k in keys]


def test_crash_between_pending_and_done_restore_reads_the_prefix(moto_server, make_ctx, tmp_path):
    s3().create_bucket(Bucket="journals")
    fs = three_idle()
    start = account_state()
    with pytest.raises(Crash):
        plan_and_apply(make_ctx, fs, URL, hooks=[("after-call.sagemaker.DeleteEndpoint", fail_nth(2, Crash))])
    objs = objects()
    assert [k for k, _ in objs] == [f"sm-audit/nightly/run/0000000{i}.json" for i in (1, 2, 3)]
    assert [(o.get("name"), o["status"]) for _, o in objs] == [("idle-a", "pending"), (None, "done"),
                                                               ("idle-b", "pending")]
    entries, warnings = read(URL)
    assert [(e.record["name"], e.status) for e in entries] == [("idle-a", "done"), ("idle-b", "pending")]
    assert warnings == []
    out = undo_all(make_ctx, URL, tmp_path / "r.jsonl")
    assert out[0].note.startswith("unknown state: verify") and [o.status for o in out] == ["restored", "restored"]
    assert _same(account_state(), start)


def test_each_record_is_stored_before_the_call(moto_server, make_ctx):
    s3().create_bucket(Bucket="journals")
    fs = three_idle()
    seen = []

    def before_delete(**kw):  # the pending record of this change is already in S3
        seen.append([o["status"] for _, o in objects()][-1])

    plan_and_apply(make_ctx, fs[:1], URL, hooks=[("before-call.sagemaker.DeleteEndpoint", before_delete)])
    assert seen == ["pending"] and [o["status"] for _, o in objects()] == ["pending", "done"]
    assert sm().list_endpoints()["Endpoints"] and len(read(URL)[0]) == 1


def test_cli_restore_from_an_s3_prefix_and_a_missing_bucket(moto_server, capsys, tmp_path):
    from .test_cli import run

    code, out, err = run(capsys, "restore", "--journal", "s3://no-such-bucket/x/", "--yes")
    assert code == 2 and "s3://no-such-bucket/x/: cannot read journal: NoSuchBucket" in err
    s3().create_bucket(Bucket="journals")
    code, out, err = run(capsys, "restore", "--journal", URL, "--yes")
    assert code == 0 and "Nothing to restore" in out
    with pytest.raises(JournalError, match="s3://BUCKET/PREFIX/"):
        read("s3:///x")
