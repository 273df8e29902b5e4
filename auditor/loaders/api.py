"""API-shaped deployment files: the request bodies of CreateModel,
CreateEndpointConfig and CreateEndpoint, one per YAML document, a list of
them, or wrapped by action name (``{CreateModel: {...}}``)."""

from __future__ import annotations

from typing import Any, Optional

from ..inventory import Inventory
from ..models.resources import Endpoint, EndpointConfig, Meta, Model, Resource
from .errors import InputProblem
from .marked import Document
from .resolver import Resolver
from .template import build, normalise

ACTIONS: dict[str, type[Resource]] = {
    "CreateModel": Model,
    "CreateEndpointConfig": EndpointConfig,
    "CreateEndpoint": Endpoint,
}
TYPE_NAMES = {Model: "AWS::SageMaker::Model", EndpointConfig: "AWS::SageMaker::EndpointConfig",
              Endpoint: "AWS::SageMaker::Endpoint"}


def request_kind(data: Any) -> Optional[type[Resource]]:
    """Which request a mapping is, by its shape."""
    if not isinstance(data, dict):
        return None
    if "ProductionVariants" in data and "EndpointConfigName" in data:
        return EndpointConfig
    if "ModelName" in data and ("PrimaryContainer" in data or "Containers" in data):
        return Model
    if "EndpointName" in data and "EndpointConfigName" in data:
        return Endpoint
    return None


def _requests(doc: Document) -> list[tuple[tuple, type[Resource], dict]]:
    out = []
    items = [((), doc.data)] if not isinstance(doc.data, list) else [((i,), d) for i, d in enumerate(doc.data)]
    for path, item in items:
        if isinstance(item, dict) and len(item) == 1 and next(iter(item)) in ACTIONS:
            action = next(iter(item))
            body = item[action]
            if isinstance(body, dict):
                out.append((path + (action,), ACTIONS[action], body))
            continue
        cls = request_kind(item)
        if cls is not None:
            out.append((path, cls, item))
    return out


def is_api_document(doc: Document) -> bool:
    return bool(_requests(doc))


def load_api(file: str, docs: list[Document]) -> tuple[list[Inventory], list[InputProblem]]:
    inv = Inventory(complete=False)
    problems: list[InputProblem] = []
    resolver = Resolver({})
    inv.positions[file] = {}
    for doc in docs:
        inv.positions[file][doc.index] = doc.positions
        for base, cls, body in _requests(doc):
            pathmap: dict = {}
            props = resolver.value(body, base, (), pathmap)
            props = normalise(cls, TYPE_NAMES[cls], props, pathmap)
            name = props.get(cls.name_prop)
            ident = name if isinstance(name, str) else f"{cls.kind}@{'/'.join(map(str, base)) or doc.index}"
            meta = Meta(
                key=f"{file}#{doc.index}/{cls.kind}/{ident}",
                type=TYPE_NAMES[cls],
                logical_id=None,
                file=file,
                doc=doc.index,
                base=base,
                resource_path=base,
                pathmap=pathmap,
            )
            res = build(cls, props, meta, problems, file, doc.index)
            if res is not None:
                inv.add(res)
    return [inv], problems
