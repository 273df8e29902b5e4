"""Where moto 5.2 answers differently from AWS, make the in-process server
answer like AWS. Used by the ``--sandbox`` demo account and the live tests
(never by a real audit): the product is written against AWS, and the mock is
extended to match it, not the other way round.

What this adds or corrects (see MOTO-NOTES.md):
* ``CreateEndpoint`` keeps ``DeploymentConfig`` and ``DescribeEndpoint``
  returns it as ``LastDeploymentConfig`` (moto drops it).
* Every endpoint variant reports its weight (AWS defaults it to 1.0; moto
  leaves CurrentWeight out when the config did not set one).
* ``CreateModel`` keeps ``EnableNetworkIsolation`` (moto always says false).
* ``CreateEndpointConfig`` keeps ``ShadowProductionVariants``, ``VpcConfig``,
  ``EnableNetworkIsolation`` and ``ExecutionRoleArn`` (moto drops them).
* Monitoring schedules: Create/List/Describe (moto: not implemented).
* ``GetBucketEncryption`` on a bucket without an explicit configuration
  returns SSE-S3, as AWS does for every bucket since January 2023.
* ``UpdateEndpoint`` (moto: not implemented) moves the endpoint to the new
  config's variants.
* CloudTrail event history: ``CreateEndpoint`` and ``UpdateEndpoint`` are
  recorded as management events, and ``LookupEvents`` answers from them
  (one lookup attribute, time range, newest first, paging), as AWS does for
  the last 90 days. Tests read and backdate them with ``trail_events``.
* ``UpdateInferenceComponentRuntimeConfig`` sets a component's copy count
  (the copies run at once, as moto's endpoints are InService at once).
* Application Auto Scaling accepts the inference-component dimension
  ``sagemaker:inference-component:DesiredCopyCount`` (moto's list of
  dimensions predates inference components and refuses it).
* An endpoint config's ARN is a string (moto stores a 1-tuple, which leaks
  into the Resource Groups Tagging API as ``"('arn:...',)"``).
* Inference components (moto: not implemented): Create, Describe (the
  container as AWS reports it: ``DeployedImage``, ``ArtifactUrl``), List
  (endpoint, variant, status, name and creation-time filters, paging),
  Delete; their tags through AddTags/ListTags and the Tagging API. An
  endpoint config's variant may name no model (it hosts components; moto
  demands ``ModelName``).

Installed once per process; safe to call repeatedly.
"""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from typing import Any

_lock = threading.Lock()
_installed = False


def _backend(resp: Any) -> Any:
    return resp.sagemaker_backend


def _store(backend: Any, name: str, empty: Any) -> Any:
    """What moto_ext keeps on a moto backend (so moto's reset clears it too)."""
    attr = f"_sm_audit_{name}"
    if getattr(backend, attr, None) is None:
        setattr(backend, attr, empty)
    return getattr(backend, attr)


def _schedules(backend: Any) -> dict[str, dict]:
    return _store(backend, "schedules", {})


def install() -> None:
    global _installed
    with _lock:
        if _installed:
            return
        _patch_sagemaker()
        _patch_components()
        _patch_s3()
        _patch_cloudtrail()
        _patch_autoscaling()
        _patch_component_runtime()
        _installed = True


def _patch_sagemaker() -> None:
    from moto.core.responses import ActionResult
    from moto.sagemaker import models as sm_models
    from moto.sagemaker.exceptions import ValidationError
    from moto.sagemaker.responses import SageMakerResponse

    orig_create_endpoint = SageMakerResponse.create_endpoint
    orig_create_config = SageMakerResponse.create_endpoint_config
    orig_create_model = SageMakerResponse.create_model
    orig_config_init = sm_models.FakeEndpointConfig.__init__
    orig_variants = sm_models.FakeEndpoint._process_production_variants

    def process_variants(self, variants):  # type: ignore[no-untyped-def]
        out = orig_variants(self, variants)
        for v, spec in zip(out, variants):
            # AWS reports the weight (default 1.0) of every variant
            weight = float(spec.get("InitialVariantWeight", 1.0))
            v.setdefault("CurrentWeight", weight)
            v.setdefault("DesiredWeight", weight)
        return out

    def create_endpoint(self):  # type: ignore[no-untyped-def]
        result = orig_create_endpoint(self)
        dc = self._get_param("DeploymentConfig")
        if dc:
            ep = _backend(self).endpoints[self._get_param("EndpointName")]
            ep.last_deployment_config = dc  # DescribeEndpoint's LastDeploymentConfig
        _record(_backend(self), "CreateEndpoint", self._get_param("EndpointName"),
                self._get_param("EndpointConfigName"))
        return result

    def update_endpoint(self):  # type: ignore[no-untyped-def]
        b = _backend(self)
        name, cfg = self._get_param("EndpointName"), self._get_param("EndpointConfigName")
        ep = b.endpoints.get(name)
        if ep is None:
            raise ValidationError(message=f"Could not find endpoint \"{name}\".")
        try:
            config = b.describe_endpoint_config(cfg)
        except KeyError:
            raise ValidationError(message=f"Could not find endpoint configuration \"{cfg}\".") from None
        ep.endpoint_config_name = cfg
        ep.production_variants = ep._process_production_variants(config["ProductionVariants"])
        ep.data_capture_config = config.get("DataCaptureConfig")
        ep.last_modified_time = datetime.now(timezone.utc).replace(tzinfo=None)
        _record(b, "UpdateEndpoint", name, cfg)
        return ActionResult({"EndpointArn": ep.arn})

    def create_model(self):  # type: ignore[no-untyped-def]
        result = orig_create_model(self)
        if self._get_param("EnableNetworkIsolation") is not None:
            m = _backend(self)._models[self._get_param("ModelName")]
            m.enable_network_isolation = bool(self._get_param("EnableNetworkIsolation"))
        return result

    def create_endpoint_config(self):  # type: ignore[no-untyped-def]
        result = orig_create_config(self)
        cfg = _backend(self).endpoint_configs[self._get_param("EndpointConfigName")]
        # DescribeEndpointConfig answers with the object's attributes, camel-cased
        for param, attr in (("ShadowProductionVariants", "shadow_production_variants"), ("VpcConfig", "vpc_config"),
                            ("EnableNetworkIsolation", "enable_network_isolation"),
                            ("ExecutionRoleArn", "execution_role_arn")):
            if self._get_param(param) is not None:
                setattr(cfg, attr, self._get_param(param))
        return result

    def config_init(self, *a, **kw):  # type: ignore[no-untyped-def]
        orig_config_init(self, *a, **kw)
        self.arn = self.endpoint_config_arn

    def create_monitoring_schedule(self):  # type: ignore[no-untyped-def]
        b = _backend(self)
        name = self._get_param("MonitoringScheduleName")
        cfg = self._get_param("MonitoringScheduleConfig") or {}
        arn = f"arn:aws:sagemaker:{b.region_name}:{b.account_id}:monitoring-schedule/{name}"
        now = datetime.now(timezone.utc)
        job = cfg.get("MonitoringJobDefinition") or {}
        endpoint = (job.get("MonitoringInputs") or [{}])[0].get("EndpointInput", {}).get("EndpointName")
        endpoint = endpoint or self._get_param("EndpointName") or _endpoint_of_definition(b, cfg)
        _schedules(b)[name] = {
            "MonitoringScheduleArn": arn,
            "MonitoringScheduleName": name,
            "MonitoringScheduleStatus": "Scheduled",
            "MonitoringType": cfg.get("MonitoringType", "DataQuality"),
            "CreationTime": now,
            "LastModifiedTime": now,
            "MonitoringScheduleConfig": cfg,
            "EndpointName": endpoint,
            "Tags": self._get_param("Tags") or [],
        }
        return ActionResult({"MonitoringScheduleArn": arn})

    def list_monitoring_schedules(self):  # type: ignore[no-untyped-def]
        items = sorted(_schedules(_backend(self)).values(), key=lambda s: s["MonitoringScheduleName"])
        ep = self._get_param("EndpointName")
        if ep:
            items = [s for s in items if s["EndpointName"] == ep]
        start = int(self._get_param("NextToken") or 0)
        size = int(self._get_param("MaxResults") or 10)
        page = items[start:start + size]
        out: dict[str, Any] = {"MonitoringScheduleSummaries": [
            {k: s[k] for k in ("MonitoringScheduleName", "MonitoringScheduleArn", "CreationTime",
                               "LastModifiedTime", "MonitoringScheduleStatus", "EndpointName",
                               "MonitoringType") if s.get(k) is not None}
            for s in page]}
        if start + size < len(items):
            out["NextToken"] = str(start + size)
        return ActionResult(out)

    def describe_monitoring_schedule(self):  # type: ignore[no-untyped-def]
        name = self._get_param("MonitoringScheduleName")
        s = _schedules(_backend(self)).get(name)
        if s is None:
            raise ValidationError(message=f"Monitoring schedule {name} does not exist")
        return ActionResult({k: v for k, v in s.items() if k != "Tags" and v is not None})

    SageMakerResponse.create_endpoint = create_endpoint
    SageMakerResponse.create_endpoint_config = create_endpoint_config
    SageMakerResponse.update_endpoint = update_endpoint
    SageMakerResponse.create_model = create_model
    SageMakerResponse.create_monitoring_schedule = create_monitoring_schedule
    SageMakerResponse.list_monitoring_schedules = list_monitoring_schedules
    SageMakerResponse.describe_monitoring_schedule = describe_monitoring_schedule
    sm_models.FakeEndpointConfig.__init__ = config_init
    sm_models.FakeEndpoint._process_production_variants = process_variants


class _Component:
    """An inference component in the backend (``arn`` and ``tags`` are what
    moto's tagging code reads)."""

    def __init__(self, arn: str, data: dict, tags: list) -> None:
        self.arn = arn
        self.data = data
        self.tags = list(tags)


def _components(backend: Any) -> dict[str, _Component]:
    return _store(backend, "components", {})


def _patch_components() -> None:
    from moto.core.responses import ActionResult, EmptyResult
    from moto.sagemaker import models as sm_models
    from moto.sagemaker.exceptions import ValidationError
    from moto.sagemaker.responses import SageMakerResponse

    def create(self):  # type: ignore[no-untyped-def]
        b = _backend(self)
        name, ep_name = self._get_param("InferenceComponentName"), self._get_param("EndpointName")
        if name in _components(b):
            raise ValidationError(message=f"Cannot create already existing inference component \"{name}\".")
        ep = b.endpoints.get(ep_name)
        if ep is None:
            raise ValidationError(message=f"Could not find endpoint \"{ep_name}\".")
        spec = dict(self._get_param("Specification") or {})
        if isinstance(spec.get("Container"), dict):
            # AWS reports the image it deployed, not the request's Image member
            c = dict(spec["Container"])
            image = c.pop("Image", None)
            if image:
                c["DeployedImage"] = {"SpecifiedImage": image, "ResolvedImage": image}
            spec["Container"] = c
        copies = (self._get_param("RuntimeConfig") or {}).get("CopyCount")
        now = datetime.now(timezone.utc)
        arn = f"arn:aws:sagemaker:{b.region_name}:{b.account_id}:inference-component/{name}"
        data = {"InferenceComponentName": name, "InferenceComponentArn": arn, "EndpointName": ep_name,
                "EndpointArn": ep.arn, "VariantName": self._get_param("VariantName"), "Specification": spec,
                "RuntimeConfig": {"DesiredCopyCount": copies, "CurrentCopyCount": copies} if copies else None,
                "CreationTime": now, "LastModifiedTime": now, "InferenceComponentStatus": "InService"}
        _components(b)[name] = _Component(arn, {k: v for k, v in data.items() if v is not None},
                                          self._get_param("Tags") or [])
        return ActionResult({"InferenceComponentArn": arn})

    def describe(self):  # type: ignore[no-untyped-def]
        name = self._get_param("InferenceComponentName")
        c = _components(_backend(self)).get(name)
        if c is None:
            raise ValidationError(message=f"Could not find inference component \"{name}\".")
        return ActionResult(c.data)

    def delete(self):  # type: ignore[no-untyped-def]
        name = self._get_param("InferenceComponentName")
        if _components(_backend(self)).pop(name, None) is None:
            raise ValidationError(message=f"Could not find inference component \"{name}\".")
        return EmptyResult()

    def list_(self):  # type: ignore[no-untyped-def]
        items = [c.data for c in _components(_backend(self)).values()]
        for param, key in (("EndpointNameEquals", "EndpointName"), ("VariantNameEquals", "VariantName"),
                           ("StatusEquals", "InferenceComponentStatus")):
            want = self._get_param(param)
            if want:
                items = [x for x in items if x.get(key) == want]
        part = self._get_param("NameContains")
        if part:
            items = [x for x in items if part in x["InferenceComponentName"]]
        after, before = self._get_param("CreationTimeAfter"), self._get_param("CreationTimeBefore")
        if after is not None:
            items = [x for x in items if x["CreationTime"] > _aware(after)]
        if before is not None:
            items = [x for x in items if x["CreationTime"] < _aware(before)]
        key = {"Name": "InferenceComponentName", "Status": "InferenceComponentStatus"}.get(
            self._get_param("SortBy") or "CreationTime", "CreationTime")
        items.sort(key=lambda x: (x[key], x["InferenceComponentName"]),
                   reverse=(self._get_param("SortOrder") or "Descending") == "Descending")
        start = int(self._get_param("NextToken") or 0)
        size = int(self._get_param("MaxResults") or 10)
        summary = ("CreationTime", "InferenceComponentArn", "InferenceComponentName", "EndpointArn",
                   "EndpointName", "VariantName", "InferenceComponentStatus", "LastModifiedTime")
        out: dict[str, Any] = {"InferenceComponents": [{k: x[k] for k in summary if x.get(k) is not None}
                                                       for x in items[start:start + size]]}
        if start + size < len(items):
            out["NextToken"] = str(start + size)
        return ActionResult(out)

    orig_validate = sm_models.SageMakerModelBackend.validate_production_variants

    def validate(self, variants):  # type: ignore[no-untyped-def]
        # a variant that hosts inference components names no model
        return orig_validate(self, [v for v in variants if "ModelName" in v])

    orig_resource = sm_models.SageMakerModelBackend._get_resource_from_arn
    orig_tagged = sm_models.SageMakerModelBackend.iter_tagged_resources

    def resource_from_arn(self, arn):  # type: ignore[no-untyped-def]
        kind, _, name = arn.split(":")[-1].partition("/")
        if kind == "inference-component":
            c = _components(self).get(name)
            if c is None:
                raise ValidationError(message=f"Could not find inference-component with name {name}")
            return c
        return orig_resource(self, arn)

    def tagged(self):  # type: ignore[no-untyped-def]
        from moto.core.resource_tagging import TaggedResource

        yield from orig_tagged(self)
        for c in _components(self).values():
            yield TaggedResource(arn=c.arn, tags={t["Key"]: t["Value"] for t in c.tags},
                                 resource_type="sagemaker:inference-component")

    SageMakerResponse.create_inference_component = create
    SageMakerResponse.describe_inference_component = describe
    SageMakerResponse.delete_inference_component = delete
    SageMakerResponse.list_inference_components = list_
    sm_models.SageMakerModelBackend.validate_production_variants = validate
    sm_models.SageMakerModelBackend._get_resource_from_arn = resource_from_arn
    sm_models.SageMakerModelBackend.iter_tagged_resources = tagged


def _aware(t: Any) -> datetime:
    """A request timestamp (datetime or epoch seconds) as an aware datetime."""
    if isinstance(t, datetime):
        return t if t.tzinfo else t.replace(tzinfo=timezone.utc)
    return datetime.fromtimestamp(float(t), timezone.utc)


def _endpoint_of_definition(backend: Any, cfg: dict) -> Any:
    """A schedule that names a job definition monitors that definition's endpoint."""
    name = cfg.get("MonitoringJobDefinitionName")
    if not name:
        return None
    for attr in ("data_quality_job_definitions", "model_quality_job_definitions",
                 "model_bias_job_definitions", "model_explainability_job_definitions"):
        defs = getattr(backend, attr, None) or {}
        d = defs.get(name)
        if d is None:
            continue
        for key in ("data_quality_job_input", "model_quality_job_input", "model_bias_job_input",
                    "model_explainability_job_input"):
            inp = getattr(d, key, None)
            if isinstance(inp, dict) and inp.get("EndpointInput"):
                return inp["EndpointInput"].get("EndpointName")
    return None


def _patch_s3() -> None:
    from moto.s3.models import S3Backend

    orig = S3Backend.get_bucket_encryption

    def get_bucket_encryption(self, bucket_name):  # type: ignore[no-untyped-def]
        enc = orig(self, bucket_name)
        if not enc:
            # AWS applies SSE-S3 to every bucket without an explicit configuration.
            return {"Rule": {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                             "BucketKeyEnabled": False}}
        return enc

    S3Backend.get_bucket_encryption = get_bucket_encryption


# -- CloudTrail event history ------------------------------------------------

def trail_events(account: str, region: str) -> list[dict]:
    """The recorded management events of one account and region (tests may
    change ``EventTime``); cleared with the rest of moto's state on reset."""
    from moto.cloudtrail.models import cloudtrail_backends

    return _store(cloudtrail_backends[account][region], "events", [])


def _record(sm_backend: Any, event: str, endpoint: str, config: str) -> None:
    import json
    import uuid

    now = datetime.now(timezone.utc)
    detail = {"eventVersion": "1.08", "eventTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
              "eventSource": "sagemaker.amazonaws.com", "eventName": event, "awsRegion": sm_backend.region_name,
              "requestParameters": {"endpointName": endpoint, "endpointConfigName": config},
              "recipientAccountId": sm_backend.account_id}
    trail_events(sm_backend.account_id, sm_backend.region_name).append({
        "EventId": str(uuid.uuid4()), "EventName": event, "ReadOnly": "false", "EventTime": now,
        "EventSource": "sagemaker.amazonaws.com", "Username": "sm-audit-test",
        "Resources": [{"ResourceType": "AWS::SageMaker::Endpoint", "ResourceName": endpoint}],
        "CloudTrailEvent": json.dumps(detail)})


def _patch_cloudtrail() -> None:
    import json

    from moto.cloudtrail.responses import CloudTrailResponse

    keys = {"EventId": "EventId", "EventName": "EventName", "ReadOnly": "ReadOnly", "Username": "Username",
            "EventSource": "EventSource", "ResourceName": None, "ResourceType": None}

    def lookup_events(self):  # type: ignore[no-untyped-def]
        attrs = self._get_param("LookupAttributes") or []
        if len(attrs) > 1:
            from moto.cloudtrail.exceptions import InvalidParameterCombinationException

            raise InvalidParameterCombinationException("LookupAttributes accepts one attribute")
        start, end = self._get_param("StartTime"), self._get_param("EndTime")
        events = sorted(trail_events(self.current_account, self.region), key=lambda e: e["EventTime"], reverse=True)

        def when(e: dict) -> float:
            t = e["EventTime"]
            return (t if t.tzinfo else t.replace(tzinfo=timezone.utc)).timestamp()

        out = []
        for e in events:
            if start is not None and when(e) < float(start):
                continue
            if end is not None and when(e) > float(end):
                continue
            if attrs:
                k, v = attrs[0]["AttributeKey"], attrs[0]["AttributeValue"]
                if k in ("ResourceName", "ResourceType"):
                    field = "ResourceName" if k == "ResourceName" else "ResourceType"
                    if not any(r.get(field) == v for r in e["Resources"]):
                        continue
                elif keys.get(k) and e.get(keys[k]) != v:
                    continue
            out.append(e)
        first = int(self._get_param("NextToken") or 0)
        size = min(int(self._get_param("MaxResults") or 50), 50)
        page = out[first:first + size]
        body: dict[str, Any] = {"Events": [{**e, "EventTime": when(e)} for e in page]}
        if first + size < len(out):
            body["NextToken"] = str(first + size)
        return json.dumps(body)

    CloudTrailResponse.lookup_events = lookup_events


def _patch_autoscaling() -> None:
    from enum import Enum

    from moto.applicationautoscaling import models, responses

    old = models.ScalableDimensionValueSet
    if any(d.value == "sagemaker:inference-component:DesiredCopyCount" for d in old):
        return
    members = {d.name: d.value for d in old}
    members["SAGEMAKER_INFERENCE_COMPONENT_DESIRED_COPY_COUNT"] = "sagemaker:inference-component:DesiredCopyCount"
    # both modules read the enum by name when they validate a request
    extended = Enum("ScalableDimensionValueSet", members)  # type: ignore[misc]
    models.ScalableDimensionValueSet = extended
    responses.ScalableDimensionValueSet = extended


def _patch_component_runtime() -> None:
    from moto.core.responses import ActionResult
    from moto.sagemaker.exceptions import ValidationError
    from moto.sagemaker.responses import SageMakerResponse

    def update_runtime(self):  # type: ignore[no-untyped-def]
        name = self._get_param("InferenceComponentName")
        c = _components(_backend(self)).get(name)
        if c is None:
            raise ValidationError(message=f"Could not find inference component \"{name}\".")
        copies = (self._get_param("DesiredRuntimeConfig") or {}).get("CopyCount")
        c.data["RuntimeConfig"] = {"DesiredCopyCount": copies, "CurrentCopyCount": copies}
        c.data["LastModifiedTime"] = datetime.now(timezone.utc)
        return ActionResult({"InferenceComponentArn": c.arn})

    SageMakerResponse.update_inference_component_runtime_config = update_runtime
