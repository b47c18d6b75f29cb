"""Group commit: a batch of messages handled in order, made durable once, then committed.

The order of "handled, saved, published, committed" lives here; how one table's writes are made
durable (acknowledged, retried, one table after another) is ``Pipeline.make_saved_durable``.

1. **Handled.** Each message of the batch is admitted (the boundary), decided and encoded in
   turn. Its state change is *staged* in the deployable's :class:`StagedTable` views: the later
   messages of the batch read it, nothing reaches a table yet. A message that fails is
   dead-lettered on its own and stages nothing.
2. **Saved and published**, in the order the deployable's promise needs:

   - the hub publishes first: every output of the batch is sent without waiting for each, then
     all acknowledgements are awaited, then the staged state is written and each of its
     changelog writes acknowledged. A crash before that makes the hub decide again from the old
     state: the same events, with the same ids.
   - the agencies save first: the staged state is written and each changelog write acknowledged
     by the broker, then the outputs are sent and awaited. A crash before the outputs makes
     the agency find its saved decision and announce it again; a number is never announced
     before it is durable, so it is never given twice.
3. **Committed.** Only then is each message of the batch marked handled; the guarded consumer
   (``runtime.offsets``) commits offsets over handled runs only.

One batch at a time: the staged tables belong to the pipeline, so its batches take turns
(``Pipeline.turn``), whichever agent reads them; an agent that keeps no state runs on a stateless
twin (``Pipeline.stateless``) and never waits. Without the turn, a batch dropped by one agent
discarded what another had staged and was still saving: a number announced, its register entry
never written.

A rebalance may take the batch's partitions while it is decided (streams do not wait for it).
Before each step that writes or announces, the batch checks it still owns them; if not, it
drops what it staged and stops: the new owner reads the messages again, and this worker does
not race it with late writes of stale state.

If anything fails in step 2 (a broker refusal, a timeout), the staged state is dropped and the
batch is handled again one message at a time by the pipeline's careful path, which retries what
is transient and dead-letters what is refused for good, message by message. Outputs already
sent are sent again with the same event ids, which every reader ignores the second time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from faust.streams import current_event

from lienthong.runtime import faults
from lienthong.runtime.offsets import as_current

if TYPE_CHECKING:
    from lienthong.runtime.pipeline import Handler, Outcome, Pipeline, Received

log = logging.getLogger(__name__)

#: A key removed in the batch (``pop``), distinct from a key set to ``None``.
_GONE = object()


class StagedTable:
    """A Faust table whose writes wait for the checkpoint; reads see them at once.

    It also keeps each changelog write it makes until the broker has acknowledged it
    (:meth:`confirm`). Faust's own producer flush is not enough for that: a table write waits in
    Faust's producer buffer, and the flush returns while a write is still being handed to the
    client (the buffer looks empty), or after 0.1 s of waiting. A counter whose write was lost
    that way, after its number was announced and its offset committed, gives the number again.
    """

    #: Acknowledged writes are forgotten when this many accumulate (timers write outside a batch).
    PRUNE_AT = 1024

    def __init__(self, table: Any) -> None:
        self.table = table
        self.pending: dict[Any, tuple[Any, Any]] = {}
        #: Written to the table, not yet acknowledged on its changelog: key -> (value, event).
        self.unconfirmed: dict[Any, tuple[Any, Any]] = {}
        self.in_flight: list[asyncio.Future[Any]] = []
        send = getattr(table, "send_changelog", None)
        if send is not None:

            def send_tracked(*args: Any, **kwargs: Any) -> Any:
                sent = send(*args, **kwargs)
                if isinstance(sent, asyncio.Future):
                    self.in_flight.append(sent)
                    if len(self.in_flight) >= self.PRUNE_AT:
                        self.in_flight = [f for f in self.in_flight if not _acknowledged(f)]
                return sent

            table.send_changelog = send_tracked

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


@dataclass
class Decided:
    """One message of the batch after step 1: what to publish and whether to save first."""

    received: Received
    outcome: Outcome
    #: The outputs as (topic role, key, encoded value).
    encoded: list[tuple[str, bytes, bytes]]
    #: The event type decided on (for the metrics).
    name: str


class Checkpoint:
    """One batch of events through the three steps above."""

    def __init__(self, pipeline: Pipeline, handler: Handler) -> None:
        self.pipeline = pipeline
        self.handler = handler

    async def run(self, events: list[Any]) -> None:
        decided: list[Decided] = []
        for event in events:
            with as_current(event):
                one = await self.pipeline.decide(self.pipeline.received(event), self.handler)
            if one is not None:
                decided.append(one)
        faults.reached("decided", keeps_state=bool(self.pipeline.staged))
        try:
            await self.make_durable(decided, events)
        except Revoked:
            # A rebalance took the partitions while the batch was decided: the new owner reads
            # these messages again; this worker writes and announces nothing more of them.
            self.pipeline.discard_staged()
            log.info("batch of %d left to the partitions' new owner (rebalance)", len(events))
            return
        except asyncio.CancelledError:
            self.pipeline.discard_staged()
            raise
        except Exception as exc:
            self.pipeline.discard_staged()
            log.warning(
                "batch of %d failed to publish (%s): handled again one by one",
                len(events),
                type(exc).__name__,
            )
            for event in events:
                if not self.pipeline.owns(event.message):
                    return
                with as_current(event):
                    await self.pipeline.process(self.pipeline.received(event), self.handler)
        for event in events:
            self.pipeline.on_handled(event.message)

    def still_owned(self, events: list[Any]) -> None:
        """Raise Revoked if a rebalance began since the batch was read."""
        if not all(self.pipeline.owns(event.message) for event in events):
            raise Revoked()

    async def make_durable(self, decided: list[Decided], events: list[Any]) -> None:
        save_first = any(d.outcome.save_first for d in decided)
        self.still_owned(events)
        if save_first:
            await self.pipeline.make_saved_durable()
            faults.reached("saved", keeps_state=bool(self.pipeline.staged))
            self.still_owned(events)
        pending = []
        for one in decided:
            for forward in one.outcome.forwards:
                pending.append(await self.pipeline.send_forward(forward))
            for topic, key, data in one.encoded:
                pending.append(await self.pipeline.send(topic, key, data))
        results = await asyncio.gather(*pending, return_exceptions=True)
        failed = [r for r in results if isinstance(r, BaseException)]
        if failed:
            raise failed[0]
        faults.reached("published", keeps_state=bool(self.pipeline.staged))
        if not save_first:
            self.still_owned(events)
            await self.pipeline.make_saved_durable()
            faults.reached("saved", keeps_state=bool(self.pipeline.staged))
        for one in decided:
            self.pipeline.metrics.event_processed(self.pipeline.deployable, one.name)


class Revoked(Exception):
    """The batch's partitions were revoked (a rebalance) before it was made durable."""
