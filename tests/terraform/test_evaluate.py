"""Expressions, variables, locals, functions, count/for_each, modules,
dynamic blocks, default_tags and policy documents, construct by construct."""

from __future__ import annotations

import pytest

from auditor.loaders.terraform import TfOptions
from auditor.values import Str, Sym, Unknown

from .helpers import brief, findings, load_module, local, scan_tf, write_module


def test_variables_defaults_and_missing_values(tmp_path):
    d = write_module(tmp_path, {"main.tf": '''
        variable "a" { default = "x" }
        variable "b" {}
        locals {
          both = "${var.a}-${var.b}"
          one  = var.a
        }
    '''})
    assert local(d, "one") == "x"
    v = local(d, "both")
    assert isinstance(v, Str) and v.parts == ("x-", Sym("var", "var.b"))
    assert Sym("var", "var.b").describe() == "var.b has no value"


def test_tfvars_precedence(tmp_path):
    """defaults < terraform.tfvars < *.auto.tfvars (by name) < --var-file < --var."""
    d = write_module(tmp_path / "m", {
        "main.tf": '''
            variable "a" { default = "default" }
            variable "b" { default = "default" }
            variable "c" { default = "default" }
            variable "d" { default = "default" }
            variable "e" { default = "default" }
            resource "aws_sagemaker_model" "m" {
              name = join("/", [var.a, var.b, var.c, var.d, var.e])
            }
        ''',
        "terraform.tfvars": 'b = "tfvars"\nc = "tfvars"\nd = "tfvars"\ne = "tfvars"\n',
        "a.auto.tfvars": 'c = "auto-a"\nd = "auto-a"\n',
        "b.auto.tfvars": 'c = "auto-b"\n',
    })
    extra = tmp_path / "extra.tfvars"
    extra.write_text('d = "var-file"\ne = "var-file"\n')
    doc = scan_tf(d, options=TfOptions(variables=[("e", "flag")], var_files=[str(extra)]), rule="SM401")
    (f,) = findings(doc, "SM401")
    assert f.resource.name == "default/tfvars/auto-b/var-file/flag"


def test_locals_functions_and_conditionals(tmp_path):
    d = write_module(tmp_path, {"main.tf": '''
        variable "env" { default = "Prod" }
        variable "n" {}
        locals {
          tags    = merge({ a = "1" }, { b = lower(var.env) })
          f       = format("%s-%03d", "x", 7)
          j       = join(",", concat(["a"], tolist(["b"])))
          l       = lookup({ k = "v" }, "missing", "dflt")
          c       = coalesce("", null, "first")
          n       = length(toset(["a", "a", "b"]))
          r       = replace(upper("a-b"), "-", "_")
          cond    = var.env == "Prod" ? "yes" : "no"
          undec   = var.n > 1 ? "many" : "few"
          same    = var.n > 1 ? "same" : "same"
          js      = jsonencode({ a = [1, true] })
          unknown = templatefile("x.tpl", {})
          chain   = local.f
          fo      = { for k, v in { a = 1, b = 2 } : upper(k) => v * 10 if v > 1 }
          tr      = try(local.missing_thing, "fallback")
          sp      = [for x in [{ id = "i1" }, { id = "i2" }] : x][*].id
        }
    '''})
    m, _ = load_module(d)
    assert m.local("tags") == {"a": "1", "b": "prod"}
    assert m.local("f") == "x-007"
    assert m.local("j") == "a,b"
    assert m.local("l") == "dflt"
    assert m.local("c") == "first"
    assert m.local("n") == 2
    assert m.local("r") == "A_B"
    assert m.local("cond") == "yes"
    assert isinstance(m.local("undec"), Unknown) and "var.n" in m.local("undec").reason
    assert m.local("same") == "same"
    assert m.local("js") == '{"a":[1,true]}'
    assert m.local("unknown").reason == "function templatefile() is not evaluated"
    assert m.local("chain") == "x-007"
    assert m.local("fo") == {"B": 20}
    assert m.local("tr") == "fallback"
    assert m.local("sp") == ["i1", "i2"]


def test_references_link_resources_like_getatt(tmp_path):
    d = write_module(tmp_path, {"main.tf": '''
        resource "aws_sagemaker_model" "named" { name = "my-model" }
        resource "aws_sagemaker_model" "generated" {}
        locals {
          a = aws_sagemaker_model.named.name
          b = aws_sagemaker_model.generated.name
          c = aws_sagemaker_model.named.arn
          d = aws_sagemaker_model.named.id
        }
    '''})
    m, _ = load_module(d)
    assert m.local("a") == "my-model"
    assert m.local("b") == Sym("resource", "aws_sagemaker_model.generated", "name")
    assert m.local("c") == Sym("resource", "aws_sagemaker_model.named", "arn")
    assert m.local("d") == "my-model"


def test_count_and_for_each_expand_with_addresses(tmp_path):
    d = write_module(tmp_path, {"main.tf": '''
        variable "maybe" {}
        resource "aws_sagemaker_model" "counted" {
          count = 2
          name  = "m${count.index}"
        }
        resource "aws_sagemaker_model" "each" {
          for_each = { a = "ia", b = "ib" }
          name     = "${each.key}-${each.value}"
        }
        resource "aws_sagemaker_model" "off" {
          count = 0
          name  = "never"
        }
        resource "aws_sagemaker_model" "undecided" {
          count = var.maybe ? 1 : 0
          name  = "maybe"
        }
    '''})
    doc = scan_tf(d, rule="SM401")
    got = sorted((f.resource.id, f.resource.name, f.message.endswith("is true)")) for f in findings(doc, "SM401"))
    assert got == [
        ("aws_sagemaker_model.counted[0]", "m0", False),
        ("aws_sagemaker_model.counted[1]", "m1", False),
        ('aws_sagemaker_model.each["a"]', "a-ia", False),
        ('aws_sagemaker_model.each["b"]', "b-ib", False),
        ("aws_sagemaker_model.undecided", "maybe", True),
    ]
    undecided = [f for f in findings(doc, "SM401") if f.resource.id == "aws_sagemaker_model.undecided"][0]
    assert undecided.message.endswith("(resource exists only when condition var.maybe is true)")


def test_dynamic_blocks_expand_and_unknown_for_each_is_unknown(tmp_path):
    d = write_module(tmp_path, {"main.tf": '''
        variable "variants" {
          default = { blue = 1, green = 3 }
        }
        variable "other" {}
        resource "aws_sagemaker_endpoint_configuration" "known" {
          dynamic "production_variants" {
            for_each = var.variants
            iterator = v
            content {
              variant_name           = v.key
              model_name             = "m"
              instance_type          = "ml.m5.large"
              initial_instance_count = v.value
            }
          }
          tags = { Environment = "prod" }
        }
        resource "aws_sagemaker_endpoint_configuration" "unknown" {
          dynamic "production_variants" {
            for_each = var.other
            content {
              variant_name = production_variants.key
            }
          }
          tags = { Environment = "prod" }
        }
        resource "aws_sagemaker_endpoint" "e" {
          endpoint_config_name = aws_sagemaker_endpoint_configuration.unknown.name
        }
    '''})
    doc = scan_tf(d, rule="SM201")
    assert [b for b in brief(doc, "SM201") if not b[4].endswith("model_name")] == [
        ("SM201", "aws_sagemaker_endpoint_configuration.known", "main.tf", 14,
         "production_variants[0].initial_instance_count", "fail"),
        # the unknown block is an unknown, never a pass
        ("SM201", "aws_sagemaker_endpoint_configuration.unknown", "main.tf", 20, "production_variants", "unknown"),
    ]
    assert [f.message for f in findings(doc, "SM201") if not f.path.endswith("model_name")] == [
        "variant blue runs on 1 instance(s); production needs at least 2",
        "the production variants of endpoint config aws_sagemaker_endpoint_configuration.unknown cannot be "
        "determined (dynamic block production_variants iterates over var.other: var.other has no value)"]
    doc = scan_tf(d, rule="SM202")
    unknown = [f for f in findings(doc, "SM202") if f.resource.id.endswith(".unknown")]
    assert [(f.outcome, f.path, f.location.line) for f in unknown] == [("unknown", "production_variants", 20)]
    assert unknown[0].message.endswith("(dynamic block production_variants iterates over var.other: var.other has "
                                       "no value)")


def test_local_modules_are_followed_with_their_inputs(tmp_path):
    write_module(tmp_path / "modules" / "ep", {"main.tf": '''
        variable "count_per_variant" { default = 2 }
        variable "name" {}
        resource "aws_sagemaker_endpoint_configuration" "this" {
          name = "${var.name}-cfg"
          production_variants {
            variant_name           = "AllTraffic"
            model_name             = var.name
            instance_type          = "ml.m5.large"
            initial_instance_count = var.count_per_variant
          }
          tags = { Environment = "production" }
        }
        output "config_name" { value = aws_sagemaker_endpoint_configuration.this.name }
    '''})
    root = write_module(tmp_path / "live", {"main.tf": '''
        module "small" {
          source            = "../modules/ep"
          name              = "small"
          count_per_variant = 1
        }
        module "big" {
          source = "../modules/ep"
          name   = "big"
        }
        module "remote" {
          source  = "terraform-aws-modules/sagemaker/aws"
          version = "1.0.0"
        }
        locals { out = module.small.config_name }
    '''})
    doc = scan_tf(root)
    assert [b for b in brief(doc, "SM201") if b[5] == "fail"] == [("SM201", "module.small.aws_sagemaker_endpoint_configuration.this", "main.tf", 10,
                                    "production_variants[0].initial_instance_count", "fail")]
    assert all(f.location.file.endswith("modules/ep/main.tf") for f in findings(doc, "SM201"))
    (note,) = [f for f in findings(doc, "SM001")]
    assert (note.level, note.outcome, note.location.line) == ("note", "unknown", 11)
    assert note.message.startswith("module.remote (source 'terraform-aws-modules/sagemaker/aws') is not checked")
    m, _ = load_module(root)
    assert m.local("out") == "small-cfg"


def test_default_tags_make_every_resource_production(tmp_path):
    files = {"main.tf": '''
        provider "aws" {
          default_tags {
            tags = { Environment = "prod" }
          }
        }
        resource "aws_sagemaker_endpoint_configuration" "c" {
          production_variants {
            variant_name           = "v"
            model_name             = "m"
            instance_type          = "ml.m5.large"
            initial_instance_count = 1
          }
        }
    '''}
    doc = scan_tf(write_module(tmp_path / "a", files), rule="SM201")
    assert [f.path for f in findings(doc, "SM201") if f.outcome == "fail"] == [
        "production_variants[0].initial_instance_count"]
    files["main.tf"] = files["main.tf"].replace('"prod"', '"dev"')
    assert findings(scan_tf(write_module(tmp_path / "b", files), rule="SM201"), "SM201") == []


def test_policy_document_renders_statements(tmp_path):
    d = write_module(tmp_path, {"main.tf": '''
        data "aws_iam_policy_document" "p" {
          statement {
            sid       = "All"
            actions   = ["sagemaker:*"]
            resources = ["*"]
            condition {
              test     = "StringEquals"
              variable = "aws:RequestedRegion"
              values   = ["eu-west-1"]
            }
          }
          statement {
            effect  = "Deny"
            actions = ["s3:DeleteObject"]
            principals {
              type        = "AWS"
              identifiers = ["*"]
            }
          }
        }
        locals { doc = data.aws_iam_policy_document.p.json }
    '''})
    m, _ = load_module(d)
    assert m.local("doc").value == {"Version": "2012-10-17", "Statement": [
        {"Sid": "All", "Effect": "Allow", "Action": ["sagemaker:*"], "Resource": ["*"],
         "Condition": {"StringEquals": {"aws:RequestedRegion": ["eu-west-1"]}}},
        {"Effect": "Deny", "Action": ["s3:DeleteObject"], "Principal": {"AWS": ["*"]}},
    ]}


def test_policy_document_feeds_iam_rules(tmp_path):
    d = write_module(tmp_path, {"main.tf": '''
        resource "aws_iam_role" "sm" {
          name               = "sm"
          assume_role_policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "sts:AssumeRole",
                                            Principal = { Service = "sagemaker.amazonaws.com" } }] })
        }
        data "aws_iam_policy_document" "wide" {
          statement {
            actions   = ["sagemaker:*"]
            resources = ["*"]
          }
        }
        resource "aws_iam_role_policy" "wide" {
          name   = "wide"
          role   = aws_iam_role.sm.id
          policy = data.aws_iam_policy_document.wide.json
        }
        resource "aws_sagemaker_model" "m" {
          name               = "m"
          execution_role_arn = aws_iam_role.sm.arn
        }
    '''})
    doc = scan_tf(d, rule="SM402")
    fs = [f for f in findings(doc, "SM402") if f.outcome == "fail"]
    assert fs and all(f.location.file.endswith("main.tf") for f in fs)
    assert any("sagemaker:*" in f.message for f in fs)


@pytest.mark.parametrize("expr, expected", [
    ('"${1 + 2}"', 3), ('"n${1 + 2}"', "n3"), ("5 % 3", 2), ("!false", True), ("-(2)", -2), ("[1, 2][1]", 2),
    ('{ a = { b = "c" } }.a.b', "c"), ("true && false || true", True), ('"a" != "b"', True),
    ("length([])", 0), ('split(",", "a,b")', ["a", "b"]), ('element(["x", "y"], 3)', "y"),
    ('flatten([[1], [2, [3]]])', [1, 2, 3]), ('keys({ b = 1, a = 2 })', ["a", "b"]),
    ('trimsuffix("ab.s", ".s")', "ab"), ('contains(["a"], "a")', True), ('min(3, 1)', 1),
])
def test_expression_values(tmp_path, expr, expected):
    d = write_module(tmp_path, {"main.tf": f"locals {{ x = {expr} }}\n"})
    assert local(d, "x") == expected
