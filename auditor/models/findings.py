"""Findings and the JSON result document (our stable output contract: the
``report`` command and remediation read it back)."""

from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from .gaps import CoverageGap
from ..vocabulary import EvaluationOutcome, FindingOutcome, Level

# the schema ships with the package beside this module (auditor/models/result-v1.schema.json);
# `sm-audit schema` prints it, and this is where it is published
RESULT_SCHEMA = "https://github.com/sm-audit/sm-audit/blob/main/auditor/models/result-v1.schema.json"


class Location(BaseModel):
    file: Optional[str] = None
    line: Optional[int] = None
    column: Optional[int] = None
    end_line: Optional[int] = None
    end_column: Optional[int] = None
    arn: Optional[str] = None
    account: Optional[str] = None
    region: Optional[str] = None

    def short(self) -> str:
        if self.file:
            if self.line:
                return f"{self.file}:{self.line}:{self.column or 1}"
            return self.file
        if self.arn:
            return self.arn
        return "/".join(x for x in (self.account, self.region) if x) or "-"


class ResourceRef(BaseModel):
    key: str
    id: str  # logical id, name or ARN: what people call it
    type: str = ""
    name: Optional[str] = None
    arn: Optional[str] = None
    account: Optional[str] = None
    region: Optional[str] = None
    file: Optional[str] = None
    stack: Optional[str] = None
    tags: Optional[dict[str, str]] = None  # known tag values (grouping by owner/team)


class SuppressionInfo(BaseModel):
    kind: Literal["inSource", "external"]
    reason: str = ""
    expires: Optional[str] = None
    source: str = ""


class Finding(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rule: str  # SM201
    slug: str  # high-availability
    level: Level
    outcome: FindingOutcome = "fail"
    message: str
    resource: Optional[ResourceRef] = None
    path: str = ""  # property path, e.g. ProductionVariants[0].InitialInstanceCount
    location: Location = Field(default_factory=Location)
    fingerprint: str = ""
    scenario: Optional[str] = None  # "when parameter Env = 'prod'"
    suppression: Optional[SuppressionInfo] = None
    notes: list[str] = Field(default_factory=list)  # e.g. an expired suppression
    remediation: Optional[str] = None  # action name a planner can use
    data: dict[str, Any] = Field(default_factory=dict)  # rule-specific facts for remediation

    def sort_key(self) -> tuple:
        loc = self.location
        return (
            loc.file or "",
            loc.account or "",
            loc.region or "",
            loc.arn or "",
            loc.line or 0,
            loc.column or 0,
            self.rule,
            self.resource.key if self.resource else "",
            self.path,
            self.message,
        )


class Evaluation(BaseModel):
    """One rule over one resource: what JUnit and the summaries count."""

    rule: str
    resource: str  # resource key
    outcome: EvaluationOutcome
    note: Optional[str] = None  # why a resource the rule looked at was exempt


class RuleDoc(BaseModel):
    what: str = ""
    why: str = ""
    example: str = ""
    fix: str = ""
    remediation: str = ""


class RuleInfo(BaseModel):
    id: str
    slug: str
    title: str
    level: Level
    policy: str
    section: str = ""
    tags: list[str] = Field(default_factory=list)
    scope: list[str] = Field(default_factory=list)  # static, live
    help_uri: str = ""
    security_severity: Optional[float] = None
    doc: RuleDoc = Field(default_factory=RuleDoc)
    params: dict[str, Any] = Field(default_factory=dict)
    remediation: Optional[str] = None
    plugin: Optional[str] = None  # distribution of a third-party pack


class SkippedFile(BaseModel):
    """A YAML/JSON file a directory scan left out, and why (``scan -v``)."""

    file: str
    reason: str


class RunInfo(BaseModel):
    command: str  # scan | audit | remediate
    targets: list[str] = Field(default_factory=list)
    production: bool = False
    files_scanned: int = 0
    files_skipped: int = 0
    resources: int = 0
    accounts: list[str] = Field(default_factory=list)
    regions: list[str] = Field(default_factory=list)
    fail_on: str = "error"
    api_calls: Optional[int] = None  # audit: AWS API operations the collection made
    configs: list[str] = Field(default_factory=list)  # configuration files used (nearest to each path)
    skipped: list[SkippedFile] = Field(default_factory=list)  # scan: files left out as not templates
    files: list[str] = Field(default_factory=list)  # scan: the files (or Terraform modules) scanned


class ResultDocument(BaseModel):
    schema_: str = Field(RESULT_SCHEMA, alias="$schema")
    tool: dict[str, str] = Field(default_factory=dict)
    run: RunInfo
    rules: list[RuleInfo] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    evaluations: list[Evaluation] = Field(default_factory=list)
    gaps: list[CoverageGap] = Field(default_factory=list)
    plan: Optional[dict[str, Any]] = None  # remediation plan, when there is one

    model_config = ConfigDict(populate_by_name=True)

    def to_json(self) -> str:
        return self.model_dump_json(by_alias=True, indent=2, exclude_none=True) + "\n"
