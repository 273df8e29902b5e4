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

from pydantic import ValidationError

from auditor.vocabulary import OUTCOME_RANK
from auditor.models.findings import Finding, ResultDocument, RunInfo


class ResultsError(Exception):
    """A results file that cannot be read; a usage error (exit code 2)."""


def load(path: str) -> ResultDocument:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except OSError as e:
        raise ResultsError(f"{path}: cannot read results: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise ResultsError(f"{path}: not valid UTF-8") from None
    except json.JSONDecodeError as e:
        raise ResultsError(f"{path}:{e.lineno}: not a JSON results file ({e.msg}); "
                           "save results with --format json") from None
    if not isinstance(data, dict) or "run" not in data:
        hint = " (this looks like SARIF; save results with --format json)" if isinstance(data, dict) \
            and "runs" in data else ""
        raise ResultsError(f"{path}: not an sm-audit JSON results document{hint}")
    try:
        return ResultDocument.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise ResultsError(f"{path}: invalid results document at {where}: {err['msg']}") from None


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
    """One document from several; the same finding seen in two shards counts once."""
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
            findings.setdefault(_dedupe_key(f), f)
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
