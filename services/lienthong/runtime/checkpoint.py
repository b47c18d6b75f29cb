"""The delivery order, written once: the :class:`Checkpoint` every input goes through."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import faust

from lienthong.errors import PublishRefused
from lienthong.metrics import Metrics
from lienthong.runtime import faults
from lienthong.runtime.faust.events import as_current
from lienthong.runtime.refusals import describe, permanent_cause
from lienthong.runtime.staged import StagedTable
from lienthong.runtime.types import Decided, Forward, Handler, Received, received_from

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Input:
    """One input of a checkpoint: a message, and the stream event it was read as (if any)."""

    received: Received
    #: faust's event; None for an input no stream read (nothing to own, nothing to commit).
    event: Any = None

    @classmethod
    def read(cls, event: Any) -> Input:
        return cls(received_from(event.message), event)


class Stages(Protocol):
    """What a checkpoint asks of the pipeline it runs for (``runtime.pipeline.Pipeline``)."""

    deployable: str
    metrics: Metrics
    topics: dict[str, faust.TopicT]
    on_handled: Callable[[Any], None]
    owns: Callable[[Any], bool]
    #: The tables whose writes a batch stages (empty: a stateless twin, which keeps none).
    staged: list[StagedTable]

    async def decide(self, received: Received, handler: Handler) -> Decided | None: ...
    async def make_saved_durable(self, received: Received | None = None) -> None: ...
    def discard_staged(self) -> None: ...
    def outgoing(self, decided: list[Decided]) -> list[tuple[str, bytes, bytes]]: ...
    async def send(self, topic: str, key: bytes, value: bytes) -> Awaitable[Any]: ...
    async def send_forward(self, forward: Forward) -> Awaitable[Any]: ...
    async def publish(
        self,
        topic: faust.TopicT,
        key: bytes,
        value: bytes,
        *,
        partition: int | None = None,
        headers: dict[str, bytes] | None = None,
    ) -> None: ...
    async def dead_letter(self, received: Received, error: BaseException) -> None: ...


class Checkpoint:
    """A batch of inputs through the delivery order; no other module repeats it.

    1. **Handled.** Each input is admitted (the boundary), decided and encoded in turn. Its state
       change is *staged* in the pipeline's ``StagedTable`` views: the later inputs of the batch
       read it, nothing reaches a table yet. Why: one write per key and batch, and a batch
       dropped later leaves the tables as they were. An input that fails is dead-lettered on
       its own and stages nothing.
    2. **Still owned.** Before each step that writes or announces, the batch checks it still
       owns its partitions. Why: a rebalance may take them while the batch is decided (streams
       do not wait); the new owner reads the inputs again, and this worker must not race it with
       late writes of stale state. If not owned, the staged state is dropped and nothing more
       is done.
    3. **Saved first** (the agencies: an outcome with ``save_first``). The staged state is
       written, table after table in the order staged, each changelog write acknowledged by the
       broker before the next table (``Pipeline.make_saved_durable``). Why: a crash before the
       outputs makes the agency find its saved decision and announce it again; a number is
       never announced before it is durable, so it is never given twice, and a register entry
       is never durable without the counter its number came from.
    4. **Produced.** Every output and forward of the batch is handed to the producer without
       awaiting each, then all acknowledgements are awaited together. Why: one round trip for
       the batch, not one per message. On a ``together`` topic (the hub's status events),
       the events of the batch's inputs about one dossier go as one message
       (``Pipeline.outgoing``). The producer lingers a few milliseconds
       (``producer_linger_ms``) so that what a step hands over goes in few requests. A batch
       of one (the careful mode) does the same; if that fails, it sends each output again, one at
       a time, awaiting each and retrying what is transient (``Pipeline.publish``): a refusal
       for good is then pinned to its input, which is dead-lettered.
    5. **Saved after** (the hub: no ``save_first``). As step 3, after the outputs. Why: a crash
       before it makes the hub decide again from the old state: the same events, with the same
       ids, which every reader ignores the second time.
    6. **Committed.** Only then is each input marked handled; the guarded consumer
       (``runtime.faust.offsets``) commits offsets over handled runs only. Why: an offset
       committed before its outputs and state are durable is a message lost at a crash.

    Timers and web actions (the hub's legal clock, an agency's retry of what waits on an outside
    system, a citizen's withdrawal, supplement or satisfaction answer, an official's command on
    the desk: ``DeskAction`` on the agency's handoff topic) change no state and
    announce nothing themselves: each publishes one command (``DeadlineCheck``, the retry event,
    the intake event) to an input topic of its deployable, acknowledged before the timer moves on
    or the page answers, and the command goes through these steps as any input. A crash before
    the acknowledgement loses only the command: the next tick asks again (the decision is made
    from the saved state, so a check asked twice changes nothing), and the citizen's page never
    said "done", so the citizen sends it again. After it, the command is an input like any other.

    If step 3, 4 or 5 fails in a batch of several (a broker refusal, a timeout), the staged
    state is dropped and each input goes again through the checkpoint as a batch of one, from
    the saved state: outputs already sent are sent again with the same event ids. A batch
    dropped or made durable never takes another's staged writes: the pipeline's batches take
    turns (``Pipeline.turn``), whichever agent reads them.
    """

    def __init__(self, pipeline: Stages, handler: Handler) -> None:
        self.pipeline = pipeline
        self.handler = handler

    async def run(self, events: list[Any]) -> None:
        """A batch of events a stream read."""
        await self.deliver([Input.read(event) for event in events])

    async def deliver(self, inputs: list[Input]) -> None:
        """The steps above for ``inputs``; each input ends handled, dead-lettered or left."""
        if await self.settle(inputs):
            self.committed(inputs)  # step 6

    async def settle(self, inputs: list[Input]) -> bool:
        """Steps 1 to 5; False if the inputs were left to their partitions' new owner."""
        decided = await self.handle(inputs)  # step 1
        faults.reached("decided", keeps_state=bool(self.pipeline.staged))
        if not decided:  # each input dead-lettered (and its letter acknowledged)
            return True
        careful = len(inputs) == 1
        try:
            await self.make_durable(decided, inputs, careful)  # steps 2 to 5
        except Revoked:
            self.pipeline.discard_staged()
            log.info("batch of %d left to the partitions' new owner (rebalance)", len(inputs))
            return False
        except asyncio.CancelledError:
            self.pipeline.discard_staged()
            raise
        except Exception as exc:
            self.pipeline.discard_staged()
            if careful and isinstance(exc, PublishRefused):  # the refusal is this input's
                await self.pipeline.dead_letter(decided[0].received, exc)
            elif careful:
                raise
            else:
                log.warning(
                    "batch of %d failed to publish (%s): handled again one by one",
                    len(inputs),
                    type(exc).__name__,
                )
                return await self.one_by_one(inputs)
        return True

    async def handle(self, inputs: list[Input]) -> list[Decided]:
        """Step 1: decide each input in turn, staging its state."""
        decided: list[Decided] = []
        for one in inputs:
            with as_current(one.event):
                made = await self.pipeline.decide(one.received, self.handler)
            if made is not None:
                decided.append(made)
        return decided

    async def make_durable(
        self, decided: list[Decided], inputs: list[Input], careful: bool
    ) -> None:
        """Steps 2 to 5."""
        save_first = any(d.outcome.save_first for d in decided)
        self.still_owned(inputs)
        which = inputs[0].received if careful else None  # for the logs
        if save_first:
            await self.pipeline.make_saved_durable(which)
            faults.reached("saved", keeps_state=bool(self.pipeline.staged))
            self.still_owned(inputs)
        await (self.produce_carefully(decided) if careful else self.produce(decided))
        faults.reached("published", keeps_state=bool(self.pipeline.staged))
        if not save_first:
            self.still_owned(inputs)
            await self.pipeline.make_saved_durable(which)
            faults.reached("saved", keeps_state=bool(self.pipeline.staged))
        for one in decided:
            self.pipeline.metrics.event_processed(self.pipeline.deployable, one.name)

    def still_owned(self, inputs: list[Input]) -> None:
        """Step 2: raise Revoked if a rebalance began since the inputs were read."""
        for one in inputs:
            if one.event is not None and not self.pipeline.owns(one.event.message):
                raise Revoked()

    async def produce(self, decided: list[Decided]) -> None:
        """Step 4: every output handed to the producer, then all acknowledgements awaited;
        :class:`Unsent` names the topic of the first output that failed."""
        pending: list[tuple[str, Awaitable[Any]]] = []
        for one in decided:
            for forward in one.outcome.forwards:
                pending.append((forward.topic, await self.handed(forward.topic, forward)))
        for topic, key, data in self.pipeline.outgoing(decided):
            pending.append((topic, await self.handed(topic, (key, data))))
        results = await asyncio.gather(*(ack for _, ack in pending), return_exceptions=True)
        for (topic, _), result in zip(pending, results, strict=True):
            if isinstance(result, BaseException):
                raise Unsent(topic, result) from result

    async def handed(self, topic: str, output: Forward | tuple[bytes, bytes]) -> Awaitable[Any]:
        """One output handed to the producer; its acknowledgement (a refusal raises Unsent)."""
        try:
            if isinstance(output, Forward):
                return await self.pipeline.send_forward(output)
            return await self.pipeline.send(topic, *output)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            raise Unsent(topic, exc) from exc

    async def produce_carefully(self, decided: list[Decided]) -> None:
        """Step 4 for a batch of one: every output handed over at once, as a batch's; if any
        fails, each output again, one at a time, each awaited and what is transient retried
        (outputs already acknowledged go again with the same event ids)."""
        try:
            await self.produce(decided)
            return
        except Unsent as exc:
            name = self.pipeline.topics[exc.topic].get_topic_name()
            refusal = permanent_cause(exc.cause)
            if refusal is not None:  # no retry can change it: the input is dead-lettered
                log.error("publish to %s refused for good: %s", name, describe(refusal))
                raise PublishRefused(
                    f"the broker refused its output to {name}: {describe(refusal)}"
                ) from exc
            log.info("an output to %s failed (%s): sent one by one", name, describe(exc.cause))
        topics = self.pipeline.topics
        for one in decided:
            for fwd in one.outcome.forwards:
                await self.pipeline.publish(
                    topics[fwd.topic],
                    fwd.key,
                    fwd.value,
                    partition=fwd.partition,
                    headers=fwd.headers,
                )
            for topic, key, data in one.encoded:
                await self.pipeline.publish(topics[topic], key, data)

    async def one_by_one(self, inputs: list[Input]) -> bool:
        """A failed batch: each input again as a batch of one, while its partition is owned."""
        for one in inputs:
            if one.event is not None and not self.pipeline.owns(one.event.message):
                return False
            if not await self.settle([one]):
                return False
        return True

    def committed(self, inputs: list[Input]) -> None:
        """Step 6: each input read from a stream is marked handled, so it may be committed."""
        for one in inputs:
            if one.event is not None:
                self.pipeline.on_handled(one.event.message)


class Unsent(Exception):
    """An output the producer refused or did not acknowledge: its topic (role), and why."""

    def __init__(self, topic: str, cause: BaseException) -> None:
        super().__init__(f"{topic}: {describe(cause)}")
        self.topic = topic
        self.cause = cause


class Revoked(Exception):
    """The batch's partitions were revoked (a rebalance) before it was made durable."""
