"""Table views whose writes wait for the checkpoint, and are awaited until acknowledged."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric

from lienthong.runtime.faust.events import as_current, current_event

#: A key removed in the batch (``pop``), distinct from a key set to ``None``.
_GONE = object()
T = TypeVar("T")


@dataclass(frozen=True)
class Parsing(Generic[T]):
    """How a table's stored values become objects and back (a ``KeptTable``'s values)."""

    #: The object of a stored value (``None``: no value).
    parse: Callable[[Any], T | None]
    #: The stored value of an object (what the table and its changelog hold).
    dump: Callable[[T], Any]
    #: Whether an object is worth keeping parsed: likely to be read again soon.
    worth: Callable[[T], bool] = lambda _: True


class StagedTable:
    """A Faust table whose writes wait for the checkpoint; reads see them at once.

    It also keeps each changelog write it makes until the broker has acknowledged it
    (:meth:`confirm`): faust's own producer flush is not enough for that (see
    ``runtime.faust.tables.TrackedTable``, which tells this view of each write).
    """

    #: Acknowledged writes are forgotten when this many accumulate (timers write outside a batch).
    PRUNE_AT = 1024

    def __init__(self, table: Any) -> None:
        self.table = table
        self.pending: dict[Any, tuple[Any, Any]] = {}
        #: Written to the table, not yet acknowledged on its changelog: key -> (value, event).
        self.unconfirmed: dict[Any, tuple[Any, Any]] = {}
        self.in_flight: list[asyncio.Future[Any]] = []
        if hasattr(table, "track_changelog"):  # runtime.faust.tables.TrackedTable
            table.track_changelog(self.sent)

    def sent(self, future: asyncio.Future[Any]) -> None:
        """The table handed a changelog write to the producer: keep it until acknowledged."""
        self.in_flight.append(future)
        if len(self.in_flight) >= self.PRUNE_AT:
            self.in_flight = [f for f in self.in_flight if not _acknowledged(f)]

    def get(self, key: Any, default: Any = None) -> Any:
        if key in self.pending:
            value = self.pending[key][0]
            return default if value is _GONE else value
        return self.table.get(key, default)

    def __setitem__(self, key: Any, value: Any) -> None:
        self.pending[key] = (value, current_event())

    def pop(self, key: Any, default: Any = None) -> Any:
        before = self.get(key, default)
        self.pending[key] = (_GONE, current_event())
        return before

    def items(self) -> Iterator[tuple[Any, Any]]:
        """What is durable (timers and pages read this, never a batch in progress)."""
        return iter(self.table.items())

    def apply(self) -> None:
        """Write the staged changes, each for the event (partition) that made it."""
        pending, self.pending = self.pending, {}
        for key, (value, event) in pending.items():
            with as_current(event):
                if value is _GONE:
                    self.table.pop(key, None)
                else:
                    self.table[key] = value
            self.unconfirmed[key] = (value, event)

    async def confirm(self) -> None:
        """Wait until the broker acknowledged every changelog write made so far.

        If one failed, what was written is staged again (a later stage of the same key wins), so
        the caller's next :meth:`apply` writes it again; then the failure is raised.
        """
        in_flight, self.in_flight = self.in_flight, []
        written, self.unconfirmed = self.unconfirmed, {}
        try:
            await asyncio.gather(*in_flight)
        except Exception:
            self.pending = {**written, **self.pending}
            raise

    def idle(self) -> bool:
        """Nothing staged, nothing waiting for the broker."""
        return not (self.pending or self.unconfirmed or self.in_flight)

    def forget_in_flight(self) -> None:
        """No producer runs (agent test contexts): nothing will ever be acknowledged."""
        self.in_flight.clear()
        self.unconfirmed.clear()

    def discard(self) -> None:
        self.pending.clear()


def _acknowledged(future: asyncio.Future[Any]) -> bool:
    return future.done() and not future.cancelled() and future.exception() is None


class KeptTable(StagedTable, Generic[T]):
    """A staged table whose values this worker keeps parsed between accesses, and whose
    unchanged values are not written again.

    Without it, every input about a dossier read its whole state from the store (on RocksDB, a
    read and a JSON parse) and validated it again. A value written here stays in memory as the
    object it came from once its batch is durable; the next :meth:`take` of the key hands that
    object out instead of parsing the stored value again. A taken object is the caller's to
    change: it leaves the cache, and comes back only through :meth:`put` and a durable batch. A
    batch that is dropped (:meth:`discard`) takes its objects with it; a failed write empties the
    cache; a rebalance (the partitions may have been written by another worker meanwhile)
    empties it too (:meth:`forget`). Only the objects the parsing finds worth it are kept (the
    hub: dossiers still in progress, as little more is read about a finished one), at most
    ``limit``, the least recently written going first: the cache stays about as large as the
    work in progress.

    A :meth:`put` whose stored value is the one its :meth:`take` found (a redelivered event, a
    timer's check that changed nothing) stages no write: the changelog carries changes only.
    """

    def __init__(self, table: Any, parsing: Parsing[T], limit: int = 2048) -> None:
        super().__init__(table)
        self.parsing = parsing
        self.limit = limit
        #: Durable values, parsed: key -> (object, its stored value), in the order written.
        self.kept: dict[Any, tuple[T, Any]] = {}
        #: Objects put in the batch in progress: key -> (object, its staged stored value).
        self.put_objects: dict[Any, tuple[T, Any]] = {}
        #: The durable stored value each key taken in this batch had (to see a put change it).
        self.taken: dict[Any, Any] = {}
        #: Takes that found their object kept, takes that parsed it, and puts that changed nothing.
        self.hits = 0
        self.misses = 0
        self.unchanged = 0

    def take(self, key: Any) -> T | None:
        """The object of ``key`` (``None``: no value), the caller's to change."""
        if (put := self.put_objects.pop(key, None)) is not None:
            return put[0]
        if key not in self.pending and (kept := self.kept.pop(key, None)) is not None:
            self.hits += 1
            self.taken[key] = kept[1]
            return kept[0]
        self.misses += 1
        stored = self.get(key)
        if key not in self.pending:
            self.taken[key] = stored
        return self.parsing.parse(stored)

    def put(self, key: Any, value: T) -> None:
        """Stage ``value`` as the key's new value (stored as the parsing dumps it); nothing is
        staged if that is the durable value its take found."""
        stored = self.parsing.dump(value)
        if key not in self.pending and key in self.taken and self.taken[key] == stored:
            self.unchanged += 1
            if self.parsing.worth(value):  # durable as it is, whatever becomes of the batch
                self.kept[key] = (value, stored)
            return
        self[key] = stored
        self.put_objects[key] = (value, stored)

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        self.put_objects.pop(key, None)  # a stored value set directly: its object is unknown

    def pop(self, key: Any, default: Any = None) -> Any:
        self.put_objects.pop(key, None)
        self.kept.pop(key, None)
        return super().pop(key, default)

    def apply(self) -> None:
        for key in self.pending:
            self.kept.pop(key, None)
        put, self.put_objects, self.taken = self.put_objects, {}, {}
        super().apply()
        self.kept.update((key, kept) for key, kept in put.items() if self.parsing.worth(kept[0]))
        while len(self.kept) > self.limit:
            del self.kept[next(iter(self.kept))]

    async def confirm(self) -> None:
        try:
            await super().confirm()
        except Exception:
            self.kept.clear()  # written again on the next apply, from the stored values
            raise

    def idle(self) -> bool:
        """Also: no key taken in the batch (its apply, even with nothing staged, ends it)."""
        return super().idle() and not self.taken

    def discard(self) -> None:
        self.put_objects.clear()
        self.taken.clear()
        super().discard()

    def forget(self) -> None:
        """Let go of every kept object (the next takes parse the stored values)."""
        self.kept.clear()
        self.taken.clear()


class KeptStatesCollector:
    """Exports, per table whose values a worker keeps parsed, how its reads were answered,
    the writes it left out as unchanged, and how many values it keeps now (read at scrape)."""

    def __init__(self) -> None:
        self.tables: dict[str, KeptTable[Any]] = {}

    def watch(self, name: str, table: KeptTable[Any]) -> None:
        self.tables[name] = table

    def describe(self) -> Iterable[Metric]:
        return self._families({})

    def collect(self) -> Iterable[Metric]:
        return self._families(self.tables)

    @staticmethod
    def _families(tables: Mapping[str, KeptTable[Any]]) -> list[Metric]:
        reads = CounterMetricFamily(
            "lienthong_kept_state_reads",
            "Reads of a table's value: 'kept' found it parsed in memory, 'parsed' read the store",
            labels=["table", "answer"],
        )
        unchanged = CounterMetricFamily(
            "lienthong_unchanged_writes_left_out",
            "Writes of a value equal to the stored one, not sent to the changelog",
            labels=["table"],
        )
        size = GaugeMetricFamily(
            "lienthong_kept_states", "Values kept parsed in memory now", labels=["table"]
        )
        for name, table in sorted(tables.items()):
            reads.add_metric([name, "kept"], table.hits)
            reads.add_metric([name, "parsed"], table.misses)
            unchanged.add_metric([name], table.unchanged)
            size.add_metric([name], len(table.kept))
        return [reads, unchanged, size]
