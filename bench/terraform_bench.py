"""Terraform scan benchmark: 200 generated modules shaped like the real
Terraform corpus (``terraform_corpus.py``), ``sm-audit scan`` against
``checkov -d DIR --framework terraform`` on the same files.

    python bench/terraform_bench.py [--n 200] [--runs 3] [--checkov /tmp/checkov-venv/bin/checkov] [--json out.json]

checkov is not a dependency of sm-audit: install it into its own venv
(``python3 -m venv /tmp/checkov-venv && /tmp/checkov-venv/bin/pip install
checkov``). Runs are interleaved; medians of wall-clock and CPU seconds are
reported with the load average (``uptime``) seen during the runs. Nothing
here is a test: no assertion is made on time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from static_bench import CPU, _env, sm_audit_bin, timed, version_of  # noqa: E402
from terraform_corpus import generate  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=200, help="modules to generate")
    ap.add_argument("--runs", type=int, default=3, help="timed scans per tool (median reported)")
    ap.add_argument("--checkov", default="/tmp/checkov-venv/bin/checkov", help="checkov executable")
    ap.add_argument("--json", help="also write the figures here")
    args = ap.parse_args()

    env = _env()
    sm = sm_audit_bin()
    work = Path(tempfile.mkdtemp(prefix="sm-audit-tf-bench-"))
    generate(work, args.n)
    files = sum(1 for _ in work.rglob("*.tf"))
    for _ in range(2):  # warm-up: bytecode caches, page cache
        timed([sm, "scan", str(work), "-f", "json", "-o", os.devnull], env)
    commands = {
        "sm-audit scan": [sm, "scan", str(work), "-f", "json", "-o", os.devnull],
        "sm-audit scan --jobs 1": [sm, "scan", "--jobs", "1", str(work), "-f", "json", "-o", os.devnull],
    }
    if Path(args.checkov).exists():
        commands["checkov"] = [args.checkov, "-d", str(work), "--framework", "terraform", "--quiet", "-o", "json"]
    times: dict[str, list[float]] = {k: [] for k in commands}
    loads = [os.getloadavg()[0]]
    for _ in range(args.runs):
        for name, cmd in commands.items():
            times[name].append(timed(cmd, env, name))
            loads.append(os.getloadavg()[0])
    med = {k: statistics.median(v) for k, v in times.items()}
    cpu = {k: statistics.median(v) for k, v in CPU.items()}
    ours = med["sm-audit scan"]
    result = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load_average_during_runs": [round(x, 2) for x in loads]},
        "modules": args.n,
        "tf_files": files,
        "scan_seconds_median": {k: round(v, 3) for k, v in med.items()},
        "scan_seconds_all": {k: [round(x, 3) for x in v] for k, v in times.items()},
        "speedup_vs": {k: round(v / ours, 1) for k, v in med.items() if not k.startswith("sm-audit")},
        "cpu_seconds_median": {k: round(v, 3) for k, v in cpu.items()},
        "versions": {"sm-audit": version_of([sm, "--version"], env),
                     **({"checkov": version_of([args.checkov, "--version"], env)} if "checkov" in commands else {})},
    }
    shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, indent=2))
    print(f"\n| command ({args.n} modules, {files} .tf files, {os.cpu_count()} CPUs, load "
          f"{min(loads):.1f}-{max(loads):.1f}) | wall s (median) | vs sm-audit | CPU s (median) |")
    print("|---|---:|---:|---:|")
    for k, v in med.items():
        print(f"| `{k}` | {v:.2f} | {v / ours:.1f}x | {cpu.get(k, 0):.2f} |")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
