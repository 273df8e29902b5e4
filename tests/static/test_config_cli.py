"""Configuration and suppressions, end to end through the command line."""

from __future__ import annotations

import textwrap

import pytest

from .helpers import by_rule, run_cli

TEMPLATE = """\
Resources:
  Model:
    Type: AWS::SageMaker::Model
    Properties:
      PrimaryContainer: {Image: 763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1.0-cpu-py310}
      VpcConfig:
        Subnets: [subnet-a]
        SecurityGroupIds: [sg-1]
  Config:
    Type: AWS::SageMaker::EndpointConfig
    Metadata:
      sm-audit:
        skip:
          - rule: SM201
            reason: "dev endpoint, one instance is enough"
            expires: EXPIRY
    Properties:
      ProductionVariants:
        - VariantName: AllTraffic
          ModelName: !GetAtt Model.ModelName
          InitialInstanceCount: 1
          InstanceType: ml.m5.large
  OtherConfig:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      ProductionVariants:
        - VariantName: AllTraffic
          ModelName: !GetAtt Model.ModelName
          InitialInstanceCount: 1
          InstanceType: ml.m5.large
"""


def write(tmp_path, expiry="2099-12-31", name="stack.yaml", metadata=True):
    text = TEMPLATE.replace("EXPIRY", expiry)
    if not metadata:
        start = text.index("    Metadata:")
        text = text[:start] + text[text.index("    Properties:", start):]
    f = tmp_path / name
    f.write_text(text)
    return f


def config(tmp_path, text: str):
    f = tmp_path / "cfg.yaml"
    f.write_text(textwrap.dedent(text))
    return str(f)


def sm201(doc):
    return {(f["resource"]["id"], f["path"]): f for f in by_rule(doc, "SM201")}


# -- errors name the key, exit 2 ------------------------------------------------------

@pytest.mark.parametrize("text,expected", [
    ("rules:\n  SM201:\n    params:\n      min_instance: 3\n", "cfg.yaml:4: rules.SM201.params.min_instance: unknown key"),
    ("rules:\n  SM201:\n    severity: critical\n", "rules.SM201.severity: Input should be 'error', 'warning' or 'note'"),
    ("rules:\n  SM999: {enabled: false}\n", "cfg.yaml:2: rules.SM999: no such rule"),
    ("suppressions:\n  - {rule: SM201, reason: x, expires: 2027-13-01}\n", "suppressions[0].expires"),
    ("suppressions:\n  - {rule: SM201, reason: x, expires: someday}\n", "suppressions[0].expires"),
    ("suppressions:\n  - {rule: SM201, reason: '  '}\n", "suppressions[0].reason: a suppression needs a reason"),
    ("suppressions:\n  - {rule: SM201}\n", "suppressions[0].reason: Field required"),
    ("suppressions:\n  - {rule: SM20, reason: x}\n", "suppressions[0].rule: no such rule 'SM20'"),
    ("suppresions: []\n", "suppresions: unknown key"),
    ("fail_on: sometimes\n", "fail_on: Input should be"),
    ("production: {tag_key: Env}\n", "production.tag_key: unknown key"),
    ("rules: {SM201: {enabled: false}}\nrules: {}\n", "duplicate key 'rules'"),
    ("rules: [\n", "invalid YAML"),
    ("- 1\n", "the configuration must be a mapping"),
])
def test_bad_config_is_exit_2_naming_the_key(tmp_path, capsys, text, expected):
    f = write(tmp_path)
    r = run_cli(capsys, "scan", "--rule", "SM201", str(f), "--config", config(tmp_path, text))
    assert r.code == 2, (r.out, r.err)
    assert expected in r.err
    assert "Traceback" not in r.err and r.out == ""


def test_missing_config_file_is_exit_2(tmp_path, capsys):
    r = run_cli(capsys, "scan", "--rule", "SM201", str(write(tmp_path)), "--config", str(tmp_path / "nope.yaml"))
    assert r.code == 2 and "cannot read configuration" in r.err


def test_default_config_file_is_found_in_working_directory(tmp_path, capsys, monkeypatch):
    write(tmp_path)
    (tmp_path / ".sm-audit.yaml").write_text("rules:\n  SM201: {enabled: false}\n")
    monkeypatch.chdir(tmp_path)
    r = run_cli(capsys, "scan", "--rule", "SM201", ".", "--production", "-f", "json")
    assert by_rule(r.doc, "SM201") == [] and r.code == 0


# -- per-rule switches change results ----------------------------------------------------

def test_disable_severity_and_params(tmp_path, capsys):
    f = str(write(tmp_path, metadata=False))
    base = run_cli(capsys, "scan", "--rule", "SM201", f, "--production", "-f", "json")
    key = ("OtherConfig", "ProductionVariants[0].InitialInstanceCount")
    assert base.code == 1 and sm201(base.doc)[key]["level"] == "error"
    assert "at least 2" in sm201(base.doc)[key]["message"]

    off = run_cli(capsys, "scan", "--rule", "SM201", f, "--production", "-f", "json",
                  "--config", config(tmp_path, "rules:\n  SM201: {enabled: false}\n"))
    assert by_rule(off.doc, "SM201") == [] and off.code == 0
    assert "SM201" not in [r["id"] for r in off.doc["rules"]]

    warn = run_cli(capsys, "scan", "--rule", "SM201", f, "--production", "-f", "json",
                   "--config", config(tmp_path, "rules:\n  SM201: {severity: warning}\n"))
    assert sm201(warn.doc)[key]["level"] == "warning"
    assert warn.code == 0  # default --fail-on error
    assert run_cli(capsys, "scan", "--rule", "SM201", f, "--production", "--fail-on", "warning",
                   "--config", config(tmp_path, "rules:\n  SM201: {severity: warning}\n")).code == 1
    assert run_cli(capsys, "scan", "--rule", "SM201", f, "--production", "--fail-on", "never").code == 0

    params = run_cli(capsys, "scan", "--rule", "SM201", f, "--production", "-f", "json",
                     "--config", config(tmp_path, "rules:\n  SM201:\n    params: {min_instances: 1, min_azs: 1}\n"))
    assert key not in sm201(params.doc)
    info = next(r for r in params.doc["rules"] if r["id"] == "SM201")
    assert info["params"]["min_instances"] == 1


def test_fail_on_from_config(tmp_path, capsys):
    f = str(write(tmp_path, metadata=False))
    r = run_cli(capsys, "scan", "--rule", "SM201", f, "--production", "--config",
                config(tmp_path, "fail_on: never\n"))
    assert r.code == 0
    r = run_cli(capsys, "scan", "--rule", "SM201", f, "--production", "--fail-on", "error", "--config",
                config(tmp_path, "fail_on: never\n"))
    assert r.code == 1  # the command line wins


# -- suppressions --------------------------------------------------------------------------

def _only_config_and_other(tmp_path, capsys, *extra):
    # restrict SM201's AZ check so the instance counts are the only failures
    cfg = config(tmp_path, "rules:\n  SM201:\n    params: {min_azs: 1}\n" + "".join(extra))
    return cfg


def test_metadata_suppression_marks_finding_and_exit_0_when_only_failure(tmp_path, capsys):
    f = write(tmp_path)
    # only Config's finding is suppressed; OtherConfig's is not -> still exit 1
    cfg = _only_config_and_other(tmp_path, capsys)
    r = run_cli(capsys, "scan", "--rule", "SM201", str(f), "--production", "-f", "json", "--config", cfg)
    found = sm201(r.doc)
    sup = found[("Config", "ProductionVariants[0].InitialInstanceCount")]
    assert sup["suppression"] == {"kind": "inSource", "reason": "dev endpoint, one instance is enough",
                                  "expires": "2099-12-31", "source": sup["suppression"]["source"]}
    assert "Metadata.sm-audit" in sup["suppression"]["source"]
    assert "suppression" not in found[("OtherConfig", "ProductionVariants[0].InitialInstanceCount")] or \
        found[("OtherConfig", "ProductionVariants[0].InitialInstanceCount")]["suppression"] is None
    assert r.code == 1
    # now select only the suppressed resource's file path via a config suppression for the other one
    cfg = _only_config_and_other(tmp_path, capsys,
                                 "suppressions:\n  - {rule: SM201, resource: Other*, reason: accepted risk}\n")
    r = run_cli(capsys, "scan", "--rule", "SM201", str(f), "--production", "-f", "json", "--config", cfg)
    assert r.code == 0
    assert all(x["suppression"] for x in by_rule(r.doc, "SM201") if x["outcome"] == "fail")
    ev = {(e["rule"], e["resource"].split("#")[-1]): e["outcome"] for e in r.doc["evaluations"]}
    assert ev[("SM201", "Config")] == "suppressed"
    text = run_cli(capsys, "scan", "--rule", "SM201", str(f), "--production", "--config", cfg)
    assert "[suppressed: dev endpoint, one instance is enough]" in text.out
    assert "2 suppressed" in text.out


def test_expired_suppression_stops_suppressing_and_says_so(tmp_path, capsys):
    f = write(tmp_path, expiry="2020-01-31")
    cfg = _only_config_and_other(tmp_path, capsys,
                                 "suppressions:\n  - {rule: SM201, resource: OtherConfig, reason: accepted}\n")
    r = run_cli(capsys, "scan", "--rule", "SM201", str(f), "--production", "-f", "json", "--config", cfg)
    f1 = sm201(r.doc)[("Config", "ProductionVariants[0].InitialInstanceCount")]
    assert f1.get("suppression") is None
    assert any("expired on 2020-01-31" in n and "dev endpoint" in n for n in f1["notes"])
    assert r.code == 1
    text = run_cli(capsys, "scan", "--rule", "SM201", str(f), "--production", "--config", cfg)
    assert "expired on 2020-01-31" in text.out


def test_config_suppression_with_file_glob(tmp_path, capsys):
    write(tmp_path, name="dev-stack.yaml", metadata=False)
    write(tmp_path, name="prod-stack.yaml", metadata=False)
    cfg = _only_config_and_other(tmp_path, capsys,
                                 "suppressions:\n  - rule: high-availability\n    file: '*dev-*.yaml'\n"
                                 "    reason: dev stacks run one instance\n    expires: 2099-01-01\n")
    r = run_cli(capsys, "scan", "--rule", "SM201", str(tmp_path), "--production", "-f", "json", "--config", cfg)
    by_file = {}
    for x in by_rule(r.doc, "SM201"):
        if not x["path"].endswith("InitialInstanceCount"):
            continue
        by_file.setdefault(x["location"]["file"].rsplit("/", 1)[-1], []).append(bool(x.get("suppression")))
    assert by_file["dev-stack.yaml"] == [True, True]
    assert by_file["prod-stack.yaml"] == [False, False]
    assert r.code == 1
    sup = next(x for x in by_rule(r.doc, "SM201") if x.get("suppression"))["suppression"]
    assert sup["kind"] == "external" and sup["expires"] == "2099-01-01"


def test_input_errors_are_never_suppressed(tmp_path, capsys):
    (tmp_path / "bad.yaml").write_text("Resources: [\n")
    cfg = config(tmp_path, "suppressions:\n  - {rule: '*', reason: everything}\n")
    r = run_cli(capsys, "scan", "--rule", "SM201", str(tmp_path / "bad.yaml"), "-f", "json", "--config", cfg)
    assert r.code == 1 and by_rule(r.doc, "SM001")[0].get("suppression") is None


def test_unreadable_metadata_expiry_is_not_applied(tmp_path, capsys):
    f = write(tmp_path, expiry="next-year")
    r = run_cli(capsys, "scan", "--rule", "SM201", str(f), "--production", "-f", "json")
    f1 = sm201(r.doc)[("Config", "ProductionVariants[0].InitialInstanceCount")]
    assert f1.get("suppression") is None
    assert any("unreadable expiry 'next-year'" in n for n in f1["notes"])
