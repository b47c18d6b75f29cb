"""When a failed delivery is tried again: exponential backoff with full jitter, and the horizon."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """Delays after the 1st, 2nd... failure: random in [base/2, min(max, base * 2**(n-1))].

    Full jitter spreads the retries of many dossiers failing at once (an endpoint back after an
    outage is not hit by all of them in the same second); the floor of half the base keeps a
    delay from collapsing to zero.
    """

    base_seconds: float
    max_seconds: float
    #: After this long since the handoff arrived the bridge gives up (a dead letter).
    give_up_seconds: float

    def delay(self, failures: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after ``failures`` failed attempts (at least one)."""
        ceiling = min(self.max_seconds, self.base_seconds * 2 ** min(max(failures, 1) - 1, 32))
        floor = min(self.base_seconds / 2, ceiling)
        return (rng or random).uniform(floor, ceiling)

    def next_at(
        self, failures: int, now: dt.datetime, rng: random.Random | None = None
    ) -> dt.datetime:
        return now + dt.timedelta(seconds=self.delay(failures, rng))

    def gives_up(self, arrived: dt.datetime, now: dt.datetime) -> bool:
        """Whether a handoff that arrived at ``arrived`` has been tried long enough."""
        return (now - arrived).total_seconds() >= self.give_up_seconds
