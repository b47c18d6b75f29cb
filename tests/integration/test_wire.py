"""Single-object Avro across real clients: kafka-python, aiokafka and a Faust app, one broker."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import faust
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient

from lienthong.contracts.codec import AvroCodec
from lienthong.contracts.faust_codec import register
from lienthong.groups.birth.synthetic import generate
from lienthong.runtime.app import ensure_topics
from lienthong.settings import Settings

pytestmark = pytest.mark.broker
CODEC = AvroCodec()


def _dossier(seed: int) -> dict[str, Any]:
    start = dt.datetime(2026, 11, 30, 2, tzinfo=dt.UTC)
    return generate(1, seed=seed, start=start)[0].record


def test_topics_are_created_with_the_admin_client(isolated: Settings) -> None:
    created = ensure_topics(isolated)
    assert isolated.topic("intake") in created
    assert ensure_topics(isolated) == []  # idempotent
    admin = KafkaAdminClient(bootstrap_servers=isolated.bootstrap_servers)
    try:
        described = admin.describe_topics([isolated.topic("intake")])
    finally:
        admin.close()
    assert len(described[0]["partitions"]) == isolated.partitions


async def test_kafka_python_produces_aiokafka_consumes(isolated: Settings) -> None:
    ensure_topics(isolated)
    record = _dossier(1)
    topic = isolated.topic("intake")
    producer = KafkaProducer(bootstrap_servers=isolated.bootstrap_servers)
    producer.send(
        topic,
        key=record["meta"]["dossier_id"].encode(),
        value=CODEC.encode("DossierSubmitted", record),
    )
    producer.flush()
    producer.close()
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=isolated.bootstrap_servers,
        auto_offset_reset="earliest",
        group_id=f"{topic}-aiokafka",
    )
    await consumer.start()
    try:
        message = await asyncio.wait_for(consumer.getone(), 30)
    finally:
        await consumer.stop()
    decoded = CODEC.decode(message.value)
    assert decoded.name == "DossierSubmitted"
    assert message.key == record["meta"]["dossier_id"].encode()
    assert decoded.record["child"] == record["child"]


async def test_aiokafka_produces_kafka_python_consumes(isolated: Settings) -> None:
    ensure_topics(isolated)
    record = _dossier(2)
    topic = isolated.topic("intake")
    producer = AIOKafkaProducer(bootstrap_servers=isolated.bootstrap_servers)
    await producer.start()
    try:
        await producer.send_and_wait(
            topic,
            CODEC.encode("DossierSubmitted", record),
            key=record["meta"]["dossier_id"].encode(),
        )
    finally:
        await producer.stop()
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=isolated.bootstrap_servers,
        auto_offset_reset="earliest",
        consumer_timeout_ms=20000,
        group_id=f"{topic}-kafka-python",
    )
    try:
        message = next(iter(consumer))
    finally:
        consumer.close()
    assert CODEC.decode(message.value).record["mother"] == record["mother"]


async def test_a_faust_app_with_the_codec_consumes_and_produces(isolated: Settings) -> None:
    codec_name = register()
    source_name, sink_name = isolated.topic("faust-in"), isolated.topic("faust-out")
    app = faust.App(
        f"{isolated.topic_prefix}-codec-test",
        broker=f"kafka://{isolated.bootstrap_servers}",
        store="memory://",
        web_enabled=False,
        datadir=str(isolated.state_dir / "codec-test"),
        consumer_auto_offset_reset="earliest",
        topic_partitions=1,
    )
    source = app.topic(source_name, key_serializer="raw", value_serializer=codec_name)
    sink = app.topic(sink_name, key_serializer="raw", value_serializer=codec_name)

    @app.agent(source)
    async def forward(stream: Any) -> None:
        async for decoded in stream:
            decoded.record["reason"] = decoded.record["reason"].upper()
            await sink.send(
                key=decoded.record["meta"]["dossier_id"].encode(),
                value=("DossierWithdrawn", decoded.record),
            )

    meta = _dossier(3)["meta"]
    producer = KafkaProducer(bootstrap_servers=isolated.bootstrap_servers)
    producer.send(
        source_name,
        key=b"k",
        value=CODEC.encode("DossierWithdrawn", {"meta": meta, "reason": "rút hồ sơ"}),
    )
    producer.flush()
    producer.close()
    await app.start()
    try:
        consumer = AIOKafkaConsumer(
            sink_name, bootstrap_servers=isolated.bootstrap_servers, auto_offset_reset="earliest"
        )
        await consumer.start()
        try:
            message = await asyncio.wait_for(consumer.getone(), 60)
        finally:
            await consumer.stop()
    finally:
        await app.stop()
    assert CODEC.decode(message.value).record["reason"] == "RÚT HỒ SƠ"
