"""A rule declares the sources its checks run on (``scope``, and
``inventory_scope`` for ``check_inventory`` alone); the engine respects the
declarations, so a check never asks where its data came from."""

from auditor.engine import evaluate
from auditor.inventory import Inventory
from auditor.models.resources import Endpoint, Meta
from auditor.rulebase import Fail, Rule, RuleContext
from auditor.settings import Settings


class _AccountLevelLiveOnly(Rule):
    id, slug, title, policy, targets = "XX910", "live-account", "t", "p", ("Endpoint",)
    inventory_scope = ("live",)

    def check(self, res, ctx):
        yield Fail(("A",), "per resource")

    def check_inventory(self, ctx):
        yield ctx.inv.endpoints[0], Fail(("B",), "account level")


class _LiveOnly(_AccountLevelLiveOnly):
    id, slug = "XX911", "live-only"
    scope = ("live",)
    inventory_scope = None


def _messages(complete, rule):
    inv = Inventory(complete=complete)
    arn = "arn:aws:sagemaker:us-east-1:1:endpoint/a"
    inv.add(Endpoint(meta=Meta(key=arn, type="AWS::SageMaker::Endpoint", arn=arn if complete else None,
                               file=None if complete else "t.yaml"), EndpointName="a"))
    fs, _ = evaluate(inv, [rule], lambda r, i: RuleContext(i, r.params, Settings()))
    return [f.message for f in fs]


def test_inventory_scope_keeps_the_account_check_off_templates_only():
    assert _messages(False, _AccountLevelLiveOnly()) == ["per resource"]
    assert _messages(True, _AccountLevelLiveOnly()) == ["per resource", "account level"]


def test_scope_keeps_the_whole_rule_off_templates():
    assert _messages(False, _LiveOnly()) == []
    assert _messages(True, _LiveOnly()) == ["per resource", "account level"]
