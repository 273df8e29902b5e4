"""Issue 13 item 13: malformed saved results are a usage error for
``report`` (exit 2, a precise message), malformed snapshots an SM001 finding
for ``scan``; neither is ever an internal error (exit 3)."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest

from tests.static.helpers import GOOD, by_rule, run_cli, run_proc

from .samples import live_doc

SNAPSHOT = Path(__file__).resolve().parents[1] / "fixtures" / "rules" / "SM502" / "bad.json"


def _results(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def _doc() -> dict:
    return json.loads(live_doc().to_json())


def _with_plan(plan) -> str:
    d = _doc()
    d["plan"] = plan
    return json.dumps(d)


BAD_RESULTS = {
    "deep-array": ("[" * 100_000 + "]" * 100_000, "not a results document"),
    "deep-in-plan": (_with_plan({"x": json.loads("[" * 500 + "]" * 500)}), "nested deeper than 64 levels"),
    "huge-int": (json.dumps(_doc()).replace('"resources": ', '"resources": ' + "7" * 5000 + ", \"x\": ", 1),
                 "an integer with 5,000 digits"),
    "plan-changes-int": (_with_plan({"changes": 5}), "invalid results document at plan.changes"),
    "plan-change-str": (_with_plan({"changes": ["x"]}), "invalid results document at plan.changes.0"),
    "plan-change-status": (_with_plan({"changes": [{"action": "a", "status": {"x": 1}}]}),
                           "invalid results document at plan.changes.0.status"),
    "plan-skipped-int": (_with_plan({"skipped": 3}), "invalid results document at plan.skipped"),
    "plan-list": (_with_plan([1, 2]), "invalid results document at plan"),
    "not-utf8": (None, "not valid UTF-8"),
}


@pytest.mark.parametrize("fmt", ["text", "json", "html", "markdown", "sarif", "junit"])
@pytest.mark.parametrize("case", sorted(BAD_RESULTS))
def test_malformed_results_are_a_usage_error(tmp_path, capsys, case, fmt):
    text, fragment = BAD_RESULTS[case]
    p = tmp_path / "r.json"
    if text is None:
        p.write_bytes(b'{"run": "caf\xe9"}')
    else:
        p.write_text(text)
    r = run_cli(capsys, "report", str(p), "-f", fmt)
    assert r.code == 2, r.err
    assert fragment in r.err and "internal error" not in r.err


def test_well_formed_plan_still_renders(tmp_path, capsys):
    plan = {"run_id": "r1", "changes": [{"action": "raise-count", "name": "ep", "account": "1", "region": "r",
                                         "before": {"A": 1}, "after": {"A": 2}, "why": "x", "rules": ["SM201"]}],
            "skipped": [{"action": "a", "resource": "b", "reason": "c"}]}
    p = _results(tmp_path, "r.json", _with_plan(plan))
    for fmt in ("html", "markdown"):
        r = run_cli(capsys, "report", str(p), "-f", fmt, "--fail-on", "never")
        assert r.code == 0 and "raise-count" in r.out


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_results_fifo_is_a_usage_error(tmp_path):
    os.mkfifo(tmp_path / "r.json")
    r = run_proc("report", str(tmp_path / "r.json"), timeout=60)
    assert r.code == 2 and "not a regular file (a FIFO)" in r.err


# -- snapshots --------------------------------------------------------------------------------------

def _mutate(fn) -> str:
    d = json.loads(SNAPSHOT.read_text())
    fn(d)
    return json.dumps(d)


def _set(path, value):
    def fn(d):
        target = d
        for k in path[:-1]:
            target = target[k]
        target[path[-1]] = value
    return fn


BAD_SNAPSHOTS = {
    "kind-dict": (_set(("resources", 0, "kind"), {"a": 1}), "resource 0 has an unknown kind"),
    "kind-list": (_set(("resources", 1, "kind"), ["Endpoint"]), "resource 1 has an unknown kind"),
    "resources-dict": (_set(("resources",), {"a": 1}), "snapshot 'resources' must be a list, not dict"),
    "resources-str": (_set(("resources",), "x"), "snapshot 'resources' must be a list, not str"),
    "metrics-int": (_set(("metrics",), 3), "snapshot 'metrics' must be a list, not int"),
    "gaps-dict": (_set(("gaps",), {"x": 1}), "snapshot 'gaps' must be a list, not dict"),
    "facts-list": (_set(("facts",), [1]), "snapshot 'facts' must be a mapping, not list"),
    "facts-str": (_set(("facts",), "x"), "snapshot 'facts' must be a mapping, not str"),
    "metric-item": (_set(("metrics", 0), "x"), "snapshot metrics[0]"),
    "gap-item": (_set(("gaps",), ["not a gap"]), "snapshot gaps[0]"),
}


@pytest.mark.parametrize("case", sorted(BAD_SNAPSHOTS))
def test_malformed_snapshot_is_an_input_finding(tmp_path, capsys, case):
    fn, fragment = BAD_SNAPSHOTS[case]
    (tmp_path / "snap.json").write_text(_mutate(fn))
    (tmp_path / "good.yaml").write_text(GOOD)
    r = run_cli(capsys, "scan", str(tmp_path / "snap.json"), str(tmp_path / "good.yaml"), "--production",
                "-f", "json")
    assert r.code == 1 and "internal error" not in r.err, r.err
    bad = [f for f in by_rule(r.doc, "SM001") if f["location"].get("file", "").endswith("snap.json")]
    assert bad and all(f["outcome"] == "error" for f in bad)
    assert any(fragment in f["message"] for f in bad), [f["message"] for f in bad]
    assert any(f["location"].get("file", "").endswith("good.yaml") for f in by_rule(r.doc, "SM201"))


def test_unreadable_gap_in_snapshot_keeps_verdicts_unknown(tmp_path, capsys):
    # the snapshot's SM502 fail must not turn into a pass because its gap list is damaged
    text = _mutate(_set(("gaps",), ["not a gap"]))
    (tmp_path / "snap.json").write_text(text)
    r = run_cli(capsys, "scan", str(tmp_path / "snap.json"), "-f", "json", "--rule", "SM502")
    assert by_rule(r.doc, "SM502") and all(f["outcome"] == "unknown" for f in by_rule(r.doc, "SM502"))
    assert r.code == 1
