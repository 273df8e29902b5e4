"""The sandbox as a new user tries it, in separate commands: `sm-audit
sandbox` serves the demo account until stopped; remediate -> audit shows the
fixed finding gone -> restore -> audit shows it back. Journals of sandbox runs
never land in the user's real state directory."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from .test_cli import run

pytestmark = pytest.mark.live


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("AWS_ENDPOINT_URL", "SM_AUDIT_STATE_DIR")}
    env.update(XDG_RUNTIME_DIR=str(tmp_path / "run"), XDG_STATE_HOME=str(tmp_path / "state"),
               PYTHONUNBUFFERED="1")
    (tmp_path / "run").mkdir()
    return env


def _sm(env, *args, timeout=240):
    p = subprocess.run([sys.executable, "-m", "auditor", *args], env=env, capture_output=True, text=True,
                       timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def _failing(out: str, rule: str) -> list[tuple[str, str]]:
    doc = json.loads(out)
    return sorted((f["resource"].get("name") or f["resource"]["id"], f["message"]) for f in doc["findings"]
                  if f["rule"] == rule and f["outcome"] == "fail" and not f.get("suppression"))




def test_sandbox_persists_between_commands_remediate_audit_restore_audit(tmp_path):
    env = _env(tmp_path)
    server = subprocess.Popen([sys.executable, "-m", "auditor", "sandbox"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        assert line.startswith("export "), server.stderr.read() if server.poll() is not None else line
        exported = dict(x.split("=", 1) for x in shlex.split(line[len("export "):]))
        assert exported["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
        state = Path(exported["SM_AUDIT_STATE_DIR"])
        assert state.is_dir() and (tmp_path / "run").glob("sm-audit-sandbox-*.json")

        code, out, err = _sm(env, "audit", "--sandbox", "--format", "json")
        assert code == 1 and "the running `sm-audit sandbox`" in err, err
        idle, scaling = _failing(out, "SM502"), _failing(out, "SM202")
        # search-ranker-staging's always-on tag does not exempt a non-production endpoint (SM502)
        assert [n for n, _ in idle] == ["churn-dev", "search-ranker-staging"] and scaling

        code, out, err = _sm(env, "remediate", "--sandbox", "--rule", "SM502", "--rule", "SM202", "--apply", "--yes")
        assert code == 0, err
        journal = re.search(r"Journal: (\S+)", out).group(1)
        assert Path(journal).parent == state and "Summary: 3 done" in out

        code, out, err = _sm(env, "audit", "--sandbox", "--format", "json")
        # both were stopped: stop-idle-endpoints applies SM502's exception as the rule does (an always-on
        # tag spares production endpoints only), so search-ranker-staging went too
        assert _failing(out, "SM502") == []
        assert not set(scaling) & set(_failing(out, "SM202"))  # the autoscaling findings fixed are gone

        code, out, err = _sm(env, "restore", "--journal", journal, "--yes")
        assert code == 2 and "records changes to the sandbox demo account" in err and "--sandbox" in err

        code, out, err = _sm(env, "restore", "--sandbox", "--journal", journal, "--yes")
        assert code == 0 and out.count("restored") == 3, err

        # the exported variables make the demo account look like AWS to any command
        code, out, err = _sm({**env, **exported}, "audit", "--format", "json")
        assert code == 1 and _failing(out, "SM202") == scaling  # the autoscaling findings are back
        assert "churn-dev" in out  # recreated (too young to be idle again until the window passes)
    finally:
        server.terminate()
        server.wait(timeout=60)
    assert server.returncode == 0, server.stderr.read()
    assert not state.exists() and list((tmp_path / "run").iterdir()) == []
    assert not (tmp_path / "state").exists()  # nothing in the user's real state directory

    code, out, err = _sm(env, "restore", "--sandbox", "--journal", journal, "--yes") if Path(journal).exists() \
        else (2, "", "no sandbox is running")
    assert code == 2 and "no sandbox is running" in err


def test_restore_sandbox_needs_a_running_sandbox(capsys, tmp_path, monkeypatch):
    from .test_journal_corrupt import _journal

    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    p = tmp_path / "j.jsonl"
    lines = _journal(p)
    p.write_text("\n".join(json.dumps({**x, "sandbox": "http://127.0.0.1:1"} if x["status"] == "pending" else x)
                           for x in lines) + "\n")
    code, out, err = run(capsys, "restore", "--sandbox", "--journal", str(p), "--yes")
    assert code == 2 and "no sandbox is running: start `sm-audit sandbox`" in err


def test_throwaway_sandbox_leaves_no_journal_in_the_state_directory(clean_backends, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))  # no running sandbox here
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    code, out, err = run(capsys, "remediate", "--sandbox", "--apply", "--yes")
    assert code == 0, err
    assert "discarded with this run's journal when the command ends" in err
    assert "Summary: 3 done" in out
    journal = Path(re.search(r"Journal: (\S+)", out).group(1))
    assert not journal.exists() and not (tmp_path / "state").exists()
    assert os.environ.get("SM_AUDIT_STATE_DIR") is None  # the environment was put back
