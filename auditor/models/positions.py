"""Where a property sits in a file: the loaders record a Span for every
mapping entry and sequence item; the engine turns rule paths into them."""

from __future__ import annotations

from typing import Any, Iterator, NamedTuple


class Span(NamedTuple):
    """1-based start and end of a property (a tuple: cheap to make by the
    ten thousand)."""

    line: int
    column: int
    end_line: int
    end_column: int


class Positions:
    """path -> Span for one document, stored as a tree of (parent, key) ->
    node entries: an entry costs the same however deep it sits. (A dict keyed
    by whole paths stores every path in full: memory and hashing grow with
    nodes x depth, 1.4 GB for a 1 MB template nested 190 deep.) Read like a
    dict of paths: ``get``, ``in``, ``[]``, ``items``."""

    __slots__ = ("_spans", "_children", "_count")

    def __init__(self) -> None:
        self._spans: dict[int, Span] = {}  # node -> span (node 0 is the document, path ())
        self._children: dict[tuple, int] = {}  # (parent node, key) -> node
        self._count = 1

    def child(self, parent: int, key: Any) -> int:
        """The node of ``key`` under ``parent`` (made on first use)."""
        k = (parent, key)
        node = self._children.get(k)
        if node is None:
            node = self._children[k] = self._count
            self._count += 1
        return node

    def put(self, node: int, span: Span) -> None:
        self._spans[node] = span

    def _node(self, path: tuple) -> Any:
        node = 0
        children = self._children
        for key in path:
            node = children.get((node, key))
            if node is None:
                return None
        return node

    def get(self, path: tuple, default: Any = None) -> Any:
        node = self._node(path)
        return default if node is None else self._spans.get(node, default)

    def __contains__(self, path: object) -> bool:
        node = self._node(path) if isinstance(path, tuple) else None
        return node is not None and node in self._spans

    def __getitem__(self, path: tuple) -> Span:
        span = self.get(path)
        if span is None:
            raise KeyError(path)
        return span

    def __setitem__(self, path: tuple, span: Span) -> None:
        node = 0
        for key in path:
            node = self.child(node, key)
        self._spans[node] = span

    def __len__(self) -> int:
        return len(self._spans)

    def items(self) -> Iterator[tuple[tuple, Span]]:
        paths: dict[int, tuple] = {0: ()}
        for (parent, key), node in self._children.items():  # parents are made before their children
            paths[node] = paths[parent] + (key,)
        for node, span in self._spans.items():
            yield paths[node], span

    def __iter__(self) -> Iterator[tuple]:
        return (p for p, _ in self.items())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Positions):
            other = dict(other.items())
        return isinstance(other, dict) and dict(self.items()) == other
