"""Options every reporting command shares, and writing the result."""

from __future__ import annotations

import re
import sys
from typing import Callable, Optional

import click

from ..vocabulary import FAIL_ON

FORMATS = ("text", "concise", "json", "sarif", "html", "junit", "markdown")
COLOR = ("auto", "always", "never")
# partition (aws, aws-cn, aws-us-gov ...), a 12-digit account, a role path and name
ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}")


def output_options(f: Callable) -> Callable:
    f = click.option("--quiet", "-q", is_flag=True,
                     help="Findings only: no summary (and no summary line on stderr with --output).")(f)
    f = click.option("--color", "color", type=click.Choice(COLOR), default="auto", show_default=True,
                     help="Colour in text output: auto is on for a terminal unless NO_COLOR is set.")(f)
    f = click.option("--fail-on", type=click.Choice(FAIL_ON), default=None,
                     help="Lowest level that makes the exit code 1 [default: error, or the config's fail_on].")(f)
    f = click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
                     help="Configuration file [default: the nearest .sm-audit.yaml from each scanned path "
                          "(scan) or the working directory up to the repository root].")(f)
    f = click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None,
                     metavar="FILE|s3://BUCKET/KEY",
                     help="Write the report to this file (or S3 object) instead of standard output.")(f)
    f = click.option("--format", "-f", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
                     help="Report format.")(f)
    return f


def account_options(verb: str) -> Callable[[Callable], Callable]:
    """The accounts and regions a live command covers (``audit``, ``remediate``)."""
    def deco(f: Callable) -> Callable:
        f = click.option("--max-workers", type=click.IntRange(1, 64), default=8, show_default=True,
                         help="Accounts x regions audited at once.")(f)
        f = click.option("--org-role", default=None, metavar="NAME",
                         help=f"{verb} every active account of the AWS Organization through role NAME "
                              "in each.")(f)
        f = click.option("--role-arn", "role_arns", multiple=True,
                         help=f"Assume this role and {verb.lower()} its account (repeatable: one per account).")(f)
        f = click.option("--all-regions", is_flag=True, help=f"{verb} every region enabled in each account.")(f)
        return f
    return deco


def check_account_options(role_arns: tuple[str, ...], org_role: Optional[str]) -> None:
    if role_arns and org_role:
        raise click.UsageError("--role-arn and --org-role cannot be combined")
    for arn in role_arns:
        if not ROLE_ARN.fullmatch(arn):
            raise click.UsageError(f"--role-arn {arn!r} is not an IAM role ARN "
                                   "(arn:aws:iam::123456789012:role/NAME)")
    if org_role is not None and not re.fullmatch(r"[\w+=,.@/-]{1,512}", org_role):
        raise click.UsageError(f"--org-role {org_role!r} is not an IAM role name")


def write(text: str, output: Optional[str]) -> None:
    """The report to standard output or to ``output``. A regular file is
    replaced only once the whole report is written (a temporary file beside
    it, renamed over it): a failure leaves the previous report intact.
    ``s3://BUCKET/KEY`` is one PutObject, as whole."""
    # a file name read from disk may hold undecodable bytes (surrogate escapes)
    data = text.encode("utf-8", "backslashreplace")
    if output and output.startswith("s3://"):
        from ..s3 import S3Error, put_report  # boto3 only for an S3 report

        try:
            put_report(output, data)
        except S3Error as e:
            raise click.ClickException(str(e)) from None
        return
    if not output:
        sys.stdout.flush()
        if hasattr(sys.stdout, "buffer"):
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        else:  # pragma: no cover - a text-only stream
            sys.stdout.write(data.decode("utf-8"))
            sys.stdout.flush()
        return
    import os
    import stat
    import tempfile

    target = os.path.realpath(output)  # through a symlink: replace what it points to
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):  # /dev/stdout, a pipe: nothing to keep
        with open(output, "wb") as fh:
            fh.write(data)
        return
    try:
        fd, tmp = tempfile.mkstemp(prefix=".sm-audit-", suffix=".tmp", dir=os.path.dirname(target))
    except OSError:  # a directory we may not create files in: write in place
        with open(output, "wb") as fh:
            fh.write(data)
        return
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, (mode & 0o7777) if mode is not None else 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _umask() -> int:
    import os

    mask = os.umask(0)  # the only way to read it; set back at once
    os.umask(mask)
    return mask


def use_color(output: Optional[str], mode: str = "auto") -> bool:
    import os

    if mode != "auto":
        return mode == "always"
    if output or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def emit(doc, fmt: str, output: Optional[str], color: str = "auto", quiet: bool = False, **options) -> None:
    """Render and write the report; with ``--output``, one summary line still
    goes to stderr so a CI log shows the outcome (not with ``--quiet``)."""
    from reports import render
    from reports.text import summary_line

    write(render(doc, fmt, color=use_color(output, color), quiet=quiet, **options), output)
    if output and not quiet:
        click.echo(f"{summary_line(doc, options.get('baseline'))}; report written to {output}", err=True)
