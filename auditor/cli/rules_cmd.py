"""``sm-audit rules``: list the rules (built-in and plugin packs) with the
project's configuration applied, or explain one."""

from __future__ import annotations

import json

import click


def _infos(config_path):
    from .. import config as config_mod, registry
    from ..config import check_rule_ids, rule_params
    from ..docs import with_doc
    from ..runner import ENGINE_RULES

    cfg = config_mod.load(config_path)
    reg = registry.load(plugins=cfg.plugins)
    check_rule_ids(cfg, set(reg.rules))
    rows = []
    for cls in reg.ordered():
        rc = cfg.rules.get(cls.id)
        info = cls.info(rule_params(cfg, cls))
        if rc is not None and rc.level:
            info.level = rc.level
        rows.append((cls, info, rc is None or rc.enabled))
    for info in ENGINE_RULES:
        rows.append((None, with_doc(info), True))
    rows.sort(key=lambda r: r[1].id)
    return rows, reg.problems


class RulesGroup(click.Group):
    """``rules`` lists; ``rules explain ID`` explains."""

    def parse_args(self, ctx, args):
        # ``sm-audit rules --format json`` has no sub-command: list
        if not args or args[0].startswith("-") and args[0] not in ("-h", "--help"):
            args = ["list", *args]
        return super().parse_args(ctx, args)


@click.group(cls=RulesGroup, invoke_without_command=False)
def rules():
    """List the rules, or explain one (`sm-audit rules explain SM201`)."""


@rules.command("list")
@click.option("--format", "-f", "fmt", type=click.Choice(("text", "json", "markdown")), default="text",
              show_default=True)
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="Configuration file [default: the nearest .sm-audit.yaml up to the repository root].")
def list_rules(fmt, config_path):
    """List every rule: ID, slug, level, scope and title."""
    rows, problems = _infos(config_path)
    if fmt == "json":
        out = [dict(info.model_dump(mode="json", exclude_none=True), enabled=enabled) for _, info, enabled in rows]
        click.echo(json.dumps(out, indent=2, ensure_ascii=False))
    elif fmt == "markdown":
        from ..docs import index_page

        click.echo(index_page([info for _, info, _ in rows]), nl=False)
    else:
        w_slug = max((len(i.slug) for _, i, _ in rows), default=4)
        click.echo(f"{'ID':<6} {'SLUG':<{w_slug}} {'LEVEL':<7} {'SCOPE':<12} TITLE")
        for _, info, enabled in rows:
            title = info.title + ("" if enabled else "  [disabled]")
            if info.plugin:
                title += f"  [{info.plugin}]"
            click.echo(f"{info.id:<6} {info.slug:<{w_slug}} {info.level:<7} {','.join(info.scope):<12} {title}")
    for p in problems:
        click.echo(f"warning: rule pack rejected: {p.source}: {p.message}", err=True)
    return 0


@rules.command("explain")
@click.argument("rule_id")
@click.option("--format", "-f", "fmt", type=click.Choice(("text", "markdown", "json")), default="text",
              show_default=True)
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="Configuration file [default: the nearest .sm-audit.yaml up to the repository root].")
def explain(rule_id, fmt, config_path):
    """Explain one rule (ID or slug): policy, doc, parameters."""
    from ..docs import param_rows, rule_page, sections_text

    rows, _ = _infos(config_path)
    wanted = rule_id.strip()
    match = [r for r in rows if r[1].id == wanted.upper() or r[1].slug == wanted.lower()]
    if not match:
        raise click.UsageError(f"no such rule {rule_id!r}; `sm-audit rules` lists them")
    cls, info, enabled = match[0]
    if fmt == "json":
        click.echo(json.dumps(dict(info.model_dump(mode="json", exclude_none=True), enabled=enabled),
                              indent=2, ensure_ascii=False))
        return 0
    if fmt == "markdown":
        click.echo(rule_page(info, cls.summary() if cls else "", param_rows(cls) if cls else None, generated=False),
                   nl=False)
        return 0
    lines = [f"{info.id} {info.slug} ({info.level}; {', '.join(info.scope)})" + ("" if enabled else " [disabled]"),
             info.title, "", "POLICY", info.policy, ""]
    if info.section:
        lines[-1:] = [f"(policy area: {info.section})", ""]
    lines.append(sections_text(info).rstrip())
    if cls is not None and info.params:
        lines += ["", "PARAMETERS (with your configuration)"]
        defaults = {name: default for name, default, _, _ in param_rows(cls)}
        for name, value in info.params.items():
            d = defaults.get(name)
            now = json.dumps(value, sort_keys=True)
            lines.append(f"  {name} = {now}" + (f"   (default {d})" if d is not None and d != now else ""))
    lines += ["", f"More: {info.help_uri or 'docs/rules/' + info.id + '.md'}"]
    click.echo("\n".join(lines))
    return 0
