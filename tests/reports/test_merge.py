"""Merging saved results (sharded audits) and comparing with a baseline."""

from __future__ import annotations

from auditor.models.findings import Evaluation, RunInfo
from reports.merge import compare, identity, merge

from .samples import live_doc


def _shard(account: str, region: str):
    doc = live_doc()
    keep = [f for f in doc.findings if f.location.account in (account, None)]
    return doc.model_copy(update={
        "findings": keep,
        "run": RunInfo(command="audit", resources=2, accounts=[account], regions=[region]),
        "evaluations": [e for e in doc.evaluations if account in e.resource],
    })


def test_merge_unions_shards_and_counts_shared_findings_once():
    a, b = _shard("111111111111", "us-east-1"), _shard("222222222222", "eu-west-1")
    m = merge([a, b, a])
    assert m.run.accounts == ["111111111111", "222222222222"] and m.run.regions == ["eu-west-1", "us-east-1"]
    assert m.run.resources == 6 and m.run.command == "audit"
    # the location-less rule-pack error is in every shard: once
    assert sorted(f.rule for f in m.findings) == ["SM000", "SM201", "SM201", "SM402"]
    assert len({identity(f) for f in m.findings}) == 4
    assert [e.resource.split("/")[-1] for e in m.evaluations] == ["fraud-prod", "ok", "churn", "invoke-all"]
    assert len(m.gaps) == 1  # the same gap in every shard
    assert len(m.plan["changes"]) == 6  # plans are concatenated
    assert [r.id for r in m.rules] == ["SM000", "SM201", "SM402"]
    assert merge([a]) is a


def test_merge_keeps_the_worst_outcome_and_notes_mixed_versions():
    a, b = live_doc(), live_doc()
    a.evaluations = [Evaluation(rule="SM201", resource="x", outcome="pass")]
    b.evaluations = [Evaluation(rule="SM201", resource="x", outcome="unknown")]
    b.tool = {"name": "sm-audit", "version": "0.2.0"}
    b.run = RunInfo(command="scan", files_scanned=3)
    m = merge([a, b])
    assert [e.outcome for e in m.evaluations] == ["unknown"]
    assert m.tool["version"] == "0.1.0 / 0.2.0" and m.run.command == "audit+scan" and m.run.files_scanned == 3


def test_compare_new_unchanged_fixed():
    old = live_doc()
    new = live_doc()
    new.findings = [f for f in new.findings if f.rule != "SM402"]
    moved = new.findings[-1].model_copy(update={"location": new.findings[-1].location.model_copy(update={"line": 99})})
    new.findings[-1] = moved  # same fingerprint, other place: unchanged
    reduced, base = compare(new, old, ["old.json"])
    assert reduced.findings == [] and base.new == [] and base.unchanged == 3
    assert [f.rule for f in base.fixed] == ["SM402"]
    # a finding that was suppressed before and is active now is not new, and not fixed
    old2 = live_doc()
    for f in old2.findings:
        if f.rule == "SM402":
            f.suppression = old2.findings[1].suppression
    reduced, base = compare(live_doc(), old2)
    assert base.new == [] and base.fixed == []
