"""Every AWS call the collectors make says which kinds of data its failure
hides (``auditor.live.faults``): a new call that is in neither table would
make unknown every verdict in its region when it fails, more than it hides."""

from __future__ import annotations

from auditor.live.faults import EVERY_KIND, OPERATION_KINDS

from .collector_calls import collector_operations


def test_every_collector_call_is_in_the_fault_tables():
    ops = collector_operations()
    # the reader finds wrapped, bound, paginated and table-driven calls
    assert {("sagemaker", "DescribeEndpoint"), ("cloudwatch", "GetMetricData"), ("sts", "AssumeRole"),
            ("iam", "GetAccountAuthorizationDetails"), ("sagemaker", "DescribeModelBiasJobDefinition")} <= ops
    missing = sorted(f"{s}:{o}" for s, o in ops if (s, o) not in OPERATION_KINDS and (s, o) not in EVERY_KIND)
    assert missing == [], "add these calls to OPERATION_KINDS (the kinds a failure hides) or EVERY_KIND"


def test_the_tables_name_no_call_the_collectors_do_not_make():
    ops = collector_operations()
    assert sorted(f"{s}:{o}" for s, o in (*OPERATION_KINDS, *EVERY_KIND) if (s, o) not in ops) == []
    assert not set(OPERATION_KINDS) & EVERY_KIND
