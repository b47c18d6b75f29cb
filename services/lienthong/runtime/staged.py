"""Table views whose writes wait for the checkpoint, and are awaited until acknowledged."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

from lienthong.runtime.faust.events import as_current, current_event

#: A key removed in the batch (``pop``), distinct from a key set to ``None``.
_GONE = object()


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
