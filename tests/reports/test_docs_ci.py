"""Generated rule pages are current; the pre-commit hooks and the example
workflow are well-formed and do what the README says."""

from __future__ import annotations

import json

import filecmp
import re
from pathlib import Path

import pytest
import yaml

from auditor import docs

ROOT = Path(__file__).resolve().parents[2]
RULE_DOCS = ROOT / "docs" / "rules"


def test_rule_pages_are_current(tmp_path):
    written = docs.write(str(tmp_path))
    committed = sorted(p.name for p in RULE_DOCS.glob("*.md"))
    _, mismatch, errors = filecmp.cmpfiles(tmp_path, RULE_DOCS, written, shallow=False)
    stale = sorted(set(mismatch) | set(errors) | (set(committed) ^ set(written)))
    assert not stale, (f"docs/rules is stale ({', '.join(stale)}): run `python -m auditor.docs` "
                       "and commit docs/rules/")
    assert docs.main(["--check", "--out", str(RULE_DOCS)]) == 0


def test_stale_check_notices_a_change(tmp_path, capsys):
    docs.write(str(tmp_path))
    page = tmp_path / "SM201.md"
    page.write_text(page.read_text().replace("at least", "at most"))
    (tmp_path / "SM999.md").write_text("a rule that no longer exists\n")
    assert docs.stale(str(tmp_path)) == ["SM201.md", "SM999.md"]
    assert docs.main(["--check", "--out", str(tmp_path)]) == 1
    assert "python -m auditor.docs" in capsys.readouterr().err


def test_rule_pages_come_from_the_docstrings():
    from auditor import registry

    reg = registry.load(plugins=False)
    index = (RULE_DOCS / "README.md").read_text()
    for cls in reg.ordered():
        page = (RULE_DOCS / f"{cls.id}.md").read_text()
        d = cls.doc()
        assert f"# {cls.id} {cls.slug}" in page and f"> {cls.policy}" in page
        for key, title in docs.SECTIONS:
            body = getattr(d, key)
            if body:
                assert f"## {title}\n\n{body}\n" in page, (cls.id, key)
        for name in cls.Params.model_fields:
            assert f"| `{name}` |" in page
        assert f"[{cls.id}]({cls.id}.md)" in index
    for engine in ("SM000", "SM001"):
        assert (RULE_DOCS / f"{engine}.md").exists()


def test_pre_commit_hooks():
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    by_id = {h["id"]: h for h in hooks}
    assert set(by_id) == {"sm-audit", "sm-audit-files"}
    for h in hooks:
        assert h["entry"] == "sm-audit scan" and h["language"] == "python" and h["name"]
        assert re.search(h["files"], "infra/endpoint.yaml") and re.search(h["files"], "stack.template")
        assert not re.search(h["files"], "README.md")
    assert by_id["sm-audit"]["pass_filenames"] is False and by_id["sm-audit"]["args"] == ["."]
    assert by_id["sm-audit-files"]["pass_filenames"] is True
    # the entry point exists as the console script pre-commit installs
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["sm-audit"] == "auditor.cli:main"


def test_pre_commit_directory_hook_skips_other_yaml(tmp_path):
    """What the `sm-audit` hook runs: a directory scan passes on a repo full of non-template YAML."""
    import subprocess
    import sys

    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "ci.yml").write_text("on: push\njobs: {}\n")
    (tmp_path / "config.yaml").write_text("a: 1\n")
    (tmp_path / "package.json").write_text('{"name": "x"}\n')
    r = subprocess.run([sys.executable, "-m", "auditor", "scan", "."], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_example_workflow():
    wf = yaml.safe_load((ROOT / "examples" / "github-actions" / "sm-audit.yml").read_text())
    on = wf.get("on", wf.get(True))  # PyYAML reads the bare key `on` as True
    assert "pull_request" in on and "push" in on
    job = wf["jobs"]["scan"]
    assert job["permissions"]["security-events"] == "write"
    steps = job["steps"]
    uses = [s.get("uses", "") for s in steps]
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    assert upload["with"]["sarif_file"] == "sm-audit.sarif" and upload["if"] == "always()"
    assert any(u.startswith("actions/checkout@") for u in uses)
    runs = "\n".join(s.get("run", "") for s in steps)
    assert "--format sarif --output sm-audit.sarif" in runs
    assert "$GITHUB_STEP_SUMMARY" in runs
    # the SARIF is produced before it is uploaded, and the gate comes last
    names = [s.get("name", "") for s in steps]
    assert names.index("Reports") < names.index("Upload SARIF to code scanning") < names.index("Gate")
    assert "sm-audit report sm-audit.json --format text --fail-on error" in steps[-1]["run"]


def test_example_workflow_is_valid_pinned_bounded_and_installs_from_the_repository():
    """Validated with the GitHub workflow schema that check-jsonschema (a test
    dependency from PyPI) vendors: nothing is downloaded at run time."""
    from importlib.resources import files

    import jsonschema

    schemas = files("check_jsonschema") / "builtin_schemas"
    workflow_schema = json.loads((schemas / "vendor" / "github-workflows.json").read_text())
    timeout_schema = json.loads((schemas / "custom" / "github-workflows-require-timeout.json").read_text())
    wf = yaml.safe_load((ROOT / "examples" / "github-actions" / "sm-audit.yml").read_text())
    wf["on"] = wf.pop(True, wf.get("on"))  # PyYAML reads the bare key `on` as True; GitHub does not
    jsonschema.validate(wf, workflow_schema)
    jsonschema.validate(wf, timeout_schema)  # every job sets timeout-minutes
    for name, job in wf["jobs"].items():
        assert 0 < job["timeout-minutes"] <= 30, name
        for step in job["steps"]:
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
    text = (ROOT / "examples" / "github-actions" / "sm-audit.yml").read_text()
    for line in text.splitlines():
        if "uses:" in line:
            assert re.search(r"@[0-9a-f]{40}\s+# v\d+\.\d+\.\d+$", line), line  # the tag, for people
    install = next(s["run"] for s in wf["jobs"]["scan"]["steps"] if s.get("name") == "Install sm-audit")
    assert install == 'pip install "sm-audit @ git+https://github.com/sm-audit/sm-audit@${SM_AUDIT_REF}"'
    assert re.fullmatch(r"v\d+\.\d+\.\d+", wf["env"]["SM_AUDIT_REF"])
    broken = dict(wf, jobs={"scan": {k: v for k, v in wf["jobs"]["scan"].items() if k != "timeout-minutes"}})
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, timeout_schema)


def test_readme_documents_reports_and_ci():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Reports and CI integration", 1)[1]
    for part in ("pre-commit", "upload-sarif", "--baseline",
                 "examples/github-actions/sm-audit.yml", "python -m auditor.docs", "sm-audit rules explain"):
        assert part in section, part
