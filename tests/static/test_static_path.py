"""The static path stays light: a scan never imports boto3 (or the live,
remediation and HTML machinery), and --version imports neither click nor
pydantic."""

from __future__ import annotations

import subprocess
import sys

from .helpers import ROOT

PROBE = """
import sys
from auditor.cli import main
try:
    main({args!r})
except SystemExit as e:
    code = e.code
heavy = sorted(m for m in ("boto3", "botocore", "moto", "jinja2", "click", "pydantic", "yaml")
               if m in sys.modules)
print("MODULES", ",".join(heavy), "EXIT", code, file=sys.stderr)
"""


def probe(args: list[str]) -> tuple[set[str], int]:
    p = subprocess.run([sys.executable, "-c", PROBE.format(args=args)], capture_output=True, text=True,
                       cwd=ROOT, timeout=120)
    line = [x for x in p.stderr.splitlines() if x.startswith("MODULES")][-1]
    mods = line.split()[1] if not line.split()[1] == "EXIT" else ""
    return set(filter(None, mods.split(","))), int(line.rsplit(" ", 1)[1])


def test_scan_does_not_import_boto3():
    mods, code = probe(["scan", "examples/", "-f", "json", "-o", "/dev/null"])
    assert code == 1
    assert "boto3" not in mods and "botocore" not in mods and "moto" not in mods and "jinja2" not in mods
    assert {"click", "pydantic", "yaml"} <= mods  # the probe does see imports


def test_version_imports_almost_nothing():
    mods, code = probe(["--version"])
    assert code == 0 and mods == set()
