"""``scan``: static files -> findings.

Files are independent, so a scan can be split across forked worker
processes (``--jobs N`` / ``SM_AUDIT_JOBS``, Linux); results are merged in
file order, so the output is byte-for-byte the same as a sequential scan.
By default a scan is sequential unless it is very large: with ~2.5 ms of
work per template, forking and sending results back cost more than a
second CPU saves for a few hundred files (measured: 200 templates, 0.48 s
sequential, 0.58 s with two workers)."""

from __future__ import annotations

import gc
import os
import sys
from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace
from typing import Any, Optional

from .config import Config
from .engine import problem_finding
from .loaders import FileResult, discover, load_file, planned_modules, preload
from .models.findings import (Evaluation, Finding, Location, ResourceRef, ResultDocument, RunInfo, SkippedFile,
                              SuppressionInfo)
from .runner import build_ruleset, finish, run_rules, settings_for

PARALLEL_MIN_FILES = 100  # below this, forking costs more than it saves (measured on 2 idle CPUs)
MAX_JOBS = 8


@dataclass
class FileOutcome:
    skipped: bool = False
    files: int = 1  # source files read (a Terraform module has several)
    file: str = ""
    skip_reason: str = ""
    findings: list = field(default_factory=list)
    evaluations: list = field(default_factory=list)
    resources: dict = field(default_factory=dict)  # key -> resource (or its suppressions only)


def _scan_file(path: str, explicit: bool, rs, settings, slim: bool = False, bindings=None) -> FileOutcome:
    fr: FileResult = load_file(path, explicit, bindings.pins_for(path) if bindings else None)
    if fr.skipped:
        return FileOutcome(skipped=True, file=fr.file, skip_reason=fr.skip_reason)
    out = FileOutcome(file=fr.file)
    out.files = fr.files
    out.findings.extend(problem_finding(p, positions=fr.positions) for p in fr.problems)
    out.findings.extend(fr.findings)
    fs, es = run_rules(fr.inventories, rs, settings)
    out.findings.extend(fs)
    out.evaluations.extend(es)
    for inv in fr.inventories:  # a resource may exist in some condition scenarios only
        for key, res in inv.by_key.items():
            if key not in out.resources:
                # suppressions are all the merge needs; whole resources are costly to send
                out.resources[key] = SimpleNamespace(meta=SimpleNamespace(
                    suppressions=res.meta.suppressions)) if slim else res
    return out


_JOB: dict[str, Any] = {}  # set before forking; the children inherit it


def _work(indices: list[int]) -> list[tuple[int, FileOutcome]]:
    files, rs, settings, bindings = _JOB["files"], _JOB["rs"], _JOB["settings"], _JOB["bindings"]
    out = []
    for i in indices:
        o = _scan_file(*files[i], rs, settings, slim=True, bindings=bindings)
        # plain data crosses the pipe several times faster than pydantic objects
        o.findings = [_pack(f) for f in o.findings]
        o.evaluations = [(e.rule, e.resource, e.outcome, e.note) for e in o.evaluations]
        out.append((i, o))
    return out


def _pack(f: Finding) -> dict:
    d = dict(f.__dict__)
    d["location"] = dict(f.location.__dict__)
    d["resource"] = dict(f.resource.__dict__) if f.resource is not None else None
    d["suppression"] = dict(f.suppression.__dict__) if f.suppression is not None else None
    return d


def _unpack(d: dict) -> Finding:
    # built from a Finding in the worker: every field is present and valid
    d["location"] = Location.model_construct(**d["location"])
    if d["resource"] is not None:
        d["resource"] = ResourceRef.model_construct(**d["resource"])
    if d["suppression"] is not None:
        d["suppression"] = SuppressionInfo.model_construct(**d["suppression"])
    return Finding.model_construct(**d)


def default_jobs(n_files: int) -> int:
    env = os.environ.get("SM_AUDIT_JOBS")
    if env and env.isdigit():
        return max(1, int(env))
    if n_files < PARALLEL_MIN_FILES or not sys.platform.startswith("linux"):
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover
        cpus = os.cpu_count() or 1
    # CPUs other processes keep busy would only add fork and transfer costs
    idle = int(cpus - _busy_cpus() + 0.9)  # a CPU busy a fraction of the time still helps
    return max(1, min(idle, MAX_JOBS, n_files // (PARALLEL_MIN_FILES // 2)))


def _busy_cpus() -> float:
    """CPUs other processes use: the one-minute load average, unless fewer
    processes are runnable right now (the average lags a minute behind a
    burst that has ended)."""
    try:
        avg = os.getloadavg()[0]
    except OSError:  # pragma: no cover
        avg = 0.0
    return min(avg, _runnable_others())


def _runnable_others() -> float:
    """Processes runnable now besides this one (/proc/loadavg), or infinity
    when the system does not say."""
    try:
        with open("/proc/loadavg", encoding="ascii") as fh:
            running = fh.read().split()[3].split("/")[0]
        return max(0, int(running) - 1)
    except (OSError, IndexError, ValueError):
        return float("inf")


def _parallel(files: list, rs, settings, jobs: int, bindings=None) -> Optional[list[FileOutcome]]:
    """Outcomes in file order, or None when workers cannot be used."""
    import multiprocessing

    try:
        ctx = multiprocessing.get_context("fork")
    except ValueError:  # pragma: no cover - no fork on this platform
        return None
    _JOB.update(files=files, rs=rs, settings=settings, bindings=bindings)
    chunks = [list(range(j, len(files), jobs)) for j in range(jobs)]
    preload(files)
    # the workers' collector would otherwise touch (and so copy) every object they inherit
    gc.freeze()
    try:
        with ctx.Pool(jobs) as pool:
            parts = pool.map(_work, chunks)
    except Exception:  # noqa: BLE001 - a worker that died: scan sequentially instead
        return None
    finally:
        gc.unfreeze()
        _JOB.clear()
    ordered: list[Optional[FileOutcome]] = [None] * len(files)
    for part in parts:
        for i, outcome in part:
            outcome.findings = [_unpack(d) for d in outcome.findings]
            outcome.evaluations = [Evaluation.model_construct(rule=r, resource=k, outcome=o, note=n)
                                   for r, k, o, n in outcome.evaluations]
            ordered[i] = outcome
    return ordered if all(o is not None for o in ordered) else None


def scan(paths: list[str], cfg: Config, production: bool = False, select: Optional[list[str]] = None,
         fail_on: str = "error", today: Optional[date] = None, jobs: Optional[int] = None,
         terraform: Any = None, pins=None, skip: Optional[list[str]] = None) -> ResultDocument:
    """``terraform``: TfOptions (--var, --var-file, --tf-dir) for Terraform inputs.
    ``pins``: the command line's ``--parameters``/``--parameter``/``--region``
    (``loaders.parameters.Pins``); the config's ``deployments`` add theirs per file.
    ``skip``: --skip-rule."""
    from .loaders import OPTIONS
    from .loaders.parameters import Bindings

    OPTIONS.terraform = terraform
    from . import registry

    registry.distrust(paths)  # before any plugin is looked for
    rs = build_ruleset(cfg, select, skip=skip)
    bindings = Bindings(cfg, pins)
    bindings = bindings if bindings else None
    settings = settings_for(cfg, production)
    files, missing = discover(paths)
    files = planned_modules(files, getattr(terraform, "tf_dir", None))
    findings = [problem_finding(p) for p in missing]
    evaluations: list = []
    resources: dict = {}
    jobs = default_jobs(len(files)) if jobs is None else max(1, jobs)
    outcomes = _parallel(files, rs, settings, jobs, bindings) if jobs > 1 and len(files) > 1 else None
    if outcomes is None:
        outcomes = [_scan_file(path, explicit, rs, settings, bindings=bindings) for path, explicit in files]
    scanned = 0
    skipped: list[SkippedFile] = []
    names: list[str] = []
    for o in outcomes:
        if o.skipped:
            skipped.append(SkippedFile(file=o.file, reason=o.skip_reason))
            continue
        scanned += o.files
        names.append(o.file)
        findings.extend(o.findings)
        evaluations.extend(o.evaluations)
        for key, res in o.resources.items():
            resources.setdefault(key, res)
    run = RunInfo(command="scan", targets=list(paths), production=settings.production_all,
                  files_scanned=scanned, files_skipped=len(skipped), resources=len(resources), fail_on=fail_on,
                  skipped=skipped, files=names)
    return finish(run, rs, findings, evaluations, resources, cfg, today)
