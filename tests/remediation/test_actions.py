"""Every action against the loopback moto server: plan (changes nothing),
apply, apply again (changes nothing), restore; and the protected cases."""

from __future__ import annotations

import pytest

from auditor.remediation.executor import execute
from auditor.remediation.journal import Journal, read
from auditor.remediation.planner import build_plan
from auditor.remediation.restore import restore

from .conftest import (REGION, aas, account_state, age_endpoint, alarm, backend, invocations, live_finding,
                       make_endpoint, scaling, sm)

pytestmark = pytest.mark.live


def plan_for(ctx, findings, **kw):
    kw.setdefault("regions", [REGION])
    return build_plan(ctx, findings, run_id="t", **kw)


def apply(ctx, plan, path, **kw):
    j = Journal(path, plan.run_id)
    try:
        return execute(plan, ctx, apply=True, journal=j, **kw)
    finally:
        j.close()


def undo(ctx, path, out):
    entries, _ = read(path)
    j = Journal(out, "undo", kind="restore")
    try:
        return restore(entries, ctx, j)
    finally:
        j.close()


# -- apply-autoscaling ------------------------------------------------------

def test_autoscaling_plan_apply_idempotent_restore(moto_server, make_ctx, tmp_path):
    make_endpoint("ep", variants=(("a", 2, 1.0), ("b", 2, 1.0)))
    f = [live_finding("SM202", "ep", "apply-autoscaling")]
    start = account_state()
    plan = plan_for(make_ctx(), f)
    assert account_state() == start  # planning changed nothing
    assert [c.name for c in plan.changes] == ["ep/a", "ep/b"]
    c = plan.changes[0]
    assert c.before["ScalableTarget"] is None and c.after["ScalableTarget"]["MinCapacity"] == 2
    assert c.after["ScalableTarget"]["MaxCapacity"] == 4 and "no scalable target" in c.why
    pol = c.after["Policies"][0]["TargetTrackingScalingPolicyConfiguration"]
    assert pol["TargetValue"] == 70.0 and pol["ScaleOutCooldown"] == 60 and pol["ScaleInCooldown"] == 300

    execute(plan, make_ctx(), apply=False)
    assert account_state() == start and {c.status for c in plan.changes} == {"planned"}

    apply(make_ctx(), plan, tmp_path / "j.jsonl")
    assert [c.status for c in plan.changes] == ["done", "done"]
    targets = aas().describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    assert sorted((t["ResourceId"], t["MinCapacity"], t["MaxCapacity"]) for t in targets) == [
        ("endpoint/ep/variant/a", 2, 4), ("endpoint/ep/variant/b", 2, 4)]
    after = account_state()
    assert plan_for(make_ctx(), f).changes == []  # a second run plans nothing
    assert account_state() == after

    out = undo(make_ctx(), tmp_path / "j.jsonl", tmp_path / "r.jsonl")
    assert [o.status for o in out] == ["restored", "restored"]
    assert account_state() == start


def test_autoscaling_fixes_wrong_values_in_place_and_never_lowers_below_ha(moto_server, make_ctx, tmp_path):
    make_endpoint("ep", variants=(("v", 3, 1.0),))
    scaling("ep", "v", 3, 10, {"name": "mine", "TargetValue": 200.0, "ScaleInCooldown": 30, "ScaleOutCooldown": 30,
                               "PredefinedMetricSpecification": {
                                   "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"}})
    start = account_state()
    plan = plan_for(make_ctx(), [live_finding("SM202", "ep", "apply-autoscaling")])
    (c,) = plan.changes
    # MinCapacity 3 complies (>= HA minimum 2, below max 4): kept; MaxCapacity 10 > 4 lowered
    assert c.after["ScalableTarget"]["MinCapacity"] == 3 and c.after["ScalableTarget"]["MaxCapacity"] == 4
    assert [p["PolicyName"] for p in c.after["Policies"]] == ["mine"]  # corrected, not a competing second policy
    assert "MaxCapacity 10 -> 4" in c.why and "mine" in c.why
    apply(make_ctx(), plan, tmp_path / "j.jsonl")
    pols = aas().describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"]
    cfg = pols[0]["TargetTrackingScalingPolicyConfiguration"]
    assert (len(pols), cfg["TargetValue"], cfg["ScaleInCooldown"], cfg["ScaleOutCooldown"]) == (1, 70.0, 300, 60)
    undo(make_ctx(), tmp_path / "j.jsonl", tmp_path / "r.jsonl")
    assert account_state() == start  # the user's own values come back


def test_autoscaling_min_below_ha_is_raised_to_ha_not_policy_min(moto_server, make_ctx):
    make_endpoint("ep")
    scaling("ep", "AllTraffic", 1, 4)
    ctx = make_ctx(overrides={"apply-autoscaling": {"min_capacity": 1, "ha_min": 2}})
    (c,) = plan_for(ctx, [live_finding("SM202", "ep", "apply-autoscaling")]).changes
    assert c.before["ScalableTarget"]["MinCapacity"] == 1 and c.after["ScalableTarget"]["MinCapacity"] == 2
    assert "HA minimum 2" in c.why


def test_autoscaling_options_are_validated():
    from auditor.remediation.planner import OptionsError, build_options

    with pytest.raises(OptionsError, match="max_capacity"):
        build_options(None, {"apply-autoscaling": {"max_capacity": 2}})
    with pytest.raises(OptionsError, match="unknown option"):
        build_options(None, {"apply-autoscaling": {"nope": 1}})
    with pytest.raises(OptionsError, match="no remediation action"):
        build_options(None, {"delete-everything": {"x": 1}})


def test_options_default_to_the_configured_rule_params():
    from auditor.config import parse
    from auditor.remediation.planner import build_options

    cfg = parse({"rules": {"SM202": {"params": {"max_capacity": 8, "target_value": 55}},
                           "SM201": {"params": {"min_instances": 3}},
                           "SM502": {"params": {"idle_hours": 48}}}}, "cfg")
    o = build_options(cfg)
    assert (o["apply-autoscaling"].max_capacity, o["apply-autoscaling"].target_value) == (8, 55)
    assert o["apply-autoscaling"].ha_min == 3 and o["raise-instance-count"].min_instances == 3
    assert o["stop-idle-endpoints"].idle_hours == 48


# -- stop-idle-endpoints ----------------------------------------------------

def test_stop_idle_journals_everything_and_restore_recreates(moto_server, make_ctx, tmp_path):
    make_endpoint("idle", tags={"Environment": "dev", "Team": "growth"})
    scaling("idle", "AllTraffic", 1, 3, {"name": "inv", "TargetValue": 70.0, "ScaleInCooldown": 300,
                                         "ScaleOutCooldown": 60, "PredefinedMetricSpecification": {
                                             "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"}})
    age_endpoint("idle", 72)
    start = account_state()
    plan = plan_for(make_ctx(), [live_finding("SM502", "idle", "stop-idle-endpoints")])
    assert account_state() == start
    (c,) = plan.changes
    assert c.action == "stop-idle-endpoints" and "kept" in c.why
    apply(make_ctx(), plan, tmp_path / "j.jsonl")
    assert c.status == "done"
    assert [e["EndpointName"] for e in sm().list_endpoints()["Endpoints"]] == []
    # the config and the model are never deleted
    assert sm().describe_endpoint_config(EndpointConfigName="idle-config")["EndpointConfigName"] == "idle-config"
    assert sm().describe_model(ModelName="idle-AllTraffic-model")
    assert aas().describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"] == []
    (entry,), _ = read(tmp_path / "j.jsonl")
    b = entry.record["before"]
    assert entry.status == "done" and b["EndpointConfigName"] == "idle-config"
    assert b["Tags"] == {"Environment": "dev", "Team": "growth"}
    assert b["Variants"][0]["Scaling"]["ScalableTarget"]["MaxCapacity"] == 3
    assert b["Variants"][0]["Scaling"]["Policies"][0]["PolicyName"] == "inv"

    # stopping again: the endpoint is gone, nothing is planned
    again = plan_for(make_ctx(), [live_finding("SM502", "idle", "stop-idle-endpoints")])
    assert again.changes == []

    out = undo(make_ctx(), tmp_path / "j.jsonl", tmp_path / "r.jsonl")
    assert out[0].status == "restored" and "recreated idle" in out[0].detail
    now = account_state()
    d, d0 = now["endpoints"]["idle"], start["endpoints"]["idle"]
    assert d["EndpointConfigName"] == "idle-config" and d["EndpointStatus"] == "InService"
    assert sorted(map(str, d["Tags"])) == sorted(map(str, d0["Tags"]))
    assert now["targets"] == start["targets"] and now["policies"] == start["policies"]
    # restoring twice changes nothing
    out2 = undo(make_ctx(), tmp_path / "j.jsonl", tmp_path / "r2.jsonl")
    assert out2[0].status == "unchanged"


@pytest.mark.parametrize("case", ["always-on", "young", "updating", "busy"])
def test_stop_idle_protected_cases_are_never_touched(moto_server, make_ctx, tmp_path, case):
    tags = {"Environment": "dev"}
    if case == "always-on":
        tags["always-on"] = "true"
    make_endpoint("ep", tags=tags)
    if case != "young":
        age_endpoint("ep", 72)
    else:
        age_endpoint("ep", 5)
    if case == "updating":
        backend().endpoints["ep"].endpoint_status = "Updating"
    if case == "busy":
        invocations("ep", "AllTraffic", 3.0)
    start = account_state()
    plan = plan_for(make_ctx(), [live_finding("SM502", "ep", "stop-idle-endpoints")])
    assert plan.changes == []
    (skip,) = plan.skipped
    expected = {"always-on": "always-on: tag always-on=true", "young": "younger than the 24 h idle window",
                "updating": "endpoint is Updating", "busy": "3 invocation(s) in the last 24 h"}[case]
    assert expected in skip.reason
    apply(make_ctx(), plan, tmp_path / "j.jsonl")
    assert account_state() == start
    assert not (tmp_path / "j.jsonl").exists()  # nothing was done, nothing journaled


def test_stop_idle_protection_is_rechecked_at_apply_time(moto_server, make_ctx, tmp_path):
    """The plan was made while idle; then someone tags it always-on: skipped."""
    arn = make_endpoint("ep", tags={"Environment": "dev"})
    age_endpoint("ep", 72)
    plan = plan_for(make_ctx(), [live_finding("SM502", "ep", "stop-idle-endpoints")])
    sm().add_tags(ResourceArn=arn, Tags=[{"Key": "sm-audit:always-on", "Value": "yes"}])
    apply(make_ctx(), plan, tmp_path / "j.jsonl")
    assert plan.changes[0].status == "skipped: changed since plan"
    assert sm().describe_endpoint(EndpointName="ep")["EndpointStatus"] == "InService"


def test_stop_idle_rechecks_idleness_right_before_acting(moto_server, make_ctx, tmp_path):
    make_endpoint("ep", tags={"Environment": "dev"})
    age_endpoint("ep", 72)
    plan = plan_for(make_ctx(), [live_finding("SM502", "ep", "stop-idle-endpoints")])
    invocations("ep", "AllTraffic", 12.0, hours_ago=1)  # traffic arrives between plan and apply
    apply(make_ctx(), plan, tmp_path / "j.jsonl")
    assert plan.changes[0].status.startswith("skipped: 12 invocation(s)")
    assert sm().describe_endpoint(EndpointName="ep")["EndpointStatus"] == "InService"


# -- rollback-variants ------------------------------------------------------

def test_rollback_variant_in_alarm(moto_server, make_ctx, tmp_path):
    make_endpoint("ab", variants=(("blue", 2, 0.9), ("green", 1, 0.1)))
    alarm("ab", "green")
    alarm("ab", "blue", state="OK")
    start = account_state()
    plan = plan_for(make_ctx(), [])  # no finding needed: the alarm is the trigger
    assert account_state() == start
    (c,) = plan.changes
    assert c.action == "rollback-variants" and c.kind == "weights"
    assert {v["VariantName"]: v["Weight"] for v in c.after["Variants"]} == {"blue": 1.0, "green": 0.0}
    assert "alarm ab-green-5xx is in ALARM" in c.why and "baseline blue" in c.why
    apply(make_ctx(), plan, tmp_path / "j.jsonl")
    pv = {v["VariantName"]: v for v in sm().describe_endpoint(EndpointName="ab")["ProductionVariants"]}
    assert (pv["blue"]["CurrentWeight"], pv["green"]["CurrentWeight"]) == (1.0, 0.0)
    # counts were sent along and kept
    assert (pv["blue"]["CurrentInstanceCount"], pv["green"]["CurrentInstanceCount"]) == (2, 1)
    assert plan_for(make_ctx(), []).changes == []  # idempotent: green already has no traffic
    undo(make_ctx(), tmp_path / "j.jsonl", tmp_path / "r.jsonl")
    assert account_state() == start


def test_rollback_named_variant_and_baseline(moto_server, make_ctx, tmp_path):
    make_endpoint("ab", variants=(("a", 1, 0.5), ("b", 1, 0.3), ("c", 1, 0.2)))
    ctx = make_ctx(overrides={"rollback-variants": {"baseline": "c"}})
    plan = plan_for(ctx, [], endpoints=["ab"], variant="a")
    (c,) = plan.changes
    assert {v["VariantName"]: v["Weight"] for v in c.after["Variants"]} == {"a": 0.0, "b": 0.3, "c": 0.7}
    assert "named on the command line" in c.why


def test_rollback_alarm_without_variant_and_single_variant_are_reported(moto_server, make_ctx):
    make_endpoint("ab", variants=(("a", 1, 0.5), ("b", 1, 0.5)))
    make_endpoint("solo")
    alarm("ab", None, name="ab-latency")
    alarm("solo", "AllTraffic")
    plan = plan_for(make_ctx(), [])
    assert plan.changes == []
    reasons = {s.name: s.reason for s in plan.skipped}
    assert "name no variant" in reasons["ab"]
    assert "one variant" in reasons["solo"] and "--to-config" in reasons["solo"]


def test_rollback_to_earlier_config_with_update_endpoint(moto_server, make_ctx, tmp_path, monkeypatch):
    """moto does not implement UpdateEndpoint. The product calls it as against
    AWS; this test extends the in-process server's SageMaker backend with it
    (the request is parsed and answered by the server over HTTP as usual)."""
    from moto.core.responses import ActionResult
    from moto.sagemaker.responses import SageMakerResponse

    def update_endpoint(self):
        name, cfg = self._get_param("EndpointName"), self._get_param("EndpointConfigName")
        b = self.sagemaker_backend
        ep = b.endpoints[name]
        pvs = b.describe_endpoint_config(cfg)["ProductionVariants"]
        ep.endpoint_config_name = cfg
        ep.production_variants = ep._process_production_variants(pvs)
        return ActionResult({"EndpointArn": ep.arn})

    monkeypatch.setattr(SageMakerResponse, "update_endpoint", update_endpoint, raising=False)
    make_endpoint("ep", config="ep-v1")
    pvs = sm().describe_endpoint_config(EndpointConfigName="ep-v1")["ProductionVariants"]
    sm().create_endpoint_config(EndpointConfigName="ep-v2", ProductionVariants=pvs)
    sm().update_endpoint(EndpointName="ep", EndpointConfigName="ep-v2")  # the deployment to roll back
    start = account_state()
    ctx = make_ctx(overrides={"rollback-variants": {"to_config": "ep-v1"}})
    plan = plan_for(ctx, [], endpoints=["ep"])
    (c,) = plan.changes
    assert (c.kind, c.before["EndpointConfigName"], c.after["EndpointConfigName"]) == ("config", "ep-v2", "ep-v1")
    assert account_state() == start
    apply(make_ctx(), plan, tmp_path / "j.jsonl")
    assert sm().describe_endpoint(EndpointName="ep")["EndpointConfigName"] == "ep-v1"
    assert plan_for(ctx, [], endpoints=["ep"]).changes == []
    undo(make_ctx(), tmp_path / "j.jsonl", tmp_path / "r.jsonl")
    assert sm().describe_endpoint(EndpointName="ep")["EndpointConfigName"] == "ep-v2"
    missing = plan_for(make_ctx(overrides={"rollback-variants": {"to_config": "nope"}}), [], endpoints=["ep"])
    assert missing.changes == [] and "nope does not exist" in missing.skipped[0].reason


# -- raise-instance-count ---------------------------------------------------

def test_raise_instance_count_is_plan_only_unless_named(moto_server, make_ctx, tmp_path):
    make_endpoint("ep", variants=(("v", 1, 1.0),))
    f = [live_finding("SM201", "ep", "raise-instance-count", kind="EndpointConfig", config="ep-config")]
    start = account_state()
    plan = plan_for(make_ctx(), f)
    (c,) = plan.changes
    assert c.plan_only and (c.before["Instances"], c.after["Instances"]) == (1, 2)
    apply(make_ctx(), plan, tmp_path / "j.jsonl")
    assert c.status.startswith("skipped: plan only") and account_state() == start

    ctx = make_ctx(overrides={"raise-instance-count": {"opted_in": ["ep"]}})
    plan = plan_for(ctx, f, endpoints=["ep"])
    apply(ctx, plan, tmp_path / "j2.jsonl")
    assert plan.changes[0].status == "done"
    pv = sm().describe_endpoint(EndpointName="ep")["ProductionVariants"][0]
    assert (pv["CurrentInstanceCount"], pv["CurrentWeight"]) == (2, 1.0)
    assert plan_for(ctx, f, endpoints=["ep"]).changes == []
    undo(make_ctx(), tmp_path / "j2.jsonl", tmp_path / "r.jsonl")
    assert account_state() == start


# -- narrowing and conflicts ------------------------------------------------

def test_rule_and_endpoint_narrow_the_plan(moto_server, make_ctx):
    make_endpoint("one")
    make_endpoint("two")
    age_endpoint("two", 72)
    fs = [live_finding("SM202", "one", "apply-autoscaling"), live_finding("SM202", "two", "apply-autoscaling"),
          live_finding("SM502", "two", "stop-idle-endpoints")]
    full = plan_for(make_ctx(), fs)
    assert sorted((c.action, c.name) for c in full.changes) == [
        ("apply-autoscaling", "one/AllTraffic"), ("stop-idle-endpoints", "two")]
    # an endpoint about to be deleted gets no other change
    assert any(s.name == "two/AllTraffic" and "planned to be stopped" in s.reason for s in full.skipped)
    assert [c.name for c in plan_for(make_ctx(), fs, rules=["SM202"]).changes] == ["one/AllTraffic", "two/AllTraffic"]
    assert [c.name for c in plan_for(make_ctx(), fs, endpoints=["one"]).changes] == ["one/AllTraffic"]
    assert [c.action for c in plan_for(make_ctx(), fs, rules=["idle-endpoint".upper(), "SM502"]).changes] == [
        "stop-idle-endpoints"]


def test_findings_of_another_account_are_not_acted_on(moto_server, make_ctx):
    make_endpoint("ep")
    f = live_finding("SM202", "ep", "apply-autoscaling")
    f.location.account = f.resource.account = "999999999999"
    plan = plan_for(make_ctx(), [f])
    assert plan.changes == [] and "not 999999999999" in plan.skipped[0].reason
