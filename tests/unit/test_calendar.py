"""The legal calendar: cut-off, holidays, substitute days, deadlines; and the clocks."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from lienthong.domain.calendar import (
    FixedClock,
    ManualClock,
    SystemClock,
    WorkingCalendar,
    vietnam_holidays,
    vietnam_weekend_workdays,
)

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
CALENDAR = WorkingCalendar()


def hanoi(year: int, month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=HANOI)


def close_of(d: date) -> datetime:
    return datetime.combine(d, time(17), tzinfo=HANOI)


def test_holidays_the_cases_rely_on() -> None:
    tet_2027 = {date(2027, 2, d) for d in range(4, 11)}
    assert tet_2027 <= vietnam_holidays(2027)
    assert date(2027, 2, 3) not in vietnam_holidays(2027)
    assert date(2026, 8, 31) in vietnam_holidays(2026)  # substitute day off for Saturday 22 August
    assert vietnam_weekend_workdays(2026) == {date(2026, 8, 22)}
    assert date(2027, 1, 1) in vietnam_holidays(2027)


@pytest.mark.parametrize(
    ("at", "received"),
    [
        (hanoi(2026, 3, 3, 14, 59), date(2026, 3, 3)),  # Tuesday, before the cut-off
        (hanoi(2026, 3, 3, 15, 0, 0), date(2026, 3, 3)),  # 15:00 itself is not "after 15:00"
        (hanoi(2026, 3, 3, 15, 0, 1), date(2026, 3, 4)),
        (hanoi(2026, 3, 3, 15, 1), date(2026, 3, 4)),
        (hanoi(2026, 3, 3, 0, 5), date(2026, 3, 3)),  # just after midnight, local time
        (datetime(2026, 3, 2, 17, 5, tzinfo=UTC), date(2026, 3, 3)),  # 00:05 Tuesday in Hanoi
        (datetime(2026, 3, 3, 7, 59, tzinfo=UTC), date(2026, 3, 3)),  # 14:59 in Hanoi
        (datetime(2026, 3, 3, 8, 1, tzinfo=UTC), date(2026, 3, 4)),  # 15:01 in Hanoi
        (hanoi(2026, 3, 6, 14, 0), date(2026, 3, 6)),  # Friday before the cut-off
        (hanoi(2026, 3, 6, 15, 30), date(2026, 3, 9)),  # Friday afternoon: Monday
        (hanoi(2026, 3, 7, 10, 0), date(2026, 3, 9)),  # Saturday morning: Monday
        (hanoi(2027, 2, 3, 10, 0), date(2027, 2, 3)),  # the day before Tết 2027, morning
        (hanoi(2027, 2, 3, 16, 0), date(2027, 2, 11)),  # ... afternoon: after the Tết break
        (hanoi(2027, 2, 6, 9, 0), date(2027, 2, 11)),  # during Tết
        (hanoi(2026, 8, 21, 16, 0), date(2026, 8, 22)),  # Saturday 22 August 2026 is worked
        (hanoi(2026, 8, 28, 16, 0), date(2026, 9, 3)),  # substitute day, then National Day
        (hanoi(2026, 12, 31, 16, 0), date(2027, 1, 4)),  # across the new year
    ],
)
def test_received_on(at: datetime, received: date) -> None:
    assert CALENDAR.received_on(at) == received


@pytest.mark.parametrize(
    ("at", "days", "due"),
    [
        (hanoi(2026, 3, 2, 10, 0), 0, close_of(date(2026, 3, 2))),  # birth: same working day
        (hanoi(2026, 3, 2, 10, 0), 3, close_of(date(2026, 3, 5))),  # Monday -> Thursday
        (hanoi(2026, 3, 2, 15, 1), 3, close_of(date(2026, 3, 6))),  # after the cut-off
        (hanoi(2026, 3, 6, 15, 30), 3, close_of(date(2026, 3, 12))),  # Friday afternoon
        (hanoi(2026, 3, 6, 15, 30), 0, close_of(date(2026, 3, 9))),
        (hanoi(2026, 3, 2, 10, 0), 5, close_of(date(2026, 3, 9))),  # verification needed
        (hanoi(2027, 2, 3, 10, 0), 3, close_of(date(2027, 2, 15))),  # across Tết 2027
        (hanoi(2027, 2, 3, 16, 0), 2, close_of(date(2027, 2, 15))),
        (hanoi(2026, 8, 27, 10, 0), 3, close_of(date(2026, 9, 4))),  # across 31 Aug - 2 Sep
        (hanoi(2026, 8, 20, 10, 0), 2, close_of(date(2026, 8, 22))),  # the worked Saturday
        (hanoi(2026, 12, 30, 16, 0), 3, close_of(date(2027, 1, 6))),  # across the new year
    ],
)
def test_due_at(at: datetime, days: int, due: datetime) -> None:
    found = CALENDAR.due_at(at, days)
    assert found == due
    assert found.tzinfo == UTC


def test_due_at_refuses_negative_days() -> None:
    with pytest.raises(ValueError):
        CALENDAR.due_at(hanoi(2026, 3, 2, 10), -1)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        CALENDAR.received_on(datetime(2026, 3, 2, 10, 0))


@pytest.mark.parametrize(
    ("start", "n", "end"),
    [
        (date(2026, 3, 2), 0, date(2026, 3, 2)),
        (date(2026, 3, 2), 1, date(2026, 3, 3)),
        (date(2026, 3, 6), 1, date(2026, 3, 9)),
        (date(2026, 3, 7), 1, date(2026, 3, 9)),  # from a Saturday
        (date(2026, 3, 9), -1, date(2026, 3, 6)),
        (date(2027, 2, 3), 1, date(2027, 2, 11)),
        (date(2027, 2, 11), -1, date(2027, 2, 3)),
        (date(2026, 12, 31), 1, date(2027, 1, 4)),
    ],
)
def test_add_working_days(start: date, n: int, end: date) -> None:
    assert CALENDAR.add_working_days(start, n) == end


@pytest.mark.parametrize(
    ("a", "b", "n"),
    [
        (date(2026, 3, 2), date(2026, 3, 2), 0),
        (date(2026, 3, 2), date(2026, 3, 5), 3),
        (date(2026, 3, 6), date(2026, 3, 9), 1),
        (date(2026, 3, 9), date(2026, 3, 6), -1),
        (date(2027, 2, 3), date(2027, 2, 11), 1),
        (date(2026, 12, 30), date(2027, 1, 6), 4),
        # 261 weekdays, less 12 weekday holidays and 1 January 2027, plus Saturday 22 August
        (date(2026, 1, 1), date(2027, 1, 1), 249),
    ],
)
def test_working_days_between(a: date, b: date, n: int) -> None:
    assert CALENDAR.working_days_between(a, b) == n


@pytest.mark.parametrize("n", [-7, -1, 0, 1, 3, 5, 7, 40])
@pytest.mark.parametrize("start", [date(2026, 3, 2), date(2027, 2, 3), date(2026, 12, 31)])
def test_working_days_between_inverts_add_working_days(start: date, n: int) -> None:
    assert CALENDAR.working_days_between(start, CALENDAR.add_working_days(start, n)) == n


def test_extra_days_off_and_working_days() -> None:
    calendar = WorkingCalendar(
        extra_days_off=[date(2026, 3, 4)], extra_working_days=[date(2026, 3, 7)]
    )
    assert not calendar.is_working_day(date(2026, 3, 4))
    assert calendar.is_working_day(date(2026, 3, 7))
    assert calendar.received_on(hanoi(2026, 3, 3, 16, 0)) == date(2026, 3, 5)
    assert calendar.received_on(hanoi(2026, 3, 6, 16, 0)) == date(2026, 3, 7)
    assert calendar.due_at(hanoi(2026, 3, 3, 10, 0), 3) == close_of(date(2026, 3, 7))


def test_an_extra_working_day_beats_a_holiday() -> None:
    calendar = WorkingCalendar(extra_working_days=[date(2026, 9, 2)])
    assert calendar.is_working_day(date(2026, 9, 2))
    assert calendar.received_on(hanoi(2026, 8, 28, 16, 0)) == date(2026, 9, 2)


def test_cutoff_hour_and_timezone_are_settings() -> None:
    calendar = WorkingCalendar(timezone="UTC", cutoff_hour=12)
    assert calendar.received_on(datetime(2026, 3, 3, 12, 30, tzinfo=UTC)) == date(2026, 3, 4)
    assert calendar.due_at(datetime(2026, 3, 3, 9, tzinfo=UTC), 0) == datetime(
        2026, 3, 3, 17, tzinfo=UTC
    )
    with pytest.raises(ValueError):
        WorkingCalendar(cutoff_hour=24)


def test_manual_clock_moves_only_when_told() -> None:
    start = hanoi(2026, 3, 2, 9, 0)
    clock = ManualClock(start)
    assert clock.now() == start
    assert clock.advance(timedelta(hours=7)) == hanoi(2026, 3, 2, 16, 0)
    assert clock.now() == hanoi(2026, 3, 2, 16, 0)
    clock.set(hanoi(2027, 2, 3, 10, 0))
    assert clock.now() == hanoi(2027, 2, 3, 10, 0)
    with pytest.raises(ValueError):
        ManualClock(datetime(2026, 3, 2, 9, 0))
    assert FixedClock(start).now() == start


def test_system_clock_is_timezone_aware() -> None:
    assert SystemClock().now().tzinfo is not None
