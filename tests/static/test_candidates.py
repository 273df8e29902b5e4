"""Finite choices: region mappings and AllowedValues are judged candidate
by candidate; fail when all fail, pass when all pass, else unknown naming
the failing ones."""

from __future__ import annotations

import textwrap
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.config import parse
from auditor.loaders.candidates import candidates
from auditor.loaders.parameters import Pins
from auditor.scan import scan

from ..rules.helpers import TODAY

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "candidates"


def _findings(path, rule: str, pins=None, production: bool = False):
    doc = scan([str(path)], parse({}, "test-config"), select=[rule], today=TODAY, pins=pins, production=production)
    return [f for f in doc.findings if f.rule == rule], doc.evaluations


def test_region_map_every_candidate_fails():
    (f,), evs = _findings(FIX / "region-map-bad.yaml", "SM101")
    assert f.outcome == "fail" and f.path == "PrimaryContainer.Image" and f.location.line == 12
    assert f.message == (
        "when AWS::Region is eu-west-1: image 763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-inference:latest "
        "uses the mutable tag :latest; pin a version tag or a @sha256 digest; when AWS::Region is us-east-1: image "
        "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:latest uses the mutable tag :latest; pin a "
        "version tag or a @sha256 digest (every candidate fails)")
    assert [e.outcome for e in evs if e.rule == "SM101"] == ["fail"]


def test_region_map_every_candidate_passes():
    fs, evs = _findings(FIX / "region-map-good.yaml", "SM101")
    assert fs == [] and [e.outcome for e in evs if e.rule == "SM101"] == ["pass"]


def test_region_map_some_candidates_fail_is_unknown_naming_them():
    (f,), evs = _findings(FIX / "region-map-mixed.yaml", "SM101")
    assert f.outcome == "unknown" and f.level == "note" and f.remediation is None
    assert f.message.startswith("fails only when AWS::Region is eu-west-1, not when AWS::Region is us-east-1 "
                                "(the template leaves it open; --region decides): image 763104351884.dkr.ecr."
                                "eu-west-1.amazonaws.com/pytorch-inference:latest uses the mutable tag :latest")
    assert [e.outcome for e in evs if e.rule == "SM101"] == ["unknown"]


def test_a_pinned_region_is_the_value():
    fs, _ = _findings(FIX / "region-map-mixed.yaml", "SM101", Pins(region="us-east-1"))
    assert fs == []
    (f,), _ = _findings(FIX / "region-map-mixed.yaml", "SM101", Pins(region="eu-west-1"))
    assert f.outcome == "fail" and "eu-west-1.amazonaws.com/pytorch-inference:latest" in f.message
    (f,), _ = _findings(FIX / "region-map-mixed.yaml", "SM101", Pins(region="ap-south-1"))
    assert f.outcome == "unknown" and "mapping ImageMap/ap-south-1/Image is not defined" in f.message


def test_allowed_values_are_candidates():
    fs, evs = _findings(FIX / "allowed-values.yaml", "SM201")
    counts = {f.path: f for f in fs if f.path.endswith("InitialInstanceCount")}
    assert set(counts) == {"ProductionVariants[0].InitialInstanceCount", "ProductionVariants[2].InitialInstanceCount"}
    mixed = counts["ProductionVariants[0].InitialInstanceCount"]
    assert mixed.outcome == "unknown"
    assert mixed.message == ("fails only when parameter Count is 1, not when parameter Count is 2 (the template "
                             "leaves it open; --parameter Count=... decides): variant Mixed runs on 1 instance(s); "
                             "production needs at least 2")
    bad = counts["ProductionVariants[2].InitialInstanceCount"]
    assert bad.outcome == "fail" and bad.message == (
        "when parameter BadCount is 0: variant Bad runs on 0 instance(s); production needs at least 2; when "
        "parameter BadCount is 1: variant Bad runs on 1 instance(s); production needs at least 2 "
        "(every candidate fails)")
    pinned, _ = _findings(FIX / "allowed-values.yaml", "SM201", Pins({"Count": "2", "BadCount": "2"}))
    assert [f.path for f in pinned if f.path.endswith("InitialInstanceCount")] == []


def test_a_default_does_not_bind_but_a_pin_does(tmp_path):
    """A deployment may pass any allowed value: the Default is one candidate
    among them; only a parameter file or --parameter binds it."""
    t = {"Parameters": {"A": {"Type": "String", "AllowedValues": ["x", "y"], "Default": "x"},
                        "B": {"Type": "String", "AllowedValues": ["x", "y"]},
                        "Unused": {"Type": "String", "AllowedValues": ["x", "y"]}},
         "Resources": {"R": {"Type": "AWS::SageMaker::Model", "Properties": {"X": [{"Ref": "A"}, {"Ref": "B"}]}}}}
    assert [c.describe() for c in candidates(t)] == [
        "parameter A is x and parameter B is x", "parameter A is x and parameter B is y",
        "parameter A is y and parameter B is x", "parameter A is y and parameter B is y"]
    assert [c.describe() for c in candidates(t, Pins({"A": "x", "B": "x"}))] == [""]


DEFAULTED = """\
Parameters:
  Count: {Type: Number, Default: 2, AllowedValues: [1, 2]}
  Big: {Type: Number, Default: 3, AllowedValues: [2, 3]}
Resources:
  Config:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      Tags: [{Key: Environment, Value: prod}]
      ProductionVariants:
        - {VariantName: A, ModelName: m, InstanceType: ml.m5.large, InitialInstanceCount: !Ref Count}
        - {VariantName: B, ModelName: m, InstanceType: ml.m5.large, InitialInstanceCount: !Ref Big}
"""


def test_a_defaulted_parameter_is_judged_on_its_allowed_values(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text(DEFAULTED)
    fs, _ = _findings(path, "SM201")
    fs = [f for f in fs if f.path.endswith("InitialInstanceCount")]  # model m is not in the template
    assert [(f.path, f.outcome, f.message) for f in fs] == [
        ("ProductionVariants[0].InitialInstanceCount", "unknown",
         "fails only when parameter Count is 1, not when parameter Count is 2 (the template leaves it open; "
         "--parameter Count=... decides): variant A runs on 1 instance(s); production needs at least 2")]
    pinned, _ = _findings(path, "SM201", Pins({"Count": "2"}))
    assert [f for f in pinned if f.path.endswith("InitialInstanceCount")] == []


def test_the_number_of_candidates_is_bounded():
    regions = {f"r{i}-x-1": {"K": str(i)} for i in range(40)}  # 40 distinct rows: past the bound
    t = {"Mappings": {"M": regions},
         "Resources": {"R": {"Type": "AWS::SageMaker::Model",
                             "Properties": {"X": {"Fn::FindInMap": ["M", {"Ref": "AWS::Region"}, "K"]}}}}}
    assert [c.describe() for c in candidates(t)] == [""]
    same = {f"r{i}-x-1": {"K": "v"} for i in range(40)}  # equal rows are one candidate
    t["Mappings"]["M"] = same
    (c,) = candidates(t)
    assert c.region == "r0-x-1" and len(c.choices[0][1]) == 40


_TEMPLATE = """\
Mappings:
  ImageMap:
{rows}
Resources:
  Model:
    Type: AWS::SageMaker::Model
    Properties:
      PrimaryContainer:
        Image: !FindInMap [ImageMap, !Ref "AWS::Region", Image]
"""
_REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "ap-south-1"]


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(st.booleans(), min_size=1, max_size=4))
def test_verdict_follows_the_candidates(tmp_path_factory, latest):
    regions = _REGIONS[:len(latest)]
    rows = "\n".join(f"    {r}: {{Image: 763104351884.dkr.ecr.{r}.amazonaws.com/pytorch-inference:"
                     f"{'latest' if bad else '2.1.0-cpu-py310'}}}" for r, bad in zip(regions, latest))
    path = tmp_path_factory.mktemp("cand") / "t.yaml"
    path.write_text(_TEMPLATE.format(rows=rows))
    fs, _ = _findings(path, "SM101")
    failing = sorted(r for r, bad in zip(regions, latest) if bad)
    if not failing:
        assert fs == []
    elif len(failing) == len(regions):
        assert [f.outcome for f in fs] == ["fail"]
        assert all(f":{r}" not in fs[0].message or r in fs[0].message for r in regions)
    else:
        (f,) = fs
        assert f.outcome == "unknown"
        assert f.message.startswith("fails only when AWS::Region is " + " or ".join(failing) + ",")


def test_fail_unknown_and_pass_candidates_are_each_named():
    from auditor.candidates import merge_candidates
    from auditor.loaders.candidates import Candidate
    from auditor.models.findings import Evaluation, Finding, Location

    def finding(outcome, msg):
        return Finding(rule="SM101", slug="container-image", level="error" if outcome == "fail" else "note",
                       outcome=outcome, message=msg, path="P", location=Location(), fingerprint="f")

    def ev(outcome):
        return [Evaluation(rule="SM101", resource="k", outcome=outcome)]

    cs = [Candidate((("AWS::Region", (r,)),), {}, r) for r in ("us-east-1", "eu-west-1", "ap-south-1")]
    fs, es = merge_candidates([(cs[0], [finding("fail", "bad")], ev("fail")),
                               (cs[1], [finding("unknown", "dunno")], ev("unknown")), (cs[2], [], ev("pass"))])
    (f,) = fs
    assert f.outcome == "unknown" and f.level == "note"
    assert f.message == ("fails only when AWS::Region is us-east-1, cannot be told when AWS::Region is eu-west-1, "
                         "not when AWS::Region is ap-south-1 (the template leaves it open; --region decides): bad")
    assert [e.outcome for e in es] == ["unknown"]
    fs, es = merge_candidates([(c, [finding("unknown", "dunno")], ev("unknown")) for c in cs])
    assert [(f.outcome, f.message) for f in fs] == [("unknown", "dunno")]  # the same doubt everywhere: said once
