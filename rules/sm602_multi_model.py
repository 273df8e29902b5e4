"""SM602 multi-model."""

from __future__ import annotations

from typing import Any

from auditor.rulebase import Fail, Rule, RuleParams, Undecided
from auditor.values import Str, display, is_known, why_unknown
from auditor.values import prop as _get

MULTI = "MultiModel"




def prefix_state(uri: Any, artifact_suffixes: list[str]) -> Any:
    """'prefix' (ends with '/'), 'artifact' (ends with an artifact suffix),
    'other' (a known value that is neither), or None when the end of the
    value cannot be told."""
    if isinstance(uri, Str):
        last = uri.parts[-1]
        if not isinstance(last, str):
            return None
        tail = last
    elif isinstance(uri, str):
        tail = uri
    else:
        return None
    if tail.endswith("/"):
        return "prefix"
    if any(tail.lower().endswith(s) for s in artifact_suffixes):
        return "artifact"
    return "other"


class MultiModel(Rule):
    """Multi-model containers load their models from an S3 prefix, not from a single artifact.

    ## What it checks
    Every model container with `Mode: MultiModel` names an S3 *prefix*:
    `ModelDataUrl` ends with `/`, or `ModelDataSource.S3DataSource` has
    `S3DataType: S3Prefix` and an `S3Uri` ending with `/`. A URL ending in an
    artifact suffix (`artifact_suffixes`, default .tar.gz, .tgz, .tar, .zip)
    is a single artifact; a URL that is neither (`s3://bucket/models`) is
    flagged too, because SageMaker appends the `TargetModel` name to the
    prefix as is. A multi-model container without any model location is a
    finding. A mode or URL the template cannot tell (a parameter without a
    default) is *unknown*.

    ## Why
    A multi-model endpoint loads each model on demand from
    `<prefix><TargetModel>`. Pointing it at one `model.tar.gz` deploys
    nothing invocable, and the cost benefit of sharing the endpoint is lost.

    ## Example
    ```yaml
    PrimaryContainer:
      Mode: MultiModel
      ModelDataUrl: s3://bucket/models/model.tar.gz   # SM602: a single artifact
    ```

    ## Fix
    `ModelDataUrl: s3://bucket/models/` (the prefix the models are loaded from).

    ## Remediation
    None automatic.
    """

    id = "SM602"
    slug = "multi-model"
    title = "Multi-model endpoints point at an S3 prefix"
    level = "warning"
    section = "Multi-Model Endpoints"
    policy = ("Deploy multiple models to a single endpoint for cost optimization, loading them from one S3 "
              "prefix such as 's3://bucket/models/'.")
    tags = ("multi-model", "cost", "deployment-pattern")
    targets = ("Model",)

    class Params(RuleParams):
        artifact_suffixes: list[str] = [".tar.gz", ".tgz", ".tar", ".zip"]

    def check(self, model, ctx):
        for path, c in model.containers():
            if c is None or not is_known(c):
                continue
            mode = c.Mode
            if mode is None or (is_known(mode) and mode != MULTI):
                continue  # absent: SingleModel, the API default
            yield from self._container(model, path, c, mode)

    def _container(self, model, path, c, mode):
        where, uri, dtype = path + ("ModelDataUrl",), c.ModelDataUrl, None
        src = c.ModelDataSource
        s3 = _get(src, "S3DataSource")
        if uri is None and s3 is not None:
            where = path + ("ModelDataSource", "S3DataSource")
            uri, dtype = _get(s3, "S3Uri"), _get(s3, "S3DataType")
        sure = mode == MULTI
        label = f"{model.label} {'.'.join(str(p) for p in path if not isinstance(p, int))}"
        if isinstance(path[-1], int):
            label += f"[{path[-1]}]"
        if uri is None:
            if src is not None and not is_known(src):
                yield Undecided(path + ("ModelDataSource",), f"model location of {label}: {why_unknown(src)}")
            elif sure:
                yield Fail(path + ("Mode",), f"multi-model container {label} names no ModelDataUrl; it needs the "
                                             f"S3 prefix its models are loaded from")
            return
        problem = None
        if dtype is not None:
            if not is_known(dtype):
                yield Undecided(where + ("S3DataType",), f"S3DataType of {label}: {why_unknown(dtype)}")
                return
            if dtype != "S3Prefix":
                problem = (where + ("S3DataType",), f"a single S3 object (S3DataType {dtype})")
        if problem is None:
            state = prefix_state(uri, self.params.artifact_suffixes)
            upath = where + ("S3Uri",) if dtype is not None else where
            if state is None:
                if sure:
                    yield Undecided(upath, f"cannot tell whether multi-model container {label} points at an S3 "
                                           f"prefix: its location {display(uri)} is unknown ({why_unknown(uri)})")
                return
            if state == "prefix":
                return
            what = "a single artifact" if state == "artifact" else "a location that does not end with '/'"
            problem = (upath, f"{display(uri)}, {what}")
        ppath, found = problem
        if not sure:
            yield Undecided(path + ("Mode",), f"container {label} points at {found}; that is wrong if its Mode "
                                              f"({why_unknown(mode)}) is MultiModel")
            return
        yield Fail(ppath, f"multi-model container {label} points at {found}; a multi-model endpoint needs an S3 prefix "
                          f"ending with '/'")
