"""Terraform as a third source of the Inventory: a directory of ``.tf`` /
``.tf.json`` files is one module (a root module here), read as Terraform
reads it; ``terraform show -json`` plans are read by ``plan.py``.

Imported only when a scan meets Terraform input, so the static scan's
start-up does not pay for the HCL grammar."""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field
from typing import Any, Optional

from ..errors import InputProblem
from ..marked import MAX_BYTES, LoadError, decode
from .hcl import HclError, HclFile, parse, parse_json

TF_SUFFIXES = (".tf", ".tf.json")


@dataclass
class TfOptions:
    """``--var k=v`` (in order), ``--var-file F``, ``--tf-dir D`` (sources of a plan)."""

    variables: list[tuple[str, str]] = field(default_factory=list)
    var_files: list[str] = field(default_factory=list)
    tf_dir: Optional[str] = None


def is_tf_file(name: str) -> bool:
    return name.endswith(TF_SUFFIXES) and not name.startswith(".")


def has_tf_files(directory: str) -> bool:
    try:
        return any(is_tf_file(n) and os.path.isfile(os.path.join(directory, n)) for n in os.listdir(directory))
    except OSError:
        return False


def read_text(path: str, display: str) -> str:
    """A source file's text; LoadError (with the reason) when it cannot be read."""
    import stat

    try:
        st = os.stat(path)
    except OSError as e:
        raise LoadError(f"cannot read file: {e.strerror or e}") from None
    if not stat.S_ISREG(st.st_mode):
        raise LoadError("not a regular file")
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError as e:
        raise LoadError(f"cannot read file: {e.strerror or e}") from None
    if len(raw) > MAX_BYTES:
        raise LoadError(f"file is larger than {MAX_BYTES:,} bytes")
    return decode(raw)


class Config:
    """One scan of one root module: parsed files (each once), problems, and
    what could not be read."""

    def __init__(self, root: str, display_root: str, display) -> None:
        self.root = root
        self.display_root = display_root
        self._display = display
        self.problems: list[InputProblem] = []
        self.unread: list = []
        self._files: dict[str, list[HclFile]] = {}
        self.texts: dict[str, list[str]] = {}  # display path -> lines (suppression comments)

    def display(self, path: str) -> str:
        return self._display(path)

    def read_dir(self, directory: str) -> list[HclFile]:
        key = os.path.realpath(directory)
        if key in self._files:
            return self._files[key]
        out: list[HclFile] = []
        self._files[key] = out
        try:
            names = sorted(n for n in os.listdir(directory) if is_tf_file(n))
        except OSError as e:
            self.problems.append(InputProblem(self.display(directory), f"cannot read directory: {e.strerror or e}"))
            return out
        for n in names:
            path = os.path.join(directory, n)
            if os.path.isdir(path):
                continue
            shown = self.display(path)
            try:
                text = read_text(path, shown)
                hf = parse_json(text, shown) if n.endswith(".json") else parse(text, shown)
            except LoadError as e:
                self.problems.append(InputProblem(shown, e.message, line=e.line, column=e.column))
                continue
            except HclError as e:
                self.problems.append(InputProblem(shown, e.message, line=e.line, column=e.column))
                continue
            self.texts[shown] = hf.lines
            out.append(hf)
        return out

    def unread_module(self, address: str, source: str, span, why: str, problem: bool = False) -> Any:
        from ...values import Unknown
        from .module import UnreadModule

        if problem:
            self.problems.append(InputProblem(span.file, f"{address}: module source {source!r}: {why}",
                                              line=span.line, column=span.column))
        else:
            self.unread.append(UnreadModule(address, source, span, why))
        return Unknown(f"{address} ({source}) is not read: {why}")

    unread_fn = unread_module


def load_terraform(path: str, explicit: bool, options: Optional[TfOptions], display) -> Any:
    """A directory as a root module -> FileResult (the loaders' common result)."""
    from .. import FileResult
    from .build import build_inventory

    shown = display(path)
    result = FileResult(shown, kind="terraform")
    cfg = Config(path, shown, display)
    try:
        inventories, findings = build_inventory(cfg, options or TfOptions())
    except RecursionError:
        cfg.problems.append(InputProblem(shown, "configuration nested too deeply to read"))
        inventories, findings = [], []
    result.inventories = inventories
    result.problems = cfg.problems
    result.findings = findings
    result.files = max(1, sum(len(v) for v in cfg._files.values()))
    return result


__all__ = ["TfOptions", "load_terraform", "has_tf_files", "is_tf_file", "Config"]
