"""Production classification: the one shared function every "production"
policy uses. A resource is production when the run says so, when it carries
the production tag, or when an endpoint that uses it does (a config or model
serving a production endpoint is production)."""

from __future__ import annotations

from typing import Any

from .inventory import Inventory
from .models.resources import Endpoint, EndpointConfig, InferenceComponent, Model, Resource
from .settings import Settings
from .values import Unknown, is_known, why_unknown


def _own(res: Resource, s: Settings) -> Any:
    tags = res.Tags
    if tags is not None and not isinstance(tags, dict):
        return Unknown(f"tags of {res.label} {why_unknown(tags)}")
    undecided = None
    for key in s.production_tag_keys:
        v = res.tag(key)
        if v is None:
            continue
        if not is_known(v):
            undecided = Unknown(f"tag {key} of {res.label}: {why_unknown(v)}")
            continue
        if str(v).strip().lower() in {x.lower() for x in s.production_values}:
            return True
    return undecided if undecided is not None else False


def is_production(res: Resource, inv: Inventory, s: Settings) -> Any:
    """True, False, or an Unknown saying why it cannot be told."""
    if s.production_all:
        return True
    related: list[Resource] = [res]
    if isinstance(res, EndpointConfig):
        related += inv.endpoints_using(res)
    elif isinstance(res, Model):
        for c in inv.configs_using(res):
            related += [c, *inv.endpoints_using(c)]
        for ic in inv.components_using(res):
            related += [ic, *_endpoint_and_config(ic, inv)]
    elif isinstance(res, InferenceComponent):
        related += _endpoint_and_config(res, inv)
    undecided = None
    for r in related:
        v = _own(r, s)
        if v is True:
            return True
        if isinstance(v, Unknown):
            undecided = v
    return undecided if undecided is not None else False


def _endpoint_and_config(ic: InferenceComponent, inv: Inventory) -> list[Resource]:
    """An inference component is production when its endpoint (or the
    endpoint's config) is."""
    ep = inv.endpoint_of_component(ic)
    if not isinstance(ep, Endpoint):
        return []
    cfg = inv.config_of(ep)
    return [ep] + ([cfg] if isinstance(cfg, EndpointConfig) else [])
