"""The ``sm-audit`` command line. Sub-commands live in their own modules and
are imported only when run, so ``sm-audit --version`` and static scans stay
fast (boto3 is never imported on the static path; ``--version`` does not
even import click)."""

from __future__ import annotations

import os
import sys
from typing import Any

from .. import __version__

COMMANDS = {
    "scan": ("auditor.cli.scan_cmd", "scan"),
    "audit": ("auditor.cli.audit_cmd", "audit"),
    "remediate": ("auditor.cli.remediate_cmd", "remediate"),
    "restore": ("auditor.cli.remediate_cmd", "restore"),
    "report": ("auditor.cli.report_cmd", "report"),
    "rules": ("auditor.cli.rules_cmd", "rules"),
    "sandbox": ("auditor.cli.sandbox_cmd", "sandbox"),
    "schema": ("auditor.cli.schema_cmd", "schema"),
}
HELP = {
    "scan": "Check templates and deployment files (the pre-merge gate).",
    "audit": "Check live AWS accounts and regions (read-only).",
    "remediate": "Plan fixes for live findings; --apply to carry them out.",
    "restore": "Undo what a remediation journal records.",
    "report": "Render or merge saved JSON results.",
    "rules": "List the rules, or explain one.",
    "sandbox": "Serve the demo account until stopped (try remediate/restore).",
    "schema": "Print the JSON Schema of the result document.",
}
_APP: dict[str, Any] = {}


def _build() -> dict[str, Any]:
    """The click group, built on first use."""
    if _APP:
        return _APP
    import importlib

    import click

    class LazyGroup(click.Group):
        def list_commands(self, ctx: click.Context) -> list[str]:
            return sorted(COMMANDS)

        def get_command(self, ctx: click.Context, name: str):
            if name not in COMMANDS:
                return None
            module, attr = COMMANDS[name]
            try:
                return getattr(importlib.import_module(module), attr)
            except ModuleNotFoundError as e:
                if e.name and e.name.startswith("auditor.cli."):
                    return None  # command not built into this version
                raise

        def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
            rows = [(n, HELP[n]) for n in sorted(COMMANDS)]
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    @click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
    @click.version_option(__version__, "--version", prog_name="sm-audit", message="%(prog)s %(version)s")
    def cli() -> None:
        """Policy-as-code linter and compliance auditor for SageMaker deployments.

        Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it
        (invalid input files count), 2 usage or configuration error, 3 internal
        error.
        """

    _APP.update(cli=cli, LazyGroup=LazyGroup)
    return _APP


def __getattr__(name: str) -> Any:  # ``from auditor.cli import cli`` keeps working
    if name in ("cli", "LazyGroup"):
        return _build()[name]
    raise AttributeError(name)


def _fast_version(argv: list[str] | None) -> bool:
    """``sm-audit --version`` answers before click is imported (start-up time)."""
    args = sys.argv[1:] if argv is None else argv
    if list(args) == ["--version"]:
        sys.stdout.write(f"sm-audit {__version__}\n")
        return True
    return False


def main(argv: list[str] | None = None) -> None:
    if _fast_version(argv):
        sys.exit(0)
    # pydantic looks for its own plugins (observability hooks) by reading the
    # metadata of every installed distribution: ~60 ms of start-up that a
    # command-line run does not need. Set the variable to "" to keep them.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    import click

    from ..exitcodes import Exit, for_exception

    cli = _build()["cli"]
    try:
        rc = cli.main(args=argv, prog_name="sm-audit", standalone_mode=False)
    except click.exceptions.Exit as e:
        rc = e.exit_code
    except click.ClickException as e:
        e.show()
        rc = Exit.USAGE
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        rc = Exit.USAGE
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        rc = 130
    except Exception as e:  # noqa: BLE001 - the one place errors become exit codes
        code = for_exception(e)
        if code == Exit.USAGE:
            from ..credentials import message

            click.echo(f"sm-audit: error: {message(e) or e}", err=True)
        else:
            if os.environ.get("SM_AUDIT_DEBUG"):
                raise
            click.echo(f"sm-audit: internal error: {type(e).__name__}: {e}\n"
                       "Please report this; set SM_AUDIT_DEBUG=1 for the traceback.", err=True)
        rc = code
    sys.exit(int(rc or 0))
