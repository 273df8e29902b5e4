"""Static sources -> Inventory: find files, parse them with positions, and
turn templates, API-shaped request files and snapshots into inventories."""

from __future__ import annotations

import gc
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from .errors import InputProblem
from .marked import _LONE_SURROGATE, MAX_BYTES, LoadError, decode, load_json, load_text, paused_gc
from .regular import NotRegular, open_regular

EXTENSIONS = (".yaml", ".yml", ".json", ".template")
TF_SUFFIXES = (".tf", ".tf.json")  # a directory holding these is a Terraform module
SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".mypy_cache", "cdk.out.assets"}
SNAPSHOT_MARK = b'"sm-audit-snapshot"'  # the format key, first or (sorted keys) last
# cheap pre-filter for directory scans: a file naming none of these is no template
MARKERS = ("Resources", "ProductionVariants", "PrimaryContainer", "Containers", "EndpointConfigName",
           "sm-audit-snapshot", "AWSTemplateFormatVersion", "planned_values", "resource_changes")


@dataclass
class FileResult:
    file: str
    inventories: list = field(default_factory=list)  # Inventory per condition scenario
    problems: list[InputProblem] = field(default_factory=list)
    skipped: bool = False  # a YAML/JSON file that is not a template (directory scans)
    skip_reason: str = ""  # why, for ``scan -v``
    kind: str = ""  # template | api | snapshot
    positions: dict = field(default_factory=dict)  # doc index -> path -> Span (for problems)
    findings: list = field(default_factory=list)  # findings the loader itself makes (unread modules)
    files: int = 1  # source files read (a Terraform module has several)


@dataclass
class _Options:
    terraform: Any = None  # TfOptions for this scan (set by scan(); forked workers inherit it)


OPTIONS = _Options()


def discover(paths: Iterable[str]) -> tuple[list[tuple[str, bool]], list[InputProblem]]:
    """(file, named_explicitly) pairs in a stable order, plus missing paths.
    A file reached twice (named twice, or named and inside a named
    directory) is scanned once; named explicitly if it was named."""
    out: list[tuple[str, bool]] = []
    problems: list[InputProblem] = []
    for p in paths:
        if os.path.isdir(p):
            found = []

            def unlistable(e: OSError) -> None:
                # a directory we cannot look into may hold templates: say so, never skip silently
                problems.append(InputProblem(display_path(e.filename or p),
                                             f"cannot list directory: {e.strerror or e}"))

            for root, dirs, files in os.walk(p, onerror=unlistable):
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
                tf = False
                for f in files:
                    # dotfiles are tool configuration (.sm-audit.yaml, .pre-commit-config.yaml ...)
                    if f.startswith("."):
                        continue
                    if f.endswith(TF_SUFFIXES):
                        tf = True  # the directory is the unit; its .tf.json files are not templates
                    elif f.lower().endswith(EXTENSIONS):
                        found.append(os.path.join(root, f))
                if tf:
                    found.append(root)
            out.extend((f, False) for f in sorted(found))
        elif os.path.exists(p) and p.endswith(TF_SUFFIXES) and not os.path.isdir(p):
            out.append((os.path.dirname(p) or ".", True))  # a .tf file scans its directory's module
        elif os.path.exists(p):
            out.append((p, True))
        else:
            problems.append(InputProblem(display_path(p), "no such file or directory"))
    seen: dict[str, int] = {}
    unique: list[tuple[str, bool]] = []
    for f, explicit in out:
        key = os.path.realpath(f)
        if key in seen:
            i = seen[key]
            unique[i] = (unique[i][0], unique[i][1] or explicit)
            continue
        seen[key] = len(unique)
        unique.append((f, explicit))
    return unique, problems


def preload(files: list[tuple[str, bool]]) -> None:
    """Import the readers ``files`` need, so that forked workers share them
    instead of each importing (and compiling the grammar tables of) its own."""
    from . import api, snapshot, template  # noqa: F401

    if any(os.path.isdir(f) for f, _ in files):
        from .terraform import build, plan  # noqa: F401


def planned_modules(files: list[tuple[str, bool]], tf_dir: Any = None) -> list[tuple[str, bool]]:
    """``files`` without the Terraform modules whose plan JSON is scanned in
    the same run: the plan is read with the module's ``.tf`` files beside it
    (or ``tf_dir``) as its sources, so its findings already point at their
    lines, with the values Terraform resolved; scanning the module too would
    report everything twice. A plan that is not a readable 1.x plan leaves
    its module to be scanned (the plan is an SM001 of its own)."""
    modules = {os.path.realpath(f): f for f, _ in files if os.path.isdir(f)}
    if not modules:
        return files
    covered = set()
    for f, _ in files:
        if f.lower().endswith(".json") and not os.path.isdir(f):
            key = os.path.realpath(tf_dir or os.path.dirname(os.path.abspath(f)))
            if key in modules and key not in covered and _readable_plan(f):
                covered.add(key)
    return [(f, e) for f, e in files if not (os.path.isdir(f) and os.path.realpath(f) in covered)]


def _readable_plan(path: str) -> bool:
    import json

    try:
        with open_regular(path) as fh:
            raw = fh.read(MAX_BYTES + 1)
    except (NotRegular, OSError):
        return False
    if len(raw) > MAX_BYTES or b'"planned_values"' not in raw:
        return False
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return False
    if not _is_plan(data):
        return False
    from .terraform.plan import shape_problem

    return shape_problem(data) is None


def display_path(path: str) -> str:
    """Paths in findings: relative to the working directory when below it.
    Bytes of a name that are not UTF-8 are shown as ``\\xff`` escapes (the
    file system hands them over as lone surrogates, which no output encodes)."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        rel = path
    shown = Path(rel if not rel.startswith("..") else path).as_posix()
    if _LONE_SURROGATE.search(shown):
        try:
            shown = shown.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        except UnicodeEncodeError:  # a surrogate that stands for no byte
            shown = shown.encode("utf-8", "backslashreplace").decode("utf-8")
    return shown


def _looks_like_template(text: str) -> bool:
    return any(m in text for m in MARKERS)


def load_file(path: str, explicit: bool, pins=None) -> FileResult:
    """Parse one file (see ``_load_file``), with the garbage collector paused."""
    collecting = paused_gc()
    try:
        return _load_file(path, explicit, pins)
    finally:
        if collecting:
            gc.enable()


def _load_file(path: str, explicit: bool, pins=None) -> FileResult:
    """Parse one file. In a directory scan (``explicit`` False) a YAML/JSON file
    that names none of the template markers, or parses into something that is
    no template, is skipped; a file that looks like one but cannot be read is
    an input problem. Binary and empty files with a template extension are
    problems either way: nothing tells them apart from a broken template.
    ``pins`` (``loaders.parameters.Pins``) apply to a CloudFormation template."""
    from .api import is_api_document, load_api
    from .snapshot import is_snapshot, load_snapshot
    from .template import is_template, load_template

    if os.path.isdir(path):
        from .terraform import load_terraform

        return load_terraform(path, explicit, OPTIONS.terraform, display_path)
    name = display_path(path)
    result = FileResult(name)
    if path.endswith((".tfvars", ".tfvars.json")):
        result.problems.append(InputProblem(
            name, "a variables file is read with its module: scan the module's directory (it reads "
                  "terraform.tfvars and *.auto.tfvars) or pass --var-file"))
        return result
    try:
        with open_regular(path) as fh:  # a FIFO or device would block or never end
            size = os.fstat(fh.fileno()).st_size
            raw = fh.read(MAX_BYTES + 1)  # never more than the limit into memory...
            snapshot = _marked_snapshot(fh, raw, size)
            if snapshot and len(raw) > MAX_BYTES:
                raw += fh.read()  # ...but a snapshot, whose only limit is memory
    except NotRegular as e:
        result.problems.append(InputProblem(name, f"cannot read file: {e}"))
        return result
    except OSError as e:
        result.problems.append(InputProblem(name, f"cannot read file: {e.strerror or e}"))
        return result
    if snapshot:
        loaded = _load_snapshot(name, raw)
        if loaded is not None:
            return loaded
    if len(raw) > MAX_BYTES:
        if not explicit and not _looks_like_template(raw[:65536].decode("utf-8", "replace")):
            return _skip(result, f"larger than {MAX_BYTES:,} bytes and names no template section")
        result.problems.append(InputProblem(
            name, f"file is {max(size, len(raw)):,} bytes; the limit is {MAX_BYTES:,} "
                  "(CloudFormation itself accepts at most 1 MB)"))
        return result
    try:
        text = decode(raw)
    except LoadError as e:
        if not explicit and e.message.startswith("not valid UTF-8") and \
                not _looks_like_template(raw.decode("utf-8", "replace")):
            return _skip(result, "not UTF-8 text and names no template section")
        result.problems.append(InputProblem(name, e.message, line=e.line, column=e.column))
        return result
    if not text.strip():
        result.problems.append(InputProblem(name, "empty file: expected a template or deployment file"))
        return result
    if not explicit and not _looks_like_template(text):
        return _skip(result, "names no template section (Resources, AWSTemplateFormatVersion, "
                             "ProductionVariants, PrimaryContainer, ...)")
    try:
        docs = load_text(text, path.lower().endswith(".json"))
    except LoadError as e:
        result.problems.append(InputProblem(name, e.message, line=e.line, column=e.column))
        return result
    result.positions = {d.index: d.positions for d in docs}
    docs = [d for d in docs if d.data is not None]
    if len(docs) == 1 and path.lower().endswith(".json") and _is_plan(docs[0].data):
        from .terraform.plan import load_plan

        return load_plan(path, name, docs[0], OPTIONS.terraform, display_path)
    if len(docs) == 1 and is_snapshot(docs[0].data):
        result.kind = "snapshot"
        result.inventories, result.problems = load_snapshot(name, docs[0].data)
        return result
    if docs and is_template(docs[0].data):
        result.kind = "template"
        result.inventories, result.problems = load_template(name, docs[0], pins)
        return result
    if docs and any(is_api_document(d) for d in docs):
        result.kind = "api"
        result.inventories, result.problems = load_api(name, docs)
        return result
    if explicit:
        result.problems.append(InputProblem(
            name,
            "not a CloudFormation/SAM template, API-shaped deployment file or sm-audit snapshot "
            "(no 'Resources' section and no CreateModel/CreateEndpointConfig/CreateEndpoint request)",
        ))
    else:
        _skip(result, "parsed, but it is no template (no Resources mapping), API request file or snapshot")
    return result


def _skip(result: FileResult, reason: str) -> FileResult:
    result.skipped, result.skip_reason = True, reason
    return result


def _marked_snapshot(fh: Any, head: bytes, size: int) -> bool:
    """Does the file name the snapshot format key near its start or end?"""
    if SNAPSHOT_MARK in head[:65536]:
        return True
    if size <= len(head):
        return SNAPSHOT_MARK in head[-65536:]
    here = fh.tell()
    fh.seek(max(0, size - 65536))
    tail = fh.read()
    fh.seek(here)
    return SNAPSHOT_MARK in tail


def _load_snapshot(name: str, raw: bytes) -> Any:
    """A snapshot read as plain JSON (its locations are ARNs, so no positions
    are composed), or None when the file is no snapshot after all. Only for
    the few input problems of a file under the template size limit are
    positions composed, so those findings keep their lines."""
    from .snapshot import is_snapshot, load_snapshot

    result = FileResult(name)
    try:
        text = decode(raw, limit=None)
        (doc,) = load_json(text, positions=False)
    except LoadError:
        return None  # read again the usual way: the same problem, with its line
    if not is_snapshot(doc.data):
        return None
    result.kind = "snapshot"
    result.inventories, result.problems = load_snapshot(name, doc.data)
    if result.problems and len(raw) <= MAX_BYTES:
        try:
            result.positions = {0: load_json(text)[0].positions}
        except LoadError:
            pass
    return result


def _is_plan(data: Any) -> bool:
    """``terraform show -json`` output (a plan, or the state it shows)."""
    return isinstance(data, dict) and "format_version" in data and (
        "planned_values" in data or "resource_changes" in data or "terraform_version" in data)


__all__ = ["discover", "planned_modules", "preload", "load_file", "FileResult", "InputProblem", "display_path"]
