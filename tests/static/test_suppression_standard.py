"""Template Metadata skips are held to the config file's standard: without a
reason, malformed, or naming no known rule, an entry is an SM001 error on its
resource at its line, and suppresses nothing."""

from __future__ import annotations

from .helpers import by_rule, run_cli

TEMPLATE = """\
Resources:
  Config:
    Type: AWS::SageMaker::EndpointConfig
    Metadata:
      sm-audit:
        skip:
          - rule: SM201
          - rule: SM999
            reason: typo in the rule ID
          - SM203
          - rule: right-sizing
            reason: "load-tested on c5 (PERF-12)"
          - [not, an, entry]
    Properties:
      ProductionVariants:
        - VariantName: AllTraffic
          ModelName: m
          InitialInstanceCount: 1
          InstanceType: ml.c5.4xlarge
"""


def scan(tmp_path, capsys, text=TEMPLATE, *extra):
    f = tmp_path / "stack.yaml"
    f.write_text(text)
    return run_cli(capsys, "scan", "--production", str(f), "-f", "json", *extra)


def test_bad_metadata_skips_are_sm001_errors_at_their_lines(tmp_path, capsys):
    r = scan(tmp_path, capsys)
    got = [(f["location"]["line"], f["location"]["column"], f["resource"]["id"], f["level"], f["outcome"],
            f["message"]) for f in by_rule(r.doc, "SM001")]
    tail = "; the suppression is not applied"
    assert got == [
        (7, 13, "Config", "error", "error", "Metadata skip entry for SM201 on Config has no reason" + tail),
        (8, 13, "Config", "error", "error", "Metadata skip entry for SM999 on Config names no such rule 'SM999'"
         + tail),
        (10, 13, "Config", "error", "error",
         "Metadata skip entry for SM203 on Config has no reason (write {rule: SM203, reason: why})" + tail),
        (13, 13, "Config", "error", "error",
         "Metadata skip entry for a rule on Config entry 4 must be a list of {rule: ID, reason: why} entries"
         + tail),
    ]
    assert r.code == 1


def test_a_bad_skip_does_not_suppress_and_a_good_one_still_does(tmp_path, capsys):
    doc = scan(tmp_path, capsys).doc
    sm201 = [f for f in by_rule(doc, "SM201") if f["path"].endswith("InitialInstanceCount")]
    assert sm201 and all("suppression" not in f for f in sm201)
    assert all("suppression" not in f for f in by_rule(doc, "SM203"))
    [sized] = by_rule(doc, "SM501")
    assert sized["suppression"] == {"kind": "inSource", "reason": "load-tested on c5 (PERF-12)",
                                    "source": f"{tmp_path / 'stack.yaml'} Metadata.sm-audit"}
    assert "suppression" not in by_rule(doc, "SM001")[0]  # the errors themselves cannot be suppressed


def test_skip_that_is_not_a_list_is_one_error(tmp_path, capsys):
    text = TEMPLATE.replace("        skip:\n", "        skip: SM201\n        old:\n")
    doc = scan(tmp_path, capsys, text).doc
    [f] = by_rule(doc, "SM001")
    assert f["location"]["line"] == 6
    assert f["message"] == ("Metadata skip entry for a rule on Config Metadata.sm-audit.skip must be a list of "
                            "{rule: ID, reason: why} entries; the suppression is not applied")


def test_the_same_entry_in_the_config_file_is_also_refused(tmp_path, capsys):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("suppressions:\n  - rule: SM999\n    reason: typo\n")
    r = scan(tmp_path, capsys, TEMPLATE, "--config", str(cfg))
    assert r.code == 2 and "suppressions[0].rule: no such rule 'SM999'" in r.err


def test_skip_rule_does_not_make_a_skip_entry_unknown(tmp_path, capsys):
    doc = scan(tmp_path, capsys, TEMPLATE, "--rule", "SM403").doc
    assert {f["message"].split(" on ")[0] for f in by_rule(doc, "SM001")} == {
        "Metadata skip entry for SM201", "Metadata skip entry for SM999", "Metadata skip entry for SM203",
        "Metadata skip entry for a rule"}


def test_sm001_rule_info_covers_suppressions(tmp_path, capsys):
    doc = scan(tmp_path, capsys).doc
    [info] = [r for r in doc["rules"] if r["id"] == "SM001"]
    assert info["title"] == "Input or suppression cannot be used"
    assert "every suppression must name a known rule and give a reason" in info["policy"]
