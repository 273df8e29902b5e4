"""What a remediation action is, and the registry that declares them.

An action (Cloud Custodian style) is a class registered with ``@action``. It
declares the rules it remediates, a pydantic schema for its options, the IAM
permissions its calls need and the endpoint states it may act from, and it
implements four steps against live AWS:

* ``plan``: from the targets (endpoints named by findings or by the user) and
  the *current* state, the changes it would make, each with before/after/why;
* ``snapshot``: re-describe one change's resource in the shape of ``before``
  (the executor compares it with the plan right before acting);
* ``apply``: make the change. Actions never decide dry-run: only the executor
  calls ``apply``, and only when the run applies;
* ``undo(ctx, change)``: put ``change.before`` back (restore passes the
  journalled change), idempotently (it describes first and only writes what
  differs), so restore can also settle entries whose outcome is unknown.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Iterable, Optional

from pydantic import BaseModel, ConfigDict, ValidationError

if TYPE_CHECKING:  # pragma: no cover
    from .aws import Clients
    from ..models.findings import Finding


class ActionOptions(BaseModel):
    """Base of every action's options; unknown keys, NaN and infinity are errors."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Record(BaseModel):
    """Base of the shape an action's undo reads from a journal entry's
    ``before`` (exact types: a journal edited by hand is refused whole)."""

    model_config = ConfigDict(extra="allow", strict=True)


class Change(BaseModel):
    """One concrete change: what it acts on, the state before and after, why."""

    id: str = ""
    action: str
    kind: str = ""  # sub-step of the action, e.g. "weights" or "config"
    resource: str  # ARN of the endpoint (or of the variant's scalable target)
    name: str  # what people call it: endpoint or endpoint/variant
    account: str
    region: str
    before: dict[str, Any]
    after: dict[str, Any]
    why: str
    rules: list[str] = []
    status: str = "planned"
    error: Optional[str] = None
    plan_only: Optional[str] = None  # reason it is shown but never applied

    def model_post_init(self, _ctx: Any) -> None:
        if not self.id:
            key = "|".join((self.action, self.kind, self.account, self.region, self.name))
            self.id = hashlib.sha256(key.encode()).hexdigest()[:12]

    def public(self) -> dict[str, Any]:
        """The shape reports render (ResultDocument.plan.changes)."""
        d = self.model_dump(mode="json", exclude_none=True)
        return d


@dataclass
class Skip:
    """A resource an action considered and will not touch, and why."""

    action: str
    name: str
    account: str
    region: str
    reason: str

    def public(self) -> dict[str, Any]:
        return {"action": self.action, "resource": self.name, "account": self.account,
                "region": self.region, "reason": self.reason}


@dataclass
class Target:
    """An endpoint an action should look at, and what pointed at it."""

    account: str
    region: str
    endpoint: str
    variant: Optional[str] = None
    findings: list["Finding"] = field(default_factory=list)
    named: bool = False  # the user named this endpoint (--endpoint)

    @property
    def rules(self) -> list[str]:
        return sorted({f.rule for f in self.findings})


@dataclass
class Context:
    clients: "Clients"
    now: datetime
    options: dict[str, ActionOptions] = field(default_factory=dict)
    current_action: Optional[str] = None  # who is calling AWS right now (permission tests)
    memo: dict = field(default_factory=dict)  # per-run answers shared by a plan's targets
    scale_out: list[str] = field(default_factory=list)  # endpoints opted in to more instances (--endpoint)

    def opts(self, action: "Action") -> Any:
        return self.options.get(action.name) or action.Options()

    def may_add_instances(self, endpoint: str) -> bool:
        """A change that raises the running instance count (directly, or
        through autoscaling's MinCapacity) needs the endpoint named."""
        configured = getattr(self.options.get("raise-instance-count"), "opted_in", None) or []
        return endpoint in self.scale_out or endpoint in configured


class Action:
    name: ClassVar[str] = ""
    rules: ClassVar[tuple[str, ...]] = ()
    description: ClassVar[str] = ""
    permissions: ClassVar[tuple[str, ...]] = ()  # IAM actions its calls need
    valid_states: ClassVar[tuple[str, ...]] = ("InService",)  # endpoint states it acts from
    order: ClassVar[int] = 50  # execution order among actions on one endpoint
    exclusive: ClassVar[bool] = False  # other changes on the same endpoint are dropped
    Options: ClassVar[type[ActionOptions]] = ActionOptions
    variant_level: ClassVar[bool] = False  # change names are endpoint/variant

    @classmethod
    def before_model(cls, step: str) -> Optional[type[Record]]:
        """The shape of ``before`` that ``undo`` reads for this step."""
        return None

    @classmethod
    def record_problem(cls, rec: dict[str, Any]) -> Optional[str]:
        """Why ``undo`` could not work from this journal record (None: it can)."""
        if cls.variant_level and "/" not in rec["name"]:
            return f"name {rec['name']!r} is not endpoint/variant"
        model = cls.before_model(rec.get("step", ""))
        if model is None:
            return None
        try:
            model.model_validate(rec["before"])
        except ValidationError as e:
            err = e.errors()[0]
            where = ".".join(["before", *(str(x) for x in err["loc"])])
            return f"lacks {where!r}" if err["type"] == "missing" else f"{where}: {err['msg']}"
        return None

    @classmethod
    def defaults_from_rules(cls, params: dict[str, Any]) -> dict[str, Any]:
        """Option defaults taken from the remediated rules' configured params."""
        return {}

    def state_problem(self, ep: Optional[dict[str, Any]]) -> Optional[str]:
        """Why the endpoint's state keeps this action off it (None: it may act).
        The one place ``valid_states`` is enforced, at plan and apply time."""
        status = ep.get("EndpointStatus") if ep else None
        if not status:
            return "endpoint no longer exists"
        if status not in self.valid_states:
            return f"endpoint is {status}; {self.name} acts only on {'/'.join(self.valid_states)} endpoints"
        return None

    def plan(self, ctx: Context, targets: list[Target]) -> Iterable[Change | Skip]:
        raise NotImplementedError

    def snapshot(self, ctx: Context, change: Change) -> dict[str, Any]:
        raise NotImplementedError

    def precheck(self, ctx: Context, change: Change, current: dict[str, Any]) -> Optional[str]:
        """A reason not to act now (protections re-checked at apply time)."""
        return None

    def apply(self, ctx: Context, change: Change, current: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def undo(self, ctx: Context, change: Change) -> str:
        raise NotImplementedError


ACTIONS: dict[str, type[Action]] = {}


def action(cls: type[Action]) -> type[Action]:
    """Declare an action; names are unique and every field is required."""
    if not cls.name or not cls.rules or not cls.permissions:
        raise TypeError(f"{cls.__name__}: an action declares name, rules and permissions")
    if cls.name in ACTIONS and ACTIONS[cls.name] is not cls:
        raise TypeError(f"duplicate remediation action {cls.name!r}")
    ACTIONS[cls.name] = cls
    return cls


def load_actions() -> dict[str, type[Action]]:
    from . import actions  # noqa: F401 - registers the built-in actions

    return ACTIONS

