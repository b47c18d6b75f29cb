"""The desk wired into a hub worker: its store, its feed while the worker runs, its metrics
(read from the store when Prometheus scrapes), its pages on the operators' listener."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from mode import Service
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from lienthong.domain.calendar import Clock, WorkingCalendar
from lienthong.hub.desk.feed import DeskFeed
from lienthong.hub.desk.store import DeskStore


class DeskService(Service):
    """Runs the desk's feed for as long as the hub's app runs."""

    def __init__(self, feed: DeskFeed, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.feed = feed

    async def on_start(self) -> None:
        self.feed.start()

    async def on_stop(self) -> None:
        self.feed.stop()


class DeskMetrics(Collector):
    """The desk's figures, read from its store at each scrape."""

    def __init__(self, store: DeskStore, clock: Clock, calendar: WorkingCalendar) -> None:
        self.store, self.clock, self.calendar = store, clock, calendar

    def collect(self) -> Iterator[Any]:
        now = self.clock.now()
        labels = ["deployable", "step"]
        waiting = GaugeMetricFamily(
            "lienthong_desk_queue_length", "Cases waiting on an official's desk", labels=labels
        )
        unclaimed = GaugeMetricFamily(
            "lienthong_desk_unclaimed", "Cases on the desk nobody has claimed", labels=labels
        )
        oldest = GaugeMetricFamily(
            "lienthong_desk_oldest_age_seconds",
            "How long the oldest case on the desk has waited",
            labels=labels,
        )
        for row in self.store.queue(now):
            key = [row["deployable"], row["step"]]
            waiting.add_metric(key, row["n"])
            unclaimed.add_metric(key, row["unclaimed"] or 0)
            age = now - dt.datetime.fromisoformat(row["oldest"])
            oldest.add_metric(key, max(0.0, age.total_seconds()))
        decided = CounterMetricFamily(
            "lienthong_desk_decisions",
            "Cases decided on the desk, by official and outcome",
            labels=["deployable", "step", "official", "outcome"],
        )
        for row in self.store.decided():
            decided.add_metric(
                [row["deployable"], row["step"], row["official"], row["state"]], row["n"]
            )
        soon = GaugeMetricFamily(
            "lienthong_desk_unclaimed_due_within_one_working_day",
            "Cases nobody claimed whose target is at most one working day away",
            labels=labels,
        )
        edge = self.calendar.closing(
            self.calendar.add_working_days(self.calendar.local_date(now), 1)
        )
        for row in self.store.due_unclaimed(edge, now):
            soon.add_metric([row["deployable"], row["step"]], row["n"])
        yield from (waiting, unclaimed, oldest, decided, soon)
