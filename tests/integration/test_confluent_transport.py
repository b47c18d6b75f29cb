"""faust's confluent:// transport on the real broker: what the transport setting's refusal says
it lacks (``runtime.faust.transports.CONFLUENT_LACKS``), shown on the real clients."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import confluent_kafka
import faust
import pytest
from confluent_kafka.admin import AdminClient
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic

from lienthong.runtime.faust.transports import CONFLUENT_LACKS, installed_faust
from lienthong.settings import Settings
from netports import free_ports

pytestmark = pytest.mark.broker
READER = Path(__file__).with_name("faust_reader.py")
#: A bare aiokafka worker reads its first message well within this; the confluent one gets as long.
READ_WITHIN = 45.0


def _topic_with_messages(settings: Settings, name: str, partitions: int = 2) -> str:
    topic = settings.topic(name)
    admin = KafkaAdminClient(**settings.kafka_client_options())
    try:
        admin.create_topics([NewTopic(topic, partitions, 1)])
    finally:
        admin.close()
    producer = KafkaProducer(**settings.kafka_client_options())
    for partition in range(partitions):
        producer.send(topic, key=b"D%d" % partition, value=b"body", partition=partition)
    producer.flush()
    producer.close()
    return topic


@contextmanager
def _reader(scheme: str, settings: Settings, topic: str, tmp_path: Path) -> Iterator[Path]:
    """A bare faust worker on ``scheme`` reading ``topic``; yields the file of what it read."""
    out = tmp_path / f"{scheme}.log"
    app_id = f"{settings.topic_prefix}-{scheme}-reader"
    args = [scheme, settings.bootstrap_servers, topic, app_id, str(free_ports(1)[0])]
    with out.open("w") as handle:
        proc = subprocess.Popen(
            [sys.executable, str(READER), *args, str(tmp_path / scheme)],
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=os.environ.copy(),
        )
    try:
        yield tmp_path / f"{scheme}.reads"
        assert proc.poll() is None, out.read_text()[-2000:]
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def _reads(reads: Path) -> int:
    return len(reads.read_text().splitlines()) if reads.exists() else 0


def _assigned_by_the_broker(settings: Settings, group: str) -> set[tuple[str, int]]:
    """The partitions the broker gave the group's members, once the group is Stable."""
    admin = AdminClient({"bootstrap.servers": settings.bootstrap_servers})
    described = admin.describe_consumer_groups([group])[group].result(timeout=10)
    if described.state != confluent_kafka.ConsumerGroupState.STABLE:
        return set()
    return {
        (part.topic, part.partition)
        for member in described.members
        for part in member.assignment.topic_partitions
    }


def test_a_confluent_worker_is_given_its_partitions_and_never_reads_them(
    isolated: Settings, tmp_path: Path
) -> None:
    assert "never reads a message" in CONFLUENT_LACKS[installed_faust()][0]
    topic = _topic_with_messages(isolated, "transport-in")
    # The same bare worker on aiokafka reads both messages: the harness works.
    with _reader("kafka", isolated, topic, tmp_path) as reads:
        deadline = time.monotonic() + READ_WITHIN
        while _reads(reads) < 2 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _reads(reads) == 2, "the bare aiokafka worker did not read both messages"
    group = f"{isolated.topic_prefix}-confluent-reader"
    with _reader("confluent", isolated, topic, tmp_path) as reads:
        deadline = time.monotonic() + READ_WITHIN
        assigned: set[tuple[str, int]] = set()
        while not assigned and time.monotonic() < deadline:
            time.sleep(1.0)
            assigned = _assigned_by_the_broker(isolated, group)
        assert assigned == {(topic, 0), (topic, 1)}, "the broker never assigned the partitions"
        time.sleep(READ_WITHIN / 3)
        assert _reads(reads) == 0, "the confluent worker reads now: look at CONFLUENT_LACKS"
        assert _assigned_by_the_broker(isolated, group) == assigned


async def test_the_confluent_producer_drops_the_headers_it_is_given(isolated: Settings) -> None:
    assert "headers are dropped" in CONFLUENT_LACKS[installed_faust()][1]
    topic = _topic_with_messages(isolated, "transport-headers", partitions=1)
    app = faust.App(
        f"{isolated.topic_prefix}-headers",
        broker=f"confluent://{isolated.bootstrap_servers}",
        web_enabled=False,
        datadir=str(isolated.state_dir / "headers"),
    )
    app.finalize()
    producer = app.producer
    await producer.start()
    try:
        headers = {"lienthong-origin": b"lienthong.intake[0]@3"}
        sent = await producer.send(topic, b"D9", b"forwarded", 0, None, headers)
        metadata = await asyncio.wait_for(sent, 30)
    finally:
        await producer.stop()
    consumer = KafkaConsumer(**isolated.kafka_client_options(), auto_offset_reset="earliest")
    try:
        part = TopicPartition(topic, 0)
        consumer.assign([part])
        consumer.seek(part, metadata.offset)
        records = consumer.poll(timeout_ms=10_000).get(part, [])
    finally:
        consumer.close()
    assert [(r.key, r.value) for r in records][:1] == [(b"D9", b"forwarded")]
    assert records[0].headers == [], "the driver now sends headers: look at CONFLUENT_LACKS"


def test_librdkafka_seek_returns_nothing_to_await(isolated: Settings) -> None:
    # faust's driver awaits it (CONFLUENT_LACKS: seeking is broken).
    assert "awaits librdkafka's seek" in CONFLUENT_LACKS[installed_faust()][2]
    topic = _topic_with_messages(isolated, "transport-seek", partitions=1)
    consumer = confluent_kafka.Consumer(
        {"bootstrap.servers": isolated.bootstrap_servers, "group.id": f"{topic}-seek"}
    )
    try:
        consumer.assign([confluent_kafka.TopicPartition(topic, 0, 0)])
        consumer.consume(1, timeout=10)
        assert consumer.seek(confluent_kafka.TopicPartition(topic, 0, 0)) is None
    finally:
        consumer.close()
