"""Daily-use CLI options: --skip-rule, --quiet, --format concise, --color,
configuration discovery, scan -v and the stderr summary with -o."""

from __future__ import annotations

import re

import pytest

from auditor.config import ConfigError
from auditor.runner import build_ruleset
from auditor.config import Config

from .helpers import GOOD, run_cli

ANSI = re.compile(r"\x1b\[[0-9;]*m")
CONCISE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<level>error|warning|note) "
                     r"(?P<rule>SM\d{3}) (?P<msg>.+)$")


@pytest.fixture
def tpl(tmp_path):
    f = tmp_path / "stack.yaml"
    f.write_text(GOOD)
    return f


def rules_of(doc: dict) -> set[str]:
    return {f["rule"] for f in doc["findings"]}


def rules_run(doc: dict) -> set[str]:
    return {r["id"] for r in doc["rules"]}


def test_skip_rule_by_id_and_slug_and_it_wins_over_rule(tpl, capsys):
    full = run_cli(capsys, "scan", "--production", str(tpl), "-f", "json").doc
    assert {"SM201", "SM103"} <= rules_of(full)
    no201 = run_cli(capsys, "scan", "--production", str(tpl), "-f", "json", "--skip-rule", "SM201").doc
    assert "SM201" not in rules_of(no201) and "SM201" not in {r["id"] for r in no201["rules"]}
    assert rules_of(no201) == rules_of(full) - {"SM201"}
    by_slug = run_cli(capsys, "scan", "--production", str(tpl), "-f", "json", "--skip-rule", "high-availability",
                      "--skip-rule", "sm103").doc
    assert rules_of(by_slug) == rules_of(full) - {"SM201", "SM103"}
    both = run_cli(capsys, "scan", "--production", str(tpl), "-f", "json", "--rule", "SM201", "--rule", "SM103",
                   "--skip-rule", "SM201").doc
    assert rules_of(both) == {"SM103"}


def test_unknown_skip_rule_is_a_usage_error(tpl, capsys):
    r = run_cli(capsys, "scan", "--production", str(tpl), "--skip-rule", "SM999")
    assert r.code == 2 and "--skip-rule SM999: no such rule" in r.err


def test_skip_is_applied_by_the_shared_ruleset_builder():
    ids = {r.id for r in build_ruleset(Config(), skip=["SM501", "idle-endpoint"]).rules}
    assert not {"SM501", "SM502"} & ids and "SM201" in ids
    with pytest.raises(ConfigError, match="--skip-rule NOPE"):
        build_ruleset(Config(), skip=["nope"])


def test_concise_is_one_line_per_active_finding_then_the_summary(tpl, capsys):
    doc = run_cli(capsys, "scan", "--production", str(tpl), "-f", "json").doc
    r = run_cli(capsys, "scan", "--production", str(tpl), "--format", "concise")
    lines = r.out.splitlines()
    active = [f for f in doc["findings"] if "suppression" not in f]
    assert len(lines) == len(active) + 1
    for line, f in zip(lines, active):
        m = CONCISE.match(line)
        assert m, line
        loc = f["location"]
        assert (m["path"], int(m["line"]), int(m["col"]), m["rule"]) == \
            (loc["file"], loc["line"], loc.get("column", 1), f["rule"])
        assert m["level"] == f["level"]
        assert m["msg"].endswith(f["message"])
    assert lines[-1].startswith(f"{sum(f['level'] == 'error' and f['outcome'] != 'unknown' for f in active)} "
                                "error(s)")
    assert r.code == 1
    q = run_cli(capsys, "scan", "--production", str(tpl), "--format", "concise", "--quiet")
    assert q.out.splitlines() == lines[:-1] and q.code == 1


def test_concise_line_for_a_sm201_finding_exactly(tpl, capsys):
    r = run_cli(capsys, "scan", "--production", str(tpl), "--format", "concise", "--rule", "SM201", "-q")
    assert r.out.splitlines() == [
        f"{tpl}:15:11: error SM201 variant AllTraffic runs on 1 instance(s); production needs at least 2",
    ]


def test_quiet_text_has_findings_but_no_summary(tpl, capsys):
    loud = run_cli(capsys, "scan", "--production", str(tpl)).out
    quiet = run_cli(capsys, "scan", "--production", str(tpl), "--quiet").out
    assert "error(s)," in loud.splitlines()[-1]
    assert "error(s)," not in quiet and "SM201" in quiet
    assert quiet.splitlines() == loud.splitlines()[:-1]


@pytest.mark.parametrize("mode,ansi", [("always", True), ("never", False), ("auto", False)])
def test_color_modes(tpl, capsys, monkeypatch, mode, ansi):
    monkeypatch.delenv("NO_COLOR", raising=False)
    for fmt in ("text", "concise"):
        out = run_cli(capsys, "scan", "--production", str(tpl), "-f", fmt, "--color", mode).out  # captured: not a terminal
        assert bool(ANSI.search(out)) is ansi
        assert "SM201" in ANSI.sub("", out)


def test_color_always_even_into_a_file_and_never_on_a_terminal(tpl, tmp_path, capsys, monkeypatch):
    out = tmp_path / "r.txt"
    run_cli(capsys, "scan", "--production", str(tpl), "--color", "always", "-o", str(out))
    assert ANSI.search(out.read_text())
    from auditor.cli import common

    monkeypatch.setattr(common.sys.stdout, "isatty", lambda: True, raising=False)
    assert common.use_color(None, "never") is False
    assert common.use_color(None, "auto") is True
    monkeypatch.setenv("NO_COLOR", "1")
    assert common.use_color(None, "auto") is False and common.use_color(None, "always") is True


def test_bad_color_value_is_a_usage_error(tpl, capsys):
    r = run_cli(capsys, "scan", "--production", str(tpl), "--color", "sometimes")
    assert r.code == 2 and "--color" in r.err


def _repo(tmp_path):
    """repo/.git, repo/.sm-audit.yaml (SM201 off), repo/team/.sm-audit.yaml (SM103 off),
    and a config above the repository that must never be read."""
    (tmp_path / ".sm-audit.yaml").write_text("rules: {SM501: {enabled: false}}\n")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / ".sm-audit.yaml").write_text("rules: {SM201: {enabled: false}}\n")
    team = repo / "team"
    (team / "deep").mkdir(parents=True)
    (team / ".sm-audit.yaml").write_text("rules: {SM103: {enabled: false}}\n")
    (repo / "a.yaml").write_text(GOOD)
    (team / "deep" / "b.yaml").write_text(GOOD)
    return repo


def test_config_is_found_upward_from_each_path_nearer_wins(tmp_path, capsys, monkeypatch):
    repo = _repo(tmp_path)
    monkeypatch.chdir(tmp_path)
    a = run_cli(capsys, "scan", "repo/a.yaml", "-f", "json").doc
    assert "SM201" not in rules_run(a) and {"SM103", "SM501"} <= rules_run(a)
    assert a["run"]["configs"] == ["repo/.sm-audit.yaml"]
    b = run_cli(capsys, "scan", "repo/team/deep/b.yaml", "-f", "json").doc
    assert "SM103" not in rules_run(b) and {"SM201", "SM501"} <= rules_run(b)
    assert b["run"]["configs"] == ["repo/team/.sm-audit.yaml"]
    text = run_cli(capsys, "scan", "repo/team/deep").out
    assert text.splitlines()[-1].endswith("; config: repo/team/.sm-audit.yaml")
    both = run_cli(capsys, "scan", "repo/a.yaml", "repo/team/deep/b.yaml", "-f", "json").doc
    assert both["run"]["configs"] == ["repo/.sm-audit.yaml", "repo/team/.sm-audit.yaml"]
    assert both["run"]["files_scanned"] == 2
    per_file = {(f["location"]["file"], f["rule"]) for f in both["findings"]}
    assert ("repo/a.yaml", "SM103") in per_file and ("repo/team/deep/b.yaml", "SM103") not in per_file
    forced = run_cli(capsys, "scan", "repo/team/deep/b.yaml", "-f", "json", "--config",
                     str(repo / ".sm-audit.yaml")).doc
    assert "SM201" not in rules_run(forced) and "SM103" in rules_run(forced)
    assert forced["run"]["configs"] == [str(repo / ".sm-audit.yaml")]


def test_search_stops_at_the_repository_root(tmp_path, capsys, monkeypatch):
    repo = _repo(tmp_path)
    (repo / ".sm-audit.yaml").unlink()
    monkeypatch.chdir(repo)
    doc = run_cli(capsys, "scan", "a.yaml", "-f", "json").doc
    assert "SM501" in rules_run(doc)  # the file above .git was not read
    assert doc["run"]["configs"] == []
    assert "config:" not in run_cli(capsys, "scan", "a.yaml").out


def test_a_path_without_its_own_config_uses_the_working_directorys(tmp_path, capsys, monkeypatch):
    repo = _repo(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / ".git").mkdir(parents=True)
    (elsewhere / "c.yaml").write_text(GOOD)
    monkeypatch.chdir(repo / "team" / "deep")
    doc = run_cli(capsys, "scan", str(elsewhere / "c.yaml"), "-f", "json").doc
    assert doc["run"]["configs"] == [str(repo / "team" / ".sm-audit.yaml")]  # above the cwd: absolute
    assert "SM103" not in rules_run(doc)


def test_report_and_audit_style_commands_find_config_from_the_working_directory(tmp_path, capsys, monkeypatch):
    repo = _repo(tmp_path)
    monkeypatch.chdir(repo / "team" / "deep")
    saved = run_cli(capsys, "scan", "b.yaml", "-f", "json", "--fail-on", "never")
    (repo / "r.json").write_text(saved.out)
    (repo / "team" / ".sm-audit.yaml").write_text("fail_on: never\n")
    assert run_cli(capsys, "report", str(repo / "r.json")).code == 0
    (repo / "team" / ".sm-audit.yaml").write_text("fail_on: error\n")
    assert run_cli(capsys, "report", str(repo / "r.json")).code == 1


def test_verbose_lists_skipped_files_and_why(tmp_path, capsys):
    (tmp_path / "stack.yaml").write_text(GOOD)
    (tmp_path / "values.yaml").write_text("replicas: 3\n")
    (tmp_path / "list.json").write_text('{"kind": "Pod", "spec": {"Containers": []}}\n')
    r = run_cli(capsys, "scan", str(tmp_path), "-v", "-f", "json")
    lines = [l for l in r.err.splitlines() if l.startswith("skipped ")]
    assert lines == [
        f"skipped {tmp_path}/list.json: parsed, but it is no template (no Resources mapping), "
        "API request file or snapshot",
        f"skipped {tmp_path}/values.yaml: names no template section (Resources, AWSTemplateFormatVersion, "
        "ProductionVariants, PrimaryContainer, ...)",
    ]
    assert r.doc["run"]["skipped"] == [{"file": f"{tmp_path}/list.json", "reason": lines[0].split(": ", 1)[1]},
                                       {"file": f"{tmp_path}/values.yaml", "reason": lines[1].split(": ", 1)[1]}]
    assert "skipped" not in run_cli(capsys, "scan", str(tmp_path), "-f", "json").err


def test_output_file_still_prints_one_summary_line(tpl, tmp_path, capsys):
    out = tmp_path / "r.sarif"
    r = run_cli(capsys, "scan", "--production", str(tpl), "-f", "sarif", "-o", str(out))
    assert r.out == ""
    assert r.err.count("\n") == 1
    assert re.fullmatch(r"\d+ error\(s\), \d+ warning\(s\), \d+ note\(s\), \d+ unknown, \d+ suppressed in 1 "
                        rf"file\(s\); report written to {re.escape(str(out))}\n", r.err), r.err
    q = run_cli(capsys, "scan", "--production", str(tpl), "-f", "sarif", "-o", str(out), "--quiet")
    assert q.err == "" and q.code == r.code == 1
    saved = tmp_path / "r.json"
    run_cli(capsys, "scan", "--production", str(tpl), "-f", "json", "-o", str(saved))
    rep = run_cli(capsys, "report", str(saved), "-f", "html", "-o", str(tmp_path / "r.html"))
    assert rep.err.endswith(f"report written to {tmp_path / 'r.html'}\n") and rep.err.count("\n") == 1
