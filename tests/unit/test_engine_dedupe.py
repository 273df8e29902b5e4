"""A resource reached through several referrers is reported once; two
different findings on one property keep distinct fingerprints."""

from auditor.engine import evaluate
from auditor.inventory import Inventory
from auditor.models.resources import Endpoint, Meta
from auditor.rulebase import RuleContext, Fail, Rule
from auditor.settings import Settings


class _Twice(Rule):
    id, slug, title, policy, targets = "XX900", "twice", "t", "p", ("Endpoint",)

    def check(self, res, ctx):
        shared = ctx.inv.of("Endpoint")[0]
        yield Fail(("A",), "same words", resource=shared)
        yield Fail(("A",), "same words", resource=shared)
        yield Fail(("A",), "other words", resource=shared)


def test_duplicates_collapse_and_fingerprints_stay_unique():
    inv = Inventory(complete=True)
    for n in ("a", "b"):
        arn = f"arn:aws:sagemaker:us-east-1:1:endpoint/{n}"
        inv.add(Endpoint(meta=Meta(key=arn, type="AWS::SageMaker::Endpoint", arn=arn), EndpointName=n))
    fs, es = evaluate(inv, [_Twice()], lambda r, i: RuleContext(i, r.params, Settings()))
    assert [f.message for f in fs] == ["same words", "other words"]
    assert len({f.fingerprint for f in fs}) == 2
    assert {(e.resource.rsplit("/", 1)[-1], e.outcome) for e in es} == {("a", "fail"), ("b", "fail")}
