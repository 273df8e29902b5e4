"""One good and one bad Terraform fixture per static rule
(tests/fixtures/terraform/SMxxx/{good,bad}): the same rules as for
templates, findings at the .tf line of the attribute. SM502 (idle
endpoint) is live-only: it has no static fixture."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import FIXTURES

from .helpers import scan_tf

DIR = FIXTURES / "terraform"
# the first failure each bad fixture must give: (resource address, Terraform attribute path, line)
BAD = {
    "SM101": ("aws_sagemaker_model.hub", "primary_container[0].image", 6),
    "SM102": ("aws_s3_bucket.suspended", "versioning[0].enabled", 4),
    "SM103": ("aws_sagemaker_model.raw", "primary_container[0]", 3),
    "SM201": ("aws_sagemaker_endpoint_configuration.c", "production_variants[0].initial_instance_count", 13),
    "SM202": ("aws_sagemaker_endpoint_configuration.c", "production_variants[0]", 9),
    "SM203": ("aws_sagemaker_endpoint_configuration.c", "data_capture_config", 1),
    "SM301": ("aws_sagemaker_endpoint.e", "alarms.errors", 1),
    "SM302": ("aws_sagemaker_endpoint.e", "alarms.quality", 1),
    "SM303": ("aws_sagemaker_endpoint.canary",
              "deployment_config[0].blue_green_update_policy[0].traffic_routing_configuration[0].canary_size[0].value",
              27),
    "SM401": ("aws_sagemaker_model.m", "vpc_config", 1),
    "SM402": ("aws_iam_role.exec", "policy_arn", 9),
    "SM403": ("aws_sagemaker_endpoint_configuration.c", "kms_key_arn", 7),
    "SM501": ("aws_sagemaker_endpoint_configuration.c", "production_variants[0].instance_type", 6),
    "SM503": ("aws_sagemaker_endpoint.e", "tags.workload", 14),
    "SM601": ("aws_sagemaker_endpoint_configuration.bare",
              "async_inference_config[0].client_config[0].max_concurrent_invocations_per_instance", 9),
    "SM602": ("aws_sagemaker_model.single", "primary_container[0].model_data_url", 7),
}


def test_every_static_rule_has_a_pair():
    from auditor import registry

    static = sorted(r.id for r in registry.load().rules.values() if "static" in r.scope and r.id.startswith("SM"))
    assert sorted(BAD) == [r for r in static if r != "SM001"]
    assert sorted(p.name for p in DIR.iterdir()) == sorted(BAD)


@pytest.mark.parametrize("rule", sorted(BAD))
def test_good_fixture_passes(rule):
    doc = scan_tf(DIR / rule / "good", rule=rule)
    assert [(f.resource.id, f.path, f.message) for f in doc.findings if f.outcome in ("fail", "error")] == []


@pytest.mark.parametrize("rule", sorted(BAD))
def test_bad_fixture_fails_at_the_attribute(rule):
    doc = scan_tf(DIR / rule / "bad", rule=rule)
    fails = [f for f in doc.findings if f.rule == rule and f.outcome == "fail"]
    assert fails, [(f.rule, f.outcome, f.message) for f in doc.findings]
    f = fails[0]
    assert (f.resource.id, f.path, f.location.line) == BAD[rule]
    assert Path(f.location.file).name == "main.tf"
