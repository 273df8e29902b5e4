"""Live tests run against a real moto server on loopback, over HTTP, reached
through AWS_ENDPOINT_URL as the product would reach AWS. The server is
started once per session and reset before every test."""

from __future__ import annotations

import pytest

from auditor.live.server import LocalServer


@pytest.fixture(scope="session")
def _moto_server():
    server = LocalServer().start()
    yield server
    server.stop()


@pytest.fixture
def moto_server(_moto_server, monkeypatch):
    """A clean loopback AWS for this test: AWS_ENDPOINT_URL points at it."""
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
