"""Least privilege: iam/remediation.json allows exactly what the actions
declare, and every API call the planner, executor and restore make (seen by
a botocore hook) is declared by whoever made it and allowed by the policy."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path

import pytest

from auditor.remediation.base import load_actions
from auditor.remediation.executor import execute
from auditor.remediation.journal import Journal, read
from auditor.remediation.planner import PLANNER_PERMISSIONS, build_plan
from auditor.remediation.restore import restore

from .conftest import (ACCOUNT, REGION, Recorder, age_endpoint, alarm, live_finding, make_endpoint, scaling, sm)

POLICY = Path(__file__).resolve().parents[2] / "iam" / "remediation.json"
NO_PERMISSION_NEEDED = {("sts", "GetCallerIdentity")}  # AWS: callable by any principal
PREFIX = {"sagemaker": "sagemaker", "application-autoscaling": "application-autoscaling",
          "cloudwatch": "cloudwatch", "cloudtrail": "cloudtrail"}


def policy():
    return json.loads(POLICY.read_text())


def allowed(perm: str, resource: str = "*") -> bool:
    for st in policy()["Statement"]:
        acts = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        res = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
        if st["Effect"] == "Allow" and perm in acts and (
                "*" in res or any(fnmatch.fnmatchcase(resource, r) for r in res)):
            return True
    return False


def test_policy_is_valid_and_allows_only_declared_permissions():
    doc = policy()
    assert doc["Version"] == "2012-10-17"
    in_policy = set()
    for st in doc["Statement"]:
        assert st["Effect"] == "Allow" and "NotAction" not in st and "NotResource" not in st
        acts = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        assert all("*" not in a for a in acts), "no wildcard actions"
        in_policy |= set(acts)
    declared = set(PLANNER_PERMISSIONS)
    for cls in load_actions().values():
        declared |= set(cls.permissions)
    assert in_policy == declared
    # and it is not the read-only audit policy: every write lives here only
    assert {"sagemaker:DeleteEndpoint", "application-autoscaling:RegisterScalableTarget"} <= in_policy


def test_every_declared_permission_is_in_the_policy():
    for cls in load_actions().values():
        for perm in cls.permissions:
            assert any(perm in (st["Action"] if isinstance(st["Action"], list) else [st["Action"]])
                       for st in policy()["Statement"]), f"{cls.name}: {perm} not in iam/remediation.json"


def test_service_linked_role_is_restricted_to_autoscaling():
    (st,) = [s for s in policy()["Statement"] if "iam:CreateServiceLinkedRole" in str(s["Action"])]
    assert st["Condition"]["StringLike"]["iam:AWSServiceName"] == "sagemaker.application-autoscaling.amazonaws.com"
    assert st["Resource"] != "*"


@pytest.mark.live
def test_every_call_is_declared_and_allowed(aws, make_ctx, tmp_path):
    from .test_monitor_rollback import monitor_alarm

    make_endpoint("scale-me", variants=(("v", 1, 1.0),))
    make_endpoint("idle", tags={"Environment": "dev"})
    scaling("idle", "AllTraffic", 1, 2, {"name": "p", "TargetValue": 70.0, "ScaleInCooldown": 300,
                                         "ScaleOutCooldown": 60, "PredefinedMetricSpecification": {
                                             "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"}})
    age_endpoint("idle", 48)
    make_endpoint("ab", variants=(("blue", 1, 0.5), ("green", 1, 0.5)))
    alarm("ab", "green")
    make_endpoint("cfg", config="cfg-v2")
    sm().create_endpoint_config(EndpointConfigName="cfg-v1", ProductionVariants=sm().describe_endpoint_config(
        EndpointConfigName="cfg-v2")["ProductionVariants"])
    # Model Monitor alarms: a one-variant endpoint (CloudTrail history) and a two-variant one (newest model)
    make_endpoint("mon", config="mon-v1")
    sm().create_endpoint_config(EndpointConfigName="mon-v2", ProductionVariants=sm().describe_endpoint_config(
        EndpointConfigName="mon-v1")["ProductionVariants"])
    sm().update_endpoint(EndpointName="mon", EndpointConfigName="mon-v2")
    monitor_alarm("mon")
    make_endpoint("mm-ab", variants=(("old", 1, 0.5), ("new", 1, 0.5)))
    monitor_alarm("mm-ab", kind="model")
    fs = [live_finding("SM202", "scale-me", "apply-autoscaling"),
          live_finding("SM502", "idle", "stop-idle-endpoints"),
          live_finding("SM201", "scale-me", "raise-instance-count")]

    rec = Recorder()
    journals = []
    for kw, opts in (({}, {"raise-instance-count": {"opted_in": ["scale-me"]}}),
                     ({"endpoints": ["cfg"]}, {"rollback-variants": {"to_config": "cfg-v1"}})):
        ctx = make_ctx(record=rec, overrides={**opts, "stop-idle-endpoints": {"wait_delay": 1}})
        plan = build_plan(ctx, fs, run_id=f"r{len(journals)}", regions=[REGION], **kw)
        path = tmp_path / f"j{len(journals)}.jsonl"
        j = Journal(path, plan.run_id)
        execute(plan, ctx, apply=True, journal=j)
        j.close()
        assert plan.changes and all(c.status == "done" for c in plan.changes), [(c.name, c.status) for c in plan.changes]
        journals.append(path)
    for path in reversed(journals):
        entries, _ = read(path)
        j = Journal(tmp_path / "undo.jsonl", "u", kind="restore")
        out = restore(entries, make_ctx(record=rec), j)
        j.close()
        assert all(o.status == "restored" for o in out)

    actions = load_actions()
    ops = set()
    for who, service, op in rec.calls:
        if (service, op) in NO_PERMISSION_NEEDED:
            continue
        perm = f"{PREFIX[service]}:{op}"
        ops.add(perm)
        assert who is not None, f"{perm} made outside any action"
        declared = PLANNER_PERMISSIONS if who == "planner" else actions[who].permissions
        assert perm in declared, f"{who} calls {perm} without declaring it"
        assert allowed(perm, f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/x"), f"{perm} not allowed by the policy"
    # the scenario exercised every write the actions make
    assert {"sagemaker:DeleteEndpoint", "sagemaker:CreateEndpoint", "sagemaker:UpdateEndpoint",
            "sagemaker:UpdateEndpointWeightsAndCapacities", "application-autoscaling:RegisterScalableTarget",
            "application-autoscaling:PutScalingPolicy", "application-autoscaling:DeleteScalingPolicy",
            "application-autoscaling:DeregisterScalableTarget", "cloudtrail:LookupEvents",
            "sagemaker:DescribeModel"} <= ops
