"""Rules declare what they read; the live layer derives everything from the
declarations. A third-party rule that reads alarms is made unknown when
DescribeAlarms is denied (the gap names the kind, not the rule), and the
metric plan follows the selected rules (``--rule SM101`` fetches none)."""

from __future__ import annotations

import sys
import textwrap

import pytest

from .live_helpers import ACCOUNT, REGION, fail_call, findings, run_audit

pytestmark = pytest.mark.live
EP = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint"

# A rule for which missing alarms would look like a pass: exactly the silent
# pass the engine must prevent. It never mentions gaps.
PACK = textwrap.dedent('''
    from auditor.rulebase import Fail, Rule

    class NoPagingAlarms(Rule):
        """Endpoints have no alarm from the retired paging scheme.

        ## What it checks
        No alarm on the endpoint is named page-every-datapoint-*.
        """

        id = "XRD101"
        slug = "no-paging-alarms"
        title = "No noisy alarms"
        level = "warning"
        policy = "Alarms do not page on a single datapoint."
        targets = ("Endpoint",)
        reads = ("Alarm",)

        def check(self, res, ctx):
            sure, _ = ctx.inv.endpoint_alarms(res)
            for a in sure:
                if str(a.AlarmName).startswith("page-every-datapoint"):
                    yield Fail((), f"alarm {a.label} is from the retired paging scheme")
''')


@pytest.fixture
def alarm_pack(tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    (site / "xrd_pack.py").write_text(PACK)
    info = site / "xrd_pack-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: xrd-pack\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text("[sm_audit.rules]\nalarms = xrd_pack:NoPagingAlarms\n")
    monkeypatch.syspath_prepend(str(site))
    yield
    sys.modules.pop("xrd_pack", None)


def test_plugin_rule_that_reads_alarms_is_unknown_when_alarms_are_denied(sandbox_account, alarm_pack):
    clean = run_audit(select=["XRD101"])
    assert {e.outcome for e in clean.doc.evaluations if e.rule == "XRD101"} == {"pass"}

    result = run_audit(select=["XRD101"], hooks=[fail_call("cloudwatch", "DescribeAlarms")])
    [gap] = [g for g in result.doc.gaps if g.operation == "DescribeAlarms"]
    assert gap.kinds == ["Alarm"] and "rules" not in gap.model_dump()
    [f] = findings(result, "XRD101", "recommender-prod")
    assert (f.outcome, f.message) == (
        "unknown", "cannot verify XRD101 for recommender-prod: AccessDenied on cloudwatch:DescribeAlarms "
                   "(User is not authorized)")
    outcomes = {e.resource: e.outcome for e in result.doc.evaluations if e.rule == "XRD101"}
    assert outcomes and set(outcomes.values()) == {"unknown"}
    assert f"{EP}/recommender-prod" in outcomes


def test_metric_plan_follows_the_selected_rules(sandbox_account):
    no_metrics = run_audit(select=["SM101"])
    assert "cloudwatch:GetMetricData" not in no_metrics.operations
    assert no_metrics.inventory.metrics == []
    idle = run_audit(select=["SM502"])
    assert idle.operations["cloudwatch:GetMetricData"] >= 1
    assert {s.metric for s in idle.inventory.metrics} == {"Invocations"}
