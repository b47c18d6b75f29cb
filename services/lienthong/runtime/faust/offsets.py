"""Offsets we commit only when every event before them was handled; skipped events are read again.

Faust commits, per partition, the end of the run of offsets its streams acknowledged. Our chaos
test caught that bookkeeping committing past events no handler had seen: across a rebalance or a
broker restart it took a jump in offsets for a "gap" it could skip (meant for compacted or
transactional topics), it accepted a run that began one past the committed offset, it accepted any
run when the committed offset was unknown, and it counted the acknowledgements it gives the events a
stream skips during a rebalance (flow stopped, or fetched in an earlier generation of the group).
Each of those is a dossier lost.

:class:`GuardedConsumer` keeps Faust's consumer and replaces that bookkeeping with one rule: the
committed offset of a partition moves from its floor (the offset committed in the group, or the
start of the log) only over a run of offsets handled in the current generation that begins at the
floor. Our input topics are neither compacted nor transactional, so their offsets have no gaps.
A partition whose offsets jumped, or whose floor stays put while it has work (later offsets
handled, or its end further on), is sought back to its floor: the events are read again, and the
handlers, being idempotent, ignore what they already did.

A partition whose messages were handed to its stream and wait there (a backlog) is busy, not
stuck: it is read again only after several stall periods, and the jump in offsets our own seek
causes (the rest of a batch fetched before it) is not taken for a skip. Under a long overload
the hub once read its partitions again hundreds of times a minute, fetching its backlog again
behind itself.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP
from faust.utils.functional import consecutive_numbers
from mode import Service

from lienthong.runtime import faults
from lienthong.runtime.faust.waiting import WaitingConsumerThread, WaitingProducer

log = logging.getLogger(__name__)

#: How often the stalls are looked for.
CHECK_SECONDS = 2.0
#: A partition whose messages are waiting in its stream is busy, not stalled; it is read again
#: only if its floor stays put this many stall periods (a message skipped under a long backlog).
BUSY_STALLS = 6


class GuardedConsumer(faust_aiokafka.Consumer):
    """Faust's aiokafka consumer with offset bookkeeping that never commits past a skipped event.

    Private parts of faust's ``Consumer`` read or overridden here, checked on faust-streaming
    0.15.3, working around faust issue #606 (commits past messages not handled), shown by
    ``tests/unit/test_offsets.py`` (``test_faust_alone_would_commit_past_the_missing_offset``):
    ``_new_offset`` and ``_add_gap`` (overridden), ``_committed_offset``, ``_acked``,
    ``_acked_index`` and ``_unacked_messages`` (its bookkeeping, read and trimmed),
    ``_read_offset`` (what was fetched), ``_thread`` (the aiokafka client thread, to seek).
    ``_new_consumer_thread`` (overridden) makes that thread one whose start waits for the
    brokers (:class:`~lienthong.runtime.faust.waiting.WaitingConsumerThread`).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._log_start: dict[TP, int] = {}
        self._floor_since: dict[TP, tuple[int | None, float]] = {}
        self._handled: set[tuple[TP, int]] = set()
        self._jumped: set[TP] = set()
        #: The highest offset of each partition its streams acknowledged (handled or skipped).
        self._last_acked: dict[TP, int] = {}
        #: Partitions just sought back, with the floor: messages fetched before the seek still
        #: arrive once, past the floor; that jump is ours, not a skip to read again for.
        self._rewound: dict[TP, int] = {}
        self.rereads = 0

    def _new_consumer_thread(self) -> faust_aiokafka.AIOKafkaConsumerThread:
        return WaitingConsumerThread(self, loop=self.loop, beacon=self.beacon)

    def floor(self, tp: TP) -> int | None:
        """Where the partition's next commit must start: committed offset, else log start."""
        # faust-streaming 0.15.3: ``_committed_offset`` (private) is seeded from the group on
        # assignment and moved by each commit; see the class docstring.
        committed = self._committed_offset[tp]
        return committed if committed is not None else self._log_start.get(tp)

    def of_this_generation(self, message: Any) -> bool:
        """Whether ``message`` was fetched in the group's current generation (no rebalance)."""
        return message.generation_id in (None, self.app.consumer_generation_id)

    async def commit(self, *args: Any, **kwargs: Any) -> bool:
        committed = bool(await super().commit(*args, **kwargs))
        if committed:
            faults.reached("committed")
        return committed

    def mark_handled(self, message: Any) -> None:
        """A handler finished with this message (answered, saved, or dead-lettered)."""
        if self.of_this_generation(message):
            self._handled.add((message.tp, message.offset))

    def ack(self, message: Any) -> bool:
        """Count an acknowledgement only for a message a handler finished in this generation.

        Faust also acknowledges the messages a stream skips during a rebalance (flow stopped,
        or fetched in an earlier generation); those were not handled and must be read again.
        """
        handled = (message.tp, message.offset)
        self._last_acked[message.tp] = max(self._last_acked.get(message.tp, -1), message.offset)
        if handled in self._handled and self.of_this_generation(message):
            self._handled.discard(handled)
            return bool(super().ack(message))
        self._handled.discard(handled)
        if self.app.topics.acks_enabled_for(message.topic):
            message.acked = True
            # faust-streaming 0.15.3: the set faust's ``ack`` would have emptied (private).
            self._unacked_messages.discard(message)
        return False

    async def _add_gap(self, tp: TP, offset_from: int, offset_to: int) -> None:
        """Our input topics have no gaps: a jump in offsets is a skip, not something to commit.

        Overrides faust-streaming 0.15.3's private ``Consumer._add_gap`` (faust issue #606);
        shown by ``test_offsets.py::test_a_jump_in_offsets_is_not_a_gap_to_commit``.

        Except the first jump after we sought the partition back: the rest of a batch fetched
        before the seek. Reading again for it would seek again, under load without end.
        """
        if self._rewound.pop(tp, None) == offset_from - 1:
            return
        log.warning(
            "%s: offsets %d to %d arrived out of turn; they will be read again",
            tp,
            offset_from,
            offset_to,
        )
        self._jumped.add(tp)  # read again at the next check, without waiting for a stall

    def _new_offset(self, tp: TP) -> int | None:
        """The offset to commit: one past the run of handled offsets that starts at the floor.

        Overrides faust-streaming 0.15.3's private ``Consumer._new_offset`` and trims its
        private ``_acked``/``_acked_index`` (faust issue #606); shown by ``test_offsets.py``
        (``test_faust_alone_would_commit_past_the_missing_offset`` and the tests after it).
        """
        acked = self._acked[tp]
        floor = self.floor(tp)
        if not acked or floor is None:
            return None
        acked.sort()
        stale = [offset for offset in acked if offset < floor]
        if stale:
            del acked[: len(stale)]
            self._acked_index[tp].difference_update(stale)
        if not acked or acked[0] != floor:
            return None
        run = next(consecutive_numbers(acked))
        del acked[: len(run)]
        self._acked_index[tp].difference_update(run)
        return int(run[-1]) + 1

    async def perform_seek(self) -> None:
        """After an assignment: also learn where the log starts for never-committed partitions."""
        await super().perform_seek()
        assignment = self.assignment()
        unknown = [tp for tp in assignment if self._committed_offset[tp] is None]
        if unknown:
            starts = await self.earliest_offsets(*unknown)
            self._log_start.update({tp: int(offset) for tp, offset in starts.items()})
        self._floor_since.clear()

    async def on_partitions_revoked(self, revoked: set[TP]) -> None:
        for tp in revoked:
            self._log_start.pop(tp, None)
            self._floor_since.pop(tp, None)
            self._jumped.discard(tp)
            self._last_acked.pop(tp, None)
            self._rewound.pop(tp, None)
        await super().on_partitions_revoked(revoked)

    @Service.task
    async def _reread_skipped_or_stalled(self) -> None:
        """Seek back a partition whose offsets jumped, or whose floor stays put with work."""
        async for _ in self.itertimer(CHECK_SECONDS, name="reread-stalled"):
            if self.app.rebalancing or not self.flow_active:
                self._floor_since.clear()
                continue
            due = self.to_reread(time.monotonic())
            if due:
                await self.reread(due)

    def to_reread(self, now: float) -> dict[TP, int]:
        """The partitions to read again, with their floor: jumped over offsets, or stuck."""
        found: dict[TP, int] = {}
        acking = self.app.topics.acks_enabled_for
        for tp in self.assignment():
            if not acking(tp.topic):  # tables' changelogs are read by recovery, not streams
                continue
            floor = self.floor(tp)
            if tp in self._jumped and floor is not None:
                self._jumped.discard(tp)
                self._floor_since[tp] = (floor, now)
                found[tp] = floor
                continue
            if floor is None or not self._has_work(tp, floor):
                self._floor_since.pop(tp, None)
                continue
            seen, since = self._floor_since.get(tp, (None, now))
            stall: float = self.app.stall_seconds  # type: ignore[attr-defined]
            if self._busy(tp):
                stall *= BUSY_STALLS
            if seen != floor:
                self._floor_since[tp] = (floor, now)
            elif now - since >= stall:
                found[tp] = floor
                self._floor_since[tp] = (floor, now)
        return found

    def _busy(self, tp: TP) -> bool:
        """Messages of ``tp`` were handed to its stream and not yet acknowledged: they wait
        behind others (a backlog), the fetcher is not stuck. Seeking back would only fetch
        them again and add to the backlog."""
        read = self._read_offset.get(tp)  # faust-streaming 0.15.3, private: last fetched
        return read is not None and read > self._last_acked.get(tp, -1)

    def _has_work(self, tp: TP, floor: int) -> bool:
        if any(offset >= floor for offset in self._acked[tp]):
            return True  # later events handled, the one at the floor not
        try:
            end = self.highwater(tp)
        except Exception:  # metadata not known yet
            return False
        return end is not None and end > floor

    async def reread(self, partitions: Mapping[TP, int]) -> None:
        """Read partitions again from their floor."""
        for tp, floor in partitions.items():
            log.warning("%s: reading again from offset %d (skipped or stalled)", tp, floor)
            self.app.on_reread()  # type: ignore[attr-defined]
            self._rewound[tp] = floor
            self._last_acked[tp] = floor - 1
        self.rereads += len(partitions)
        try:
            # faust-streaming 0.15.3, private: its aiokafka thread's seek, which waits until
            # the client moved (the public ``seek`` does not); test_offsets.py's reread tests.
            await self._thread.seek_wait(dict(partitions))
        except Exception as exc:  # the broker is away: the next check tries again
            log.warning("reading again failed: %s", type(exc).__name__)


class GuardedTransport(faust_aiokafka.Transport):
    """The aiokafka transport with :class:`GuardedConsumer` and a producer whose start waits
    for unreachable brokers (:class:`~lienthong.runtime.faust.waiting.WaitingProducer`)."""

    Consumer = GuardedConsumer
    Producer = WaitingProducer
