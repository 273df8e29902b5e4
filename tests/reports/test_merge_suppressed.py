"""Issue 13 item 5: the same finding suppressed in one results file and
active in another is active in the merge, whatever the argument order."""

from __future__ import annotations

import json

import pytest

from auditor.models.findings import SuppressionInfo
from reports.merge import merge
from tests.static.helpers import run_cli

from .samples import live_doc


def _pair():
    active = live_doc()
    active.findings = [f for f in active.findings if f.rule == "SM201" and f.suppression is None][:1]
    assert active.findings
    quiet = active.model_copy(deep=True)
    quiet.findings[0].suppression = SuppressionInfo(kind="external", reason="accepted risk", source="tag")
    return active, quiet


@pytest.mark.parametrize("order", ["active-first", "suppressed-first"])
def test_active_wins_in_merge(order):
    active, quiet = _pair()
    docs = [active, quiet] if order == "active-first" else [quiet, active]
    (f,) = merge(docs).findings
    assert f.suppression is None
    assert merge([quiet, quiet]).findings[0].suppression is not None  # suppressed everywhere: stays suppressed


@pytest.mark.parametrize("order", ["active-first", "suppressed-first"])
def test_report_exit_code_does_not_depend_on_argument_order(tmp_path, capsys, order):
    active, quiet = _pair()
    (tmp_path / "a.json").write_text(active.to_json())
    (tmp_path / "q.json").write_text(quiet.to_json())
    files = ["a.json", "q.json"] if order == "active-first" else ["q.json", "a.json"]
    r = run_cli(capsys, "report", *(str(tmp_path / n) for n in files), "-f", "json")
    assert r.code == 1
    (f,) = json.loads(r.out)["findings"]
    assert "suppression" not in f or f["suppression"] is None
