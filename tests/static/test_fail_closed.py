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

FORMATS = ("text", "json", "sarif", "html", "junit", "markdown", "concise")


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
def test_undecodable_file_name_in_every_format(tmp_path, capsys, fmt):
    # os.listdir turns the byte 0xff into a lone surrogate: outputs must still encode it. The
    # captured stdout encodes strictly as UTF-8, as a process's does; "text" runs as a process too
    (tmp_path / "good.yaml").write_text(GOOD)
    with open(os.path.join(os.fsencode(tmp_path), b"bad\xff.yaml"), "w") as fh:
        fh.write("Resources: [\n")
    args = ("scan", str(tmp_path), "-f", fmt, "--fail-on", "never")
    for r in [run_cli(capsys, *args)] + ([run_proc(*args)] if fmt == "text" else []):
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


# -- item 15: control characters and bidi overrides from templates never reach the reader raw -----

HOSTILE = {
    "clear": "\x1b[2J\x1b[H",
    "osc8": "\x1b]8;;https://evil.example\x07click\x1b]8;;\x07",
    "colour": "\x1b[32m\u2714 all checks passed\x1b[0m",
    "bel": "\x07",
    "c1-csi": "\x9b2J",
    "rlo": "\u202egpj.exe",
    "isolate": "\u2066x\u2069",
    "newline": "\n  \u2714 0 error(s)",
    "cr": "\rAll good",
    "nel": "\x85",
    "del": "\x7f",
    "line-sep": "\u2028",
}
_UNSAFE = [chr(c) for c in [*range(0x20), *range(0x7f, 0xa0)]] + \
    ["\u061c", "\u200e", "\u200f", "\u2028", "\u2029", *map(chr, range(0x202a, 0x202f)), *map(chr, range(0x2066, 0x206a))]


def _hostile_template(s: str) -> str:
    return json.dumps({"Resources": {"Model" + s: {"Type": "AWS::SageMaker::Model", "Properties": {
        "ExecutionRoleArn": "arn:aws:iam::111111111111:role/sm",
        "PrimaryContainer": {"Image": "evil" + s + ":latest"}}}}})


@pytest.mark.parametrize("fmt", ["text", "markdown", "concise"])
@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_control_characters_are_escaped_in_text_and_markdown(tmp_path, capsys, kind, fmt):
    s = HOSTILE[kind]
    (tmp_path / "t.json").write_text(_hostile_template(s))
    r = run_cli(capsys, "scan", str(tmp_path / "t.json"), "-f", fmt)
    assert r.code == 1
    body = r.out[:-1]  # the output's own last line break
    lines = body.split("\n")
    for c in _UNSAFE:
        if c == "\n":
            continue
        assert c not in body, (kind, repr(c))
    # the escape is shown where the character was
    shown = "".join(f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}" for c in s[:1])
    assert shown in body or shown.replace("\\", "\\\\") in body
    # a data line break never starts a line of its own
    assert not any(line.lstrip().startswith("\u2714") for line in lines)


def test_text_colour_codes_are_only_ours(tmp_path, capsys):
    from reports import render
    from reports.text import COLORS, DIM, BOLD, RESET

    (tmp_path / "t.json").write_text(_hostile_template(HOSTILE["colour"]))
    r = run_cli(capsys, "scan", str(tmp_path / "t.json"), "-f", "json")
    from auditor.models.findings import ResultDocument

    out = render(ResultDocument.model_validate(r.doc), "text", color=True)
    for code in [*COLORS.values(), DIM, BOLD, RESET]:
        out = out.replace(code, "")
    assert "\x1b" not in out and "\\x1b[32m" in out


# -- item 19: a carriage return in a file name cannot break a Markdown table ----------------------

@pytest.mark.skipif(sys.platform == "win32", reason="file names with control characters")
@pytest.mark.parametrize("sep", ["\r", "\n", "\r\n", "\x0b", "\x0c", "\x85", "\u2028"])
def test_line_breaks_in_file_names_stay_in_their_markdown_cell(tmp_path, capsys, sep):
    bad = tmp_path / f"a{sep}| injected | row |.yaml"
    bad.write_text("Resources: [\n")
    r = run_cli(capsys, "scan", str(tmp_path), "-f", "markdown")
    assert r.code == 1
    rows = [line for line in r.out.split("\n") if "error | SM001" in line]
    assert len(rows) == 1 and rows[0].startswith("|") and rows[0].endswith("|")
    assert "\r" not in r.out and sep not in r.out.replace("\n", "")
    assert "injected" in rows[0]


# -- item 4: a directory that cannot be listed -------------------------------------------------------

def test_unlistable_subdirectory_is_an_input_finding(tmp_path, capsys, monkeypatch):
    (tmp_path / "good.yaml").write_text(GOOD)
    locked = tmp_path / "locked"
    (locked / "inner").mkdir(parents=True)
    (locked / "inner" / "t.yaml").write_text(GOOD)
    real = os.scandir

    def scandir(path="."):
        if os.fspath(path) == str(locked):  # what chmod 000 does for anyone but root
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    r = run_cli(capsys, "scan", str(tmp_path), "--production", "-f", "json")
    assert r.code == 1
    (f,) = by_rule(r.doc, "SM001")
    assert f["location"]["file"].endswith("locked") and f["message"] == "cannot list directory: Permission denied"
    _good_still_scanned(r.doc)
    assert r.doc["run"]["files_scanned"] == 1


# -- item 7: FIFOs and devices are never read --------------------------------------------------------

@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_in_directory_and_named_is_not_read(tmp_path):
    (tmp_path / "good.yaml").write_text(GOOD)
    os.mkfifo(tmp_path / "pipe.yaml")
    r = run_proc("scan", str(tmp_path), str(tmp_path / "pipe.yaml"), "/dev/zero", "--production", "-f", "json",
                 timeout=60)
    assert r.code == 1, r.err
    found = sorted((f["location"]["file"].rsplit("/", 1)[-1], f["message"]) for f in by_rule(r.doc, "SM001"))
    assert found == [("pipe.yaml", "cannot read file: not a regular file (a FIFO)"),
                     ("zero", "cannot read file: not a regular file (a character device)")]
    _good_still_scanned(r.doc)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.parametrize("what", ["fifo", "/dev/zero", "big", "default-fifo"])
def test_config_that_is_not_a_small_regular_file_is_a_usage_error(tmp_path, what):
    (tmp_path / "good.yaml").write_text(GOOD)
    args = ["scan", "good.yaml"]
    if what == "fifo":
        os.mkfifo(tmp_path / "c.yaml")
        args += ["--config", "c.yaml"]
        expected = "c.yaml: cannot read configuration: not a regular file (a FIFO)"
    elif what == "default-fifo":
        os.mkfifo(tmp_path / ".sm-audit.yaml")
        expected = ".sm-audit.yaml: cannot read configuration: not a regular file (a FIFO)"
    elif what == "big":
        (tmp_path / "c.yaml").write_text("# " + "x" * (2 * 1024 * 1024) + "\nfail_on: error\n")
        args += ["--config", "c.yaml"]
        expected = "c.yaml: cannot read configuration: file is 2,097,170 bytes; the limit is 1,048,576"
    else:
        args += ["--config", "/dev/zero"]
        expected = "/dev/zero: cannot read configuration: not a regular file (a character device)"
    r = run_proc(*args, cwd=tmp_path, timeout=60)
    assert r.code == 2 and expected in r.err and "Traceback" not in r.err, r.err


# -- item 17: an unreadable file named on the command line --------------------------------------------

def test_unreadable_named_file_is_a_finding_and_the_rest_is_scanned(tmp_path, capsys, monkeypatch):
    (tmp_path / "good.yaml").write_text(GOOD)
    secret = tmp_path / "secret.yaml"
    secret.write_text(GOOD)
    real_access, real_open = os.access, os.open

    # what chmod 000 does for anyone but root (the tests may run as root)
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if os.fspath(p) == str(secret)
                        else real_access(p, mode, **kw))

    def deny(p, flags, *a, **kw):
        if os.fspath(p) == str(secret):
            raise PermissionError(13, "Permission denied", os.fspath(p))
        return real_open(p, flags, *a, **kw)

    monkeypatch.setattr(os, "open", deny)
    r = run_cli(capsys, "scan", str(secret), str(tmp_path / "good.yaml"), "--production", "-f", "json")
    assert r.code == 1, r.err
    (f,) = by_rule(r.doc, "SM001")
    assert f["location"]["file"].endswith("secret.yaml") and f["message"] == "cannot read file: Permission denied"
    _good_still_scanned(r.doc)


# -- item 18: counts, capacities and thresholds that would silently disable a check -------------------

@pytest.mark.parametrize("rule,param,value,expected", [
    ("SM201", "min_instances", "-5", "greater than or equal to 1"),
    ("SM201", "min_instances", "0", "greater than or equal to 1"),
    ("SM201", "min_azs", "-1", "greater than or equal to 1"),
    ("SM202", "min_capacity", "-1", "greater than or equal to 0"),
    ("SM202", "max_capacity", "-3", "greater than or equal to 1"),
    ("SM202", "target_value", "-0.5", "greater than 0"),
    ("SM202", "target_value", ".nan", "finite number"),
    ("SM202", "target_value", ".inf", "finite number"),
    ("SM202", "scale_in_cooldown", "-1", "greater than or equal to 0"),
    ("SM202", "scale_out_cooldown", "-60", "greater than or equal to 0"),
    ("SM202", "ha_min_instances", "-2", "greater than or equal to 0"),
    ("SM202", "async_min_capacity", "-1", "greater than or equal to 0"),
    ("SM303", "ramp", "[-10, 50]", "ramp must be increasing percentages"),
    ("SM501", "window_hours", "-1", "greater than 0"),
    ("SM501", "low_utilization_percent", ".nan", "finite number"),
    ("SM502", "idle_hours", "-24", "greater than 0"),
    ("SM503", "max_bursts", "-7", "greater than 0"),
    ("SM503", "min_invocations", "-1", "greater than or equal to 0"),
])
def test_negative_or_nan_parameters_are_config_errors(tmp_path, capsys, rule, param, value, expected):
    (tmp_path / "good.yaml").write_text(GOOD)
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"rules:\n  {rule}:\n    params:\n      {param}: {value}\n")
    r = run_cli(capsys, "scan", str(tmp_path / "good.yaml"), "--config", str(cfg))
    assert r.code == 2, r.out
    assert f"{cfg}:4: rules.{rule}.params.{param}" in r.err and expected in r.err, r.err


@pytest.mark.parametrize("action,option,value", [
    ("apply-autoscaling", "min_capacity", -1), ("apply-autoscaling", "target_value", float("nan")),
    ("apply-autoscaling", "scale_in_cooldown", -5), ("raise-instance-count", "min_instances", -5),
    ("stop-idle-endpoints", "idle_hours", -1), ("stop-idle-endpoints", "wait_attempts", 0),
])
def test_negative_or_nan_remediation_options_are_refused(action, option, value):
    from auditor.remediation.planner import OptionsError, build_options

    with pytest.raises(OptionsError, match=option):
        build_options(None, {action: {option: value}})


# -- item 12: wrong-typed properties are shape errors at load time, never rule crashes ----------------

WRONG = GOOD + """\
  Endpoint:
    Type: AWS::SageMaker::Endpoint
    Properties:
      EndpointName: ep
      EndpointConfigName: !GetAtt Config.EndpointConfigName
  Alarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Namespace: AWS/SageMaker
      MetricName: {metric}
      Dimensions: [{{Name: EndpointName, Value: ep}}]
      ComparisonOperator: GreaterThanThreshold
      EvaluationPeriods: 1
      Threshold: {threshold}
      Statistic: Average
      Period: 60
  Target:
    Type: AWS::ApplicationAutoScaling::ScalableTarget
    Properties:
      MinCapacity: {capacity}
      MaxCapacity: 4
      ResourceId: endpoint/ep/variant/AllTraffic
      ScalableDimension: sagemaker:variant:DesiredInstanceCount
      ServiceNamespace: sagemaker
"""


@pytest.mark.parametrize("prop,value,line,rules,why", [
    ("metric", "[ModelLatency, x]", 26, ["SM301", "SM302"], "expected text, not a list"),
    ("metric", "true", 26, ["SM301", "SM302"], "expected text, not a boolean"),
    ("metric", "{a: 1}", 26, ["SM301", "SM302"], "expected text, not a mapping"),
    ("threshold", "[1]", 30, ["SM301", "SM302"], "expected a number, not a list"),
    ("capacity", ".nan", 36, ["SM202"], "expected a finite number, not nan"),
    ("capacity", "-.inf", 36, ["SM202"], "expected a finite number, not -inf"),
    ("capacity", "'NaN'", 36, ["SM202"], "expected a finite number, not 'NaN'"),
    ("capacity", "true", 36, ["SM202"], "expected a number, not a boolean"),
    ("capacity", "[1, 2]", 36, ["SM202"], "expected a number, not a list"),
])
def test_wrong_typed_property_is_a_shape_error_with_its_line(tmp_path, capsys, prop, value, line, rules, why):
    values = {"metric": "ModelLatency", "threshold": "1", "capacity": "2", prop: value}
    r = _scan(capsys, tmp_path, "t.yaml", WRONG.format(**values))
    assert r.code == 1 and "internal error" not in r.err
    assert by_rule(r.doc, "SM000") == []
    (f,) = [x for x in by_rule(r.doc, "SM001") if x["location"]["file"].endswith("t.yaml")]
    assert f["location"]["line"] == line and why in f["message"], f["message"]
    # the rules that read it still run on the resource: the value is unknown to them, not a pass
    for rule in rules:
        assert any(x["location"]["file"].endswith("t.yaml") for x in by_rule(r.doc, rule)), rule


def test_wrong_typed_leaf_keeps_the_rest_of_the_resource_checked(tmp_path, capsys):
    r = _scan(capsys, tmp_path, "t.yaml", GOOD.replace("InitialInstanceCount: 1", "InitialInstanceCount: [1]")
              .replace("pytorch-inference:2.1.0-cpu-py310", "pytorch-inference:latest"))
    (f,) = [x for x in by_rule(r.doc, "SM001") if x["location"]["file"].endswith("t.yaml")]
    assert f["location"]["line"] == 15 and "InitialInstanceCount has the wrong shape" in f["message"]
    (u,) = [x for x in by_rule(r.doc, "SM201") if x["location"]["file"].endswith("t.yaml")
            and x["path"].endswith("InitialInstanceCount")]
    assert u["outcome"] == "unknown"
    assert any("latest" in x["message"] for x in by_rule(r.doc, "SM101"))  # the model is still checked
