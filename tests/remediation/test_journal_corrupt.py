"""A corrupted journal is refused whole, with the line and the field, before
the first undo (exit 2): restore never undoes the newer entry and then stops
at a broken older one. Plus a fuzz test: whatever the journal holds, restore
exits 0, 1 or 2 and never shows a traceback."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from auditor.remediation.base import Change
from auditor.remediation.journal import Journal, JournalError, read

ARN = "arn:aws:sagemaker:us-east-1:123456789012:endpoint/ep"


def _journal(path, run="20260101T000000Z-abc123"):
    """Two complete entries: autoscaling (older) and an instance count (newer)."""
    j = Journal(path, run)
    scaling = {"ResourceId": "endpoint/ep/variant/v", "ScalableTarget": None, "Policies": []}
    c1 = Change(action="apply-autoscaling", kind="scaling", resource=ARN, name="ep/v", account="123456789012",
                region="us-east-1", before=scaling, after={**scaling, "ScalableTarget": {
                    "ResourceId": "endpoint/ep/variant/v", "MinCapacity": 1, "MaxCapacity": 4}}, why="w")
    c2 = Change(action="raise-instance-count", kind="instances", resource=ARN, name="ep/v", account="123456789012",
                region="us-east-1", before={"VariantName": "v", "Instances": 1},
                after={"VariantName": "v", "Instances": 2}, why="w")
    for c in (c1, c2):
        j.end(j.begin(c, c.before), "done")
    j.close()
    return [json.loads(x) for x in path.read_text().splitlines()]


def _write(path, lines):
    path.write_bytes(b"\n".join(x if isinstance(x, bytes) else json.dumps(x).encode() for x in lines) + b"\n")


def _set(i, key, value):
    def f(lines):
        lines[i] = {**lines[i], key: value}
        return lines
    return f


def _set_before(i, key, value):
    def f(lines):
        lines[i] = {**lines[i], "before": {**lines[i]["before"], key: value}}
        return lines
    return f


CORRUPTIONS = {
    "before is a list": (_set(0, "before", [1, 2]), ":1: journal line", "before: Input should be a valid dictionary"),
    "before lacks a key": (_set_before(0, "ResourceId", None), ":1: entry", "before.ResourceId"),
    "before policies not a list": (_set_before(0, "Policies", "x"), ":1: entry", "before.Policies"),
    "before count is a string": (_set_before(2, "Instances", "1"), ":3: entry", "before.Instances"),
    "before count is a bool": (_set_before(2, "Instances", True), ":3: entry", "before.Instances"),
    "name is a number": (_set(0, "name", 7), ":1: journal line", "name: Input should be a valid string"),
    "name not endpoint/variant": (_set(0, "name", "ep"), ":1: entry", "is not endpoint/variant"),
    "region is null": (_set(2, "region", None), ":3: journal line", "region: Input should be a valid string"),
    "id is a number": (_set(0, "id", 5), ":1: journal line", "id: Input should be a valid string"),
    "seq is a string": (_set(2, "seq", "2"), ":3: journal line", "seq: Input should be a valid integer"),
    "seq is zero": (_set(2, "seq", 0), ":3: journal line", "seq: Input should be greater than or equal to 1"),
    "seq is huge": (_set(2, "seq", 10 ** 30), ":3: journal line", "seq: Input should be less than"),
    "run_id of mixed type": (_set(2, "run_id", 20260101), ":3: journal line", "run_id: Input should be a valid string"),
    "completion status unknown": (_set(1, "status", "maybe"), ":2: journal line", "status: Input should be"),
    "completion id is a list": (_set(1, "id", ["x"]), ":2: journal line", "id: Input should be a valid string"),
    "unknown action": (_set(0, "action", "delete-everything"), ":1: entry", "unknown action 'delete-everything'"),
    "entry twice": (lambda ls: ls[:2] + ls[:2] + ls[2:], ":3: entry", "appears twice"),
    "duplicate seq": (_set(2, "seq", 1), ":3: run", "two entries with seq 1"),
    "non-UTF-8 bytes": (lambda ls: [b'{"id": "\xff\xfe", "status": "pending"}'] + ls, ":1: not a journal line",
                        "not UTF-8"),
    "deep nesting": (lambda ls: [("[" * 100000 + "]" * 100000).encode()] + ls, ":1: not a journal line",
                     "nested too deeply"),
    "huge integer literal": (lambda ls: [('{"id": "a", "status": "pending", "seq": ' + "9" * 5000 + "}").encode()]
                             + ls, ":1: not a journal line", "not JSON"),
    "a restore journal": (_set(0, "kind", "restore"), ":1:", "is from a restore journal"),
}


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_corrupted_journal_is_refused_with_line_and_field(tmp_path, name):
    corrupt, where, what = CORRUPTIONS[name]
    p = tmp_path / "j.jsonl"
    _write(p, corrupt(_journal(p)))
    with pytest.raises(JournalError) as e:
        read(p)
    assert where in str(e.value) and what in str(e.value), str(e.value)


def test_intact_journal_reads(tmp_path):
    p = tmp_path / "j.jsonl"
    _journal(p)
    entries, warnings = read(p)
    assert [(e.record["action"], e.status) for e in entries] == [("apply-autoscaling", "done"),
                                                                 ("raise-instance-count", "done")]
    assert warnings == []


@pytest.mark.live
def test_restore_refuses_before_the_first_undo(moto_server, capsys, tmp_path):
    """The newer entry is valid and undoable; the older one is broken: nothing is undone."""
    from .conftest import make_endpoint, sm
    from .test_cli import run

    make_endpoint("ep", variants=(("v", 2, 1.0),))
    p = tmp_path / "j.jsonl"
    lines = _journal(p)
    lines[0]["before"] = {"ResourceId": 3}
    _write(p, lines)
    code, out, err = run(capsys, "restore", "--journal", str(p), "--yes")
    assert code == 2, err
    assert f"{p}:1: entry 20260101T000000Z-abc123:1: before.ResourceId: Input should be a valid string" in err
    assert "Traceback" not in err and "internal error" not in err
    assert sm().describe_endpoint(EndpointName="ep")["ProductionVariants"][0]["CurrentInstanceCount"] == 2


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
                    max_leaves=8)
FIELDS = ["id", "run_id", "seq", "kind", "action", "step", "account", "region", "resource", "name", "before",
          "after", "status", "error", "v"]


@st.composite
def journals(draw):
    """A valid journal with some lines changed: a field set to any JSON value,
    a field removed, a line replaced by random bytes or truncated."""
    ops = draw(st.lists(st.tuples(st.integers(0, 3), st.sampled_from(["set", "drop", "bytes", "cut", "before"]),
                                  st.sampled_from(FIELDS), JSON, st.binary(max_size=40)), min_size=1, max_size=4))
    return ops


@pytest.mark.live
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=journals())
def test_fuzzed_journal_exits_0_1_or_2_without_traceback(moto_server, capsys, tmp_path_factory, ops):
    from .test_cli import run

    p = tmp_path_factory.mktemp("fuzz") / "j.jsonl"
    lines: list = _journal(p)
    for i, op, field, value, raw in ops:
        if op == "set" and isinstance(lines[i], dict):
            lines[i] = {**lines[i], field: value}
        elif op == "drop" and isinstance(lines[i], dict):
            lines[i] = {k: v for k, v in lines[i].items() if k != field}
        elif op == "before" and isinstance(lines[i], dict) and isinstance(lines[i].get("before"), dict):
            lines[i] = {**lines[i], "before": {**lines[i]["before"], field: value}}
        elif op == "bytes":
            lines[i] = raw
        elif op == "cut":
            b = lines[i] if isinstance(lines[i], bytes) else json.dumps(lines[i]).encode()
            lines[i] = b[: len(b) // 2]
    _write(p, lines)
    code, out, err = run(capsys, "restore", "--journal", str(p), "--yes",
                         "--restore-journal", str(p.parent / "r.jsonl"))
    assert code in (0, 1, 2), err
    assert "Traceback" not in err + out and "internal error" not in err
