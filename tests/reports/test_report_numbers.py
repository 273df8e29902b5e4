"""The HTML report's numbers: one definition each (findings, or rule x
resource checks), labelled, and every count on the page derived from the same
findings (read back from a real browser); "input error" and hidden empty
columns; the baseline view; per-finding rule links, excerpts and fixes;
grouping by owner tag and by account."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from reports import render
from reports.html import context
from reports.merge import compare
from reports.summary import rows

from .samples import live_doc, scan_dir
from .test_html import _open

PROD = {"production": {"all": True}}
TEAMS = """\
Resources:
  Model:
    Type: AWS::SageMaker::Model
    Properties:
      ExecutionRoleArn: arn:aws:iam::111111111111:role/sm
      PrimaryContainer: {Image: 763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1.0-cpu-py310}
  Payments:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      Tags: [{Key: team, Value: payments}]
      ProductionVariants:
        - VariantName: AllTraffic
          ModelName: !GetAtt Model.ModelName
          InitialInstanceCount: 1
          InstanceType: ml.m5.large
  Search:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      Tags: [{Key: Owner, Value: search-team}, {Key: Team, Value: ignored}]
      ProductionVariants:
        - VariantName: AllTraffic
          ModelName: !GetAtt Model.ModelName
          InitialInstanceCount: 1
          InstanceType: ml.m5.large
"""
JSON_TEMPLATE = json.dumps({"Resources": {"Config": {"Type": "AWS::SageMaker::EndpointConfig", "Properties": {
    "ProductionVariants": [{"VariantName": "AllTraffic", "ModelName": "m", "InitialInstanceCount": 1,
                            "InstanceType": "ml.m5.large"}]}}}}, indent=2)


def _column(f) -> str:
    return "suppressed" if f.suppression else ("unknown" if f.outcome == "unknown" else f.level)


def test_every_findings_number_comes_from_the_same_findings(corpus_doc):
    ctx = context(corpus_doc)
    expected = Counter(_column(f) for f in corpus_doc.findings)
    assert dict(ctx["counts"]) == {k: v for k, v in expected.items() if v}
    for table in ("rule_table", "group_table"):
        summed = Counter()
        for c in ctx[table].values():
            summed.update(c)
        assert summed == expected, table
    chart = Counter()
    for b in ctx["chart"]["bars"]:
        for s in b["segs"]:
            chart[s["series"]] += s["n"]
    assert chart == Counter({k: v for k, v in expected.items() if k != "suppressed"})
    assert len(ctx["findings"]) == len([f for f in corpus_doc.findings if not f.suppression])
    # checks: every evaluation, plus a row for findings no rule evaluated (an unreadable file)
    assert ctx["checks"] == len(rows(corpus_doc)) >= len(corpus_doc.evaluations)
    assert sum(sum(c.values()) for c in ctx["check_table"].values()) == ctx["checks"]


def test_outcome_error_is_labelled_input_error_and_empty_columns_are_hidden(tmp_path):
    broken = "Resources:\n  M:\n    Type: AWS::SageMaker::Model\n    Properties: [unclosed\n"
    doc = scan_dir(tmp_path / "a", {"t.yaml": TEAMS, "b.yaml": broken}, PROD)
    html = render(doc, "html")
    checks = html[html.index('id="checks"'):html.index("</table>", html.index('id="checks"'))]
    assert '<th class="n">input error</th>' in checks and '<th class="n">error</th>' not in checks
    clean = scan_dir(tmp_path / "b", {"t.yaml": TEAMS}, PROD)
    ctx = context(clean)
    assert "error" not in ctx["check_columns"] and "suppressed" not in ctx["check_columns"]
    assert "suppressed" not in ctx["columns"]  # no suppressed finding: no column for it
    assert "input error" not in render(clean, "html")


def test_baseline_view_counts_only_new_findings_and_lists_fixed_apart(live):
    old = live_doc()
    old.findings = [f for f in old.findings if f.rule != "SM000"]  # SM000 is new
    new = live.model_copy(update={"findings": [f for f in live.findings if f.rule != "SM402"]})
    reduced, base = compare(new, old, ["old.json"])
    ctx = context(reduced, baseline=base)
    assert [f.rule for f in base.new] == ["SM000"] and [f.rule for f in base.fixed] == ["SM402"]
    assert dict(ctx["counts"]) == {"error": 1}
    assert sum(sum(c.values()) for c in ctx["rule_table"].values()) == 1
    assert ctx["check_table"] == {}  # checks are of the whole run: not in a view of new findings
    html = render(reduced, "html", baseline=base)
    assert 'data-count="fixed"><span class="num">1</span> fixed (listed apart)' in html
    assert "checks passed" not in html and 'id="fixed"' in html


def test_findings_by_owner_tag_and_configurable_keys(tmp_path):
    doc = scan_dir(tmp_path, {"t.yaml": TEAMS}, PROD)
    ctx = context(doc)
    owners = {k: sum(c.values()) for k, c in ctx["owner_table"].items()}
    per_res = Counter(f.resource.id for f in doc.findings if f.resource)
    assert owners == {"payments": per_res["Payments"], "search-team": per_res["Search"]}
    ctx2 = context(doc, owner_tags=["Team"])
    assert set(ctx2["owner_table"]) == {"payments", "ignored"}
    assert context(doc, owner_tags=["cost-centre"])["owner_table"] == {}


def test_owner_tags_from_the_config_reach_the_report(tmp_path, capsys):
    from tests.static.helpers import run_cli

    (tmp_path / "t.yaml").write_text(TEAMS)
    (tmp_path / ".sm-audit.yaml").write_text("production: {all: true}\nreport: {owner_tags: [Team]}\n")
    out = run_cli(capsys, "scan", str(tmp_path / "t.yaml"), "-f", "html").out
    assert ">ignored</td>" in out and ">search-team</td>" not in out


def test_audits_group_by_account(live):
    ctx = context(live)
    assert ctx["group_name"] == "Account"
    assert set(ctx["group_table"]) == {"111111111111", "222222222222", "(no account)"}


def test_finding_details_link_excerpt_and_fix(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    doc = scan_dir(tmp_path, {"t.yaml": TEAMS, "j.json": JSON_TEMPLATE}, PROD)
    for f in doc.findings:  # paths as a scan from this directory shows them
        f.location.file = f.location.file.replace(f"{tmp_path}/", "")
    ctx = context(doc)
    item = next(i for i in ctx["findings"] if i["f"].rule == "SM201" and i["f"].resource.id == "Payments"
                and i["f"].path.endswith("InitialInstanceCount"))
    assert item["excerpt"] == [(n, TEAMS.splitlines()[n - 1], n == 14) for n in range(11, 18)]
    assert item["fix"] == {"title": "Run at least 2 instances", "format": "YAML", "text": "InitialInstanceCount: 2\n"}
    j = next(i for i in ctx["findings"] if i["f"].rule == "SM201" and i["f"].location.file == "j.json"
             and i["f"].path.endswith("InitialInstanceCount"))
    assert j["fix"]["format"] == "JSON" and j["fix"]["text"] == '"InitialInstanceCount": 2\n'
    kms = next(i for i in ctx["findings"] if i["f"].rule == "SM403" and i["f"].path == "KmsKeyId"
               and i["f"].location.file == "t.yaml")
    assert kms["fix"]["text"] == "KmsKeyId: arn:aws:kms:REGION:ACCOUNT:key/KEY-ID\n"
    html = render(doc, "html")
    assert ('<a class="help" href="https://github.com/sm-audit/sm-audit/blob/main/docs/rules/SM201.md" '
            'rel="noopener noreferrer" target="_blank">SM201 high-availability</a>') in html
    sarif = json.loads(render(doc, "sarif", repo_root=str(tmp_path)))
    fixes = [(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], r["fixes"])
             for r in sarif["runs"][0]["results"] if "fixes" in r]
    assert fixes == [
        ("j.json", [{"description": {"text": "Run at least 2 instances"}, "artifactChanges": [{
            "artifactLocation": {"uri": "j.json", "uriBaseId": "%SRCROOT%"}, "replacements": [{
                "deletedRegion": {"startLine": 10, "startColumn": 13, "endLine": 10, "endColumn": 38},
                "insertedContent": {"text": '"InitialInstanceCount": 2'}}]}]}]),
        ("t.yaml", [{"description": {"text": "Run at least 2 instances"}, "artifactChanges": [{
            "artifactLocation": {"uri": "t.yaml", "uriBaseId": "%SRCROOT%"}, "replacements": [{
                "deletedRegion": {"startLine": 14, "startColumn": 11, "endLine": 14, "endColumn": 34},
                "insertedContent": {"text": "InitialInstanceCount: 2"}}]}]}]),
        ("t.yaml", [{"description": {"text": "Run at least 2 instances"}, "artifactChanges": [{
            "artifactLocation": {"uri": "t.yaml", "uriBaseId": "%SRCROOT%"}, "replacements": [{
                "deletedRegion": {"startLine": 23, "startColumn": 11, "endLine": 23, "endColumn": 34},
                "insertedContent": {"text": "InitialInstanceCount: 2"}}]}]}]),
    ]
    lines = (tmp_path / "t.yaml").read_text().splitlines()
    assert lines[13][10:33] == "InitialInstanceCount: 1"  # the deleted region is exactly the property
    assert (tmp_path / "j.json").read_text().splitlines()[9][12:37] == '"InitialInstanceCount": 1'


def test_sarif_with_fixes_stays_schema_valid(tmp_path, monkeypatch, sarif_schema):
    import jsonschema

    monkeypatch.chdir(tmp_path)
    doc = scan_dir(tmp_path, {"t.yaml": TEAMS}, PROD)
    for f in doc.findings:
        f.location.file = f.location.file.replace(f"{tmp_path}/", "")
    sarif = json.loads(render(doc, "sarif", repo_root=str(tmp_path)))
    assert any("fixes" in r for r in sarif["runs"][0]["results"])
    jsonschema.validate(sarif, sarif_schema)


@pytest.mark.browser
def test_browser_reads_back_numbers_that_agree(chrome, corpus_doc, tmp_path):
    _open(chrome, tmp_path, render(corpus_doc, "html"))
    got = chrome.execute_script("""
      const num = s => parseInt(s, 10);
      const cards = {};
      document.querySelectorAll('#cards .card').forEach(c => cards[c.dataset.count] = num(c.querySelector('.num').textContent));
      const sums = id => { const t = {}; document.querySelectorAll('#' + id + ' tbody td[data-col]').forEach(td => {
          t[td.dataset.col] = (t[td.dataset.col] || 0) + num(td.textContent); }); return t; };
      const chart = {};
      document.querySelectorAll('svg.chart rect[data-series]').forEach(r => chart[r.dataset.series] = (chart[r.dataset.series] || 0) + num(r.dataset.n));
      const rows = {};
      document.querySelectorAll('#findings-table tbody tr').forEach(r => rows[r.dataset.severity] = (rows[r.dataset.severity] || 0) + 1);
      const checksCard = document.querySelector('#cards .card.pass').textContent;
      return {cards, byRule: sums('by-rule'), byGroup: sums('by-group'), checks: sums('checks'), chart, rows, checksCard};
    """)
    cards, by_rule = got["cards"], got["byRule"]
    for col in ("error", "warning", "note", "unknown", "suppressed"):
        assert cards[col] == by_rule.get(col, 0) == got["byGroup"].get(col, 0), col
        if col != "suppressed":
            assert cards[col] == got["chart"].get(col, 0) == got["rows"].get(col, 0), col
    assert by_rule["total"] == sum(cards[c] for c in ("error", "warning", "note", "unknown", "suppressed"))
    assert by_rule["total"] == len(corpus_doc.findings)
    assert got["checks"]["total"] == len(rows(corpus_doc))
    assert cards["checks-passed"] == got["checks"].get("pass", 0)
    assert got["checksCard"].split() == [str(cards["checks-passed"]), "of", str(got["checks"]["total"]),
                                         "checks", "passed"]


def test_excerpts_follow_the_file_a_path_names_now(tmp_path, monkeypatch):
    """One process may render reports from several directories, of files that change: the same
    relative path read again when the file it names is another one."""
    from reports import source

    for sub, text in (("a", "first\n"), ("b", "second\n")):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "t.yaml").write_text(text)
        monkeypatch.chdir(tmp_path / sub)
        assert source.excerpt("t.yaml", 1) == [(1, text.strip(), True)]
    (tmp_path / "b" / "t.yaml").write_text("second, rewritten\n")
    assert source.excerpt("t.yaml", 1) == [(1, "second, rewritten", True)]
