"""Journal format and durability, plan rendering, and the dry-run guarantee
at the API level."""

from __future__ import annotations

import json
import os

import pytest

from auditor.remediation.base import ACTIONS, Action, ActionOptions, Change, action, load_actions
from auditor.remediation.journal import Journal, JournalError, default_path, read
from auditor.remediation.render import diff

from .conftest import REGION, Recorder, age_endpoint, alarm, live_finding, make_endpoint


def change(name="ep", **kw):
    return Change(action="stop-idle-endpoints", kind="delete-endpoint", resource=f"arn:aws:sagemaker:::endpoint/{name}",
                  name=name, account="1", region="r", before={"EndpointName": name, "EndpointConfigName": "c"}, after={"EndpointStatus": "x"},
                  why="w", **kw)


def test_each_line_is_flushed_and_fsynced_before_returning(tmp_path, monkeypatch):
    synced = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real(fd))[1])
    j = Journal(tmp_path / "d" / "j.jsonl", "run1")
    eid = j.begin(change(), {"EndpointName": "ep", "EndpointConfigName": "c", "Tags": {"a": "b"}})
    # visible to another reader before the call it records is made
    rec = json.loads((tmp_path / "d" / "j.jsonl").read_text())
    assert len(synced) == 1
    assert {k: rec[k] for k in ("id", "run_id", "seq", "action", "account", "region", "resource", "status")} == {
        "id": "run1:1", "run_id": "run1", "seq": 1, "action": "stop-idle-endpoints", "account": "1",
        "region": "r", "resource": "arn:aws:sagemaker:::endpoint/ep", "status": "pending"}
    assert rec["before"] == {"EndpointName": "ep", "EndpointConfigName": "c", "Tags": {"a": "b"}} and rec["after"] == {"EndpointStatus": "x"}
    j.end(eid, "failed", "AccessDenied")
    j.close()
    assert len(synced) == 2
    (e,), warnings = read(tmp_path / "d" / "j.jsonl")
    assert (e.status, e.error, warnings) == ("failed", "AccessDenied", [])
    c = e.change()
    assert (c.action, c.kind, c.name, c.before) == ("stop-idle-endpoints", "delete-endpoint", "ep",
                                                     {"EndpointName": "ep", "EndpointConfigName": "c",
                                                      "Tags": {"a": "b"}})


def test_default_path_respects_xdg_state_home(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert default_path("abc") == tmp_path / "sm-audit" / "journal-abc.jsonl"
    monkeypatch.delenv("XDG_STATE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_path("abc") == tmp_path / "home" / ".local" / "state" / "sm-audit" / "journal-abc.jsonl"


def test_nothing_is_written_until_a_change_is_made(tmp_path):
    j = Journal(tmp_path / "j.jsonl", "r")
    j.close()
    assert not (tmp_path / "j.jsonl").exists()


@pytest.mark.parametrize("text, message", [
    ('{"x": 1}\n{"id": "a", "status": "done"}\n', "not a journal line"),
    ('not json\n{"id": "a", "status": "done"}\n', "not a journal line"),
    ('{"id": "a", "status": "pending", "seq": 1}\n', "lacks"),
])
def test_malformed_journals_are_refused(tmp_path, text, message):
    p = tmp_path / "j.jsonl"
    p.write_text(text)
    with pytest.raises(JournalError, match=message):
        read(p)


def test_restore_refuses_a_restore_journal(tmp_path):
    j = Journal(tmp_path / "r.jsonl", "r", kind="restore")
    j.end(j.begin(change(), {}), "done")
    j.close()
    with pytest.raises(JournalError, match="restore journal"):
        read(tmp_path / "r.jsonl")


def test_diff_shows_each_changed_property_before_and_after():
    before = {"Variants": [{"VariantName": "blue", "Weight": 0.5}, {"VariantName": "green", "Weight": 0.5}],
              "EndpointConfigName": "c"}
    after = {"Variants": [{"VariantName": "blue", "Weight": 1.0}, {"VariantName": "green", "Weight": 0.0}]}
    assert diff(before, after) == [("Variants[blue].Weight", "0.5", "1"), ("Variants[green].Weight", "0.5", "0")]
    assert diff({"ScalableTarget": None}, {"ScalableTarget": {"MinCapacity": 2, "MaxCapacity": 4}}) == [
        ("ScalableTarget", "(none)", "MaxCapacity=4, MinCapacity=2")]


def test_registry_rejects_incomplete_and_duplicate_actions():
    load_actions()
    with pytest.raises(TypeError, match="declares name, rules and permissions"):
        @action
        class NoPerms(Action):
            name = "x-test"
            rules = ("SM999",)

    with pytest.raises(TypeError, match="duplicate"):
        @action
        class Dup(Action):
            name = "apply-autoscaling"
            rules = ("SM202",)
            permissions = ("sagemaker:DescribeEndpoint",)
    assert "x-test" not in ACTIONS


def test_every_action_declares_its_contract():
    for name, cls in load_actions().items():
        assert cls.name == name and cls.rules and cls.permissions and cls.valid_states == ("InService",)
        assert issubclass(cls.Options, ActionOptions) and cls.description
        assert all(":" in p for p in cls.permissions)


@pytest.mark.live
def test_plan_and_dry_run_make_only_read_calls(moto_server, make_ctx):
    from auditor.remediation.executor import execute
    from auditor.remediation.planner import build_plan

    make_endpoint("ep")
    make_endpoint("idle", tags={"Environment": "dev"})
    age_endpoint("idle", 48)
    make_endpoint("ab", variants=(("a", 1, 0.5), ("b", 1, 0.5)))
    alarm("ab", "b")
    rec = Recorder()
    ctx = make_ctx(record=rec)
    fs = [live_finding("SM202", "ep", "apply-autoscaling"), live_finding("SM502", "idle", "stop-idle-endpoints"),
          live_finding("SM201", "ep", "raise-instance-count")]
    plan = build_plan(ctx, fs, run_id="r", regions=[REGION], endpoints=None)
    assert len(plan.changes) == 4
    n = len(rec.calls)
    execute(plan, ctx, apply=False)
    assert len(rec.calls) == n  # the dry run itself calls nothing
    ops = {op for _, _, op in rec.calls}
    assert ops and all(op.startswith(("Describe", "List", "Get")) for op in ops), ops
