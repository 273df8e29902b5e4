"""One account and region -> inventory resources, metrics and coverage gaps.

Call budget (per region): ListEndpoints (paged), DescribeEndpoint per
endpoint, DescribeEndpointConfig per distinct config, DescribeModel per
distinct model (of variants, inference components and recent transform
jobs), DescribeInferenceComponent per component, DescribeTransformJob per
job created in the window (ListTransformJobs with CreationTimeAfter);
everything else in bulk: tags (Resource Groups Tagging API),
scalable targets and policies, alarms, log groups, monitoring schedules,
subnets, VPC endpoints, metrics (GetMetricData, 500 queries a call). Per-
resource describes run on a small thread pool (one client, thread-safe).

Every call goes through ``_call``: a failure becomes a CoverageGap naming
the kinds of data (and the resources) it hides, and collection goes on."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterable, Optional

from ..models import resources as m
from ..models.gaps import CoverageGap
from ..values import Unknown
from . import faults
from .paging import paginate
from .shape import described, meta, tag_dict

SAGEMAKER_NS = ("AWS/SageMaker", "/aws/sagemaker/")
LOG_PREFIX = "/aws/sagemaker/Endpoints/"
TAG_TYPES = ["sagemaker:endpoint", "sagemaker:endpoint-config", "sagemaker:model", "sagemaker:inference-component",
             "sagemaker:transform-job"]
JOB_DEFINITION_OPS = {
    "DataQuality": "describe_data_quality_job_definition",
    "ModelQuality": "describe_model_quality_job_definition",
    "ModelBias": "describe_model_bias_job_definition",
    "ModelExplainability": "describe_model_explainability_job_definition",
}


class RegionUnavailable(Exception):
    """The region cannot be audited at all (listing endpoints failed)."""


@dataclass
class Collected:
    resources: list[m.Resource] = field(default_factory=list)
    metrics: list[m.MetricSeries] = field(default_factory=list)
    gaps: list[CoverageGap] = field(default_factory=list)


def _op(client: Any, method: str) -> str:
    return client.meta.method_to_api_mapping.get(method, method)


# The operations whose required members are checked: the per-resource describes every
# rule reads. (moto 5.2.5 leaves required members out of other answers, e.g.
# DescribeModelPackage's ModelPackageName; widening this needs moto_ext to fill them.)
CHECKED_RESPONSES = {"DescribeEndpoint", "DescribeEndpointConfig", "DescribeModel", "ListEndpoints",
                     "ListInferenceComponents", "DescribeInferenceComponent", "ListTransformJobs",
                     "DescribeTransformJob"}


class IncompleteResponse(Exception):
    """A response without members the API promises (``{}`` for DescribeEndpoint)."""


def complete(client: Any, method: str, response: Any) -> Any:
    """``response`` when it has every member the API model marks required;
    else ``IncompleteResponse``: a rule reading a missing field would see a
    default (no alarms, zero instances) and pass, so it is a gap instead."""
    if _op(client, method) not in CHECKED_RESPONSES:
        return response
    shape = client.meta.service_model.operation_model(_op(client, method)).output_shape
    required = list(getattr(shape, "required_members", None) or [])
    if not isinstance(response, dict):
        raise IncompleteResponse(f"the response is not a structure ({type(response).__name__})")
    missing = [k for k in required if response.get(k) is None]
    if missing:
        raise IncompleteResponse(f"the response lacks {', '.join(missing)}")
    return response


class RegionCollector:
    def __init__(self, session: Any, factory: Any, account: str, region: str, workers: int = 8,
                 metric_plan: Optional[Any] = None, jobs_since: Optional[datetime] = None) -> None:
        self.session = session
        self.factory = factory
        self.account = account
        self.region = region
        self.workers = workers
        self.metric_plan = metric_plan
        self.jobs_since = jobs_since  # transform jobs created since then; None: not collected
        self.out = Collected()
        self._clients: dict[str, Any] = {}
        self.tags: dict[str, dict] = {}
        self.tags_known = True

    # -- plumbing -----------------------------------------------------------
    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.factory.client(self.session, service, self.region)
        return self._clients[service]

    def _call(self, service: str, method: str, fail: Callable[[BaseException], list[CoverageGap]] | None = None,
              ok_errors: tuple[str, ...] = (), **kw: Any) -> Any:
        """One API call; on failure record gaps (default: region-wide, for the
        kinds the operation reads) and return None. Errors in
        ``ok_errors`` are answers (e.g. not found), returned as the exception."""
        c = self.client(service)
        try:
            return complete(c, method, getattr(c, method)(**kw))
        except Exception as e:  # noqa: BLE001 - every fault is a gap, never a crash
            if ok_errors and faults.is_not_found(e, *ok_errors):
                return e
            op = _op(c, method)
            prefix = c.meta.service_model.service_name
            self.out.gaps.extend(fail(e) if fail else [faults.gap(self.account, self.region, prefix, op, e)])
            return None

    def _pages(self, service: str, method: str, key: str, fail: Callable | None = None, **kw: Any) -> Optional[list]:
        """All items of a paginated list; None (and a gap) when a page fails."""
        c = self.client(service)
        items: list = []
        try:
            for page in paginate(c, method, **kw):
                items.extend(complete(c, method, page).get(key) or [])
        except Exception as e:  # noqa: BLE001
            op = _op(c, method)
            prefix = c.meta.service_model.service_name
            self.out.gaps.extend(fail(e) if fail else [faults.gap(self.account, self.region, prefix, op, e)])
            return None
        return items

    def _gap(self, service: str, op: str, e: BaseException, resource: Optional[str] = None,
             note: str = "") -> CoverageGap:
        return faults.gap(self.account, self.region, service, op, e, resource=resource, note=note)

    def add(self, res: m.Resource) -> None:
        self.out.resources.append(res)

    def meta(self, cfn_type: str, arn: str) -> m.Meta:
        return meta(cfn_type, arn, self.account, self.region, self.tags.get(arn))

    def tags_for(self, arn: str) -> Any:
        if self.tags_known:
            return self.tags.get(arn, {})
        # until ListTags answers (finish_tags): production cannot be told
        return Unknown("the resource's tags could not be read")

    def _map(self, fn: Callable, items: Iterable) -> list:
        items = list(items)
        if len(items) <= 1:
            return [fn(x) for x in items]
        with ThreadPoolExecutor(max_workers=min(self.workers, len(items))) as pool:
            return list(pool.map(fn, items))

    # -- the region ---------------------------------------------------------
    def collect(self) -> Collected:
        failed: list[BaseException] = []
        summaries = self._pages("sagemaker", "list_endpoints", "Endpoints", fail=lambda e: failed.append(e) or [],
                                MaxResults=100)
        if summaries is None:
            # nothing in this region can be seen: one gap for every kind
            raise RegionUnavailable(failed[0])
        job_summaries = self.list_transform_jobs()
        bulk = {
            "tags": self.collect_tags,
            "scaling": self.collect_scaling,
            "alarms": self.collect_alarms,
            "logs": self.collect_log_groups,
            "schedules": self.collect_monitoring,
            "vpce": self.collect_vpc_endpoints,
            "groups": self.collect_package_groups,
            "components": self.collect_components,
        }
        if not summaries and not job_summaries:
            return self.out  # no endpoints, no recent batch jobs: nothing else here can matter to a rule
        with ThreadPoolExecutor(max_workers=len(bulk)) as pool:
            futures = {k: pool.submit(fn) for k, fn in bulk.items()}
            endpoints = self._map(self.describe_endpoint, summaries)
            jobs = self._map(self.describe_transform_job, job_summaries)
            for f in futures.values():
                f.result()
        components = futures["components"].result()
        endpoints = [e for e in endpoints if e is not None]
        jobs = [j for j in jobs if j is not None]
        for e in endpoints:
            e.Tags = self.tags_for(e.meta.arn)
            e.meta = self.meta(e.meta.type, e.meta.arn)
            self.add(e)
        for x in [*components, *jobs]:
            x.Tags = self.tags_for(x.meta.arn)
            x.meta = self.meta(x.meta.type, x.meta.arn)
            self.add(x)
        configs = self.collect_configs(endpoints)
        models = self.collect_models(configs, endpoints, components, jobs)
        with ThreadPoolExecutor(max_workers=4) as pool:
            jobs = [pool.submit(self.collect_buckets, models, components), pool.submit(self.collect_subnets, models),
                    pool.submit(self.collect_packages, models), pool.submit(self.collect_dashboards, endpoints)]
            if self.metric_plan is not None:
                jobs.append(pool.submit(self.metric_plan.collect, self, endpoints, configs))
            for j in jobs:
                j.result()
        self.finish_tags()
        inherit_suppressions(endpoints, configs, models, components)
        return self.out

    # -- SageMaker ----------------------------------------------------------
    def describe_endpoint(self, summary: dict) -> Optional[m.Endpoint]:
        name, arn = summary["EndpointName"], summary["EndpointArn"]

        def fail(e: BaseException) -> list:
            return [self._gap("sagemaker", "DescribeEndpoint", e, resource=arn)]

        r = self._call("sagemaker", "describe_endpoint", fail=fail, ok_errors=("ValidationException",),
                       EndpointName=name)
        if isinstance(r, Exception):
            return None  # deleted since it was listed
        if r is None:  # keep what the listing said; every verdict on it is unknown
            return m.Endpoint(meta=self.meta("AWS::SageMaker::Endpoint", arn),
                              **described(summary, drop=("EndpointArn",)))
        fields = described(r, drop=("EndpointArn",))
        # DescribeEndpoint names the deployment config LastDeploymentConfig; the
        # inventory (and CloudFormation) call it DeploymentConfig
        if "LastDeploymentConfig" in fields and "DeploymentConfig" not in fields:
            fields["DeploymentConfig"] = fields.pop("LastDeploymentConfig")
        return m.Endpoint(meta=self.meta("AWS::SageMaker::Endpoint", arn), **fields)

    def collect_configs(self, endpoints: list[m.Endpoint]) -> list[m.EndpointConfig]:
        users: dict[str, list[m.Endpoint]] = {}
        for e in endpoints:
            if isinstance(e.EndpointConfigName, str):
                users.setdefault(e.EndpointConfigName, []).append(e)

        def one(name: str) -> Optional[m.EndpointConfig]:
            def fail(e: BaseException, note: str = "") -> list:
                gaps = [self._gap("sagemaker", "DescribeEndpointConfig", e, resource=x.meta.arn,
                                  note=note or f"endpoint config {name}") for x in users[name]]
                return gaps + [self._gap("sagemaker", "DescribeEndpointConfig", e, resource=name, note=note)]

            r = self._call("sagemaker", "describe_endpoint_config", fail=fail, ok_errors=("ValidationException",),
                           EndpointConfigName=name)
            if isinstance(r, Exception):
                return self._gone(m.EndpointConfig, "AWS::SageMaker::EndpointConfig", "endpoint-config", name,
                                  users[name], fail, r)
            if r is None:
                return None
            arn = r["EndpointConfigArn"]
            c = m.EndpointConfig(meta=self.meta("AWS::SageMaker::EndpointConfig", arn),
                                 **described(r, drop=("EndpointConfigArn",)))
            c.Tags = self.tags_for(arn)
            return c

        configs = [c for c in self._map(one, sorted(users)) if c is not None]
        for c in configs:
            self.add(c)
        return configs

    def collect_models(self, configs: list[m.EndpointConfig], endpoints: list[m.Endpoint],
                       components: list[m.InferenceComponent] = (),
                       jobs: list[m.TransformJob] = ()) -> list[m.Model]:
        """The models of variants (production and shadow), of inference
        components and of recent transform jobs, each described once."""
        users: dict[str, list[m.Resource]] = {}
        for c in configs:
            for _, v in c.all_variants():
                if isinstance(v.ModelName, str):
                    users.setdefault(v.ModelName, []).append(c)
        for x in components:
            name = getattr(x.Specification, "ModelName", None) if isinstance(x.Specification, m.Part) else None
            if isinstance(name, str):
                users.setdefault(name, []).append(x)
        for j in jobs:
            if isinstance(j.ModelName, str):
                users.setdefault(j.ModelName, []).append(j)

        def serving(name: str) -> list[m.Endpoint]:
            """The endpoints that serve the model (through a config or a component)."""
            names = {u.EndpointConfigName for u in users[name] if isinstance(u, m.EndpointConfig)}
            hosts = {u.EndpointName for u in users[name] if isinstance(u, m.InferenceComponent)}
            return [ep for ep in endpoints if ep.EndpointConfigName in names or ep.EndpointName in hosts]

        def one(name: str) -> Optional[m.Model]:
            def fail(e: BaseException, note: str = "") -> list:
                gaps = [self._gap("sagemaker", "DescribeModel", e, resource=name, note=note)]
                for r in [*users[name], *serving(name)]:
                    gaps.append(self._gap("sagemaker", "DescribeModel", e, resource=r.meta.arn,
                                          note=note or f"model {name}"))
                return gaps

            r = self._call("sagemaker", "describe_model", fail=fail, ok_errors=("ValidationException",),
                           ModelName=name)
            if isinstance(r, Exception):
                eps = serving(name)
                if not eps:  # only batch jobs ran it: deleted after the job, as is common
                    jobs_ = ", ".join(sorted(str(u.name) for u in users[name]))
                    self.out.gaps.extend(fail(r, f"model {name} of transform job {jobs_} no longer exists"))
                    return None
                return self._gone(m.Model, "AWS::SageMaker::Model", "model", name, eps, fail, r)
            if r is None:
                return None
            arn = r["ModelArn"]
            model = m.Model(meta=self.meta("AWS::SageMaker::Model", arn), **described(r, drop=("ModelArn",)))
            model.Tags = self.tags_for(arn)
            return model

        models = [x for x in self._map(one, sorted(users)) if x is not None]
        for x in models:
            self.add(x)
        return models

    # -- inference components and batch transform jobs ----------------------
    def collect_components(self) -> list[m.InferenceComponent]:
        """Every inference component of the region, described (the listing
        omits the specification: the model and the copies)."""
        items = self._pages("sagemaker", "list_inference_components", "InferenceComponents", MaxResults=100)

        def one(s: dict) -> Optional[m.InferenceComponent]:
            name, arn = s["InferenceComponentName"], s["InferenceComponentArn"]

            def fail(e: BaseException) -> list:
                # hides the component and what its endpoint runs
                return [self._gap("sagemaker", "DescribeInferenceComponent", e, resource=r, note=f"component {name}")
                        for r in (arn, s.get("EndpointArn")) if r]

            r = self._call("sagemaker", "describe_inference_component", fail=fail, ok_errors=("ValidationException",),
                           InferenceComponentName=name)
            if isinstance(r, Exception):
                return None  # deleted since it was listed
            data = described(r if r is not None else s, drop=("InferenceComponentArn", "EndpointArn",
                                                                "CreationTime", "LastModifiedTime"))
            return m.InferenceComponent(meta=self.meta("AWS::SageMaker::InferenceComponent", arn), **data)

        return [x for x in self._map(one, items or []) if x is not None]

    def list_transform_jobs(self) -> list[dict]:
        """Summaries of the transform jobs created since ``jobs_since``."""
        if self.jobs_since is None:
            return []
        return self._pages("sagemaker", "list_transform_jobs", "TransformJobSummaries",
                           CreationTimeAfter=self.jobs_since, MaxResults=100) or []

    def describe_transform_job(self, s: dict) -> Optional[m.TransformJob]:
        name, arn = s["TransformJobName"], s["TransformJobArn"]
        r = self._call("sagemaker", "describe_transform_job",
                       fail=lambda e: [self._gap("sagemaker", "DescribeTransformJob", e, resource=arn)],
                       ok_errors=("ValidationException",), TransformJobName=name)
        if isinstance(r, Exception):
            return None
        keep = ("TransformJobName", "TransformJobStatus", "ModelName", "TransformOutput", "TransformResources",
                "CreationTime", "TransformInput", "DataCaptureConfig")
        data = {k: v for k, v in described(r if r is not None else s).items() if k in keep}
        return m.TransformJob(meta=self.meta("AWS::SageMaker::TransformJob", arn), **data)

    def _gone(self, cls: type, cfn_type: str, segment: str, name: str, endpoints: list[m.Endpoint],
              fail: Callable[..., list[CoverageGap]], e: BaseException) -> m.Resource:
        """A model or endpoint config an endpoint names answered not found: it
        was deleted behind an endpoint that stays InService (AWS allows it).
        Its gaps are those of a failed describe (on it, by name, and on what
        uses it, for its kind), noting it no longer exists; it stays in the
        inventory by name only, so its own verdicts are unknown, not absent."""
        word = segment.replace("-", " ")
        users = ", ".join(sorted({str(ep.EndpointName) for ep in endpoints})) or "?"
        self.out.gaps.extend(fail(e, f"{word} {name} of endpoint {users} no longer exists"))
        arn = f"arn:aws:sagemaker:{self.region}:{self.account}:{segment}/{name.lower()}"
        res = cls(meta=self.meta(cfn_type, arn),
                  **{cls.name_prop: name})
        res.Tags = {}
        return res

    def collect_packages(self, models: list[m.Model]) -> None:
        names = sorted({c.ModelPackageName for x in models for _, c in x.containers()
                        if isinstance(getattr(c, "ModelPackageName", None), str)})

        def one(name: str) -> None:
            users = [x for x in models if any(getattr(c, "ModelPackageName", None) == name for _, c in x.containers())]

            def fail(e: BaseException) -> list:
                return [self._gap("sagemaker", "DescribeModelPackage", e, resource=u.meta.arn,
                                  note=f"model package {name}") for u in users]

            r = self._call("sagemaker", "describe_model_package", fail=fail, ok_errors=("ValidationException",),
                           ModelPackageName=name)
            if r is None or isinstance(r, Exception):
                return
            arn = r["ModelPackageArn"]
            self.add(m.ModelPackage(meta=self.meta("AWS::SageMaker::ModelPackage", arn), **described(r)))

        self._map(one, names)

    def collect_package_groups(self) -> None:
        for g in self._pages("sagemaker", "list_model_package_groups", "ModelPackageGroupSummaryList",
                                 MaxResults=100) or []:
            arn = g["ModelPackageGroupArn"]
            self.add(m.ModelPackageGroup(meta=self.meta("AWS::SageMaker::ModelPackageGroup", arn),
                                         **described(g, drop=("ModelPackageGroupArn",))))

    def collect_monitoring(self) -> None:
        items = self._pages("sagemaker", "list_monitoring_schedules", "MonitoringScheduleSummaries",
                           MaxResults=100)
        if not items:
            return

        def one(s: dict) -> None:
            arn = s["MonitoringScheduleArn"]
            r = self._call("sagemaker", "describe_monitoring_schedule",
                           fail=lambda e: [self._gap("sagemaker", "DescribeMonitoringSchedule", e,
                                                     note=f"schedule {s['MonitoringScheduleName']}")],
                           MonitoringScheduleName=s["MonitoringScheduleName"])
            data = {**described(s), **(described(r) if r else {})}
            data.pop("MonitoringScheduleArn", None)
            self.add(m.MonitoringSchedule(meta=self.meta("AWS::SageMaker::MonitoringSchedule", arn), **data))
            cfg = (r or {}).get("MonitoringScheduleConfig") or {}
            name, kind = cfg.get("MonitoringJobDefinitionName"), cfg.get("MonitoringType") or s.get("MonitoringType")
            if name and kind in JOB_DEFINITION_OPS:
                d = self._call("sagemaker", JOB_DEFINITION_OPS[kind], JobDefinitionName=name)
                if d:
                    arn = d.get("JobDefinitionArn") or f"{arn}#{name}"
                    self.add(m.MonitoringJobDefinition(
                        meta=self.meta(f"AWS::SageMaker::{kind}JobDefinition", arn),
                        monitoring_type=kind, **described(d, drop=("JobDefinitionArn",))))

        self._map(one, items)

    def collect_tags(self) -> None:
        """Tags in bulk; without the Tagging API, ListTags per resource."""
        def fail(e: BaseException) -> list:
            self._tag_error = e
            return []

        self._tag_error = None
        items = self._pages("resourcegroupstaggingapi", "get_resources", "ResourceTagMappingList", fail=fail,
                            ResourceTypeFilters=TAG_TYPES, ResourcesPerPage=100)
        if items is not None:
            self.tags = {x["ResourceARN"]: tag_dict(x.get("Tags")) for x in items}
            return
        self.tags_known = False
        self._tags_fallback_error = self._tag_error

    # -- autoscaling, CloudWatch, logs -------------------------------------
    def collect_scaling(self) -> None:
        targets = self._pages("application-autoscaling", "describe_scalable_targets", "ScalableTargets",
                              ServiceNamespace="sagemaker", MaxResults=50)
        for t in targets or []:
            arn = t.get("ScalableTargetARN") or (f"arn:aws:application-autoscaling:{self.region}:{self.account}:"
                                                 f"scalable-target/sagemaker/{t['ResourceId']}/{t['ScalableDimension']}")
            self.add(m.ScalableTarget(meta=self.meta("AWS::ApplicationAutoScaling::ScalableTarget", arn),
                                      **described(t, drop=("ScalableTargetARN",))))
        policies = self._pages("application-autoscaling", "describe_scaling_policies", "ScalingPolicies",
                               ServiceNamespace="sagemaker", MaxResults=50)
        for p in policies or []:
            self.add(m.ScalingPolicy(meta=self.meta("AWS::ApplicationAutoScaling::ScalingPolicy", p["PolicyARN"]),
                                     **described(p, drop=("PolicyARN", "Alarms"))))

    def collect_alarms(self) -> None:
        alarms = self._pages("cloudwatch", "describe_alarms", "MetricAlarms", AlarmTypes=["MetricAlarm"],
                             MaxRecords=100)
        for a in alarms or []:
            if not _sagemaker_alarm(a):
                continue
            self.add(m.Alarm(meta=self.meta("AWS::CloudWatch::Alarm", a["AlarmArn"]),
                             **described(a, drop=("AlarmArn",))))

    def collect_dashboards(self, endpoints: list[m.Endpoint]) -> None:
        """Bodies are fetched only until every endpoint is shown somewhere:
        the likeliest dashboards (naming an endpoint or SageMaker) first."""
        items = self._pages("cloudwatch", "list_dashboards", "DashboardEntries")
        if not items:
            return
        names = {e.EndpointName for e in endpoints if isinstance(e.EndpointName, str)}

        def score(d: dict) -> tuple:
            n = d["DashboardName"].lower()
            return (not any(x.lower() in n for x in names), "sagemaker" not in n, n)

        unseen = set(names)
        for d in sorted(items, key=score):
            if not unseen:
                break
            r = self._call("cloudwatch", "get_dashboard", DashboardName=d["DashboardName"])
            if not r:
                continue
            body = r.get("DashboardBody") or ""
            unseen = {n for n in unseen if f'"{n}"' not in body}
            self.add(m.Dashboard(meta=self.meta("AWS::CloudWatch::Dashboard", d["DashboardArn"]),
                                 DashboardName=d["DashboardName"], DashboardBody=body))

    def collect_log_groups(self) -> None:
        groups = self._pages("logs", "describe_log_groups", "logGroups", logGroupNamePrefix=LOG_PREFIX,
                             limit=50)
        for g in groups or []:
            arn = (g.get("arn") or "").removesuffix(":*") or g["logGroupName"]
            self.add(m.LogGroup(meta=self.meta("AWS::Logs::LogGroup", arn), LogGroupName=g["logGroupName"],
                                KmsKeyId=g.get("kmsKeyId"), RetentionInDays=g.get("retentionInDays")))

    # -- S3, network --------------------------------------------------------
    def collect_buckets(self, models: list[m.Model], components: list[m.InferenceComponent] = ()) -> None:
        """The artifact buckets of the models and of inline component containers."""
        users: dict[str, list[m.Resource]] = {}
        for x in models:
            for _, c in x.containers():
                b = _bucket(getattr(c, "ModelDataUrl", None))
                if b:
                    users.setdefault(b, []).append(x)
        for ic in components:
            container = getattr(ic.Specification, "Container", None) if isinstance(ic.Specification, m.Part) else None
            b = _bucket(container.get("ArtifactUrl") if isinstance(container, dict) else None)
            if b:
                users.setdefault(b, []).append(ic)

        def one(name: str) -> None:
            def fail_for(op: str) -> Callable:
                # filed under the bucket and under each model whose artifacts it holds
                return lambda e: [self._gap("s3", op, e, resource=r, note=f"bucket {name}")
                                  for r in [f"arn:aws:s3:::{name}", *(u.meta.arn for u in users[name])]]

            v = self._call("s3", "get_bucket_versioning", fail=fail_for("GetBucketVersioning"),
                           ok_errors=("NoSuchBucket",), Bucket=name)
            if isinstance(v, Exception):
                return  # the bucket does not exist
            enc = self._call("s3", "get_bucket_encryption", fail=fail_for("GetBucketEncryption"),
                             ok_errors=("ServerSideEncryptionConfigurationNotFoundError", "NoSuchBucket"), Bucket=name)
            fields: dict[str, Any] = {"BucketName": name}
            if isinstance(v, dict) and v.get("Status"):
                fields["VersioningConfiguration"] = {"Status": v["Status"]}
            if isinstance(enc, dict):
                fields["BucketEncryption"] = {"ServerSideEncryptionConfiguration": [
                    _cfn_sse_rule(r) for r in (enc.get("ServerSideEncryptionConfiguration") or {}).get("Rules") or []]}
            arn = f"arn:aws:s3:::{name}"
            # bucket names are global: the bucket is account-wide, not of this region
            self.add(m.Bucket(meta=meta("AWS::S3::Bucket", arn, self.account, None), **fields))

        self._map(one, sorted(users))

    def collect_subnets(self, models: list[m.Model]) -> None:
        ids = sorted({s for x in models if x.VpcConfig is not None and isinstance(x.VpcConfig.Subnets, list)
                      for s in x.VpcConfig.Subnets if isinstance(s, str)})
        for i in range(0, len(ids), 200):
            chunk = ids[i:i + 200]
            subnets = self._pages("ec2", "describe_subnets", "Subnets",
                                  Filters=[{"Name": "subnet-id", "Values": chunk}])
            for s in subnets or []:
                arn = s.get("SubnetArn") or f"arn:aws:ec2:{self.region}:{self.account}:subnet/{s['SubnetId']}"
                self.add(m.Subnet(meta=meta("AWS::EC2::Subnet", arn, self.account, self.region, tag_dict(s.get("Tags"))),
                                  SubnetId=s["SubnetId"], VpcId=s.get("VpcId"),
                                  AvailabilityZone=s.get("AvailabilityZone"),
                                  AvailabilityZoneId=s.get("AvailabilityZoneId"), Tags=tag_dict(s.get("Tags"))))

    def collect_vpc_endpoints(self) -> None:
        svc = f"com.amazonaws.{self.region}.sagemaker.runtime"
        items = self._pages("ec2", "describe_vpc_endpoints", "VpcEndpoints",
                            Filters=[{"Name": "service-name", "Values": [svc]}])
        for v in items or []:
            arn = f"arn:aws:ec2:{self.region}:{self.account}:vpc-endpoint/{v['VpcEndpointId']}"
            self.add(m.VpcEndpoint(meta=meta("AWS::EC2::VPCEndpoint", arn, self.account, self.region),
                                   VpcEndpointId=v["VpcEndpointId"], ServiceName=v.get("ServiceName"),
                                   VpcId=v.get("VpcId"), VpcEndpointType=v.get("VpcEndpointType"),
                                   SubnetIds=v.get("SubnetIds") or [], Tags=tag_dict(v.get("Tags"))))

    def finish_tags(self) -> None:
        """Tags could not be read in bulk: ask per resource (ListTags)."""
        if self.tags_known:
            return
        targets = [r for r in self.out.resources if isinstance(r, (m.Endpoint, m.EndpointConfig, m.Model,
                                                                    m.InferenceComponent, m.TransformJob))]

        def one(r: m.Resource) -> None:
            arn = r.meta.arn

            def fail(e: BaseException) -> list:
                return [self._gap("sagemaker", "ListTags", e, resource=arn,
                                  note="tags decide production and suppressions")]

            items = self._pages("sagemaker", "list_tags", "Tags", fail=fail, ResourceArn=arn)
            if items is None:
                return
            tags = tag_dict(items)
            r.Tags = tags
            r.meta = meta(r.meta.type, arn, self.account, self.region, tags)

        self._map(one, targets)


def inherit_suppressions(endpoints: list, configs: list, models: list, components: list = ()) -> None:
    """People tag the endpoint they see: an ``sm-audit:skip`` tag on an
    endpoint also covers findings on its endpoint config, its inference
    components and their models."""
    def add(res: m.Resource, sups: list) -> None:
        have = {(x.rule, x.source) for x in res.meta.suppressions}
        res.meta.suppressions.extend(x for x in sups if (x.rule, x.source) not in have)

    for c in configs:
        for e in endpoints:
            if e.EndpointConfigName == c.EndpointConfigName:
                add(c, e.meta.suppressions)
    for ic in components:
        for e in endpoints:
            if e.EndpointName == ic.EndpointName:
                add(ic, e.meta.suppressions)
    for x in models:
        for c in configs:
            if any(v.ModelName == x.ModelName for _, v in c.variants()):
                add(x, c.meta.suppressions)
        for ic in components:
            if getattr(ic.Specification, "ModelName", None) == x.ModelName:
                add(x, ic.meta.suppressions)


def _sagemaker_alarm(a: dict) -> bool:
    ns = a.get("Namespace") or ""
    if ns.startswith(SAGEMAKER_NS) or "sagemaker" in ns.lower():
        return True
    dims = list(a.get("Dimensions") or [])
    for q in a.get("Metrics") or []:
        metric = (q.get("MetricStat") or {}).get("Metric") or {}
        if "sagemaker" in (metric.get("Namespace") or "").lower():
            return True
        dims += metric.get("Dimensions") or []
    return any(d.get("Name") == "EndpointName" for d in dims)


def _cfn_sse_rule(rule: dict) -> dict:
    """API ``ApplyServerSideEncryptionByDefault`` -> CloudFormation's
    ``ServerSideEncryptionByDefault`` (the inventory uses the CFN shape)."""
    out = {k: v for k, v in rule.items() if k != "ApplyServerSideEncryptionByDefault"}
    if "ApplyServerSideEncryptionByDefault" in rule:
        out["ServerSideEncryptionByDefault"] = rule["ApplyServerSideEncryptionByDefault"]
    return out


def _bucket(url: Any) -> Optional[str]:
    if isinstance(url, str) and url.startswith("s3://"):
        b = url[5:].split("/", 1)[0]
        return b or None
    return None
