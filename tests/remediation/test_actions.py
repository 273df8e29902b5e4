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
    make_endpoint("ep", variants=(("AllTraffic", 2, 1.0),))
    scaling("ep", "AllTraffic", 1, 4)
    ctx = make_ctx(overrides={"apply-autoscaling": {"min_capacity": 1, "ha_min": 2}})
    (c,) = plan_for(ctx, [live_finding("SM202", "ep", "apply-autoscaling")]).changes
    assert c.before["ScalableTarget"]["MinCapacity"] == 1 and c.after["ScalableTarget"]["MinCapacity"] == 2
    assert "HA minimum 2" in c.why


def test_autoscaling_never_adds_instances_without_the_opt_in(moto_server, make_ctx, tmp_path):
    """MinCapacity above the running count makes Application Auto Scaling add
    instances: held at the current count, the plan says SM201's gap remains."""
    make_endpoint("ep")  # one instance
    f = [live_finding("SM202", "ep", "apply-autoscaling")]
    (c,) = plan_for(make_ctx(), f).changes
    assert c.plan_only is None and c.after["ScalableTarget"]["MinCapacity"] == 1
    assert c.after["ScalableTarget"]["MaxCapacity"] == 4
    assert ("MinCapacity 1, the instances running now, not the HA minimum 2" in c.why
            and "The HA gap (SM201) remains; name the endpoint with --endpoint ep to raise it" in c.why)
    apply(make_ctx(), plan_for(make_ctx(), f), tmp_path / "j.jsonl")
    (t,) = aas().describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    assert (t["MinCapacity"], t["MaxCapacity"]) == (1, 4)

    ctx = make_ctx()
    ctx.scale_out = ["ep"]  # --endpoint ep
    (c,) = plan_for(ctx, f, endpoints=["ep"]).changes
    assert (c.before["ScalableTarget"]["MinCapacity"], c.after["ScalableTarget"]["MinCapacity"]) == (1, 2)


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


def test_stop_idle_applies_sm502s_exception_as_the_rule_does(moto_server, make_ctx, tmp_path):
    """One definition (auditor.classify): an always-on tag spares a production
    endpoint only; the audit's classification travels in the finding, and a
    deletion needs it known."""
    for name, env in (("prod-idle", "prod"), ("staging-idle", "staging"), ("unsure-idle", "prod")):
        make_endpoint(name, tags={"Environment": env, "always-on": "true"})
        age_endpoint(name, 72)
    fs = [live_finding("SM502", "prod-idle", "stop-idle-endpoints", data={"production": True}),
          live_finding("SM502", "staging-idle", "stop-idle-endpoints", data={"production": False}),
          live_finding("SM502", "unsure-idle", "stop-idle-endpoints", data={"production": None})]
    ctx = make_ctx()
    plan = plan_for(ctx, fs)
    assert [(c.name, c.before["Production"]) for c in plan.changes] == [("staging-idle", False)]
    assert plan.changes[0].why.startswith("SM502: no invocations in the last 24 h and its always-on tag "
                                          "always-on=true does not exempt a non-production endpoint; deleting")
    assert sorted((s.name, s.reason) for s in plan.skipped) == [
        ("prod-idle", "always-on: tag always-on=true on a production endpoint (SM502's exception)"),
        ("unsure-idle", "always-on: tag always-on=true, and whether the endpoint is production is not known")]
    apply(ctx, plan, tmp_path / "j")
    assert sorted(e["EndpointName"] for e in sm().list_endpoints()["Endpoints"]) == ["prod-idle", "unsure-idle"]


def test_raise_instance_count_raises_a_components_copies_opt_in(aws, make_ctx, tmp_path):
    """SM201's copy finding (from a real audit) plans the component's copy
    count, not the variant's instances; applied only for a named endpoint."""
    from tests.live.live_helpers import make_component_endpoint, run_audit

    make_component_endpoint("chat-ep", {"chat": 1})
    result = run_audit(select=["SM201"])
    [f] = [f for f in result.doc.findings if f.rule == "SM201" and f.outcome == "fail"]
    assert (f.data["component"], f.data["endpoint"]) == ("chat", "chat-ep")
    plan = plan_for(make_ctx(), result.doc.findings, inventory=result.inventory)
    assert [(c.action, c.kind, c.name, c.before, c.after) for c in plan.changes] == [
        ("raise-instance-count", "copies", "chat-ep/chat", {"InferenceComponentName": "chat", "Copies": 1},
         {"InferenceComponentName": "chat", "Copies": 2})]
    assert plan.changes[0].plan_only == ("plan only: more copies cost money; name the endpoint with --endpoint "
                                         "chat-ep to apply")
    ctx = make_ctx()
    ctx.scale_out = ["chat-ep"]
    plan = plan_for(ctx, result.doc.findings, inventory=result.inventory)
    apply(ctx, plan, tmp_path / "j")
    copies = lambda: sm().describe_inference_component(InferenceComponentName="chat")["RuntimeConfig"]  # noqa: E731
    assert copies()["CurrentCopyCount"] == 2
    assert [o.status for o in undo(ctx, tmp_path / "j", tmp_path / "u")] == ["restored"]
    assert copies()["CurrentCopyCount"] == 1


def test_apply_autoscaling_leaves_component_hosting_variants_alone(aws, make_ctx):
    from tests.live.live_helpers import make_component_endpoint

    make_component_endpoint("chat-ep", {"chat": 2})
    plan = plan_for(make_ctx(), [live_finding("SM202", "chat-ep", "apply-autoscaling")])
    assert plan.changes == [] and [(s.name, s.reason) for s in plan.skipped] == [
        ("chat-ep/AllTraffic", "the variant hosts inference components: its instances scale through "
                               "ManagedInstanceScaling and its copies on each component's own scalable target "
                               "(inference-component/<name>), which this action does not write; a variant scalable "
                               "target does not apply to it")]
    assert aas().describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"] == []

