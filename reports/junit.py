"""JUnit XML for CI systems that read it: one test suite per rule, one test
case per rule × resource (``doc.evaluations``, plus file-level findings such
as an unreadable template).

Outcomes: ``pass`` passes; ``fail`` at or above ``--fail-on`` is a
``<failure>`` and an ``error`` (broken input, crashed rule) an ``<error>``,
so the CI's red/green agrees with the exit code; failures below the
threshold pass with the finding in ``system-out`` (they are reported, not
gating); ``unknown`` and ``suppressed`` are ``<skipped>`` with the reason.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from typing import Any, Optional

from auditor.models.findings import Finding, ResultDocument
from auditor.vocabulary import LEVEL_RANK

from . import summary as S

# characters XML 1.0 cannot carry, even escaped
_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _x(s: Any) -> str:
    return _BAD_XML.sub("\ufffd", str(s))


def _line(f: Finding) -> str:
    where = f.location.short()
    path = f" [{f.path}]" if f.path else ""
    sup = f" (suppressed: {f.suppression.reason or 'no reason given'})" if f.suppression else ""
    kind = "unknown" if f.outcome == "unknown" else f.level
    return f"{kind} {f.rule} {where}{path}: {f.message}{sup}"


def render(doc: ResultDocument, fail_on: Optional[str] = None, baseline: Any = None, **_options) -> str:
    fail_on = fail_on or doc.run.fail_on or "error"
    threshold = LEVEL_RANK.get(fail_on, 99)  # "never": nothing gates
    titles = {r.id: r.title for r in doc.rules}
    rows = S.rows(doc)
    unchanged = set()
    if baseline is not None:  # the document holds only new findings: the rest is as before
        for r in rows:
            if not r.findings and r.outcome != "pass":
                unchanged.add((r.rule, r.resource))
                r.outcome = "pass"
    by_rule: dict[str, list[S.Row]] = defaultdict(list)
    for r in rows:
        by_rule[r.rule].append(r)
    root = ET.Element("testsuites", name="sm-audit")
    totals = defaultdict(int)
    for rule in sorted(by_rule):
        suite = ET.SubElement(root, "testsuite", name=_x(f"{rule} {titles.get(rule, '')}".strip()))
        counts = defaultdict(int)
        for r in by_rule[rule]:
            case = ET.SubElement(suite, "testcase", classname=_x(f"sm-audit.{rule}"),
                                 name=_x(f"{r.label} ({r.resource})" if r.label != r.resource else r.resource))
            if not r.resource.startswith("arn:"):
                case.set("file", _x(r.group))
            if (r.rule, r.resource) in unchanged:
                ET.SubElement(case, "system-out").text = "unchanged since the baseline"
            active = [f for f in r.findings if not f.suppression]
            text = "\n".join(_line(f) for f in r.findings)
            if r.outcome == "error":
                el = ET.SubElement(case, "error", message=_x(active[0].message if active else "error"),
                                   type="error")
                el.text = _x(text)
                counts["errors"] += 1
            elif r.outcome == "fail":
                failing = [f for f in active if f.outcome in ("fail", "error")]
                gating = [f for f in failing if LEVEL_RANK[f.level] >= threshold]
                if gating:
                    el = ET.SubElement(case, "failure", message=_x(gating[0].message), type=gating[0].level)
                    el.text = _x(text)
                    counts["failures"] += 1
                elif not failing and LEVEL_RANK.get(r.level, 0) >= threshold:
                    # the engine failed this resource through a finding on a related one
                    el = ET.SubElement(case, "failure", type=r.level,
                                       message="failed through a finding on a related resource (see this rule's "
                                               "other test cases)")
                    el.text = _x(text)
                    counts["failures"] += 1
                else:
                    ET.SubElement(case, "system-out").text = _x(f"below --fail-on {fail_on}:\n{text}")
            elif r.outcome in ("unknown", "suppressed"):
                first = (active or r.findings or [None])[0]
                why = first.message if first is not None else ""
                if r.outcome == "suppressed" and first is not None and first.suppression:
                    why = f"suppressed: {first.suppression.reason or 'no reason given'} ({first.message})"
                elif r.outcome == "unknown":
                    why = f"unknown: {why}"
                ET.SubElement(case, "skipped", message=_x(why))
                if text:
                    ET.SubElement(case, "system-out").text = _x(text)
                counts["skipped"] += 1
            counts["tests"] += 1
        for k in ("tests", "failures", "errors", "skipped"):
            suite.set(k, str(counts[k]))
            totals[k] += counts[k]
    for k in ("tests", "failures", "errors", "skipped"):
        root.set(k, str(totals[k]))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
