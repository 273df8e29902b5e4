"""Shared test fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests import shared_account

ROOT = Path(__file__).resolve().parent.parent
# Everything a test reads is in the repository (tests/data/README.md says where it came from).
DATA = Path(__file__).resolve().parent / "data"
CORPUS = DATA / "corpus"
SARIF_SCHEMA = DATA / "schemas" / "sarif-schema-2.1.0.json"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch):
    """No test may reach a real AWS account."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)


@pytest.fixture(autouse=True)
def _forget_shared_account(request):
    """Any test but a reader of the shared loopback account may change it
    (tests/shared_account.py): it is emptied before one and seeded again after."""
    reader = bool(shared_account.SHARED_FIXTURES.intersection(request.fixturenames))
    if not reader:
        shared_account.release()
    yield
    if not reader:
        shared_account.forget()


@pytest.fixture
def clean_backends():
    """moto's in-process backends emptied before the test and after it, for
    tests that run ``--sandbox`` in this process: its throw-away server
    seeds the same backends the session's loopback server serves."""
    from moto.moto_api._internal.models import moto_api_backend

    shared_account.forget()
    moto_api_backend.reset()
    yield
    moto_api_backend.reset()


# Tiers follow from what a test uses, so a new test cannot land in the fast loop by
# forgetting a marker: the loopback AWS server makes it "live", Chromium "browser".
_LIVE_FIXTURES = {"_moto_server", "moto_server", "aws", "clean_backends"}
_BROWSER_FIXTURES = {"chrome"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if used & _LIVE_FIXTURES and not item.get_closest_marker("live"):
            item.add_marker(pytest.mark.live)
        if used & _BROWSER_FIXTURES and not item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.browser)
    # the readers of the shared loopback account run first, one after another, so they
    # share one seeding (tests/shared_account.py); otherwise the collection order holds
    def order(pair):
        i, item = pair
        return not shared_account.SHARED_FIXTURES.intersection(getattr(item, "fixturenames", ())), i

    items[:] = [item for _, item in sorted(enumerate(items), key=order)]
