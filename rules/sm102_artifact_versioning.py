"""SM102 artifact-versioning."""

from __future__ import annotations

import re
from typing import Any

from auditor.rulebase import Fail, Rule, RuleParams, Undecided, require
from auditor.values import Str, Sym, Unknown, display, is_known, why_unknown

PLACEHOLDER = re.compile(r"^\{(\w+)\}$")


def _segments(url: Any) -> list[Any]:
    """Path segments; a ``Str`` keeps its symbolic parts inside segments."""
    return url.split("/")


def _may_hold_slash(seg: Any) -> bool:
    """A parameter or import could hold several path segments; pseudo
    parameters and resource attributes (bucket names, ids) cannot."""
    parts = seg.parts if isinstance(seg, Str) else (seg,)
    return any(isinstance(p, Unknown) or (isinstance(p, Sym) and p.kind not in ("pseudo", "resource"))
               for p in parts)


class ArtifactVersioning(Rule):
    """Model artifacts live under a semantic-version path in a versioned S3 bucket.

    ## What it checks
    For every container of a Model, `ModelDataUrl` and
    `ModelDataSource.S3DataSource.S3Uri` (and, for a container created from a
    model package in the inventory, the package's container `ModelDataUrl`s):

    * the URI follows `path_template` (default
      `s3://{bucket}/models/{model}/{version}/`): literal segments must be
      equal, `{version}` must match `version_regex` (default `^v\\d+\\.\\d+\\.\\d+$`,
      e.g. `v1.2.0`), anything may follow;
    * the artifact bucket has `VersioningConfiguration.Status: Enabled`. The
      bucket is found in the template (by `BucketName` or `!Ref`) or in the
      live inventory.

    A bucket that is not in the template or inventory, a URI built from a
    parameter without a default, or a model package that is not in the
    inventory gives *unknown*. Pseudo parameters and resource references are
    taken to be single path segments; a parameter may hold several, so a
    mismatch after one is *unknown*, not a failure.

    ## Why
    A versioned path and a versioned bucket make every deployed artifact
    traceable and recoverable: a rollback needs the exact previous artifact,
    and versioning protects it from being overwritten or deleted.

    ## Example
    ```yaml
    ModelDataUrl: s3://ml-artifacts/churn/model.tar.gz   # SM102: no models/<name>/<version>/
    ```

    ## Fix
    Store artifacts as `s3://<bucket>/models/<model-name>/v1.2.0/model.tar.gz`
    and enable versioning on the bucket
    (`VersioningConfiguration: {Status: Enabled}`).

    ## Remediation
    None: moving artifacts changes what a model deploys.
    """

    id = "SM102"
    slug = "artifact-versioning"
    title = "Model artifacts are versioned in S3"
    level = "error"
    section = "Model Preparation"
    policy = "Model artifacts must be stored in S3 with proper versioning."
    tags = ("security", "integrity", "model-preparation")
    # medium: an unversioned artifact can be replaced in place, but only by someone with write access
    security_severity = 5.0
    targets = ("Model",)
    reads = ("ModelPackage", "Bucket")

    class Params(RuleParams):
        path_template: str = "s3://{bucket}/models/{model}/{version}/"
        version_regex: str = r"^v\d+\.\d+\.\d+$"

    def check(self, res, ctx):
        yield from self._model(res, ctx, {})

    def check_inventory(self, ctx):
        """Bucket verdicts once per bucket (several models may share it)."""
        buckets: dict = {}
        for m in ctx.inv.models:
            for _ in self._model(m, ctx, buckets):
                pass
        for key in sorted(buckets):
            bucket, result, users = buckets[key]
            names = ", ".join(sorted(set(users)))
            result.message = result.message.replace("{models}", names)
            yield bucket, result

    def _model(self, res, ctx, buckets: dict):
        seen_buckets = buckets
        for path, c in res.containers():
            if (undecided := require(c, path, f"containers of {res.label}")):
                yield undecided
                continue
            urls = []
            if c.ModelDataUrl is not None:
                urls.append((path + ("ModelDataUrl",), c.ModelDataUrl))
            src = c.ModelDataSource
            s3 = getattr(src, "S3DataSource", None) if src is not None and is_known(src) else src
            if s3 is not None:
                uri = getattr(s3, "S3Uri", None) if is_known(s3) else s3
                urls.append((path + ("ModelDataSource", "S3DataSource", "S3Uri"), uri))
            for upath, url in urls:
                yield from self._url(upath, url, res, ctx, seen_buckets)
            if not urls and c.ModelPackageName is not None:
                yield from self._package(path, c, res, ctx, seen_buckets)

    def _package(self, path, c, res, ctx, seen):
        pkg = ctx.inv.find("ModelPackage", c.ModelPackageName, res)
        if pkg is None or isinstance(pkg, Unknown):
            why = why_unknown(pkg) if pkg is not None else "it is not in the inventory"
            yield Undecided(path + ("ModelPackageName",), f"cannot check the artifacts of model package "
                                                         f"{display(c.ModelPackageName)}: {why}")
            return
        spec = pkg.InferenceSpecification
        conts = getattr(spec, "Containers", None) if spec is not None and is_known(spec) else spec
        if (undecided := require(conts, ("InferenceSpecification", "Containers"),
                                 f"containers of model package {pkg.label}", resource=pkg)):
            yield undecided
            return
        for i, pc in enumerate(conts if isinstance(conts, list) else []):
            url = pc.get("ModelDataUrl") if isinstance(pc, dict) else None
            if url is not None:
                for r in self._url(("InferenceSpecification", "Containers", i, "ModelDataUrl"), url, res, ctx, seen,
                                   owner=pkg):
                    r.resource = pkg
                    yield r

    def _url(self, path, url, res, ctx, seen, owner=None):
        if not isinstance(url, (str, Str)):
            yield Undecided(path, f"artifact location cannot be determined ({why_unknown(url) or display(url)})")
            return
        shown = display(url)
        fails, unknowns = [], []
        bucket = self._layout(url, fails, unknowns)
        result_for_bucket = None
        if bucket is not None:
            result_for_bucket = self._bucket(bucket, owner or res, ctx, unknowns)
        if fails:
            yield Fail(path, f"artifact {shown}: " + "; ".join(fails + unknowns),
                       data={"url": shown, "template": self.params.path_template})
        elif unknowns:
            yield Undecided(path, f"artifact {shown}: " + "; ".join(unknowns))
        if result_for_bucket is not None:
            b = result_for_bucket.resource
            seen.setdefault(b.key, (b, result_for_bucket, []))[2].append(res.label)

    def _layout(self, url, fails: list, unknowns: list) -> Any:
        """Match the URI against the template; returns the bucket segment (or None)."""
        want = self.params.path_template.split("/")
        tail_free = want and want[-1] == ""  # "…/{version}/" : anything may follow
        if tail_free:
            want = want[:-1]
        segs = _segments(url)
        bucket = None
        shifted = False  # a parameter earlier in the path may have held several segments
        for i, w in enumerate(want):
            if i >= len(segs):
                if shifted:
                    unknowns.append(f"cannot tell whether it follows {self.params.path_template}")
                else:
                    fails.append(f"does not follow {self.params.path_template}: it has too few path segments")
                return bucket
            seg = segs[i]
            ph = PLACEHOLDER.match(w)
            known = isinstance(seg, str)
            if ph and ph.group(1) == "bucket":
                bucket = seg if not shifted else None
            elif ph and ph.group(1) == "version":
                if known and not shifted:
                    if not re.match(self.params.version_regex, seg):
                        fails.append(f"version segment {seg!r} is not a semantic version "
                                     f"(wanted {self.params.version_regex}, e.g. v1.0.0)")
                elif not known:
                    unknowns.append(f"version segment {display(seg)} cannot be checked ({why_unknown(seg)})")
                else:
                    unknowns.append(f"cannot tell whether it follows {self.params.path_template}")
                    return bucket
            elif ph:
                if known and not seg:
                    fails.append(f"does not follow {self.params.path_template}: {{{ph.group(1)}}} is empty")
            elif known and not shifted and seg != w:
                fails.append(f"does not follow {self.params.path_template}: found {seg!r} where {w!r} belongs")
                return bucket
            elif not known and not _may_hold_slash(seg):
                unknowns.append(f"cannot tell whether {display(seg)} is {w!r} ({why_unknown(seg)})")
            elif shifted or not known:
                unknowns.append(f"cannot tell whether it follows {self.params.path_template} "
                                f"({why_unknown(seg) if not known else 'an earlier part is a parameter'})")
                return bucket
            if not known and _may_hold_slash(seg):
                shifted = True
        if not tail_free and len(segs) > len(want) and not shifted:
            fails.append(f"does not follow {self.params.path_template}: extra path segments")
        return bucket

    def _bucket(self, name, res, ctx, unknowns: list):
        if isinstance(name, Unknown):
            unknowns.append(f"artifact bucket cannot be determined ({name.reason})")
            return None
        bucket = ctx.inv.find("Bucket", name, res)
        if bucket is None or isinstance(bucket, Unknown):
            unknowns.append(f"artifact bucket {display(name)} is not in the "
                            f"{'inventory' if bucket is None else res.meta.source_noun}, so its versioning cannot be checked")
            return None
        vc = bucket.VersioningConfiguration
        status = getattr(vc, "Status", None) if vc is not None and is_known(vc) else vc
        if status is not None and not is_known(status):
            return Undecided(("VersioningConfiguration", "Status"),
                             f"versioning of artifact bucket {bucket.label} cannot be determined "
                             f"({why_unknown(status)}; models: {{models}})", resource=bucket)
        if status != "Enabled":
            found = f"versioning {status}" if status else "no versioning"
            return Fail(("VersioningConfiguration", "Status") if status else ("VersioningConfiguration",),
                        f"artifact bucket {bucket.label} (models: {{models}}) has {found}; the policy wants "
                        f"VersioningConfiguration.Status Enabled", resource=bucket,
                        data={"bucket": display(bucket.name), "status": status})
        return None
