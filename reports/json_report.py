"""The JSON result document: the stable contract ``report`` and remediation read."""

from __future__ import annotations


def render(doc, **_options) -> str:
    return doc.to_json()
