"""Issue 13 item 16: a scanned repository that contains a ``*.dist-info``
with an ``sm_audit.rules`` entry point and the module it names must not get
that code run: plugin discovery ignores the working directory (``python -m``,
an empty ``PYTHONPATH`` entry) and every scanned directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ..static.helpers import GOOD, ROOT

EVIL_MODULE = """\
import os, pathlib
pathlib.Path(os.environ["SM_AUDIT_TEST_MARKER"]).write_text("ran")
RULES = []
"""


def _evil_repo(root: Path, module: str = "evilpack") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "template.yaml").write_text(GOOD)
    (root / f"{module}.py").write_text(EVIL_MODULE)
    info = root / f"{module}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[sm_audit.rules]\nevil = {module}:RULES\n")
    return root


def _run(args, cwd, pythonpath, marker):
    env = {**os.environ, "PYTHONPATH": pythonpath, "SM_AUDIT_TEST_MARKER": str(marker)}
    env.pop("SM_AUDIT_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "auditor", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=120)


@pytest.mark.parametrize("how", ["cwd", "empty-pythonpath-entry", "scanned-dir-on-pythonpath"])
def test_scanned_repository_code_never_runs(tmp_path, how):
    repo = _evil_repo(tmp_path / "repo")
    marker = tmp_path / "marker"
    if how == "cwd":  # python -m puts the working directory first on sys.path
        p = _run(["scan", "."], repo, str(ROOT), marker)
    elif how == "empty-pythonpath-entry":
        p = _run(["scan", "template.yaml"], repo, os.pathsep + str(ROOT), marker)
    else:
        p = _run(["scan", str(repo)], tmp_path, os.pathsep.join([str(repo), str(ROOT)]), marker)
    assert "Traceback" not in p.stderr and "internal error" not in p.stderr, p.stderr
    assert p.returncode == 1, p.stderr  # the template's findings
    assert not marker.exists(), "code from the scanned repository ran"
    assert "evil" not in p.stdout


def test_the_same_pack_installed_elsewhere_loads(tmp_path):
    # control: the fixture is a working pack; only where it sits keeps it out
    site = _evil_repo(tmp_path / "site")
    (site / "template.yaml").unlink()
    work = tmp_path / "work"
    work.mkdir()
    (work / "t.yaml").write_text(GOOD)
    marker = tmp_path / "marker"
    p = _run(["scan", "t.yaml"], work, os.pathsep.join([str(site), str(ROOT)]), marker)
    assert marker.read_text() == "ran", p.stderr
