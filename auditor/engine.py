"""The engine: run rules over an inventory, turn their property paths into
locations, and keep going when a rule breaks.

* A rule yields ``Fail``/``Undecided`` for a resource; nothing means pass.
* A coverage gap (live) of a kind the rule reads for a resource (its
  ``targets``, ``reads`` and ``metrics`` declarations) makes the verdict on
  that resource ``unknown``, with the gap's reason: missing data is never a
  pass, for built-in and third-party rules alike.
* A list the rule iterated over although it is unknown (a variant list
  built by a loop over an unknown variable) makes the verdict ``unknown``,
  naming the list (``values.unknown_items``): no silent pass over items
  nobody could see.
* A rule that raises becomes an ``error`` finding for that rule and resource.
* Scenario inventories of one template (undecidable conditions) are merged:
  a finding present in every scenario carries no scenario label.
"""

from __future__ import annotations

import hashlib
import traceback
from typing import Any, Iterable, Optional

from .inventory import Inventory
from .loaders.errors import InputProblem
from .models.findings import Evaluation, Finding, Location, ResourceRef
from .models.resources import Resource
from .rulebase import RuleContext, Fail, Note, Rule, Undecided, require
from .values import to_jsonable, unknown_lists, why_unknown
from .vocabulary import LEVELS, OUTCOME_RANK

INPUT_RULE = "SM001"
INPUT_SLUG = "invalid-input"
RULE_ERROR = "SM000"
RULE_ERROR_SLUG = "rule-error"


def format_path(path: Iterable[Any]) -> str:
    out = ""
    for p in path:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += ("." if out else "") + str(p)
    return out


def fingerprint(rule: str, resource_key: str, path: str) -> str:
    return hashlib.sha256(f"{rule}|{resource_key}|{path}".encode("utf-8", "surrogatepass")).hexdigest()[:32]


def locate(inv: Inventory, res: Resource, path: tuple) -> Location:
    m = res.meta
    if m.file is None:
        return Location(arn=m.arn, account=m.account, region=m.region)
    positions = inv.positions.get(m.file, {}).get(m.doc, {})
    tpath = None
    for n in range(len(path), -1, -1):
        t = m.pathmap.get(tuple(path[:n]))
        if t is not None and t in positions:
            tpath = t
            break
    if tpath is None:
        tpath = m.base if m.base in positions else m.resource_path
    span = positions.get(tpath)
    if span is None:
        return Location(file=m.file)
    # a Terraform module spans several files: its positions name their own
    return Location(file=getattr(span, "file", None) or m.file, line=span.line, column=span.column, end_line=span.end_line,
                    end_column=span.end_column)


def locate_resource(inv: Inventory, res: Resource) -> Location:
    """Where the resource itself is declared (its logical ID), or its ARN."""
    m = res.meta
    span = inv.positions.get(m.file, {}).get(m.doc, {}).get(m.resource_path) if m.file else None
    if span is None:
        return locate(inv, res, ())
    return Location(file=getattr(span, "file", None) or m.file, line=span.line, column=span.column, end_line=span.end_line,
                    end_column=span.end_column)


def resource_ref(res: Resource) -> ResourceRef:
    return ResourceRef(**_ref_fields(res))


def _ref_fields(res: Resource) -> dict[str, Any]:
    m = res.meta
    name = res.name
    return dict(key=m.key, id=res.label, type=m.type, name=name if isinstance(name, str) else None, arn=m.arn,
                account=m.account, region=m.region, file=m.file, stack=m.stack, tags=_known_tags(res.Tags))


def _known_tags(tags: Any) -> Optional[dict[str, str]]:
    """The resource's tags whose values are known text (reports group by owner/team tags)."""
    if not isinstance(tags, dict):
        return None
    out = {str(k): v for k, v in tags.items() if isinstance(v, str)}
    return dict(sorted(out.items())) or None


def problem_finding(p: InputProblem, inv: Optional[Inventory] = None,
                    positions: Optional[dict] = None) -> Finding:
    """An input problem as an SM001 finding. ``positions`` (doc index -> path
    -> Span) locates problems in files that produced no inventory."""
    line, col, end_line, end_col = p.line, p.column, None, None
    if positions is None and inv is not None:
        positions = inv.positions.get(p.file, {})
    if p.path and positions:
        span = positions.get(p.doc, {}).get(tuple(p.path))
        if span is not None:
            line, col, end_line, end_col = span.line, span.column, span.end_line, span.end_column
    return Finding(
        rule=INPUT_RULE,
        slug=INPUT_SLUG,
        level="error",
        outcome="error",
        message=p.message,
        path=format_path(p.path),
        location=Location(file=p.file, line=line, column=col, end_line=end_line, end_column=end_col),
        fingerprint=fingerprint(INPUT_RULE, p.file, p.message),
    )


def unaudited_findings(gaps) -> list:
    """A region or account that could not be audited at all is like an
    unreadable input file for ``scan``: an error finding (SM001), so the run
    cannot pass the gate by seeing nothing. Narrower gaps only make the
    verdicts that depend on them unknown."""
    out = []
    for g in gaps:
        if g.kinds or g.resource:
            continue
        what = f"region {g.region} of account {g.account or '(unknown)'}" if g.region else \
            "the organization" if g.service == "organizations" and not g.account else \
            f"account {g.account or '(unknown)'}"
        msg = f"{what} could not be audited: {g.error} on {g.service}:{g.operation} ({g.message})"
        out.append(Finding(rule=INPUT_RULE, slug=INPUT_SLUG, level="error", outcome="error", message=msg,
                           location=Location(account=g.account, region=g.region),
                           fingerprint=fingerprint(INPUT_RULE, f"{g.account}/{g.region}", g.operation)))
    return out


class _Collector:
    def __init__(self, inv: Inventory, rule: Rule, refs: Optional[dict] = None) -> None:
        self.inv = inv
        self.rule = rule
        # what findings say about a resource, worked out once per resource and run (a
        # live audit makes tens of thousands of findings on a few thousand resources);
        # each finding still gets its own validated ResourceRef
        self.refs = {} if refs is None else refs
        self.findings: list[Finding] = []
        self.outcomes: dict[str, str] = {}
        self.notes: dict[str, str] = {}
        self._seen: set[tuple] = set()  # one finding per resource, path and message
        self._prints: set[str] = set()

    def mark(self, res: Resource, outcome: str) -> None:
        prev = self.outcomes.get(res.key, "pass")
        if OUTCOME_RANK[outcome] >= OUTCOME_RANK[prev]:
            self.outcomes[res.key] = outcome

    def add(self, checked: Resource, result: Any) -> None:
        rule = self.rule
        res = result.resource or checked
        if isinstance(result, Note):
            self.outcomes.setdefault(res.key, "pass")
            prev = self.notes.get(res.key)
            if prev is None or result.message not in prev.split("; "):
                self.notes[res.key] = result.message if prev is None else f"{prev}; {result.message}"
            return
        path = tuple(result.path or ())
        spath = format_path(path)
        if isinstance(result, Fail):
            outcome, level = "fail", result.level or rule.level
        elif isinstance(result, Undecided):
            outcome, level = "unknown", "note"
        else:
            raise TypeError(f"rule {rule.id} yielded {type(result).__name__}, not Fail/Undecided")
        if level not in LEVELS or not isinstance(result.message, str):
            raise ValueError(f"rule {rule.id} yielded level {level!r} / message {type(result.message).__name__}")
        msg = result.message
        if res.meta.condition:
            msg += f" (resource exists only when condition {res.meta.condition} is true)"
        self.mark(checked, outcome)
        if res is not checked:
            self.mark(res, outcome)
        # a shared resource (one model behind several configs) is reached once per
        # referrer: say it once
        key = (res.key, spath, msg, outcome)
        if key in self._seen:
            return
        self._seen.add(key)
        # two different findings on one property keep distinct fingerprints
        fp = fingerprint(rule.id, res.key, spath)
        if fp in self._prints:
            fp = fingerprint(rule.id, res.key, f"{spath}#{msg}")
        self._prints.add(fp)
        if res.meta.dialect == "terraform":  # the attribute as the .tf file names it
            from .loaders.terraform.paths import attr_path

            spath = attr_path(res.meta, path)
        self.findings.append(Finding(
            rule=rule.id,
            slug=rule.slug,
            level=level,
            outcome=outcome,
            message=msg,
            resource=self._ref(res),
            path=spath,
            location=locate(self.inv, res, path),
            fingerprint=fp,
            remediation=rule.remediation if outcome == "fail" else None,
            data=to_jsonable(dict(result.data)),
        ))

    def _ref(self, res: Resource) -> ResourceRef:
        fields = self.refs.get(id(res))
        if fields is None:
            fields = self.refs[id(res)] = _ref_fields(res)
        return ResourceRef(**fields)

    def crashed(self, res: Optional[Resource], exc: BaseException) -> None:
        """A rule that raised: an SM000 error finding that names the rule (and
        the resource it was checking); the run goes on."""
        rule = self.rule
        where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        at = f" at {where.filename.rsplit('/', 1)[-1]}:{where.lineno}" if where else ""
        on = f" on {res.label}" if res is not None else ""
        self.findings.append(Finding(
            rule=RULE_ERROR,
            slug=RULE_ERROR_SLUG,
            level="error",
            outcome="error",
            message=f"rule {rule.id} ({rule.slug}) failed{on}: {type(exc).__name__}: {exc}{at}",
            resource=resource_ref(res) if res else None,
            location=locate_resource(self.inv, res) if res else Location(),
            fingerprint=fingerprint(RULE_ERROR, f"{rule.id}|{res.key if res else '-'}", "!error"),
            data={"rule": rule.id, "slug": rule.slug},
        ))
        if res is not None:
            self.mark(res, "error")


def _gap(inv: Inventory, rule: Rule, res: Resource) -> Optional[Undecided]:
    """The unknown verdict a coverage gap forces on ``rule`` for ``res``."""
    if not inv.gaps:
        return None
    gaps = inv.gaps_for(res, rule.reads_for(res.kind))
    if not gaps:
        return None
    return Undecided((), f"cannot verify {rule.id} for {res.label}: {gaps[0].reason}")


def unread_lists(skipped: list, said: list, checked: Optional[Resource] = None) -> list[Undecided]:
    """The unknown verdicts for the unknown lists a rule iterated over
    (``skipped``: (owner, path, what, value)), each list once, except where
    the rule's own results (``said``: (checked resource, result)) already
    hold an unknown at that path of that resource or naming the same reason."""
    if not skipped:
        return []
    told = [r for _, r in said if isinstance(r, Undecided)]
    done = {((r.resource or res).key, tuple(r.path or ())) for res, r in said if isinstance(r, Undecided)}
    out = []
    for owner, path, what, value in skipped:
        why = why_unknown(value)
        if (owner.key, path) in done or any(why in r.message for r in told):
            continue
        done.add((owner.key, path))
        out.append(require(value, path, what, resource=owner if owner is not checked else None))
    return out


def evaluate(inv: Inventory, rules: list[Rule], ctx_factory) -> tuple[list[Finding], list[Evaluation]]:
    """Run ``rules`` over ``inv``. ``ctx_factory(rule)`` builds each rule's RuleContext."""
    findings: list[Finding] = []
    evaluations: list[Evaluation] = []
    refs: dict = {}
    for rule in rules:
        ctx: RuleContext = ctx_factory(rule, inv)
        col = _Collector(inv, rule, refs)
        if not inv.complete and not rule.on_templates():
            continue  # live-only rules say nothing about templates
        try:
            if not rule.applies(ctx):
                continue
        except Exception as e:  # noqa: BLE001 - a rule must not crash the run
            col.crashed(None, e)
            findings.extend(col.findings)
            continue
        for kind in rule.targets:
            for res in inv.of(kind):
                col.outcomes.setdefault(res.key, "pass")
                try:
                    with unknown_lists() as skipped:
                        results = list(rule.check(res, ctx))
                except Exception as e:  # noqa: BLE001
                    col.crashed(res, e)
                    continue
                results += unread_lists(skipped, [(res, r) for r in results], res)
                gap = _gap(inv, rule, res)
                if gap is not None:
                    results = [gap]
                for r in results:
                    try:
                        col.add(res, r)
                    except Exception as e:  # noqa: BLE001
                        col.crashed(res, e)
        try:
            account_level = inv.complete or rule.on_templates("check_inventory")
            with unknown_lists() as skipped:
                pairs = list(rule.check_inventory(ctx)) if account_level else []
            pairs += [(u.resource, u) for u in unread_lists(skipped, pairs)]
            for res, r in pairs:
                col.outcomes.setdefault(res.key, "pass")
                col.add(res, _gap(inv, rule, res) or r)
        except Exception as e:  # noqa: BLE001
            col.crashed(None, e)
        findings.extend(col.findings)
        evaluations.extend(Evaluation(rule=rule.id, resource=k, outcome=o, note=col.notes.get(k))
                           for k, o in col.outcomes.items())
    return findings, evaluations


def merge_scenarios(runs: list[tuple[Optional[str], list[Finding], list[Evaluation]]]
                    ) -> tuple[list[Finding], list[Evaluation]]:
    """One template, several condition scenarios: a finding seen in only some
    scenarios says in which."""
    if len(runs) == 1:
        return runs[0][1], runs[0][2]
    seen: dict[tuple, tuple[Finding, list[str]]] = {}
    for label, fs, _ in runs:
        for f in fs:
            k = (f.rule, f.resource.key if f.resource else "", f.path, f.message, f.outcome)
            if k in seen:
                seen[k][1].append(label or "")
            else:
                seen[k] = (f, [label or ""])
    out = []
    prints: set[str] = set()
    for f, labels in seen.values():
        if len(labels) < len(runs):
            f.scenario = " or ".join(f"when {lab}" for lab in labels)
            f.message += f" [{f.scenario}]"
        if f.fingerprint in prints:  # two scenarios, two different findings on one property
            f.fingerprint = fingerprint(f.rule, f.resource.key if f.resource else "", f"{f.path}#{f.message}")
        prints.add(f.fingerprint)
        out.append(f)
    evs: dict[tuple, Evaluation] = {}
    for _, _, es in runs:
        for e in es:
            k = (e.rule, e.resource)
            if k not in evs or OUTCOME_RANK.get(e.outcome, 0) > OUTCOME_RANK.get(evs[k].outcome, 0):
                evs[k] = e
    return out, list(evs.values())
