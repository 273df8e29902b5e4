"""``Inventory.gaps_for`` looks gaps up through an index (by the resource a
gap names, by kind for region-wide gaps); it must answer exactly what
comparing every gap answers (``CoverageGap.touches``), in gap order."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.inventory import Inventory
from auditor.models.gaps import CoverageGap
from auditor.models.resources import Endpoint, Meta
from auditor.values import Sym

ACCOUNTS = st.sampled_from([None, "111111111111", "222222222222"])
REGIONS = st.sampled_from([None, "us-east-1", "eu-west-1"])
KINDS = ["Endpoint", "EndpointConfig", "Alarm", "MetricSeries"]
NAMES = ["a", "b", "arn:aws:sagemaker:us-east-1:111111111111:endpoint/a"]

gaps = st.builds(CoverageGap, account=ACCOUNTS, region=REGIONS, service=st.just("cloudwatch"),
                 operation=st.just("DescribeAlarms"), resource=st.sampled_from([None, *NAMES]),
                 kinds=st.lists(st.sampled_from(KINDS), max_size=3), error=st.just("AccessDenied"))


def _endpoint(name, account, region, arn=True):
    return Endpoint(meta=Meta(key=f"k/{name}/{account}/{region}", type="AWS::SageMaker::Endpoint",
                              arn=f"arn:aws:sagemaker:us-east-1:111111111111:endpoint/{name}" if arn else None,
                              account=account, region=region), EndpointName=name, EndpointConfigName="c")


def _naive(inv, res, kinds):
    return [g for g in inv.gaps if g.touches(kinds, res.meta.account, res.meta.region, (res.meta.arn, res.name))]


@settings(max_examples=150, deadline=None)
@given(st.lists(gaps, max_size=12), st.sampled_from(["a", "b", "c"]), ACCOUNTS, REGIONS, st.booleans(),
       st.sets(st.sampled_from(KINDS), min_size=1), st.lists(gaps, max_size=3))
def test_indexed_look_up_answers_what_comparing_every_gap_answers(gs, name, account, region, arn, kinds, later):
    inv = Inventory(complete=True)
    res = _endpoint(name, account, region, arn)
    inv.add(res)
    inv.gaps.extend(gs)
    kinds = frozenset(kinds)
    assert [id(g) for g in inv.gaps_for(res, kinds)] == [id(g) for g in _naive(inv, res, kinds)]
    inv.gaps.extend(later)  # gaps added after the index was built are seen
    assert [id(g) for g in inv.gaps_for(res, kinds)] == [id(g) for g in _naive(inv, res, kinds)]
    inv.gaps = list(reversed(inv.gaps))  # so is a replaced list
    assert [id(g) for g in inv.gaps_for(res, kinds)] == [id(g) for g in _naive(inv, res, kinds)]


def test_symbolic_name_is_compared_with_every_gap():
    inv = Inventory()
    res = _endpoint("a", None, None, arn=False)
    res.EndpointName = Sym("param", "Name")
    inv.add(res)
    region_wide = CoverageGap(service="sm-audit", operation="ReadSnapshot", kinds=[])
    named = CoverageGap(resource="a", kinds=["Endpoint"])
    inv.gaps.extend([region_wide, named])
    assert inv.gaps_for(res, frozenset({"Endpoint"})) == _naive(inv, res, frozenset({"Endpoint"}))
    assert inv.gaps_for(res, frozenset({"Endpoint"}))[0] is region_wide
