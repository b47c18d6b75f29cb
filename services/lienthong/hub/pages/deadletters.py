"""The newest dead letters, read straight from the dead-letter topic for the operator board.

A short-lived kafka-python consumer (no consumer group, nothing committed) reads the last few
records of each partition. This keeps the hub stateless about dead letters: the board shows the
same list whichever hub worker serves it and after any restart (the topic keeps them 90 days),
and the hub's own consumer group and partition assignment are untouched. It is blocking, so the
web view runs it in a thread and caches the answer for a few seconds.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from lienthong import topics
from lienthong.contracts.codec import AvroCodec
from lienthong.errors import ContractError, LienthongError
from lienthong.settings import Settings

Json = dict[str, Any]
#: How long the whole read may take; the board says "unavailable" rather than hang.
READ_SECONDS = 4.0
#: A reason is shown whole up to this length (an operator reads it on the board).
REASON_CHARS = 300


class DeadLettersUnavailable(LienthongError):
    """The dead-letter topic could not be read (broker unreachable, no permission...)."""


def read_dead_letters(settings: Settings, limit: int = 20) -> list[Json]:
    """The ``limit`` newest dead letters across all partitions, newest first."""
    codec = AvroCodec()
    topic = settings.topic(topics.DEADLETTER)
    try:
        consumer = KafkaConsumer(
            **settings.kafka_client_options(),
            client_id="lienthong-board",
            group_id=None,
            enable_auto_commit=False,
            request_timeout_ms=int(READ_SECONDS * 1000) + 1000,
            bootstrap_timeout_ms=int(READ_SECONDS * 1000),
        )
    except KafkaError as exc:
        raise DeadLettersUnavailable(f"cannot reach Kafka: {exc}") from exc
    try:
        found = consumer.partitions_for_topic(topic)
        if not found:
            return []
        parts = [TopicPartition(topic, p) for p in sorted(found)]
        consumer.assign(parts)
        ends = consumer.end_offsets(parts)
        begins = consumer.beginning_offsets(parts)
        for tp in parts:
            consumer.seek(tp, max(begins[tp], ends[tp] - limit))
        letters = _read_until(consumer, parts, ends, codec)
    except KafkaError as exc:
        raise DeadLettersUnavailable(f"cannot read {topic}: {exc}") from exc
    finally:
        consumer.close()
    letters.sort(key=lambda letter: str(letter["failed_at"]), reverse=True)
    return letters[:limit]


def _read_until(
    consumer: KafkaConsumer,
    parts: list[TopicPartition],
    ends: dict[TopicPartition, int],
    codec: AvroCodec,
) -> list[Json]:
    letters: list[Json] = []
    deadline = time.monotonic() + READ_SECONDS
    while any(consumer.position(tp) < ends[tp] for tp in parts):
        if time.monotonic() > deadline:
            raise DeadLettersUnavailable("timed out reading the dead-letter topic")
        for batch in consumer.poll(timeout_ms=500).values():
            for message in batch:
                letters.append(_letter(message.value, codec))
    return letters


def _letter(value: bytes | None, codec: AvroCodec) -> Json:
    try:
        record = codec.decode(value or b"").record
    except ContractError as exc:  # a dead letter that is itself unreadable is still shown
        return {"failed_at": "", "error_kind": type(exc).__name__, "reason": str(exc)}
    failed_at: dt.datetime = record["failed_at"]
    reason = str(record["reason"])
    return {
        "failed_at": failed_at.isoformat(),
        "topic": record["topic"],
        "partition": record["partition"],
        "offset": record["offset"],
        "deployable": record["deployable"],
        "error_kind": record["error_kind"],
        "reason": reason if len(reason) <= REASON_CHARS else reason[: REASON_CHARS - 1] + "…",
    }
