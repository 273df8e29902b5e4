"""A model or endpoint config deleted behind an endpoint that stays
InService (AWS allows it): its describe answers not found. That is a gap
naming what no longer exists, and the verdicts that read it are unknown on
it and on what uses it, never silently absent (issue 13 item 1)."""

from __future__ import annotations

import pytest

from auditor.exitcodes import for_findings

from .live_helpers import client, findings, make_endpoint, run_audit

pytestmark = pytest.mark.live


def test_deleted_model_is_a_gap_and_its_verdicts_unknown_not_absent(aws):
    make_endpoint("ep", instances=1, image="docker.io/library/nginx:latest")  # SM101 fails on this model
    before = run_audit()
    assert [f.outcome for f in findings(before, "SM101", "ep-model")] == ["fail"]
    assert for_findings(before.doc.findings, "error") == 1
    client("sagemaker").delete_model(ModelName="ep-model")  # the endpoint stays InService
    result = run_audit()
    gone = "model ep-model of endpoint ep no longer exists"
    gaps = [g for g in result.doc.gaps if g.operation == "DescribeModel"]
    assert gaps and all(gone in g.message for g in gaps) and all(g.kinds == ["Model"] for g in gaps)
    assert {g.resource.rsplit(":", 1)[-1] for g in gaps} == {"ep-model", "endpoint-config/ep-config", "endpoint/ep"}
    for rule in ("SM101", "SM102", "SM103"):
        [f] = findings(result, rule, "ep-model")
        assert f.outcome == "unknown" and gone in f.message, (rule, f.message)
    # SM201 on the config reads the model (its subnets): unknown, not a pass
    [ha] = findings(result, "SM201", "ep-config")
    assert ha.outcome == "unknown" and gone in ha.message
    # the gate: the failing verdict did not turn into a pass; what it hid is reported
    assert not findings(result, "SM101", outcome="pass")
    if for_findings(result.doc.findings, "error") == 0:
        assert findings(result, outcome="unknown") and gaps
    # nothing else changes: verdicts of rules that do not read models stand
    kept = {(f.rule, f.resource.name, f.outcome) for f in before.doc.findings
            if f.rule not in ("SM101", "SM102", "SM103", "SM201", "SM403")}
    now = {(f.rule, f.resource.name, f.outcome) for f in result.doc.findings
           if f.rule not in ("SM101", "SM102", "SM103", "SM201", "SM403")}
    assert {x for x in now if x[2] != "unknown"} <= kept


def test_deleted_endpoint_config_is_a_gap_and_its_dependants_unknown(aws):
    make_endpoint("ep", instances=1)
    client("sagemaker").delete_endpoint_config(EndpointConfigName="ep-config")
    result = run_audit()
    gone = "endpoint config ep-config of endpoint ep no longer exists"
    gaps = [g for g in result.doc.gaps if g.operation == "DescribeEndpointConfig"]
    assert gaps and all(gone in g.message for g in gaps)
    assert {g.resource.rsplit(":", 1)[-1] for g in gaps} == {"ep-config", "endpoint/ep"}
    [ha] = findings(result, "SM201", "ep-config")
    assert ha.outcome == "unknown" and gone in ha.message
