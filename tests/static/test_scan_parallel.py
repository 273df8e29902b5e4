"""Large scans fork workers; the result must be byte-for-byte the same."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from auditor.config import Config
from auditor.scan import default_jobs, scan

from .helpers import ROOT, run_cli


def _generate(out: Path, n: int):
    spec = importlib.util.spec_from_file_location("static_corpus", ROOT / "bench" / "static_corpus.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.generate(out, n)


def test_parallel_scan_is_identical_to_sequential(tmp_path):
    _generate(tmp_path / "t", 30)
    (tmp_path / "t" / "broken.yaml").write_text("Resources: [\n")
    (tmp_path / "t" / "workflow.yml").write_text("on: push\njobs: {}\n")
    one = scan([str(tmp_path / "t")], Config(), production=True, jobs=1)
    two = scan([str(tmp_path / "t")], Config(), production=True, jobs=3)
    assert one.run.files_scanned == 31 and one.run.files_skipped == 1
    assert two.to_json() == one.to_json()
    assert any(f.rule == "SM001" for f in two.findings)


def test_parallel_terraform_scan_is_identical_to_sequential(tmp_path):
    spec = importlib.util.spec_from_file_location("terraform_corpus", ROOT / "bench" / "terraform_corpus.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.generate(tmp_path, 6)
    one = scan([str(tmp_path)], Config(), jobs=1)
    two = scan([str(tmp_path)], Config(), jobs=3)
    assert one.run.files_scanned > 6 and any(f.location.file.endswith(".tf") for f in one.findings)
    assert two.to_json() == one.to_json()


def test_default_jobs(monkeypatch):
    import os

    from auditor import scan as scan_module

    monkeypatch.delenv("SM_AUDIT_JOBS", raising=False)
    monkeypatch.setattr(scan_module, "_runnable_others", lambda: float("inf"))
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    monkeypatch.setattr(os, "getloadavg", lambda: (0.3, 0.3, 0.3))
    assert default_jobs(10) == 1  # too few files to repay forking
    assert default_jobs(99) == 1
    assert default_jobs(200) == 2  # two mostly idle CPUs: one worker each
    monkeypatch.setattr(os, "getloadavg", lambda: (1.5, 1.5, 1.5))
    assert default_jobs(200) == 1  # the other CPU is busy: forking would only add cost
    # the average lags a minute behind: when nothing else is runnable now, both CPUs are used
    monkeypatch.setattr(scan_module, "_runnable_others", lambda: 0)
    assert default_jobs(200) == 2
    monkeypatch.setattr(scan_module, "_runnable_others", lambda: 1)
    assert default_jobs(200) == 1
    monkeypatch.setenv("SM_AUDIT_JOBS", "3")
    assert default_jobs(10) == 3


def test_jobs_option_and_unknown_rule(tmp_path, capsys):
    _generate(tmp_path, 3)
    r = run_cli(capsys, "scan", str(tmp_path), "--jobs", "2", "-f", "json")
    assert r.code == 1 and r.doc["run"]["files_scanned"] == 3
    r = run_cli(capsys, "scan", str(tmp_path), "--rule", "SM999")
    assert r.code == 2 and "--rule SM999: no such rule" in r.err
    r = run_cli(capsys, "scan", str(tmp_path), "--jobs", "0")
    assert r.code == 2
