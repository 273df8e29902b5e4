"""Snapshot re-scan benchmark: the sandbox account saved with ``audit
--sandbox --save-snapshot``, scaled to N endpoints (bench/snapshot_scale.py),
then ``sm-audit scan SNAPSHOT -f json`` timed for each N (wall and CPU of
the process), with its SM001 count and findings.

    .venv/bin/python bench/snapshot_bench.py --sizes 500 1000 2000 5000

The machine's load average is printed with the figures: on a shared
machine, CPU time is the figure to compare."""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from snapshot_scale import endpoints, scale  # noqa: E402

EXE = os.path.join(ROOT, ".venv", "bin", "sm-audit")


def sandbox_snapshot(path: str) -> dict:
    subprocess.run([EXE, "audit", "--sandbox", "--save-snapshot", path, "-f", "json", "-o", os.devnull],
                   check=False, capture_output=True)
    with open(path) as fh:
        return json.load(fh)


def rescan(path: str) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    p = subprocess.run([EXE, "scan", path, "-f", "json"], capture_output=True, text=True)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    doc = json.loads(p.stdout)
    return {"wall_s": round(wall, 2),
            "cpu_s": round(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, 2),
            "findings": len(doc["findings"]),
            "sm001": sum(1 for f in doc["findings"] if f["rule"] == "SM001"),
            "load": round(os.getloadavg()[0], 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[500, 1000, 2000, 5000])
    ap.add_argument("--snapshot", help="a sandbox snapshot to scale (default: make one)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = json.load(open(args.snapshot)) if args.snapshot else sandbox_snapshot(os.path.join(tmp, "s.json"))
        rows = []
        for n in args.sizes:
            snap = scale(base, n // 4)
            path = os.path.join(tmp, f"snap{n}.json")
            with open(path, "w") as fh:
                json.dump(snap, fh, indent=1, sort_keys=True)
            row = {"endpoints": endpoints(snap), "mb": round(os.path.getsize(path) / 1e6, 1), **rescan(path)}
            rows.append(row)
            print(json.dumps(row), flush=True)
        for a, b in zip(rows, rows[1:]):
            print(f"{a['endpoints']} -> {b['endpoints']} endpoints: CPU x{b['cpu_s'] / a['cpu_s']:.2f}")


if __name__ == "__main__":
    main()
