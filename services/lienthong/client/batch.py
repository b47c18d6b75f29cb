"""Publish a batch of dossiers and follow each to its final status, as an integrator does."""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from lienthong.client.publisher import RESUBMIT_AFTER_SECONDS, IntakePublisher, resubmit_unreceived
from lienthong.client.status import StatusFollower, Timeline
from lienthong.contracts.records import DeathDossierSubmitted, DossierSubmitted
from lienthong.settings import Settings

#: A dossier of any group, as an integrator submits it.
Dossier = DossierSubmitted | DeathDossierSubmitted


class Item(Protocol):
    """A dossier to publish (a generated one, ``groups.birth.synthetic.Synthetic``, ...)."""

    @property
    def record(self) -> Dossier: ...


@dataclass
class RunResult:
    """What publishing a batch of dossiers and following them observed."""

    items: Sequence[Item]
    published_at: dict[str, float]
    timelines: dict[str, Timeline]

    @property
    def ids(self) -> list[str]:
        return [str(i.record["meta"]["dossier_id"]) for i in self.items]

    def still_open(self) -> list[str]:
        return [i for i in self.ids if i not in self.timelines or self.timelines[i].final is None]

    def seconds_to_finish(self, dossier_id: str) -> float | None:
        timeline = self.timelines.get(dossier_id)
        if timeline is None or timeline.final is None:
            return None
        finished: dt.datetime = timeline.final[1]["meta"]["occurred_at"]
        return finished.timestamp() - self.published_at[dossier_id]


def push_through(
    settings: Settings,
    items: Sequence[Item],
    timeout: float,
    console: Console | None = None,
    aside: Callable[[], set[str]] | None = None,
) -> RunResult:
    """Publish the dossiers and follow them until each has a final status (or time runs out);
    ``aside``: dossiers not to wait for (those waiting on an official's desk)."""
    ids = [str(i.record["meta"]["dossier_id"]) for i in items]
    published: dict[str, float] = {}
    follower = StatusFollower(settings)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, disable=console is None) as progress:
        sending = progress.add_task("publishing dossiers", total=len(items))
        publisher = IntakePublisher(settings)
        for item in items:
            publisher.submit(item.record, validate=False)
            published[str(item.record["meta"]["dossier_id"])] = time.time()
            progress.advance(sending)
        publisher.flush()
        finishing = progress.add_task("dossiers finished ", total=len(items))
        records = {str(i.record["meta"]["dossier_id"]): i.record for i in items}
        last_try = [time.monotonic()]

        def show(_: object) -> None:
            progress.update(finishing, completed=len(follower.finished(ids)))
            if time.monotonic() - last_try[0] > RESUBMIT_AFTER_SECONDS:
                resubmit_unreceived(publisher, records, set(follower.timelines))
                last_try[0] = time.monotonic()

        def settled(_: object) -> bool:
            done = set(follower.finished(ids))
            return len(done) == len(ids) or (aside is not None and set(ids) <= done | aside())

        follower.wait_until(settled, timeout, show)
        publisher.close()
    follower.close()
    return RunResult(items, published, follower.timelines)


def percentile(values: list[float], q: int) -> float:
    """The ``q``-th percentile (1-99) of ``values``; NaN when there are none."""
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]
