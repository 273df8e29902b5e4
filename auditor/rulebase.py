"""What a rule is: metadata, a pydantic options model, a doc in fixed
sections, and a check over one inventory resource.

A rule module (see ``rules/`` and ``docs/adding-a-rule.md``) looks like the
following; defining the class in a pack's module is what registers it::

    class HighAvailability(Rule):
        '''One-line summary.

        ## What it checks
        ...
        ## Why
        ...
        ## Example
        ...
        ## Fix
        ...
        '''
        id = "SM201"; slug = "high-availability"; ...
        class Params(RuleParams):
            min_instances: int = 2

        def check(self, res, ctx):
            yield Fail(("ProductionVariants", 0, "InitialInstanceCount"), "...")

Rules name property paths; the engine turns them into file:line:col or an
ARN. A rule never asks where the data came from: it asks whether a value is
known (``auditor.values``) and yields ``Undecided`` when it is not.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Iterable, Optional

from pydantic import BaseModel, ConfigDict

from .models.findings import Level, RuleDoc, RuleInfo

if TYPE_CHECKING:  # pragma: no cover
    from .inventory import Inventory
    from .models.resources import Resource
    from .settings import Settings

ID_RE = re.compile(r"^[A-Z][A-Z0-9]{1,7}[0-9]{3,4}$")
SLUG_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
DOC_SECTIONS = {
    "what it checks": "what",
    "why": "why",
    "example": "example",
    "fix": "fix",
    "remediation": "remediation",
}


class RuleParams(BaseModel):
    """Base of every rule's options; unknown keys are configuration errors,
    and so are NaN and infinity (every comparison with NaN is false: a check
    against it could never fail)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


@dataclass
class Fail:
    """The resource violates the policy at ``path``."""

    path: tuple
    message: str
    resource: Optional["Resource"] = None  # another resource than the one checked
    level: Optional[Level] = None  # override the rule's default level
    data: dict = field(default_factory=dict)  # facts a remediation can use


@dataclass
class Undecided:
    """The verdict depends on a value the source cannot tell."""

    path: tuple
    message: str
    resource: Optional["Resource"] = None
    data: dict = field(default_factory=dict)


@dataclass
class Note:
    """Not a finding: the rule exempts (part of) the resource and says why.
    The evaluation carries the note; the outcome is unchanged."""

    path: tuple
    message: str
    resource: Optional["Resource"] = None


Result = Fail | Undecided | Note


# -- unknown values: the shared way to say "cannot tell" ----------------------

def require(value: Any, path: tuple, what: str, **kw: Any) -> Optional[Undecided]:
    """None when ``value`` is known; else the Undecided a rule yields:
    "{what} cannot be determined ({why})" at ``path`` (``kw``: resource, data)."""
    from .values import is_known, why_unknown

    if is_known(value):
        return None
    return Undecided(path, f"{what} cannot be determined ({why_unknown(value)})", **kw)


def tag_matches(resources: Iterable[Any], keys: Iterable[str], accept: Any) -> Any:
    """A tag test over ``resources`` (in order) that knows unknowns: the
    first (resource, key, value) whose value ``accept(value)`` takes; else an
    Unknown when some tag could not be told (the last such, naming it); else
    None (no resource carries an accepted value)."""
    from .values import Unknown, is_known, why_unknown

    keys = tuple(keys)
    undecided = None
    for r in resources:
        tags = r.Tags
        if tags is not None and not isinstance(tags, dict):
            undecided = Unknown(f"tags of {r.label}: {why_unknown(tags)}")
            continue
        for key in keys:
            v = tags.get(key) if tags else None
            if v is None:
                continue
            if not is_known(v):
                undecided = Unknown(f"tag {key} of {r.label}: {why_unknown(v)}")
            elif accept(v):
                return r, key, v
    return undecided

# Pseudo-kind for measured data (CloudWatch series): a rule that declares
# metrics reads it, and a failed metric query is a gap of this kind.
METRICS = "MetricSeries"
# Kind of the account-level resource that ``check_inventory`` verdicts may name.
ACCOUNT = "Account"


@dataclass(frozen=True)
class MetricNeed:
    """One CloudWatch series a rule needs for each endpoint variant it
    judges: which metric and statistic, at what period, over the window its
    ``window`` parameter gives (hours). The live layer fetches exactly the
    series the selected rules declare."""

    metric: str  # Invocations, CPUUtilization ...
    statistic: str  # Sum, Average ...
    window: str  # name of the rule parameter holding the window in hours
    namespace: str = "AWS/SageMaker"
    period: int = 3600
    variants: str = "all"  # all | instance (not serverless) | gpu (ml.g*/ml.p* instances)


def unused_config_unknown(config: "Resource", what: str) -> Undecided:
    """What belongs to the endpoint of a config the template does not deploy
    is unknown, never silently skipped (POLICIES rev. 2)."""
    return Undecided(("EndpointConfigName",), f"endpoint config {config.label} is used by no endpoint in this "
                                              f"{config.meta.source_noun}: {what} of the endpoint that uses it cannot "
                                              f"be checked here")


class RuleContext:
    """What a rule sees besides the resource: the inventory, its options and
    the run's settings (production classification lives here, once)."""

    def __init__(self, inventory: "Inventory", params: Any, settings: "Settings") -> None:
        self.inventory = inventory
        self.inv = inventory
        self.params = params
        self.settings = settings

    def production(self, res: "Resource") -> Any:
        from .classify import is_production

        return is_production(res, self.inventory, self.settings)

    def production_gate(self, res: "Resource", subject: Optional[str] = None,
                        prod: Any = None) -> tuple[bool, Optional["Undecided"]]:
        """For production-only checks: (check it?, the Undecided to yield when
        it cannot be told). ``prod`` is a classification already made."""
        from .values import why_unknown

        prod = self.production(res) if prod is None else prod
        if isinstance(prod, bool):
            return prod, None
        return False, Undecided(("Tags",), f"cannot tell whether {subject or res.label} is production: "
                                           f"{why_unknown(prod)}")

    @property
    def now(self):
        return self.settings.now

    def measured(self, res: "Resource") -> bool:
        """Does the source carry the metrics the rule declared for ``res``?
        A live account (or its snapshot) does; a template never does."""
        return self.inventory.complete and res.meta.file is None


class Rule:
    id: ClassVar[str] = ""
    slug: ClassVar[str] = ""
    title: ClassVar[str] = ""
    level: ClassVar[Level] = "error"
    policy: ClassVar[str] = ""  # the policy text it enforces, verbatim
    section: ClassVar[str] = ""  # seed document section
    tags: ClassVar[tuple[str, ...]] = ()
    scope: ClassVar[tuple[str, ...]] = ("static", "live")
    # Sources ``check_inventory`` runs on, when narrower than ``scope`` (e.g.
    # ("live",) for an account-level check a template cannot answer); the
    # engine respects it, the check never asks where its data came from.
    inventory_scope: ClassVar[Optional[tuple[str, ...]]] = None
    targets: ClassVar[tuple[str, ...]] = ()  # resource kinds checked one by one
    # Resource kinds the verdicts read besides the target itself: a tuple (for
    # every target) or {target kind: tuple} ("Account" for check_inventory
    # verdicts on the account). A coverage gap of a kind read makes the verdict
    # unknown; the engine does that, rules never look at gaps.
    reads: ClassVar[Any] = ()
    metrics: ClassVar[tuple[MetricNeed, ...]] = ()  # measured series the verdicts need
    remediation: ClassVar[Optional[str]] = None  # action name in auditor.remediation
    security_severity: ClassVar[Optional[float]] = None  # 0.0-10.0 for security rules
    help_uri: ClassVar[str] = ""
    Params: ClassVar[type[RuleParams]] = RuleParams
    plugin: ClassVar[Optional[str]] = None  # set by the registry for third-party packs

    def __init__(self, params: Optional[RuleParams] = None) -> None:
        self.params = params if params is not None else self.Params()

    # -- to implement ---------------------------------------------------
    def check(self, res: "Resource", ctx: RuleContext) -> Iterable[Result]:
        return ()

    def check_inventory(self, ctx: RuleContext) -> Iterable[tuple["Resource", Result]]:
        """Account-level checks that have no single resource to start from;
        yields (resource, result). Default: nothing."""
        return ()

    def applies(self, ctx: RuleContext) -> bool:
        """False when the rule cannot run on this source (e.g. live-only)."""
        return True

    # -- declarations ---------------------------------------------------
    @classmethod
    def on_templates(cls, check: str = "check") -> bool:
        """Does ``check`` ("check" or "check_inventory") run on templates (an
        incomplete inventory)? Live inventories and their snapshots get every
        check."""
        scope = cls.inventory_scope if check == "check_inventory" and cls.inventory_scope else cls.scope
        return "static" in scope

    @classmethod
    def reads_for(cls, kind: str) -> frozenset[str]:
        """Every kind a verdict on a ``kind`` resource depends on."""
        extra = cls.reads.get(kind, ()) if isinstance(cls.reads, dict) else cls.reads
        return frozenset((kind, *extra, *((METRICS,) if cls.metrics else ())))

    def metric_hours(self, need: MetricNeed) -> float:
        """The window of ``need`` under this rule's (configured) parameters."""
        return float(getattr(self.params, need.window))

    # -- metadata -------------------------------------------------------
    @classmethod
    def summary(cls) -> str:
        doc = textwrap.dedent(cls.__doc__ or "").strip()
        return doc.split("\n\n", 1)[0].replace("\n", " ").strip() if doc else cls.title

    @classmethod
    def doc(cls) -> RuleDoc:
        return parse_doc(cls.__doc__ or "")

    @classmethod
    def info(cls, params: Optional[RuleParams] = None) -> RuleInfo:
        p = params if params is not None else cls.Params()
        return RuleInfo(
            id=cls.id,
            slug=cls.slug,
            title=cls.title,
            level=cls.level,
            policy=cls.policy,
            section=cls.section,
            tags=list(cls.tags),
            scope=list(cls.scope),
            help_uri=cls.help_uri or f"https://github.com/sm-audit/sm-audit/blob/main/docs/rules/{cls.id}.md",
            security_severity=cls.security_severity,
            doc=cls.doc(),
            params=p.model_dump(mode="json"),
            remediation=cls.remediation,
            plugin=cls.plugin,
        )


def parse_doc(raw: str) -> RuleDoc:
    """Split a rule docstring into its fixed ``## Section`` parts."""
    text = textwrap.dedent(raw)
    # the first line of a docstring is not indented like the rest
    lines = raw.strip("\n").split("\n")
    if lines and lines[0] and not lines[0].startswith(" "):
        text = lines[0] + "\n" + textwrap.dedent("\n".join(lines[1:]))
    parts: dict[str, list[str]] = {}
    current = None
    for line in text.split("\n"):
        m = re.match(r"^##\s+(.+?)\s*$", line)
        if m and m.group(1).lower() in DOC_SECTIONS:
            current = DOC_SECTIONS[m.group(1).lower()]
            parts[current] = []
        elif current:
            parts[current].append(line)
    return RuleDoc(**{k: "\n".join(v).strip() for k, v in parts.items()})

