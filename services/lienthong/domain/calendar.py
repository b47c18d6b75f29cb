"""The legal working-day calendar (Vietnam's holidays, the 15:00 cut-off) and injectable clocks."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Protocol
from zoneinfo import ZoneInfo

import holidays

#: Saturday and Sunday (date.weekday() numbers).
WEEKEND = frozenset({5, 6})
#: Offices close at 17:00; a deadline falls at the close of its working day.
DEFAULT_CLOSING_TIME = time(17, 0)


class Clock(Protocol):
    """Where the current time comes from; the only way code asks what time it is."""

    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...


class SystemClock:
    """The real clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock for tests: it says what it was set to and moves only when told."""

    def __init__(self, at: datetime) -> None:
        self._at = _aware(at)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = _aware(at)

    def advance(self, delta: timedelta) -> datetime:
        self._at += delta
        return self._at


#: A clock that stays where it is set (the same class; simply never advanced).
FixedClock = ManualClock


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"a timezone-aware datetime is required, not {at!r}")
    return at


@cache
def _vietnam(year: int) -> tuple[frozenset[date], frozenset[date]]:
    days = holidays.country_holidays("VN", years=year)
    swapped = frozenset(d for d in days.weekend_workdays if d.year == year)
    return frozenset(days), swapped


def vietnam_holidays(year: int) -> frozenset[date]:
    """Vietnam's public holidays and substitute days off in ``year``."""
    return _vietnam(year)[0]


def vietnam_weekend_workdays(year: int) -> frozenset[date]:
    """Saturdays or Sundays worked in ``year`` to make up for a substitute day off."""
    return _vietnam(year)[1]


class WorkingCalendar:
    """Working days (Monday-Friday except holidays) and the legal reading of deadlines."""

    def __init__(
        self,
        timezone: str = "Asia/Ho_Chi_Minh",
        cutoff_hour: int = 15,
        extra_days_off: Iterable[date] = (),
        extra_working_days: Iterable[date] = (),
        closing_time: time = DEFAULT_CLOSING_TIME,
    ) -> None:
        if not 0 <= cutoff_hour <= 23:
            raise ValueError(f"cutoff_hour must be 0-23, not {cutoff_hour}")
        self.zone = ZoneInfo(timezone)
        self.cutoff = time(cutoff_hour)
        self.closing_time = closing_time
        self.extra_days_off = frozenset(extra_days_off)
        self.extra_working_days = frozenset(extra_working_days)

    def is_working_day(self, d: date) -> bool:
        """Monday to Friday except holidays, plus make-up weekend days; configured days win."""
        if d in self.extra_working_days:
            return True
        if d in self.extra_days_off or d in vietnam_holidays(d.year):
            return False
        return d.weekday() not in WEEKEND or d in vietnam_weekend_workdays(d.year)

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after ``d``."""
        d += timedelta(days=1)
        while not self.is_working_day(d):
            d += timedelta(days=1)
        return d

    def local_date(self, at: datetime) -> date:
        """The calendar date of ``at`` in the legal timezone."""
        return _aware(at).astimezone(self.zone).date()

    def received_on(self, at: datetime) -> date:
        """The working day a dossier submitted at ``at`` counts as received.

        After the cut-off hour (15:00:00 itself still counts), or on a day off, it is the next
        working day.
        """
        local = _aware(at).astimezone(self.zone)
        day = local.date()
        if not self.is_working_day(day) or local.time() > self.cutoff:
            return self.next_working_day(day)
        return day

    def add_working_days(self, d: date, n: int) -> date:
        """The date ``n`` working days after ``d`` (before it when ``n`` is negative)."""
        step = timedelta(days=1 if n >= 0 else -1)
        remaining = abs(n)
        while remaining:
            d += step
            if self.is_working_day(d):
                remaining -= 1
        return d

    #: "Within n working days of receiving the complete dossier": the received day is not
    #: counted (Civil Code 2015, art. 147: a period in days starts the day after the event), so
    #: a dossier received Monday with 3 working days is due at the close of Thursday. n = 0 (birth
    #: registration, "the same working day") is due at the close of the received day.
    def due_at(self, received_at: datetime, working_days: int) -> datetime:
        """The deadline (UTC) of work that takes ``working_days`` from ``received_at``."""
        if working_days < 0:
            raise ValueError(f"working_days must not be negative, not {working_days}")
        day = self.add_working_days(self.received_on(received_at), working_days)
        return self.closing(day)

    def closing(self, d: date) -> datetime:
        """The close of business on ``d``, in UTC."""
        return datetime.combine(d, self.closing_time, tzinfo=self.zone).astimezone(UTC)

    def working_days_between(self, a: date, b: date) -> int:
        """The n with ``add_working_days(a, n) == b`` when b is a working day.

        Counts the working days in (a, b]; when ``b`` is before ``a``, minus those in [b, a).
        """
        if b < a:
            return -self._count(b - timedelta(days=1), a - timedelta(days=1))
        return self._count(a, b)

    def _count(self, after: date, until: date) -> int:
        days = (after + timedelta(days=i) for i in range(1, (until - after).days + 1))
        return sum(1 for d in days if self.is_working_day(d))
