"""--shard K/N: every (account, region) pair in exactly one shard, the same
split whatever order the pairs come in."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from auditor.live.shard import ShardError, mine, parse

PAIRS = st.lists(st.tuples(st.sampled_from(["111111111111", "222222222222", "333333333333"]),
                           st.sampled_from(["us-east-1", "eu-west-1", "ap-south-1", "sa-east-1"])), max_size=12)


@given(pairs=PAIRS, n=st.integers(1, 6), seed=st.randoms())
def test_shards_partition_the_pairs_deterministically(pairs, n, seed):
    shards = [mine(pairs, (k, n)) for k in range(1, n + 1)]
    assert set().union(*shards) == set(pairs)
    assert sum(len(s) for s in shards) == len(set(pairs))  # disjoint
    shuffled = list(pairs)
    seed.shuffle(shuffled)
    assert [mine(shuffled, (k, n)) for k in range(1, n + 1)] == shards
    assert max(len(s) for s in shards) - min(len(s) for s in shards) <= 1  # even shares


@pytest.mark.parametrize("text", ["0/2", "3/2", "2", "a/b", "1/0", "-1/2", ""])
def test_bad_shard_is_a_usage_error(text):
    with pytest.raises(ShardError, match="use K/N with 1 <= K <= N"):
        parse(text)


def test_parse():
    assert parse("2/4") == (2, 4) and parse(None) is None
