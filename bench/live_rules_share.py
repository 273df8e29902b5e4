"""Share of a live audit's time spent in rules: N endpoints (each with its
own config and model, a third tagged production) on the loopback moto
server of ``bench/live_server.py`` (its own process), then one full
``audit`` (every rule, default settings) run in this process, with a timer
around its rule evaluation (``runner.run_rules``) and around the whole
audit.

    .venv/bin/python bench/live_rules_share.py --sizes 2000

Both wall and CPU time are reported: the audit's wall time is mostly the
collection waiting for the server; the rules run in this process's main
thread, so their CPU is their thread's CPU and the audit's CPU is this
process's (collection threads included, the server excluded). Goal: rules
under 10 % of the audit's time."""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)


def timed_audit(url: str) -> dict:
    """One audit against ``url``, with the wall and CPU time of its rule
    evaluation (``runner.run_rules``: every rule over the inventory, the
    findings recorded, scenarios merged, suppressions checked)."""
    from auditor import audit as audit_module
    from auditor.audit import AuditOptions, audit
    from auditor.config import parse

    spent = [0.0, 0.0]
    real = audit_module.run_rules

    def run_rules(*args, **kw):
        w, c = time.perf_counter(), time.thread_time()
        try:
            return real(*args, **kw)
        finally:
            spent[0] += time.perf_counter() - w
            spent[1] += time.thread_time() - c

    os.environ.update(AWS_ENDPOINT_URL=url, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
                      AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE=os.devnull,
                      AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    audit_module.run_rules = run_rules
    try:
        w, c = time.perf_counter(), time.process_time()
        result = audit(parse({}, "bench"), AuditOptions(regions=["us-east-1"], progress=False))
        wall, cpu = time.perf_counter() - w, time.process_time() - c
    finally:
        audit_module.run_rules = real
    return {"endpoints": len(result.inventory.endpoints), "api_calls": result.api_calls,
            "findings": len(result.doc.findings), "audit_wall_s": round(wall, 2), "audit_cpu_s": round(cpu, 2),
            "rules_wall_s": round(spent[0], 3), "rules_cpu_s": round(spent[1], 3),
            "rules_wall_share": round(spent[0] / wall, 4), "rules_cpu_share": round(spent[1] / cpu, 4)}


def bench(n: int, latency: float) -> dict:
    from live_server import serve

    parent, child = mp.Pipe()
    proc = mp.Process(target=serve, args=(n, latency, child), daemon=True)
    proc.start()
    urls = parent.recv()
    try:
        row = timed_audit(urls["proxy"] if latency > 0 else urls["moto"])
    finally:
        parent.send("stop")
        proc.join(30)
    return {"latency_ms": int(latency * 1000), **row}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[2000])
    ap.add_argument("--latency", type=float, default=0.0, help="seconds added to every request (0: none)")
    ap.add_argument("--json", default=None, help="write the rows to this file")
    args = ap.parse_args()
    sys.path.insert(0, HERE)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPU(s), "
          f"Python {platform.python_version()}, load {os.getloadavg()[0]:.1f}", flush=True)
    rows = []
    for n in args.sizes:
        row = bench(n, args.latency)
        rows.append(row)
        print(f"N={row['endpoints']:5d} latency={row['latency_ms']}ms  audit: {row['audit_wall_s']:.1f}s wall, "
              f"{row['audit_cpu_s']:.1f}s CPU, {row['api_calls']} calls, {row['findings']} findings  rules: "
              f"{row['rules_wall_s']:.2f}s wall ({row['rules_wall_share']:.1%}), {row['rules_cpu_s']:.2f}s CPU "
              f"({row['rules_cpu_share']:.1%})  (load {os.getloadavg()[0]:.1f})", flush=True)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)


if __name__ == "__main__":
    mp.set_start_method("spawn")
    main()
