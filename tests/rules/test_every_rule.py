"""One safety net over every registered rule: its good fixture gives only
passes (or nothing to check) and no SM001/SM000, its bad fixture at least one
fail, and its doc page is current. Findings are not filtered to the rule
under test, so a good fixture that stops parsing fails here."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor import docs, registry
from auditor.config import parse
from auditor.scan import scan

from .helpers import TODAY

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "rules"
RULES = registry.load(plugins=False).ordered()


def _fixture(rule_id: str, kind: str) -> Path:
    found = sorted((FIXTURES / rule_id).glob(f"{kind}.*"))
    assert len(found) == 1, f"{rule_id}: expected one {kind} fixture in tests/fixtures/rules/{rule_id}/"
    return found[0]


def _scan(path: Path, rule_id: str):
    return scan([str(path)], parse({}, "test-config"), select=[rule_id], today=TODAY)


@pytest.mark.parametrize("cls", RULES, ids=lambda c: c.id)
def test_good_fixture_only_passes(cls):
    doc = _scan(_fixture(cls.id, "good"), cls.id)
    assert [(f.rule, f.outcome, f.message) for f in doc.findings] == []
    assert {e.outcome for e in doc.evaluations} <= {"pass"}


@pytest.mark.parametrize("cls", RULES, ids=lambda c: c.id)
def test_bad_fixture_fails(cls):
    doc = _scan(_fixture(cls.id, "bad"), cls.id)
    assert [f for f in doc.findings if f.rule == cls.id and f.outcome == "fail"]
    assert not [f for f in doc.findings if f.rule in ("SM000", "SM001")]


def test_every_doc_page_is_current():
    pages = docs.builtin_pages()
    stale = [cls.id for cls in RULES
             if (ROOT / "docs" / "rules" / f"{cls.id}.md").read_text(encoding="utf-8") != pages[f"{cls.id}.md"]]
    assert stale == [], "run `python -m auditor.docs` and commit docs/rules/"
