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
   (``runtime.faust.offsets``) commits offsets over handled runs only.

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
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from lienthong.metrics import Metrics
from lienthong.runtime.faust.events import as_current
from lienthong.runtime.types import Decided, Forward, Handler, Received, received_from

log = logging.getLogger(__name__)


class Stages(Protocol):
    """What a checkpoint asks of the pipeline it runs for (``runtime.pipeline.Pipeline``)."""

    deployable: str
    metrics: Metrics
    on_handled: Callable[[Any], None]
    owns: Callable[[Any], bool]

    async def decide(self, received: Received, handler: Handler) -> Decided | None: ...
    async def process(self, received: Received, handler: Handler) -> None: ...
    async def make_saved_durable(self) -> None: ...
    def discard_staged(self) -> None: ...
    async def send(self, topic: str, key: bytes, value: bytes) -> Awaitable[Any]: ...
    async def send_forward(self, forward: Forward) -> Awaitable[Any]: ...


class Checkpoint:
    """One batch of events through the three steps above."""

    def __init__(self, pipeline: Stages, handler: Handler) -> None:
        self.pipeline = pipeline
        self.handler = handler

    async def run(self, events: list[Any]) -> None:
        decided: list[Decided] = []
        for event in events:
            with as_current(event):
                one = await self.pipeline.decide(received_from(event.message), self.handler)
            if one is not None:
                decided.append(one)
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
                    await self.pipeline.process(received_from(event.message), self.handler)
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
        if not save_first:
            self.still_owned(events)
            await self.pipeline.make_saved_durable()
        for one in decided:
            self.pipeline.metrics.event_processed(self.pipeline.deployable, one.name)


class Revoked(Exception):
    """The batch's partitions were revoked (a rebalance) before it was made durable."""
