"""Property tests: the loader fails only with LoadError and keeps exact
positions; the resolver never crashes and always terminates."""

from __future__ import annotations

import json

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.loaders import load_file
from auditor.loaders.marked import LoadError, decode, load_json, load_text, load_yaml
from auditor.loaders.resolver import NOVALUE, Resolver
from auditor.loaders.template import load_template
from auditor.loaders.marked import Document
from auditor.values import Str, Sym, Unknown

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- loader never raises anything but LoadError ----------------------------------

@SETTINGS
@given(st.binary(max_size=400))
def test_decode_and_load_arbitrary_bytes(raw):
    try:
        text = decode(raw)
        load_text(text, is_json=False)
        load_text(text, is_json=True)
    except LoadError:
        pass


YAMLISH = st.lists(st.sampled_from(list("ab:-[]{}!&*|>?,#'\"\n\t %@`\\") + ["!Ref ", "!GetAtt ", "<<: ", "&x ", "*x"]),
                   max_size=60).map("".join)


@SETTINGS
@given(st.one_of(st.text(max_size=200), YAMLISH))
def test_load_arbitrary_text(text):
    for is_json in (False, True):
        try:
            docs = load_text(text, is_json)
        except LoadError:
            continue
        assert all(hasattr(d, "positions") for d in docs)


@SETTINGS
@given(st.one_of(st.binary(max_size=300), YAMLISH.map(lambda s: ("Resources:\n" + s).encode())))
def test_load_file_never_raises(tmp_path_factory, raw):
    f = tmp_path_factory.mktemp("f") / "t.yaml"
    f.write_bytes(raw)
    for explicit in (True, False):
        fr = load_file(str(f), explicit)
        assert fr.skipped or fr.problems or fr.inventories is not None


# -- random nested structures keep exact positions ---------------------------------

KEYS = st.text(alphabet=st.characters(codec="utf-8", categories=("L", "N")), min_size=1, max_size=8)
SCALARS = st.one_of(st.integers(-10**6, 10**6), st.booleans(), st.none(),
                    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12))
TREES = st.recursive(SCALARS, lambda kids: st.one_of(st.lists(kids, max_size=4),
                                                     st.dictionaries(KEYS, kids, max_size=4)), max_leaves=25)


def _paths(data, path=()):
    if isinstance(data, dict):
        for k, v in data.items():
            yield path + (k,), v
            yield from _paths(v, path + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield path + (i,), v
            yield from _paths(v, path + (i,))


def _snippet(text: str, span) -> str:
    """The source a span covers, with the text before it on its first line
    blanked so the indentation of the lines after it still lines up."""
    lines = text.split("\n")[span.line - 1: span.end_line]
    lines[-1] = lines[-1][: span.end_column - 1] if span.end_line > span.line else lines[-1]
    first = lines[0]
    end = span.end_column - 1 if span.end_line == span.line else len(first)
    lines[0] = " " * (span.column - 1) + first[span.column - 1: end]
    return "\n".join(lines)


def _check_positions(text, doc, data, as_json=False):
    """Every entry's span parses back to exactly ``{key: value}``, every
    sequence item's span to the item: positions are exact, not approximate."""
    for path, value in _paths(data):
        snippet = _snippet(text, doc.positions[path])
        if as_json:
            parsed = json.loads("{" + snippet + "}" if isinstance(path[-1], str) else snippet)
        else:
            parsed = _stringify(yaml.safe_load(snippet))
        if isinstance(path[-1], str):
            assert parsed == {path[-1]: value}, (path, snippet)
        else:
            assert parsed == value, (path, snippet)


@SETTINGS
@given(st.dictionaries(KEYS, TREES, min_size=1, max_size=5), st.booleans())
def test_random_structures_keep_exact_positions_yaml(data, flow):
    text = yaml.safe_dump(data, default_flow_style=flow, allow_unicode=True, sort_keys=False, width=10**6)
    (doc,) = load_yaml(text)
    assert doc.data == _stringify(yaml.safe_load(text))
    _check_positions(text, doc, doc.data)


@SETTINGS
@given(st.dictionaries(KEYS, TREES, min_size=1, max_size=5), st.sampled_from([None, 1, "\t"]))
def test_random_structures_keep_exact_positions_json(data, indent):
    text = json.dumps(data, indent=indent, ensure_ascii=False)
    (doc,) = load_json(text)
    assert doc.data == data
    assert doc.positions, "JSON lost its positions"
    _check_positions(text, doc, doc.data, as_json=True)


def _stringify(v):
    # YAML keys that load as numbers/bools are strings to us (CFN keys are strings)
    if isinstance(v, dict):
        return {(k if isinstance(k, str) else str(k).lower() if isinstance(k, bool) else str(k)): _stringify(x)
                for k, x in v.items()}
    if isinstance(v, list):
        return [_stringify(x) for x in v]
    return v


# -- resolver never crashes on random intrinsic trees -----------------------------

NAMES = st.sampled_from(["P", "Q", "Env", "R1", "R2", "Nope", "AWS::Region", "AWS::NoValue", "AWS::Partition",
                         "AWS::AccountId", "C1", "C2", "Loop", "M"])
FUNCS = ["Ref", "Fn::GetAtt", "Fn::Sub", "Fn::Join", "Fn::Select", "Fn::Split", "Fn::FindInMap", "Fn::If",
         "Fn::ImportValue", "Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not", "Condition", "Fn::Base64",
         "Fn::GetAZs", "Fn::Length", "Fn::ToJsonString", "Fn::Cidr", "Fn::Transform"]
LEAVES = st.one_of(NAMES, st.integers(-3, 5), st.booleans(), st.none(),
                   st.sampled_from(["${P}", "${R1.Arn}", "a/${Env}/b", "${!x}", "{{resolve:ssm:x}}", "/", ",", ""]),
                   st.floats(allow_nan=True))


def _intrinsic(children):
    return st.one_of(
        st.builds(lambda f, a: {f: a}, st.sampled_from(FUNCS), children),
        st.builds(lambda f, a: {f: a}, st.sampled_from(FUNCS), st.lists(children, max_size=4)),
        st.builds(lambda a, b: {"Fn::Sub": [a, b]}, st.sampled_from(["${P}-${X}", "${X.Y}", "x"]),
                  st.dictionaries(st.sampled_from(["X", "P", "X.Y"]), children, max_size=2)),
        st.builds(lambda c, a, b: {"Fn::If": [c, a, b]}, NAMES, children, children),
        st.dictionaries(st.sampled_from(["A", "B", "Fn::If", "Ref"]), children, max_size=3),
        st.lists(children, max_size=3),
    )


CFN_TREES = st.recursive(LEAVES, _intrinsic, max_leaves=30)


def _template(conditions, params_default, mapping_value):
    return {
        "Parameters": {"P": {"Type": "String"}, "Env": {"Type": "String", "Default": params_default},
                       "Q": {"Type": "CommaDelimitedList", "Default": "a,b"}},
        "Mappings": {"M": {"P": {"Env": mapping_value}}, "Loop": {"a": {"b": {"Fn::FindInMap": ["Loop", "a", "b"]}}}},
        "Conditions": conditions,
        "Resources": {"R1": {"Type": "AWS::SageMaker::Model"}, "R2": {"Type": "AWS::SageMaker::Endpoint"}},
    }


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(CFN_TREES, st.dictionaries(st.sampled_from(["C1", "C2", "Loop"]), CFN_TREES, max_size=3),
       st.sampled_from(["prod", "", 3]), CFN_TREES)
def test_resolver_never_crashes(tree, conditions, default, mapping_value):
    tpl = _template(conditions, default, mapping_value)
    res = Resolver(tpl)
    pathmap: dict = {}
    out = res.value(tree, ("Resources", "R1", "Properties"), (), pathmap)
    _check_resolved(out)
    for name in ("C1", "C2", "Loop", "Nope"):
        c = res.condition(name)
        assert isinstance(c, (bool, Unknown))
    # and with every atom decided both ways
    for atoms in ({k: True for k in res.seen_atoms}, {k: False for k in res.seen_atoms}):
        _check_resolved(Resolver(tpl, atoms=atoms).value(tree, (), (), None))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(["PrimaryContainer", "Containers", "ModelName", "VpcConfig",
                                        "ProductionVariants", "EndpointConfigName", "Tags", "ResourceId",
                                        "Dimensions", "PolicyDocument", "DeploymentConfig"]), CFN_TREES,
                       max_size=4),
       st.sampled_from(["AWS::SageMaker::Model", "AWS::SageMaker::EndpointConfig", "AWS::SageMaker::Endpoint",
                        "AWS::ApplicationAutoScaling::ScalableTarget", "AWS::CloudWatch::Alarm",
                        "AWS::IAM::Policy", "AWS::Serverless::Function"]),
       st.dictionaries(st.sampled_from(["C1", "C2"]), CFN_TREES, max_size=2))
def test_template_loading_never_crashes(props, rtype, conditions):
    tpl = _template(conditions, "prod", "x")
    tpl["Resources"]["X"] = {"Type": rtype, "Properties": props, "Condition": "C1"}
    invs, problems = load_template("t.yaml", Document(tpl, {}, 0))
    assert isinstance(invs, list) and isinstance(problems, list)


def _check_resolved(v, depth=0):
    assert depth < 400
    if v is NOVALUE:
        return
    if isinstance(v, dict):
        for x in v.values():
            assert x is not NOVALUE
            _check_resolved(x, depth + 1)
    elif isinstance(v, list):
        for x in v:
            assert x is not NOVALUE
            _check_resolved(x, depth + 1)
    else:
        assert v is None or isinstance(v, (str, int, float, bool, Unknown, Sym, Str)), type(v)
