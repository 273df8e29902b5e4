"""``scan``: static files -> findings."""

from __future__ import annotations

from datetime import date
from typing import Optional

from .config import Config
from .engine import problem_finding
from .loaders import FileResult, discover, load_file
from .models.findings import ResultDocument, RunInfo
from .runner import build_ruleset, finish, run_rules, settings_for


def scan(paths: list[str], cfg: Config, production: bool = False, select: Optional[list[str]] = None,
         fail_on: str = "error", today: Optional[date] = None) -> ResultDocument:
    rs = build_ruleset(cfg, select)
    settings = settings_for(cfg, production)
    files, missing = discover(paths)
    findings = [problem_finding(p) for p in missing]
    evaluations = []
    resources = {}
    scanned = skipped = 0
    for path, explicit in files:
        fr: FileResult = load_file(path, explicit)
        if fr.skipped:
            skipped += 1
            continue
        scanned += 1
        findings.extend(problem_finding(p, positions=fr.positions) for p in fr.problems)
        fs, es = run_rules(fr.inventories, rs, settings)
        findings.extend(fs)
        evaluations.extend(es)
        for inv in fr.inventories[:1]:
            resources.update(inv.by_key)
    run = RunInfo(command="scan", targets=list(paths), production=settings.production_all,
                  files_scanned=scanned, files_skipped=skipped, resources=len(resources), fail_on=fail_on)
    return finish(run, rs, findings, evaluations, resources, cfg, today)
