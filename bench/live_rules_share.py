"""Share of a live audit's time spent in rules: N endpoints (each with its
own config and model, a third tagged production) on the loopback moto
server of ``bench/live_server.py`` (its own process), then one full
``audit`` (every rule, default settings) run in this process, with a timer
around the rule evaluation (``runner.evaluate``, called once per rule so
each rule's time is known) and around the whole audit.

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
    """One audit against ``url``; the rules' wall and CPU time, per rule."""
    from auditor import runner
    from auditor.audit import AuditOptions, audit
    from auditor.config import parse

    per_rule: dict[str, list[float]] = {}
    real = runner.evaluate

    def evaluate(inv, rules, ctx):  # the same rules, one at a time: each is independent of the others
        findings, evaluations = [], []
        for rule in rules:
            w, c = time.perf_counter(), time.thread_time()
            fs, es = real(inv, [rule], ctx)
            t = per_rule.setdefault(rule.id, [0.0, 0.0])
            t[0] += time.perf_counter() - w
            t[1] += time.thread_time() - c
            findings += fs
            evaluations += es
        return findings, evaluations

    os.environ.update(AWS_ENDPOINT_URL=url, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
                      AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE=os.devnull,
                      AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    runner.evaluate = evaluate
    try:
        w, c = time.perf_counter(), time.process_time()
        result = audit(parse({}, "bench"), AuditOptions(regions=["us-east-1"], progress=False))
        wall, cpu = time.perf_counter() - w, time.process_time() - c
    finally:
        runner.evaluate = real
    rules_wall = sum(t[0] for t in per_rule.values())
    rules_cpu = sum(t[1] for t in per_rule.values())
    return {"endpoints": len(result.inventory.endpoints), "api_calls": result.api_calls,
            "findings": len(result.doc.findings), "audit_wall_s": round(wall, 2), "audit_cpu_s": round(cpu, 2),
            "rules_wall_s": round(rules_wall, 3), "rules_cpu_s": round(rules_cpu, 3),
            "rules_wall_share": round(rules_wall / wall, 4), "rules_cpu_share": round(rules_cpu / cpu, 4),
            "per_rule_cpu_s": {k: round(v[1], 3) for k, v in sorted(per_rule.items(), key=lambda kv: -kv[1][1])}}


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
        top = ", ".join(f"{k} {v:.2f}s" for k, v in list(row["per_rule_cpu_s"].items())[:3])
        print(f"N={row['endpoints']:5d}  audit: {row['audit_wall_s']:.1f}s wall, {row['audit_cpu_s']:.1f}s CPU, "
              f"{row['api_calls']} calls, {row['findings']} findings  rules: {row['rules_wall_s']:.2f}s wall "
              f"({row['rules_wall_share']:.1%}), {row['rules_cpu_s']:.2f}s CPU ({row['rules_cpu_share']:.1%}); "
              f"most CPU: {top}  (load {os.getloadavg()[0]:.1f})", flush=True)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)


if __name__ == "__main__":
    mp.set_start_method("spawn")
    main()
