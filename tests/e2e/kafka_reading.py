"""Read a whole topic back from the broker (for assertions on what was really published)."""

from __future__ import annotations

from kafka import KafkaConsumer, TopicPartition

from lienthong.contracts.codec import TOGETHER, AvroCodec, Decoded
from lienthong.errors import ContractError
from lienthong.settings import Settings

CODEC = AvroCodec()


def read_topic(settings: Settings, role: str) -> list[tuple[bytes, bytes, Decoded | None]]:
    """Every message of a topic from the beginning to its current end: key, value, decoded."""
    consumer = KafkaConsumer(bootstrap_servers=settings.bootstrap_servers, enable_auto_commit=False)
    try:
        name = settings.topic(role)
        parts = [TopicPartition(name, p) for p in sorted(consumer.partitions_for_topic(name))]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        ends = consumer.end_offsets(parts)
        out: list[tuple[bytes, bytes, Decoded | None]] = []
        while any(consumer.position(tp) < ends[tp] for tp in parts):
            for batch in consumer.poll(timeout_ms=1000).values():
                for message in batch:
                    out += _events(message.key, message.value)
        return out
    finally:
        consumer.close()


def _events(key: bytes, value: bytes) -> list[tuple[bytes, bytes, Decoded | None]]:
    """A message's events: itself, or each item of a ``DossierEvents`` with its own bytes (as
    it would be on its own); one undecodable entry (None) if it cannot be read."""
    try:
        whole = CODEC.decode(value)
        if whole.name != TOGETHER:
            return [(key, value, whole)]
        items = whole.record["events"]
        return [(key, item, d) for item, d in zip(items, CODEC.decode_all(value), strict=True)]
    except ContractError:
        return [(key, value, None)]
