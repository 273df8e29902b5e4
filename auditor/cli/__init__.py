"""The ``sm-audit`` command line. Sub-commands live in their own modules and
are imported only when run, so ``sm-audit --version`` and static scans stay
fast (boto3 is never imported on the static path)."""

from __future__ import annotations

import os
import sys

import click

from .. import __version__
from ..exitcodes import Exit, for_exception

COMMANDS = {
    "scan": ("auditor.cli.scan_cmd", "scan"),
    "audit": ("auditor.cli.audit_cmd", "audit"),
    "remediate": ("auditor.cli.remediate_cmd", "remediate"),
    "restore": ("auditor.cli.remediate_cmd", "restore"),
    "report": ("auditor.cli.report_cmd", "report"),
    "rules": ("auditor.cli.rules_cmd", "rules"),
}
HELP = {
    "scan": "Check templates and deployment files (the pre-merge gate).",
    "audit": "Check live AWS accounts and regions (read-only).",
    "remediate": "Plan fixes for live findings; --apply to carry them out.",
    "restore": "Undo what a remediation journal records.",
    "report": "Render or merge saved JSON results.",
    "rules": "List the rules, or explain one.",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str):
        if name not in COMMANDS:
            return None
        import importlib

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


def main(argv: list[str] | None = None) -> None:
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
            click.echo(f"sm-audit: error: {e}", err=True)
        else:
            if os.environ.get("SM_AUDIT_DEBUG"):
                raise
            click.echo(f"sm-audit: internal error: {type(e).__name__}: {e}\n"
                       "Please report this; set SM_AUDIT_DEBUG=1 for the traceback.", err=True)
        rc = code
    sys.exit(int(rc or 0))
