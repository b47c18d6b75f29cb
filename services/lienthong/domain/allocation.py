"""Unique numbers without a global lock: counters sharded by partition, spread by a bijection."""

from __future__ import annotations

import secrets
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


#: Numbers a worker reserves at once per counter: the counter's saved value is the end of the
#: reserved block, written once per block instead of once per number.
BLOCK = 64


class Reservations:
    """The blocks of numbers one worker has reserved, kept between decisions (in memory only).

    A counter's saved value marks a reserved block: ``[ceiling, token]``, where every number
    below the ceiling may have been given and the token is new for each reservation. A worker
    gives numbers from its open block and saves a new mark only when the block runs out, so a
    counter costs one changelog write per :data:`BLOCK` numbers, not one per number. The open
    block is used only while the saved mark is the very one this worker saved for it: after
    another worker reserved from the counter (a rebalance), or after a dropped batch left its
    reservation unsaved, the saved mark differs and the worker reserves a new block above the
    saved ceiling. The token rules out the mark coming back to an equal value by another
    worker's reservation. A number is thus never given twice; a crash skips at most the rest of a
    block (a gap, never a repeat). A plain number saved before blocks is read as a ceiling.
    """

    def __init__(self, block: int = BLOCK) -> None:
        self.block = block
        #: counter key -> (the mark saved for the open block, the block's next number)
        self.open: dict[str, tuple[list[Any], int]] = {}

    def take(self, key: str, saved: Any) -> tuple[int, list[Any] | None]:
        """The next number of ``key`` and the mark to save (None: the open block goes on)."""
        mark, number = self.open.get(key, (None, 0))
        if mark is None or mark != saved:
            mark, number = None, ceiling_of(saved)
        if mark is None or number >= int(mark[0]):
            mark = [number + self.block, secrets.token_hex(8)]
            self.open[key] = (mark, number + 1)
            return number, mark
        self.open[key] = (mark, number + 1)
        return number, None


def ceiling_of(saved: Any) -> int:
    """Every number below this may have been given: a saved mark's ceiling, or a plain next
    number (a counter saved one number at a time); 0 for a counter never saved."""
    if isinstance(saved, list | tuple):
        return int(saved[0])
    return int(saved or 0)


class BufferedCounters:
    """Counters read from a mapping (a Faust table or a dict), updates kept until saved.

    Without ``reserved`` each number given is saved (the value saved is the next number); with
    it, numbers come from the worker's reserved blocks and only new marks are saved.
    """

    def __init__(self, source: Readable, reserved: Reservations | None = None) -> None:
        self.source = source
        self.reserved = reserved
        self.updates: dict[str, object] = {}

    def next(self, key: str) -> int:
        saved = self.updates[key] if key in self.updates else self.source.get(key)
        if self.reserved is None:
            value = ceiling_of(saved)
            self.updates[key] = value + 1
            return value
        number, mark = self.reserved.take(key, saved)
        if mark is not None:
            self.updates[key] = mark
        return number


def sharded(counter: int, partition: int, partitions: int) -> int:
    """The ``counter``-th number of ``partition``: disjoint across partitions."""
    return counter * partitions + partition


def spread(number: int, digits: int) -> int:
    """A bijective, random-looking image of ``number`` among ``digits``-digit serials."""
    modulus = 10**digits
    if not 0 <= number < modulus:
        raise LienthongError(f"the {digits}-digit number space is exhausted ({number})")
    return int((number * SPREAD_MULTIPLIER + SPREAD_OFFSET) % modulus)
