"""Production classification: the one shared function every "production"
policy uses. A resource is production when the run says so, when it carries
the production tag, or when an endpoint that uses it does (a config or model
serving a production endpoint is production), and an endpoint is production
when its config is."""

from __future__ import annotations

from typing import Any

from .inventory import Inventory
from .models.resources import Endpoint, EndpointConfig, InferenceComponent, Model, Resource
from .rulebase import tag_matches
from .settings import Settings
from .values import Unknown


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
    elif isinstance(res, Endpoint):
        cfg = inv.config_of(res)  # the production tag is often on the config only
        if isinstance(cfg, EndpointConfig):
            related.append(cfg)
    elif isinstance(res, InferenceComponent):
        related += _endpoint_and_config(res, inv)
    values = {x.lower() for x in s.production_values}
    found = tag_matches(related, s.production_tag_keys, lambda v: str(v).strip().lower() in values)
    return found if isinstance(found, Unknown) else found is not None


def _endpoint_and_config(ic: InferenceComponent, inv: Inventory) -> list[Resource]:
    """An inference component is production when its endpoint (or the
    endpoint's config) is."""
    ep = inv.endpoint_of_component(ic)
    if not isinstance(ep, Endpoint):
        return []
    cfg = inv.config_of(ep)
    return [ep] + ([cfg] if isinstance(cfg, EndpointConfig) else [])
