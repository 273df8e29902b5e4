"""Faults injected in the middle of a run with botocore event hooks: the
journal says exactly what was and was not done, and restore brings
everything back."""

from __future__ import annotations

import json

import pytest

from auditor.remediation.executor import execute
from auditor.remediation.journal import Journal, read
from auditor.remediation.planner import build_plan
from auditor.remediation.restore import restore

from .conftest import (REGION, account_state, age_endpoint, alarm, live_finding, make_endpoint, scaling, sm)

pytestmark = pytest.mark.live


class Boom(Exception):
    pass


class Crash(BaseException):
    """Stands for the process dying (not an error the run can handle)."""


def fail_nth(n, exc=Boom, stage="before-call"):
    """A hook that raises on the n-th call it sees (1-based)."""
    seen = {"calls": 0}

    def hook(**kw):
        seen["calls"] += 1
        if seen["calls"] == n:
            raise exc(f"injected fault on call {n}")
    return hook


def three_idle():
    for i, name in enumerate(("idle-a", "idle-b", "idle-c")):
        make_endpoint(name, tags={"Environment": "dev", "N": str(i)})
        age_endpoint(name, 96)
    scaling("idle-b", "AllTraffic", 1, 2, {"name": "b-pol", "TargetValue": 70.0, "ScaleInCooldown": 300,
                                           "ScaleOutCooldown": 60, "PredefinedMetricSpecification": {
                                               "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"}})
    return [live_finding("SM502", n, "stop-idle-endpoints") for n in ("idle-a", "idle-b", "idle-c")]


def lines(path):
    return [json.loads(x) for x in path.read_text().splitlines()]


def plan_and_apply(make_ctx, findings, path, hooks=(), **kw):
    plan = build_plan(make_ctx(), findings, run_id="run", regions=[REGION])
    ctx = make_ctx(hooks=hooks)
    j = Journal(path, "run")
    try:
        execute(plan, ctx, apply=True, journal=j, **kw)
    finally:
        j.close()
    return plan


def undo_all(make_ctx, path, out):
    entries, _ = read(path)
    j = Journal(out, "undo", kind="restore")
    try:
        return restore(entries, make_ctx(), j)
    finally:
        j.close()


def test_failing_call_stops_the_run_and_journal_is_consistent(moto_server, make_ctx, tmp_path):
    fs = three_idle()
    start = account_state()
    path = tmp_path / "j.jsonl"
    plan = plan_and_apply(make_ctx, fs, path, hooks=[("before-call.sagemaker.DeleteEndpoint", fail_nth(2))])
    assert [(c.name, c.status) for c in plan.changes] == [
        ("idle-a", "done"), ("idle-b", "failed"), ("idle-c", "not run: the run stopped at an earlier failure")]
    assert "injected fault" in plan.changes[1].error
    # journal: a pending line before each attempted call, then its outcome; nothing for idle-c
    recs = lines(path)
    assert [(r.get("name"), r["status"]) for r in recs] == [
        ("idle-a", "pending"), (None, "done"), ("idle-b", "pending"), (None, "failed")]
    assert recs[3]["error"].startswith("Boom: injected fault")
    entries, warnings = read(path)
    assert [(e.record["name"], e.status) for e in entries] == [("idle-a", "done"), ("idle-b", "failed")]
    assert not warnings
    # the account agrees with the journal: a is gone, b and c are up
    assert sorted(e["EndpointName"] for e in sm().list_endpoints()["Endpoints"]) == ["idle-b", "idle-c"]

    out = undo_all(make_ctx, path, tmp_path / "r.jsonl")
    assert [(o.entry.record["name"], o.status) for o in out] == [("idle-b", "restored"), ("idle-a", "restored")]
    assert "failed when applied" in out[0].note
    # idle-b's autoscaling had been deregistered before its delete failed: registered again
    assert "registered again" in out[0].detail
    assert _same(account_state(), start)


def test_continue_on_error_skips_only_the_failing_resource(moto_server, make_ctx, tmp_path):
    fs = three_idle()
    start = account_state()
    path = tmp_path / "j.jsonl"
    plan = plan_and_apply(make_ctx, fs, path, hooks=[("before-call.sagemaker.DeleteEndpoint", fail_nth(2))],
                          continue_on_error=True)
    assert [c.status for c in plan.changes] == ["done", "failed", "done"]
    assert sorted(e["EndpointName"] for e in sm().list_endpoints()["Endpoints"]) == ["idle-b"]
    undo_all(make_ctx, path, tmp_path / "r.jsonl")
    assert _same(account_state(), start)


def test_crash_after_the_call_leaves_a_pending_entry_restore_verifies(moto_server, make_ctx, tmp_path):
    """The process dies after DeleteEndpoint went through but before the
    journal line was completed: restore reports the unknown state, checks,
    and recreates the endpoint."""
    fs = three_idle()
    start = account_state()
    path = tmp_path / "j.jsonl"
    with pytest.raises(Crash):
        plan_and_apply(make_ctx, fs, path, hooks=[("after-call.sagemaker.DeleteEndpoint", fail_nth(2, Crash))])
    entries, _ = read(path)
    assert [(e.record["name"], e.status) for e in entries] == [("idle-a", "done"), ("idle-b", "pending")]
    assert sorted(e["EndpointName"] for e in sm().list_endpoints()["Endpoints"]) == ["idle-c"]
    out = undo_all(make_ctx, path, tmp_path / "r.jsonl")
    assert out[0].note.startswith("unknown state: verify") and out[0].status == "restored"
    assert _same(account_state(), start)
    # restore journaled itself: two entries, each pending then done, pointing at what they undo
    r = lines(tmp_path / "r.jsonl")
    assert [x["status"] for x in r] == ["pending", "done", "pending", "done"]
    assert [x.get("undoes") for x in r if x["status"] == "pending"] == ["run:2", "run:1"]
    assert all(x["kind"] == "restore" for x in r if x["status"] == "pending")


def test_crash_before_the_call_restore_finds_nothing_to_recreate(moto_server, make_ctx, tmp_path):
    fs = three_idle()
    start = account_state()
    path = tmp_path / "j.jsonl"
    with pytest.raises(Crash):
        plan_and_apply(make_ctx, fs, path, hooks=[("before-call.sagemaker.DeleteEndpoint", fail_nth(1, Crash))])
    entries, _ = read(path)
    assert [(e.record["name"], e.status) for e in entries] == [("idle-a", "pending")]
    assert len(sm().list_endpoints()["Endpoints"]) == 3
    out = undo_all(make_ctx, path, tmp_path / "r.jsonl")
    assert out[0].status == "unchanged" and "unknown state" in out[0].note
    assert _same(account_state(), start)


def test_torn_last_line_is_tolerated(moto_server, make_ctx, tmp_path):
    fs = three_idle()
    path = tmp_path / "j.jsonl"
    plan_and_apply(make_ctx, fs[:1], path)
    with open(path, "a") as fh:
        fh.write('{"id": "run:2", "status": "pen')  # the process died mid-write
    entries, warnings = read(path)
    assert [e.status for e in entries] == ["done"] and "incomplete last line" in warnings[0]


def test_resource_changed_between_plan_and_apply_is_skipped(moto_server, make_ctx, tmp_path):
    make_endpoint("ab", variants=(("blue", 1, 0.5), ("green", 1, 0.5)))
    make_endpoint("ep")
    alarm("ab", "green")
    fs = [live_finding("SM202", "ep", "apply-autoscaling")]
    plan = build_plan(make_ctx(), fs, run_id="run", regions=[REGION])
    assert sorted(c.action for c in plan.changes) == ["apply-autoscaling", "rollback-variants"]
    # someone shifts traffic and registers autoscaling after the plan was printed
    sm().update_endpoint_weights_and_capacities(EndpointName="ab", DesiredWeightsAndCapacities=[
        {"VariantName": "green", "DesiredWeight": 0.2, "DesiredInstanceCount": 1}])
    scaling("ep", "AllTraffic", 2, 4)
    changed = account_state()
    j = Journal(tmp_path / "j.jsonl", "run")
    execute(plan, make_ctx(), apply=True, journal=j)
    j.close()
    assert {c.status for c in plan.changes} == {"skipped: changed since plan"}
    assert account_state() == changed and not (tmp_path / "j.jsonl").exists()


def test_failure_in_rollback_weights_leaves_weights_untouched(moto_server, make_ctx, tmp_path):
    make_endpoint("ab", variants=(("blue", 2, 0.5), ("green", 2, 0.5)))
    alarm("ab", "green")
    start = account_state()
    hook = fail_nth(1)
    plan = plan_and_apply(make_ctx, [], tmp_path / "j.jsonl",
                          hooks=[("before-call.sagemaker.UpdateEndpointWeightsAndCapacities", hook)])
    assert plan.changes[0].status == "failed"
    assert account_state() == start
    out = undo_all(make_ctx, tmp_path / "j.jsonl", tmp_path / "r.jsonl")
    assert out[0].status == "unchanged"


def _same(now, start):
    """Equal, except what AWS assigns anew to a recreated endpoint."""
    def strip(state):
        s = json.loads(json.dumps(state, default=str))
        for d in s["endpoints"].values():
            for k in ("CreationTime", "LastModifiedTime"):
                d.pop(k, None)
            d["Tags"] = sorted(map(str, d["Tags"]))
        return s
    assert strip(now) == strip(start)
    return True


@pytest.mark.parametrize("cycle", [None, ["a", "b"]])
def test_endless_alarm_pages_are_capped_and_the_endpoint_is_not_planned(moto_server, make_ctx, monkeypatch, cycle):
    # remediation pages through the same bounded paginator as the audit
    from botocore.awsrequest import AWSResponse

    from auditor.live import paging

    monkeypatch.setattr(paging, "MAX_PAGES", 20)
    make_endpoint("ab", variants=(("blue", 1, 0.5), ("green", 1, 0.5)))
    calls = {"n": 0}

    def endless(model=None, **_):
        calls["n"] += 1
        token = cycle[calls["n"] % len(cycle)] if cycle else f"t{calls['n']}"
        return AWSResponse("https://example.invalid", 200, {}, None), {"MetricAlarms": [], "NextToken": token}

    ctx = make_ctx(hooks=[("before-call.cloudwatch.DescribeAlarms", endless)])
    plan = build_plan(ctx, [], run_id="r", regions=[REGION])
    assert calls["n"] <= 21 and plan.changes == []
    [skip] = [s for s in plan.skipped if s.name == "ab"]
    why = "returned a next token it had returned before" if cycle else "still returned a next token after 20 pages"
    assert skip.action == "rollback-variants"
    assert skip.reason.startswith("cannot plan: EndlessPagination: DescribeAlarms ") and why in skip.reason
