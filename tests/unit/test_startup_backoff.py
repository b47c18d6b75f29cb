"""The start's wait: exponential backoff with jitter within one horizon, then a clear error."""

from __future__ import annotations

import logging
import random

import pytest

from lienthong.errors import BrokerUnreachable
from lienthong.runtime.startup import FIRST_SECONDS, LONGEST_SECONDS, StartupWait
from lienthong.settings import Settings


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_waits_double_up_to_the_longest_and_are_jittered() -> None:
    clock = Clock()
    wait = StartupWait(1000.0, "kafka-0:9092", now=clock, rng=random.Random(23))
    delays = []
    for _ in range(8):
        delay = wait.next_delay(ConnectionError())
        delays.append(delay)
        clock.now += delay
    nominal = [min(FIRST_SECONDS * 2**n, LONGEST_SECONDS) for n in range(8)]
    assert all(n / 2 <= d <= n for d, n in zip(delays, nominal, strict=True))
    assert delays[-1] > LONGEST_SECONDS / 2 and max(delays) <= LONGEST_SECONDS
    assert len(set(delays)) == len(delays), "drawn, not fixed"


def test_a_wait_never_passes_the_horizon_and_the_horizon_ends_in_a_clear_error() -> None:
    clock = Clock()
    wait = StartupWait(12.0, "kafka-0:9092,kafka-1:9092", now=clock, rng=random.Random(1))
    clock.now = 11.9
    assert wait.next_delay(TimeoutError()) == pytest.approx(0.1)
    clock.now = 12.0
    with pytest.raises(BrokerUnreachable) as ended:
        wait.next_delay(TimeoutError())
    message = str(ended.value)
    assert "kafka-0:9092,kafka-1:9092 not reachable for 12 s" in message
    assert "startup_wait_seconds (LIENTHONG_STARTUP_WAIT_SECONDS)" in message
    assert "TimeoutError" in message
    assert wait.expired is ended.value


def test_each_wait_is_logged_once_naming_the_servers(caplog: pytest.LogCaptureFixture) -> None:
    wait = StartupWait(60.0, "127.0.0.1:19092", now=Clock(), rng=random.Random(2))
    with caplog.at_level(logging.WARNING, logger="lienthong.runtime.startup"):
        first = wait.next_delay(ConnectionRefusedError())
        wait.next_delay(ConnectionRefusedError())
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2
    assert lines[0].startswith(f"broker 127.0.0.1:19092 not reachable, retrying in {first:.1f} s")


def test_the_horizon_is_a_setting_of_a_few_minutes() -> None:
    assert Settings().startup_wait_seconds == 300.0
    assert Settings(startup_wait_seconds=20).startup_wait_seconds == 20.0
    with pytest.raises(ValueError, match="startup_wait_seconds"):
        Settings(startup_wait_seconds=0)
