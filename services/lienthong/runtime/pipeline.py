"""The parts the checkpoint runs: decide, publish, save durably, dead-letter.

The order they run in is ``runtime.checkpoint.Checkpoint``'s alone; each message succeeds or
goes to the dead-letter topic.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import logging
import traceback
from collections.abc import Awaitable, Callable
from typing import Any, cast

import faust

from lienthong.contracts.codec import TOGETHER, AvroCodec, Decoded
from lienthong.contracts.events import Envelope, event_id
from lienthong.domain.calendar import Clock
from lienthong.errors import ContractError, LienthongError, PublishRefused
from lienthong.limits import (
    MAX_HEADERS,
    MAX_KEY_BYTES,
    MAX_MESSAGE_BYTES,
    MAX_OUTPUT_BYTES,
    MAX_REASON_CHARS,
    clip,
)
from lienthong.metrics import Metrics
from lienthong.runtime.boundary import Boundary
from lienthong.runtime.checkpoint import Checkpoint, Input
from lienthong.runtime.refusals import describe, permanent_cause
from lienthong.runtime.staged import KeptTable, Parsing, StagedTable, T
from lienthong.runtime.types import Decided, Forward, Handler, Received

log = logging.getLogger(__name__)

#: Delay between attempts when the broker refuses a publish; the message is never dropped.
SEND_RETRY_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0)
#: At most this much of a dead message's value is kept in its dead letter (the rest stays on
#: its topic, at the offset the dead letter names): a dead letter must itself fit the broker.
DEAD_VALUE_BYTES = MAX_MESSAGE_BYTES


class Joined:
    """One message joining the events of several inputs about one dossier (``outgoing``)."""

    #: An upper bound of what a ``DossierEvents`` adds around its events: the single-object
    #: header (10 bytes), the key's and the array's lengths (5 each at most), the array's end.
    OVERHEAD = 10 + 5 + 5 + 1

    def __init__(self, place: int, key: bytes, items: list[bytes]) -> None:
        self.place = place
        self.items = list(items)
        self.inputs = 1
        self.bound = self.OVERHEAD + len(key) + self.size(items)

    @staticmethod
    def size(items: list[bytes]) -> int:
        """The events' encoded size at most: each with its length (5 bytes at most)."""
        return sum(5 + len(item) for item in items)

    def fits(self, items: list[bytes], limit: int) -> bool:
        return self.bound + self.size(items) <= limit

    def join(self, items: list[bytes]) -> None:
        self.items.extend(items)
        self.inputs += 1
        self.bound += self.size(items)


class Pipeline:
    """Runs one handler over a stream: boundary, decisions, dead letters, group commit."""

    def __init__(
        self,
        deployable: str,
        codec: AvroCodec,
        topics: dict[str, faust.TopicT],
        deadletter: faust.TopicT,
        metrics: Metrics,
        clock: Clock,
        boundary: Boundary | None = None,
    ) -> None:
        self.deployable = deployable
        self.codec = codec
        self.topics = topics
        self.deadletter = deadletter
        self.metrics = metrics
        self.clock = clock
        #: The contract of what this deployable reads (none: every decodable event is taken).
        self.boundary = boundary
        #: The largest encoded output published; larger ones dead-letter their cause.
        self.max_output_bytes = MAX_OUTPUT_BYTES
        #: Told of each message handled; the consumer commits only those (runtime.faust.offsets).
        self.on_handled: Callable[[Any], None] = lambda message: None
        #: Whether this worker still owns a message's partition (no rebalance since it was read).
        self.owns: Callable[[Any], bool] = lambda message: True
        #: Whether a producer runs (not in agent test contexts): then saved state is confirmed.
        self.producing: Callable[[], bool] = lambda: False
        #: The deployable's tables, as the handlers see them (writes wait for the checkpoint).
        self.staged: list[StagedTable] = []
        #: Group commit: at most this many messages a batch, waiting at most this long for them.
        self.batch_messages = 1
        self.batch_seconds = 0.01
        #: Topics (by role) on which the outputs of one input about one dossier go as one
        #: ``DossierEvents`` message (the hub's status events): one message, not one per event.
        self.together: frozenset[str] = frozenset()
        #: One batch at a time over the staged tables, whichever agent reads it: a batch that
        #: is dropped (a rebalance) or made durable must never take another's staged writes.
        self.turn = asyncio.Lock()

    def stateless(self) -> Pipeline:
        """A pipeline for an agent that keeps no state (a re-keying step): same topics,
        contract and metrics, no staged tables, so its batches never wait for the stateful
        agent's, nor touch what that agent staged."""
        twin = copy.copy(self)
        twin.staged = []
        twin.turn = asyncio.Lock()
        return twin

    def stage(self, table: Any) -> StagedTable:
        """The view of ``table`` that handlers read and write (see runtime.checkpoint)."""
        view = StagedTable(table)
        self.staged.append(view)
        return view

    def keep(self, table: Any, parsing: Parsing[T]) -> KeptTable[T]:
        """The view of ``table`` that keeps its values parsed (see runtime.staged.KeptTable)."""
        view = KeptTable(table, parsing)
        self.staged.append(view)
        return view

    async def run(self, stream: faust.StreamT[Any], handler: Handler) -> None:
        """Consume forever, each batch through the checkpoint; one bad message never stops the
        partition. One message at a time (``batch_messages`` 1) is a batch of one."""
        if self.batch_messages <= 1:
            async for event in stream.events():
                await self.checkpoint([event], handler)
            return
        batches = cast(Any, stream).take_events(self.batch_messages, within=self.batch_seconds)
        async for events in batches:
            await self.checkpoint(list(events), handler)

    async def checkpoint(self, events: list[Any], handler: Handler) -> None:
        """One batch of stream events through the checkpoint, alone over the staged tables."""
        async with self.turn:
            await Checkpoint(self, handler).run(events)

    async def process(self, received: Received, handler: Handler) -> None:
        """One message no stream read, as a batch of one through the checkpoint."""
        async with self.turn:
            await Checkpoint(self, handler).deliver([Input(received)])

    async def decide(self, received: Received, handler: Handler) -> Decided | None:
        """Admit, decide and encode one message (staging its state); None if dead-lettered."""
        try:
            received, decoded = self.admit(received)
        except ContractError as exc:
            await self.dead_letter(received, exc)
            return None
        try:
            outcome = await handler(decoded, received)
            encoded, parts = self.encoded(outcome.outputs)
            outcome.save()
        except LienthongError as exc:
            await self.dead_letter(received, exc)
            return None
        except Exception as exc:  # a handler bug must not stop the partition
            where = traceback.extract_tb(exc.__traceback__)[-1]
            log.error(
                "%s: handler failed on %s with %s at %s:%d",
                received,
                decoded.name,
                type(exc).__name__,
                where.filename,
                where.lineno,
            )
            await self.dead_letter(received, exc)
            return None
        return Decided(received, outcome, encoded, decoded.name, parts)

    def admit(self, received: Received) -> tuple[Received, Decoded]:
        """Check a message against the boundary and decode it; raise ContractError if refused."""
        if self.boundary is None:
            return received, self.codec.decode(received.value or b"")
        received = self.boundary.unwrap(received)
        self.boundary.check_size(received)
        decoded = self.codec.decode(received.value or b"")
        self.boundary.check(received.topic, decoded)
        return received, decoded

    def encoded(
        self, outputs: list[Envelope]
    ) -> tuple[list[tuple[str, bytes, bytes]], dict[tuple[str, bytes], list[bytes]]]:
        """Each output of one input encoded, in order; those to a ``together`` topic about one
        dossier go as one message, where the first of them was (they must fit one message).
        Also the events of each ``together`` message, by topic role and key (``outgoing``)."""
        encoded = [(env.topic, env.key.encode(), self.encode(env)) for env in outputs]
        groups: dict[tuple[str, bytes], list[bytes]] = {}
        for topic, key, data in encoded:
            if topic in self.together:
                groups.setdefault((topic, key), []).append(data)
        if all(len(items) < 2 for items in groups.values()):
            return encoded, groups
        merged: list[tuple[str, bytes, bytes]] = []
        for topic, key, data in encoded:
            items = groups.get((topic, key), [])
            if len(items) < 2:
                merged.append((topic, key, data))
            elif data is items[0]:  # the first of them: the whole group goes here
                together = self.codec.together(key.decode(), items)
                merged.append((topic, key, self.check_size(together, TOGETHER)))
        return merged, groups

    def outgoing(self, decided: list[Decided]) -> list[tuple[str, bytes, bytes]]:
        """A batch's messages as produced: each input's in order, except that the events of
        several inputs to a ``together`` topic about one dossier go as one message, where the
        first input's was. A message that would outgrow the output size limit is closed and
        the next input's events begin another, so one input's events are never split."""
        if not self.together or len(decided) < 2:
            return [message for one in decided for message in one.encoded]
        out: list[tuple[str, bytes, bytes]] = []
        joined: list[Joined] = []
        joining: dict[tuple[str, bytes], Joined] = {}
        for one in decided:
            for topic, key, data in one.encoded:
                items = one.parts.get((topic, key))
                if items is None:
                    out.append((topic, key, data))
                    continue
                open_one = joining.get((topic, key))
                if open_one is not None and open_one.fits(items, self.max_output_bytes):
                    open_one.join(items)
                    continue
                joining[(topic, key)] = Joined(len(out), key, items)
                joined.append(joining[(topic, key)])
                out.append((topic, key, data))
        for one_message in joined:
            if one_message.inputs > 1:
                topic, key, _ = out[one_message.place]
                together = self.codec.together(key.decode(), one_message.items)
                out[one_message.place] = (topic, key, self.check_size(together, TOGETHER))
        return out

    def encode(self, envelope: Envelope) -> bytes:
        return self.check_size(self.codec.encode(envelope.schema, envelope.record), envelope.schema)

    def check_size(self, data: bytes, schema: str) -> bytes:
        if len(data) > self.max_output_bytes:
            raise PublishRefused(
                f"its {schema} would be {len(data):,} bytes, more than the "
                f"{self.max_output_bytes:,} bytes any output may have"
            )
        return data

    async def make_saved_durable(self, received: Received | None = None) -> None:
        """Write the staged state; wait until the broker acknowledged every changelog write.

        The tables are made durable one after another, in the order they were staged, each
        before the next is written: a later table's write is never durable without the
        earlier's (an agency's register entry without the counter it advanced would let the
        number go out again). A write that failed is written again (the broker restarting);
        the message is marked handled, and its offset committed, only after this returns.
        """
        for view in self.staged:
            if not view.idle():
                await self.write_durably(view, received)

    async def write_durably(self, view: StagedTable, received: Received | None) -> None:
        """Apply one table's staged writes and wait for their acknowledgement, retrying."""
        for attempt, delay in enumerate((*SEND_RETRY_SECONDS, None)):
            try:
                view.apply()
                if not self.producing():  # agent test contexts: nothing is ever acknowledged
                    view.forget_in_flight()
                    return
                await view.confirm()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if delay is None:
                    raise
                log.warning(
                    "%s: saving state failed (attempt %d): %s",
                    received or "batch",
                    attempt + 1,
                    describe(exc),
                )
                await asyncio.sleep(delay)

    def discard_staged(self) -> None:
        for view in self.staged:
            view.discard()

    async def send(self, topic: str, key: bytes, value: bytes) -> Awaitable[Any]:
        """Hand one output to the producer; the returned future is its acknowledgement."""
        return cast(Awaitable[Any], await self.topics[topic].send(key=key, value=value, force=True))

    async def send_forward(self, forward: Forward) -> Awaitable[Any]:
        sent = await self.topics[forward.topic].send(
            key=forward.key,
            value=forward.value,
            partition=forward.partition,
            headers=forward.headers,
            force=True,
        )
        return cast(Awaitable[Any], sent)

    async def publish(
        self,
        topic: faust.TopicT,
        key: bytes,
        value: bytes,
        *,
        partition: int | None = None,
        headers: dict[str, bytes] | None = None,
    ) -> None:
        """Publish and wait for the broker's acknowledgement, retrying what is transient.

        A broker that is down (restarting, failing over) holds the partition here until it is
        back: nothing is skipped, and a SIGTERM still stops the worker (the task is cancelled
        and the message is redelivered). A refusal no retry can change (too large, not
        authorised) raises PublishRefused: the message that caused it becomes a dead letter.
        """
        attempt = 0
        name = topic.get_topic_name()
        while True:
            try:
                fut = await topic.send(
                    key=key, value=value, partition=partition, headers=headers, force=True
                )
                await fut
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                refusal = permanent_cause(exc)
                if refusal is not None:
                    log.error("publish to %s refused for good: %s", name, describe(refusal))
                    raise PublishRefused(
                        f"the broker refused its output to {name}: {describe(refusal)}"
                    ) from exc
                delay = SEND_RETRY_SECONDS[min(attempt, len(SEND_RETRY_SECONDS) - 1)]
                attempt += 1
                log.warning(
                    "publish to %s failed (attempt %d, next in %.1f s): %s",
                    name,
                    attempt,
                    delay,
                    describe(exc),
                )
                await asyncio.sleep(delay)

    async def dead_letter(self, received: Received, error: BaseException) -> None:
        """Send the message, its coordinates and a bounded reason to the dead-letter topic."""
        kind = type(error).__name__
        reason = clip(str(error) or kind, MAX_REASON_CHARS)
        value = received.value
        if value is not None and len(value) > DEAD_VALUE_BYTES:
            reason = clip(
                f"{reason} (value cut to its first {DEAD_VALUE_BYTES:,} of {len(value):,} bytes: "
                f"the whole message stays at {received.coordinates})",
                MAX_REASON_CHARS * 2,
            )
            value = value[:DEAD_VALUE_BYTES]
        # The reason may quote field values (personal data): it goes to the dead letter, whose
        # topic is access-controlled, and never to the log.
        log.warning("%s: dead-lettered (%s)", received, kind)
        record = {
            "event_id": event_id("DeadLetter", received.topic, received.partition, received.offset),
            "topic": received.topic,
            "partition": received.partition,
            "offset": received.offset,
            "key": received.key[:MAX_KEY_BYTES] if received.key else received.key,
            "value": value,
            "headers": dict(list(received.headers.items())[:MAX_HEADERS]),
            "deployable": self.deployable,
            "error_kind": kind,
            "reason": reason,
            "failed_at": self.clock.now().astimezone(dt.UTC),
        }
        data = self.codec.encode("DeadLetter", record)
        try:
            await self.publish(self.deadletter, (received.key or b"")[:MAX_KEY_BYTES], data)
        except PublishRefused:
            # Not even its dead letter fits: the partition still moves on; the log and the
            # counter say where the message stays.
            log.error("%s: its dead letter was refused too; it stays on its topic", received)
            self.metrics.processing_failed(self.deployable, "DeadLetterRefused")
            return
        self.metrics.dead_letter(received.topic, kind)
        self.metrics.processing_failed(self.deployable, kind)
