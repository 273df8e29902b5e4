"""``--shard K/N``: a deterministic share of the account x region list, so
one scheduled job fans out over N tasks (Fargate, a CI matrix, a Step
Functions Map state) and ``sm-audit report`` merges their results. The same
accounts and regions give every task the same split, whatever order they
were listed in; no scheduler of our own."""

from __future__ import annotations

from typing import Optional, Sequence, TypeVar

T = TypeVar("T")


class ShardError(ValueError):
    pass


def parse(text: Optional[str]) -> Optional[tuple[int, int]]:
    """"K/N" -> (K, N), 1 <= K <= N."""
    if text is None:
        return None
    k, sep, n = str(text).partition("/")
    try:
        ki, ni = int(k), int(n)
    except ValueError:
        ki = ni = 0
    if not sep or ni < 1 or not 1 <= ki <= ni:
        raise ShardError(f"--shard {text!r}: use K/N with 1 <= K <= N, e.g. 2/4")
    return ki, ni


def mine(pairs: Sequence[tuple[str, str]], shard: Optional[tuple[int, int]]) -> set[tuple[str, str]]:
    """The (account, region) pairs of shard K of N: the K-th of every N in sorted order."""
    ordered = sorted(set(pairs))
    if shard is None:
        return set(ordered)
    k, n = shard
    return {p for i, p in enumerate(ordered) if i % n == k - 1}
