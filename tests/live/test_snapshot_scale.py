"""A snapshot of a large account (2,000 endpoints built from the sandbox's
four, ~20 MB) is read past the 5 MB template limit and re-scanned with every
finding: each copy of an endpoint gets exactly the findings of the original."""

from __future__ import annotations

import importlib.util
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from auditor.config import parse
from auditor.loaders.marked import MAX_BYTES
from auditor.loaders.snapshot import dump_snapshot
from auditor.scan import scan

pytestmark = pytest.mark.live
_spec = importlib.util.spec_from_file_location(
    "snapshot_scale", Path(__file__).resolve().parents[2] / "bench" / "snapshot_scale.py")
snapshot_scale = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(snapshot_scale)
COPIES = 500  # x 4 sandbox endpoints


def _by_copy(doc) -> dict[int, Counter]:
    """Findings on each copy's resources (copy 0: the sandbox's own names,
    and the account-wide resources), with the copy suffix taken out."""
    out: dict[int, Counter] = {}
    for f in doc.findings:
        rid = f.resource.id if f.resource else ""
        m = re.search(r"-c(\d+)$", rid)
        copy = int(m.group(1)) if m else 0
        key = (f.rule, f.outcome, re.sub(r"-c\d+\b", "", rid), re.sub(r"-c\d+\b", "", f.message), f.path)
        out.setdefault(copy, Counter())[key] += 1
    return out


def test_snapshot_of_2000_endpoints_rescans_with_every_finding(sandbox_audit, tmp_path):
    snap = json.loads(dump_snapshot(sandbox_audit.inventory))
    big = snapshot_scale.scale(snap, COPIES)
    assert snapshot_scale.endpoints(big) == 2000
    path = tmp_path / "big.json"
    path.write_text(json.dumps(big, indent=1, sort_keys=True))
    assert path.stat().st_size > 3 * MAX_BYTES
    one = tmp_path / "one.json"
    one.write_text(json.dumps(snapshot_scale.scale(snap, 1), indent=1, sort_keys=True))

    cfg = parse({}, "test-config")
    doc, small = scan([str(path)], cfg), scan([str(one)], cfg)
    assert [f for f in doc.findings if f.rule == "SM001"] == []
    assert doc.run.resources > 2000 * 4
    copies = _by_copy(doc)
    assert sorted(copies) == list(range(COPIES))
    # every copy gets the same findings...
    assert all(copies[k] == copies[1] for k in range(2, COPIES))
    # ...which are the sandbox's own, but for the dashboard (it shows the sandbox's endpoints only) and so
    # for the throughput that only the dashboard's Invocations widget watches (fraud-detector-prod's)
    own = {k for k in _by_copy(small)[0] if k[2] in {i[2] for i in copies[1]}}
    extra = set(copies[1]) - own
    assert own - set(copies[1]) == set() and len(own) > 20
    assert {(k[0], k[3][:26]) for k in extra} == {("SM301", "no CloudWatch dashboard sh"),
                                                   ("SM301", "endpoint fraud-detector-pr")}
