"""Terminal output: grouped by file, colour only on a terminal; JSON is the
stable result document; --fail-on decides the exit code."""

from __future__ import annotations

import json
import sys

import pytest

from .helpers import GOOD, run_cli


@pytest.fixture
def two_files(tmp_path):
    (tmp_path / "a.yaml").write_text(GOOD)
    # both files have an SM201 finding (the single instance) so both get a heading
    (tmp_path / "b.yaml").write_text("# b\n" + GOOD)
    return tmp_path


def test_text_is_grouped_by_file_without_colour_off_a_terminal(two_files, capsys):
    r = run_cli(capsys, "scan", "--rule", "SM201", str(two_files), "--production")
    assert "\033[" not in r.out
    lines = r.out.splitlines()
    a = next(i for i, x in enumerate(lines) if x.endswith("a.yaml"))
    b = next(i for i, x in enumerate(lines) if x.endswith("b.yaml"))
    assert a < b
    assert any("15:11" in x and "error" in x and "SM201 high-availability Config" in x for x in lines[a:b])
    assert "in 2 file(s)" in lines[-1]


def test_colour_on_a_terminal_unless_no_color(two_files, capsys, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    r = run_cli(capsys, "scan", "--rule", "SM201", str(two_files), "--production")
    assert "\033[31m" in r.out
    monkeypatch.setenv("NO_COLOR", "1")
    r = run_cli(capsys, "scan", "--rule", "SM201", str(two_files), "--production")
    assert "\033[" not in r.out
    monkeypatch.delenv("NO_COLOR")
    out = two_files / "report.txt"
    r = run_cli(capsys, "scan", "--rule", "SM201", str(two_files), "--production", "-o", str(out))
    assert "\033[" not in out.read_text() and r.out == ""


def test_json_document_shape_and_determinism(two_files, capsys):
    r1 = run_cli(capsys, "scan", str(two_files), "--production", "-f", "json")
    r2 = run_cli(capsys, "scan", str(two_files), "--production", "-f", "json")
    assert r1.out == r2.out
    doc = json.loads(r1.out)
    assert set(doc) >= {"tool", "run", "rules", "findings", "evaluations"}
    assert doc["run"]["command"] == "scan" and doc["run"]["files_scanned"] == 2
    f = next(x for x in doc["findings"] if x["rule"] == "SM201" and x["resource"]["id"] == "Config")
    assert set(f) >= {"rule", "slug", "level", "outcome", "message", "resource", "path", "location", "fingerprint"}
    assert f["location"]["line"] == 15 and f["location"]["column"] == 11


@pytest.mark.parametrize("fail_on,code", [("error", 1), ("warning", 1), ("note", 1), ("never", 0)])
def test_fail_on(two_files, capsys, fail_on, code):
    assert run_cli(capsys, "scan", "--rule", "SM201", str(two_files), "--production",
                   "--fail-on", fail_on).code == code


UNKNOWN_COUNT = """\
Parameters:
  Count: {Type: Number}
Resources:
  SubnetA:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: vpc-1, CidrBlock: 10.0.1.0/24, AvailabilityZone: us-east-1a}
  SubnetB:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: vpc-1, CidrBlock: 10.0.2.0/24, AvailabilityZone: us-east-1b}
  Model:
    Type: AWS::SageMaker::Model
    Properties:
      PrimaryContainer: {Image: 763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1.0-cpu-py310}
      VpcConfig: {SecurityGroupIds: [sg-1], Subnets: [!Ref SubnetA, !Ref SubnetB]}
  Config:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      ProductionVariants:
        - {VariantName: AllTraffic, ModelName: !GetAtt Model.ModelName, InitialInstanceCount: !Ref Count,
           InstanceType: ml.m5.large}
"""


def test_unknown_results_never_fail_the_gate(tmp_path, capsys):
    (tmp_path / "t.yaml").write_text(UNKNOWN_COUNT)
    r = run_cli(capsys, "scan", "--rule", "SM201", str(tmp_path), "--production", "-f", "json")
    assert [(x["outcome"], x["resource"]["id"]) for x in r.doc["findings"]] == [("unknown", "Config")]
    assert "parameter Count has no default" in r.doc["findings"][0]["message"]
    assert r.code == 0
    assert run_cli(capsys, "scan", "--rule", "SM201", str(tmp_path), "--production", "--fail-on", "note").code == 0
