"""SM203 monitor-and-rollback."""

from __future__ import annotations


from auditor.rulebase import Fail, Rule, RuleParams, Undecided
from auditor.values import Unknown, as_bool, display, is_known, why_unknown
from auditor.values import prop as _get

ROLLBACK = ("DeploymentConfig", "AutoRollbackConfiguration", "Alarms")
INACTIVE = {"Stopped", "Failed"}




def _ep_name(ep) -> str:
    return ep.shown_name


class MonitorAndRollback(Rule):
    """Endpoints capture data, run Model Monitor, and roll back on alarms.

    ## What it checks
    For every endpoint (all endpoints: the policy does not limit itself to
    production; set `production_only: true` to narrow it):

    * its endpoint config enables data capture
      (`DataCaptureConfig.EnableCapture: true`), which Model Monitor needs;
    * monitoring schedules exist for the endpoint for every type in
      `required_monitors`. The default is all four the policy names:
      `DataQuality`, `ModelQuality`, `ModelBias`, `ModelExplainability`. A
      schedule's type is its `MonitoringType`, or the type of the job
      definition it names (`MonitoringJobDefinitionName`); an inline job
      definition is data quality. Live schedules that are `Stopped` or
      `Failed` do not count;
    * `DeploymentConfig.AutoRollbackConfiguration.Alarms` on the endpoint is
      non-empty and every alarm it names exists.

    Data capture and monitoring findings are warnings (observability); a
    missing rollback is an error (availability). A severity set for the rule
    in the configuration applies to all of them. In a template, a schedule
    whose endpoint cannot be told, a job definition or alarm named by a
    literal that is not in the template, or a value from a parameter without
    a default, gives *unknown*; in a live account a named alarm that does not
    exist fails.

    ## Why
    Model Monitor detects data drift, quality and bias degradation, and
    explainability drift; alarms on its metrics that trigger an automatic
    rollback limit how long a bad model serves traffic.

    ## Example
    ```yaml
    Endpoint:
      Type: AWS::SageMaker::Endpoint
      Properties:
        EndpointConfigName: !GetAtt Config.EndpointConfigName
        # SM203: no DeploymentConfig.AutoRollbackConfiguration.Alarms
    ```

    ## Fix
    Enable `DataCaptureConfig` on the endpoint config, create
    `AWS::SageMaker::MonitoringSchedule`s with data-quality, model-quality,
    bias and explainability job definitions for the endpoint, and add
    `DeploymentConfig: {AutoRollbackConfiguration: {Alarms: [{AlarmName:
    !Ref DriftAlarm}]}}` with CloudWatch alarms on the monitors' metrics.

    ## Remediation
    None: monitors need baselines and alarms need thresholds only the team
    can choose.
    """

    id = "SM203"
    slug = "monitor-and-rollback"
    title = "Endpoints run Model Monitor and roll back automatically"
    level = "error"
    section = "Endpoint Configuration"
    policy = "Endpoint configuration must include Model Monitor and AutoRollback."
    tags = ("availability", "observability", "model-monitor")
    targets = ("Endpoint",)
    reads = ("EndpointConfig", "MonitoringSchedule", "MonitoringJobDefinition", "Alarm")

    class Params(RuleParams):
        required_monitors: list[str] = ["DataQuality", "ModelQuality", "ModelBias", "ModelExplainability"]
        require_data_capture: bool = True
        require_rollback_alarms: bool = True
        production_only: bool = False

    def _observability_level(self):
        """Warning by default; a severity set in the config applies to every finding."""
        return None if "level" in vars(self) else "warning"

    def check(self, res, ctx):
        if self.params.production_only:
            go, undecided = ctx.production_gate(res)
            if undecided:
                yield undecided
            if not go:
                return
        if self.params.require_data_capture:
            yield from self._capture(res, ctx)
        if self.params.required_monitors:
            yield from self._monitors(res, ctx)
        if self.params.require_rollback_alarms:
            yield from self._rollback(res, ctx)

    def _capture(self, res, ctx):
        config = ctx.inv.config_of(res)
        if config is None or isinstance(config, Unknown):
            why = why_unknown(config) if config is not None else "it is not in the inventory"
            yield Undecided(("EndpointConfigName",), f"cannot check data capture of endpoint {res.label}: endpoint "
                                                     f"config {display(res.EndpointConfigName)} unknown ({why})")
            return
        dc = config.DataCaptureConfig
        if dc is None:
            yield Fail(("DataCaptureConfig",), f"endpoint config {config.label} of endpoint {res.label} has no "
                                               f"DataCaptureConfig; Model Monitor needs data capture enabled",
                       resource=config, level=self._observability_level())
            return
        on = _get(dc, "EnableCapture") if is_known(dc) else dc
        if on is not None and not is_known(on):
            yield Undecided(("DataCaptureConfig", "EnableCapture"), f"data capture of {config.label} cannot be "
                                                                    f"determined ({why_unknown(on)})", resource=config)
        elif on is not None and as_bool(on) is not True:
            yield Fail(("DataCaptureConfig", "EnableCapture"), f"endpoint config {config.label} of endpoint "
                                                               f"{res.label} disables data capture; Model Monitor "
                                                               f"needs EnableCapture true",
                       resource=config, level=self._observability_level())

    def _monitors(self, res, ctx):
        sure, maybe = ctx.inv.monitoring_schedules_for(res)
        covered, unknown_types, stopped = set(), [], []
        for s in sure:
            if isinstance(s.MonitoringScheduleStatus, str) and s.MonitoringScheduleStatus in INACTIVE:
                stopped.append(f"{s.label} ({s.MonitoringScheduleStatus})")
                continue
            t = ctx.inv.monitoring_type_of(s)
            if isinstance(t, str):
                covered.add(t)
            else:
                unknown_types.append(f"{s.label} ({why_unknown(t)})")
        missing = [m for m in self.params.required_monitors if m not in covered]
        if not missing:
            return
        have = f"monitoring schedules for {', '.join(sorted(covered))}" if covered else "no monitoring schedule"
        extra = f" (inactive: {', '.join(stopped)})" if stopped else ""
        if unknown_types or maybe:
            doubts = unknown_types + [f"{s.label} (endpoint cannot be told)" for s in maybe]
            yield Undecided(("MonitoringSchedules",), f"endpoint {res.label} has {have}{extra}; {', '.join(missing)} "
                                                      f"may be covered by {', '.join(doubts)}")
            return
        yield Fail(("MonitoringSchedules",), f"endpoint {res.label} has {have}{extra}; the policy wants Model Monitor "
                                             f"schedules for {', '.join(missing)}", level=self._observability_level(),
                   data={"endpoint": _ep_name(res), "missing": missing, "covered": sorted(covered)})

    def _rollback(self, res, ctx):
        dep = res.DeploymentConfig
        if dep is not None and not is_known(dep):
            yield Undecided(("DeploymentConfig",), f"deployment config of {res.label} cannot be determined "
                                                   f"({why_unknown(dep)})")
            return
        arc = _get(dep, "AutoRollbackConfiguration")
        alarms = _get(arc, "Alarms") if arc is None or is_known(arc) else arc
        if alarms is not None and not is_known(alarms):
            yield Undecided(ROLLBACK, f"rollback alarms of {res.label} cannot be determined ({why_unknown(alarms)})")
            return
        if not alarms:
            where = "has no DeploymentConfig" if dep is None else (
                "has no AutoRollbackConfiguration" if arc is None else "lists no rollback alarms")
            yield Fail(ROLLBACK, f"endpoint {res.label} {where}; the policy wants AutoRollbackConfiguration.Alarms "
                                 f"on Model Monitor / quality alarms", data={"endpoint": _ep_name(res)})
            return
        for i, a in enumerate(alarms if isinstance(alarms, list) else []):
            name = _get(a, "AlarmName") if is_known(a) else a
            path = ROLLBACK + (i, "AlarmName")
            if name is None or isinstance(name, Unknown):
                yield Undecided(path, f"rollback alarm {i} of {res.label} cannot be determined "
                                      f"({why_unknown(name) or 'no AlarmName'})")
                continue
            alarm = ctx.inv.find("Alarm", name, res)
            if alarm is None:
                yield Fail(path, f"rollback alarm {display(name)} of endpoint {res.label} does not exist; "
                                 f"automatic rollback can never trigger", data={"endpoint": _ep_name(res),
                                                                                 "alarm": display(name)})
            elif isinstance(alarm, Unknown):
                yield Undecided(path, f"cannot tell whether rollback alarm {display(name)} of endpoint {res.label} "
                                      f"exists: {alarm.reason}")
