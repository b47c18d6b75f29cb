"""A steady publishing schedule: dossier ``i`` is due ``i / rate`` seconds after the start.

Due times are absolute, counted from one start, so a late send (a busy machine, a slow
``send``) does not push every later one back: the schedule never drifts, and the publisher
catches up by sending the overdue dossiers at once. How late each send was is kept, so a
run can say whether the offered rate was really offered.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Schedule:
    """``count`` sends at ``rate`` per second."""

    rate: float
    count: int

    def __post_init__(self) -> None:
        if not self.rate > 0:
            raise ValueError(f"the rate must be above 0 dossiers per second, not {self.rate}")
        if self.count < 1:
            raise ValueError(f"the count must be at least 1 dossier, not {self.count}")

    @classmethod
    def for_seconds(cls, rate: float, seconds: float) -> Schedule:
        """The sends of ``seconds`` at ``rate`` (at least one)."""
        return cls(rate, max(1, round(rate * seconds)))

    def due(self, index: int) -> float:
        """Seconds after the start when send ``index`` is due."""
        return index / self.rate

    @property
    def seconds(self) -> float:
        """From the first due time to the last."""
        return self.due(self.count - 1)


@dataclass(frozen=True)
class Kept:
    """How a schedule was kept: when each send happened, seconds after the start."""

    schedule: Schedule
    sent: list[float]

    @property
    def lateness(self) -> list[float]:
        """Seconds each send happened after it was due (never negative)."""
        return [max(0.0, s - self.schedule.due(i)) for i, s in enumerate(self.sent)]


def keep(
    schedule: Schedule,
    send: Callable[[int], object],
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Kept:
    """Call ``send(i)`` for each due time, sleeping until it is due; overdue sends go at once."""
    start = clock()
    sent: list[float] = []
    for index in range(schedule.count):
        wait = start + schedule.due(index) - clock()
        if wait > 0:
            sleep(wait)
        send(index)
        sent.append(clock() - start)
    return Kept(schedule, sent)
