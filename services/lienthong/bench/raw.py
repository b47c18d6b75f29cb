"""The raw baselines: the pipeline's messages produced and consumed back with no processing.

Two stock clients move the same messages (same count, same sizes, acks from every in-sync
replica, idempotent): kafka-python, the client of the bench and the tools, and librdkafka
through ``confluent-kafka``, the fastest one for Python: the physical limit beside the pipeline.
Each has a topic of its own; the time runs from the first send to the last message read back.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Message, Producer
from confluent_kafka import TopicPartition as RdPartition
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from lienthong.errors import BenchmarkError
from lienthong.runtime.app import ensure_topics
from lienthong.settings import Settings

#: Seconds a baseline may go without receiving anything before it gives up.
STALL_TIMEOUT = 60.0
#: Batching of both producers: what kafka-python's baseline has always used.
LINGER_MS = 5
#: The most messages librdkafka's ``consume`` may return at once.
CONSUME_MAX = 100_000


def _topic(settings: Settings, client: str) -> str:
    raw = settings.model_copy(update={"topic_prefix": f"{settings.topic_prefix}-raw-{client}"})
    ensure_topics(raw, ("intake",))
    return raw.topic("intake")


def _key(i: int) -> bytes:
    return str(i % 997).encode()


def kafka_python(settings: Settings, payloads: list[bytes]) -> float:
    """Seconds for kafka-python to produce ``payloads`` and consume them back."""
    topic = _topic(settings, "kafka-python")
    consumer = KafkaConsumer(
        **settings.kafka_client_options(), enable_auto_commit=False, auto_offset_reset="earliest"
    )
    parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or {0}]
    consumer.assign(parts)
    consumer.seek_to_beginning(*parts)
    # kafka-python 3 defaults to acks="all" and idempotence: said here, as for librdkafka
    producer = KafkaProducer(
        **settings.kafka_client_options(), acks="all", enable_idempotence=True, linger_ms=LINGER_MS
    )
    try:
        start = time.perf_counter()
        for i, value in enumerate(payloads):
            producer.send(topic, key=_key(i), value=value)
        producer.flush()
        received, last = 0, time.monotonic()
        while received < len(payloads):
            got = sum(len(b) for b in consumer.poll(timeout_ms=1000).values())
            received, last = received + got, time.monotonic() if got else last
            _check_stall(received, len(payloads), last, "kafka-python")
        return time.perf_counter() - start
    finally:
        producer.close()
        consumer.close()


def librdkafka_options(settings: Settings) -> dict[str, str | int | bool]:
    """The connection settings in librdkafka's names."""
    options: dict[str, str | int | bool] = {"bootstrap.servers": settings.bootstrap_servers}
    if settings.security_protocol != "PLAINTEXT":
        options["security.protocol"] = settings.security_protocol
        options["sasl.mechanism"] = "SCRAM-SHA-512"
        if settings.sasl_username is not None:
            options["sasl.username"] = settings.sasl_username
        if settings.sasl_password is not None:
            options["sasl.password"] = settings.sasl_password.get_secret_value()
    return options


def librdkafka(settings: Settings, payloads: list[bytes]) -> float:
    """Seconds for librdkafka (``confluent-kafka``) to produce ``payloads`` and read them back."""
    topic = _topic(settings, "librdkafka")
    options = librdkafka_options(settings)
    consumer = Consumer(
        {**options, "group.id": f"{topic}-reader", "enable.auto.commit": False}
    )  # assigned, never subscribed: the group only names it, nothing is committed
    producer = Producer(
        {**options, "acks": "all", "enable.idempotence": True, "linger.ms": LINGER_MS}
    )
    failed: list[KafkaError] = []

    def delivered(error: KafkaError | None, _: Message) -> None:
        if error is not None:
            failed.append(error)

    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        consumer.assign([RdPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        start = time.perf_counter()
        for i, value in enumerate(payloads):
            _produce(producer, topic, _key(i), value, delivered)
        producer.flush()
        if failed:
            raise BenchmarkError(f"librdkafka baseline: {len(failed)} sends failed: {failed[0]}")
        received, last = 0, time.monotonic()
        while received < len(payloads):
            # consume() waits until it has as many as asked, or the timeout: ask for the rest
            batch = consumer.consume(min(len(payloads) - received, CONSUME_MAX), timeout=0.5)
            got = sum(m.error() is None for m in batch)
            received, last = received + got, time.monotonic() if got else last
            _check_stall(received, len(payloads), last, "librdkafka")
        return time.perf_counter() - start
    finally:
        consumer.close()


def _produce(
    producer: Producer,
    topic: str,
    key: bytes,
    value: bytes,
    delivered: Callable[[KafkaError | None, Message], None],
) -> None:
    while True:
        try:
            producer.produce(topic, value=value, key=key, on_delivery=delivered)
            producer.poll(0)
            return
        except BufferError:  # the local queue is full: let deliveries drain it
            producer.poll(0.1)


def _check_stall(received: int, expected: int, last: float, client: str) -> None:
    if received < expected and time.monotonic() - last > STALL_TIMEOUT:
        raise BenchmarkError(
            f"{client} baseline: {received} of {expected} messages read back, nothing more "
            f"for {STALL_TIMEOUT:.0f} s"
        )
