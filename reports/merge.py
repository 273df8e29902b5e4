"""Saved JSON results: load, merge several (sharded audits across accounts)
into one document, and compare with a baseline (new and fixed findings).

A finding is "the same" across runs when its rule and fingerprint match; the
fingerprint is keyed on rule + resource + property path, never on line
numbers, so moving a resource in its file does not make it new.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Iterable

from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from auditor.vocabulary import OUTCOME_RANK
from auditor.models.findings import Finding, ResultDocument, RunInfo


class ResultsError(Exception):
    """A results file that cannot be read; a usage error (exit code 2)."""


MAX_BYTES = 512 * 1024 * 1024  # results of a very large organisation stay far below
MAX_DEPTH = 64  # a results document nests a dozen levels; plan before/after values a few more


def load(path: str) -> ResultDocument:
    from auditor.loaders.marked import MAX_INT_DIGITS
    from auditor.loaders.regular import NotRegular, TooLarge, read_regular

    try:
        raw = read_regular(path, MAX_BYTES)  # a FIFO would block, /dev/zero never ends
    except (NotRegular, TooLarge) as e:
        raise ResultsError(f"{path}: cannot read results: {e}") from None
    except OSError as e:
        raise ResultsError(f"{path}: cannot read results: {e.strerror or e}") from None

    def parse_int(s: str) -> int:
        if len(s.lstrip("-")) > MAX_INT_DIGITS:
            raise ResultsError(f"{path}: not a results document (an integer with {len(s.lstrip('-')):,} digits)")
        return int(s)

    try:
        data = json.loads(raw.decode("utf-8"), parse_int=parse_int)
    except UnicodeDecodeError:
        raise ResultsError(f"{path}: not valid UTF-8") from None
    except json.JSONDecodeError as e:
        raise ResultsError(f"{path}:{e.lineno}: not a JSON results file ({e.msg}); "
                           "save results with --format json") from None
    except RecursionError:
        raise ResultsError(f"{path}: not a results document (nested deeper than JSON results ever are)") from None
    if _depth_exceeds(data, MAX_DEPTH):
        raise ResultsError(f"{path}: not a results document (nested deeper than {MAX_DEPTH} levels)")
    if not isinstance(data, dict) or "run" not in data:
        hint = " (this looks like SARIF; save results with --format json)" if isinstance(data, dict) \
            and "runs" in data else ""
        raise ResultsError(f"{path}: not an sm-audit JSON results document{hint}")
    try:
        doc = ResultDocument.model_validate(data)
        if doc.plan is not None:
            SavedPlan.model_validate(doc.plan)
        return doc
    except ValidationError as e:
        err = e.errors()[0]
        loc = ("plan",) + tuple(err["loc"]) if doc_plan_error(e) else err["loc"]
        where = ".".join(str(p) for p in loc)
        raise ResultsError(f"{path}: invalid results document at {where}: {err['msg']}") from None


def doc_plan_error(e: ValidationError) -> bool:
    return e.title == SavedPlan.__name__


def _depth_exceeds(data: object, limit: int) -> bool:
    stack = [(data, 0)]
    while stack:
        v, d = stack.pop()
        if d > limit:
            return True
        if isinstance(v, dict):
            stack.extend((x, d + 1) for x in v.values())
        elif isinstance(v, list):
            stack.extend((x, d + 1) for x in v)
    return False


class SavedChange(BaseModel):
    """What the HTML and Markdown renderers read from a planned change;
    other keys pass through."""

    model_config = ConfigDict(extra="allow")
    action: str = ""
    kind: Optional[str] = None
    name: Optional[str] = None
    resource: Optional[str] = None
    account: Optional[str] = None
    region: Optional[str] = None
    status: str = "planned"
    rules: list[str] = Field(default_factory=list)
    why: Optional[str] = None
    plan_only: Optional[str] = None
    error: Optional[str] = None


class SavedPlan(BaseModel):
    model_config = ConfigDict(extra="allow")
    changes: list[SavedChange] = Field(default_factory=list)
    skipped: list[dict[str, Any]] = Field(default_factory=list)


def identity(f: Finding) -> tuple[str, str]:
    return f.rule, f.fingerprint or f"{f.location.short()}|{f.path}|{f.message}"


def _dedupe_key(f: Finding) -> tuple:
    """One finding per (file, fingerprint): two results covering the same file
    (main and a branch) report it once even when its line or wording moved."""
    if f.location.file and f.fingerprint:
        return identity(f) + (f.location.file,)
    return identity(f) + (f.location.short(), f.message)


def _files_scanned(docs: list[ResultDocument]) -> int:
    """Files scanned, a file covered by several results counted once."""
    total, seen = 0, set()
    for d in docs:
        total += d.run.files_scanned
        for name in d.run.files:
            if name in seen:
                total -= 1
            seen.add(name)
    return max(total, len(seen))


def merge(docs: list[ResultDocument]) -> ResultDocument:
    """One document from several; the same finding seen in two shards counts
    once. When one input has it suppressed and another active, it is active
    (fail closed, and the same whatever the order of the inputs)."""
    if not docs:
        raise ResultsError("no results to report")
    if len(docs) == 1:
        return docs[0]
    commands = sorted({d.run.command for d in docs})
    run = RunInfo(
        command=commands[0] if len(commands) == 1 else "+".join(commands),
        targets=sorted({t for d in docs for t in d.run.targets}),
        production=any(d.run.production for d in docs),
        files_scanned=_files_scanned(docs),
        files=sorted({n for d in docs for n in d.run.files}),
        files_skipped=sum(d.run.files_skipped for d in docs),
        resources=sum(d.run.resources for d in docs),
        accounts=sorted({a for d in docs for a in d.run.accounts}),
        regions=sorted({r for d in docs for r in d.run.regions}),
        fail_on=docs[0].run.fail_on,
        configs=sorted({c for d in docs for c in d.run.configs}),
        skipped=sorted({s.file: s for d in docs for s in d.run.skipped}.values(), key=lambda s: s.file),
    )
    calls = [getattr(d.run, "api_calls", None) for d in docs]
    if any(c is not None for c in calls) and hasattr(run, "api_calls"):
        run.api_calls = sum(c or 0 for c in calls)
    rules = {}
    for d in docs:
        for r in d.rules:
            rules.setdefault(r.id, r)
    findings: dict[tuple, Finding] = {}
    for d in docs:
        for f in d.findings:
            key = _dedupe_key(f)
            # active wins: a finding one run reports unsuppressed stays unsuppressed, whatever the order
            if key not in findings or (findings[key].suppression is not None and f.suppression is None):
                findings[key] = f
    evaluations = {}
    for d in docs:
        for e in d.evaluations:
            k = (e.rule, e.resource)
            if k not in evaluations or _rank(e.outcome) > _rank(evaluations[k].outcome):
                evaluations[k] = e
    gaps = {}
    for d in docs:
        for g in d.gaps:
            gaps.setdefault(json.dumps(g.model_dump(mode="json"), sort_keys=True), g)
    plans = [d.plan for d in docs if d.plan]
    plan = None
    if plans:
        plan = dict(plans[0])
        plan["changes"] = [c for p in plans for c in (p.get("changes") or [])]
    versions = sorted({d.tool.get("version", "") for d in docs} - {""})
    tool = dict(docs[0].tool)
    if len(versions) > 1:
        tool["version"] = " / ".join(versions)
    return ResultDocument(
        tool=tool,
        run=run,
        rules=sorted(rules.values(), key=lambda r: r.id),
        findings=sorted(findings.values(), key=Finding.sort_key),
        evaluations=sorted(evaluations.values(), key=lambda e: (e.rule, e.resource)),
        gaps=[gaps[k] for k in sorted(gaps)],
        plan=plan,
    )


def _rank(outcome: str) -> int:
    return OUTCOME_RANK.get(outcome, 0)


@dataclass
class Baseline:
    """The comparison with an older run: what is new, what was fixed."""

    sources: list[str] = field(default_factory=list)
    new: list[Finding] = field(default_factory=list)
    unchanged: int = 0
    fixed: list[Finding] = field(default_factory=list)


def compare(doc: ResultDocument, old: ResultDocument, sources: Iterable[str] = ()) -> tuple[ResultDocument, Baseline]:
    """``doc`` reduced to the findings not in ``old``, and the comparison.

    Suppressed findings are compared like the others (a new suppressed finding
    is shown as new and suppressed). A finding is fixed when the old run had it
    active and the new run has no active finding with its identity.
    """
    old_ids = {identity(f) for f in old.findings}
    new_active = {identity(f) for f in doc.findings if not f.suppression}
    new = [f for f in doc.findings if identity(f) not in old_ids]
    fixed = sorted((f for f in old.findings if not f.suppression and identity(f) not in new_active),
                   key=Finding.sort_key)
    seen = set()
    fixed = [f for f in fixed if not (identity(f) in seen or seen.add(identity(f)))]
    reduced = doc.model_copy(update={"findings": new})
    return reduced, Baseline(sources=list(sources), new=new, unchanged=len(doc.findings) - len(new), fixed=fixed)
