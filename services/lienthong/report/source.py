"""The status topic replayed from its beginning to its current end (kafka-python, no group)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from lienthong import topics
from lienthong.contracts import records
from lienthong.contracts.codec import AvroCodec
from lienthong.errors import ClientError, ContractError
from lienthong.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Replay:
    """The status events, read as they are iterated (once), and what could not be read."""

    messages: Iterator[Any]
    codec: AvroCodec
    read: int = 0
    unreadable: list[str] = field(default_factory=list)

    def __iter__(self) -> Iterator[tuple[str, records.Event]]:
        for message in self.messages:
            try:
                events = self.codec.decode_all(message.value or b"")
            except ContractError as exc:
                where = f"{message.topic}[{message.partition}]@{message.offset}"
                log.warning("%s: skipped, %s", where, exc)
                self.unreadable.append(f"{where}: {exc}")
                continue
            for decoded in events:
                self.read += 1
                # Decoded with the schema it names; every status event has meta.
                yield decoded.name, cast(records.Event, decoded.record)


def _messages(consumer: KafkaConsumer, name: str) -> Iterator[Any]:
    """Every message of topic ``name`` up to the end it had when reading began."""
    found = consumer.partitions_for_topic(name)
    if not found:
        raise ClientError(f"there is no topic {name}: nothing has been published to it yet")
    parts = [TopicPartition(name, p) for p in sorted(found)]
    consumer.assign(parts)
    consumer.seek_to_beginning(*parts)
    ends = consumer.end_offsets(parts)
    left = {tp for tp in parts if ends[tp] > 0}
    while left:
        for tp, batch in consumer.poll(timeout_ms=1000, max_records=5000).items():
            yield from (m for m in batch if m.offset < ends[tp])
            if consumer.position(tp) >= ends[tp]:
                left.discard(tp)


@contextmanager
def replay_status(settings: Settings, codec: AvroCodec | None = None) -> Iterator[Replay]:
    """The whole status topic, to its end when reading began; an unreadable message is named,
    never fatal."""
    name = settings.topic(topics.STATUS)
    try:
        consumer = KafkaConsumer(
            **settings.kafka_client_options(),
            client_id="lienthong-report",
            enable_auto_commit=False,
            fetch_max_bytes=16 * 1024 * 1024,
        )
    except KafkaError as exc:
        raise ClientError(f"cannot reach Kafka at {settings.bootstrap_servers}: {exc}") from exc
    try:
        yield Replay(_messages(consumer, name), codec or AvroCodec())
    except KafkaError as exc:
        raise ClientError(f"cannot read the status topic {name}: {exc}") from exc
    finally:
        consumer.close()
