"""Paced and soak modes: dossiers published on a steady schedule, each followed to its final status.

One stack serves every rate of a run. Before the first rate a few warm-up dossiers must
become final, so a slow start (a consumer that has not yet seen its new topics) is
reported as such instead of being mixed into the steady-state latencies. After each rate
the run waits up to ``drain`` seconds for the dossiers still open; any left open count as
infinitely late in the percentiles, and end the run (see ``each_rate``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from itertools import count
from typing import Any

from lienthong.bench.follow import FinalTimes
from lienthong.bench.measure import Latencies, growth_share, nearest_rank, rate_of
from lienthong.bench.rss import RssSampler
from lienthong.bench.schedule import Schedule, keep
from lienthong.bench.source import DossierSource
from lienthong.client.publisher import IntakePublisher
from lienthong.client.status import partition_of
from lienthong.runtime.stack import LocalStack
from lienthong.settings import Settings

#: How long warm-up dossiers may take: the hub can need five minutes to see new topics (a
#: consumer's metadata refresh) before it reads them.
WARM_UP_TIMEOUT = 360.0
#: Share of the soak, at its end, over which memory must stay flat.
LAST_SHARE = 0.2


@dataclass(frozen=True)
class RateFigures:
    """What one rate of a paced run (or a soak) measured."""

    offered_rate: float
    achieved_rate: float
    seconds: float
    published: int
    finished: int
    latency_s: Latencies
    #: Seconds the publisher was behind the schedule: p99 and worst.
    late_p99_s: float
    late_max_s: float


def one_per_partition(ids: Iterator[str], partitions: int) -> list[str]:
    """Ids taken from ``ids`` until every partition (Kafka's default partitioner) has one."""
    taken: list[str] = []
    uncovered = set(range(partitions))
    while uncovered:
        taken.append(next(ids))
        uncovered.discard(partition_of(taken[-1], partitions))
    return taken


@dataclass
class Run:
    """A publisher, a dossier source and a status follower on one stack's topics."""

    settings: Settings
    seed: int
    drain: float
    finals: FinalTimes
    publisher: IntakePublisher = field(init=False)
    source: DossierSource = field(init=False)

    def __post_init__(self) -> None:
        self.publisher = IntakePublisher(self.settings, producer_name="bench")
        self.source = DossierSource(self.seed)

    def publish(self, published: dict[str, float]) -> str:
        """Publish the next dossier and note when; returns its id."""
        dossier_id = self.publisher.submit(self.source.next().record, validate=False)
        published[dossier_id] = time.time()
        return dossier_id

    def warm_up(self) -> float | None:
        """Seconds until a dossier in every partition was final; ``None`` when one never was.

        A partition the hub has not started reading (its new-topic stall) holds its warm-up
        dossier back, so the stall is reported here instead of inflating the first rate.
        """
        start = time.monotonic()
        published: dict[str, float] = {}
        one_per_partition((self.publish(published) for _ in count()), self.settings.partitions)
        self.publisher.flush()
        if self.finals.wait(published, WARM_UP_TIMEOUT):
            return round(time.monotonic() - start, 2)
        return None

    def at_rate(self, schedule: Schedule) -> RateFigures:
        """Publish on ``schedule``, wait for the stragglers, measure."""
        published: dict[str, float] = {}
        kept = keep(schedule, lambda _: self.publish(published))
        self.publisher.flush()
        self.finals.wait(published, self.drain)
        seconds = [
            self.finals.at[i] - t if i in self.finals.at else None for i, t in published.items()
        ]
        late = kept.lateness
        return RateFigures(
            offered_rate=schedule.rate,
            achieved_rate=round(rate_of(kept.sent), 2),
            seconds=round(kept.sent[-1], 2),
            published=len(published),
            finished=sum(s is not None for s in seconds),
            latency_s=Latencies.of(seconds),
            late_p99_s=round(nearest_rank(late, 99), 3),
            late_max_s=round(max(late), 3),
        )


@contextmanager
def running(settings: Settings, seed: int, drain: float) -> Iterator[Run]:
    with FinalTimes(settings) as finals:
        run = Run(settings, seed, drain, finals)
        try:
            yield run
        finally:
            run.publisher.close()


def each_rate(
    rates: Sequence[float], measure: Callable[[float], RateFigures]
) -> tuple[list[RateFigures], list[float]]:
    """Measure each rate in turn, until one leaves dossiers open after its drain.

    The rates share one stack: dossiers still open would queue ahead of the next rate's and
    charge it with the previous rate's backlog. Returns the figures and the rates not run.
    """
    figures: list[RateFigures] = []
    for rate in rates:
        figures.append(measure(rate))
        if figures[-1].finished < figures[-1].published:
            break
    return figures, list(rates[len(figures) :])


def paced(
    settings: Settings, rates: list[float], seconds: float, seed: int, drain: float
) -> dict[str, Any]:
    """Each rate in turn for ``seconds``, on one warmed-up stack."""
    with running(settings, seed, drain) as run:
        warm = run.warm_up()
        figures, skipped = each_rate(
            rates, lambda rate: run.at_rate(Schedule.for_seconds(rate, seconds))
        )
    return {
        "seconds": seconds,
        "drain": drain,
        "warm_up_s": warm,
        "runs": [asdict(f) for f in figures],
        "skipped_rates": skipped,
    }


def soak(
    settings: Settings, stack: LocalStack, count: int, rate: float, seed: int, drain: float
) -> dict[str, Any]:
    """``count`` dossiers at ``rate``, sampling each worker's RSS; flatness over the last fifth."""
    schedule = Schedule(rate, count)
    pids = {w.label: w.process.pid for w in stack.workers}
    with running(settings, seed, drain) as run:
        warm = run.warm_up()
        with RssSampler(pids, interval=max(1.0, schedule.seconds / 300)) as sampler:
            figures = run.at_rate(schedule)
    processes = {label: _memory(sampler.series(label), figures.seconds) for label in pids}
    return {
        "count": count,
        "drain": drain,
        "warm_up_s": warm,
        "run": asdict(figures),
        "processes": processes,
        "rss_interval_s": sampler.interval,
        "rss_samples": sampler.samples,
    }


def _memory(series: list[tuple[float, float]], publishing: float) -> dict[str, float | None]:
    """First, peak and last RSS of one process, and its growth over the soak's last fifth."""
    during = [(t, mib) for t, mib in series if t <= publishing]
    growth = growth_share(during, LAST_SHARE) if len(during) >= 2 else None
    values = [mib for _, mib in series]
    return {
        "first_mib": values[0] if values else None,
        "peak_mib": max(values, default=None),
        "last_mib": values[-1] if values else None,
        "last_fifth_growth": None if growth is None else round(growth, 4),
    }
