"""``data "aws_iam_policy_document"`` -> the IAM policy document it renders."""

from __future__ import annotations

from typing import Any

from ...values import UNKNOWN_TYPES, Unknown
from .evaluate import EvalError, JsonText


def _list(v: Any) -> Any:
    if v is None or isinstance(v, UNKNOWN_TYPES):
        return v
    return v if isinstance(v, list) else [v]


def render_policy_document(value: dict, address: str) -> Any:
    """The document as Terraform renders it (JSON text that keeps the parsed
    document, so unknown leaves stay unknown instead of becoming strings)."""
    statements = value.get("statement")
    if isinstance(statements, Unknown):
        return Unknown(f"{address}: statements cannot be determined ({statements.reason})")
    out: list = []
    for src in ("source_policy_documents", "source_json"):
        docs = value.get(src)
        for d in _list(docs) or []:
            parsed = _doc(d)
            if isinstance(parsed, Unknown):
                return parsed
            st = parsed.get("Statement") if isinstance(parsed, dict) else None
            out.extend(st if isinstance(st, list) else [st] if isinstance(st, dict) else [])
    for s in statements or []:
        st: dict = {}
        if s.get("sid"):
            st["Sid"] = s["sid"]
        st["Effect"] = s.get("effect") or "Allow"
        for tf, cfn in (("actions", "Action"), ("not_actions", "NotAction"), ("resources", "Resource"),
                        ("not_resources", "NotResource")):
            if s.get(tf) is not None:
                st[cfn] = _list(s[tf])
        for tf, cfn in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
            ps = s.get(tf)
            if isinstance(ps, list) and ps:
                pr: dict = {}
                for p in ps:
                    pr.setdefault(p.get("type"), []).extend(_list(p.get("identifiers")) or [])
                st[cfn] = pr
            elif isinstance(ps, Unknown):
                st[cfn] = ps
        conds = s.get("condition")
        if isinstance(conds, list) and conds:
            cd: dict = {}
            for c in conds:
                cd.setdefault(c.get("test"), {})[c.get("variable")] = _list(c.get("values"))
            st["Condition"] = cd
        out.append(st)
    doc = {"Version": value.get("version") or "2012-10-17", "Statement": out}
    return JsonText(doc)


def _doc(v: Any) -> Any:
    import json

    if isinstance(v, JsonText):
        return v.value
    if isinstance(v, UNKNOWN_TYPES):
        return Unknown(f"source policy document cannot be determined ({v.describe()})")
    if isinstance(v, str):
        try:
            return json.loads(v)
        except ValueError:
            raise EvalError("source policy document is not JSON") from None
    return v
