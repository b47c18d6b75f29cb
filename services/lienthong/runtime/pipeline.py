"""Decode, decide, publish, save: each message succeeds or goes to the dead-letter topic."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import faust

from lienthong.calendar import Clock
from lienthong.contracts.codec import AvroCodec, Decoded
from lienthong.contracts.events import Envelope, event_id
from lienthong.errors import ContractError, LienthongError
from lienthong.metrics import Metrics

log = logging.getLogger(__name__)

#: Delay between attempts when the broker refuses a publish; the message is never dropped.
SEND_RETRY_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0)


@dataclass
class Outcome:
    """What a handler decided: events to publish, and how to save the new state.

    By default the events go out first, then the state is saved: a crash between the two makes
    the handler see the event again as new and decide the same again (the hub, whose answers
    derive from the event alone). With ``save_first`` the state is saved and written to the
    broker before any event goes out: a crash between the two makes the handler find its saved
    decision and publish it again, never decide anew (the agencies, whose numbers come from
    counters: a number once announced is never given again, nor to another child).
    """

    outputs: list[Envelope] = field(default_factory=list)
    save: Callable[[], None] = lambda: None
    save_first: bool = False


Handler = Callable[[Decoded, "Received"], Awaitable[Outcome]]


@dataclass(frozen=True)
class Received:
    """Where a message came from, for logs and dead letters."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: dict[str, bytes]

    def __str__(self) -> str:
        return f"{self.topic}[{self.partition}]@{self.offset}"


class Pipeline:
    """Runs one handler over a stream with decoding, dead-lettering, ordered publishing."""

    def __init__(
        self,
        deployable: str,
        codec: AvroCodec,
        topics: dict[str, faust.TopicT],
        deadletter: faust.TopicT,
        metrics: Metrics,
        clock: Clock,
    ) -> None:
        self.deployable = deployable
        self.codec = codec
        self.topics = topics
        self.deadletter = deadletter
        self.metrics = metrics
        self.clock = clock
        #: Told of each message handled; the consumer commits only those (runtime.offsets).
        self.on_handled: Callable[[Any], None] = lambda message: None
        #: Waits until the saved state (the tables' changelog writes) is on the broker.
        self.flush: Callable[[], Awaitable[None]] = _nothing_to_flush

    async def run(self, stream: faust.StreamT[Any], handler: Handler) -> None:
        """Consume forever; one bad message never stops the partition."""
        async for event in stream.events():
            await self.process(received_from(event.message), handler)
            self.on_handled(event.message)

    async def process(self, received: Received, handler: Handler) -> None:
        try:
            decoded = self.codec.decode(received.value or b"")
        except ContractError as exc:
            await self.dead_letter(received, exc)
            return
        try:
            outcome = await handler(decoded, received)
            encoded = [(env, self.codec.encode(env.schema, env.record)) for env in outcome.outputs]
        except LienthongError as exc:
            await self.dead_letter(received, exc)
            return
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
            return
        if outcome.save_first:
            await self.save(received, outcome)
            await self.flush()
        for envelope, data in encoded:
            await self.publish(self.topics[envelope.topic], envelope.key.encode(), data)
        if not outcome.save_first:
            await self.save(received, outcome)
        self.metrics.event_processed(self.deployable, decoded.name)

    async def save(self, received: Received, outcome: Outcome) -> None:
        """Save the new state; a transient failure (metadata not yet known) is retried."""
        for attempt, delay in enumerate((*SEND_RETRY_SECONDS, None)):
            try:
                outcome.save()
                return
            except Exception as exc:
                if delay is None:
                    raise
                log.warning(
                    "%s: saving state failed (attempt %d): %s",
                    received,
                    attempt + 1,
                    type(exc).__name__,
                )
                await asyncio.sleep(delay)

    async def publish(self, topic: faust.TopicT, key: bytes, value: bytes) -> None:
        """Publish and wait for the broker's acknowledgement, retrying without dropping.

        A broker that is down (restarting, failing over) holds the partition here until it is
        back: nothing is skipped, and a SIGTERM still stops the worker (the task is cancelled
        and the message is redelivered).
        """
        attempt = 0
        while True:
            try:
                fut = await topic.send(key=key, value=value, force=True)
                await fut
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                delay = SEND_RETRY_SECONDS[min(attempt, len(SEND_RETRY_SECONDS) - 1)]
                attempt += 1
                log.warning(
                    "publish to %s failed (attempt %d, next in %.1f s): %s",
                    topic.get_topic_name(),
                    attempt,
                    delay,
                    type(exc).__name__,
                )
                await asyncio.sleep(delay)

    async def dead_letter(self, received: Received, error: BaseException) -> None:
        kind = type(error).__name__
        reason = str(error) or kind
        # The reason may quote field values (personal data): it goes to the dead letter, whose
        # topic is access-controlled, and never to the log.
        log.warning("%s: dead-lettered (%s)", received, kind)
        record = {
            "event_id": event_id("DeadLetter", received.topic, received.partition, received.offset),
            "topic": received.topic,
            "partition": received.partition,
            "offset": received.offset,
            "key": received.key,
            "value": received.value,
            "headers": received.headers,
            "deployable": self.deployable,
            "error_kind": kind,
            "reason": reason,
            "failed_at": self.clock.now().astimezone(dt.UTC),
        }
        data = self.codec.encode("DeadLetter", record)
        await self.publish(self.deadletter, received.key or b"", data)
        self.metrics.dead_letter(received.topic, kind)
        self.metrics.processing_failed(self.deployable, kind)


async def _nothing_to_flush() -> None:
    """No broker behind the pipeline (agent test contexts)."""


def received_from(message: Any) -> Received:
    headers = message.headers or {}
    pairs = headers.items() if isinstance(headers, dict) else headers
    return Received(
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        key=message.key if isinstance(message.key, bytes) else None,
        value=message.value if isinstance(message.value, bytes) else None,
        headers={str(k): bytes(v or b"") for k, v in pairs},
    )
