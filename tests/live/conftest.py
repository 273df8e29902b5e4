"""Live tests run against a real moto server on loopback, over HTTP, reached
through AWS_ENDPOINT_URL as the product would reach AWS. One server serves
the whole session.

Which fixture to use:
* ``aws`` (or ``moto_server`` without moto_ext): an empty account for this
  test alone (reset before and after). Use it when the test changes the
  account (creates, deletes, updates, seeds its own data).
* ``sandbox_account``: the sandbox's demo account (auditor.live.sandbox.seed)
  for tests that only READ it (audits, with any options and fault hooks).
  It is seeded once and shared by consecutive such tests; a test that
  changes it fails (its content is compared after the test).
* ``sandbox_audit``: ``run_audit()`` with default options over that account,
  made once per seeding; read the AuditResult, do not change it.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from auditor.live.server import LocalServer
from tests import shared_account as shared


@pytest.fixture(scope="session")
def _moto_server():
    server = LocalServer().start()
    yield server
    server.stop()


@pytest.fixture
def moto_server(_moto_server, monkeypatch):
    """A clean loopback AWS for this test: AWS_ENDPOINT_URL points at it."""
    shared.forget()
    _moto_server.reset()
    monkeypatch.setenv("AWS_ENDPOINT_URL", _moto_server.url)
    monkeypatch.delenv("MOTO_ACCOUNT_ID", raising=False)
    yield _moto_server
    _moto_server.reset()


@pytest.fixture
def aws(moto_server):
    """The loopback server with moto's gaps filled where AWS answers
    differently (auditor.live.moto_ext: DeploymentConfig, network isolation,
    monitoring schedules, default bucket encryption, variant weights)."""
    from auditor.live import moto_ext

    moto_ext.install()
    return moto_server


def _account_content() -> tuple:
    """What a reader of the shared account could change by mistake: the
    SageMaker resources, alarms and scaling of the sandbox's account."""
    from moto.backends import get_backend

    from auditor.live.sandbox import ACCOUNT, REGION

    sm = get_backend("sagemaker")[ACCOUNT][REGION]
    cw = get_backend("cloudwatch")[ACCOUNT][REGION]
    aas = get_backend("applicationautoscaling")[ACCOUNT][REGION]
    return (sorted((n, e.endpoint_config_name, e.endpoint_status) for n, e in sm.endpoints.items()),
            sorted(sm.endpoint_configs), sorted(m.model_name for m in sm.list_models()),
            sorted((n, a.state_value) for n, a in cw.alarms.items()),
            sorted(map(str, aas.targets)), sorted(map(str, aas.policies)))


@pytest.fixture
def sandbox_account(_moto_server, monkeypatch, request):
    """The sandbox's demo account, shared by consecutive tests that only read
    it (see the module docstring)."""
    from auditor.live import moto_ext
    from auditor.live.sandbox import seed

    if "moto_server" in request.fixturenames:
        pytest.fail("sandbox_account is shared and read-only: a test that also needs a fresh account "
                    "uses aws and seeds its own")
    monkeypatch.setenv("AWS_ENDPOINT_URL", _moto_server.url)
    monkeypatch.delenv("MOTO_ACCOUNT_ID", raising=False)
    moto_ext.install()
    key = ("sandbox", datetime.now(timezone.utc).strftime("%Y-%m-%dT%H"))
    if shared.key != key:
        shared.forget()
        _moto_server.reset()
        seed(_moto_server.url)
        shared.hold(key, _account_content(), _moto_server.reset)
    yield _moto_server
    if _account_content() != shared.fingerprint:
        shared.forget()
        pytest.fail("this test changed the shared sandbox account; use the aws fixture and seed your own")


@pytest.fixture
def sandbox_audit(sandbox_account):
    """``run_audit()`` over the shared sandbox account, made once per seeding."""
    from .live_helpers import run_audit

    if "audit" not in shared.cache:
        shared.cache["audit"] = run_audit()
    return shared.cache["audit"]
