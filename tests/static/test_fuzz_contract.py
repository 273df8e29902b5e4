"""Issue 13: the contract under generated input. Whatever a template, a
snapshot or a saved results file holds, ``scan`` and ``report`` exit 0, 1 or
2, write valid output and never an internal error or a rule crash.

Bounded and derandomized (the same examples on every run), a few seconds
each. The journal reader has its own (tests/remediation)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .helpers import run_cli

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rules"
SNAPSHOT = json.loads((FIXTURES / "SM502" / "bad.json").read_text())
FUZZ = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])

HOSTILE_TEXT = st.sampled_from(["", "x", "\x1b[2J", "\u202e", "\r\n", "*", "${AWS::Region}", "arn:aws:x",
                                "s3://b/k", "ml.m5.large", "latest", "AllTraffic", "\x00", "\ud800", "9" * 5000,
                                "NaN", "-1", "true"])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(10 ** 6), max_value=10 ** 6),
                    st.sampled_from(["HUGE_INT_LITERAL", 0, -1, 2 ** 63]),
                    st.floats(allow_nan=True, allow_infinity=True), HOSTILE_TEXT,
                    st.text(max_size=12))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8) | HOSTILE_TEXT, inner, max_size=4)),
    max_leaves=25)
TYPES = st.sampled_from(["AWS::SageMaker::Model", "AWS::SageMaker::EndpointConfig", "AWS::SageMaker::Endpoint",
                         "AWS::ApplicationAutoScaling::ScalableTarget",
                         "AWS::ApplicationAutoScaling::ScalingPolicy", "AWS::CloudWatch::Alarm",
                         "AWS::S3::Bucket", "AWS::IAM::Role", "AWS::Logs::LogGroup"])
PROPS = st.sampled_from(["ModelName", "PrimaryContainer", "Containers", "Image", "ExecutionRoleArn", "VpcConfig",
                         "ProductionVariants", "InitialInstanceCount", "InstanceType", "VariantName",
                         "EndpointConfigName", "DeploymentConfig", "MinCapacity", "MaxCapacity", "MetricName",
                         "Namespace", "Dimensions", "Threshold", "TargetTrackingScalingPolicyConfiguration",
                         "KmsKeyId", "DataCaptureConfig", "Tags", "ResourceId", "Policies", "Condition"])


def _intrinsic(inner):
    return st.one_of(
        st.builds(lambda v: {"Ref": v}, inner), st.builds(lambda v: {"Fn::GetAtt": v}, inner),
        st.builds(lambda a, b, c: {"Fn::If": [a, b, c]}, inner, inner, inner),
        st.builds(lambda v: {"Fn::Sub": v}, inner), st.builds(lambda v: {"Fn::Select": v}, inner),
        st.builds(lambda v: {"Condition": v}, inner), st.builds(lambda v: {"Fn::FindInMap": v}, inner))


PROP_VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(PROPS, inner, max_size=4), _intrinsic(inner)), max_leaves=20)
TEMPLATES = st.fixed_dictionaries({
    "Resources": st.dictionaries(st.sampled_from(["Model", "Config", "Endpoint", "Target", "Policy", "Alarm",
                                                  "Bucket", "Role", "Logs"]),
                                 st.fixed_dictionaries({"Type": TYPES},
                                                       optional={"Properties": st.dictionaries(PROPS, PROP_VALUES,
                                                                                               max_size=6),
                                                                 "Condition": PROP_VALUES,
                                                                 "DependsOn": PROP_VALUES}),
                                 min_size=1, max_size=4)},
    optional={"Parameters": st.dictionaries(st.sampled_from(["Env", "Count"]), VALUES, max_size=2),
              "Conditions": st.dictionaries(st.sampled_from(["IsProd", "C"]), PROP_VALUES, max_size=2),
              "Mappings": VALUES, "Metadata": VALUES})


# a placeholder: hypothesis cannot print (nor json write) an int past 4,300 digits
HUGE = ("HUGE_INT_LITERAL", "7" * 5000)


def _json_text(data) -> str:
    # json.dumps writes NaN/Infinity: hostile on purpose, like the huge integers
    return json.dumps(data, ensure_ascii=True).replace(f'"{HUGE[0]}"', HUGE[1])


def _check_scan(capsys, path: Path) -> None:
    r = run_cli(capsys, "scan", str(path), "-f", "json", "--production")
    assert r.code in (0, 1), (r.code, r.err[-2000:])
    assert "internal error" not in r.err and "Traceback" not in r.err
    doc = json.loads(r.out)
    crashed = [f["message"] for f in doc["findings"] if f["rule"] == "SM000"]
    assert crashed == [], crashed


@FUZZ
@given(template=TEMPLATES, as_yaml=st.booleans())
def test_generated_templates_keep_the_contract(capsys, template, as_yaml):
    with tempfile.TemporaryDirectory() as d:
        if as_yaml:
            import yaml

            try:
                text = yaml.safe_dump(template, allow_unicode=False).replace(HUGE[0], HUGE[1])
            except (yaml.YAMLError, UnicodeEncodeError, ValueError):
                return
            path = Path(d) / "t.yaml"
            path.write_text(text, encoding="utf-8", errors="surrogatepass")
        else:
            path = Path(d) / "t.json"
            path.write_text(_json_text(template))
        _check_scan(capsys, path)


@FUZZ
@given(raw=st.binary(max_size=300), prefix=st.sampled_from([b"", b"Resources:\n  M:\n    Type: ",
                                                            b'{"Resources": {"M": {"Type": ']))
def test_arbitrary_bytes_keep_the_contract(capsys, raw, prefix):
    with tempfile.TemporaryDirectory() as d:
        for name in ("t.yaml", "t.json"):
            path = Path(d) / name
            path.write_bytes(prefix + raw)
            _check_scan(capsys, path)


def _paths(v, prefix=()):
    yield prefix
    if isinstance(v, dict):
        for k, x in v.items():
            yield from _paths(x, prefix + (k,))
    elif isinstance(v, list):
        for i, x in enumerate(v):
            yield from _paths(x, prefix + (i,))


def _replace(doc, path, value):
    if not path:
        return value
    doc = json.loads(json.dumps(doc))
    target = doc
    for k in path[:-1]:
        target = target[k]
    target[path[-1]] = value
    return doc


SNAPSHOT_PATHS = [p for p in _paths(SNAPSHOT) if p and p[0] != "sm-audit-snapshot"]


@FUZZ
@given(mutations=st.lists(st.tuples(st.sampled_from(SNAPSHOT_PATHS), VALUES), min_size=1, max_size=3))
def test_mutated_snapshots_keep_the_contract(capsys, mutations):
    doc = SNAPSHOT
    for path, value in mutations:
        try:
            doc = _replace(doc, path, value)
        except (KeyError, IndexError, TypeError):
            continue
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "snap.json"
        path.write_text(_json_text(doc))
        _check_scan(capsys, path)


def _results() -> dict:
    from tests.reports.samples import live_doc

    return json.loads(live_doc().to_json())


RESULTS = _results()
RESULT_PATHS = [p for p in _paths(RESULTS) if p]


@FUZZ
@given(mutations=st.lists(st.tuples(st.sampled_from(RESULT_PATHS), VALUES), min_size=1, max_size=3),
       fmt=st.sampled_from(["text", "json", "sarif", "html", "junit", "markdown"]))
def test_mutated_results_keep_the_contract(capsys, mutations, fmt):
    doc = RESULTS
    for path, value in mutations:
        try:
            doc = _replace(doc, path, value)
        except (KeyError, IndexError, TypeError):
            continue
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "r.json"
        path.write_text(_json_text(doc))
        r = run_cli(capsys, "report", str(path), "-f", fmt)
    assert r.code in (0, 1, 2), (r.code, r.err[-2000:])
    assert "internal error" not in r.err and "Traceback" not in r.err
    if r.code == 2:
        assert r.err.strip() and r.out == ""
    elif fmt in ("json", "sarif"):
        json.loads(r.out)
    elif fmt == "junit":
        import xml.etree.ElementTree as ET

        ET.fromstring(r.out)


@pytest.mark.parametrize("name", ["t.yaml", "t.json"])
def test_empty_resources_keep_the_contract(capsys, tmp_path, name):
    (tmp_path / name).write_text('{"Resources": {}}')
    _check_scan(capsys, tmp_path / name)
