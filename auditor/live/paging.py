"""Bounded pagination. A service that keeps answering with a NextToken
(seen: 259,585 pages in 60 s, still going) must not hang the audit: every
paginated operation stops at ``MAX_PAGES`` or at the first token it has
already seen (botocore only notices the same token twice in a row), and
stopping is a failure of that operation: a coverage gap, never a silent
truncation."""

from __future__ import annotations

from typing import Any, Iterable, Iterator, Optional

MAX_PAGES = 1000  # x 100 items a page: far beyond any real SageMaker region
TOKEN_KEYS = ("NextToken", "nextToken", "PaginationToken", "Marker", "NextMarker", "NextContinuationToken")


class EndlessPagination(Exception):
    """The pages never end: too many, or a token seen before."""


def bounded(pages: Iterable[dict], operation: str, max_pages: Optional[int] = None) -> Iterator[dict]:
    max_pages = max_pages or MAX_PAGES
    seen: set[str] = set()
    for n, page in enumerate(pages, 1):
        if n > max_pages:
            raise EndlessPagination(f"{operation} still returned a next token after {max_pages:,} pages; stopped")
        token = next((page[k] for k in TOKEN_KEYS if isinstance(page, dict) and page.get(k)), None)
        if token is not None:
            key = repr(token)
            if key in seen:
                raise EndlessPagination(f"{operation} returned a next token it had returned before; stopped")
            seen.add(key)
        yield page


def paginate(client: Any, method: str, **kw: Any) -> Iterator[dict]:
    """``client.get_paginator(method).paginate(**kw)``, bounded."""
    op = client.meta.method_to_api_mapping.get(method, method)
    return bounded(client.get_paginator(method).paginate(**kw), op)
