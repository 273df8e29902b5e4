"""SARIF 2.1.0 for GitHub code scanning (and any SARIF viewer).

Mapping decisions (GitHub's ingestion rules in brackets):

* ``tool.driver.rules``: every rule that ran, sorted by ID, with short/full
  description, help text + Markdown from the rule's doc, ``helpUri``, default
  level, tags and, for security rules, ``security-severity`` as a string
  [GitHub reads it only from the rule's properties and wants the ``security``
  tag with it].
* A ``fail`` finding is ``kind: fail`` with the finding's level; an
  ``unknown`` one is ``kind: review`` with ``level: none`` (SARIF §3.27.10:
  a kind other than ``fail`` has level ``none``); an ``error`` finding (broken
  input, crashed rule) is ``kind: fail``, level ``error``, and also a tool
  execution notification.
* Every result has exactly one location with a physical location [GitHub
  rejects the whole file otherwise]: file findings use a repository-relative
  URI under ``%SRCROOT%`` (an absolute ``file://`` URI when the file lies
  outside the root; never ``../``) with the precise region; live findings use
  the ARN as the artifact URI plus a logical location (ARN, account,
  region). Findings that have no place at all (a rule pack that failed to
  load) are notifications only.
* ``partialFingerprints["smAudit/v1"]`` hashes rule + resource (repo-relative
  file and logical ID, or ARN) + property path: stable when lines move, the
  same on every machine. We do not set ``primaryLocationLineHash``: GitHub
  computes that one itself.
* Suppressed findings stay, with ``suppressions`` (``inSource`` for template
  Metadata, ``external`` for config and tags) and the justification.
* Deterministic: sorted, no timestamps, no GUIDs.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path
from typing import Any, Optional
from urllib.parse import quote

from auditor.models.findings import Finding, ResultDocument, RuleInfo

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "smAudit/v1"
INFO_URI = "https://github.com/sm-audit/sm-audit"
DOCS_URI = "https://github.com/sm-audit/sm-audit/blob/main/docs/rules/{id}.md"
MAX_DESCRIPTION = 1000  # GitHub truncates longer descriptions


def default_repo_root(cwd: Optional[str] = None) -> str:
    """The git top level of the working directory, else the directory itself."""
    cwd = os.path.abspath(cwd or os.getcwd())
    try:
        out = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=cwd, capture_output=True,
                             text=True, timeout=10, check=False)
        if out.returncode == 0 and out.stdout.strip():
            return os.path.realpath(out.stdout.strip())
    except (OSError, subprocess.SubprocessError):
        pass
    return os.path.realpath(cwd)


class Uris:
    """File paths (as the scan saw them, relative to its working directory)
    to SARIF artifact locations relative to the repository root."""

    def __init__(self, root: str) -> None:
        self.root = os.path.realpath(root)

    def rel(self, file: str) -> Optional[str]:
        """Repo-relative POSIX path, or None when the file lies outside the root."""
        p = os.path.realpath(os.path.abspath(file))
        try:
            rel = os.path.relpath(p, self.root)
        except ValueError:  # another drive (Windows)
            return None
        if rel == os.curdir or rel.startswith(os.pardir + os.sep) or rel == os.pardir or os.path.isabs(rel):
            return None
        return rel.replace(os.sep, "/")

    def artifact(self, file: str) -> dict:
        rel = self.rel(file)
        if rel is None:
            return {"uri": Path(os.path.abspath(file)).as_uri()}
        return {"uri": quote(rel, safe="/-._~"), "uriBaseId": SRCROOT}

    def identity(self, file: str) -> str:
        rel = self.rel(file)
        return rel if rel is not None else os.path.abspath(file)


def _text(s: str, limit: int = MAX_DESCRIPTION) -> str:
    s = " ".join(s.split())
    return s if len(s) <= limit else s[: limit - 1].rstrip() + "…"


def _help(info: RuleInfo) -> tuple[str, str]:
    from auditor.docs import SECTIONS, sections_markdown, with_doc

    full = with_doc(info)
    md = [f"**{info.title}**", "", f"> {info.policy}", "", sections_markdown(full, level=3).rstrip()]
    if info.params:
        md += ["", "### Parameters", "", "| Parameter | Value |", "|---|---|"]
        md += [f"| `{k}` | `{json.dumps(v, sort_keys=True)}` |" for k, v in sorted(info.params.items())]
    text = [info.title, "", f"Policy: {info.policy}"]
    for key, title in SECTIONS:
        body = getattr(full.doc, key, "")
        if body:
            text += ["", f"{title}:", body]
    if info.params:
        text += ["", "Parameters: " + ", ".join(f"{k}={json.dumps(v, sort_keys=True)}"
                                                for k, v in sorted(info.params.items()))]
    return "\n".join(text).strip() + "\n", "\n".join(md).strip() + "\n"


def rule_descriptor(info: RuleInfo) -> dict:
    text, md = _help(info)
    from auditor.docs import with_doc

    what = with_doc(info).doc.what
    tags = list(dict.fromkeys(info.tags))
    props: dict[str, Any] = {}
    if info.security_severity is not None:
        if "security" not in tags:
            tags.append("security")
        props["security-severity"] = f"{info.security_severity:.1f}"
    props["tags"] = sorted(tags)[:20]
    props["precision"] = "high"
    props["sm-audit/policy"] = info.policy
    if info.section:
        props["sm-audit/section"] = info.section
    props["sm-audit/scope"] = list(info.scope)
    if info.params:
        props["sm-audit/params"] = info.params
    if info.remediation:
        props["sm-audit/remediation"] = info.remediation
    if info.plugin:
        props["sm-audit/plugin"] = info.plugin
    return {
        "id": info.id,
        "name": info.slug,
        "shortDescription": {"text": _text(info.title)},
        "fullDescription": {"text": _text(f"{info.policy} {what}".strip())},
        "help": {"text": text, "markdown": md},
        "helpUri": info.help_uri or DOCS_URI.format(id=info.id),
        "defaultConfiguration": {"level": info.level},
        "properties": props,
    }


def _region(f: Finding) -> Optional[dict]:
    loc = f.location
    if not loc.line:
        return None
    region: dict[str, int] = {"startLine": loc.line}
    if loc.column:
        region["startColumn"] = loc.column
    if loc.end_line and loc.end_line >= loc.line:
        end_line, end_col = loc.end_line, loc.end_column
        # a YAML block ends at column 1 of the next line: end at the end of the line before
        if end_col == 1 and end_line > loc.line:
            end_line, end_col = end_line - 1, None
        region["endLine"] = end_line
        if end_col and (end_line > loc.line or end_col > (loc.column or 1)):
            region["endColumn"] = end_col
    return region


def _logical(f: Finding, logical_id: Optional[str]) -> list[dict]:
    r, loc = f.resource, f.location
    arn = loc.arn or (r.arn if r else None)
    account = loc.account or (r.account if r else None)
    region = loc.region or (r.region if r else None)
    if arn:
        props = {k: v for k, v in (("account", account), ("region", region),
                                   ("resourceType", r.type if r else None),
                                   ("stack", r.stack if r else None)) if v}
        out = {"fullyQualifiedName": arn, "name": (r.name or r.id) if r else arn, "kind": "resource"}
        if props:
            out["properties"] = props
        return [out]
    if logical_id:
        out = {"name": logical_id, "kind": "resource"}
        if f.path:
            out["fullyQualifiedName"] = f"{logical_id}.{f.path}" if not f.path.startswith("Resources.") else f.path
        if r and r.type:
            out["properties"] = {"resourceType": r.type}
        return [out]
    return []


def _fingerprint(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


class _Builder:
    def __init__(self, doc: ResultDocument, uris: Uris) -> None:
        self.doc = doc
        self.uris = uris
        infos = {r.id: r for r in doc.rules}
        for f in doc.findings:  # a merged or hand-made document may lack a rule entry
            if f.rule not in infos:
                infos[f.rule] = RuleInfo(id=f.rule, slug=f.slug, title=f.slug, level=f.level,
                                         policy="(no rule metadata in the results)")
        self.infos = [infos[k] for k in sorted(infos)]
        self.index = {r.id: i for i, r in enumerate(self.infos)}
        self.exec_notes: list[dict] = []

    def location(self, f: Finding) -> Optional[dict]:
        loc, r = f.location, f.resource
        file = loc.file or (r.file if r else None)
        logical_id = None
        if r and "#" in r.key and not r.key.startswith("arn:"):
            logical_id = r.key.split("#", 1)[1]
        arn = loc.arn or (r.arn if r else None)
        if file:
            phys: dict[str, Any] = {"artifactLocation": self.uris.artifact(file)}
            region = _region(f)
            if region:
                phys["region"] = region
        elif arn:
            phys = {"artifactLocation": {"uri": arn}}
        else:
            return None
        out: dict[str, Any] = {"physicalLocation": phys}
        logical = _logical(f, logical_id)
        if logical:
            out["logicalLocations"] = logical
        return out

    def fingerprint(self, f: Finding) -> str:
        r = f.resource
        if r is not None:
            if r.key.startswith("arn:") or not (r.file or f.location.file):
                resource = r.key
            else:
                logical = r.key.split("#", 1)[1] if "#" in r.key else r.id
                resource = self.uris.identity(r.file or f.location.file or "") + "#" + logical
            return _fingerprint(f.rule, resource, f.path)
        where = self.uris.identity(f.location.file) if f.location.file else (f.location.arn or "")
        return _fingerprint(f.rule, where, f.path, f.message)

    def result(self, f: Finding, baseline_state: Optional[str]) -> Optional[dict]:
        location = self.location(f)
        note_level = "error" if f.outcome == "error" else None
        if f.outcome == "error":
            self.notify(f, location)
        if location is None:
            if note_level is None:  # nowhere to show it in code: keep it visible as a notification
                self.notify(f, None)
            return None
        res: dict[str, Any] = {
            "ruleId": f.rule,
            "ruleIndex": self.index[f.rule],
            "kind": "review" if f.outcome == "unknown" else "fail",
            "level": "none" if f.outcome == "unknown" else f.level,
            "message": {"text": f.message},
            "locations": [location],
            "partialFingerprints": {FINGERPRINT_KEY: self.fingerprint(f)},
        }
        if baseline_state:
            res["baselineState"] = baseline_state
        fix = self.fix(f, location)
        if fix:
            res["fixes"] = [fix]
        if f.suppression is not None:
            s = f.suppression
            sup: dict[str, Any] = {"kind": s.kind, "status": "accepted",
                                   "justification": s.reason or "(no reason given)"}
            props = {k: v for k, v in (("expires", s.expires), ("source", s.source)) if v}
            if props:
                sup["properties"] = props
            res["suppressions"] = [sup]
        props: dict[str, Any] = {"outcome": f.outcome, "slug": f.slug}
        if f.resource is not None:
            props["resource"] = f.resource.id
            if f.resource.type:
                props["resourceType"] = f.resource.type
        if f.path:
            props["propertyPath"] = f.path
        if f.scenario:
            props["scenario"] = f.scenario
        if f.notes:
            props["notes"] = list(f.notes)
        if f.remediation:
            props["remediation"] = f.remediation
        res["properties"] = props
        return res

    def fix(self, f: Finding, location: dict) -> Optional[dict]:
        """A SARIF fix where the rule's fix is one replacement of the finding's
        own one-line property (e.g. ``InitialInstanceCount: 1`` -> ``2``),
        checked against the file's text so the edit is exact."""
        from auditor import fixes

        from . import source

        loc = f.location
        info = next((r for r in self.infos if r.id == f.rule), None)
        fx = fixes.suggest(f, info.params if info else None)
        if fx is None or fx.replaces is None:
            return None
        region = source.region_text(loc.file, loc.line, loc.column, loc.end_line, loc.end_column)
        text = fixes.replacement(fx, fixes.snippet_format(f), region) if region else None
        if text is None:
            return None
        phys = location["physicalLocation"]
        deleted = {"startLine": loc.line, "startColumn": loc.column, "endLine": loc.line,
                   "endColumn": loc.end_column}
        return {"description": {"text": fx.title},
                "artifactChanges": [{"artifactLocation": phys["artifactLocation"],
                                     "replacements": [{"deletedRegion": deleted,
                                                       "insertedContent": {"text": text}}]}]}

    def notify(self, f: Finding, location: Optional[dict]) -> None:
        n: dict[str, Any] = {
            "level": "error" if f.outcome == "error" else ("note" if f.outcome == "unknown" else f.level),
            "message": {"text": f"{f.rule} {f.slug}: {f.message}"},
            "associatedRule": {"id": f.rule, "index": self.index[f.rule]},
        }
        if location is not None:
            n["locations"] = [location]
        self.exec_notes.append(n)

    def gap_notes(self) -> list[dict]:
        out = []
        for g in self.doc.gaps:
            where = "/".join(x for x in (g.account, g.region) if x) or "-"
            op = ":".join(x for x in (g.service, g.operation) if x) or "read"
            text = f"coverage gap in {where}: {op} failed"
            if g.error:
                text += f" ({g.error})"
            if g.resource:
                text += f" for {g.resource}"
            if g.message:
                text += f": {g.message}"
            text += f"; results that read {', '.join(sorted(g.kinds)) if g.kinds else 'anything'} there are unknown"
            props = {k: v for k, v in (("account", g.account), ("region", g.region), ("service", g.service),
                                       ("operation", g.operation), ("error", g.error),
                                       ("resource", g.resource)) if v}
            if g.kinds:
                props["kinds"] = sorted(g.kinds)
            n: dict[str, Any] = {"level": "warning", "message": {"text": text}, "properties": props}
            out.append(n)
        run = self.doc.run
        if run.files_skipped:
            out.append({"level": "note", "message": {"text": f"{run.files_skipped} YAML/JSON file(s) skipped: "
                                                             "not CloudFormation/SAM templates or deployment files"}})
        return out


def build(doc: ResultDocument, repo_root: Optional[str] = None, baseline: Any = None) -> dict:
    root = os.path.realpath(repo_root) if repo_root else default_repo_root()
    b = _Builder(doc, Uris(root))
    results = []
    state = "new" if baseline is not None else None
    for f in sorted(doc.findings, key=Finding.sort_key):
        r = b.result(f, state)
        if r is not None:
            results.append(r)
    results.sort(key=lambda r: (json.dumps(r["locations"], sort_keys=True), r["ruleId"],
                                r["partialFingerprints"][FINGERPRINT_KEY], r["message"]["text"]))
    # a rule reaching one resource from several others can say the same thing twice: one alert
    unique: dict[str, dict] = {}
    for r in results:
        unique.setdefault(json.dumps(r, sort_keys=True), r)
    results = list(unique.values())
    exec_notes = b.exec_notes + b.gap_notes()
    exec_notes.sort(key=lambda n: json.dumps(n, sort_keys=True))
    rule_errors = [f for f in doc.findings if f.outcome == "error" and f.rule != "SM001"]
    invocation: dict[str, Any] = {"executionSuccessful": not rule_errors}
    if exec_notes:
        invocation["toolExecutionNotifications"] = exec_notes
    tool = doc.tool or {}
    driver: dict[str, Any] = {
        "name": tool.get("name", "sm-audit"),
        "version": tool.get("version", "0"),
        "informationUri": INFO_URI,
        "rules": [rule_descriptor(i) for i in b.infos],
    }
    if all(c.isdigit() or c == "." for c in driver["version"]) and driver["version"].count(".") == 2:
        driver["semanticVersion"] = driver["version"]
    run_props: dict[str, Any] = {"sm-audit/run": doc.run.model_dump(mode="json")}
    if baseline is not None:
        run_props["sm-audit/baseline"] = {
            "sources": list(baseline.sources),
            "new": len(baseline.new),
            "unchanged": baseline.unchanged,
            "fixed": [{"ruleId": f.rule, "message": f.message, "location": f.location.short(),
                       "fingerprint": f.fingerprint} for f in baseline.fixed],
        }
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "invocations": [invocation],
        "originalUriBaseIds": {SRCROOT: {"uri": Path(root).as_uri().rstrip("/") + "/"}},
        "results": results,
        "columnKind": "unicodeCodePoints",
        "properties": run_props,
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(doc: ResultDocument, repo_root: Optional[str] = None, baseline: Any = None, **_options) -> str:
    return json.dumps(build(doc, repo_root, baseline), indent=2, ensure_ascii=False) + "\n"
