"""A root module -> one Inventory: variables from tfvars and flags, every
resource instance mapped to its Inventory model, attachments (bucket
versioning/encryption, role policy attachments) merged into what they
change, provider ``default_tags`` applied, suppression comments read."""

from __future__ import annotations

import glob
import os
import re
from typing import Any, Optional

from ...inventory import Inventory
from ...models.findings import Finding, Location
from ...models.resources import Meta, Suppression
from ...values import UNKNOWN_TYPES, Sym, Unknown
from ..errors import InputProblem
from ..marked import LoadError
from .evaluate import EvalError, Scope
from .hcl import HclError, parse, parse_json
from .mapping import ATTACHMENTS, TYPES, convert, sse_config
from .module import Instance, Module, safe_eval

RULE_ID = re.compile(r"^SM\d{3}$")
SKIP = re.compile(r"(?:#|//)\s*sm-audit:skip\b(.*)$")


def build_inventory(cfg: Any, options: Any) -> tuple[list[Inventory], list[Finding]]:
    overrides = _variables(cfg, options)
    root = Module(cfg, cfg.root, "", None, 0, overrides)
    if not root.files and not cfg.problems:
        cfg.problems.append(InputProblem(cfg.display_root, "no Terraform files (*.tf, *.tf.json) in this directory"))
        return [], []
    tags_by_provider = _default_tags(root)
    inv = Inventory(complete=False)
    positions: dict = {}
    inv.positions[cfg.display_root] = {0: positions}
    pending: list[tuple[Instance, str, str, dict, dict]] = []
    attachments: list[tuple[Instance, dict]] = []
    for inst in root.instances():
        if inst.type not in TYPES and inst.type not in ATTACHMENTS:
            continue
        try:
            value = inst.value()
        except EvalError as e:
            value = {}
            cfg.problems.append(InputProblem(inst.block.span.file, f"{inst.address}: {e}",
                                             line=inst.block.span.line, column=inst.block.span.column))
        base = ("tf", inst.address)
        positions[base] = inst.block.span
        for p, span in inst.positions.items():
            positions[base + p] = span
        if inst.type in ATTACHMENTS:
            attachments.append((inst, value))
            continue
        dtags = tags_by_provider.get(_provider_of(inst), tags_by_provider.get("aws"))
        kind, cfn_type, props, pathmap = convert(inst.type, value, base, dtags)
        pending.append((inst, kind, cfn_type, props, pathmap))
    for inst, value in attachments:
        _attach(inst, value, pending)
    from ..template import build
    from ...models.resources import KINDS

    for inst, kind, cfn_type, props, pathmap in pending:
        meta = Meta(key=f"{cfg.display_root}#{inst.address}", type=inst.type, logical_id=inst.address,
                    file=cfg.display_root, doc=0, base=("tf", inst.address), resource_path=("tf", inst.address),
                    pathmap=pathmap, condition=_condition(inst), suppressions=_suppressions(cfg, inst),
                    dialect="terraform")
        res = build(KINDS[kind], props, meta, cfg.problems, inst.block.span.file, 0)
        if res is None:
            continue
        if kind == "MonitoringJobDefinition":
            from ..template import MONITOR_TYPES
            res.monitoring_type = MONITOR_TYPES.get(cfn_type, "DataQuality")
        inv.add(res)
    for p in cfg.problems:  # shape problems name a template path: give them the .tf position
        if p.path and p.line is None:
            span = positions.get(tuple(p.path))
            if span is not None:
                p.file, p.line, p.column, p.path = span.file, span.line, span.column, ()
    return [inv], [_unread_finding(u, cfg.display_root) for u in cfg.unread]


def _condition(inst: Instance) -> Optional[str]:
    conds = [c for c in (inst.condition, getattr(inst.module, "condition", None)) if c]
    return " and ".join(conds) if conds else None


def _provider_of(inst: Instance) -> str:
    a = inst.block.body.attrs.get("provider")
    if a is not None and a.expr[0] == "attr" and a.expr[1][0] == "name":
        return f"{a.expr[1][1]}.{a.expr[2]}"
    return inst.type.split("_", 1)[0]


def _default_tags(root: Module) -> dict:
    out: dict = {}
    for b in root.providers:
        if not b.labels:
            continue
        alias = b.body.attrs.get("alias")
        name = b.labels[0]
        if alias is not None:
            a = safe_eval(alias.expr, root.scope)
            name = f"{name}.{a}" if isinstance(a, str) else name
        tags: Any = None
        for dt in b.body.blocks_of("default_tags"):
            if "tags" in dt.body.attrs:
                tags = safe_eval(dt.body.attrs["tags"].expr, root.scope)
        for dyn in b.body.blocks_of("dynamic"):
            if dyn.labels and dyn.labels[0] == "default_tags":
                tags = Unknown("provider default_tags is a dynamic block")
        if tags is not None and not isinstance(tags, (dict,) + UNKNOWN_TYPES):
            tags = Unknown("provider default_tags.tags is not a map")
        out[name] = tags
    return out


def _attach(inst: Instance, value: dict, pending: list) -> None:
    """Merge a resource that changes another into the one it changes."""
    base = ("tf", inst.address)
    if inst.type in ("aws_s3_bucket_versioning", "aws_s3_bucket_server_side_encryption_configuration"):
        target = _find(pending, "Bucket", value.get("bucket"))
        if target is None:
            return
        _, _, _, props, pm = target
        if inst.type == "aws_s3_bucket_versioning":
            vc = value.get("versioning_configuration")
            status = vc[0].get("status") if isinstance(vc, list) and vc else vc
            props["VersioningConfiguration"] = {"Status": status}
            pm[("VersioningConfiguration",)] = base + ("versioning_configuration", 0)
            pm[("VersioningConfiguration", "Status")] = base + ("versioning_configuration", 0, "status")
        else:
            enc = sse_config(value, pm, base)
            props["BucketEncryption"] = enc
            pm[("BucketEncryption",)] = base
        return
    if inst.type == "aws_iam_role_policy_attachment":
        target = _find(pending, "IamRole", value.get("role"))
        if target is None:
            return
        _, _, _, props, pm = target
        arns = props.get("ManagedPolicyArns")
        if isinstance(arns, UNKNOWN_TYPES):
            return
        arns = list(arns or [])
        arns.append(value.get("policy_arn"))
        props["ManagedPolicyArns"] = arns
        pm[("ManagedPolicyArns", len(arns) - 1)] = base + ("policy_arn",)
    elif inst.type == "aws_iam_role_policy_attachments_exclusive":
        target = _find(pending, "IamRole", value.get("role_name"))
        if target is not None and isinstance(value.get("policy_arns"), list):
            target[3]["ManagedPolicyArns"] = list(value["policy_arns"])


def _find(pending: list, kind: str, ref: Any) -> Optional[tuple]:
    if ref is None or isinstance(ref, Unknown):
        return None
    for item in pending:
        inst, k, _, props, _ = item
        if k != kind:
            continue
        if isinstance(ref, Sym) and ref.kind == "resource" and ref.key == inst.address:
            return item
        name = props.get({"Bucket": "BucketName", "IamRole": "RoleName"}[kind])
        if isinstance(ref, str) and ref == name:
            return item
        if isinstance(ref, str) and kind == "IamRole" and isinstance(name, str) and ref.endswith(":role/" + name):
            return item
    return None


def _suppressions(cfg: Any, inst: Instance) -> list[Suppression]:
    span = inst.block.span
    lines = cfg.texts.get(span.file)
    if not lines:
        return []
    out = []
    for n in range(span.line, min(span.end_line, len(lines)) + 1):
        m = SKIP.search(lines[n - 1])
        if m is None:
            continue
        rest = m.group(1).strip()
        rule = rest.split()[0] if rest else ""
        reason = re.search(r'reason\s*=\s*"([^"]*)"', rest)
        expires = re.search(r"expires\s*=\s*(\S+)", rest)
        where = f"{span.file}:{n}"
        if not RULE_ID.match(rule) and rule != "*":
            cfg.problems.append(InputProblem(span.file, f"sm-audit:skip needs a rule ID like SM201 (got {rule!r})",
                                             line=n, column=1))
            continue
        if rule != "*" and rule not in _known_rules():
            cfg.problems.append(InputProblem(span.file, f"sm-audit:skip names unknown rule {rule}", line=n, column=1))
            continue
        if reason is None or not reason.group(1).strip():
            cfg.problems.append(InputProblem(span.file, f'sm-audit:skip {rule} needs reason="..."', line=n, column=1))
            continue
        out.append(Suppression(rule=rule, reason=reason.group(1), expires=expires.group(1) if expires else None,
                               kind="inSource", source=where))
    return out


_RULES: set = set()


def _known_rules() -> set:
    if not _RULES:
        from ... import registry

        _RULES.update(registry.load(plugins=True).rules)
    return _RULES


def _variables(cfg: Any, options: Any) -> dict:
    """Root variable values, later sources winning, as Terraform orders them:
    terraform.tfvars, *.auto.tfvars (by name), --var-file, --var."""
    files = []
    root = cfg.root
    for n in ("terraform.tfvars", "terraform.tfvars.json"):
        if os.path.isfile(os.path.join(root, n)):
            files.append(os.path.join(root, n))
    files += sorted(glob.glob(os.path.join(glob.escape(root), "*.auto.tfvars")) +
                    glob.glob(os.path.join(glob.escape(root), "*.auto.tfvars.json")))
    files += list(options.var_files)
    values: dict = {}
    empty = _NoNames()
    for f in files:
        shown = cfg.display(f)
        from . import read_text

        try:
            text = read_text(f, shown)
            hf = parse_json(text, shown) if f.endswith(".json") else parse(text, shown)
        except (LoadError, HclError) as e:
            cfg.problems.append(InputProblem(shown, e.message, line=getattr(e, "line", None),
                                             column=getattr(e, "column", None)))
            continue
        for name, a in hf.body.attrs.items():
            values[name] = safe_eval(a.expr, Scope(empty))
    for name, raw in options.variables:
        values[name] = _cli_value(raw)
    return values


class _NoNames:
    """tfvars files hold literal values only."""

    def name(self, n: str, scope: Any) -> Any:
        raise EvalError(f"{n}: variable files cannot refer to other values")


def _cli_value(raw: str) -> Any:
    """``--var k=v``: a string unless it reads as a number, bool, list or map
    (Terraform decides by the variable's type; this is its usual result)."""
    s = raw.strip()
    if s[:1] in "[{" or s in ("true", "false", "null") or re.fullmatch(r"-?\d+(\.\d+)?", s):
        try:
            hf = parse(f"x = {s}\n", "--var")
            return safe_eval(hf.body.attrs["x"].expr, Scope(_NoNames()))
        except HclError:
            return raw
    return raw


def _unread_finding(u: Any, root: str) -> Finding:
    from ...engine import INPUT_RULE, INPUT_SLUG, fingerprint

    msg = (f"{u.address} (source {u.source!r}) is not checked: {u.why}; its resources are unknown "
           f"to this scan, not passed")
    s = u.span
    return Finding(rule=INPUT_RULE, slug=INPUT_SLUG, level="note", outcome="unknown", message=msg,
                   path=u.address, location=Location(file=s.file, line=s.line, column=s.column,
                                                     end_line=s.end_line, end_column=s.end_column),
                   fingerprint=fingerprint(INPUT_RULE, f"{root}#{u.address}", u.source))
