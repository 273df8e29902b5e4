"""Bad input: each broken file is one SM001 error finding naming it (and the
line where known); the other files are still scanned; exit code 1; no
traceback; memory and time stay bounded."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.loaders.marked import MAX_BYTES

from .helpers import GOOD, by_rule, run_cli, run_proc

BOMB = "\n".join(
    ["Resources: &r0 {x: [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]}"]
    + [f"r{i}: &r{i} [{', '.join([f'*r{i - 1}'] * 10)}]" for i in range(1, 10)]
) + "\n"

ANY = object()  # the contract is one SM001 error finding on the file, whatever the wording

# name -> (content, expected line or None, message fragment)
CASES = {
    "malformed.yaml": (b"Resources:\n  Model:\n    Type: [AWS::SageMaker::Model\n  Other: 1\n", 4, "invalid YAML"),
    "malformed.json": (b'{\n  "Resources": {\n    "M": {"Type": "x",}\n  }\n}\n', 3, "invalid JSON"),
    "duplicate.yaml": (b"Resources:\n  M:\n    Type: AWS::SageMaker::Model\n  M:\n    Type: x\n", 4,
                       "duplicate key 'M'"),
    "duplicate.json": (b'{"Resources": {\n "M": {"Type": "a"},\n "M": {"Type": "b"}}}\n', 3, "duplicate key 'M'"),
    "bomb.yaml": (BOMB.encode(), 1, "alias expansion"),
    "binary.yaml": (b"Resources:\x00\x01\x02\xff\xfe" * 50, None, "binary file"),
    "latin1.yaml": ("Resources:\n  M:\n    Type: AWS::SageMaker::Model # caf\xe9\n".encode("latin-1"), 3,
                    "not valid UTF-8"),
    "utf16.yaml": ("Resources:\n  M:\n    Type: AWS::SageMaker::Model\n".encode("utf-16"), None, "UTF-16 text"),
    "empty.yaml": (b"", None, "empty file"),
    "blank.json": (b"  \n\n", None, "empty file"),
    # the parser may refuse this first in its own words (PyYAML/libyaml builds differ): any message, any line
    "deep.yaml": (("Resources: " + "[" * 30000 + "]" * 30000 + "\n").encode(), ANY, ANY),
    "deep.json": (('{"Resources": ' + "[" * 300 + "]" * 300 + "}").encode(), 1, "nesting deeper"),
    "resources-list.yaml": (b"AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  - Type: AWS::SageMaker::Model\n",
                            2, "'Resources' must be a mapping"),
    "resource-scalar.yaml": (b"Resources:\n  M: just a string\n", 2, "resource M must be a mapping"),
    "props-list.yaml": (b"Resources:\n  M:\n    Type: AWS::SageMaker::Model\n    Properties: [1, 2]\n", 4,
                        "Properties of M must be a mapping"),
    "huge.yaml": (None, None, "the limit is"),
}


def _write(tmp_path: Path, name: str, content) -> Path:
    f = tmp_path / name
    if content is None:  # a real template padded past the size limit with comments
        with open(f, "w") as fh:
            fh.write(GOOD)
            line = "# " + "x" * 1000 + "\n"
            for _ in range(MAX_BYTES // len(line) + 10):
                fh.write(line)
    else:
        f.write_bytes(content)
    return f


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_bad_file_is_one_error_finding_and_the_rest_is_scanned(tmp_path, capsys, name):
    content, line, fragment = CASES[name]
    _write(tmp_path, name, content)
    (tmp_path / "good.yaml").write_text(GOOD)
    r = run_cli(capsys, "scan", str(tmp_path), "--production", "--format", "json")
    assert r.code == 1
    assert "Traceback" not in r.err
    doc = r.doc
    bad = by_rule(doc, "SM001")
    assert len(bad) == 1, bad
    f = bad[0]
    assert f["level"] == "error" and f["outcome"] == "error"
    assert f["location"]["file"].endswith(name)
    assert fragment is ANY or fragment in f["message"], f["message"]
    assert line is ANY or f["location"].get("line") == line
    # the good template was still scanned
    good = [x for x in by_rule(doc, "SM201") if x["location"]["file"].endswith("good.yaml")]
    assert ("Config", 15) in [(x["resource"]["id"], x["location"]["line"]) for x in good]
    assert doc["run"]["files_scanned"] == 2


def test_text_output_names_file_and_line(tmp_path, capsys):
    _write(tmp_path, "duplicate.yaml", CASES["duplicate.yaml"][0])
    r = run_cli(capsys, "scan", str(tmp_path / "duplicate.yaml"))
    assert r.code == 1
    assert "duplicate.yaml" in r.out
    assert "4:3" in r.out and "SM001 invalid-input" in r.out and "duplicate key 'M'" in r.out


def test_subprocess_no_traceback_and_bounded(tmp_path):
    for name in ("bomb.yaml", "deep.yaml", "binary.yaml", "huge.yaml"):
        _write(tmp_path, name, CASES[name][0])
    (tmp_path / "good.yaml").write_text(GOOD)
    r = run_proc("scan", str(tmp_path), "--production", timeout=60)
    assert r.code == 1, r.err
    assert "Traceback" not in r.err and "internal error" not in r.err
    assert r.out.count("SM001") == 4
    assert "in 5 file(s)" in r.out


def test_missing_path_is_an_error_finding(tmp_path, capsys):
    (tmp_path / "good.yaml").write_text(GOOD)
    r = run_cli(capsys, "scan", str(tmp_path / "good.yaml"), str(tmp_path / "nope.yaml"), "-f", "json")
    assert r.code == 1
    (f,) = by_rule(r.doc, "SM001")
    assert f["location"]["file"].endswith("nope.yaml") and "no such file" in f["message"]


def test_wrong_property_shape_points_at_the_property(tmp_path, capsys):
    (tmp_path / "t.yaml").write_text(
        "Resources:\n  C:\n    Type: AWS::SageMaker::EndpointConfig\n    Properties:\n"
        "      ProductionVariants: []\n      DataCaptureConfig: enabled\n")
    r = run_cli(capsys, "scan", str(tmp_path / "t.yaml"), "-f", "json")
    (f,) = by_rule(r.doc, "SM001")
    assert f["location"]["line"] == 6 and "DataCaptureConfig" in f["message"]


@pytest.mark.parametrize("content", [
    b'{\r\n\t"Resources": {\r\n\t\t"C": {"Type": "AWS::SageMaker::EndpointConfig", "Properties": '
    b'{"ProductionVariants": [{"VariantName": "A\\/B", "InitialInstanceCount": "1", "InstanceType": "ml.m5.large",'
    b' "ModelName": "m"}]}}\r\n\t}\r\n}\r\n',
    b'\xef\xbb\xbf{"Resources": {"C": {"Type": "AWS::SageMaker::EndpointConfig", "Properties": '
    b'{"ProductionVariants": [{"VariantName": "A/B", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large",'
    b' "ModelName": "m"}]}}}}',
])
def test_json_edge_cases_scan_with_positions(tmp_path, capsys, content):
    (tmp_path / "t.json").write_bytes(content)
    r = run_cli(capsys, "scan", str(tmp_path / "t.json"), "--production", "-f", "json")
    assert by_rule(r.doc, "SM001") == []
    (f,) = [x for x in by_rule(r.doc, "SM201") if x["path"].endswith("InitialInstanceCount")]
    assert f["location"]["line"] == (3 if content.startswith(b"{\r\n") else 1)
    assert "A/B" in f["message"] and "1 instance" in f["message"]


def test_crlf_yaml_positions(tmp_path, capsys):
    (tmp_path / "t.yaml").write_bytes(GOOD.replace("\n", "\r\n").encode())
    r = run_cli(capsys, "scan", str(tmp_path / "t.yaml"), "--production", "-f", "json")
    (f,) = [x for x in by_rule(r.doc, "SM201") if x["resource"]["id"] == "Config"]
    assert (f["location"]["line"], f["location"]["column"]) == (15, 11)


def _many(n: int) -> str:
    return "Resources:\n" + "".join(f"  B{i}:\n    Type: AWS::S3::Bucket\n" for i in range(n))


def test_more_resources_than_cloudformation_allows(tmp_path, capsys):
    (tmp_path / "many.yaml").write_text(_many(501))
    r = run_cli(capsys, "scan", str(tmp_path / "many.yaml"), "-f", "json")
    (f,) = by_rule(r.doc, "SM001")
    assert "501 resources; CloudFormation accepts at most 500" in f["message"] and f["location"]["line"] == 1
    assert r.doc["run"]["resources"] == 501  # still checked
    (tmp_path / "many.yaml").write_text(_many(5000))  # look-ups are linear: any size is checked
    r = run_cli(capsys, "scan", str(tmp_path / "many.yaml"), "-f", "json")
    (f,) = by_rule(r.doc, "SM001")
    assert f["message"] == "template declares 5,000 resources; CloudFormation accepts at most 500 per template"
    assert r.doc["run"]["resources"] == 5000 and r.code == 1


def _deep_template(size: int, depth: int = 190) -> str:
    """~``size`` bytes of a template whose Tags hold lists nested ``depth``
    levels deep, over and over (the shape that cost 1.4 GB and a minute)."""
    head = "Resources:\n  M:\n    Type: AWS::SageMaker::Model\n    Properties:\n      Tags: "
    levels = depth - 4
    chain = "[" * levels + "1" + "]" * levels
    return head + "[" + ", ".join([chain] * ((size - len(head)) // (len(chain) + 2))) + "]\n"


def test_deep_template_costs_memory_and_time_by_node_not_by_depth(tmp_path):
    """README: a 1 MB template nested 190 deep loads within 30 s of CPU and
    700 MB (measured: ~9 s and ~420 MB; before, positions stored whole paths:
    28 s and 1.4 GB)."""
    path = tmp_path / "deep.yaml"
    path.write_text(_deep_template(960_000))
    code = ("import resource, sys, time\n"
            "from auditor.loaders import load_file\n"
            "t = time.process_time()\n"
            f"r = load_file({str(path)!r}, True)\n"
            "assert r.kind == 'template' and len(r.inventories[0]) == 1, r.problems\n"
            # VmHWM: this process's own peak (ru_maxrss would carry pytest's across the fork and exec)
            "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM:')]\n"
            "peak = int(hwm[0].split()[1]) if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
            "print(time.process_time() - t, peak // 1024)\n")
    import subprocess
    import sys
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600,
                       cwd=str(Path(__file__).resolve().parents[2]))
    assert p.returncode == 0, p.stderr
    cpu, peak_mb = map(float, p.stdout.split())
    assert cpu < 30 and peak_mb < 700, (cpu, peak_mb)
