"""Static-scan benchmark: start-up time and a 200-template scan, against
cfn-lint and checkov on the same files on the same machine.

    python bench/static_bench.py [--n 200] [--tools-venv /tmp/bench-venv] [--runs 5] [--json out.json]

cfn-lint and checkov are not dependencies of sm-audit: install them into a
separate venv first (``python3 -m venv /tmp/bench-venv &&
/tmp/bench-venv/bin/pip install cfn-lint checkov``); a missing tool is
reported and skipped. Runs are interleaved so the tools share the machine's
conditions, and the load average is recorded with the figures (on a busy
machine the absolute numbers grow; the ratios are what to compare).
Nothing here is a test: no assertion is made on time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from static_corpus import generate  # noqa: E402


def _env() -> dict:
    env = dict(os.environ)
    # a normal installation writes and reuses bytecode caches
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["NO_COLOR"] = "1"
    return env


CPU: dict[str, list[float]] = {}


def timed(cmd: list[str], env: dict, name: str = "") -> float:
    """Wall-clock seconds; CPU seconds (user+sys of the command and its
    children) go to CPU[name]: on a shared machine they vary less."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if name:
        CPU.setdefault(name, []).append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return wall


def sm_audit_bin() -> str:
    for cand in (ROOT / ".venv" / "bin" / "sm-audit", Path(sys.executable).parent / "sm-audit"):
        if cand.exists():
            return str(cand)
    found = shutil.which("sm-audit")
    if not found:
        sys.exit("sm-audit is not installed (pip install -e .)")
    return found


def version_of(cmd: list[str], env: dict) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, subprocess.TimeoutExpired, IndexError):
        return "?"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=200, help="templates to generate")
    ap.add_argument("--runs", type=int, default=5, help="timed scans per tool (median reported)")
    ap.add_argument("--tools-venv", default="/tmp/bench-venv", help="venv holding cfn-lint and checkov")
    ap.add_argument("--json", help="also write the figures here")
    args = ap.parse_args()

    env = _env()
    sm = sm_audit_bin()
    tools = Path(args.tools_venv) / "bin"
    work = Path(tempfile.mkdtemp(prefix="sm-audit-bench-"))
    files = generate(work, args.n)

    # warm-up: bytecode caches, page cache
    for _ in range(2):
        timed([sm, "--version"], env)
        timed([sm, "scan", str(work), "-f", "json", "-o", os.devnull], env)

    version = statistics.median(timed([sm, "--version"], env) for _ in range(10))
    commands = {
        "sm-audit scan": [sm, "scan", str(work), "-f", "json", "-o", os.devnull],
        "sm-audit scan --jobs 1": [sm, "scan", "--jobs", "1", str(work), "-f", "json", "-o", os.devnull],
    }
    if (tools / "cfn-lint").exists():
        commands["cfn-lint"] = [str(tools / "cfn-lint"), *map(str, files)]
    if (tools / "checkov").exists():
        commands["checkov"] = [str(tools / "checkov"), "-d", str(work), "--framework", "cloudformation",
                               "--quiet", "-o", "json"]
    times: dict[str, list[float]] = {k: [] for k in commands}
    loads = [os.getloadavg()[0]]
    for _ in range(args.runs):  # interleaved: every tool sees the same conditions
        for name, cmd in commands.items():
            times[name].append(timed(cmd, env, name))
        loads.append(os.getloadavg()[0])

    med = {k: statistics.median(v) for k, v in times.items()}
    cpu = {k: statistics.median(v) for k, v in CPU.items()}
    ours = med["sm-audit scan"]
    result = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load_average_during_runs": [round(x, 2) for x in loads]},
        "templates": args.n,
        "sm_audit_version_seconds_median_of_10": round(version, 4),
        "scan_seconds_median": {k: round(v, 3) for k, v in med.items()},
        "scan_seconds_all": {k: [round(x, 3) for x in v] for k, v in times.items()},
        "speedup_vs": {k: round(v / ours, 1) for k, v in med.items() if not k.startswith("sm-audit")},
        "cpu_seconds_median": {k: round(v, 3) for k, v in cpu.items()},
        "cpu_speedup_vs": {k: round(v / cpu["sm-audit scan --jobs 1"], 1) for k, v in cpu.items()
                           if not k.startswith("sm-audit")},
        "versions": {
            "sm-audit": version_of([sm, "--version"], env),
            **({"cfn-lint": version_of([str(tools / "cfn-lint"), "--version"], env)} if "cfn-lint" in commands
               else {}),
            **({"checkov": version_of([str(tools / "checkov"), "--version"], env)} if "checkov" in commands
               else {}),
        },
    }
    shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, indent=2))
    print()
    print(f"| command ({args.n} templates, {os.cpu_count()} CPUs, load {min(loads):.1f}-{max(loads):.1f}) "
          "| wall s (median) | wall vs sm-audit | CPU s (median) |")
    print("|---|---:|---:|---:|")
    print(f"| `sm-audit --version` | {version:.3f} | | |")
    for k, v in med.items():
        print(f"| `{k}` | {v:.2f} | {v / ours:.1f}x | {cpu.get(k, 0):.2f} |")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
