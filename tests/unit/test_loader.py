"""Position-keeping loading: every property keeps its 1-based line and column."""

from __future__ import annotations

import pytest

from auditor.loaders.marked import MAX_DEPTH, LoadError, load_json, load_text, load_yaml
from auditor.models.positions import Span


def pos(doc, *path):
    return doc.positions[tuple(path)]


def src(text: str, span: Span) -> str:
    """The source text a span covers (1-based, end exclusive)."""
    lines = text.split("\n")
    if span.line == span.end_line:
        return lines[span.line - 1][span.column - 1: span.end_column - 1]
    out = [lines[span.line - 1][span.column - 1:]] + lines[span.line: span.end_line - 1]
    return "\n".join(out + [lines[span.end_line - 1][: span.end_column - 1]])


def test_block_yaml_positions_are_exact():
    text = (
        "Resources:\n"              # 1
        "  Config:\n"               # 2
        "    Type: AWS::SageMaker::EndpointConfig\n"  # 3
        "    Properties:\n"         # 4
        "      ProductionVariants:\n"  # 5
        "        - VariantName: AllTraffic\n"  # 6
        "          InitialInstanceCount: 1\n"  # 7
    )
    (doc,) = load_yaml(text)
    assert doc.data["Resources"]["Config"]["Properties"]["ProductionVariants"][0]["InitialInstanceCount"] == 1
    assert pos(doc, "Resources", "Config", "Type") == Span(3, 5, 3, 41)
    v = ("Resources", "Config", "Properties", "ProductionVariants", 0)
    assert pos(doc, *v) == Span(6, 11, 8, 1)
    assert pos(doc, *v, "VariantName") == Span(6, 11, 6, 34)
    assert pos(doc, *v, "InitialInstanceCount") == Span(7, 11, 7, 34)


def test_flow_yaml_positions():
    text = "Resources:\n  M: {Type: 'AWS::SageMaker::Model', Properties: {ModelName: m1, Tags: [{Key: a, Value: b}]}}\n"
    (doc,) = load_yaml(text)
    assert src(text, pos(doc, "Resources", "M")).startswith("M: {Type")
    assert src(text, pos(doc, "Resources", "M")).endswith("b}]}}")
    assert src(text, pos(doc, "Resources", "M", "Properties", "ModelName")) == "ModelName: m1"
    assert src(text, pos(doc, "Resources", "M", "Properties", "Tags", 0, "Value")) == "Value: b"
    assert pos(doc, "Resources", "M", "Properties", "Tags", 0, "Value").line == 2


def test_short_form_tags_become_long_forms_with_positions():
    text = (
        "A: !Ref EpName\n"
        "B: !GetAtt Endpoint.EndpointName\n"
        "C: !Sub\n"
        "  - 'endpoint/${N}/variant/AllTraffic'\n"
        "  - N: !Ref EpName\n"
        "D: !Join ['/', [endpoint, !Ref EpName]]\n"
        "E: !If [IsProd, 2, !Ref 'AWS::NoValue']\n"
        "F: !GetAtt [Model, ModelName]\n"
        "G: !Condition IsProd\n"
        "H: !GetAtt Res.Attr.With.Dots\n"
    )
    (doc,) = load_yaml(text)
    d = doc.data
    assert d["A"] == {"Ref": "EpName"}
    assert d["B"] == {"Fn::GetAtt": ["Endpoint", "EndpointName"]}
    assert d["C"] == {"Fn::Sub": ["endpoint/${N}/variant/AllTraffic", {"N": {"Ref": "EpName"}}]}
    assert d["D"] == {"Fn::Join": ["/", ["endpoint", {"Ref": "EpName"}]]}
    assert d["E"] == {"Fn::If": ["IsProd", 2, {"Ref": "AWS::NoValue"}]}
    assert d["F"] == {"Fn::GetAtt": ["Model", "ModelName"]}
    assert d["G"] == {"Condition": "IsProd"}
    assert d["H"] == {"Fn::GetAtt": ["Res", "Attr.With.Dots"]}
    assert src(text, pos(doc, "B")) == "B: !GetAtt Endpoint.EndpointName"
    assert src(text, pos(doc, "B", "Fn::GetAtt")) == "!GetAtt Endpoint.EndpointName"
    assert src(text, pos(doc, "C", "Fn::Sub", 0)) == "'endpoint/${N}/variant/AllTraffic'"
    assert pos(doc, "C", "Fn::Sub", 0).line == 4
    assert src(text, pos(doc, "C", "Fn::Sub", 1, "N", "Ref")) == "!Ref EpName"
    assert src(text, pos(doc, "D", "Fn::Join", 1, 1)) == "!Ref EpName"
    assert src(text, pos(doc, "E", "Fn::If", 2)) == "!Ref 'AWS::NoValue'"
    assert pos(doc, "E", "Fn::If", 2).line == 7


def test_json_positions_exact_with_tabs_crlf_bom_and_escapes():
    text = '\ufeff{\r\n\t"Resources": {\r\n\t\t"M": {"Type": "AWS::SageMaker::Model",\r\n' \
           '\t\t\t"Properties": {"ModelName": "a\\/b", "N": "2", "E": "\\ud83d\\ude00x"}}\r\n\t}\r\n}\r\n'
    (doc,) = load_json(text)
    props = doc.data["Resources"]["M"]["Properties"]
    assert props == {"ModelName": "a/b", "N": "2", "E": "\U0001F600x"}  # numbers as strings stay strings
    plain = text.lstrip("\ufeff").replace("\r\n", "\n")
    assert pos(doc, "Resources", "M", "Properties", "ModelName").line == 4
    assert src(plain, pos(doc, "Resources", "M", "Properties", "ModelName")) == '"ModelName": "a\\/b"'
    # the span of a value after a surrogate-pair escape is still exact
    assert src(plain, pos(doc, "Resources", "M", "Properties", "E")) == '"E": "\\ud83d\\ude00x"'
    assert src(plain, pos(doc, "Resources", "M", "Type")) == '"Type": "AWS::SageMaker::Model"' 


def test_json_values_come_from_json_not_yaml():
    (doc,) = load_json('{"Resources": {"a": 1e3, "b": "yes", "c": 010.5, "d": true, "e": null}}'.replace("010.5", "10.5"))
    assert doc.data["Resources"] == {"a": 1000.0, "b": "yes", "c": 10.5, "d": True, "e": None}
    assert pos(doc, "Resources", "a").line == 1  # positions still recorded


def test_yaml_keeps_dates_as_strings_and_numbers_typed():
    (doc,) = load_yaml("AWSTemplateFormatVersion: 2010-09-09\nN: 2\nF: 0.5\nB: true\nS: '2'\n")
    assert doc.data == {"AWSTemplateFormatVersion": "2010-09-09", "N": 2, "F": 0.5, "B": True, "S": "2"}


def test_multi_document_api_file_positions_per_document():
    text = (
        "ModelName: m\n"
        "PrimaryContainer: {Image: x}\n"
        "---\n"
        "EndpointConfigName: c\n"
        "ProductionVariants:\n"
        "  - VariantName: v\n"
    )
    docs = load_yaml(text)
    assert [d.index for d in docs] == [0, 1]
    assert pos(docs[1], "ProductionVariants", 0, "VariantName") == Span(6, 5, 6, 19)
    assert src(text, pos(docs[1], "ProductionVariants", 0, "VariantName")) == "VariantName: v"
    assert pos(docs[0], "ModelName") == Span(1, 1, 1, 13)


@pytest.mark.parametrize("text,line,fragment", [
    ("a: 1\na: 2\n", 2, "duplicate key 'a'"),
    ("a: [1, 2\n", 2, "invalid YAML"),
    ("a:\n\t- b\n", 2, "invalid YAML"),
    ("a: *nope\n", 1, "invalid YAML"),
])
def test_yaml_errors_carry_lines(text, line, fragment):
    with pytest.raises(LoadError) as e:
        load_yaml(text)
    assert fragment in e.value.message
    assert e.value.line == line


def test_json_duplicate_key_has_line():
    with pytest.raises(LoadError) as e:
        load_json('{\n "a": 1,\n "a": 2\n}')
    assert "duplicate key 'a'" in e.value.message and e.value.line == 3


def test_json_error_has_line_and_column():
    with pytest.raises(LoadError) as e:
        load_json('{\n "a": 1,\n}')
    assert e.value.message.startswith("invalid JSON") and (e.value.line, e.value.column) == (3, 1)


def test_alias_bomb_is_bounded():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 12):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    with pytest.raises(LoadError) as e:
        load_yaml("\n".join(lines))
    assert "alias expansion" in e.value.message


def test_legitimate_aliases_still_load():
    (doc,) = load_yaml("base: &b {Image: x}\nuse: *b\nmerged:\n  <<: *b\n  Mode: SingleModel\n")
    assert doc.data["use"] == {"Image": "x"}
    assert doc.data["merged"] == {"Image": "x", "Mode": "SingleModel"}


@pytest.mark.parametrize("text", [
    "a: " + "[" * 20000 + "]" * 20000,  # would overflow libyaml's C stack
    "- " * 20000 + "x",
])
def test_deep_nesting_is_an_error_not_a_crash(text):
    # Depending on the PyYAML/libyaml build, the parser may refuse first, in its own words.
    with pytest.raises(LoadError):
        load_yaml(text)


def test_nesting_past_our_limit_is_our_error():
    # 300 levels: under every libyaml's own limit, over ours
    with pytest.raises(LoadError) as e:
        load_yaml("a: " + "{b: " * 300 + "1" + "}" * 300)
    assert e.value.message == f"nesting deeper than {MAX_DEPTH} levels"


def test_deep_json_is_an_error():
    with pytest.raises(LoadError) as e:
        load_json('{"a": ' + "[" * 100000 + "]" * 100000 + "}")
    assert "nesting deeper" in e.value.message
    with pytest.raises(LoadError):
        load_json('{"a": ' + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "}")


def test_template_files_that_are_json_are_read_as_json():
    (doc,) = load_text('{"Resources": {"a": "\\ud83d\\ude00"}}', is_json=False)
    assert doc.data["Resources"]["a"] == "\U0001F600"
    (doc,) = load_text("{Resources: {a: b}}", is_json=False)  # flow YAML, not JSON
    assert doc.data == {"Resources": {"a": "b"}}


def test_non_string_keys_become_strings():
    (doc,) = load_yaml("1: a\ntrue: b\n")
    assert doc.data == {"1": "a", "true": "b"}
