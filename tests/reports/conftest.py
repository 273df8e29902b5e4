"""Fixtures of the report tests (documents built in ``samples``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.config import parse
from auditor.models.findings import ResultDocument
from auditor.scan import scan
from tests.conftest import CORPUS, SARIF_SCHEMA

from . import browser
from .samples import BROKEN, HOSTILE, HOSTILE_CONFIG, TODAY, live_doc, scan_dir


@pytest.fixture(scope="session")
def sarif_schema() -> dict:
    return json.loads(SARIF_SCHEMA.read_text())


@pytest.fixture(scope="session")
def corpus_doc() -> ResultDocument:
    return scan([str(CORPUS)], parse({}, "test-config"), today=TODAY)


@pytest.fixture()
def hostile(tmp_path) -> tuple[Path, ResultDocument]:
    """(repo root, result document) of a scan of hostile templates inside ``tmp_path``."""
    root = tmp_path / "repo"
    doc = scan_dir(root, {"infra/endpoint.yaml": HOSTILE, "infra/broken.yaml": BROKEN}, HOSTILE_CONFIG)
    return root, doc


@pytest.fixture()
def live() -> ResultDocument:
    return live_doc()


@pytest.fixture(scope="session")
def chrome():
    """One headless Chromium for every browser test (each test opens its own page)."""
    browser.browser_or_skip()
    with browser.chromium() as driver:
        yield driver
