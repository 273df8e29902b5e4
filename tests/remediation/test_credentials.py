"""No credentials, an expired token or an unknown profile: a usage error
(exit 2) with one line saying what to set, in every command that talks to AWS."""

from __future__ import annotations

import pytest

from .test_cli import run

SET = "set AWS_PROFILE (or --profile) to a configured profile, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"


@pytest.fixture
def no_credentials(monkeypatch, tmp_path):
    for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance-profile look-up
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing may be reached


def _one_line_usage_error(code, err, what):
    assert code == 2, err
    lines = [x for x in err.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("sm-audit: error: ") and what in lines[0], err
    assert SET in lines[0] and "internal error" not in err


@pytest.mark.parametrize("args", [
    ("audit", "--region", "us-east-1"),
    ("remediate", "--region", "us-east-1"),
])
def test_missing_credentials_are_a_usage_error(no_credentials, capsys, args):
    code, out, err = run(capsys, *args)
    _one_line_usage_error(code, err, "no AWS credentials found")


def test_remediate_from_saved_findings_without_credentials(no_credentials, capsys, tmp_path):
    from auditor.models.findings import ResultDocument, RunInfo

    saved = tmp_path / "a.json"
    saved.write_text(ResultDocument(run=RunInfo(command="audit", regions=["us-east-1"])).to_json())
    code, out, err = run(capsys, "remediate", "--findings", str(saved))
    _one_line_usage_error(code, err, "no AWS credentials found")


def test_restore_without_credentials(no_credentials, capsys, tmp_path):
    from .test_journal_corrupt import _journal

    _journal(tmp_path / "j.jsonl")
    code, out, err = run(capsys, "restore", "--journal", str(tmp_path / "j.jsonl"), "--yes")
    lines = [x for x in err.splitlines() if x.startswith("sm-audit:")]
    assert code == 2 and len(lines) == 1 and "no AWS credentials found" in lines[0] and SET in lines[0], err


@pytest.mark.parametrize("args", [("audit",), ("remediate",)])
def test_unknown_profile(capsys, args):
    code, out, err = run(capsys, *args, "--profile", "nope")
    _one_line_usage_error(code, err, "The config profile (nope) could not be found")


@pytest.mark.live
@pytest.mark.parametrize("args", [("audit", "--region", "us-east-1"), ("remediate", "--region", "us-east-1")])
def test_expired_token(moto_server, capsys, args):
    """STS answers ExpiredToken (injected on the loopback server's calls)."""
    from botocore.exceptions import ClientError

    from auditor.live import session as live_session

    def expired(**kw):
        raise ClientError({"Error": {"Code": "ExpiredToken", "Message": "The security token included in the "
                                     "request is expired"}}, "GetCallerIdentity")

    real = live_session.SessionFactory.session

    def session(self, *a, **kw):
        s = real(self, *a, **kw)
        s.events.register("before-call.sts.GetCallerIdentity", expired)
        return s

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(live_session.SessionFactory, "session", session)
        code, out, err = run(capsys, *args)
    _one_line_usage_error(code, err, "the AWS credentials have expired (ExpiredToken): refresh them")


def test_expired_token_message_from_any_call():
    from botocore.exceptions import ClientError

    from auditor.credentials import message
    from auditor.exitcodes import Exit, for_exception

    e = ClientError({"Error": {"Code": "ExpiredTokenException", "Message": "expired"}}, "DescribeEndpoint")
    assert for_exception(e) == Exit.USAGE and "have expired (ExpiredTokenException)" in message(e)
    assert for_exception(ClientError({"Error": {"Code": "AccessDenied"}}, "X")) == Exit.INTERNAL
