"""Run the real command line in-process (fast) or as a subprocess (for
tracebacks and start-up behaviour)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SM_AUDIT = [sys.executable, "-m", "auditor"]

GOOD = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Model:
    Type: AWS::SageMaker::Model
    Properties:
      ExecutionRoleArn: arn:aws:iam::111111111111:role/sm
      PrimaryContainer:
        Image: 763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1.0-cpu-py310
  Config:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      ProductionVariants:
        - VariantName: AllTraffic
          ModelName: !GetAtt Model.ModelName
          InitialInstanceCount: 1
          InstanceType: ml.m5.large
"""


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def doc(self) -> dict:
        return json.loads(self.out)


def run_cli(capsys, *args: str) -> Run:
    from auditor.cli import main

    capsys.readouterr()
    with pytest.raises(SystemExit) as e:
        main(list(args))
    cap = capsys.readouterr()
    return Run(int(e.value.code or 0), cap.out, cap.err)


def run_proc(*args: str, cwd: str | os.PathLike | None = None, timeout: float = 120) -> Run:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SM_AUDIT_DEBUG", None)
    p = subprocess.run([*SM_AUDIT, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout)
    return Run(p.returncode, p.stdout, p.stderr)


def by_rule(doc: dict, rule: str) -> list[dict]:
    return [f for f in doc["findings"] if f["rule"] == rule]
