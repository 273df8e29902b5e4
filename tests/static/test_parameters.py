"""Pinned values: --parameters files (both formats), --parameter, --region,
and the config's deployments; bad files are usage errors that name them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.loaders.parameters import ParameterFileError, Pins, parse

from .helpers import by_rule, run_cli

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "parameters"
TEMPLATE = str(FIX / "endpoint.yaml")


def _scan(capsys, *args: str):
    return run_cli(capsys, "scan", TEMPLATE, "--format", "json", "--rule", "SM101", "--rule", "SM201", *args)


def _count_findings(doc: dict) -> list[dict]:
    return [f for f in by_rule(doc, "SM201") if f["path"] == "ProductionVariants[0].InitialInstanceCount"]


def test_without_values_the_parameters_are_unknown(capsys):
    r = _scan(capsys)
    assert r.code == 0
    (img,) = by_rule(r.doc, "SM101")
    assert img["outcome"] == "unknown" and "parameter ImageTag has no default" in img["message"]
    assert _count_findings(r.doc) == []  # not production without the configuration's tags


def test_codepipeline_configuration_pins_values_and_tags_production(capsys):
    r = _scan(capsys, "--parameters", str(FIX / "prod-config.json"))
    assert r.code == 1
    (img,) = by_rule(r.doc, "SM101")
    assert img["outcome"] == "fail" and ":latest uses the mutable tag :latest" in img["message"]
    # the configuration's Tags make the stack's resources production: SM201 applies
    (count,) = _count_findings(r.doc)
    assert count["outcome"] == "fail"
    assert count["message"].startswith("variant AllTraffic runs on 1 instance(s); production needs at least 2")
    assert count["location"]["line"] == 25


def test_later_files_and_single_values_win(capsys):
    r = _scan(capsys, "--parameters", str(FIX / "prod-config.json"), "--parameters", str(FIX / "params.json"))
    assert by_rule(r.doc, "SM101") == [] and _count_findings(r.doc) == []  # 3 instances, version tag
    r = _scan(capsys, "--parameters", str(FIX / "prod-config.json"), "--parameters", str(FIX / "params.json"),
              "--parameter", "InstanceCount=1")
    assert _count_findings(r.doc)[0]["message"].startswith("variant AllTraffic runs on 1 instance(s)")


def test_region_pins_the_pseudo_parameter(capsys):
    r = _scan(capsys, "--parameter", "ImageTag=latest", "--region", "eu-west-1")
    (img,) = by_rule(r.doc, "SM101")
    assert "763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-inference:latest" in img["message"]
    r = _scan(capsys, "--parameter", "ImageTag=latest")
    assert "dkr.ecr.${AWS::Region}.amazonaws.com" in by_rule(r.doc, "SM101")[0]["message"]


def test_a_value_cloudformation_would_reject_is_an_input_error(capsys):
    r = run_cli(capsys, "scan", TEMPLATE, "--format", "json", "--parameters", str(FIX / "not-allowed.json"))
    (bad,) = by_rule(r.doc, "SM001")
    assert bad["message"].startswith("parameter Stage = 'qa' (from ")
    assert "is not one of its AllowedValues dev, prod" in bad["message"]
    assert bad["location"]["line"] == 8 and r.code == 1


@pytest.mark.parametrize("args, wanted", [
    (["--parameters", str(FIX / "bad-format.json")],
     "bad-format.json:1: unknown key 'Parameter': expected a JSON list of"),
    (["--parameters", str(FIX / "bad-value.json")],
     "bad-value.json:3: item 1 (ImageTag): ParameterValue must be a string"),
    (["--parameters", str(FIX / "missing.json")], "missing.json: cannot read parameter file"),
    (["--parameter", "InstanceCount"], "--parameter 'InstanceCount': expected KEY=VALUE"),
    (["--region", "moon"], "--region 'moon': not an AWS region name"),
])
def test_bad_values_are_usage_errors_naming_the_file(capsys, args, wanted):
    r = run_cli(capsys, "scan", TEMPLATE, *args)
    assert r.code == 2 and r.out == ""
    assert wanted in r.err and "Traceback" not in r.err


def test_config_deployments_bind_globs_to_files_and_regions(capsys, tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    (repo / "templates").mkdir(parents=True)
    shutil.copy(TEMPLATE, repo / "templates" / "endpoint.yaml")
    shutil.copy(TEMPLATE, repo / "templates" / "other.yaml")
    shutil.copy(FIX / "prod-config.json", repo / "prod-config.json")
    (repo / ".sm-audit.yaml").write_text(
        "deployments:\n"
        "  - templates: templates/endpoint*.yaml\n"
        "    parameters: [prod-config.json]\n"
        "    region: ap-south-1\n"
        "  - templates: [templates/other.yaml]\n"
        "    values: {ImageTag: 2.1.0-cpu-py310, InstanceCount: 2}\n")
    monkeypatch.chdir(repo)
    r = run_cli(capsys, "scan", "templates", "--format", "json", "--rule", "SM101", "--rule", "SM201")
    (img,) = by_rule(r.doc, "SM101")
    assert img["location"]["file"] == "templates/endpoint.yaml"
    assert "dkr.ecr.ap-south-1.amazonaws.com/pytorch-inference:latest" in img["message"]
    counts = _count_findings(r.doc)
    assert [f["location"]["file"] for f in counts] == ["templates/endpoint.yaml"]
    # the command line wins over the config
    r = run_cli(capsys, "scan", "templates", "--format", "json", "--rule", "SM101", "--parameter", "ImageTag=1.0")
    assert by_rule(r.doc, "SM101") == []


@pytest.mark.parametrize("body, wanted", [
    ("deployments:\n  - templates: x.yaml\n    parameters: [nope.json]\n",
     "deployments[0].parameters: nope.json: cannot read parameter file"),
    ("deployments:\n  - templates: x.yaml\n    region: Europe\n", "'Europe' is not an AWS region name"),
    ("deployments:\n  - parameters: [p.json]\n", "deployments[0].templates"),
])
def test_bad_deployments_in_the_config_are_config_errors(capsys, tmp_path, monkeypatch, body, wanted):
    (tmp_path / ".sm-audit.yaml").write_text(body)
    monkeypatch.chdir(tmp_path)
    r = run_cli(capsys, "scan", TEMPLATE)
    assert r.code == 2 and wanted in r.err, r.err


# -- the parser ------------------------------------------------------------

_keys = st.text(alphabet="ABCXYZabcxyz0189", min_size=1, max_size=12)
_values = st.text(max_size=20)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_keys, _values, max_size=6), st.dictionaries(_keys, _values, max_size=4))
def test_both_formats_round_trip(params, tags):
    listed = [{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()]
    assert parse(json.loads(json.dumps(listed)), "p.json").parameters == params
    pins = parse({"Parameters": params, "Tags": tags}, "c.json")
    assert pins.parameters == params and pins.tags == tags
    assert set(pins.origin) == set(params)


_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                   max_size=4),
                     max_leaves=12)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_json)
def test_any_json_is_pins_or_an_error_naming_the_file(data):
    try:
        pins = parse(data, "any.json")
    except ParameterFileError as e:
        assert str(e).startswith("any.json")
        return
    assert isinstance(pins, Pins)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in {**pins.parameters, **pins.tags}.items())


def test_previous_values_are_not_pinned():
    pins = parse([{"ParameterKey": "A", "UsePreviousValue": True}, "B=x=y"], "p.json")
    assert pins.parameters == {"B": "x=y"}


def test_worker_processes_see_the_pins(tmp_path):
    import sys

    from auditor.config import Config
    from auditor.scan import scan

    if not sys.platform.startswith("linux"):
        pytest.skip("workers fork on Linux only")
    for i in range(3):
        shutil.copy(TEMPLATE, tmp_path / f"t{i}.yaml")
    pins = Pins({"ImageTag": "latest"})
    docs = [scan([str(tmp_path)], Config(), select=["SM101"], jobs=j, pins=pins) for j in (1, 2)]
    assert [f.message for f in docs[0].findings] == [f.message for f in docs[1].findings]
    assert len(docs[1].findings) == 3 and all(":latest uses the mutable tag" in f.message for f in docs[1].findings)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=30))
def test_command_line_values_are_pairs_or_usage_errors(text):
    from auditor.loaders.parameters import check_region, parse_assignment

    try:
        key, value = parse_assignment(text)
    except ParameterFileError as e:
        assert str(e).startswith("--parameter ")
        assert "=" not in text or not text.split("=", 1)[0].strip()
    else:
        assert text == f"{text.split('=', 1)[0]}={value}" and key == text.split("=", 1)[0].strip() and key
    try:
        assert check_region(text) == text and text == text.strip().lower()
    except ParameterFileError as e:
        assert str(e).startswith("--region ")
