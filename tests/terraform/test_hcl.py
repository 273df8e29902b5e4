"""HCL parsing: positions of attributes and blocks, syntax errors with lines."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.loaders.terraform.hcl import HclError, parse, parse_json

SRC = '''\
resource "aws_sagemaker_endpoint_configuration" "main" {
  name = "cfg"

  production_variants {
    variant_name           = "AllTraffic"
    initial_instance_count = 1
  }
  tags = {
    Environment = "prod"
  }
}
'''


def test_blocks_and_attributes_keep_file_line_and_column():
    f = parse(SRC, "main.tf")
    (res,) = f.body.blocks
    assert (res.type, res.labels) == ("resource", ["aws_sagemaker_endpoint_configuration", "main"])
    assert (res.span.line, res.span.column, res.span.end_line, res.span.file) == (1, 1, 11, "main.tf")
    name = res.body.attrs["name"]
    assert (name.span.line, name.span.column) == (2, 3) and name.expr == ("lit", "cfg")
    (pv,) = res.body.blocks_of("production_variants")
    assert pv.span.line == 4
    count = pv.body.attrs["initial_instance_count"]
    assert (count.span.line, count.span.column, count.expr) == (6, 5, ("lit", 1))
    tags = res.body.attrs["tags"].expr
    assert tags[0] == "object" and tags[1][0][2].line == 9  # an object element keeps its line


def test_expressions_become_trees():
    f = parse('x = "a-${var.b}-c"\ny = var.n > 1 ? aws_y.z[0].arn : null\nz = [for k, v in m : v if k != "x"]\n',
              "t.tf")
    a = f.body.attrs
    assert a["x"].expr == ("tmpl", ["a-", ("attr", ("name", "var"), "b"), "-c"])
    assert a["y"].expr[0] == "cond" and a["y"].expr[2] == ("attr", ("index", ("attr", ("name", "aws_y"), "z"),
                                                                    ("lit", 0)), "arn")
    assert a["z"].expr[:4] == ("for", "tuple", "k", "v")


def test_heredoc_interpolation_and_escapes():
    f = parse('p = <<-EOT\n  {"a": "${var.x}", "b": "$${lit}"}\n  EOT\nq = "tab\\there"\n', "t.tf")
    assert f.body.attrs["p"].expr == ("tmpl", ['{"a": "', ("attr", ("name", "var"), "x"), '", "b": "${lit}"}\n'])
    assert f.body.attrs["q"].expr == ("lit", "tab\there")


@pytest.mark.parametrize("text, line", [
    ('resource "a" "b" {\n  x = \n}\n', 2),
    ('resource "a" "b" {\n  x = 1\n', 3),
    ('x = "unterminated\n', 1),
    ('x = 1 +\n', 1),
])
def test_syntax_errors_carry_a_line(text, line):
    with pytest.raises(HclError) as e:
        parse(text, "bad.tf")
    assert e.value.message.startswith("HCL syntax error")
    assert e.value.line is not None and abs(e.value.line - line) <= 1


def test_tf_json_is_the_same_tree():
    f = parse_json('{"resource": {"aws_sagemaker_model": {"m": {"name": "${var.n}", '
                   '"primary_container": {"image": "img"}}}}}', "m.tf.json")
    (b,) = f.body.blocks
    assert b.labels == ["aws_sagemaker_model", "m"]
    assert b.body.attrs["name"].expr == ("tmpl1", ("attr", ("name", "var"), "n"))
    assert b.body.blocks_of("primary_container")[0].body.attrs["image"].expr == ("lit", "img")
    assert b.body.attrs["name"].span.line == 1


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet='resourc "{}=[]$#\n\\abx1.,*?:<>-', max_size=60))
def test_arbitrary_text_parses_or_is_an_hcl_error(text):
    try:
        parse(text, "fuzz.tf")
    except HclError as e:
        assert e.message


# -- the fast reader gives the lark grammar's tree -------------------------------

from pathlib import Path  # noqa: E402

from auditor.loaders.terraform.fastparse import Fallback, parse_fast  # noqa: E402
from auditor.loaders.terraform.hcl import parse_lark  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "data" / "terraform-corpus"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "terraform"


def _shape(body):
    """Expressions and start positions (lark's end positions of binary
    expressions include a trailing newline; ours stop at the expression)."""
    return ({k: (a.expr, a.span[:2]) for k, a in body.attrs.items()},
            [(b.type, b.labels, b.span[:2], _shape(b.body)) for b in body.blocks])


def test_fast_reader_matches_the_grammar_on_every_real_file():
    files = sorted(DATA.rglob("*.tf")) + sorted(FIXTURES.rglob("*.tf"))
    assert len(files) > 200
    for f in files:
        text = f.read_text()
        assert _shape(parse_fast(text, str(f))) == _shape(parse_lark(text, str(f)).body), f


def test_fast_reader_hands_what_it_does_not_read_to_the_grammar():
    text = 'x = "%{ if true }a%{ endif }"\n'
    try:
        parse_fast(text, "t.tf")
        raise AssertionError("directives are the grammar's")
    except Fallback:
        pass
    assert parse(text, "t.tf").body.attrs["x"].expr == ("unsupported", "template directive (%{...})")


_ATOMS = st.sampled_from(['1', '"s"', 'var.a', 'local.b[0]', 'f(1, 2)', '[1, 2]', '{ a = 1 }', 'x.*.y',
                          'true', 'null', '"a${var.b}c"', '(1)', '-2', '!c'])
_EXPRS = st.recursive(_ATOMS, lambda inner: st.one_of(
    st.tuples(inner, st.sampled_from(["+", "*", "==", "&&", "||", "<", "%"]), inner).map(" ".join),
    st.tuples(inner, inner, inner).map(lambda t: f"{t[0]} ? {t[1]} : {t[2]}"),
    st.lists(inner, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
    inner.map(lambda x: f"[for k, v in {x} : v if k != 1]"),
), max_leaves=8)


@settings(max_examples=80, deadline=None)
@given(_EXPRS)
def test_fast_reader_matches_the_grammar_on_generated_expressions(expr):
    text = f'resource "a" "b" {{\n  x = {expr}\n  nested {{\n    y = {expr}\n  }}\n}}\n'
    try:
        fast = parse_fast(text, "g.tf")
    except Fallback:
        return
    assert _shape(fast) == _shape(parse_lark(text, "g.tf").body)
