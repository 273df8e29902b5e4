"""``sm-audit sandbox``: serve the demo account until stopped, so that
remediate, audit and restore can be tried as separate commands on one
account whose state persists between them."""

from __future__ import annotations

import os
import shlex
import signal
import tempfile
import threading
from datetime import datetime, timezone

import click


@click.command()
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="Port on 127.0.0.1 [default: a free one].")
@click.option("--state-dir", type=click.Path(file_okay=False), default=None,
              help="Where journals of runs on the sandbox go [default: a temporary directory removed on stop].")
def sandbox(port, state_dir):
    """Serve the demo account (a seeded moto server on 127.0.0.1) until
    stopped with Ctrl-C. Meanwhile `--sandbox` on audit, remediate and
    restore uses it, or export the printed variables and run the commands
    as against AWS. Nothing here touches a real account."""
    from ..live.sandbox import SandboxInfo, register, registry_file, running, sandbox_environment, start_sandbox

    other = running()
    if other is not None:
        raise click.UsageError(f"a sandbox is already running on {other.url} (see {registry_file()})")
    scratch = None
    if state_dir is None:
        scratch = tempfile.TemporaryDirectory(prefix="sm-audit-sandbox-")
        state_dir = scratch.name
    os.makedirs(state_dir, exist_ok=True)
    # moto keeps naive UTC times; seeding with them keeps ListEndpoints sortable after a restore
    server, _ = start_sandbox(now=datetime.now(timezone.utc).replace(tzinfo=None), port=port)
    info = SandboxInfo(url=server.url, state_dir=os.path.abspath(state_dir), running=True)
    reg = register(info)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    env = sandbox_environment(info.url, info.state_dir)
    click.echo(f"sandbox: demo account {info.account} in {info.region} on {info.url}; journals in "
               f"{info.state_dir}. Ctrl-C stops it (its state is lost then).", err=True)
    click.echo("Use it with --sandbox (sm-audit audit --sandbox, remediate --sandbox, restore --sandbox), "
               "or as AWS after:", err=True)
    click.echo("export " + " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted(env.items())))
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
        try:
            reg.unlink()
        except OSError:
            pass
        if scratch is not None:
            scratch.cleanup()
    click.echo("sandbox: stopped", err=True)
    return 0
