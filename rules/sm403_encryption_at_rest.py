"""SM403 encryption-at-rest."""

from __future__ import annotations

import re
from typing import Any

from auditor.inventory import artifact_locations, models_using_bucket, s3_bucket_of
from auditor.rulebase import Fail, Rule, RuleParams, Undecided, tag_matches
from auditor.values import Str, Sym, Unknown, as_bool, display, is_known, prop, why_unknown
from auditor.values import prop as _get

ALGORITHMS = ("AES256", "aws:kms", "aws:kms:dsse")
KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")
_FAMILY = re.compile(r"^ml\.([a-z0-9-]+)\.")




def key_state(v: Any) -> Any:
    """'missing', 'aws-managed', 'customer', or the Unknown itself.

    A key named by a parameter, an import or an in-template ``AWS::KMS::Key``
    is the deployer's own choice and counts as customer managed; only an
    ``alias/aws/...`` alias is recognisably AWS managed."""
    if v is None or v == "":
        return "missing"
    if isinstance(v, str):
        return "aws-managed" if v.startswith("alias/aws/") or ":alias/aws/" in v else "customer"
    if isinstance(v, Str):
        lits = [p for p in v.parts if isinstance(p, str)]
        managed = v.literal_prefix().startswith("alias/aws/") or any(":alias/aws/" in p for p in lits)
        return "aws-managed" if managed else "customer"
    if isinstance(v, Sym):
        return "customer"
    return v  # Unknown


class EncryptionAtRest(Rule):
    """Model artifacts are encrypted at rest; production and sensitive deployments use a customer managed KMS key.

    ## What it checks
    *Every artifact bucket* (the bucket of each model container's
    `ModelDataUrl` or `ModelDataSource.S3DataSource.S3Uri`) has default
    encryption with `AES256` (SSE-S3), `aws:kms` or `aws:kms:dsse` (SSE-KMS).
    A bucket that declares no `BucketEncryption` is encrypted by S3 itself:
    AWS has applied SSE-S3 to every bucket since January 2023, and the policy
    names SSE-S3 as the default. It passes unless `require_declared_encryption`
    is on. Live, a bucket whose `GetBucketEncryption` reported no configuration
    is treated the same way (real S3 no longer answers so; emulators do).

    *Production or sensitive deployments* need a customer managed KMS key for:
    the artifact bucket (`aws:kms`/`aws:kms:dsse` with a `KMSMasterKeyID` that
    is not `alias/aws/s3`), the endpoint config's `KmsKeyId` (ML storage
    volume), `DataCaptureConfig.KmsKeyId` when data capture is on,
    `AsyncInferenceConfig.OutputConfig.KmsKeyId` for async endpoints, and
    everything else that runs for the deployment:

    * *Model Monitor jobs* (job definitions, and definitions written inline
      in a `MonitoringSchedule`): the output key
      (`<Type>JobOutputConfig.KmsKeyId`, inline `MonitoringOutputConfig.KmsKeyId`)
      and the volume key (`JobResources.ClusterConfig.VolumeKmsKeyId`,
      inline `MonitoringResources.ClusterConfig.VolumeKmsKeyId`); a job is
      production when the endpoint it monitors is;
    * *batch transform jobs* (live: the recent ones, see SM503):
      `TransformOutput.KmsKeyId` and `TransformResources.VolumeKmsKeyId`; a
      job is production when it or its model is;
    * *shadow variants* and *inference components* are covered by the
      endpoint config's `KmsKeyId` and by their models' artifact buckets;
      an inference component that runs a container inline has its own
      artifact bucket (`Specification.Container.ArtifactUrl`), judged like
      a model's.

    *Production* is the shared classification (tag `Environment`, or
    `--production`); switch it off with `kms_for_production: false`.
    *Sensitive* is a tag: `sensitive_tag` (default `DataClassification`) with
    a value in `sensitive_values` (default sensitive, confidential,
    restricted), on the resource itself or on a related model, endpoint
    config, endpoint or bucket.

    The endpoint config's `KmsKeyId` (and a job's volume key) is not
    required when a variant (shadow variants included) or the job runs on
    an instance type with local NVMe storage (`local_storage_families`):
    SageMaker rejects the key there and encrypts the local volume in
    hardware. A KMS key given by a parameter, an import or an in-template
    `AWS::KMS::Key` counts as customer managed.

    A bucket outside the template (or, live, missing from the inventory) is
    *unknown*, as is a key or tag the template cannot tell.

    ## Why
    Artifacts, captured payloads and async results often hold regulated data
    (HIPAA, GDPR). A customer managed key puts access to that data under your
    own key policy and CloudTrail record, and lets you revoke it.

    ## Example
    ```yaml
    ArtifactBucket:
      Type: AWS::S3::Bucket
      Properties:
        BucketEncryption:
          ServerSideEncryptionConfiguration:
            - ServerSideEncryptionByDefault: {SSEAlgorithm: AES256}  # SM403 when production
    Config:
      Type: AWS::SageMaker::EndpointConfig
      Properties:
        Tags: [{Key: Environment, Value: prod}]
        ProductionVariants: [...]        # SM403: no KmsKeyId
    ```

    ## Fix
    Use `SSEAlgorithm: aws:kms` with `KMSMasterKeyID: !Ref ArtifactKey` on the
    artifact bucket, and set `KmsKeyId` on the endpoint config, its
    `DataCaptureConfig` and its async `OutputConfig`; on monitoring jobs set
    the output `KmsKeyId` and `ClusterConfig.VolumeKmsKeyId`; on batch
    transform jobs `TransformOutput.KmsKeyId` and
    `TransformResources.VolumeKmsKeyId`.

    ## Remediation
    None automatic: changing keys re-encrypts data and needs key policies.
    """

    id = "SM403"
    slug = "encryption-at-rest"
    title = "Model artifacts encrypted at rest, customer KMS key for production and sensitive models"
    level = "error"
    section = "Security & Compliance"
    policy = "Model artifacts must be encrypted at rest."
    tags = ("security", "encryption", "kms", "s3")
    security_severity = 7.0
    targets = ("Model", "EndpointConfig", "Bucket", "InferenceComponent", "MonitoringJobDefinition",
               "MonitoringSchedule", "TransformJob")
    reads = {k: ("Model", "EndpointConfig", "Endpoint", "Bucket", "ModelPackage") for k in ("Model", "EndpointConfig",
                                                                                           "Bucket")} | {
        "MonitoringJobDefinition": ("Endpoint", "EndpointConfig"), "MonitoringSchedule": ("Endpoint", "EndpointConfig",
                                                                                         "MonitoringJobDefinition"),
        "TransformJob": ("Model", "EndpointConfig", "Endpoint"), "InferenceComponent": ("Bucket",)}

    class Params(RuleParams):
        sensitive_tag: str = "DataClassification"
        sensitive_values: list[str] = ["sensitive", "confidential", "restricted"]
        kms_for_production: bool = True
        require_declared_encryption: bool = False
        local_storage_families: list[str] = [
            "c5d", "c6gd", "g4dn", "g5", "g6", "g6e", "m5d", "m6gd", "p3dn", "p4d", "p4de", "p5", "p5e",
            "p5en", "r5d", "r6gd", "r7gd", "trn1", "trn1n", "dl1",
        ]

    # -- classification -----------------------------------------------------
    def _sensitive(self, resources: list[Any]) -> Any:
        wanted = {v.lower() for v in self.params.sensitive_values}
        found = tag_matches(resources, (self.params.sensitive_tag,), lambda v: str(v).strip().lower() in wanted)
        return f"tagged {found[1]}={found[2]}" if isinstance(found, tuple) else found

    def _needs_kms(self, ctx, related: list[Any], prod_of: list[Any]) -> Any:
        """A reason string, None (no KMS requirement), or an Unknown."""
        undecided = None
        sens = self._sensitive(related)
        if isinstance(sens, str):
            return sens
        if isinstance(sens, Unknown):
            undecided = sens
        if self.params.kms_for_production:
            for r in prod_of:
                p = ctx.production(r)
                if p is True:
                    return "production"
                if isinstance(p, Unknown):
                    undecided = undecided or Unknown(f"whether {r.label} is production: {p.reason}")
        return undecided

    # -- checks -------------------------------------------------------------
    def check(self, res, ctx):
        check = {"Model": self._model, "Bucket": self._bucket, "EndpointConfig": self._config,
                 "InferenceComponent": self._component,
                 "MonitoringJobDefinition": self._job_definition, "MonitoringSchedule": self._inline_job,
                 "TransformJob": self._transform_job}[res.kind]
        yield from check(res, ctx)

    @staticmethod
    def _locations(model, ctx) -> list[tuple[Any, tuple, Any]]:
        """(owner, path, S3 URI) of a model's artifacts, through the model
        packages it is created from; the URI is an Unknown for a package that
        cannot be seen."""
        out = [(model, p, u) for p, u in artifact_locations(model)]
        for path, c in model.containers():
            if c is None or not is_known(c) or c.ModelPackageName is None:
                continue
            if c.ModelDataUrl is not None or c.ModelDataSource is not None:
                continue
            pkg = ctx.inv.find("ModelPackage", c.ModelPackageName, model)
            if pkg is None or isinstance(pkg, Unknown):
                why = pkg.reason if pkg is not None else "it is not in the audited inventory"
                out.append((model, path + ("ModelPackageName",), Unknown(
                    f"its artifacts come from model package {display(c.ModelPackageName)} ({why})")))
                continue
            spec = pkg.InferenceSpecification
            conts = _get(spec, "Containers")
            if spec is not None and (not is_known(spec) or (conts is not None and not is_known(conts))):
                out.append((pkg, ("InferenceSpecification",), Unknown(
                    f"containers of model package {pkg.label}: {why_unknown(conts if is_known(spec) else spec)}")))
                continue
            for i, pc in enumerate(conts if isinstance(conts, list) else []):
                url = _get(pc, "ModelDataUrl")
                if url is not None:
                    out.append((pkg, ("InferenceSpecification", "Containers", i, "ModelDataUrl"), url))
        return out

    def _model(self, model, ctx):
        yield from self._unreachable(model, self._locations(model, ctx), ctx)

    def _component(self, ic, ctx):
        """An inference component that runs a container inline has its own
        artifact (``Specification.Container.ArtifactUrl``)."""
        yield from self._unreachable(ic, _inline_artifact(ic), ctx)

    def _unreachable(self, model, locations, ctx):
        """Artifact buckets that cannot be looked at: unknown. Buckets that
        can are judged once each, as Bucket resources."""
        for owner, path, uri in locations:
            where = {} if owner is model else {"resource": owner}
            if isinstance(uri, Unknown) and (owner is not model or path[-1] == "ModelPackageName"):
                yield Undecided(path, f"cannot check the artifact bucket of {model.label}: {uri.reason}", **where)
                continue
            name = s3_bucket_of(uri)
            if name is None:
                continue
            if isinstance(name, Unknown):
                yield Undecided(path, f"cannot tell which bucket holds the artifacts of {model.label}: {name.reason}",
                                **where)
                continue
            bucket = ctx.inv.find("Bucket", name, model)
            if isinstance(bucket, Unknown):
                yield Undecided(path, f"artifact bucket {display(name)} is not defined in this "
                                      f"{model.meta.source_noun}; its "
                                      f"encryption cannot be checked", **where)
            elif bucket is None:
                yield Undecided(path, f"artifact bucket {display(name)} is not in the audited inventory; its "
                                      f"encryption cannot be checked", **where)

    def _bucket(self, bucket, ctx):
        direct = {id(m) for m in models_using_bucket(ctx.inv, bucket)}  # by identity: linear, not pairwise __eq__
        users = [m for m in ctx.inv.models if id(m) in direct or any(
            owner is not m and bucket.is_referenced_by(s3_bucket_of(u)) for owner, _, u in self._locations(m, ctx))]
        components = [c for c in ctx.inv.of("InferenceComponent") if any(
            bucket.is_referenced_by(s3_bucket_of(u)) for _, _, u in _inline_artifact(c))]
        users += components
        if not users:
            return  # not an artifact bucket
        enc = bucket.BucketEncryption
        base = ("BucketEncryption",)
        if enc is not None and not is_known(enc):
            yield Undecided(base, f"default encryption of artifact bucket {bucket.label}: {why_unknown(enc)}")
            return
        rules = _get(enc, "ServerSideEncryptionConfiguration")
        if rules is not None and not is_known(rules):
            yield Undecided(base, f"default encryption of artifact bucket {bucket.label}: {why_unknown(rules)}")
            return
        sse = _get(rules[0], "ServerSideEncryptionByDefault") if isinstance(rules, list) and rules else None
        spath = base + ("ServerSideEncryptionConfiguration", 0, "ServerSideEncryptionByDefault")
        if isinstance(rules, list) and rules and (not is_known(rules[0]) or (sse is not None and not is_known(sse))):
            yield Undecided(spath, f"default encryption of artifact bucket {bucket.label}: "
                                   f"{why_unknown(rules[0] if not is_known(rules[0]) else sse)}")
            return
        algo, key = _get(sse, "SSEAlgorithm"), _get(sse, "KMSMasterKeyID")
        models = ", ".join(sorted(display(m.name) if is_known(m.name) else m.label for m in users
                                  if m.kind == "Model"))
        who = ", ".join(([f"model {models}"] if models else []) +
                        ([f"inference component {', '.join(sorted(c.label for c in components))}"] if components else []))
        if algo is None:
            if self.params.require_declared_encryption:
                yield Fail(base, f"artifact bucket {bucket.label} ({who}) declares no default encryption; "
                                 f"the policy wants SSE-S3 (AES256) or SSE-KMS (aws:kms)")
                return
            algo = "AES256"  # S3 applies SSE-S3 to every bucket (since January 2023)
        elif not is_known(algo):
            yield Undecided(spath + ("SSEAlgorithm",), f"encryption algorithm of artifact bucket {bucket.label}: "
                                                       f"{why_unknown(algo)}")
            return
        elif algo not in ALGORITHMS:
            yield Fail(spath + ("SSEAlgorithm",), f"artifact bucket {bucket.label} uses SSEAlgorithm {display(algo)}; "
                                                  f"the policy wants AES256 or aws:kms")
            return
        related = [bucket, *users]
        for m in users:
            if m.kind == "InferenceComponent":
                ep = ctx.inv.endpoint_of_component(m)
                related += [ep] if ep is not None and not isinstance(ep, Unknown) else []
                continue
            for c in ctx.inv.configs_using(m):
                related += [c, *ctx.inv.endpoints_using(c)]
        state = key_state(key) if algo in KMS_ALGORITHMS else "missing"
        if state == "customer":
            return
        need = self._needs_kms(ctx, related, [bucket, *users])
        if need is None:
            return
        if isinstance(state, Unknown):
            yield Undecided(spath + ("KMSMasterKeyID",), f"KMS key of artifact bucket {bucket.label}: {state.reason}")
            return
        if algo == "AES256":
            found, path = "encrypts with SSE-S3 (AES256)", spath + ("SSEAlgorithm",)
            if sse is None:
                found, path = "declares no default encryption (S3 applies SSE-S3)", base
        elif state == "missing":
            found, path = f"uses {algo} with the AWS managed key aws/s3 (no KMSMasterKeyID)", spath
        else:
            found, path = f"uses the AWS managed key {display(key)}", spath + ("KMSMasterKeyID",)
        if isinstance(need, Unknown):
            yield Undecided(path, f"artifact bucket {bucket.label} {found}; cannot tell whether it needs a customer "
                                  f"managed KMS key: {need.reason}")
            return
        yield Fail(path, f"artifact bucket {bucket.label} ({who}) {found}; {need} artifacts need SSE-KMS with a "
                         f"customer managed KMS key (KMSMasterKeyID)")

    def _config(self, cfg, ctx):
        wanted: list[tuple[tuple, Any, str]] = []  # (path, key value, what it encrypts)
        # the variants are read only when a verdict needs them (an unknown list makes it unknown)
        exempt = self._variant_storage(cfg) if key_state(cfg.KmsKeyId) != "customer" else False
        if exempt is not True:
            wanted.append((("KmsKeyId",), cfg.KmsKeyId, "ML storage volumes"))
        dc = cfg.DataCaptureConfig
        if dc is not None and is_known(dc):
            on = dc.EnableCapture
            if on is None or as_bool(on) is True:
                wanted.append((("DataCaptureConfig", "KmsKeyId"), dc.KmsKeyId, "captured request and response data"))
            elif not is_known(on) and key_state(dc.KmsKeyId) != "customer":
                yield Undecided(("DataCaptureConfig", "EnableCapture"),
                                f"cannot tell whether data capture of {cfg.label} is on: {why_unknown(on)}")
        ac = cfg.AsyncInferenceConfig
        if ac is not None and is_known(ac):
            out = ac.OutputConfig
            key = out.KmsKeyId if out is not None and is_known(out) else None
            wanted.append((("AsyncInferenceConfig", "OutputConfig", "KmsKeyId"), key, "async inference results"))

        def need() -> Any:
            related = [cfg, *ctx.inv.endpoints_using(cfg)]
            for _, v in cfg.all_variants():
                m = ctx.inv.model_of(v, cfg)
                if m is not None and not isinstance(m, Unknown):
                    related.append(m)
            return self._needs_kms(ctx, related, [cfg])

        yield from self._keys(f"endpoint config {cfg.label}", cfg.label, wanted, ("KmsKeyId",), exempt, need)

    def _keys(self, subject: str, label: str, wanted: list, volume: tuple, exempt: Any, need_of):
        """Findings for the keys in ``wanted`` ((path, key, what it
        encrypts)) that are not customer managed, when the resource needs
        them (``need_of()``: a reason, None or an Unknown); ``volume`` is the
        path of the volume key, which local NVMe storage exempts."""
        missing = [(p, k, what, key_state(k)) for p, k, what in wanted if key_state(k) != "customer"]
        if not missing:
            return
        need = need_of()
        if need is None:
            return
        for path, key, what, state in missing:
            if isinstance(state, Unknown):
                yield Undecided(path, f"KMS key for the {what} of {label}: {state.reason}")
                continue
            found = "sets no " + ".".join(str(p) for p in path) if state == "missing" else \
                f"uses the AWS managed key {display(key)} in {'.'.join(str(p) for p in path)}"
            if isinstance(need, Unknown):
                yield Undecided(path, f"{subject} {found}; cannot tell whether it needs a customer "
                                      f"managed KMS key: {need.reason}")
            elif path == volume and isinstance(exempt, Unknown):
                yield Undecided(path, f"{subject} is {need} and {found}; it is required unless an "
                                      f"instance type has local NVMe storage, and {exempt.reason}")
            else:
                yield Fail(path, f"{subject} is {need} but {found}; the {what} need a customer "
                                 f"managed KMS key")

    # -- monitoring jobs and batch transform jobs ----------------------------
    def _job_definition(self, jd, ctx):
        kind = jd.monitoring_type
        out, res = prop(getattr(jd, f"{kind}JobOutputConfig", None), "KmsKeyId"), \
            prop(getattr(jd, "JobResources", None), "ClusterConfig")
        endpoint = prop(prop(getattr(jd, f"{kind}JobInput", None), "EndpointInput"), "EndpointName")
        yield from self._monitoring(jd, ctx, f"monitoring job definition {jd.label}", endpoint, [
            ((f"{kind}JobOutputConfig", "KmsKeyId"), out),
            (("JobResources", "ClusterConfig", "VolumeKmsKeyId"), prop(res, "VolumeKmsKeyId"))], prop(res, "InstanceType"))

    def _inline_job(self, schedule, ctx):
        job = prop(schedule.MonitoringScheduleConfig, "MonitoringJobDefinition")
        if job is None or not is_known(job):
            return  # a named definition is judged itself; an unknown one SM401 reports
        base = ("MonitoringScheduleConfig", "MonitoringJobDefinition")
        inputs = prop(job, "MonitoringInputs")
        first = inputs[0] if isinstance(inputs, list) and inputs else None
        endpoint = prop(prop(first, "EndpointInput"), "EndpointName") or schedule.EndpointName
        res = prop(prop(job, "MonitoringResources"), "ClusterConfig")
        yield from self._monitoring(schedule, ctx, f"the monitoring job of schedule {schedule.label}", endpoint, [
            (base + ("MonitoringOutputConfig", "KmsKeyId"), prop(prop(job, "MonitoringOutputConfig"), "KmsKeyId")),
            (base + ("MonitoringResources", "ClusterConfig", "VolumeKmsKeyId"), prop(res, "VolumeKmsKeyId"))],
            prop(res, "InstanceType"))

    def _monitoring(self, res, ctx, subject: str, endpoint: Any, keys: list, instance_type: Any):
        """A Model Monitor job is production (or sensitive) when the endpoint it monitors is."""
        ep = ctx.inv.find("Endpoint", endpoint, res) if endpoint is not None else None
        related = [res]
        if ep is not None and not isinstance(ep, Unknown):
            cfg = ctx.inv.config_of(ep)
            related += [ep] + ([cfg] if cfg is not None and not isinstance(cfg, Unknown) else [])

        def need():
            found = self._needs_kms(ctx, related, related[:2])
            if found is None and isinstance(ep, Unknown):
                return Unknown(f"whether the endpoint it monitors is production: {ep.reason}")
            return found

        exempt = self._local_storage([("the monitoring job", instance_type)])
        wanted = [(keys[0][0], keys[0][1], "monitoring reports"),
                  *([(keys[1][0], keys[1][1], "ML storage volumes of the monitoring job")] if exempt is not True else [])]
        yield from self._keys(subject, res.label, wanted, keys[1][0], exempt, need)

    def _transform_job(self, job, ctx):
        model = ctx.inv.find("Model", job.ModelName, job)
        related = [job]
        if model is not None and not isinstance(model, Unknown):
            related.append(model)
            for c in ctx.inv.configs_using(model):
                related += [c, *ctx.inv.endpoints_using(c)]
        resources = job.TransformResources
        exempt = self._local_storage([("the transform job", prop(resources, "InstanceType"))])
        wanted = [(("TransformOutput", "KmsKeyId"), prop(job.TransformOutput, "KmsKeyId"), "batch transform results")]
        if exempt is not True:
            wanted.append((("TransformResources", "VolumeKmsKeyId"), prop(resources, "VolumeKmsKeyId"),
                           "ML storage volumes of the batch transform instances"))
        yield from self._keys(f"transform job {job.label}", job.label, wanted, ("TransformResources", "VolumeKmsKeyId"),
                              exempt, lambda: self._needs_kms(ctx, related, related[:2]))

    def _variant_storage(self, cfg) -> Any:
        """``_local_storage`` of every variant of the config (shadow ones too)."""
        pv = cfg.ProductionVariants
        found = self._local_storage([(f"variant {display(v.VariantName)}", v.InstanceType)
                                     for _, v in cfg.all_variants()])
        if found is False and not is_known(pv):
            return Unknown(f"its production variants cannot be determined ({why_unknown(pv)})")
        return found

    def _local_storage(self, types: list[tuple[str, Any]]) -> Any:
        """True when one of the (what runs, instance type) pairs has local
        NVMe storage (the volume key cannot be set), False, or an Unknown."""
        undecided = None
        families = set(self.params.local_storage_families)
        for label, t in types:
            if t is None:
                continue
            if not is_known(t):
                undecided = Unknown(f"the instance type of {label} is unknown ({why_unknown(t)})")
                continue
            m = _FAMILY.match(str(t))
            if m and m.group(1) in families:
                return True
        return undecided if undecided is not None else False


def _inline_artifact(ic) -> list[tuple[Any, tuple, Any]]:
    """(component, path, S3 URI) of an inline container's artifact, if any."""
    url = prop(prop(ic.Specification, "Container"), "ArtifactUrl")
    return [(ic, ("Specification", "Container", "ArtifactUrl"), url)] if url is not None else []
