"""The relay's partitioner keeps an aggregate on one partition and spreads aggregates."""

from __future__ import annotations

import uuid
from collections import Counter

from shared.kafka import crc32_partitioner
from shared.store import _dashed


def test_same_key_same_partition_whatever_the_order_of_partitions() -> None:
    key = str(uuid.uuid4()).encode()
    first = crc32_partitioner(key, [0, 1, 2], [0, 1, 2])
    assert crc32_partitioner(key, [2, 0, 1], [1]) == first


def test_keys_spread_over_every_partition() -> None:
    counts = Counter(
        crc32_partitioner(str(uuid.uuid4()).encode(), [0, 1, 2], [0, 1, 2]) for _ in range(3000)
    )
    assert set(counts) == {0, 1, 2}
    assert min(counts.values()) > 800


def test_keyless_messages_go_to_an_available_partition() -> None:
    assert crc32_partitioner(None, [0, 1, 2], [2]) == 2
    assert crc32_partitioner(None, [0, 1, 2], []) == 0


def test_dashed_uuid_text_matches_the_uuid_module() -> None:
    value = uuid.uuid4()
    assert _dashed(value.hex) == str(value)
    assert _dashed(value.hex.upper()) == str(value)
    assert _dashed(str(value)) == str(value)
