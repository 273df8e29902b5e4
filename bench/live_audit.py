"""Live-audit benchmark: N endpoints on a loopback moto server behind a fixed
per-request latency; wall time and API calls per endpoint of a full
``sm-audit audit`` (every rule), and of Cloud Custodian's one-filter
``custodian run`` over the same endpoints on the same server.

    .venv/bin/python bench/live_audit.py --sizes 100 500 1000 --latency 0.05 \\
        --custodian /tmp/c7n-venv/bin/custodian

Cloud Custodian is installed only in its own environment (never in the
project's), e.g. ``python3 -m venv /tmp/c7n-venv && /tmp/c7n-venv/bin/pip
install c7n``. Both tools run as separate processes against the proxy URL
through AWS_ENDPOINT_URL; the proxy counts the HTTP requests each makes."""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

C7N_POLICY = """policies:
  - name: sagemaker-endpoints-without-environment
    resource: aws.sagemaker-endpoint
    filters:
      - "tag:Environment": absent
"""


def env_for(url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ENDPOINT_URL=url, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
               AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    return env


def run_audit(url: str, extra: list[str]) -> dict:
    exe = os.path.join(ROOT, ".venv", "bin", "sm-audit")
    cmd = [exe, "audit", "--region", "us-east-1", "-f", "json", "-o", os.devnull, "-v", *extra]
    t0 = time.monotonic()
    p = subprocess.run(cmd, env=env_for(url), capture_output=True, text=True)
    wall = time.monotonic() - t0
    m = re.search(r"audit: (\d+) endpoint\(s\), (\d+) API call\(s\)", p.stderr)
    if p.returncode not in (0, 1) or not m:
        raise SystemExit(f"sm-audit failed ({p.returncode}):\n{p.stderr[-2000:]}")
    return {"wall_s": round(wall, 2), "endpoints": int(m.group(1)), "api_calls": int(m.group(2)),
            "calls_per_endpoint": round(int(m.group(2)) / max(1, int(m.group(1))), 2)}


def run_custodian(url: str, custodian: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        policy = os.path.join(tmp, "policy.yml")
        with open(policy, "w") as fh:
            fh.write(C7N_POLICY)
        out = os.path.join(tmp, "out")
        t0 = time.monotonic()
        p = subprocess.run([custodian, "run", "-s", out, "--region", "us-east-1", "--cache-period", "0", policy],
                           env=env_for(url), capture_output=True, text=True)
        wall = time.monotonic() - t0
        if p.returncode != 0:
            raise SystemExit(f"custodian failed ({p.returncode}):\n{p.stderr[-2000:]}")
        meta = os.path.join(out, "sagemaker-endpoints-without-environment", "metadata.json")
        with open(meta) as fh:
            scanned = json.load(fh).get("metrics", [])
        counts = {m["MetricName"]: m["Value"] for m in scanned if isinstance(m, dict)}
    return {"wall_s": round(wall, 2), "resources": counts.get("ResourceCount")}


def bench(n: int, latency: float, custodian: str | None) -> dict:
    from live_server import serve

    parent, child = mp.Pipe()
    proc = mp.Process(target=serve, args=(n, latency, child), daemon=True)
    t0 = time.monotonic()
    proc.start()
    urls = parent.recv()
    seeded = time.monotonic() - t0
    row: dict = {"endpoints": n, "latency_ms": int(latency * 1000), "seed_s": round(seeded, 1)}
    try:
        parent.send("reset-count"), parent.recv()
        row["sm_audit"] = run_audit(urls["proxy"], [])
        parent.send("count")
        row["sm_audit"]["http_requests"] = parent.recv()
        if custodian:
            parent.send("reset-count"), parent.recv()
            row["custodian"] = run_custodian(urls["proxy"], custodian)
            parent.send("count")
            row["custodian"]["http_requests"] = parent.recv()
            row["custodian"]["requests_per_endpoint"] = round(row["custodian"]["http_requests"] / n, 2)
    finally:
        parent.send("stop")
        proc.join(30)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 500, 1000])
    ap.add_argument("--latency", type=float, default=0.05, help="seconds added to every request")
    ap.add_argument("--custodian", default=None, help="path to the custodian executable (its own venv)")
    ap.add_argument("--json", default=None, help="write the rows to this file")
    args = ap.parse_args()
    sys.path.insert(0, HERE)
    rows = []
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPU(s), "
          f"Python {platform.python_version()}", flush=True)
    for n in args.sizes:
        row = bench(n, args.latency, args.custodian)
        rows.append(row)
        a, c = row["sm_audit"], row.get("custodian")
        line = (f"N={n:5d} latency={row['latency_ms']}ms  sm-audit: {a['wall_s']:7.2f}s "
                f"{a['api_calls']} calls ({a['calls_per_endpoint']}/endpoint, {a['http_requests']} HTTP)")
        if c:
            line += (f"  custodian: {c['wall_s']:7.2f}s {c['http_requests']} HTTP "
                     f"({c['requests_per_endpoint']}/endpoint, {c['resources']} matched)")
        print(line, flush=True)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)


if __name__ == "__main__":
    mp.set_start_method("spawn")
    main()
