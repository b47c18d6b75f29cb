"""When synthetic dossiers arrive: at random, at a steady rate, in a commune office's hours."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

from lienthong.domain.calendar import WorkingCalendar

#: A commune office's opening hours (one-stop shop, bộ phận một cửa).
OPENING, CLOSING = time(7, 30), time(17, 0)


def arrival_times(
    rng: random.Random, calendar: WorkingCalendar, count: int, start: datetime, per_day: int
) -> list[datetime]:
    """Submission times: arrivals at random at a steady rate, only in working hours, carried
    over to the next working day when a day is full."""
    windows = _windows(calendar, start)
    opens, seconds = next(windows)
    mean_gap = _seconds_between(OPENING, CLOSING) / per_day
    elapsed = 0.0
    times = []
    for _ in range(count):
        elapsed += rng.expovariate(1 / mean_gap)
        while elapsed >= seconds:
            elapsed -= seconds
            opens, seconds = next(windows)
        times.append((opens + timedelta(seconds=int(elapsed))).astimezone(UTC))
    return times


def _windows(calendar: WorkingCalendar, start: datetime) -> Iterator[tuple[datetime, float]]:
    local = start.astimezone(calendar.zone).replace(microsecond=0)
    day = local.date()
    while True:
        if calendar.is_working_day(day):
            opens = max(datetime.combine(day, OPENING, calendar.zone), local)
            closes = datetime.combine(day, CLOSING, calendar.zone)
            if opens < closes:
                yield opens, (closes - opens).total_seconds()
        day += timedelta(days=1)


def _seconds_between(opens: time, closes: time) -> float:
    return (datetime.combine(date.min, closes) - datetime.combine(date.min, opens)).total_seconds()
