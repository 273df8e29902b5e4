"""``sm-audit remediate`` / ``restore`` end to end: the live audit over the
sandbox's seeded account (on the loopback moto server) finds what to fix,
the plan changes nothing, --apply asks first, the journal lets restore undo
it all."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from tests.live.conftest import aws  # noqa: F401 - moto server with moto_ext's AWS-like answers

from .conftest import REGION, account_state, sm

pytestmark = pytest.mark.live


@pytest.fixture
def seeded(aws):  # noqa: F811
    from auditor.live.sandbox import seed

    # moto keeps naive UTC times; seed with them so endpoints created later sort with them
    seed(aws.url, now=datetime.now(timezone.utc).replace(tzinfo=None))
    return aws


def run(capsys, *args, input=None, tty=False, monkeypatch=None):
    import io
    import sys

    from auditor.cli import main
    from auditor.cli import remediate_cmd

    if monkeypatch is not None:
        monkeypatch.setattr(remediate_cmd, "stdin_is_tty", lambda: tty)
        monkeypatch.setattr(sys, "stdin", io.StringIO(input or ""))
    capsys.readouterr()
    with pytest.raises(SystemExit) as e:
        main(list(args))
    cap = capsys.readouterr()
    return int(e.value.code or 0), cap.out, cap.err


def test_plan_changes_nothing_and_shows_before_after_why(sandbox_account, capsys):
    start = account_state()
    code, out, err = run(capsys, "remediate", "--region", REGION)
    assert code == 0, err
    assert account_state() == start
    assert "dry run: nothing was changed" in out
    assert "stop-idle-endpoints  churn-dev" in out and "EndpointStatus: InService -> (deleted" in out
    assert "apply-autoscaling  recommender-prod/AllTraffic" in out
    assert "ScalableTarget: (none) -> MaxCapacity=4, MinCapacity=1" in out  # no scale-out without --endpoint
    assert "The HA gap (SM201) remains" in out
    assert "raise-instance-count  recommender-prod/AllTraffic" in out and "plan only" in out
    # always-on, but staging: SM502's exception is for production endpoints only, and the action follows it
    assert "stop-idle-endpoints  search-ranker-staging" in out
    assert "its always-on tag always-on=true does not exempt a non-production endpoint" in out
    assert "fraud-detector-prod" not in out  # compliant

    code, out, _ = run(capsys, "remediate", "--region", REGION, "--format", "json")
    doc = json.loads(out)
    assert doc["run"]["command"] == "remediate" and doc["plan"]["applied"] is False
    changes = doc["plan"]["changes"]
    assert {(c["action"], c["status"]) for c in changes} == {
        ("stop-idle-endpoints", "planned"), ("apply-autoscaling", "planned"),
        ("raise-instance-count", "skipped: plan only: more instances cost money; name the endpoint with "
                                 "--endpoint recommender-prod to apply")}
    for c in changes:
        assert {"action", "resource", "account", "region", "before", "after", "why", "status"} <= set(c)
    assert account_state() == start


def test_apply_journal_second_run_and_restore(seeded, capsys, tmp_path):
    start = account_state()
    journal = tmp_path / "j.jsonl"
    code, out, err = run(capsys, "remediate", "--region", REGION, "--apply", "--yes", "--journal", str(journal))
    assert code == 0, err
    assert "Summary: 3 done, 1 skipped" in out and f"restore --journal {journal}" in out
    assert [e["EndpointName"] for e in sm().list_endpoints()["Endpoints"] if e["EndpointName"] == "churn-dev"] == []
    recs = [json.loads(x) for x in journal.read_text().splitlines()]
    assert [r["status"] for r in recs] == ["pending", "done"] * 3

    # idempotent: the second run plans nothing it could apply
    after = account_state()
    code, out, err = run(capsys, "remediate", "--region", REGION, "--apply", "--yes", "--format", "json")
    doc = json.loads(out)
    assert code == 0 and [c["action"] for c in doc["plan"]["changes"] if not c.get("plan_only")] == []
    assert account_state() == after

    code, out, err = run(capsys, "restore", "--journal", str(journal), "--yes", "--format", "json",
                         "--restore-journal", str(tmp_path / "r.jsonl"))
    assert code == 0, err
    res = json.loads(out)
    assert [o["status"] for o in res["outcomes"]] == ["restored"] * 3
    now = account_state()
    assert now["targets"] == start["targets"] and now["policies"] == start["policies"]
    assert now["endpoints"]["churn-dev"]["EndpointConfigName"] == "churn-dev-config"
    assert sorted(map(str, now["endpoints"]["churn-dev"]["Tags"])) == sorted(
        map(str, start["endpoints"]["churn-dev"]["Tags"]))
    assert (tmp_path / "r.jsonl").exists()


def test_max_changes_refuses_and_changes_nothing(seeded, capsys):
    start = account_state()
    code, out, err = run(capsys, "remediate", "--region", REGION, "--apply", "--yes", "--max-changes", "1")
    assert code == 2 and "more than --max-changes 1" in err
    assert account_state() == start
    code, _, _ = run(capsys, "remediate", "--region", REGION, "--apply", "--yes", "--max-changes", "2",
                     "--rule", "SM202")
    assert code == 0 and account_state() != start


def test_confirmation_on_a_terminal(seeded, capsys, monkeypatch, tmp_path):
    start = account_state()
    code, out, err = run(capsys, "remediate", "--region", REGION, "--apply", "--journal", str(tmp_path / "j"),
                         input="n\n", tty=True, monkeypatch=monkeypatch)
    assert code == 2 and "Apply 3 change(s) to 123456789012/us-east-1?" in err and "not confirmed" in err
    assert account_state() == start and not (tmp_path / "j").exists()
    code, out, err = run(capsys, "remediate", "--region", REGION, "--apply", "--journal", str(tmp_path / "j"),
                         input="y\n", tty=True, monkeypatch=monkeypatch)
    assert code == 0 and "Summary: 3 done" in out


def test_apply_without_a_terminal_needs_yes(sandbox_account, capsys, monkeypatch):
    start = account_state()
    code, out, err = run(capsys, "remediate", "--region", REGION, "--apply", tty=False, monkeypatch=monkeypatch)
    assert code == 2 and "pass --yes" in err
    assert account_state() == start


def test_endpoint_opts_in_raise_and_default_journal_under_xdg(seeded, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    code, out, err = run(capsys, "remediate", "--region", REGION, "--endpoint", "recommender-prod",
                         "--rule", "SM201", "--apply", "--yes")
    assert code == 0, err
    (journal,) = (tmp_path / "state" / "sm-audit").glob("journal-*.jsonl")
    assert str(journal) in out
    pv = sm().describe_endpoint(EndpointName="recommender-prod")["ProductionVariants"][0]
    assert pv["CurrentInstanceCount"] == 2
    code, out, err = run(capsys, "restore", "--journal", str(journal), "--yes")
    assert code == 0 and "instance count back to 1" in out
    assert sm().describe_endpoint(EndpointName="recommender-prod")["ProductionVariants"][0]["CurrentInstanceCount"] == 1
    assert len(list((tmp_path / "state" / "sm-audit").glob("journal-*.jsonl"))) == 2  # restore journaled itself


def test_remediate_from_saved_findings(sandbox_account, capsys, tmp_path):
    code, out, _ = run(capsys, "audit", "--region", REGION, "--format", "json")
    saved = tmp_path / "audit.json"
    saved.write_text(out)
    start = account_state()
    code, out, err = run(capsys, "remediate", "--findings", str(saved), "--rule", "SM502")
    assert code == 0, err
    assert "stop-idle-endpoints  churn-dev" in out and "apply-autoscaling" not in out
    # a comma-separated list is several --rule (as a scheduled task's one parameter passes them)
    code, out, err = run(capsys, "remediate", "--findings", str(saved), "--rule", "SM502, apply-autoscaling")
    assert code == 0, err
    assert "stop-idle-endpoints  churn-dev" in out and "apply-autoscaling  recommender-prod/AllTraffic" in out
    assert "rollback-variants" not in out
    assert account_state() == start


def test_usage_errors(sandbox_account, capsys, tmp_path):
    code, _, err = run(capsys, "remediate", "--variant", "v")
    assert code == 2 and "need --endpoint" in err
    code, _, err = run(capsys, "remediate", "--rule", "SM101")
    assert code == 2 and "not a remediated rule" in err
    code, _, err = run(capsys, "remediate", "--rule", "SM502,SM101")
    assert code == 2 and "--rule SM101: not a remediated rule" in err
    code, _, err = run(capsys, "remediate", "--set", "apply-autoscaling.max_capacity=1")
    assert code == 2 and "max_capacity" in err
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n{}\n")
    code, _, err = run(capsys, "restore", "--journal", str(bad), "--yes")
    assert code == 2 and "not a journal line" in err
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    code, out, _ = run(capsys, "restore", "--journal", str(empty), "--yes")
    assert code == 0 and "Nothing to restore" in out


def test_sandbox_remediate_is_demonstrable(moto_server, capsys, tmp_path):
    code, out, err = run(capsys, "remediate", "--sandbox", "--apply", "--yes", "--journal", str(tmp_path / "j"))
    assert code == 0, err
    assert "sandbox: demo account" in err
    assert "stop-idle-endpoints  churn-dev" in out and "Summary: 3 done, 1 skipped" in out
    assert len([x for x in (tmp_path / "j").read_text().splitlines() if '"pending"' in x]) == 3


@pytest.mark.parametrize("fmt, needle", [("html", "churn-dev"), ("markdown", "Remediation plan"),
                                         ("sarif", '"version": "2.1.0"')])
def test_plan_renders_in_every_report_format(sandbox_account, capsys, fmt, needle):
    code, out, err = run(capsys, "remediate", "--region", REGION, "--format", fmt)
    assert code == 0, err
    assert needle in out


def test_rollback_named_variant_from_the_cli(seeded, capsys, tmp_path):
    from .conftest import make_endpoint

    make_endpoint("ranker-ab", variants=(("current", 2, 0.8), ("challenger", 1, 0.2)))
    code, out, err = run(capsys, "remediate", "--region", REGION, "--endpoint", "ranker-ab",
                         "--variant", "challenger", "--apply", "--yes", "--journal", str(tmp_path / "j"))
    assert code == 0, err
    assert "rollback-variants  ranker-ab" in out and "Summary: 1 done" in out  # nothing but the rollback
    assert "Variants[challenger].Weight: 0.2 -> 0" in out and "Variants[current].Weight: 0.8 -> 1" in out
    pv = {v["VariantName"]: v["CurrentWeight"] for v in sm().describe_endpoint(EndpointName="ranker-ab")["ProductionVariants"]}
    assert pv == {"current": 1.0, "challenger": 0.0}
    code, out, err = run(capsys, "restore", "--journal", str(tmp_path / "j"), "--yes")
    assert code == 0 and "weights put back" in out
    pv = {v["VariantName"]: v["CurrentWeight"] for v in sm().describe_endpoint(EndpointName="ranker-ab")["ProductionVariants"]}
    assert pv == {"current": 0.8, "challenger": 0.2}


def test_after_apply_the_audit_no_longer_finds_what_was_fixed(seeded, capsys, tmp_path):
    from tests.live.live_helpers import run_audit

    def remediable():
        # search-ranker-staging: SM502 reports it (its always-on tag does not count on a non-production
        # endpoint) and stop-idle-endpoints stops it too; left out so the count below is about churn-dev
        return sorted((f.rule, f.resource.name, f.message) for f in run_audit().doc.findings
                      if f.remediation in ("apply-autoscaling", "stop-idle-endpoints") and f.outcome == "fail"
                      and not f.suppression and f.resource.name != "search-ranker-staging")

    before = remediable()
    assert any(r == "SM502" and n == "churn-dev" for r, n, _ in before) and any(r == "SM202" for r, _, _ in before)
    code, _, err = run(capsys, "remediate", "--region", REGION, "--apply", "--yes", "--journal", str(tmp_path / "j"))
    assert code == 0, err
    # what remains is the HA gap the run did not close without --endpoint (no scale-out without the opt-in)
    (left,) = remediable()
    assert left[0] == "SM202" and "has MinCapacity 1: autoscaling may scale the variant below the 2" in left[2]


@pytest.mark.parametrize("fmt", ["markdown", "html"])
def test_remediate_report_leads_with_the_plan_and_its_verdict_matches_the_exit_code(sandbox_account, capsys, fmt):
    code, out, err = run(capsys, "remediate", "--region", REGION, "--format", fmt)
    assert code == 0, err
    verdict = "PASS: plan made, nothing was changed (3 planned, 1 skipped); --apply carries it out"
    if fmt == "markdown":
        head = out.split("### ")[0]
        assert "✅ **PASS**: plan made, nothing was changed (3 planned, 1 skipped)" in head and "Failed" not in head
        assert out.index("### Remediation plan") < out.index("### Findings")
    else:
        assert f'<p id="verdict" class="verdict pass">{verdict}' in out and "FAIL:" not in out.split("<main>")[0]
        assert out.index('<section id="plan">') < out.index('<section id="summary">')


def test_remediate_report_verdict_fails_when_a_change_failed(seeded, capsys, tmp_path, monkeypatch):
    from botocore.exceptions import ClientError

    from auditor.remediation import aws as raws

    real = raws.Clients.client

    def client(self, service, region, account=None):
        c = real(self, service, region, account)

        def deny(**kw):
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "DeleteEndpoint")
        c.meta.events.register("before-call.sagemaker.DeleteEndpoint", deny)
        return c

    monkeypatch.setattr(raws.Clients, "client", client)
    code, out, err = run(capsys, "remediate", "--region", REGION, "--rule", "SM502", "--apply", "--yes",
                         "--journal", str(tmp_path / "j"), "--format", "markdown")
    assert code == 1, err
    assert "❌ **FAIL**: 1 change(s) failed (1 failed, 1 not run)" in out
