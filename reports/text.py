"""Terminal output: findings grouped by file (or account/region), colour
only on a TTY."""

from __future__ import annotations

from collections import Counter, defaultdict

from .visible import visible_all

COLORS = {"error": "\033[31m", "warning": "\033[33m", "note": "\033[36m"}
DIM, BOLD, RESET = "\033[2m", "\033[1m", "\033[0m"


def summary_line(doc, baseline=None) -> str:
    """The one-line outcome: the last line of text output, and what goes to
    stderr when the report is written to a file."""
    active = [f for f in doc.findings if not f.suppression]
    counts = Counter(f.level if f.outcome != "unknown" else "unknown" for f in active)
    run = doc.run
    summary = (f"{counts.get('error', 0)} error(s), {counts.get('warning', 0)} warning(s), "
               f"{counts.get('note', 0)} note(s), {counts.get('unknown', 0)} unknown, "
               f"{len(doc.findings) - len(active)} suppressed")
    if baseline is not None:
        summary = f"new since the baseline: {summary}; {len(baseline.fixed)} fixed"
    if run.command == "scan":
        summary += f" in {run.files_scanned} file(s)"
        if run.files_skipped:
            summary += f"; {run.files_skipped} YAML/JSON file(s) skipped as not templates"
    else:
        summary += f" across {run.resources} resource(s)"
    if doc.gaps:
        summary += f"; {len(doc.gaps)} coverage gap(s)"
    if run.configs:
        summary += f"; config: {', '.join(run.configs)}"
    return summary


def render(doc, color: bool = False, baseline=None, quiet: bool = False, **_options) -> str:
    def c(code: str, s: str) -> str:
        return f"{code}{s}{RESET}" if color else s

    # values from templates and accounts reach a terminal: no control characters of theirs
    doc, baseline = visible_all(doc), visible_all(baseline)

    if baseline is not None:
        head = (f"compared with {', '.join(baseline.sources)}: {len(baseline.new)} new, "
                f"{baseline.unchanged} unchanged (not shown), {len(baseline.fixed)} fixed")
        fixed = [c(DIM, f"  fixed: {f.rule} {f.resource.id if f.resource else '-'} {f.location.short()}: "
                        f"{f.message}") for f in baseline.fixed]
        if quiet:
            return render(doc, color, quiet=True)
        return c(BOLD, head) + "\n" + "".join(x + "\n" for x in fixed) + "\n" + render(doc, color)
    groups: dict[str, list] = defaultdict(list)
    for f in doc.findings:
        loc = f.location
        key = loc.file or "/".join(x for x in (loc.account, loc.region) if x) or "(run)"
        groups[key].append(f)
    lines: list[str] = []
    for key in sorted(groups):
        lines.append(c(BOLD, key))
        for f in groups[key]:
            loc = f.location
            where = f"{loc.line}:{loc.column or 1}" if loc.line else (loc.arn or "-")
            kind = f.outcome if f.outcome != "fail" else f.level
            tag = c(COLORS.get(f.level if f.outcome != "unknown" else "note", ""), f"{kind:<7}")
            res = f" {f.resource.id}" if f.resource else ""
            path = f" {f.path}" if f.path else ""
            sup = c(DIM, f" [suppressed: {f.suppression.reason}]") if f.suppression else ""
            lines.append(f"  {where:<9} {tag} {f.rule} {f.slug}{res}{path}: {f.message}{sup}")
            for n in f.notes:
                lines.append(c(DIM, f"            note: {n}"))
        lines.append("")
    if quiet:
        return "\n".join(lines) + "\n" if lines else ""
    for g in doc.gaps:
        lines.append(c(DIM, f"gap: {g.account or '-'}/{g.region or '-'} {g.service}:{g.operation} "
                            f"{g.error}: {g.message}"))
    lines.append(summary_line(doc))
    return "\n".join(lines) + "\n"
