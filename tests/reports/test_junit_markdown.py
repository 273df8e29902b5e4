"""JUnit XML (one case per rule × resource) and the Markdown summary."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from reports import render
from reports import summary as S
from reports.markdown import code, esc
from reports.merge import compare

from .samples import IMG, SCRIPT, live_doc


def _cases(xml: str):
    root = ET.fromstring(xml)
    return root, [(s.get("name"), c) for s in root.findall("testsuite") for c in s.findall("testcase")]


def _state(case) -> str:
    for tag in ("failure", "error", "skipped"):
        if case.find(tag) is not None:
            return tag
    return "passed"


def test_junit_one_case_per_rule_and_resource(hostile):
    _, doc = hostile
    root, cases = _cases(render(doc, "junit"))
    rows = S.rows(doc)
    assert len(cases) == len(rows) == int(root.get("tests"))
    # every evaluation is a case, plus the unreadable file (no evaluation)
    assert len(rows) == len(doc.evaluations) + 1
    states = {(c.get("classname").split(".", 1)[1], c.get("name").split(" (")[0]): _state(c) for _, c in cases}
    assert states[("SM201", "Config")] == "failure"
    assert states[("SM201", "Waived")] == "skipped"   # suppressed
    assert states[("SM201", "External")] == "skipped"
    # its count is unknown; its model has no VpcConfig, which is SM401's business since revision 2
    assert states[("SM201", "Unknown")] == "skipped"
    assert states[("SM001", str(doc.findings[0].location.file))] == "error"
    assert states[("SM102", "Model")] == "passed"
    assert int(root.get("failures")) == sum(1 for s in states.values() if s == "failure")
    assert int(root.get("errors")) == 1
    waived = next(c for _, c in cases if c.get("name").startswith("Waived") and "SM201" in c.get("classname"))
    assert "suppressed: " + SCRIPT in waived.find("skipped").get("message")


def test_junit_gate_threshold_and_unknown(live):
    root, cases = _cases(render(live, "junit", fail_on="error"))
    by_name = {c.get("name").split(" (")[0]: c for _, c in cases}
    assert _state(by_name["fraud-prod"]) == "failure"
    assert by_name["fraud-prod"].find("failure").get("type") == "error"
    assert IMG in by_name["fraud-prod"].find("failure").get("message")  # XML-escaped by the writer, intact
    assert _state(by_name["invoke-all"]) == "skipped"
    assert by_name["invoke-all"].find("skipped").get("message").startswith("unknown: ")
    assert _state(by_name["churn"]) == "skipped"
    # below the threshold a failing check passes with the finding in system-out
    _, cases = _cases(render(live, "junit", fail_on="never"))
    fraud = next(c for _, c in cases if c.get("name").startswith("fraud-prod"))
    assert _state(fraud) == "passed" and "below --fail-on never" in fraud.find("system-out").text


def test_junit_baseline_gates_only_new(live):
    old = live_doc()
    reduced, base = compare(live, old, ["old.json"])
    root, cases = _cases(render(reduced, "junit", baseline=base))
    assert root.get("failures") == "0" and root.get("errors") == "0"
    assert all(_state(c) == "passed" for _, c in cases)


def test_junit_strips_characters_xml_cannot_hold(live):
    f = live.findings[1].model_copy(update={"message": "bad \x00\x1b char"})
    doc = live.model_copy(update={"findings": [f if x is live.findings[1] else x for x in live.findings]})
    ET.fromstring(render(doc, "junit"))  # parses


def test_markdown_summary(hostile):
    root, doc = hostile
    md = render(doc, "markdown")
    assert md.startswith("## sm-audit scan\n")
    assert "❌ **Failed**" in md
    assert "<script" not in md and "<img" not in md  # GitHub renders HTML in Markdown
    assert "&lt;img src=x onerror=\"window.\\_\\_pwned=1\"&gt;" in md
    assert "### Findings" in md and "suppressed finding(s)" in md and "TICKET-42" in md
    # table rows keep their five cells whatever the message holds
    for line in md.splitlines():
        if line.startswith("| 🔴") or line.startswith("| ⚪"):
            assert line.count(" | ") == 4, line


def test_markdown_live_plan_gaps_and_limit(live):
    md = render(live, "markdown")
    assert "coverage gap" in md and "GetPolicyVersion" in md
    assert "### Remediation plan (2 change(s))" in md
    assert "| DesiredInstanceCount: `1` → `2` |" in md  # dicts: the changed settings only
    assert "`InService` → `deleted (config kept for restore)`" in md
    limit = len(md) - 100
    small = render(live, "markdown", limit=limit)
    assert len(small) <= limit and "not shown; see the full report" in small
    assert "### Remediation plan" in small and small.endswith("</sub>\n")  # later sections keep their frame


def test_markdown_escaping_helpers():
    assert esc("a|b") == "a\\|b" and esc("<b>") == "&lt;b&gt;" and esc("*x*") == "\\*x\\*"
    assert code("a`b") == "``a`b``" and "|" not in code("x|y")


def test_markdown_baseline(live):
    old = live_doc()
    new = live.model_copy(update={"findings": [f for f in live.findings if f.rule != "SM402"]})
    reduced, base = compare(new, old, ["main.json"])
    md = render(reduced, "markdown", baseline=base)
    assert "**0** new" in md and "**1** fixed" in md and "fixed since the baseline" in md
    assert "✅ **Passed**" in md


def test_unaudited_regions_are_separate_cases(live):
    from auditor.models.findings import Finding, Location

    regions = [Finding(rule="SM000", slug="rule-error", level="error", outcome="error",
                       message=f"region {r} of account 111111111111 could not be audited",
                       location=Location(account="111111111111", region=r), fingerprint=r * 4)
               for r in ("eu-west-1", "us-east-1")]
    doc = live.model_copy(update={"findings": live.findings + regions})
    _, cases = _cases(render(doc, "junit"))
    names = [c.get("name") for _, c in cases if c.find("error") is not None]
    assert "111111111111/eu-west-1" in names and "111111111111/us-east-1" in names
