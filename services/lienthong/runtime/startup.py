"""A starting worker waits for unreachable brokers (starting, restarting) within one horizon.

One :class:`StartupWait` serves the whole start of a worker: the topics' preparation and then
faust's producer start. Each failed attempt waits a little longer (exponential backoff with
jitter, so workers started together do not knock in step) and says so in one log line; once
the horizon (``startup_wait_seconds``) is spent, the wait ends in :class:`BrokerUnreachable`,
naming the bootstrap servers and the setting.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable

from lienthong.errors import BrokerUnreachable

log = logging.getLogger(__name__)

#: The first wait; each next one doubles, up to :data:`LONGEST_SECONDS`.
FIRST_SECONDS = 0.5
#: The longest wait between two attempts: a broker back after a restart is seen within it.
LONGEST_SECONDS = 10.0
#: Each wait is drawn between this share of its nominal length and the whole of it.
JITTER_SHARE = 0.5
SETTING = "startup_wait_seconds (LIENTHONG_STARTUP_WAIT_SECONDS)"


class StartupWait:
    """The horizon of a worker's start and the next wait within it."""

    def __init__(
        self,
        horizon_seconds: float,
        bootstrap_servers: str,
        *,
        now: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.horizon_seconds = horizon_seconds
        self.bootstrap_servers = bootstrap_servers
        self._now = now
        self._rng = rng or random.Random()
        self.deadline = now() + horizon_seconds
        self.attempts = 0
        #: Set when the horizon ended: the worker's last word (a one-line error).
        self.expired: BrokerUnreachable | None = None

    def left(self) -> float:
        """Seconds left of the horizon (0 once it ended)."""
        return max(self.deadline - self._now(), 0.0)

    def next_delay(self, cause: BaseException) -> float:
        """How long to wait after a failed attempt (``cause``); raise when the horizon ends.

        The delay never passes the horizon; it is logged once, as it begins.
        """
        left = self.deadline - self._now()
        if left <= 0:
            self.expired = BrokerUnreachable(
                f"Kafka at {self.bootstrap_servers} not reachable for "
                f"{self.horizon_seconds:.0f} s ({self.attempts + 1} attempts, last: "
                f"{type(cause).__name__}); check that the brokers run and that "
                f"bootstrap_servers names them, or wait longer with {SETTING}"
            )
            raise self.expired from cause
        nominal = min(FIRST_SECONDS * 2.0**self.attempts, LONGEST_SECONDS)
        delay = min(left, nominal * self._rng.uniform(JITTER_SHARE, 1.0))
        self.attempts += 1
        log.warning(
            "broker %s not reachable, retrying in %.1f s (%s; giving up in %.0f s, %s)",
            self.bootstrap_servers,
            delay,
            type(cause).__name__,
            left,
            SETTING,
        )
        return delay
