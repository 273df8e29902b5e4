"""SM302 model-quality."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

from auditor.rulebase import Fail, Rule, RuleParams, Undecided, unused_config_unknown
from auditor.values import Unknown, display, is_known, why_unknown
from auditor.values import prop as _get

from .sm301_observability import alarm_series




class ModelQuality(Rule):
    """Production endpoints are monitored against a baseline, and drift raises an alarm.

    ## What it checks
    For every production endpoint:

    * it has at least one Model Monitor schedule (`EndpointName`, an
      `EndpointInput` of the schedule's inline job definition, or of the job
      definition it names);
    * every such schedule carries a **baseline**: an inline
      `MonitoringJobDefinition.BaselineConfig` with `ConstraintsResource` and
      `StatisticsResource`, or a referenced job definition's
      `<Type>BaselineConfig` with `ConstraintsResource` (data quality also
      needs `StatisticsResource`; model quality, bias and explainability
      baselines have constraints only). A `BaseliningJobName` counts: the
      baselining job supplies both files;
    * a CloudWatch alarm watches the monitor's results for this endpoint: an
      alarm whose `Endpoint`/`EndpointName` dimension names it and whose
      namespace is one of `monitor_namespaces`
      (`aws/sagemaker/Endpoints/data-metrics`, `.../model-metrics`, ...) or
      whose metric matches `monitor_metrics` (`feature_baseline_drift_*`).
      Other notification paths (EventBridge rules on monitoring-execution
      events) are not in the inventory, so they do not count; suppress the
      finding with a reason if you alert that way;
    * that alarm **alerts someone**: it has `AlarmActions` (SNS, Lambda,
      SSM ...) or is one of the endpoint's rollback alarms
      (`DeploymentConfig.AutoRollbackConfiguration.Alarms`). An alarm with no
      action alerts nobody and fails.

    A schedule or alarm whose endpoint name cannot be told apart from this
    endpoint's makes the result *unknown*, as does a job definition the
    template names but does not define, and a production endpoint config
    that no endpoint of the template uses (its endpoint's schedules and
    alarms cannot be checked).

    ## Why
    Models degrade silently when live data drifts from the training data; a
    baseline is what drift is measured against, and an alarm is what turns a
    violation report into action (alerts, or an AutoRollback trigger).

    ## Example
    ```yaml
    Schedule:
      Type: AWS::SageMaker::MonitoringSchedule
      Properties:
        EndpointName: !GetAtt Endpoint.EndpointName
        MonitoringScheduleConfig:
          MonitoringJobDefinition:     # SM302: no BaselineConfig
            MonitoringInputs: [...]
    ```

    ## Fix
    Run a baselining job on the training data and reference its
    `constraints.json` and `statistics.json` in `BaselineConfig`; add an alarm
    on the `aws/sagemaker/Endpoints/data-metrics` namespace (dimensions
    `Endpoint` and `MonitoringSchedule`) and wire it to a notification or to
    `AutoRollbackConfiguration`.

    ## Remediation
    None automatic: a baseline comes from your training data.
    """

    id = "SM302"
    slug = "model-quality"
    title = "Production endpoints have baselined quality monitoring with alarms"
    level = "warning"
    section = "Monitoring & Observability"
    policy = "Model quality monitoring must be enabled for production deployments."
    tags = ("observability", "monitoring", "production")
    targets = ("Endpoint", "EndpointConfig")
    # a config is judged on its own only when no endpoint uses it (then the endpoint carries the verdict)
    reads = {"Endpoint": ("EndpointConfig", "MonitoringSchedule", "MonitoringJobDefinition", "Alarm"),
             "EndpointConfig": ("Endpoint",)}

    class Params(RuleParams):
        monitor_namespaces: list[str] = [
            "aws/sagemaker/Endpoints/data-metrics",
            "aws/sagemaker/Endpoints/model-metrics",
            "aws/sagemaker/Endpoints/bias-metrics",
            "aws/sagemaker/Endpoints/explainability-metrics",
        ]
        monitor_metrics: list[str] = ["feature_baseline_drift_*"]
        require_alarm: bool = True

    def check(self, res, ctx):
        if res.kind == "EndpointConfig":
            if ctx.inv.unused_config(res):
                go, undecided = ctx.production_gate(res)
                if undecided or go:
                    yield undecided or unused_config_unknown(res, "the Model Monitor schedules, baselines and "
                                                                  "quality alarms")
            return
        ep = res.shown_name
        go, undecided = ctx.production_gate(res, f"endpoint {ep}")
        if undecided:
            yield undecided
        if not go:
            return
        sure, maybe = ctx.inv.monitoring_schedules_for(res)
        if not sure:
            if maybe:
                yield Undecided(("ModelMonitor",), f"cannot tell whether monitoring schedule {maybe[0].label} "
                                f"watches endpoint {ep}: {self._why_schedule(maybe[0])}")
            else:
                yield Fail(("ModelMonitor",), f"production endpoint {ep} has no Model Monitor schedule; the policy "
                           "wants quality monitoring against a baseline")
        seen: set[str] = set()
        for s in sure:
            yield from self._baseline(s, ep, ctx, seen)
        if self.params.require_alarm:
            yield from self._alarm(res, ep, ctx)

    @staticmethod
    def _alerts(alarm, endpoint):
        """Does the alarm alert someone? True (AlarmActions, or it is one of the
        endpoint's rollback alarms), False, or None when that cannot be told."""
        actions = alarm.AlarmActions
        if isinstance(actions, list) and actions:
            return True
        dep = endpoint.DeploymentConfig
        rollback = _get(_get(dep, "AutoRollbackConfiguration"), "Alarms")
        for x in rollback if isinstance(rollback, list) else []:
            if alarm.is_referenced_by(_get(x, "AlarmName")):
                return True
        if actions is not None and not is_known(actions):
            return None
        if (dep is not None and not is_known(dep)) or (rollback is not None and not isinstance(rollback, list)):
            return None
        return False

    @staticmethod
    def _why_schedule(s) -> str:
        for v in (s.EndpointName, s.MonitoringScheduleConfig):
            if v is not None and not is_known(v):
                return why_unknown(v)
        return f"its endpoint is {display(s.EndpointName)}" if s.EndpointName is not None else \
            f"its job definition is not in this {s.meta.source_noun}"

    def _baseline(self, s, ep, ctx, seen):
        cfg = s.MonitoringScheduleConfig
        if cfg is not None and not is_known(cfg):
            yield Undecided(("MonitoringScheduleConfig",), f"schedule {s.label} of endpoint {ep}: monitoring "
                            f"configuration unknown ({why_unknown(cfg)})", resource=s)
            return
        inline = _get(cfg, "MonitoringJobDefinition")
        if inline is not None:
            path = ("MonitoringScheduleConfig", "MonitoringJobDefinition", "BaselineConfig")
            yield from self._check_baseline(_get(inline, "BaselineConfig"), True, s, path,
                                            f"schedule {s.label} of endpoint {ep}")
            return
        jd = ctx.inv.job_definition_of(s)
        if isinstance(jd, Unknown):
            yield Undecided(("MonitoringScheduleConfig", "MonitoringJobDefinitionName"),
                            f"cannot check the baseline of schedule {s.label} (endpoint {ep}): {jd.reason}",
                            resource=s)
            return
        if jd is None:
            yield Fail(("MonitoringScheduleConfig",), f"schedule {s.label} of endpoint {ep} has no job definition, "
                       "so no baseline; the policy wants a baseline from training/validation data", resource=s)
            return
        if jd.key in seen:
            return
        seen.add(jd.key)
        key = f"{jd.monitoring_type}BaselineConfig"
        yield from self._check_baseline(getattr(jd, key, None), jd.monitoring_type == "DataQuality", jd, (key,),
                                        f"{jd.monitoring_type} job definition {jd.label} (endpoint {ep})")

    @staticmethod
    def _check_baseline(base, need_stats, owner, path, what):
        if base is not None and not is_known(base):
            yield Undecided(path, f"{what}: baseline unknown ({why_unknown(base)})", resource=owner)
            return
        if base is None:
            yield Fail(path, f"{what} has no baseline; the policy wants constraints and statistics from "
                       "training/validation data", resource=owner)
            return
        if _get(base, "BaseliningJobName") is not None:
            return
        wanted = ["ConstraintsResource"] + (["StatisticsResource"] if need_stats else [])
        missing = [k for k in wanted if _get(base, k) is None]
        if missing:
            yield Fail(path, f"{what}: baseline has no {' or '.join(missing)}; the policy wants "
                       f"{' and '.join(wanted)}", resource=owner)

    def _alarm(self, res, ep, ctx):
        p = self.params
        sure, maybe = ctx.inv.endpoint_alarms(res, ("Endpoint", "EndpointName"))

        def verdict(a) -> Any:
            ns = a.Namespace
            series = alarm_series(a)
            names = [m for m, _ in series]
            if isinstance(a.Metrics, list):
                names_ns = [_get(_get(_get(m, "MetricStat"), "Metric"), "Namespace") for m in a.Metrics]
            else:
                names_ns = []
            namespaces = [x for x in [ns, *names_ns] if x is not None]
            if any(is_known(x) and x in p.monitor_namespaces for x in namespaces):
                return True
            if any(is_known(m) and any(fnmatchcase(m, pat) for pat in p.monitor_metrics) for m in names):
                return True
            if any(not is_known(x) for x in namespaces + names):
                return None
            return False

        undecided, silent = None, []
        for a in sure:
            v = verdict(a)
            if v:
                alerts = self._alerts(a, res)
                if alerts is True:
                    return
                if alerts is None:
                    undecided = undecided or f"alarm {a.label} watches its Model Monitor results, but its " \
                                             f"AlarmActions cannot be determined ({why_unknown(a.AlarmActions)})"
                else:
                    silent.append(a)
                continue
            if v is None:
                undecided = undecided or f"alarm {a.label} watches an unknown metric"
        for a in maybe:
            if verdict(a) is not False:
                undecided = undecided or f"alarm {a.label} may watch endpoint {ep}"
        if undecided:
            yield Undecided(("Alarms", "Quality"), f"cannot tell whether drift on endpoint {ep} raises an alarm: "
                            f"{undecided}")
            return
        for a in silent:
            yield Fail(("AlarmActions",), f"alarm {a.label} watches the Model Monitor results of production endpoint "
                       f"{ep} but alerts nobody: it has no AlarmActions and is not one of the endpoint's rollback "
                       "alarms; the policy wants automatic alerts and rollback triggers on quality degradation",
                       resource=a)
        if silent:
            return
        yield Fail(("Alarms", "Quality"), f"no alarm on Model Monitor results for production endpoint {ep} "
                   f"(namespaces {', '.join(p.monitor_namespaces)}; metrics {', '.join(p.monitor_metrics)}); the "
                   "policy wants drift and quality violations to raise alerts")
