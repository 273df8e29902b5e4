"""The Dockerfile (no Docker on these machines): parsed with dockerfile-parse
and checked against the repository it is built from."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
dockerfile_parse = pytest.importorskip("dockerfile_parse", reason="dockerfile-parse is a test extra")


def parsed():
    p = dockerfile_parse.DockerfileParser(path=str(ROOT / "Dockerfile"), cache_content=True)
    return p, [(i["instruction"], i["value"]) for i in p.structure]


def test_slim_python_base_pip_install_and_sm_audit_entry_point():
    p, ins = parsed()
    assert p.baseimage.startswith("python:") and p.baseimage.endswith("-slim")
    major, minor = (int(x) for x in p.baseimage.split(":")[1].split("-")[0].split(".")[:2])
    need = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert need.startswith(">=") and (major, minor) >= tuple(int(x) for x in need[2:].split("."))
    runs = [v for k, v in ins if k == "RUN"]
    assert any("pip install ." in r for r in runs)
    (entry,) = [v for k, v in ins if k == "ENTRYPOINT"]
    assert json.loads(entry) == ["sm-audit"]  # exec form: signals reach sm-audit
    users = [v for k, v in ins if k == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")


def test_every_package_the_distribution_ships_is_copied_in():
    _, ins = parsed()
    copied = set()
    for k, v in ins:
        if k == "COPY":
            *srcs, _dest = v.split()
            for s in srcs:
                assert (ROOT / s).exists(), f"COPY {s}: not in the repository"
                copied.add(s)
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = {p.rstrip("*") for p in cfg["tool"]["setuptools"]["packages"]["find"]["include"]}
    assert packages <= copied and {"pyproject.toml", cfg["project"]["readme"]} <= copied
    assert cfg["project"]["scripts"]["sm-audit"] == "auditor.cli:main"
