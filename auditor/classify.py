"""Production classification: the one shared function every "production"
policy uses. A resource is production when the run says so, when it carries
the production tag, or when an endpoint that uses it does (a config or model
serving a production endpoint is production), and an endpoint is production
when its config is."""

from __future__ import annotations

from typing import Any, Callable, Iterable, Optional

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


# -- SM502's exception: one definition for the rule and stop-idle-endpoints ---

def always_on_designation(tag: Callable[[str], Any], keys: Iterable[str], false_values: Iterable[str]) -> Optional[str]:
    """The ``key=value`` of the tag that designates an endpoint always-on, or
    None: a tag in ``keys`` with any value (an empty one too: a bare flag)
    except one in ``false_values``. ``tag(key)`` reads a tag."""
    off = {v.lower() for v in false_values}
    for k in keys:
        v = tag(k)
        if isinstance(v, str) and v.strip().lower() not in off:
            return f"{k}={v}"
    return None


def always_on_exempts(designation: Optional[str], production: Any) -> bool:
    """The seed's exception is for critical production endpoints: an
    always-on designation exempts an idle endpoint only when it is
    classified production (POLICIES rev. 2, SM502)."""
    return designation is not None and production is True
