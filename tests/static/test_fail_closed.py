"""Issue 13, static side: every hostile input is an SM001 finding about its
file (or a usage error for the configuration), the other files are still
scanned, and nothing ends in an internal error (exit 3)."""

from __future__ import annotations

import json
import os
import sys

import pytest

from auditor.loaders.marked import MAX_INT_DIGITS

from .helpers import GOOD, by_rule, run_cli, run_proc

FORMATS = ("text", "json", "sarif", "html", "junit", "markdown")


def _scan(capsys, tmp_path, name: str, content: str | bytes, *extra: str):
    f = tmp_path / name
    f.write_bytes(content if isinstance(content, bytes) else content.encode())
    (tmp_path / "good.yaml").write_text(GOOD)
    return run_cli(capsys, "scan", str(f), str(tmp_path / "good.yaml"), "--production", "-f", "json", *extra)


def _good_still_scanned(doc: dict) -> None:
    assert [x["location"]["line"] for x in by_rule(doc, "SM201")
            if x["location"]["file"].endswith("good.yaml") and x["resource"]["id"] == "Config"] == [15]


# -- item 9: integer literals past Python's int-string limit -----------------------------------------

@pytest.mark.parametrize("digits", [MAX_INT_DIGITS + 1, 5000, 20000])
@pytest.mark.parametrize("name,template,line", [
    ("t.yaml", GOOD.replace("InitialInstanceCount: 1", "InitialInstanceCount: {n}"), 15),
    ("neg.yaml", GOOD.replace("InitialInstanceCount: 1", "InitialInstanceCount: -{n}"), 15),
    ("t.json", '{{"Resources": {{"M": {{"Type": "AWS::SageMaker::Model",\n "Properties": {{"X": {n}}}}}}}}}', 2),
    ("neg.json", '{{"Resources": {{"M": {{"Type": "AWS::SageMaker::Model",\n "Properties": {{"X": -{n}}}}}}}}}', 2),
    ("t.template", '{{"Resources": {{"M": {{"Type": "AWS::SageMaker::Model",\n "Properties": [{n}]}}}}}}', 2),
])
def test_huge_integer_literal_is_an_input_finding(tmp_path, capsys, digits, name, template, line):
    r = _scan(capsys, tmp_path, name, template.format(n="7" * digits))
    assert r.code == 1 and "internal error" not in r.err
    (f,) = by_rule(r.doc, "SM001")
    assert f["location"]["file"].endswith(name) and f["location"]["line"] == line
    assert f"integer literal with {digits:,} digits" in f["message"]
    _good_still_scanned(r.doc)


def test_integer_at_the_limit_still_loads(tmp_path, capsys):
    r = _scan(capsys, tmp_path, "t.yaml", GOOD.replace("InitialInstanceCount: 1",
                                                       f"InitialInstanceCount: {'1' * MAX_INT_DIGITS}"))
    assert by_rule(r.doc, "SM001") == []


def test_huge_integer_in_config_is_a_usage_error(tmp_path, capsys):
    (tmp_path / "good.yaml").write_text(GOOD)
    cfg = tmp_path / "c.yaml"
    cfg.write_text("rules:\n  SM201:\n    params:\n      min_instances: " + "9" * 5000 + "\n")
    r = run_cli(capsys, "scan", str(tmp_path / "good.yaml"), "--config", str(cfg))
    assert r.code == 2
    assert f"{cfg}:4: integer literal with 5,000 digits" in r.err and "internal error" not in r.err


# -- item 10: unpaired UTF-16 surrogates ------------------------------------------------------------

LONE = {
    "key.json": ('{"Resources": {"M\\ud800": {"Type": "AWS::SageMaker::Model"}}}', (1, 18)),
    "value.json": ('{"Resources": {"M": {"Type": "AWS::SageMaker::Model",\n'
                   ' "Properties": {"PrimaryContainer": {"Image": "x\\udfff:1"}}}}}', (2, 49)),
    "dangling-high.json": ('{"Resources": {"M": {"Type": "AWS::SageMaker::Model",\n'
                           ' "Properties": {"ExecutionRoleArn": "\\ud83d\\ude00 \\uD83D"}}}}', (2, 51)),
    "low-first.json": ('{"Resources": {"M": {"Type": "AWS::SageMaker::Model",\n'
                       ' "Metadata": {"a": "\\ude00\\ud83d"}}}}', (2, 21)),
}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", sorted(LONE))
def test_unpaired_surrogate_is_an_input_finding_in_every_format(tmp_path, capsys, name, fmt):
    text, where = LONE[name]
    (tmp_path / name).write_text(text)
    (tmp_path / "good.yaml").write_text(GOOD)
    r = run_cli(capsys, "scan", str(tmp_path / name), str(tmp_path / "good.yaml"), "--production", "-f", fmt)
    assert r.code == 1 and r.err == ""
    assert "unpaired UTF-16 surrogate" in r.out
    if fmt == "json":
        (f,) = by_rule(r.doc, "SM001")
        assert (f["location"]["line"], f["location"]["column"]) == where
        _good_still_scanned(r.doc)


def test_surrogate_pairs_are_text(tmp_path, capsys):
    r = _scan(capsys, tmp_path, "pair.json",
              '{"Resources": {"M\\ud83d\\ude00": {"Type": "AWS::SageMaker::Model"}}}')
    assert by_rule(r.doc, "SM001") == []
    assert any(f["resource"]["id"] == "M\U0001F600" for f in by_rule(r.doc, "SM401"))


@pytest.mark.skipif(sys.platform != "linux", reason="file names that are not UTF-8 need a POSIX file system")
@pytest.mark.parametrize("fmt", FORMATS)
def test_undecodable_file_name_in_every_format(tmp_path, fmt):
    # os.listdir turns the byte 0xff into a lone surrogate: outputs must still encode it
    (tmp_path / "good.yaml").write_text(GOOD)
    with open(os.path.join(os.fsencode(tmp_path), b"bad\xff.yaml"), "w") as fh:
        fh.write("Resources: [\n")
    r = run_proc("scan", str(tmp_path), "-f", fmt, "--fail-on", "never")
    assert r.code == 0 and "Traceback" not in r.err and "internal error" not in r.err, r.err
    assert "xff.yaml" in r.out and "SM001" in r.out  # shown as bad\xff.yaml (escaped as each format needs)


# -- item 11: long Condition chains -----------------------------------------------------------------

def _chain(n: int, cycle: bool = False) -> str:
    lines = ["AWSTemplateFormatVersion: '2010-09-09'", "Parameters:", "  Env:", "    Type: String",
             "    Default: prod", "Conditions:",
             f"  C0: !Condition C{n - 1}" if cycle else "  C0: !Equals [!Ref Env, prod]"]
    lines += [f"  C{i}: !Condition C{i - 1}" for i in range(1, n)]
    lines += [f"  Top: !And [!Condition C{n - 1}, !Condition C{n // 2}]"]
    lines += GOOD.split("\n", 1)[1].replace("  Config:\n", "  Config:\n    Condition: Top\n").splitlines()
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("n", [60, 500, 3000])
def test_long_condition_chain_is_evaluated(tmp_path, capsys, n):
    r = _scan(capsys, tmp_path, "chain.yaml", _chain(n))
    assert r.code == 1 and "internal error" not in r.err
    assert by_rule(r.doc, "SM001") == []
    # Env defaults to prod: the whole chain is true and the config exists, unconditionally
    (f,) = [x for x in by_rule(r.doc, "SM201") if x["location"]["file"].endswith("chain.yaml")
            and x["resource"]["id"] == "Config"]
    assert "1 instance(s)" in f["message"] and "condition" not in f["message"]


@pytest.mark.parametrize("n", [3, 500])
def test_condition_cycle_is_unknown_not_a_crash(tmp_path, capsys, n):
    r = _scan(capsys, tmp_path, "cycle.yaml", _chain(n, cycle=True))
    assert "internal error" not in r.err
    (f,) = [x for x in by_rule(r.doc, "SM201") if x["location"]["file"].endswith("cycle.yaml")
            and x["resource"]["id"] == "Config"]
    assert "only when condition Top is true" in f["message"]


# -- item 19: -o FILE is replaced whole or not at all -----------------------------------------------

def test_output_file_survives_a_crash_while_writing(tmp_path, capsys, monkeypatch):
    (tmp_path / "good.yaml").write_text(GOOD)
    out = tmp_path / "report.json"
    out.write_text("previous report\n")
    os.chmod(out, 0o640)
    real_fdopen = os.fdopen

    class Boom:
        def __init__(self, fh):
            self.fh = fh

        def __enter__(self):
            return self

        def __exit__(self, *a):
            self.fh.close()

        def write(self, data):
            self.fh.write(data[:10])
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fdopen", lambda fd, mode: Boom(real_fdopen(fd, mode)))
    r = run_cli(capsys, "scan", str(tmp_path / "good.yaml"), "-f", "json", "-o", str(out))
    assert r.code == 3
    assert out.read_text() == "previous report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.yaml", "report.json"]  # no temp file left
    monkeypatch.setattr(os, "fdopen", real_fdopen)
    r = run_cli(capsys, "scan", str(tmp_path / "good.yaml"), "-f", "json", "-o", str(out))
    assert json.loads(out.read_text())["run"]["command"] == "scan"
    assert os.stat(out).st_mode & 0o777 == 0o640  # the file keeps its permissions


def test_output_through_a_symlink_replaces_the_target(tmp_path, capsys):
    (tmp_path / "good.yaml").write_text(GOOD)
    (tmp_path / "real.txt").write_text("old")
    (tmp_path / "link.txt").symlink_to(tmp_path / "real.txt")
    run_cli(capsys, "scan", str(tmp_path / "good.yaml"), "-o", str(tmp_path / "link.txt"))
    assert (tmp_path / "link.txt").is_symlink()
    assert "good.yaml" in (tmp_path / "real.txt").read_text()
