"""SM203 monitor-and-rollback."""

from __future__ import annotations


from auditor.inventory import MONITOR_NAMESPACES, _maybe_same, alarm_dimension_values, alarm_namespaces
from auditor.rulebase import Fail, Rule, RuleParams, Undecided
from auditor.values import Unknown, as_bool, display, is_known, why_unknown
from auditor.values import prop as _get

ROLLBACK = ("DeploymentConfig", "AutoRollbackConfiguration", "Alarms")
INACTIVE = {"Stopped", "Failed"}




class MonitorAndRollback(Rule):
    """Endpoints capture data, run Model Monitor, and roll back on alarms.

    ## What it checks
    For every endpoint (all endpoints: the policy does not limit itself to
    production; set `production_only: true` to narrow it):

    * its endpoint config enables data capture
      (`DataCaptureConfig.EnableCapture: true`), which Model Monitor needs.
      A serverless variant cannot capture data, so Model Monitor cannot run
      on it: that fails with a message saying so (suppress it with a reason
      if serverless is a deliberate choice);
    * monitoring schedules exist for the endpoint for every type in
      `required_monitors`. The default is all four the policy names:
      `DataQuality`, `ModelQuality`, `ModelBias`, `ModelExplainability`. A
      schedule's type is its `MonitoringType`, or the type of the job
      definition it names (`MonitoringJobDefinitionName`); an inline job
      definition is data quality. Live schedules that are `Stopped` or
      `Failed` do not count;
    * `DeploymentConfig.AutoRollbackConfiguration.Alarms` on the endpoint is
      non-empty, every alarm it names exists, and **at least one of them
      watches this endpoint's Model Monitor results**: a namespace in
      `monitor_namespaces` (`aws/sagemaker/Endpoints/data-metrics`,
      `.../model-metrics`, `.../bias-metrics`, `.../explainability-metrics`)
      with dimension `Endpoint` naming this endpoint, on the alarm or on a
      metric of a metric-math alarm. The policy says "rollback on
      ModelMonitor alarm triggers"; latency and error alarms may be there too
      but do not count on their own.

    An endpoint config that no endpoint of the template uses is still
    checked for data capture (that belongs to the config); its schedules and
    rollback alarms belong to the endpoint that will use it, so they are
    *unknown*, with that reason.

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
    targets = ("Endpoint", "EndpointConfig")
    # a config is judged on its own only when no endpoint uses it (then the endpoint carries the verdict)
    reads = {"Endpoint": ("EndpointConfig", "MonitoringSchedule", "MonitoringJobDefinition", "Alarm"),
             "EndpointConfig": ("Endpoint",)}

    class Params(RuleParams):
        required_monitors: list[str] = ["DataQuality", "ModelQuality", "ModelBias", "ModelExplainability"]
        monitor_namespaces: list[str] = list(MONITOR_NAMESPACES)
        require_data_capture: bool = True
        require_rollback_alarms: bool = True
        production_only: bool = False

    def _observability_level(self):
        """Warning by default; a severity set in the config applies to every finding."""
        return None if "level" in vars(self) else "warning"

    def check(self, res, ctx):
        if res.kind == "EndpointConfig":
            if ctx.inv.unused_config(res):
                yield from self._orphan(res, ctx)
            return
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

    def _orphan(self, config, ctx):
        """A template's config without its endpoint: capture is the config's,
        the rest belongs to an endpoint this template does not declare."""
        if self.params.production_only:
            go, undecided = ctx.production_gate(config)
            if undecided:
                yield undecided
            if not go:
                return
        if self.params.require_data_capture:
            yield from self._config_capture(config, f"endpoint config {config.label}")
        wanted = []
        if self.params.required_monitors:
            wanted.append("Model Monitor schedules")
        if self.params.require_rollback_alarms:
            wanted.append("rollback alarms")
        if wanted:
            yield Undecided(("EndpointConfigName",), f"endpoint config {config.label} is used by no endpoint in this "
                                                     f"{config.meta.source_noun}: the {' and '.join(wanted)} of the endpoint that "
                                                     f"uses it cannot be checked here")

    def _capture(self, res, ctx):
        config = ctx.inv.config_of(res)
        if config is None or isinstance(config, Unknown):
            why = why_unknown(config) if config is not None else "it is not in the inventory"
            yield Undecided(("EndpointConfigName",), f"cannot check data capture of endpoint {res.label}: endpoint "
                                                     f"config {display(res.EndpointConfigName)} unknown ({why})")
            return
        yield from self._config_capture(config, f"endpoint config {config.label} of endpoint {res.label}", res)

    def _config_capture(self, config, what, endpoint=None):
        serverless = [(p, v) for p, v in config.variants() if v.is_serverless]
        if serverless:
            path, v = serverless[0]
            on = f"endpoint {endpoint.label}" if endpoint is not None else f"endpoint config {config.label}"
            yield Fail(path + ("ServerlessConfig",), f"variant {display(v.VariantName)} of {what} is serverless: "
                                                     f"serverless inference cannot capture data, so Model Monitor "
                                                     f"cannot run on {on}; the policy wants Model Monitor (suppress "
                                                     f"with a reason if serverless is deliberate)",
                       resource=config, level=self._observability_level())
            return
        dc = config.DataCaptureConfig
        if dc is None:
            yield Fail(("DataCaptureConfig",), f"{what} has no DataCaptureConfig; Model Monitor needs data capture "
                                               f"enabled", resource=config, level=self._observability_level())
            return
        on = _get(dc, "EnableCapture") if is_known(dc) else dc
        if on is not None and not is_known(on):
            yield Undecided(("DataCaptureConfig", "EnableCapture"), f"data capture of {config.label} cannot be "
                                                                    f"determined ({why_unknown(on)})", resource=config)
        elif on is not None and as_bool(on) is not True:
            yield Fail(("DataCaptureConfig", "EnableCapture"), f"{what} disables data capture; Model Monitor "
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
                   data={"endpoint": res.shown_name, "missing": missing, "covered": sorted(covered)})

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
                                 f"on Model Monitor / quality alarms", data={"endpoint": res.shown_name})
            return
        monitor, doubts, unsure, others = False, [], [], []
        for i, a in enumerate(alarms if isinstance(alarms, list) else []):
            name = _get(a, "AlarmName") if is_known(a) else a
            path = ROLLBACK + (i, "AlarmName")
            if name is None or isinstance(name, Unknown):
                yield Undecided(path, f"rollback alarm {i} of {res.label} cannot be determined "
                                      f"({why_unknown(name) or 'no AlarmName'})")
                doubts.append(f"alarm {i}")
                continue
            alarm = ctx.inv.find("Alarm", name, res)
            if alarm is None:
                yield Fail(path, f"rollback alarm {display(name)} of endpoint {res.label} does not exist; "
                                 f"automatic rollback can never trigger", data={"endpoint": res.shown_name,
                                                                                 "alarm": display(name)})
            elif isinstance(alarm, Unknown):
                yield Undecided(path, f"cannot tell whether rollback alarm {display(name)} of endpoint {res.label} "
                                      f"exists: {alarm.reason}")
                doubts.append(display(name))
            else:
                v = self._watches_monitor(alarm, res)
                if v is True:
                    monitor = True
                elif v is None:
                    unsure.append(alarm.label)
                else:
                    others.append(alarm.label)
        if monitor or not isinstance(alarms, list):
            return
        ns = ", ".join(self.params.monitor_namespaces)
        if unsure:
            yield Undecided(ROLLBACK, f"cannot tell whether rollback alarm {', '.join(unsure)} of endpoint "
                                      f"{res.label} watches its Model Monitor results (namespace or Endpoint "
                                      f"dimension unknown)")
            return
        if doubts:
            return  # each alarm that cannot be found already has its own unknown finding
        yield Fail(ROLLBACK, f"no rollback alarm of endpoint {res.label} ({', '.join(others)}) watches its Model "
                             f"Monitor results (namespaces {ns}, dimension Endpoint = {res.shown_name}); the policy "
                             f"wants rollback on Model Monitor alarm triggers",
                   data={"endpoint": res.shown_name, "alarms": others})

    def _watches_monitor(self, alarm, endpoint):
        """Does the alarm watch this endpoint's Model Monitor results? True,
        False, or None when a namespace or the endpoint dimension is unknown."""
        spaces = alarm_namespaces(alarm)
        if not spaces:
            return False
        known = [x for x in spaces if is_known(x)]
        if not any(x in self.params.monitor_namespaces for x in known):
            return None if len(known) < len(spaces) else False
        names = alarm_dimension_values(alarm, ("Endpoint",))
        if any(endpoint.is_referenced_by(n) for n in names):
            return True
        if any(not is_known(n) or _maybe_same(n, endpoint.name) for n in names):
            return None
        return False

