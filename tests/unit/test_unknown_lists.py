"""A list a rule iterates over that is itself unknown (variants given by a
parameter, a policy's statements) gives the rule's verdict ``unknown``
naming the list and why, at the list: never a silent pass, and no rule
needs code for it (``values.unknown_items``, ``engine.unread_lists``)."""

from __future__ import annotations

from auditor.engine import evaluate
from auditor.inventory import Inventory
from auditor.models.resources import EndpointConfig, IamPolicy, Meta
from auditor.rulebase import Rule, RuleContext, Undecided
from auditor.settings import Settings
from auditor.values import Sym, Unknown

from tests.rules.helpers import scan_text

TEMPLATE = """\
Parameters:
  Variants: {Type: CommaDelimitedList}
Resources:
  Model:
    Type: AWS::SageMaker::Model
    Properties:
      PrimaryContainer:
        Image: 763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1-cpu
  Config:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      ProductionVariants: !Ref Variants
      Tags: [{Key: Environment, Value: prod}]
  Endpoint:
    Type: AWS::SageMaker::Endpoint
    Properties:
      EndpointName: ep
      EndpointConfigName: !GetAtt Config.EndpointConfigName
"""
VARIANTS = "the production variants of endpoint config Config cannot be determined (parameter Variants has no default)"


def _brief(fs):
    return [(f.rule, f.resource.id, f.location.line, f.path, f.outcome, f.message) for f in fs]


def test_cloudformation_variants_from_a_parameter_are_unknown(tmp_path):
    for rule in ("SM201", "SM501"):
        assert _brief(scan_text(tmp_path, TEMPLATE, rule=rule)) == [
            (rule, "Config", 12, "ProductionVariants", "unknown", VARIANTS)]
    assert _brief(scan_text(tmp_path, TEMPLATE, rule="SM303")) == [
        ("SM303", "Config", 12, "ProductionVariants", "unknown", "cannot tell how endpoint ep splits traffic: the "
         "production variants of Config cannot be determined (parameter Variants has no default)")]
    assert _brief(scan_text(tmp_path, TEMPLATE, rule="SM403")) == [
        ("SM403", "Config", 11, "KmsKeyId", "unknown", "endpoint config Config is production and sets no KmsKeyId; "
         "it is required unless an instance type has local NVMe storage, and its production variants cannot be "
         "determined (parameter Variants has no default)")]


def test_policy_statements_from_a_parameter_are_unknown(tmp_path):
    text = """\
    Parameters:
      Statements: {Type: CommaDelimitedList}
    Resources:
      Role:
        Type: AWS::IAM::Role
        Properties:
          AssumeRolePolicyDocument:
            Statement: [{Effect: Allow, Principal: {Service: sagemaker.amazonaws.com}, Action: sts:AssumeRole}]
      Pol:
        Type: AWS::IAM::Policy
        Properties:
          PolicyName: p
          Roles: [!Ref Role]
          PolicyDocument:
            Version: "2012-10-17"
            Statement: !Ref Statements
      Model:
        Type: AWS::SageMaker::Model
        Properties:
          ExecutionRoleArn: !GetAtt Role.Arn
          PrimaryContainer:
            Image: 763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1-cpu
    """
    assert _brief(scan_text(tmp_path, text, rule="SM402")) == [
        ("SM402", "Pol", 16, "PolicyDocument.Statement", "unknown",
         "the statements of policy Pol cannot be determined (parameter Statements has no default)")]


# ---- the engine, with throw-away rules ---------------------------------------

class _Loops(Rule):
    """Iterates the variants of a config twice, then those of another one."""
    id, slug, title, policy, targets = "XX901", "loops", "t", "p", ("EndpointConfig",)

    def check(self, res, ctx):
        for _ in range(2):
            list(res.variants())
        other = ctx.inv.of("EndpointConfig")[-1]
        if other is not res:
            list(other.all_variants())
        yield from ()


class _SaysSo(Rule):
    """Reports the unknown list itself, then iterates it."""
    id, slug, title, policy, targets = "XX902", "says-so", "t", "p", ("EndpointConfig",)

    def check(self, res, ctx):
        yield Undecided(("ProductionVariants",), "my own words")
        list(res.variants())


class _Account(Rule):
    id, slug, title, policy, targets = "XX903", "account", "t", "p", ()

    def check_inventory(self, ctx):
        for c in ctx.inv.of("EndpointConfig"):
            list(c.shadow_variants())
        return iter(())


def _inventory():
    inv = Inventory()
    for name, pv, shadow in (("a", Sym("param", "Variants"), None), ("b", [], Unknown("dynamic shadows"))):
        inv.add(EndpointConfig(meta=Meta(key=name, type=EndpointConfig.cfn_type, logical_id=name),
                               ProductionVariants=pv, ShadowProductionVariants=shadow))
    return inv


def _run(rule):
    fs, es = evaluate(_inventory(), [rule], lambda r, i: RuleContext(i, r.params, Settings()))
    return [(f.resource.id, f.path, f.outcome, f.message) for f in fs], {e.resource: e.outcome for e in es}


def test_each_unknown_list_is_told_once_on_its_owner():
    fs, outcomes = _run(_Loops())
    assert fs == [
        ("a", "ProductionVariants", "unknown",
         "the production variants of endpoint config a cannot be determined (parameter Variants has no default)"),
        ("b", "ShadowProductionVariants", "unknown",
         "the shadow variants of endpoint config b cannot be determined (dynamic shadows)"),
    ]
    assert outcomes == {"a": "unknown", "b": "unknown"}


def test_a_rule_that_said_so_is_not_told_twice():
    fs, outcomes = _run(_SaysSo())
    assert fs == [("a", "ProductionVariants", "unknown", "my own words"),
                  ("b", "ProductionVariants", "unknown", "my own words")]


def test_account_level_verdicts_are_told_too():
    fs, outcomes = _run(_Account())
    assert fs == [("b", "ShadowProductionVariants", "unknown",
                   "the shadow variants of endpoint config b cannot be determined (dynamic shadows)")]


def test_outside_a_verdict_an_unknown_list_is_just_empty():
    inv = _inventory()
    assert inv.of("EndpointConfig")[0].variants() == []
    pol = IamPolicy(meta=Meta(key="p", type=IamPolicy.cfn_type, logical_id="p"),
                    PolicyDocument={"Statement": Unknown("x")})
    assert pol.statements() == []
