"""``sm-audit report`` (render, merge, baseline, exit codes) and ``sm-audit
rules`` (list, json, explain), run as the user runs them."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from .samples import HOSTILE, live_doc

ROOT = Path(__file__).resolve().parents[2]

ONE_INSTANCE = """\
Resources:
  Config:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      Tags: [{Key: Environment, Value: prod}]
      ProductionVariants:
        - VariantName: AllTraffic
          ModelName: some-model
          InitialInstanceCount: %s
          InstanceType: ml.m5.large
"""


def sm(*args, cwd=None) -> subprocess.CompletedProcess:
    """The command line run in this process, from ``cwd``: the same parsing,
    output and exit code as ``python -m auditor`` without a second or so of
    interpreter start-up per call (test_the_command_runs_as_a_process runs
    it as a process)."""
    from auditor.cli import main

    out, err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8"), io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    with contextlib.chdir(cwd or ROOT), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    text = []
    for stream in (out, err):
        stream.flush()
        text.append(stream.buffer.getvalue().decode("utf-8"))
    return subprocess.CompletedProcess(args, code, *text)


def test_the_command_runs_as_a_process(tmp_path):
    results = tmp_path / "live.json"
    results.write_text(live_doc().to_json())
    proc = [sys.executable, "-m", "auditor"]
    r = subprocess.run([*proc, "report", results, "--format", "markdown"], capture_output=True, text=True,
                       cwd=tmp_path, timeout=120)
    assert r.returncode == 1 and "fraud-prod" in r.stdout and r.stderr == "", r.stderr
    r = subprocess.run([*proc, "rules", "explain", "SM999"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "no such rule 'SM999'" in r.stderr and "Traceback" not in r.stderr


def save_scan(tmp_path: Path, name: str, files: dict[str, str]) -> Path:
    d = tmp_path / name
    d.mkdir()
    for fname, text in files.items():
        (d / fname).write_text(text)
    out = tmp_path / f"{name}.json"
    r = sm("scan", d, "--rule", "SM201", "--format", "json", "--output", out, "--fail-on", "never", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    return out


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "html", "junit", "markdown"])
def test_report_renders_every_format(tmp_path, fmt, sarif_schema):
    results = tmp_path / "live.json"
    results.write_text(live_doc().to_json())
    out = tmp_path / f"out.{fmt}"
    r = sm("report", results, "--format", fmt, "--output", out, "--repo-root", tmp_path)
    assert r.returncode == 1, r.stderr  # an unsuppressed error finding
    text = out.read_text()
    if fmt == "sarif":
        jsonschema.validate(json.loads(text), sarif_schema)
    elif fmt == "json":
        assert json.loads(text)["findings"] == json.loads(results.read_text())["findings"]
    elif fmt == "junit":
        assert ET.fromstring(text).get("tests") == "5"  # 4 evaluations + the rule pack that failed to load
    elif fmt == "html":
        assert text.startswith("<!DOCTYPE html>")
    else:
        assert "fraud-prod" in text


def test_report_merges_shards(tmp_path):
    a = save_scan(tmp_path, "a", {"one.yaml": ONE_INSTANCE % 1})
    b = save_scan(tmp_path, "b", {"two.yaml": ONE_INSTANCE % 1, "ok.yaml": ONE_INSTANCE % 3})
    out = tmp_path / "merged.json"
    r = sm("report", a, b, a, "--format", "json", "--output", out, cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    doc = json.loads(out.read_text())
    fails = sorted(f["location"]["file"] for f in doc["findings"] if f["outcome"] == "fail")
    assert fails == ["a/one.yaml", "b/two.yaml"]  # a.json given twice, counted once
    single = json.loads(a.read_text())["findings"] + json.loads(b.read_text())["findings"]
    assert len(doc["findings"]) == len(single)
    # a.json twice covers one.yaml once: 3 files (ok.yaml, one.yaml, two.yaml)
    assert doc["run"]["files_scanned"] == 3 and len(doc["evaluations"]) == 3


def test_report_baseline_gates_only_new_and_lists_fixed(tmp_path):
    work = tmp_path / "w"
    work.mkdir()
    (work / "keep.yaml").write_text(ONE_INSTANCE % 1)
    (work / "fixme.yaml").write_text(ONE_INSTANCE % 1)
    old = tmp_path / "old.json"
    assert sm("scan", "w", "--rule", "SM201", "-f", "json", "-o", old, "--fail-on", "never", cwd=tmp_path).returncode == 0
    # keep.yaml's finding moves down three lines (the same finding); fixme.yaml is fixed; new.yaml is new
    (work / "keep.yaml").write_text("# moved\n\n\n" + ONE_INSTANCE % 1)
    (work / "fixme.yaml").write_text(ONE_INSTANCE % 2)
    (work / "new.yaml").write_text(ONE_INSTANCE % 1)
    new = tmp_path / "new.json"
    assert sm("scan", "w", "--rule", "SM201", "-f", "json", "-o", new, "--fail-on", "never", cwd=tmp_path).returncode == 0
    j = tmp_path / "new-only.json"
    assert sm("report", new, "--baseline", old, "--format", "json", "-o", j, cwd=tmp_path).returncode == 1
    only_new = json.loads(j.read_text())["findings"]
    assert {f["location"]["file"] for f in only_new} == {"w/new.yaml"}
    assert [f["outcome"] for f in only_new].count("fail") == 1
    r = sm("report", new, "--baseline", old, "--format", "markdown", cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    total = len(json.loads(new.read_text())["findings"])
    assert f"**{len(only_new)}** new, {total - len(only_new)} unchanged, **1** fixed" in r.stdout
    shown, fixed = r.stdout.split("fixed since the baseline")
    assert "w/new.yaml" in shown and "w/keep.yaml" not in shown
    assert "runs on 1 instance(s)" in fixed
    # nothing new: exit 0 even though old findings remain
    r = sm("report", new, "--baseline", new, "--format", "text", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith(f"compared with {new}: 0 new, {total} unchanged (not shown), 0 fixed\n")
    r = sm("report", new, "--baseline", old, "--format", "text", cwd=tmp_path)
    assert "  fixed: SM201 Config w/fixme.yaml:9:11: variant AllTraffic runs on 1 instance(s)" in r.stdout


@pytest.mark.parametrize("content, message", [
    (None, "cannot read results"),
    ("{not json", "not a JSON results file"),
    ('{"version": "2.1.0", "runs": []}', "looks like SARIF"),
    ('{"run": {"command": 3}}', "invalid results document at run.command"),
])
def test_report_bad_input_is_a_usage_error(tmp_path, content, message):
    p = tmp_path / "r.json"
    if content is not None:
        p.write_text(content)
    r = sm("report", p)
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr


def test_report_fail_on_threshold(tmp_path):
    results = tmp_path / "live.json"
    results.write_text(live_doc().to_json())
    assert sm("report", results, "--fail-on", "never").returncode == 0
    assert sm("report", results, "--fail-on", "error").returncode == 1


def test_rules_list_and_json():
    r = sm("rules")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["ID", "SLUG", "LEVEL", "SCOPE", "TITLE"]
    sm201 = next(x for x in lines if x.startswith("SM201"))
    assert sm201.split()[:4] == ["SM201", "high-availability", "error", "static,live"]
    data = json.loads(sm("rules", "--format", "json").stdout)
    ids = [d["id"] for d in data]
    assert ids == sorted(ids) and {"SM000", "SM001", "SM201"} <= set(ids)
    d = next(x for x in data if x["id"] == "SM201")
    assert d["params"]["min_instances"] == 2
    assert d["enabled"] is True and d["doc"]["why"]


def test_rules_reflect_configuration(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("rules:\n  SM201:\n    severity: warning\n    params: {min_instances: 3}\n")
    d = next(x for x in json.loads(sm("rules", "--format", "json", "--config", cfg).stdout) if x["id"] == "SM201")
    assert d["level"] == "warning" and d["params"]["min_instances"] == 3
    r = sm("rules", "explain", "SM201", "--config", cfg)
    assert "min_instances = 3   (default 2)" in r.stdout


def test_rules_explain():
    r = sm("rules", "explain", "SM201")
    assert r.returncode == 0, r.stderr
    for part in ("SM201 high-availability", "POLICY", "Production endpoints must use multiple instances",
                 "WHAT IT CHECKS", "WHY", "EXAMPLE", "FIX", "PARAMETERS", "min_instances = 2"):
        assert part in r.stdout
    assert sm("rules", "explain", "high-availability").stdout == r.stdout
    md = sm("rules", "explain", "SM201", "--format", "markdown").stdout
    page = (ROOT / "docs" / "rules" / "SM201.md").read_text()  # the committed page adds its generator note
    assert page.startswith("<!-- Generated by") and page.split("\n", 2)[2] == md
    bad = sm("rules", "explain", "SM999")
    assert bad.returncode == 2 and "no such rule 'SM999'" in bad.stderr


def test_scan_sarif_output_is_repo_relative(tmp_path, sarif_schema):
    """`scan --format sarif` from inside a git repository: URIs relative to its top level."""
    repo = tmp_path / "repo"
    (repo / "infra").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "infra" / "t.yaml").write_text(HOSTILE)
    r = sm("scan", "t.yaml", "--format", "sarif", cwd=repo / "infra")
    assert r.returncode == 1, r.stderr
    sarif = json.loads(r.stdout)
    jsonschema.validate(sarif, sarif_schema)
    uris = {x["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for x in sarif["runs"][0]["results"]}
    assert uris == {"infra/t.yaml"}
