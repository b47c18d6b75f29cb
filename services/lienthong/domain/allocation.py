"""Unique numbers without a global lock: counters sharded by partition, spread by a bijection."""

from __future__ import annotations

from typing import Any, Protocol

from lienthong.errors import LienthongError

#: Multiplier coprime with every power of 10, so ``x -> (x * M + C) mod 10**k`` is a bijection:
#: numbers look random (as personal ID serials are) yet never collide.
SPREAD_MULTIPLIER = 7919
SPREAD_OFFSET = 104_729


class Counters(Protocol):
    """A per-key counter the decision may advance; the caller persists the updates."""

    def next(self, key: str) -> int: ...


class Readable(Protocol):
    """What counters are read from: a dict, a Faust table, or its staged view."""

    def get(self, key: str, default: Any = None) -> Any: ...


class BufferedCounters:
    """Counters read from a mapping (a Faust table or a dict), updates kept until saved."""

    def __init__(self, source: Readable) -> None:
        self.source = source
        self.updates: dict[str, int] = {}

    def next(self, key: str) -> int:
        value = int(self.updates.get(key, self.source.get(key) or 0))
        self.updates[key] = value + 1
        return value


def sharded(counter: int, partition: int, partitions: int) -> int:
    """The ``counter``-th number of ``partition``: disjoint across partitions."""
    return counter * partitions + partition


def spread(number: int, digits: int) -> int:
    """A bijective, random-looking image of ``number`` among ``digits``-digit serials."""
    modulus = 10**digits
    if not 0 <= number < modulus:
        raise LienthongError(f"the {digits}-digit number space is exhausted ({number})")
    return int((number * SPREAD_MULTIPLIER + SPREAD_OFFSET) % modulus)
