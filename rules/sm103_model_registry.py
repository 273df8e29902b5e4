"""SM103 model-registry."""

from __future__ import annotations

from typing import Optional

from auditor.rulebase import Fail, Rule, RuleParams, Undecided, require
from auditor.values import Unknown, display, is_known, why_unknown


def _has_metrics(m) -> bool:
    if isinstance(m, dict):
        return any(v not in (None, {}, []) for v in m.values())
    dumped = m.model_dump(exclude_none=True) if hasattr(m, "model_dump") else {}
    return any(v not in (None, {}, []) for v in dumped.values())


class ModelRegistry(Rule):
    """Models come from an approved model package in a model registry.

    ## What it checks
    Every Model has a container created from a registered model package
    (`ModelPackageName`). That package (found in the template or the live
    inventory) has `ModelApprovalStatus` equal to `required_status` (default
    `Approved`) and carries `ModelMetrics` (training/evaluation metrics).

    Teams that keep a custom registry (the policy's "custom DynamoDB table")
    declare it with `custom_registry` (the table's name). A model without a
    `ModelPackageName` then passes when it carries the tag `registry_tag`
    (default `model-registry-id`) whose value is its entry's key in that
    table; the table itself is not read. Without `custom_registry` a model
    without a package fails.

    A package that is not in the template or inventory, or a package name
    from a parameter without a default, gives *unknown*.

    ## Why
    A registry records each model's version, metrics and approval, which is
    what lineage and a rollback to a previous version need; deploying only
    approved packages keeps unreviewed models out of production.

    ## Example
    ```yaml
    PrimaryContainer:
      Image: 763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1.0-cpu-py310
      ModelDataUrl: s3://ml/models/churn/v1.0.0/model.tar.gz   # SM103: not from a model package
    ```

    ## Fix
    Register the model in a SageMaker Model Package Group with its metrics,
    approve it, and create the Model from it:
    `PrimaryContainer: {ModelPackageName: <package ARN>}`. With a custom
    registry, set `custom_registry` and tag the model
    `model-registry-id: <entry key>`.

    ## Remediation
    None: registering and approving a model is a human decision.
    """

    id = "SM103"
    slug = "model-registry"
    title = "Models come from an approved model registry entry"
    level = "error"
    section = "Model Preparation"
    policy = "Model metadata must be stored in a model registry."
    tags = ("governance", "security", "model-preparation")
    # medium: an unapproved model reaches production, a governance gap more than an exposure
    security_severity = 4.0
    targets = ("Model",)
    reads = ("ModelPackage",)

    class Params(RuleParams):
        required_status: str = "Approved"
        require_metrics: bool = True
        custom_registry: Optional[str] = None  # e.g. the DynamoDB table that is the registry
        registry_tag: str = "model-registry-id"

    def check(self, res, ctx):
        yield from self._model(res, ctx, {})

    def check_inventory(self, ctx):
        """Package verdicts once per package (several models may use one)."""
        packages: dict = {}
        for m in ctx.inv.models:
            for _ in self._model(m, ctx, packages):
                pass
        for key in sorted(packages):
            pkg, users = packages[key]
            for r in self._package(pkg, ", ".join(sorted(set(users)))):
                yield pkg, r

    def _model(self, res, ctx, packages: dict):
        packaged = []
        for path, c in res.containers():
            if (undecided := require(c, path, f"containers of {res.label}")):
                yield undecided
                return
            if c.ModelPackageName is not None:
                packaged.append((path, c))
        if not packaged:
            yield from self._unregistered(res)
            return
        for path, c in packaged:
            pkg = ctx.inv.find("ModelPackage", c.ModelPackageName, res)
            if pkg is None or isinstance(pkg, Unknown):
                why = why_unknown(pkg) if pkg is not None else "it is not in the inventory"
                yield Undecided(path + ("ModelPackageName",),
                                f"cannot check approval and metrics of model package "
                                f"{display(c.ModelPackageName)}: {why}")
                continue
            packages.setdefault(pkg.key, (pkg, []))[1].append(res.label)

    def _unregistered(self, res):
        where = ("PrimaryContainer",) if res.PrimaryContainer is not None else (
            ("Containers",) if res.Containers is not None else ())
        if not self.params.custom_registry:
            yield Fail(where, f"model {res.label} is not created from a registered model package (no container "
                              f"has ModelPackageName); the policy wants its metadata in a model registry")
            return
        key = self.params.registry_tag
        tag = res.tag(key)
        if tag is not None and not is_known(tag):
            yield Undecided(("Tags", key), f"tag {key} of {res.label} cannot be determined ({why_unknown(tag)})")
        elif tag is None or (isinstance(tag, str) and not tag.strip()):
            yield Fail(("Tags",) if res.Tags else where,
                       f"model {res.label} is not created from a model package and has no {key} tag naming its "
                       f"entry in the custom registry {self.params.custom_registry}")

    def _package(self, pkg, users: str):
        status = pkg.ModelApprovalStatus
        want = self.params.required_status
        if status is not None and not is_known(status):
            yield Undecided(("ModelApprovalStatus",), f"approval status of model package {pkg.label} cannot be "
                                                      f"determined ({why_unknown(status)})", resource=pkg)
        elif status != want:
            found = f"is {status}" if status else "has no ModelApprovalStatus (it defaults to PendingManualApproval)"
            yield Fail(("ModelApprovalStatus",), f"model package {pkg.label} used by model {users} {found}; "
                                                 f"the policy wants {want}", resource=pkg,
                       data={"package": display(pkg.name), "status": status})
        if not self.params.require_metrics:
            return
        metrics = pkg.ModelMetrics
        if metrics is not None and not is_known(metrics):
            yield Undecided(("ModelMetrics",), f"metrics of model package {pkg.label} cannot be determined "
                                               f"({why_unknown(metrics)})", resource=pkg)
        elif metrics is None or not _has_metrics(metrics):
            yield Fail(("ModelMetrics",), f"model package {pkg.label} used by model {users} carries no "
                                          f"ModelMetrics; the policy wants training/evaluation metrics in the "
                                          f"registry", resource=pkg)
